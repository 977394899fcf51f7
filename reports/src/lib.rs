//! Turns the record stream of a fleetsim run into output files: tables (Parquet or CSV: jobs,
//! timeline, quota, events, queue), `summary.json` (utilization, job counts, waiting and
//! completion times, GPU-hours, fault costs), figures (SVG) and a self-contained
//! `report.html`; and compares runs for CI.
//!
//! Central types: [`RunWriter`], a [`sim_core::record::RecordSink`] that streams the tables to
//! disk and accumulates the metrics online, so memory does not grow with the timeline;
//! [`Summary`], what [`RunWriter::finish`] computes from those metrics and the run's
//! [`RunMeta`]; and [`render_run`], which reads a finished run's files back and draws the
//! figures and the report, so a run can be re-rendered without re-simulating. Outputs hold no
//! wall-clock values, so identical runs give identical bytes.
//!
//! For sweeps and plans, [`DigestSink`] keeps only what headline metrics need (no tables),
//! [`Estimate`] gives replication statistics, [`TableWriter`] writes tables whose columns are
//! known at run time, and [`render_sweep`] draws a sweep's metrics against its axes.
//!
//! This is the only crate that links polars and plotters: the simulation crates stay light.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod answer;
mod balance;
mod budget;
pub mod compare;
mod digest;
mod economics;
mod error;
mod experiment_summary;
mod faults;
mod figures;
mod html;
mod html_cost;
mod html_sweep;
mod load;
mod metrics;
mod names;
mod parquet;
mod quantiles;
mod queue;
mod report;
mod stats;
mod summary;
mod table_writer;
mod tables;
mod writer;

/// The polars the tables are written with, so tools and tests read them back with the same
/// version without a dependency of their own.
pub use polars;

pub use balance::Balance;
pub use budget::NamespaceBudget;
pub use digest::{DigestSink, JobTimes, RunDigest};
pub use economics::{Cost, EnergyUse, NamespaceCost, NamespaceEnergy};
pub use error::Error;
pub use faults::{FaultCosts, Faults, Preemptions, RecoveryTimes};
pub use figures::{PlanFigure, PlanPoint, pareto_front};
pub use html_sweep::plan_report;
pub use report::{Rendered, render_experiment, render_run, render_sweep};
pub use stats::{Estimate, INTERVAL_METHOD};
pub use summary::{
    Distribution, GpuHours, JobCounts, MemberPods, RunMeta, Summary, Utilization, nearest_rank,
};
pub use table_writer::{ColumnType, TableWriter, Value};
pub use tables::TableFormat;
pub use writer::{BackgroundWriter, RunWriter, WriterConfig};
