//! Turns the record stream of a fleetsim run into output files: `jobs.csv` (one row per job),
//! `timeline.csv` (one row per allocation change) and `summary.json` (utilization, job counts,
//! waiting and completion times, GPU-hours).
//!
//! Central types: [`RunWriter`], a [`sim_core::record::RecordSink`] that streams the tables to
//! disk and accumulates the metrics online, so memory does not grow with the timeline; and
//! [`Summary`], what [`RunWriter::finish`] computes from those metrics and the run's
//! [`RunMeta`]. Outputs hold no wall-clock values, so identical runs give identical bytes.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod balance;
mod budget;
pub mod compare;
mod error;
mod metrics;
mod names;
mod summary;
mod tables;
mod writer;

pub use balance::Balance;
pub use budget::NamespaceBudget;
pub use error::Error;
pub use summary::{Distribution, GpuHours, JobCounts, MemberPods, RunMeta, Summary, Utilization};
pub use writer::RunWriter;
