//! The world fleetsim simulates: GPU models, clusters of node pools, namespaces, priority
//! classes and jobs. Plain data with invariants checked by their constructors; no behaviour
//! beyond lookups, so every policy lives elsewhere.

mod cluster;
mod economics;
pub mod fixture;
mod gpu;
mod job;
mod names;
mod namespace;
mod node;
mod resources;

pub use cluster::{Cluster, ClusterId, Fleet, Taint, TaintEffect};
pub use economics::{Carbon, Costs, Economics, Energy, GpuPower, PoolPrice, PowerDown, Pricing};
pub use gpu::{GpuModel, GpuModelId, GpuModelSet};
pub use job::{Component, Job, JobId, Template};
pub use names::WorldNames;
pub use namespace::{Namespace, NamespaceId, PriorityClass, PriorityClassId, World};
pub use node::{NodePool, NodeShape};
pub use resources::{GpuRequest, PodRequest};

/// Labels on clusters and node pools, ordered so that iteration is deterministic.
pub type Labels = std::collections::BTreeMap<String, String>;
