//! The Karmada control plane and the member clusters' pod placement, as a
//! [`sim_core::engine::Handler`].
//!
//! A job becomes a ResourceBinding; [`control::ControlPlane`] queues it ([`queue`]), filters
//! clusters ([`filter`]), scores them ([`score`]), asks the estimators ([`estimator`]), divides
//! the replicas ([`divide`]) and hands pods to the member clusters ([`member`]), which place them
//! on nodes with a registered placement policy.
//!
//! Every decision is a query over borrowed views; only `control` mutates state. This crate
//! does no IO and knows no file formats: scenarios build its inputs.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod binding;
pub mod decision;
pub mod divide;
pub mod error;
pub mod estimator;
pub mod explain;
pub mod faults;
pub mod features;
pub mod filter;
pub mod generic;
pub mod job_failures;
pub mod member;
pub mod policy;
pub mod preemption;
pub mod queue;
pub mod quota;
pub mod registry;
pub mod score;
pub mod spot;
pub mod spread;

pub use error::Error;
pub use features::FeatureGates;
pub use registry::Registry;
pub mod config;
pub mod control;

pub use config::{DirectSubmission, Federation, SchedulerConfig};
pub use control::{ControlInputs, ControlPlane};
