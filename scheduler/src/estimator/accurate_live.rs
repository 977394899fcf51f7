use sim_core::model::PodRequest;

use super::ReplicaEstimator;
use crate::binding::{BindingView, ClusterView};

/// Karmada's accurate scheduler estimator (`--enable-scheduler-estimator`): per node
/// `min(free pod slots, free / request)` over the nodes that can take the pod, summed. It reads
/// the member's live nodes, not the control plane's possibly stale summary. For a binding with
/// components it counts complete sets by first-fit simulation.
pub struct AccurateEstimator;

impl AccurateEstimator {
    /// Registered name.
    pub const NAME: &'static str = "accurate";
}

impl ReplicaEstimator for AccurateEstimator {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn max_replicas(&self, binding: &BindingView<'_>, cluster: &ClusterView<'_>) -> Option<i64> {
        let b = binding.binding;
        cluster.member.map(|member| {
            if binding.no_requirements() {
                // No requirements: every node the (empty) claim admits, by its pod slots.
                member.accurate_replicas_assumed(&PodRequest::default(), cluster.assumed)
            } else if b.is_multi_component() {
                let components: Vec<(i64, _)> = b
                    .components
                    .iter()
                    .map(|c| (c.replicas, c.request))
                    .collect();
                member.accurate_sets_assumed(&components, cluster.assumed)
            } else {
                member.accurate_replicas_assumed(&b.request, cluster.assumed)
            }
        })
    }
}
