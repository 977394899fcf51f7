//! The CSV tables of a run, streamed row by row through csv's buffered writers.

use std::fs::File;
use std::path::{Path, PathBuf};

use sim_core::SimTime;
use sim_core::record::{AllocationRecord, JobRecord, NamespaceRecord};

use crate::error::Error;
use crate::metrics::micro_gpu_hours;
use crate::names::Names;

const JOBS_HEADER: [&str; 16] = [
    "job_id",
    "name",
    "namespace",
    "priority_class",
    "state",
    "submit_s",
    "start_s",
    "end_s",
    "wait_s",
    "jct_s",
    "replicas",
    "gpus",
    "gpu_hours",
    "clusters",
    "attempts",
    "last_failure",
];

const TIMELINE_HEADER: [&str; 6] = [
    "time_s",
    "cluster",
    "gpu_model",
    "allocated_gpus",
    "capacity_gpus",
    "fragment_gpus",
];

/// `quota.csv`: one row per change of a namespace's GPU use.
const QUOTA_HEADER: [&str; 6] = [
    "time_s",
    "namespace",
    "gpus_in_use",
    "budget_gpus",
    "quota_granted_gpus",
    "over_budget_gpus",
];

/// One CSV file being written; keeps its path for error messages.
pub(crate) struct Table {
    path: PathBuf,
    writer: csv::Writer<File>,
}

impl Table {
    /// Creates `dir/file_name` and writes its header.
    fn create(dir: &Path, file_name: &str, header: &[&str]) -> Result<Table, Error> {
        let path = dir.join(file_name);
        let mut writer = csv::Writer::from_path(&path).map_err(csv_error(&path))?;
        writer.write_record(header).map_err(csv_error(&path))?;
        Ok(Table { path, writer })
    }

    pub fn jobs(dir: &Path) -> Result<Table, Error> {
        Table::create(dir, "jobs.csv", &JOBS_HEADER)
    }

    pub fn timeline(dir: &Path) -> Result<Table, Error> {
        Table::create(dir, "timeline.csv", &TIMELINE_HEADER)
    }

    pub fn write_job(&mut self, job: &JobRecord, names: &Names) -> Result<(), Error> {
        let secs = |ms: Option<u64>| ms.map_or(String::new(), thousandths);
        let since_submit = |time: Option<SimTime>| secs(time.map(|t| t.since(job.submit).0));
        let clusters: Vec<String> = job
            .clusters
            .iter()
            .map(|&(id, replicas)| format!("{}:{replicas}", names.cluster(id)))
            .collect();
        let gpu_hours = micro_gpu_hours(job.gpu_milli_ms);
        self.write(&[
            job.id.0.to_string(),
            job.name.clone(),
            names.namespace(job.namespace).to_owned(),
            names
                .priority_class(job.priority_class)
                .unwrap_or("")
                .to_owned(),
            job.state.as_str().to_owned(),
            thousandths(job.submit.as_millis()),
            secs(job.start.map(SimTime::as_millis)),
            secs(job.end.map(SimTime::as_millis)),
            since_submit(job.start),
            since_submit(job.end),
            job.n_replicas.to_string(),
            job.n_gpus.to_string(),
            format!("{}.{:06}", gpu_hours / 1_000_000, gpu_hours % 1_000_000),
            clusters.join(";"),
            job.n_attempts.to_string(),
            job.last_failure.clone().unwrap_or_default(),
        ])
    }

    pub fn quota(dir: &Path) -> Result<Table, Error> {
        Table::create(dir, "quota.csv", &QUOTA_HEADER)
    }

    pub fn write_namespace(
        &mut self,
        record: &NamespaceRecord,
        names: &Names,
    ) -> Result<(), Error> {
        let gpus = |g: Option<i64>| g.map_or(String::new(), |g| g.to_string());
        let over = record.budget_gpus.map_or(String::new(), |b| {
            thousandths(
                record
                    .gpus_in_use_milli
                    .saturating_sub(b.max(0) as u64 * 1000),
            )
        });
        self.write(&[
            thousandths(record.time.as_millis()),
            names.namespace(record.namespace).to_owned(),
            thousandths(record.gpus_in_use_milli),
            gpus(record.budget_gpus),
            gpus(record.quota_granted_gpus),
            over,
        ])
    }

    pub fn write_allocation(
        &mut self,
        allocation: &AllocationRecord,
        names: &Names,
    ) -> Result<(), Error> {
        self.write(&[
            thousandths(allocation.time.as_millis()),
            names.cluster(allocation.cluster).to_owned(),
            names.gpu_model(allocation.gpu_model).to_owned(),
            thousandths(allocation.allocated_milli),
            thousandths(allocation.capacity_milli),
            thousandths(allocation.fragment_milli),
        ])
    }

    fn write(&mut self, row: &[String]) -> Result<(), Error> {
        self.writer.write_record(row).map_err(csv_error(&self.path))
    }

    pub fn flush(&mut self) -> Result<(), Error> {
        self.writer.flush().map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })
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
