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
            if b.is_multi_component() {
                let components: Vec<(i64, _)> = b
                    .components
                    .iter()
                    .map(|c| (c.replicas, c.request))
                    .collect();
                member.accurate_sets(&components)
            } else {
                member.accurate_replicas(&b.request)
            }
        })
    }
}
