//! The tables of a run: each one's columns defined once, its rows built from records, and
//! written as CSV or Parquet.
//!
//! A table is a list of [`Column`]s and rows of [`Cell`]s; the format only decides how a cell
//! is spelled (a decimal with fixed places in CSV, a typed value in Parquet), so the two
//! formats cannot drift apart.

use std::fs::File;
use std::path::{Path, PathBuf};

use sim_core::SimTime;
use sim_core::record::{AllocationRecord, EventRecord, JobRecord, NamespaceRecord};

use crate::error::Error;
use crate::metrics::micro_gpu_hours;
use crate::names::Names;
use crate::parquet::ParquetTable;

/// How a run's tables are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableFormat {
    /// Typed, compressed and with column statistics: what polars, pandas or DuckDB read fastest.
    Parquet,
    /// Plain text, for eyes, diffs and spreadsheets.
    Csv,
}

impl TableFormat {
    /// The file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            TableFormat::Parquet => "parquet",
            TableFormat::Csv => "csv",
        }
    }
}

/// How a column's values are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Text (Parquet: String).
    Text,
    /// A count or an id (Parquet: UInt64).
    Count,
    /// A signed whole number (Parquet: Int64).
    Int,
    /// Thousandths kept as integers: ms as seconds, milli-GPU as GPUs (Parquet: Float64; CSV: 3
    /// decimals).
    Milli,
    /// Millionths: GPU-hours (Parquet: Float64; CSV: 6 decimals).
    Micro,
    /// Any float: means and intervals (Parquet: Float64; CSV: the shortest text that reads
    /// back as the same value).
    Float,
}

/// One column of a table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Column {
    pub name: &'static str,
    pub kind: Kind,
}

/// One value of a row; [`Cell::Null`] is an empty CSV field and a Parquet null.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cell {
    Text(String),
    Count(u64),
    Int(i64),
    Milli(u64),
    Micro(u128),
    Float(f64),
    Null,
}

const fn col(name: &'static str, kind: Kind) -> Column {
    Column { name, kind }
}

/// `jobs`: one row per job.
pub(crate) const JOBS: [Column; 22] = [
    col("job_id", Kind::Count),
    col("name", Kind::Text),
    col("namespace", Kind::Text),
    col("priority_class", Kind::Text),
    col("state", Kind::Text),
    col("submit_s", Kind::Milli),
    col("start_s", Kind::Milli),
    col("end_s", Kind::Milli),
    col("wait_s", Kind::Milli),
    col("jct_s", Kind::Milli),
    col("replicas", Kind::Count),
    col("gpus", Kind::Count),
    col("gpu_hours", Kind::Micro),
    col("clusters", Kind::Text),
    col("attempts", Kind::Count),
    col("last_failure", Kind::Text),
    col("evictions", Kind::Count),
    col("preemptions", Kind::Count),
    col("restarts", Kind::Count),
    col("lost_gpu_hours", Kind::Micro),
    col("recoveries", Kind::Count),
    col("mean_recovery_s", Kind::Milli),
];

/// `timeline`: one row per allocation change of a (cluster, GPU model).
pub(crate) const TIMELINE: [Column; 7] = [
    col("time_s", Kind::Milli),
    col("cluster", Kind::Text),
    col("gpu_model", Kind::Text),
    col("allocated_gpus", Kind::Milli),
    col("capacity_gpus", Kind::Milli),
    col("fragment_gpus", Kind::Milli),
    col("power_watts", Kind::Milli),
];

/// `cost`: the spending rate of each pricing over time (only for runs with prices).
pub(crate) const COST: [Column; 3] = [
    col("time_s", Kind::Milli),
    col("pricing", Kind::Text),
    col("usd_per_hour", Kind::Micro),
];

/// `quota`: one row per change of a namespace's GPU use.
pub(crate) const QUOTA: [Column; 6] = [
    col("time_s", Kind::Milli),
    col("namespace", Kind::Text),
    col("gpus_in_use", Kind::Milli),
    col("budget_gpus", Kind::Int),
    col("quota_granted_gpus", Kind::Int),
    col("over_budget_gpus", Kind::Milli),
];

