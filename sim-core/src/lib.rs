//! The simulation core of fleetsim: simulated time, the event queue and engine loop, named
//! random streams, Kubernetes quantities, the world model (GPU models, clusters, node pools,
//! namespaces, jobs) and the records a run emits.
//!
//! Central types: [`time::SimTime`], [`queue::EventQueue`], [`engine::run`] with its
//! [`engine::Handler`], [`model::World`], [`record::Record`] and [`record::RecordSink`].
//!
//! This crate knows nothing of Karmada or Kubernetes scheduling: the control plane is a
//! [`engine::Handler`] defined in the `scheduler` crate. It does no file IO.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod engine;
pub mod model;
pub mod quantity;
pub mod queue;
pub mod record;
pub mod rng;
pub mod time;

pub use time::{Duration, SimTime};
