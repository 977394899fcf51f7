use super::{FilterPlugin, Verdict};
use crate::binding::{BindingView, ClusterView};

/// Karmada's `ClusterEviction`: a cluster the binding is being evicted from takes nothing new.
pub struct ClusterEviction;

impl ClusterEviction {
    /// Registered name.
    pub const NAME: &'static str = "ClusterEviction";
}

impl FilterPlugin for ClusterEviction {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn filter(&self, binding: &BindingView<'_>, cluster: &ClusterView<'_>) -> Verdict {
        if binding.binding.evicting_from.contains(&cluster.id) {
            Verdict::Unschedulable("cluster(s) is in the process of eviction".to_owned())
        } else {
            Verdict::Fits
        }
    }
}
