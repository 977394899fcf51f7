//! Everything a user of the library needs to add plugins without changing fleetsim: a
//! [`Registry`] starting from the built-ins, the five traits, and the views they query.
//!
//! ```no_run
//! use fleetsim::plugins::{Registry, PlacementPolicy, NodeFree, NodeShape, PodRequest};
//!
//! /// Places each pod on the node with the most free GPU milli (ties: lowest index).
//! struct WorstFit;
//! impl PlacementPolicy for WorstFit {
//!     fn name(&self) -> &'static str { "WorstFit" }
//!     fn score(&self, _: &PodRequest, _: &NodeShape, free: &NodeFree) -> i64 {
//!         i64::from(free.devices.total_free())
//!     }
//! }
//!
//! let mut plugins = Registry::builtin();
//! plugins.register_placement("WorstFit", |_| Box::new(WorstFit))?;
//! // Scenarios now say `member_placement: WorstFit`; run them through the `_with` entry points.
//! let config: fleetsim::RunConfig = todo!();
//! fleetsim::run_scenario_with(&config, &plugins, &mut |_| {})?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Entry points taking a registry: [`crate::run_scenario_with`],
//! [`crate::run_replications_with`], [`crate::run_again_with`], [`crate::explain_job_with`],
//! [`crate::validate_scenario_with`], [`crate::sweep::run_sweep_with`],
//! [`crate::plan::run_plan_with`], [`crate::bench::run_bench_with`], `scenarios::load_with`,
//! and
//! `scenarios::experiment::load_experiment_with` (whose experiment then runs its policies from
//! it in [`crate::experiment::run_fragmentation`]).

pub use scheduler::binding::{BindingView, ClusterView};
pub use scheduler::estimator::ReplicaEstimator;
pub use scheduler::filter::{FilterPlugin, Verdict};
pub use scheduler::member::{Choice, NodeFree, Normalization, PlacementPolicy, TargetWorkload};
pub use scheduler::queue::{PrioritySort, QueueKey, QueueSort, QueuedBinding};
pub use scheduler::registry::{PlacementContext, PlacementFactory, Registry};
pub use scheduler::score::{MAX_SCORE, ScorePlugin};
pub use sim_core::model::{NodeShape, PodRequest};
