use sim_core::model::{Cluster, Taint, TaintEffect};

/// A Karmada `Placement` (`spec.placement` of a PropagationPolicy), with Karmada's defaults
/// already applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// `clusterTolerations`.
    pub cluster_tolerations: Vec<Toleration>,
    /// `replicaScheduling`.
    pub replica_scheduling: ReplicaScheduling,
}

impl Default for Placement {
    /// A placement with no fields set: Karmada treats a nil `replicaScheduling` as Duplicated.
    fn default() -> Self {
        Placement {
            cluster_tolerations: Vec::new(),
            replica_scheduling: ReplicaScheduling::Duplicated,
        }
    }
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
    pub target: ClusterSelector,
    /// Weight, at least 1.
    pub weight: i64,
}

/// The part of a Karmada `ClusterAffinity` that selects clusters by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterSelector {
    /// `clusterNames`; empty matches every cluster.
    pub cluster_names: Vec<String>,
    /// `exclude`.
    pub exclude: Vec<String>,
}

impl ClusterSelector {
    /// Karmada's `ClusterMatches` for names: excluded first, then the name list.
    pub fn matches(&self, cluster: &Cluster) -> bool {
        if self.exclude.contains(&cluster.name) {
            return false;
        }
        self.cluster_names.is_empty() || self.cluster_names.contains(&cluster.name)
    }
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
