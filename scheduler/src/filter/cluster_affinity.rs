use super::{FilterPlugin, Verdict};
use crate::binding::{BindingView, ClusterView};

/// Karmada's `ClusterAffinity` filter: `clusterAffinity` when set; otherwise the
/// `clusterAffinities` term being tried (the observed one), plus its overflow affinities for
/// workloads. No affinity at all lets every cluster pass.
pub struct ClusterAffinityFilter;

impl ClusterAffinityFilter {
    /// Registered name.
    pub const NAME: &'static str = "ClusterAffinity";
}

impl FilterPlugin for ClusterAffinityFilter {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn filter(&self, binding: &BindingView<'_>, cluster: &ClusterView<'_>) -> Verdict {
        let placement = binding.placement;
        let matched = if let Some(affinity) = &placement.cluster_affinity {
            affinity.matches(cluster.cluster)
        } else {
            let observed = binding.binding.observed_affinity.as_deref();
            match placement
                .cluster_affinities
                .iter()
                .find(|term| Some(term.name.as_str()) == observed)
            {
                None if placement.cluster_affinities.is_empty() => true,
                None => false,
                Some(term) => {
                    term.affinity.matches(cluster.cluster)
                        || (binding.binding.is_workload()
                            && term.overflow.iter().any(|a| a.matches(cluster.cluster)))
                }
            }
        };
        if matched {
            Verdict::Fits
        } else {
            Verdict::Unschedulable(
                "cluster(s) did not match the placement cluster affinity constraint".to_owned(),
            )
        }
    }
}
