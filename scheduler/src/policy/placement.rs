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
    /// The policy's `spec.failover` (a sibling of the placement in Karmada, kept with it here
    /// because a binding refers to its placement).
    pub failover: Failover,
}

/// What happens to the replicas left in a cluster a binding is evicted from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PurgeMode {
    /// Removed at once (`Directly`; `Immediately` in older releases).
    Directly,
    /// Kept until the replacements are healthy or a grace period ends (`Gracefully`;
    /// `Graciously` in older releases), Karmada's default.
    #[default]
    Gracefully,
    /// Kept until the job ends (`Never`).
    Never,
}

/// `spec.failover` of a PropagationPolicy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Failover {
    /// `failover.cluster`: how a NoExecute taint eviction treats the old replicas.
    pub cluster: Option<ClusterFailover>,
    /// `failover.application`: evict the application from a cluster where it stays unhealthy.
    pub application: Option<ApplicationFailover>,
}

/// `failover.cluster`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClusterFailover {
    /// `purgeMode` (default Gracefully).
    pub purge_mode: PurgeMode,
}

/// `failover.application`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApplicationFailover {
    /// `decisionConditions.tolerationSeconds` (default 300): how long the application may stay
    /// unhealthy in a cluster before it is evicted from it.
    pub toleration_seconds: u64,
    /// `purgeMode` (default Gracefully).
    pub purge_mode: PurgeMode,
    /// `gracePeriodSeconds` for Gracefully (webhook default 600).
    pub grace_period_seconds: u64,
}

impl Default for ApplicationFailover {
    fn default() -> Self {
        ApplicationFailover {
            toleration_seconds: 300,
            purge_mode: PurgeMode::Gracefully,
            grace_period_seconds: 600,
        }
    }
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
            failover: Failover::default(),
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

    /// Karmada's `isMultiTemplateSchedulingApplicable` (the binding side aside): a
    /// `spreadByField: cluster` constraint with `minGroups` = `maxGroups` = 1, so a job's
    /// components land in one cluster. Without it a multi-component binding is copied whole
    /// to every selected cluster.
    pub fn is_multi_template_applicable(&self) -> bool {
        self.spread_constraints
            .iter()
            .any(|c| c.field == SpreadField::Cluster && c.min_groups == 1 && c.max_groups == 1)
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
    /// No `replicaDivisionPreference` at all: a placement Karmada's webhook has not defaulted
    /// (it makes it Weighted), as Karmada's unit tests give it. Selection then honours spread
    /// constraints and capacity; division has no rule for it and fails.
    Unset,
    /// A `weightPreference` with neither a static weight nor a dynamic weight (`{}`): the
    /// assignment weighs every cluster 1 as static weighting does (`getStaticWeightInfoList`),
    /// but selection does not count it as static (`shouldIgnoreSpreadConstraint`), so spread
    /// constraints apply.
    EmptyWeightPreference,
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
    /// For NoExecute taints: how long the binding stays after the taint is added; `None` =
    /// forever.
    pub toleration_seconds: Option<u64>,
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
