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
use crate::tables::{Cell, Kind};

/// Rows per row group: large enough for good compression and useful statistics, small enough
/// that five tables' buffers stay a few tens of MB.
pub(crate) const ROW_GROUP_ROWS: usize = 64 * 1024;

/// The polars type a column kind is stored as.
pub(crate) fn dtype(kind: Kind) -> DataType {
    match kind {
        Kind::Text => DataType::String,
        Kind::Count => DataType::UInt64,
        Kind::Int => DataType::Int64,
        Kind::Milli | Kind::Micro | Kind::Float => DataType::Float64,
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
            Kind::Milli | Kind::Micro | Kind::Float => Buffer::Float(Vec::with_capacity(n)),
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
            (Buffer::Float(v), Cell::Float(x)) => v.push(Some(*x)),
            (Buffer::Float(v), Cell::Null) => v.push(None),
            _ => return false,
        }
        true
    }

    /// The buffered values as a polars column, leaving the buffer empty.
    fn take(&mut self, name: PlSmallStr) -> PlColumn {
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
    names: Vec<PlSmallStr>,
    buffers: Vec<Buffer>,
    n_buffered: usize,
    writer: BatchedWriter<File>,
}

impl ParquetTable {
    /// Creates the file; nothing is written until the first row group is full.
    pub fn create(path: &Path, columns: &[(String, Kind)]) -> Result<ParquetTable, Error> {
        let file = File::create(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        let schema: Schema = columns
            .iter()
            .map(|(name, kind)| (PlSmallStr::from(name.as_str()), dtype(*kind)))
            .collect();
        let writer = ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .with_statistics(StatisticsOptions::full())
            .set_parallel(false)
            .batched(&schema)
            .map_err(polars_error(path))?;
        Ok(ParquetTable {
            path: path.to_owned(),
            names: columns
                .iter()
                .map(|(name, _)| PlSmallStr::from(name.as_str()))
                .collect(),
            buffers: columns.iter().map(|(_, kind)| Buffer::new(*kind)).collect(),
            n_buffered: 0,
            writer,
        })
    }

    pub fn push(&mut self, row: &[Cell]) -> Result<(), Error> {
        debug_assert_eq!(row.len(), self.names.len());
        for ((buffer, cell), name) in self.buffers.iter_mut().zip(row).zip(&self.names) {
            if !buffer.push(cell) {
                return Err(Error::Invariant(format!(
                    "{}: column {name} cannot hold {cell:?}",
                    self.path.display(),
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
            .zip(&self.names)
            .map(|(buffer, name)| buffer.take(name.clone()))
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

#[cfg(test)]
mod tests {
    use polars::prelude::{ParquetReader, SerReader};

    use super::*;
    use crate::tables::Kind;

    #[test]
    fn rows_past_one_row_group_start_the_next_with_statistics() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let columns = [
            ("time_s".to_owned(), Kind::Milli),
            ("name".to_owned(), Kind::Text),
        ];
        let mut table = ParquetTable::create(&path, &columns).unwrap();
        let n_rows = ROW_GROUP_ROWS + 10;
        for idx in 0..n_rows {
            let name = if idx % 2 == 0 {
                Cell::Null
            } else {
                Cell::Text("x".into())
            };
            table.push(&[Cell::Milli(idx as u64 * 1500), name]).unwrap();
        }
        table.finish().unwrap();
        let mut reader = ParquetReader::new(std::fs::File::open(&path).unwrap());
        let metadata = reader.get_metadata().unwrap().clone();
        let groups: Vec<usize> = metadata.row_groups.iter().map(|g| g.num_rows()).collect();
        assert_eq!(groups, [ROW_GROUP_ROWS, 10]);
        // The second group's times run from 65,536 × 1.5 s to 65,545 × 1.5 s: min and max
        // are in its statistics, which is what lets a reader skip it.
        let time = &metadata.row_groups[1].parquet_columns()[0];
        let stats = time
            .statistics(&metadata.footer_buf)
            .expect("statistics written")
            .unwrap();
        let stats = format!("{stats:?}");
        assert!(stats.contains("null_count: Some(0)"), "{stats}");
        assert!(stats.contains("min_value: Some(98304.0)"), "{stats}");
        assert!(stats.contains("max_value: Some(98317.5)"), "{stats}");
        let frame = reader.finish().unwrap();
        assert_eq!(frame.height(), n_rows);
        let times = frame.column("time_s").unwrap().f64().unwrap();
        assert_eq!(times.get(ROW_GROUP_ROWS), Some(ROW_GROUP_ROWS as f64 * 1.5));
        assert_eq!(frame.column("name").unwrap().null_count(), n_rows / 2);
    }
}
