//! Cluster filter plugins (`pkg/scheduler/framework/plugins`): each answers one question, may
//! this binding land on this cluster, and gives its reason when not.

mod registry;
mod taint_toleration;

pub use registry::{FILTER_NAMES, filter_by_name};
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
