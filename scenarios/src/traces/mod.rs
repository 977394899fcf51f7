//! Loaders for real cluster traces, one file per format. Each streams its rows: a reader yields
//! one typed record at a time, so a trace of millions of rows needs memory for one row.
//!
//! Each format also says what it offers a scenario (`TraceFormat`): a job trace for
//! `workload.trace`, a node list for `fleet_from_trace`, or both; `FORMATS` lists them.
//!
//! Every malformed row is an [`Error::Input`] naming the file, the 1-based line and column of
//! the offending field, the column's name, and what was expected.

pub mod dlrm;
mod format;
pub mod openb;
pub mod pai;
pub mod philly;
pub mod spot;

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::{Error, Position};

pub(crate) use format::{
    JobSource, JobTrace, NodeList, TraceFormat, TraceJob, TraceNode, job_trace, job_trace_names,
    node_list, node_list_names, replica_sizing_names,
};

/// Every trace format a scenario can name, in the order messages list them. A new format is
/// its file implementing [`TraceFormat`] and one line here.
pub(crate) static FORMATS: &[&dyn TraceFormat] = &[
    &openb::Openb,
    &pai::Pai,
    &spot::Spot,
    &philly::Philly,
    &dlrm::Dlrm,
];

/// A CSV file read row by row, with positions for error messages.
pub(crate) struct CsvRows {
    file: PathBuf,
    reader: csv::Reader<BufReader<File>>,
    record: csv::StringRecord,
    /// Column names, from the header or given for headerless files.
    columns: Vec<String>,
}

impl CsvRows {
    /// Opens `file`. With `header` set, the first row must equal one of `accepted` (after
    /// trimming spaces around names); without, `accepted[0]` names the columns.
    pub(crate) fn open(file: &Path, header: bool, accepted: &[&[&str]]) -> Result<CsvRows, Error> {
        let handle = File::open(file).map_err(|source| Error::Io {
            file: file.to_owned(),
            source,
        })?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(header)
            .flexible(true)
            .from_reader(BufReader::with_capacity(1 << 16, handle));
        let columns: Vec<String> = if header {
            let found = reader
                .headers()
                .map_err(|err| csv_error(file, &err))?
                .iter()
                .map(|name| name.trim().to_owned())
                .collect::<Vec<_>>();
            if !accepted
                .iter()
                .any(|names| names.iter().copied().eq(found.iter().map(String::as_str)))
            {
                let expected = accepted
                    .iter()
                    .map(|names| names.join(","))
                    .collect::<Vec<_>>()
                    .join("` or `");
                return Err(Error::Input {
                    position: Position {
                        file: file.to_owned(),
                        line: 1,
                        column: 1,
                        path: String::new(),
                    },
                    message: format!(
                        "unexpected header `{}`: expected `{expected}`",
                        found.join(",")
                    ),
                });
            }
            found
        } else {
            accepted[0].iter().map(|name| (*name).to_owned()).collect()
        };
        Ok(CsvRows {
            file: file.to_owned(),
            reader,
            record: csv::StringRecord::new(),
            columns,
        })
    }

    /// The next data row; blank lines are skipped. Rows must have as many fields as there are
    /// columns.
    pub(crate) fn next_row(&mut self) -> Option<Result<Row<'_>, Error>> {
        loop {
            match self.reader.read_record(&mut self.record) {
                Ok(false) => return None,
                Err(err) => return Some(Err(csv_error(&self.file, &err))),
                Ok(true) => {}
            }
            // The csv reader already skips empty lines; a lone empty field is a blank line too.
            if self.record.len() == 1 && self.record[0].trim().is_empty() {
                continue;
            }
            let row = Row {
                file: &self.file,
                record: &self.record,
                columns: &self.columns,
            };
            if self.record.len() != self.columns.len() {
                return Some(Err(row.error(
                    0,
                    format!(
                        "expected {} fields ({}), found {}",
                        self.columns.len(),
                        self.columns.join(","),
                        self.record.len()
                    ),
                )));
            }
            return Some(Ok(row));
        }
    }

    /// The next data row, parsed by `parse`.
    pub(crate) fn parse_next<T>(
        &mut self,
        parse: impl FnOnce(&Row<'_>) -> Result<T, Error>,
    ) -> Option<Result<T, Error>> {
        Some(self.next_row()?.and_then(|row| parse(&row)))
    }

    /// The file being read.
    pub(crate) fn file(&self) -> &Path {
        &self.file
    }

    /// The column names: the header as found (trimmed), or those given for a headerless file.
    /// Lets a loader that accepts several headers tell which one the file has.
    pub(crate) fn columns(&self) -> &[String] {
        &self.columns
    }
}

/// Streams the records of a trace whose rows parse on their own, one typed record per row.
/// Each format names its instance (e.g. [`openb::OpenbNodes`]) and gives it an `open`.
pub struct Records<T> {
    rows: CsvRows,
    parse: fn(&Row<'_>) -> Result<T, Error>,
}

impl<T> Records<T> {
    fn new(rows: CsvRows, parse: fn(&Row<'_>) -> Result<T, Error>) -> Records<T> {
        Records { rows, parse }
    }

    /// The file being read.
    pub fn file(&self) -> &Path {
        self.rows.file()
    }

    /// The 1-based line of the row read last; 0 before the first.
    pub fn line(&self) -> u64 {
        self.rows.record.position().map_or(0, csv::Position::line)
    }
}

impl<T> Iterator for Records<T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.rows.parse_next(self.parse)
    }
}

