//! Cluster filter plugins (`pkg/scheduler/framework/plugins`): each answers one question, may
//! this binding land on this cluster, and gives its reason when not.

mod api_enablement;
mod cluster_affinity;
mod cluster_eviction;
mod spread_constraint;
mod taint_toleration;

pub use api_enablement::ApiEnablement;
pub use cluster_affinity::ClusterAffinityFilter;
pub use cluster_eviction::ClusterEviction;
pub use spread_constraint::SpreadConstraintFilter;
pub use taint_toleration::TaintToleration;

use crate::binding::{BindingView, ClusterView};

/// A filter's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The cluster may take the binding.
    Fits,
    /// It may not, and why (Karmada's reason text).
    Unschedulable(String),
}

/// Answers one question: may this binding land on this cluster?
pub trait FilterPlugin {
    /// The plugin's registered name.
    fn name(&self) -> &'static str;
    /// The verdict for one cluster.
    fn filter(&self, binding: &BindingView<'_>, cluster: &ClusterView<'_>) -> Verdict;
}

#[cfg(test)]
mod tests;
