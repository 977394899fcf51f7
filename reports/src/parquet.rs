//! Parquet tables written while the run streams: rows are buffered per column and every
//! [`ROW_GROUP_ROWS`] rows become one row group through polars' batched writer, so memory stays
//! bounded however long the run.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::{BatchedWriter, PlSmallStr};
use polars::prelude::{
    Column as PlColumn, DataFrame, DataType, ParquetCompression, ParquetWriter, PolarsError,
    Schema, StatisticsOptions,
};

use crate::error::Error;
use crate::tables::{Cell, Column, Kind};

/// Rows per row group: large enough for good compression and useful statistics, small enough
/// that five tables' buffers stay a few tens of MB.
pub(crate) const ROW_GROUP_ROWS: usize = 64 * 1024;

/// The polars type a column kind is stored as.
pub(crate) fn dtype(kind: Kind) -> DataType {
    match kind {
        Kind::Text => DataType::String,
        Kind::Count => DataType::UInt64,
        Kind::Int => DataType::Int64,
        Kind::Milli | Kind::Micro => DataType::Float64,
    }
}

/// One column's rows since the last row group.
enum Buffer {
    Text(Vec<Option<String>>),
    Count(Vec<Option<u64>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
}

impl Buffer {
    fn new(kind: Kind) -> Buffer {
        let n = ROW_GROUP_ROWS;
        match kind {
            Kind::Text => Buffer::Text(Vec::with_capacity(n)),
            Kind::Count => Buffer::Count(Vec::with_capacity(n)),
            Kind::Int => Buffer::Int(Vec::with_capacity(n)),
            Kind::Milli | Kind::Micro => Buffer::Float(Vec::with_capacity(n)),
        }
    }

    /// Appends `cell`; false when the cell does not fit the column's kind (a bug in the table).
    fn push(&mut self, cell: &Cell) -> bool {
        match (self, cell) {
            (Buffer::Text(v), Cell::Text(t)) => v.push(Some(t.clone())),
            (Buffer::Text(v), Cell::Null) => v.push(None),
            (Buffer::Count(v), Cell::Count(n)) => v.push(Some(*n)),
            (Buffer::Count(v), Cell::Null) => v.push(None),
            (Buffer::Int(v), Cell::Int(n)) => v.push(Some(*n)),
            (Buffer::Int(v), Cell::Null) => v.push(None),
            (Buffer::Float(v), Cell::Milli(n)) => v.push(Some(*n as f64 / 1e3)),
            (Buffer::Float(v), Cell::Micro(n)) => v.push(Some(*n as f64 / 1e6)),
            (Buffer::Float(v), Cell::Null) => v.push(None),
            _ => return false,
        }
        true
    }

    /// The buffered values as a polars column, leaving the buffer empty.
    fn take(&mut self, name: &str) -> PlColumn {
        let name = PlSmallStr::from(name);
        match self {
            Buffer::Text(v) => PlColumn::new(name, std::mem::take(v)),
            Buffer::Count(v) => PlColumn::new(name, std::mem::take(v)),
            Buffer::Int(v) => PlColumn::new(name, std::mem::take(v)),
            Buffer::Float(v) => PlColumn::new(name, std::mem::take(v)),
        }
    }
}

/// A Parquet file being written a row group at a time.
pub(crate) struct ParquetTable {
    path: PathBuf,
    columns: &'static [Column],
    buffers: Vec<Buffer>,
    n_buffered: usize,
    writer: BatchedWriter<File>,
}

impl ParquetTable {
    /// Creates the file; nothing is written until the first row group is full.
    pub fn create(path: &Path, columns: &'static [Column]) -> Result<ParquetTable, Error> {
        let file = File::create(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        let schema: Schema = columns
            .iter()
            .map(|c| (PlSmallStr::from(c.name), dtype(c.kind)))
            .collect();
        let writer = ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .with_statistics(StatisticsOptions::full())
            .set_parallel(false)
            .batched(&schema)
            .map_err(polars_error(path))?;
        Ok(ParquetTable {
            path: path.to_owned(),
            columns,
            buffers: columns.iter().map(|c| Buffer::new(c.kind)).collect(),
            n_buffered: 0,
            writer,
        })
    }

    pub fn push(&mut self, row: &[Cell]) -> Result<(), Error> {
        debug_assert_eq!(row.len(), self.columns.len());
        for ((buffer, cell), column) in self.buffers.iter_mut().zip(row).zip(self.columns) {
            if !buffer.push(cell) {
                return Err(Error::Invariant(format!(
                    "{}: column {} cannot hold {cell:?}",
                    self.path.display(),
                    column.name
                )));
            }
        }
        self.n_buffered += 1;
        if self.n_buffered == ROW_GROUP_ROWS {
            self.write_row_group()?;
        }
        Ok(())
    }

    fn write_row_group(&mut self) -> Result<(), Error> {
        let columns: Vec<PlColumn> = self
            .buffers
            .iter_mut()
            .zip(self.columns)
            .map(|(buffer, column)| buffer.take(column.name))
            .collect();
        let frame = DataFrame::new(self.n_buffered, columns).map_err(polars_error(&self.path))?;
        self.writer
            .write_batch(&frame)
            .map_err(polars_error(&self.path))?;
        self.n_buffered = 0;
        Ok(())
    }

    /// Writes the last row group and the footer.
    pub fn finish(mut self) -> Result<(), Error> {
        if self.n_buffered > 0 {
            self.write_row_group()?;
        }
        self.writer.finish().map_err(polars_error(&self.path))?;
        Ok(())
    }
}

pub(crate) fn polars_error(path: &Path) -> impl Fn(PolarsError) -> Error + '_ {
    move |source| Error::Parquet {
        path: path.to_owned(),
        message: source.to_string(),
    }
}
