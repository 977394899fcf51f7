//! A CSV table a figure is drawn from (an experiment's `means.csv`, a sweep's `stats.csv`):
//! columns found by name, numbers read with errors naming the file, line and column.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// An open CSV file with a header.
pub(crate) struct CsvInput {
    path: PathBuf,
    header: csv::StringRecord,
    reader: csv::Reader<File>,
}

/// One data row.
pub(crate) struct CsvRow<'a> {
    path: &'a Path,
    header: &'a csv::StringRecord,
    record: csv::StringRecord,
    /// 1-based line in the file (the header is line 1).
    line: usize,
}

impl CsvInput {
    /// Opens `path` and reads its header.
    pub fn open(path: &Path) -> Result<CsvInput, Error> {
        if !path.is_file() {
            return Err(Error::Input {
                path: path.to_owned(),
                message: "missing".to_owned(),
            });
        }
        let csv_error = |source| Error::Csv {
            path: path.to_owned(),
            source,
        };
        let mut reader = csv::Reader::from_path(path).map_err(csv_error)?;
        let header = reader.headers().map_err(csv_error)?.clone();
        Ok(CsvInput {
            path: path.to_owned(),
            header,
            reader,
        })
    }

    /// The index of column `name`.
    pub fn column(&self, name: &str) -> Result<usize, Error> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::Input {
                path: self.path.clone(),
                message: format!("no column {name}"),
            })
    }

    /// Calls `each` with every data row, in order.
    pub fn for_each_row(
        &mut self,
        mut each: impl FnMut(&CsvRow<'_>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        for (row_idx, record) in self.reader.records().enumerate() {
            let record = record.map_err(|source| Error::Csv {
                path: self.path.clone(),
                source,
            })?;
            each(&CsvRow {
                path: &self.path,
                header: &self.header,
                record,
                line: row_idx + 2,
            })?;
        }
        Ok(())
    }
}

impl CsvRow<'_> {
    /// The text of column `idx` ("" when the row is short).
    pub fn text(&self, idx: usize) -> &str {
        self.record.get(idx).unwrap_or("")
    }

    /// The number in column `idx`; `None` when the field is empty.
    pub fn number(&self, idx: usize) -> Result<Option<f64>, Error> {
        let text = self.text(idx);
        if text.is_empty() {
            return Ok(None);
        }
        text.parse().map(Some).map_err(|_| Error::Input {
            path: self.path.to_owned(),
            message: format!(
                "line {}: column {}: {text:?} is not a number",
                self.line,
                self.header.get(idx).unwrap_or("?")
            ),
        })
    }
}
