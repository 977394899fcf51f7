use sim_core::model::TaintEffect;

use super::{FilterPlugin, Verdict};
use crate::binding::{BindingView, ClusterView};

/// Karmada's `TaintToleration` filter: a cluster with a NoSchedule or NoExecute taint the
/// placement does not tolerate is refused, unless the binding is already there.
pub struct TaintToleration;

impl TaintToleration {
    /// Registered name.
    pub const NAME: &'static str = "TaintToleration";
}

impl FilterPlugin for TaintToleration {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn filter(&self, binding: &BindingView<'_>, cluster: &ClusterView<'_>) -> Verdict {
        // Existing targets are never removed by NoSchedule taints.
        if binding.binding.targets(cluster.id) {
            return Verdict::Fits;
        }
        let untolerated = cluster.cluster.taints.iter().find(|taint| {
            matches!(
                taint.effect,
                TaintEffect::NoSchedule | TaintEffect::NoExecute
            ) && !binding
                .placement
                .cluster_tolerations
                .iter()
                .any(|toleration| toleration.tolerates(taint))
        });
        match untolerated {
            None => Verdict::Fits,
            Some(taint) => Verdict::Unschedulable(format!(
                "cluster(s) had untolerated taint {{{}={}:{}}}",
                taint.key,
                taint.value,
                taint.effect.as_str()
            )),
        }
    }
}