/// `events`: one row per fault, eviction, preemption, restart or recovery.
pub(crate) const EVENTS: [Column; 11] = [
    col("time_s", Kind::Milli),
    col("kind", Kind::Text),
    col("cluster", Kind::Text),
    col("node", Kind::Count),
    col("job_id", Kind::Count),
    col("namespace", Kind::Text),
    col("pods", Kind::Count),
    col("gpus", Kind::Milli),
    col("lost_gpu_hours", Kind::Micro),
    col("recovery_s", Kind::Milli),
    col("reason", Kind::Text),
];

/// `queue`: jobs waiting over time, overall and per priority class.
pub(crate) const QUEUE: [Column; 3] = [
    col("time_s", Kind::Milli),
    col("priority_class", Kind::Text),
    col("waiting_jobs", Kind::Count),
];

fn text(value: &str) -> Cell {
    Cell::Text(value.to_owned())
}

fn text_or_null(value: Option<&str>) -> Cell {
    match value {
        Some(value) if !value.is_empty() => text(value),
        _ => Cell::Null,
    }
}

fn milli_or_null(value: Option<u64>) -> Cell {
    value.map_or(Cell::Null, Cell::Milli)
}

fn count_or_null(value: Option<u64>) -> Cell {
    value.map_or(Cell::Null, Cell::Count)
}

/// The `jobs` row of a job record.
pub(crate) fn job_row(job: &JobRecord, names: &Names) -> Vec<Cell> {
    let since_submit = |time: Option<SimTime>| milli_or_null(time.map(|t| t.since(job.submit).0));
    let clusters: Vec<String> = job
        .clusters
        .iter()
        .map(|&(id, replicas)| format!("{}:{replicas}", names.cluster(id)))
        .collect();
    let faults = &job.faults;
    let mean_recovery_ms = (faults.n_recoveries > 0).then(|| {
        let n = u64::from(faults.n_recoveries);
        (faults.recovery_ms + n / 2) / n
    });
    vec![
        Cell::Count(job.id.0),
        text(&job.name),
        text(names.namespace(job.namespace)),
        text_or_null(names.priority_class(job.priority_class)),
        text(job.state.as_str()),
        Cell::Milli(job.submit.as_millis()),
        milli_or_null(job.start.map(SimTime::as_millis)),
        milli_or_null(job.end.map(SimTime::as_millis)),
        since_submit(job.start),
        since_submit(job.end),
        Cell::Count(job.n_replicas),
        Cell::Count(job.n_gpus),
        Cell::Micro(micro_gpu_hours(job.gpu_milli_ms)),
        text_or_null(Some(&clusters.join(";"))),
        Cell::Count(u64::from(job.n_attempts)),
        text_or_null(job.last_failure.as_deref()),
        Cell::Count(u64::from(faults.n_evictions)),
        Cell::Count(u64::from(faults.n_preemptions)),
        Cell::Count(u64::from(faults.n_restarts)),
        Cell::Micro(micro_gpu_hours(faults.lost_gpu_milli_ms)),
        Cell::Count(u64::from(faults.n_recoveries)),
        milli_or_null(mean_recovery_ms),
    ]
}

/// The `timeline` row of an allocation record; `power_milliwatts` is the facility power of
/// the pair's nodes, `None` when the world gives no power figures.
pub(crate) fn allocation_row(
    allocation: &AllocationRecord,
    power_milliwatts: Option<u64>,
    names: &Names,
) -> Vec<Cell> {
    vec![
        Cell::Milli(allocation.time.as_millis()),
        text(names.cluster(allocation.cluster)),
        text(names.gpu_model(allocation.gpu_model)),
        Cell::Milli(allocation.allocated_milli),
        Cell::Milli(allocation.capacity_milli),
        Cell::Milli(allocation.fragment_milli),
        milli_or_null(power_milliwatts),
    ]
}

/// The `cost` row of a change in a pricing's spending rate.
pub(crate) fn cost_row(rate: &crate::economics::CostRate) -> Vec<Cell> {
    vec![
        Cell::Milli(rate.time_ms),
        text(rate.pricing.as_str()),
        Cell::Micro(u128::from(rate.micro_usd_per_hour)),
    ]
}

