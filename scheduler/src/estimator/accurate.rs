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
