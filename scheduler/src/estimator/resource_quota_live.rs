use super::{ReplicaEstimator, ResourceList};
use crate::binding::{BindingView, ClusterView};

/// Karmada's ResourceQuota estimator plugin (gate `ResourceQuotaEstimate`): the replicas the
/// binding's namespace may still create in the cluster under its ResourceQuotas (hard − used,
/// PriorityClass scopes matched, minimum over quotas); no opinion when no quota constrains it.
pub struct ResourceQuotaEstimator;

impl ResourceQuotaEstimator {
    /// Registered name.
    pub const NAME: &'static str = "resource-quota";
}

impl ReplicaEstimator for ResourceQuotaEstimator {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn max_replicas(&self, binding: &BindingView<'_>, cluster: &ClusterView<'_>) -> Option<i64> {
        let b = binding.binding;
        // Without replica requirements the plugin finds no quota constraint.
        if binding.no_requirements() {
            return None;
        }
        cluster.member.and_then(|member| {
            let per_unit = if b.is_multi_component() {
                b.set_resources()
            } else {
                ResourceList::of_pods(&b.request, 1)
            };
            if cluster.assumed.is_empty() {
                if b.is_multi_component() {
                    member.quota_sets(b.namespace, b.priority_class, &per_unit)
                } else {
                    member.quota_replicas(b.namespace, b.priority_class, &b.request)
                }
            } else {
                member.quota_units_assumed(
                    b.namespace,
                    b.priority_class,
                    &per_unit,
                    cluster.assumed,
                )
            }
        })
    }
}
