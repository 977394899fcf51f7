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
        if binding.binding.previous_replicas(cluster.id) > 0 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binding::ResourceBinding;
    use crate::estimator::ResourceSummary;
    use crate::policy::{Placement, Toleration, TolerationOperator};
    use sim_core::model::{Cluster, ClusterId, JobId, NamespaceId, PodRequest, Taint};

    fn check(
        taint_effect: TaintEffect,
        tolerations: Vec<Toleration>,
        previous: i64,
        expected: Verdict,
    ) {
        let cluster = Cluster {
            name: "cluster1".into(),
            region: None,
            zone: None,
            provider: None,
            labels: Default::default(),
            taints: vec![Taint {
                key: "key1".into(),
                value: "value1".into(),
                effect: taint_effect,
            }],
            node_pools: Vec::new(),
        };
        let binding = ResourceBinding {
            job: JobId(0),
            uid: String::new(),
            replicas: 1,
            request: PodRequest::default(),
            namespace: NamespaceId(0),
            priority_class: None,
            priority: 0,
            clusters: if previous > 0 {
                vec![(ClusterId(0), previous)]
            } else {
                Vec::new()
            },
        };
        let placement = Placement {
            cluster_tolerations: tolerations,
            ..Placement::default()
        };
        let summary = ResourceSummary::default();
        let view = BindingView {
            binding: &binding,
            placement: &placement,
        };
        let cluster_view = ClusterView {
            id: ClusterId(0),
            cluster: &cluster,
            summary: &summary,
        };
        assert_eq!(TaintToleration.filter(&view, &cluster_view), expected);
    }

    fn toleration(
        operator: TolerationOperator,
        value: &str,
        effect: Option<TaintEffect>,
    ) -> Toleration {
        Toleration {
            key: "key1".into(),
            operator,
            value: value.into(),
            effect,
        }
    }

    #[test]
    fn untolerated_taint_is_unschedulable() {
        check(
            TaintEffect::NoSchedule,
            Vec::new(),
            0,
            Verdict::Unschedulable(
                "cluster(s) had untolerated taint {key1=value1:NoSchedule}".into(),
            ),
        );
    }

    #[test]
    fn tolerated_taint_fits() {
        check(
            TaintEffect::NoSchedule,
            vec![toleration(
                TolerationOperator::Equal,
                "value1",
                Some(TaintEffect::NoSchedule),
            )],
            0,
            Verdict::Fits,
        );
        check(
            TaintEffect::NoSchedule,
            vec![toleration(TolerationOperator::Exists, "", None)],
            0,
            Verdict::Fits,
        );
    }

    #[test]
    fn wrong_value_or_effect_does_not_tolerate() {
        let refused = Verdict::Unschedulable(
            "cluster(s) had untolerated taint {key1=value1:NoExecute}".into(),
        );
        check(
            TaintEffect::NoExecute,
            vec![toleration(TolerationOperator::Equal, "other", None)],
            0,
            refused.clone(),
        );
        check(
            TaintEffect::NoExecute,
            vec![toleration(
                TolerationOperator::Exists,
                "",
                Some(TaintEffect::NoSchedule),
            )],
            0,
            refused,
        );
    }

    #[test]
    fn prefer_no_schedule_is_ignored() {
        check(TaintEffect::PreferNoSchedule, Vec::new(), 0, Verdict::Fits);
    }

    #[test]
    fn cluster_already_in_use_passes() {
        check(TaintEffect::NoSchedule, Vec::new(), 3, Verdict::Fits);
    }
}
