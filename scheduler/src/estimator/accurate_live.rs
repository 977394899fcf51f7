use super::ReplicaEstimator;
use crate::binding::{BindingView, ClusterView};

/// Karmada's accurate scheduler estimator (`--enable-scheduler-estimator`): per node
/// `min(free pod slots, free / request)` over the nodes that can take the pod, summed. It reads
/// the member's live nodes, not the control plane's possibly stale summary.
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
        cluster
            .member
            .map(|member| member.accurate_replicas(&binding.binding.request))
    }
}
