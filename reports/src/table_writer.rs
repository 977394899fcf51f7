//! [`TableWriter`]: tables whose columns are known only at run time (a sweep's axes and
//! metrics, a plan's dimensions), written like a run's tables: Parquet a row group at a
//! time, or CSV.

use std::path::Path;

use crate::error::Error;
use crate::tables::{Cell, Kind, Table, TableFormat};

/// How a column's values are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// Text (Parquet: String).
    Text,
    /// A whole number ≥ 0 (Parquet: UInt64).
    Count,
    /// A float (Parquet: Float64; CSV: the shortest text that reads back as the same value).
    Float,
}

/// One value of a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Text.
    Text(String),
    /// A whole number.
    Count(u64),
    /// A float.
    Float(f64),
    /// Nothing: an empty CSV field, a Parquet null.
    Null,
}

/// A table being written; rows must follow its columns.
pub struct TableWriter {
    table: Table,
    n_columns: usize,
}

impl TableWriter {
    /// Creates `path` (replacing it) with these columns.
    pub fn create(
        path: &Path,
        columns: &[(String, ColumnType)],
        format: TableFormat,
    ) -> Result<TableWriter, Error> {
        let named: Vec<(String, Kind)> = columns
            .iter()
            .map(|(name, column_type)| {
                let kind = match column_type {
                    ColumnType::Text => Kind::Text,
                    ColumnType::Count => Kind::Count,
                    ColumnType::Float => Kind::Float,
                };
                (name.clone(), kind)
            })
            .collect();
        Ok(TableWriter {
            table: Table::create_at(path, &named, format)?,
            n_columns: columns.len(),
        })
    }

    /// Appends one row.
    pub fn write(&mut self, row: &[Value]) -> Result<(), Error> {
        if row.len() != self.n_columns {
            return Err(Error::Invariant(format!(
                "a row of {} values for {} columns",
                row.len(),
                self.n_columns
            )));
        }
        let cells: Vec<Cell> = row
            .iter()
            .map(|value| match value {
                Value::Text(text) => Cell::Text(text.clone()),
                Value::Count(n) => Cell::Count(*n),
                Value::Float(x) => Cell::Float(*x),
                Value::Null => Cell::Null,
            })
            .collect();
        self.table.write(&cells)
    }

    /// Writes what is buffered and closes the file.
    pub fn finish(self) -> Result<(), Error> {
        self.table.finish()
    }
}
