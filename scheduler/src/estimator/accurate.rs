use std::collections::BTreeMap;

use sim_core::model::{Taint, TaintEffect};

use crate::policy::{LabelSelector, Requirement, Toleration};

/// Where a replica may run (`replicaRequirements.nodeClaim`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeClaim {
    /// `nodeSelector`: every label must match.
    pub node_selector: BTreeMap<String, String>,
    /// `hardNodeAffinity.nodeSelectorTerms`: any term, each an AND of requirements; none = any node.
    pub node_affinity: Vec<Vec<Requirement>>,
    /// `tolerations`.
    pub tolerations: Vec<Toleration>,
    /// At most this many pods of the claim per node (pod anti-affinity with a per-node cap, as
    /// serving traces give it per application); the group names the application, so that two
    /// applications with the same selector stay apart.
    pub per_node_limit: Option<PerNodeLimit>,
}

/// A cap on a group's pods per node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PerNodeLimit {
    /// Whose pods are counted (e.g. the application).
    pub group: String,
    /// Most pods of the group on one node.
    pub max: u32,
}

impl NodeClaim {
    /// Whether a node with `labels` and `taints` satisfies the claim.
    pub fn admits(&self, labels: &BTreeMap<String, String>, taints: &[Taint]) -> bool {
        let selector = LabelSelector {
            match_labels: self.node_selector.clone(),
            match_expressions: Vec::new(),
        };
        selector.matches(labels)
            && (self.node_affinity.is_empty()
                || self.node_affinity.iter().any(|term| {
                    term.iter()
                        .all(|r| r.matches(labels.get(&r.key).map(String::as_str)))
                }))
            && taints
                .iter()
                .filter(|t| matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute))
                .all(|t| self.tolerations.iter().any(|tol| tol.tolerates(t)))
    }
}

/// One node as the accurate estimator's snapshot has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSnapshot {
    /// Free amount per resource name (cpu milli, others units): allocatable minus requests.
    pub free: Vec<(String, i64)>,
    /// Free pod slots.
    pub pod_slots: i64,
    /// Node labels.
    pub labels: BTreeMap<String, String>,
    /// Node taints.
    pub taints: Vec<Taint>,
}

/// Karmada's accurate estimator, `noderesource` plugin: over nodes the claim admits, the sum of
/// `min(free pod slots, min over requested resources of free / request)`.
pub fn replicas_on_nodes(
    nodes: &[NodeSnapshot],
    request: &[(String, i64)],
    claim: &NodeClaim,
) -> i64 {
    nodes
        .iter()
        .filter(|node| claim.admits(&node.labels, &node.taints))
        .map(|node| {
            let mut per_node = node.pod_slots.max(0);
            for (name, amount) in request.iter().filter(|(_, amount)| *amount > 0) {
                let free = node
                    .free
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or(0, |(_, f)| *f);
                per_node = per_node.min(free.max(0) / amount);
            }
            per_node
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::SelectorOperator;

    const GI: i64 = 1 << 30;

    fn node(
        cpu: i64,
        mem_gi: i64,
        slots: i64,
        label: (&str, &str),
        taint: Option<Taint>,
    ) -> NodeSnapshot {
        NodeSnapshot {
            free: vec![("cpu".into(), cpu * 1000), ("memory".into(), mem_gi * GI)],
            pod_slots: slots,
            labels: [(label.0.to_owned(), label.1.to_owned())].into(),
            taints: taint.into_iter().collect(),
        }
    }

    fn e5_5_nodes() -> Vec<NodeSnapshot> {
        let gpu_taint = Taint {
            key: "gpu".into(),
            value: "true".into(),
            effect: TaintEffect::NoSchedule,
        };
        vec![
            node(4, 8, 10, ("zone", "a"), None),
            node(8, 4, 2, ("zone", "b"), None),
            node(16, 64, 110, ("zone", "c"), Some(gpu_taint)),
        ]
    }

    #[test]
    fn e5_5_sum_over_admitted_nodes() {
        // n1 min(2, 4, 10) = 2, n2 min(4, 2, 2) = 2, n3 tainted → 4.
        let request = [("cpu".to_owned(), 2000), ("memory".to_owned(), 2 * GI)];
        assert_eq!(
            replicas_on_nodes(&e5_5_nodes(), &request, &NodeClaim::default()),
            4
        );
        let claim = NodeClaim {
            node_selector: [("zone".to_owned(), "a".to_owned())].into(),
            ..NodeClaim::default()
        };
        assert_eq!(replicas_on_nodes(&e5_5_nodes(), &request, &claim), 2);
    }

    #[test]
    fn tolerations_and_affinity_admit_nodes() {
        let request = [("cpu".to_owned(), 2000), ("memory".to_owned(), 2 * GI)];
        let claim = NodeClaim {
            tolerations: vec![Toleration {
                toleration_seconds: None,
                key: "gpu".into(),
                operator: crate::policy::TolerationOperator::Exists,
                value: String::new(),
                effect: None,
            }],
            node_affinity: vec![vec![Requirement {
                key: "zone".into(),
                operator: SelectorOperator::In,
                values: vec!["c".into()],
            }]],
            ..NodeClaim::default()
        };
        // Only n3: min(8, 32, 110) = 8.
        assert_eq!(replicas_on_nodes(&e5_5_nodes(), &request, &claim), 8);
    }

    #[test]
    fn pod_slots_bound_each_node() {
        let request: [(String, i64); 0] = [];
        assert_eq!(
            replicas_on_nodes(&e5_5_nodes(), &request, &NodeClaim::default()),
            12
        );
    }
}
