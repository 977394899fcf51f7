//! The end-to-end tests of the `fleetsim` binary and library, one module per area, built as
//! one test binary: each binary links polars, so one binary instead of one per file saves most
//! of the suite's link time.
//!
//! Slow tests (the paper reproduction, real-trace runs, the release-vs-debug comparison, and
//! whole example runs such as the quickstart's 10,000 jobs, tens of seconds each in a debug
//! build) call [`common::skip_slow`] first and run only with `FLEETSIM_SLOW=1`.

mod browser;
mod capacity;
mod cli;
mod common;
mod compare;
mod components;
mod conformance;
mod custom_plugins;
mod dc_loss;
mod dynamics;
mod economics;
mod estimators;
mod examples;
mod explain;
mod fragmentation;
mod hand_worked;
mod import;
mod node_claims;
mod plan;
mod preemption;
mod quotas;
mod report;
mod reproduce;
mod scale_equivalence;
mod slow;
mod summary_structure;
mod sweep;
mod tables;
mod trace_federation;
