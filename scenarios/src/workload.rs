//! A scenario's workload: a synthetic generator or an explicit job list, streamed as jobs.

use sim_core::model::Job;
use sim_core::rng::RngStreams;

use crate::synth::{SyntheticJobs, SyntheticWorkload};

/// Where a scenario's jobs come from.
#[derive(Clone, Debug, PartialEq)]
pub enum Workload {
    /// Generated lazily from distributions.
    Synthetic(SyntheticWorkload),
    /// Listed in the scenario, sorted by submit time.
    Jobs(Vec<Job>),
}

impl Workload {
    /// Number of jobs the stream yields.
    pub fn n_jobs(&self) -> u64 {
        match self {
            Workload::Synthetic(synthetic) => synthetic.n_jobs,
            Workload::Jobs(jobs) => jobs.len() as u64,
        }
    }

    /// The job stream for a seed, in submit order.
    pub fn jobs(&self, streams: RngStreams) -> WorkloadJobs<'_> {
        match self {
            Workload::Synthetic(synthetic) => {
                WorkloadJobs::Synthetic(Box::new(synthetic.jobs(streams)))
            }
            Workload::Jobs(jobs) => WorkloadJobs::Listed(jobs.iter()),
        }
    }
}

/// The job stream of a [`Workload`].
pub enum WorkloadJobs<'a> {
    /// From the generator.
    Synthetic(Box<SyntheticJobs>),
    /// From the list.
    Listed(std::slice::Iter<'a, Job>),
}

impl Iterator for WorkloadJobs<'_> {
    type Item = Job;

    fn next(&mut self) -> Option<Job> {
        match self {
            WorkloadJobs::Synthetic(jobs) => jobs.next(),
            WorkloadJobs::Listed(jobs) => jobs.next().cloned(),
        }
    }
}
