//! Reading a run's tables back, from Parquet or CSV, so figures and the report can be drawn
//! again without re-simulating.
//!
//! Tables are streamed, Parquet one row group at a time and CSV one record at a time, and only
//! the columns asked for are decoded, so reading a table takes about the same memory whatever
//! its length. A missing file, a missing column or a value of the wrong type is an
//! [`Error::Input`] naming the file and the column.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::{DataType, ParallelStrategy, ParquetReader, SerReader};

use crate::error::Error;
use crate::parquet::{dtype, polars_error};
use crate::tables::{Column, Kind, TableFormat};

/// The most columns read from one table at a time: a row is kept on the stack.
const MAX_COLUMNS: usize = 8;

/// One value as read: text, or a number (counts, seconds, GPUs) as a float.
#[derive(Clone, Copy, Debug)]
enum Field<'a> {
    Text(Option<&'a str>),
    Number(Option<f64>),
}

/// One row of a table: the columns asked for, in the order asked.
pub(crate) struct Row<'r, 'a> {
    fields: &'r [Field<'a>],
}

impl<'a> Row<'_, 'a> {
    /// The text in column `idx` (in the order asked); `None` when null (or empty, in CSV).
    pub fn text(&self, idx: usize) -> Option<&'a str> {
        match self.fields.get(idx) {
            Some(Field::Text(text)) => *text,
            other => {
                debug_assert!(other.is_none(), "column {idx} was not read as text");
                None
            }
        }
    }

    /// The number in column `idx` (in the order asked); `None` when null.
    pub fn number(&self, idx: usize) -> Option<f64> {
        match self.fields.get(idx) {
            Some(Field::Number(number)) => *number,
            other => {
                debug_assert!(other.is_none(), "column {idx} was not read as a number");
                None
            }
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

/// A table whose file and columns have been checked, ready to be read row by row.
pub(crate) struct Table {
    path: PathBuf,
    format: TableFormat,
    /// The columns checked, in the order asked.
    columns: Vec<Column>,
}

/// Opens table `stem` (whose full schema is `schema`) of run folder `dir` in `format`, and
/// checks that it has the columns `wanted` with their types.
pub(crate) fn open_table(
    dir: &Path,
    stem: &str,
    schema: &'static [Column],
    wanted: &[&str],
    format: TableFormat,
) -> Result<Table, Error> {
    let path = dir.join(format!("{stem}.{}", format.extension()));
    let columns = wanted
        .iter()
        .map(|name| {
            schema
                .iter()
                .find(|c| c.name == *name)
                .copied()
                .ok_or_else(|| Error::Invariant(format!("{stem} has no column {name}")))
        })
        .collect::<Result<Vec<Column>, Error>>()?;
    if columns.len() > MAX_COLUMNS {
        return Err(Error::Invariant(format!(
            "{stem}: at most {MAX_COLUMNS} columns are read at a time"
        )));
    }
    if !path.is_file() {
        return Err(Error::Input {
            path,
            message: "missing".to_owned(),
        });
    }
    let table = Table {
        path,
        format,
        columns,
    };
    match format {
        TableFormat::Parquet => table.check_parquet()?,
        TableFormat::Csv => {
            table.csv_indexes(&table.columns)?;
        }
    }
    Ok(table)
}

impl Table {
    fn input(&self, message: String) -> Error {
        Error::Input {
            path: self.path.clone(),
            message,
        }
    }

    fn csv_error(&self) -> impl Fn(csv::Error) -> Error + '_ {
        |source| Error::Csv {
            path: self.path.clone(),
            source,
        }
    }

    /// Calls `each` with every row in file order, holding the columns named in `names` (some
    /// of those checked when the table was opened), in that order.
    pub fn for_each_row(
        &self,
        names: &[&str],
        mut each: impl FnMut(&Row<'_, '_>),
    ) -> Result<(), Error> {
        let columns = names
            .iter()
            .map(|name| {
                self.columns
                    .iter()
                    .find(|c| c.name == *name)
                    .copied()
                    .ok_or_else(|| {
                        Error::Invariant(format!(
                            "{}: column {name} was not checked",
                            self.path.display()
                        ))
                    })
            })
            .collect::<Result<Vec<Column>, Error>>()?;
        match self.format {
            TableFormat::Parquet => self.parquet_rows(&columns, &mut each),
            TableFormat::Csv => self.csv_rows(&columns, &mut each),
        }
    }

    fn open_parquet(&self) -> Result<File, Error> {
        File::open(&self.path).map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })
    }

    /// That the file is Parquet and has the columns with their types, from its footer alone.
    fn check_parquet(&self) -> Result<(), Error> {
        let mut file = self.open_parquet()?;
        let schema = ParquetReader::new(&mut file)
            .schema()
            .map_err(polars_error(&self.path))?;
        let mut found = Vec::new();
        for column in &self.columns {
            match schema.get(column.name) {
                Some(field) => found.push(DataType::from_arrow_field(field)),
                None => return Err(self.input(format!("no column {}", column.name))),
            }
        }
        for (column, actual) in self.columns.iter().zip(found) {
            let expected = dtype(column.kind);
            if actual != expected {
                return Err(self.input(format!(
                    "column {} is {actual}, expected {expected}",
                    column.name
                )));
            }
        }
        Ok(())
    }

    /// Reads one row group at a time: polars maps the file, decodes the projected columns of
    /// that group only, and unmaps it again, so only the footer (its metadata per row group)
    /// grows with the table, not the rows held or the pages mapped.
    fn parquet_rows(
        &self,
        columns: &[Column],
        each: &mut impl FnMut(&Row<'_, '_>),
    ) -> Result<(), Error> {
        let error = polars_error(&self.path);
        let mut file = self.open_parquet()?;
        let metadata = ParquetReader::new(&mut file)
            .get_metadata()
            .map_err(&error)?
            .clone();
        let names: Vec<String> = columns.iter().map(|c| c.name.to_owned()).collect();
        let mut offset = 0;
        for group in &metadata.row_groups {
            let n_rows = group.num_rows();
            // Row groups in parallel is the strategy that skips the groups outside the slice.
            let mut reader = ParquetReader::new(&mut file)
                .with_columns(Some(names.clone()))
                .with_slice(Some((offset, n_rows)))
                .read_parallel(ParallelStrategy::RowGroups);
            reader.set_metadata(metadata.clone());
            let frame = reader.finish().map_err(&error)?;
            offset += n_rows;
            let mut decoded: Vec<Vec<Field<'_>>> = Vec::with_capacity(columns.len());
            for column in columns {
                let series = frame
                    .column(column.name)
                    .map_err(&error)?
                    .as_materialized_series();
                let values: Vec<Field<'_>> = if column.kind == Kind::Text {
                    let strings = series.str().map_err(&error)?;
                    strings.iter().map(Field::Text).collect()
                } else {
                    let floats = series.cast(&DataType::Float64).map_err(&error)?;
                    let floats = floats.f64().map_err(&error)?;
                    floats.iter().map(Field::Number).collect()
                };
                decoded.push(values);
            }
            let mut fields = [Field::Number(None); MAX_COLUMNS];
            for idx in 0..frame.height() {
                for (field, values) in fields.iter_mut().zip(&decoded) {
                    *field = values[idx];
                }
                each(&Row {
                    fields: &fields[..columns.len()],
                });
            }
        }
        Ok(())
    }

    /// The positions of `columns` in the CSV header.
    fn csv_indexes(&self, columns: &[Column]) -> Result<Vec<usize>, Error> {
        let mut reader = csv::Reader::from_path(&self.path).map_err(self.csv_error())?;
        let header = reader.headers().map_err(self.csv_error())?;
        columns
            .iter()
            .map(|column| {
                header
                    .iter()
                    .position(|h| h == column.name)
                    .ok_or_else(|| self.input(format!("no column {}", column.name)))
            })
            .collect()
    }

    fn csv_rows(
        &self,
        columns: &[Column],
        each: &mut impl FnMut(&Row<'_, '_>),
    ) -> Result<(), Error> {
        let indexes = self.csv_indexes(columns)?;
        let mut reader = csv::Reader::from_path(&self.path).map_err(self.csv_error())?;
        let mut record = csv::StringRecord::new();
        let mut row_idx = 0;
        while reader.read_record(&mut record).map_err(self.csv_error())? {
            let mut fields = [Field::Number(None); MAX_COLUMNS];
            for ((field, column), &idx) in fields.iter_mut().zip(columns).zip(&indexes) {
                let text = record.get(idx).unwrap_or("");
                *field = match column.kind {
                    Kind::Text => Field::Text((!text.is_empty()).then_some(text)),
                    _ if text.is_empty() => Field::Number(None),
                    _ => Field::Number(Some(text.parse::<f64>().map_err(|_| {
                        self.input(format!(
                            "line {}: column {}: {text:?} is not a number",
                            row_idx + 2,
                            column.name
                        ))
                    })?)),
                };
            }
            each(&Row {
                fields: &fields[..columns.len()],
            });
            row_idx += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use polars::prelude::{Column as PlColumn, DataFrame, ParquetWriter};

    use super::*;
    use crate::tables::QUOTA;

    fn quota_rows(dir: &Path, format: TableFormat, names: &[&str]) -> Result<Vec<String>, Error> {
        let table = open_table(dir, "quota", &QUOTA, names, format)?;
        let mut rows = Vec::new();
        table.for_each_row(names, |row| rows.push(format!("{:?}", row.fields)))?;
        Ok(rows)
    }

    fn input_message(error: Error) -> String {
        match error {
            Error::Input { path, message } => format!("{}: {message}", path.display()),
            other => panic!("not an input error: {other}"),
        }
    }

    /// A folder holding `quota.csv` with `text`.
    fn quota_csv(text: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("quota.csv"), text).unwrap();
        dir
    }

    #[test]
    fn csv_rows_stream_with_empty_fields_as_nulls() {
        let dir =
            quota_csv("time_s,namespace,gpus_in_use,budget_gpus\n0.000,a,1.500,\n2.000,,,4\n");
        let names = ["time_s", "namespace", "budget_gpus"];
        assert_eq!(
            quota_rows(dir.path(), TableFormat::Csv, &names).unwrap(),
            [
                "[Number(Some(0.0)), Text(Some(\"a\")), Number(None)]",
                "[Number(Some(2.0)), Text(None), Number(Some(4.0))]"
            ]
        );
    }

    #[test]
    fn a_bad_csv_number_names_the_line_and_column() {
        let dir = quota_csv("time_s,namespace,gpus_in_use\n0.000,a,1\n1.000,a,lots\n");
        let error = quota_rows(dir.path(), TableFormat::Csv, &["time_s", "gpus_in_use"]);
        let message = input_message(error.unwrap_err());
        assert!(message.contains("quota.csv"), "{message}");
        assert!(
            message.contains("line 3: column gpus_in_use: \"lots\" is not a number"),
            "{message}"
        );
        let error = quota_rows(dir.path(), TableFormat::Csv, &["time_s", "budget_gpus"]);
        let message = input_message(error.unwrap_err());
        assert!(
            message.ends_with("quota.csv: no column budget_gpus"),
            "{message}"
        );
    }

    #[test]
    fn parquet_rows_stream_across_row_groups_and_types_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("quota.parquet");
        let n = 5000;
        let mut frame = DataFrame::new(
            n,
            vec![
                PlColumn::new(
                    "time_s".into(),
                    (0..n).map(|i| i as f64).collect::<Vec<_>>(),
                ),
                PlColumn::new(
                    "namespace".into(),
                    (0..n)
                        .map(|i| (i % 3 != 0).then(|| format!("ns{}", i % 2)))
                        .collect::<Vec<_>>(),
                ),
                PlColumn::new("budget_gpus".into(), (0..n as i64).collect::<Vec<_>>()),
            ],
        )
        .unwrap();
        ParquetWriter::new(File::create(&path).unwrap())
            .with_row_group_size(Some(1000))
            .finish(&mut frame)
            .unwrap();
        let names = ["time_s", "namespace", "budget_gpus"];
        let table = open_table(dir.path(), "quota", &QUOTA, &names, TableFormat::Parquet).unwrap();
        let (mut count, mut sum, mut nulls) = (0, 0.0, 0);
        let mut in_order = true;
        table
            .for_each_row(&["budget_gpus", "namespace"], |row| {
                in_order &= row.number(0) == Some(count as f64);
                sum += row.number(0).unwrap();
                nulls += usize::from(row.text(1).is_none());
                count += 1;
            })
            .unwrap();
        assert!(in_order);
        assert_eq!((count, sum, nulls), (5000, 4999.0 * 5000.0 / 2.0, 1667));

        // gpus_in_use is missing; time_s asked as budget_gpus would be Float64, not Int64.
        let error = quota_rows(dir.path(), TableFormat::Parquet, &["time_s", "gpus_in_use"]);
        let message = input_message(error.unwrap_err());
        assert!(
            message.ends_with("quota.parquet: no column gpus_in_use"),
            "{message}"
        );
        std::fs::rename(&path, dir.path().join("other.parquet")).unwrap();
        let mut frame =
            DataFrame::new(1, vec![PlColumn::new("budget_gpus".into(), vec![1.5f64])]).unwrap();
        ParquetWriter::new(File::create(&path).unwrap())
            .finish(&mut frame)
            .unwrap();
        let error = open_table(
            dir.path(),
            "quota",
            &QUOTA,
            &["budget_gpus"],
            TableFormat::Parquet,
        );
        let message = input_message(error.err().unwrap());
        assert!(
            message.ends_with("quota.parquet: column budget_gpus is f64, expected i64"),
            "{message}"
        );
        std::fs::remove_file(&path).unwrap();
        let error = open_table(
            dir.path(),
            "quota",
            &QUOTA,
            &["time_s"],
            TableFormat::Parquet,
        );
        let message = input_message(error.err().unwrap());
        assert!(message.ends_with("quota.parquet: missing"), "{message}");
    }
}
