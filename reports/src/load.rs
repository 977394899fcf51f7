//! Reading a run's tables back, from Parquet or CSV, so figures and the report can be drawn
//! again without re-simulating.
//!
//! Each table is read column by column, only the columns asked for; a missing file, a missing
//! column or a value of the wrong type is an [`Error::Input`] naming the file and the column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::{DataType, ParquetReader, SerReader};

use crate::error::Error;
use crate::parquet::{dtype, polars_error};
use crate::tables::{Column, Kind, TableFormat};

/// The values of one column: text, or numbers (counts, seconds, GPUs) as floats.
#[derive(Debug)]
pub(crate) enum Values {
    Text(Vec<Option<String>>),
    Numbers(Vec<Option<f64>>),
}

/// Some columns of one table.
#[derive(Debug)]
pub(crate) struct Frame {
    pub n_rows: usize,
    columns: BTreeMap<&'static str, Values>,
}

impl Frame {
    /// A text column that was read.
    pub fn texts(&self, name: &str) -> &[Option<String>] {
        match self.columns.get(name) {
            Some(Values::Text(values)) => values,
            _ => panic!("column {name} was not read as text"),
        }
    }

    /// A numeric column that was read.
    pub fn numbers(&self, name: &str) -> &[Option<f64>] {
        match self.columns.get(name) {
            Some(Values::Numbers(values)) => values,
            _ => panic!("column {name} was not read as numbers"),
        }
    }
}

/// Which format a run folder's tables are in: Parquet if `jobs.parquet` is there, CSV if
/// `jobs.csv` is.
pub(crate) fn detect_format(dir: &Path) -> Result<TableFormat, Error> {
    for format in [TableFormat::Parquet, TableFormat::Csv] {
        if dir.join(format!("jobs.{}", format.extension())).is_file() {
            return Ok(format);
        }
    }
    Err(Error::Input {
        path: dir.join("jobs.parquet"),
        message: "missing (and no jobs.csv either): not a fleetsim run folder".to_owned(),
    })
}

/// Reads the columns `wanted` of table `stem` (whose full schema is `schema`) in `format`.
pub(crate) fn read_table(
    dir: &Path,
    stem: &str,
    schema: &'static [Column],
    wanted: &[&str],
    format: TableFormat,
) -> Result<Frame, Error> {
    let path = dir.join(format!("{stem}.{}", format.extension()));
    let columns: Vec<Column> = wanted
        .iter()
        .map(|name| {
            *schema
                .iter()
                .find(|c| c.name == *name)
                .unwrap_or_else(|| panic!("{stem} has no column {name}"))
        })
        .collect();
    if !path.is_file() {
        return Err(Error::Input {
            path,
            message: "missing".to_owned(),
        });
    }
    match format {
        TableFormat::Parquet => read_parquet(path, &columns),
        TableFormat::Csv => read_csv(path, &columns),
    }
}

fn read_parquet(path: PathBuf, columns: &[Column]) -> Result<Frame, Error> {
    let file = std::fs::File::open(&path).map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    let mut reader = ParquetReader::new(file);
    let schema = reader.schema().map_err(polars_error(&path))?;
    for column in columns {
        if schema.get(column.name).is_none() {
            return Err(Error::Input {
                path,
                message: format!("no column {}", column.name),
            });
        }
    }
    let frame = reader
        .with_columns(Some(columns.iter().map(|c| c.name.to_owned()).collect()))
        .finish()
        .map_err(polars_error(&path))?;
    let mut values = BTreeMap::new();
    for column in columns {
        let series = frame
            .column(column.name)
            .map_err(polars_error(&path))?
            .as_materialized_series();
        let expected = dtype(column.kind);
        if series.dtype() != &expected {
            return Err(Error::Input {
                path,
                message: format!(
                    "column {} is {}, expected {expected}",
                    column.name,
                    series.dtype()
                ),
            });
        }
        let read = if column.kind == Kind::Text {
            let strings = series.str().map_err(polars_error(&path))?;
            Values::Text(strings.iter().map(|s| s.map(str::to_owned)).collect())
        } else {
            let floats = series
                .cast(&DataType::Float64)
                .map_err(polars_error(&path))?;
            let floats = floats.f64().map_err(polars_error(&path))?;
            Values::Numbers(floats.iter().collect())
        };
        values.insert(column.name, read);
    }
    Ok(Frame {
        n_rows: frame.height(),
        columns: values,
    })
}

fn read_csv(path: PathBuf, columns: &[Column]) -> Result<Frame, Error> {
    let input = |message: String| Error::Input {
        path: path.clone(),
        message,
    };
    let csv_error = |source: csv::Error| Error::Csv {
        path: path.clone(),
        source,
    };
    let mut reader = csv::Reader::from_path(&path).map_err(csv_error)?;
    let header = reader.headers().map_err(csv_error)?.clone();
    let mut indexes = Vec::new();
    for column in columns {
        let idx = header
            .iter()
            .position(|h| h == column.name)
            .ok_or_else(|| input(format!("no column {}", column.name)))?;
        indexes.push(idx);
    }
    let mut values: Vec<Values> = columns
        .iter()
        .map(|c| match c.kind {
            Kind::Text => Values::Text(Vec::new()),
            _ => Values::Numbers(Vec::new()),
        })
        .collect();
    let mut n_rows = 0;
    for (row_idx, record) in reader.records().enumerate() {
        let record = record.map_err(csv_error)?;
        for ((column, &idx), target) in columns.iter().zip(&indexes).zip(&mut values) {
            let field = record.get(idx).unwrap_or("");
            match target {
                Values::Text(v) => v.push((!field.is_empty()).then(|| field.to_owned())),
                Values::Numbers(v) if field.is_empty() => v.push(None),
                Values::Numbers(v) => v.push(Some(field.parse::<f64>().map_err(|_| {
                    input(format!(
                        "line {}: column {}: {field:?} is not a number",
                        row_idx + 2,
                        column.name
                    ))
                })?)),
            }
        }
        n_rows += 1;
    }
    Ok(Frame {
        n_rows,
        columns: columns.iter().map(|c| c.name).zip(values).collect(),
    })
}
