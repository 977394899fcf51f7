//! [`DigestSink`]: the record sink of runs that write no tables (the cells of a sweep, the
//! points of a plan). It keeps the summary's online metrics and, per job, only the times its
//! waiting and completion metrics need, so a run's memory grows with its jobs, never with
//! its timeline, and nothing touches the disk.

use sim_core::model::World;
use sim_core::record::{JobState, Record, RecordSink};

use crate::error::Error;
use crate::metrics::Metrics;
use crate::names::Names;
use crate::summary::{RunMeta, Summary};

/// What a run without tables leaves: its summary and every job's times.
#[derive(Clone, Debug)]
pub struct RunDigest {
    /// The summary `summary.json` would hold.
    pub summary: Summary,
    /// One entry per job, in record order.
    pub jobs: Vec<JobTimes>,
    /// Namespace names by id.
    pub namespaces: Vec<String>,
    /// Priority class names by id.
    pub priority_classes: Vec<String>,
    /// Simulated end of the run, in ms.
    pub end_ms: u64,
}

/// One job's group and times, in ms since the start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobTimes {
    /// Namespace id.
    pub namespace: u32,
    /// Priority class id, if any.
    pub priority_class: Option<u32>,
    /// Submission.
    pub submit_ms: u64,
    /// First start with every replica running, if it happened.
    pub start_ms: Option<u64>,
    /// Completion, if the job completed.
    pub completed_ms: Option<u64>,
}

impl JobTimes {
    /// Time from submission to start; a job that never started counts as waiting until
    /// `end_ms`, so a fleet too small to start jobs never looks fast.
    pub fn wait_ms(&self, end_ms: u64) -> u64 {
        self.start_ms
            .unwrap_or(end_ms)
            .saturating_sub(self.submit_ms)
    }
}

/// Accumulates a [`RunDigest`] from the records of one run.
pub struct DigestSink {
    names: Names,
    metrics: Metrics,
    jobs: Vec<JobTimes>,
}

impl DigestSink {
    /// A sink for a run of `world`; `balance_by` as in [`crate::WriterConfig`].
    pub fn new(world: &World, balance_by: Option<&str>) -> DigestSink {
        let names = Names::new(world);
        DigestSink {
            metrics: Metrics::new(
                &names,
                crate::balance::BalanceTracker::new(world, balance_by),
                crate::metrics::installed_milli(world),
                crate::economics::Ledger::new(world),
            ),
            names,
            jobs: Vec::new(),
        }
    }

    /// Checks the GPU-time invariant and computes the digest.
    pub fn finish(self, meta: &RunMeta) -> Result<RunDigest, Error> {
        self.metrics.check_gpu_time(meta.end)?;
        let summary = self.metrics.summarize(meta, &self.names);
        Ok(RunDigest {
            summary,
            jobs: self.jobs,
            namespaces: self.names.namespaces,
            priority_classes: self.names.priority_classes,
            end_ms: meta.end.as_millis(),
        })
    }
}

impl RecordSink for DigestSink {
    fn record(&mut self, record: Record) {
        match &record {
            Record::Allocation(allocation) => self.metrics.allocation(allocation),
            Record::Job(job) => {
                self.metrics.job(job);
                self.jobs.push(JobTimes {
                    namespace: job.namespace.0,
                    priority_class: job.priority_class.map(|p| p.0),
                    submit_ms: job.submit.as_millis(),
                    start_ms: job.start.map(|t| t.as_millis()),
                    completed_ms: match job.state {
                        JobState::Completed => job.end.map(|t| t.as_millis()),
                        _ => None,
                    },
                });
            }
            Record::Namespace(namespace) => self.metrics.namespace(namespace),
            Record::Event(event) => self.metrics.event(event),
            Record::Pool(pool) => {
                self.metrics.pool(pool);
            }
            // A digest keeps each job's own times; the queue series is not needed.
            Record::Queue(_) => {}
        }
    }
}