/// The `quota` row of a namespace record.
pub(crate) fn namespace_row(record: &NamespaceRecord, names: &Names) -> Vec<Cell> {
    let gpus = |g: Option<i64>| g.map_or(Cell::Null, Cell::Int);
    let over = record.budget_gpus.map_or(Cell::Null, |budget| {
        Cell::Milli(
            record
                .gpus_in_use_milli
                .saturating_sub(budget.max(0) as u64 * 1000),
        )
    });
    vec![
        Cell::Milli(record.time.as_millis()),
        text(names.namespace(record.namespace)),
        Cell::Milli(record.gpus_in_use_milli),
        gpus(record.budget_gpus),
        gpus(record.quota_granted_gpus),
        over,
    ]
}

/// The `events` row of an event record.
pub(crate) fn event_row(event: &EventRecord, names: &Names) -> Vec<Cell> {
    vec![
        Cell::Milli(event.time.as_millis()),
        text(event.kind.as_str()),
        text_or_null(event.cluster.map(|c| names.cluster(c))),
        count_or_null(event.node.map(u64::from)),
        count_or_null(event.job.map(|j| j.0)),
        text_or_null(event.namespace.map(|n| names.namespace(n))),
        Cell::Count(u64::from(event.pods)),
        Cell::Milli(event.gpu_milli),
        Cell::Micro(micro_gpu_hours(event.lost_gpu_milli_ms)),
        milli_or_null(event.recovery_ms),
        text_or_null(Some(&event.reason)),
    ]
}

/// One table being written, in either format; keeps its path for error messages.
pub(crate) struct Table {
    path: PathBuf,
    sink: Sink,
}

enum Sink {
    Csv(Box<csv::Writer<File>>),
    Parquet(Box<ParquetTable>),
}

impl Table {
    /// Creates `dir/STEM.EXT` and, for CSV, writes the header.
    pub fn create(
        dir: &Path,
        stem: &str,
        columns: &'static [Column],
        format: TableFormat,
    ) -> Result<Table, Error> {
        let path = dir.join(format!("{stem}.{}", format.extension()));
        let named: Vec<(String, Kind)> = columns
            .iter()
            .map(|c| (c.name.to_owned(), c.kind))
            .collect();
        Table::create_at(&path, &named, format)
    }

    /// Creates the table at `path` with columns named at run time (a sweep's axes and
    /// metrics).
    pub fn create_at(
        path: &Path,
        columns: &[(String, Kind)],
        format: TableFormat,
    ) -> Result<Table, Error> {
        let path = path.to_owned();
        let sink = match format {
            TableFormat::Csv => {
                let mut writer = csv::Writer::from_path(&path).map_err(csv_error(&path))?;
                writer
                    .write_record(columns.iter().map(|c| &c.0))
                    .map_err(csv_error(&path))?;
                Sink::Csv(Box::new(writer))
            }
            TableFormat::Parquet => Sink::Parquet(Box::new(ParquetTable::create(&path, columns)?)),
        };
        Ok(Table { path, sink })
    }

    /// Appends one row; its cells follow the table's columns.
    pub fn write(&mut self, row: &[Cell]) -> Result<(), Error> {
        match &mut self.sink {
            Sink::Csv(writer) => writer
                .write_record(row.iter().map(csv_field))
                .map_err(csv_error(&self.path)),
            Sink::Parquet(table) => table.push(row),
        }
    }

    /// Writes what is buffered and closes the file (the Parquet footer).
    pub fn finish(self) -> Result<(), Error> {
        match self.sink {
            Sink::Csv(mut writer) => writer.flush().map_err(|source| Error::Io {
                path: self.path.clone(),
                source,
            }),
            Sink::Parquet(table) => table.finish(),
        }
    }
}

fn csv_field(cell: &Cell) -> String {
    match cell {
        Cell::Text(text) => text.clone(),
        Cell::Count(n) => n.to_string(),
        Cell::Int(n) => n.to_string(),
        Cell::Milli(n) => thousandths(*n),
        Cell::Micro(n) => format!("{}.{:06}", n / 1_000_000, n % 1_000_000),
        Cell::Float(value) => format!("{value}"),
        Cell::Null => String::new(),
    }
}

fn csv_error(path: &Path) -> impl Fn(csv::Error) -> Error + '_ {
    move |source| Error::Csv {
        path: path.to_owned(),
        source,
    }
}

/// An integer count of thousandths (ms, milli-GPU) as a decimal with exactly 3 places.
fn thousandths(value: u64) -> String {
    format!("{}.{:03}", value / 1000, value % 1000)
}
