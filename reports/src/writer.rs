//! [`RunWriter`]: the record sink that produces a run's output files.

use std::path::{Path, PathBuf};

use sim_core::SimTime;
use sim_core::model::World;
use sim_core::record::{Record, RecordSink};

use crate::error::Error;
use crate::metrics::Metrics;
use crate::names::Names;
use crate::summary::{RunMeta, Summary};
use crate::tables::Table;

/// Streams a run's records into `jobs.csv` and `timeline.csv` in one directory and accumulates
/// the metrics of `summary.json`, which [`RunWriter::finish`] writes.
///
/// Rows go straight to buffered files; what stays in memory grows with the number of jobs
/// (their waiting and completion times), not with the timeline.
pub struct RunWriter {
    dir: PathBuf,
    names: Names,
    jobs: Table,
    timeline: Table,
    quota: Table,
    metrics: Metrics,
    /// The first write error: [`RecordSink::record`] cannot return it, so `finish` does.
    error: Option<Error>,
}

impl RunWriter {
    /// Creates `dir` if needed and the two tables in it, with their headers, for a run of
    /// `world`. Existing files are replaced. Balance is measured over all clusters as one group.
    pub fn create(dir: &Path, world: &World) -> Result<RunWriter, Error> {
        Self::create_grouped(dir, world, None)
    }

    /// As [`RunWriter::create`], measuring balance within groups of clusters that share the
    /// value of cluster label `balance_by`.
    pub fn create_grouped(
        dir: &Path,
        world: &World,
        balance_by: Option<&str>,
    ) -> Result<RunWriter, Error> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_owned(),
            source,
        })?;
        let names = Names::new(world);
        Ok(RunWriter {
            dir: dir.to_owned(),
            jobs: Table::jobs(dir)?,
            timeline: Table::timeline(dir)?,
            quota: Table::quota(dir)?,
            metrics: Metrics::new(
                &names,
                crate::balance::BalanceTracker::new(world, balance_by),
            ),
            names,
            error: None,
        })
    }

    /// Checks that the GPU time on the timeline up to `end` (allocated milli-GPU integrated
    /// over time) equals the sum of the job records' `gpu_milli_ms`; an
    /// [`Error::Invariant`] when they differ. [`RunWriter::finish`] checks this at the run's end.
    pub fn check_gpu_time(&self, end: SimTime) -> Result<(), Error> {
        self.metrics.check_gpu_time(end)
    }

    /// Flushes the tables, checks the GPU-time invariant, computes the summary and writes it to
    /// `summary.json`. Returns the first error met since [`RunWriter::create`], if any.
    pub fn finish(mut self, meta: &RunMeta) -> Result<Summary, Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        self.jobs.flush()?;
        self.timeline.flush()?;
        self.quota.flush()?;
        self.check_gpu_time(meta.end)?;
        let summary = self.metrics.summarize(meta, &self.names);
        let mut json = serde_json::to_vec_pretty(&summary)?;
        json.push(b'\n');
        let path = self.dir.join("summary.json");
        std::fs::write(&path, json).map_err(|source| Error::Io { path, source })?;
        Ok(summary)
    }
}

impl RecordSink for RunWriter {
    fn record(&mut self, record: Record) {
        let written = match &record {
            Record::Allocation(allocation) => {
                self.metrics.allocation(allocation);
                self.timeline.write_allocation(allocation, &self.names)
            }
            Record::Job(job) => {
                self.metrics.job(job);
                self.jobs.write_job(job, &self.names)
            }
            Record::Namespace(namespace) => {
                self.metrics.namespace(namespace);
                self.quota.write_namespace(namespace, &self.names)
            }
            Record::Event(_) => Ok(()),
        };
        // Once a file has failed, later rows would only pile up errors about the same cause.
        if let (Err(error), None) = (written, &self.error) {
            self.error = Some(error);
        }
    }
}
