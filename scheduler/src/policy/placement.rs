use sim_core::model::{Taint, TaintEffect};

use super::ClusterAffinity;

/// A Karmada `Placement` (`spec.placement` of a PropagationPolicy), with Karmada's defaults
/// already applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// `clusterAffinity`; exclusive with `cluster_affinities`.
    pub cluster_affinity: Option<ClusterAffinity>,
    /// `clusterAffinities`: ordered terms, tried in turn.
    pub cluster_affinities: Vec<ClusterAffinityTerm>,
    /// `clusterTolerations`.
    pub cluster_tolerations: Vec<Toleration>,
    /// `spreadConstraints`, with the webhook's defaults applied.
    pub spread_constraints: Vec<SpreadConstraint>,
    /// `replicaScheduling`.
    pub replica_scheduling: ReplicaScheduling,
}

impl Default for Placement {
    /// A placement with no fields set: Karmada treats a nil `replicaScheduling` as Duplicated.
    fn default() -> Self {
        Placement {
            cluster_affinity: None,
            cluster_affinities: Vec::new(),
            cluster_tolerations: Vec::new(),
            spread_constraints: Vec::new(),
            replica_scheduling: ReplicaScheduling::Duplicated,
        }
    }
}

impl Placement {
    /// Divided with Weighted and no dynamic weight: Karmada then ignores spread constraints and
    /// selects every feasible cluster (`shouldIgnoreSpreadConstraint`).
    pub fn is_static_weight(&self) -> bool {
        matches!(
            self.replica_scheduling,
            ReplicaScheduling::Divided(DivisionPreference::StaticWeight(_))
        )
    }

    /// The index of the `clusterAffinities` term called `name`.
    pub fn affinity_term_index(&self, name: &str) -> Option<usize> {
        self.cluster_affinities
            .iter()
            .position(|term| term.name == name)
    }
}

/// One `clusterAffinities` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterAffinityTerm {
    /// `affinityName`.
    pub name: String,
    /// The term's affinity.
    pub affinity: ClusterAffinity,
    /// `overflowAffinities`, in order: clusters that take replicas the primary group cannot.
    pub overflow: Vec<ClusterAffinity>,
}

/// What a spread constraint groups clusters by.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SpreadField {
    /// Each cluster is a group.
    Cluster,
    /// `spec.region`.
    Region,
    /// `spec.zones`.
    Zone,
    /// `spec.provider`.
    Provider,
    /// A cluster label (`spreadByLabel`).
    Label(String),
}

/// A `spreadConstraints` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpreadConstraint {
    /// Grouping.
    pub field: SpreadField,
    /// `minGroups` (webhook default 1).
    pub min_groups: usize,
    /// `maxGroups` (not defaulted: 0 when absent).
    pub max_groups: usize,
}

/// `replicaScheduling`: copy the replicas to every cluster, or divide them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplicaScheduling {
    /// Every selected cluster runs all replicas.
    Duplicated,
    /// The replicas are divided among the selected clusters.
    Divided(DivisionPreference),
}

/// How divided replicas are split (`replicaDivisionPreference` plus `weightPreference`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DivisionPreference {
    /// As few clusters as possible, by available replicas.
    Aggregated,
    /// By fixed weights (`staticWeightList`); an empty list weighs every cluster 1.
    StaticWeight(Vec<StaticWeightRule>),
    /// By available replicas (`dynamicWeight: AvailableReplicas`).
    DynamicWeight,
}

/// One `staticWeightList` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticWeightRule {
    /// `targetCluster`.
    pub target: ClusterAffinity,
    /// Weight, at least 1.
    pub weight: i64,
}

/// How a toleration compares its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TolerationOperator {
    /// Any value of the key.
    Exists,
    /// Exactly the value.
    Equal,
}

/// A Kubernetes toleration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toleration {
    /// Key; empty with `Exists` tolerates every taint.
    pub key: String,
    /// Operator.
    pub operator: TolerationOperator,
    /// Value compared by `Equal`.
    pub value: String,
    /// Effect; `None` matches every effect.
    pub effect: Option<TaintEffect>,
}

impl Toleration {
    /// Kubernetes' `Toleration.ToleratesTaint`.
    pub fn tolerates(&self, taint: &Taint) -> bool {
        if self.effect.is_some_and(|effect| effect != taint.effect) {
            return false;
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        match self.operator {
            TolerationOperator::Exists => true,
            TolerationOperator::Equal => self.value == taint.value,
        }
    }
}