/// One data row of a [`CsvRows`].
pub(crate) struct Row<'a> {
    file: &'a Path,
    record: &'a csv::StringRecord,
    columns: &'a [String],
}

impl Row<'_> {
    /// 1-based line of the row.
    pub(crate) fn line(&self) -> u64 {
        self.record.position().map_or(0, csv::Position::line)
    }

    /// 1-based column where field `idx` starts (exact for unquoted rows).
    fn column(&self, idx: usize) -> u64 {
        self.record
            .range(idx)
            .map_or(1, |range| (range.start + idx + 1) as u64)
    }

    /// An input error at field `idx`.
    pub(crate) fn error(&self, idx: usize, message: String) -> Error {
        Error::Input {
            position: Position {
                file: self.file.to_owned(),
                line: self.line(),
                column: self.column(idx),
                path: self.columns.get(idx).cloned().unwrap_or_default(),
            },
            message,
        }
    }

    /// Number of fields in the row.
    pub(crate) fn n_fields(&self) -> usize {
        self.record.len()
    }

    /// Field `idx`, trimmed of surrounding spaces.
    pub(crate) fn text(&self, idx: usize) -> &str {
        self.record.get(idx).unwrap_or("").trim()
    }

    /// Field `idx` parsed as `T`; `expected` says what a valid value looks like.
    pub(crate) fn parse<T: FromStr>(&self, idx: usize, expected: &str) -> Result<T, Error> {
        let text = self.text(idx);
        text.parse()
            .map_err(|_| self.error(idx, format!("`{text}` is not {expected}")))
    }

    /// Field `idx` as an optional value: empty (or `NaN`) means absent.
    pub(crate) fn parse_opt<T: FromStr>(
        &self,
        idx: usize,
        expected: &str,
    ) -> Result<Option<T>, Error> {
        let text = self.text(idx);
        if text.is_empty() || text.eq_ignore_ascii_case("nan") {
            Ok(None)
        } else {
            self.parse(idx, expected).map(Some)
        }
    }

    /// Field `idx`, trimmed and required to be non-empty; `what` names it in the error.
    pub(crate) fn name(&self, idx: usize, what: &str) -> Result<String, Error> {
        let text = self.text(idx);
        if text.is_empty() {
            return Err(self.error(idx, format!("empty {what}")));
        }
        Ok(text.to_owned())
    }

    /// Field `idx` as a non-negative decimal number times `scale`, rounded to the nearest whole
    /// unit: trace files give vCPUs and GiB as decimals where the model counts milli-cores and
    /// bytes. `expected` says what a valid value looks like ("a number of vCPUs").
    pub(crate) fn scaled(&self, idx: usize, scale: f64, expected: &str) -> Result<u64, Error> {
        let text = self.text(idx);
        let bad = || self.error(idx, format!("`{text}` is not {expected} ≥ 0"));
        let value: f64 = text.parse().map_err(|_| bad())?;
        let scaled = (value * scale).round();
        // Above 2^63 the cast would saturate silently; no trace needs values that large.
        if !value.is_finite() || value < 0.0 || scaled >= 9.2e18 {
            return Err(bad());
        }
        Ok(scaled as u64)
    }

    /// Field `idx` as a non-negative decimal number of seconds, in whole milliseconds (rounded
    /// to nearest); empty or `NaN` means absent.
    pub(crate) fn seconds_ms(&self, idx: usize) -> Result<Option<u64>, Error> {
        let Some(seconds) = self.parse_opt::<f64>(idx, "a number of seconds")? else {
            return Ok(None);
        };
        let ms = (seconds * 1000.0).round();
        // Above 2^63 ms (292 million years) the cast would saturate silently.
        if !seconds.is_finite() || seconds < 0.0 || ms >= 9.2e18 {
            return Err(self.error(
                idx,
                format!("`{}` is not a number of seconds ≥ 0", self.text(idx)),
            ));
        }
        Ok(Some(ms as u64))
    }
}

fn csv_error(file: &Path, err: &csv::Error) -> Error {
    let (line, message) = match err.kind() {
        csv::ErrorKind::Utf8 { pos, err } => (
            pos.as_ref().map_or(0, csv::Position::line),
            format!("field {} is not valid UTF-8", err.field() + 1),
        ),
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => (
            pos.as_ref().map_or(0, csv::Position::line),
            format!("expected {expected_len} fields, found {len}"),
        ),
        csv::ErrorKind::Io(io) => (0, format!("cannot read: {io}")),
        _ => (0, err.to_string()),
    };
    Error::Input {
        position: Position {
            file: file.to_owned(),
            line,
            column: if line > 0 { 1 } else { 0 },
            path: String::new(),
        },
        message,
    }
}
