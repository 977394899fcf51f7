//! Karmada and Kubernetes objects in their own camelCase shape, as `kubectl get -o yaml` prints
//! them: the PropagationPolicy and OverridePolicy fields fleetsim reads, `placement` in a
//! scenario, and the FederatedResourceQuota, PriorityClass and ResourceQuota a policy include may
//! hold.
//!
//! Every field of Karmada v1.19's API is named here, modelled or not, so that a name Karmada does
//! not know stays an error (`deny_unknown_fields`) while one it knows is at most a warning.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_saphyr::Spanned;

use super::Text;

/// `spec.placement` of a PropagationPolicy.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PlacementSpec {
    /// `clusterAffinity`.
    pub cluster_affinity: Option<ClusterAffinitySpec>,
    /// `clusterAffinities`.
    pub cluster_affinities: Option<Vec<ClusterAffinityTermSpec>>,
    /// `clusterTolerations`.
    #[serde(default)]
    pub cluster_tolerations: Vec<TolerationSpec>,
    /// `spreadConstraints`.
    #[serde(default)]
    pub spread_constraints: Vec<SpreadConstraintSpec>,
    /// `replicaScheduling`.
    pub replica_scheduling: Option<ReplicaSchedulingSpec>,
    /// `workloadAffinity`: not modelled; warned about where it is set.
    pub workload_affinity: Option<Spanned<IgnoredAny>>,
}

/// A `ClusterAffinity`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterAffinitySpec {
    /// `clusterNames`.
    #[serde(default)]
    pub cluster_names: Vec<String>,
    /// `exclude`.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// `labelSelector`.
    pub label_selector: Option<LabelSelectorSpec>,
    /// `fieldSelector`.
    pub field_selector: Option<FieldSelectorSpec>,
}

/// A `clusterAffinities` term: a name, an inline affinity, and overflow affinities.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterAffinityTermSpec {
    /// `affinityName`.
    pub affinity_name: Text,
    /// `clusterNames`.
    #[serde(default)]
    pub cluster_names: Vec<String>,
    /// `exclude`.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// `labelSelector`.
    pub label_selector: Option<LabelSelectorSpec>,
    /// `fieldSelector`.
    pub field_selector: Option<FieldSelectorSpec>,
    /// `overflowAffinities`.
    #[serde(default)]
    pub overflow_affinities: Vec<ClusterAffinityTermSpec>,
}

/// A Kubernetes `LabelSelector`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LabelSelectorSpec {
    /// `matchLabels`.
    #[serde(default)]
    pub match_labels: BTreeMap<String, String>,
    /// `matchExpressions`.
    #[serde(default)]
    pub match_expressions: Vec<RequirementSpec>,
}

/// Karmada's `FieldSelector`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FieldSelectorSpec {
    /// `matchExpressions` on provider, region or zone.
    #[serde(default)]
    pub match_expressions: Vec<RequirementSpec>,
}

/// A selector requirement.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequirementSpec {
    /// `key`.
    pub key: Text,
    /// `operator`.
    pub operator: Text,
    /// `values`.
    #[serde(default)]
    pub values: Vec<String>,
}

/// A Kubernetes toleration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TolerationSpec {
    /// Key.
    #[serde(default)]
    pub key: String,
    /// Exists or Equal (default Equal).
    pub operator: Option<Text>,
    /// Value.
    #[serde(default)]
    pub value: String,
    /// Effect; empty = all.
    pub effect: Option<Text>,
    /// Seconds a NoExecute taint is tolerated.
    pub toleration_seconds: Option<i64>,
}

/// A `spreadConstraints` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SpreadConstraintSpec {
    /// `spreadByField`: cluster, region, zone or provider.
    pub spread_by_field: Option<Text>,
    /// `spreadByLabel`.
    pub spread_by_label: Option<Text>,
    /// `maxGroups`.
    pub max_groups: Option<Spanned<usize>>,
    /// `minGroups`.
    pub min_groups: Option<Spanned<usize>>,
}

impl SpreadConstraintSpec {
    /// Where the constraint is written: its first located field.
    pub(crate) fn location(&self) -> (u64, u64) {
        let texts = [&self.spread_by_field, &self.spread_by_label];
        let from_text = texts
            .into_iter()
            .flatten()
            .map(|t| (t.referenced.line(), t.referenced.column()))
            .next();
        let from_number = [&self.max_groups, &self.min_groups]
            .into_iter()
            .flatten()
            .map(|n| (n.referenced.line(), n.referenced.column()))
            .next();
        from_text.or(from_number).unwrap_or((0, 0))
    }
}

/// `replicaScheduling`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReplicaSchedulingSpec {
    /// Duplicated or Divided (default Duplicated).
    pub replica_scheduling_type: Option<Text>,
    /// Aggregated or Weighted (Divided without one: Weighted).
    pub replica_division_preference: Option<Text>,
    /// `weightPreference`.
    pub weight_preference: Option<WeightPreferenceSpec>,
}

/// `weightPreference`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WeightPreferenceSpec {
    /// `staticWeightList`.
    #[serde(default)]
    pub static_weight_list: Vec<StaticWeightSpec>,
    /// `dynamicWeight`: only AvailableReplicas.
    pub dynamic_weight: Option<Text>,
}

/// One `staticWeightList` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StaticWeightSpec {
    /// `targetCluster`.
    pub target_cluster: ClusterAffinitySpec,
    /// Weight, at least 1.
    pub weight: Spanned<i64>,
}

/// A PropagationPolicy, ClusterPropagationPolicy, OverridePolicy or ClusterOverridePolicy as
/// `kubectl get -o yaml` prints it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ObjectSpec {
    /// `apiVersion`.
    pub api_version: Text,
    /// `kind`.
    pub kind: Text,
    /// `metadata`.
    #[serde(default)]
    pub metadata: MetadataSpec,
    /// `spec` of a policy.
    pub spec: Option<PolicySpec>,
    /// `status`, ignored.
    pub status: Option<IgnoredAny>,
}

/// A FederatedResourceQuota (`policy.karmada.io/v1alpha1`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FederatedQuotaObject {
    /// `apiVersion`.
    pub api_version: Text,
    /// `kind`.
    pub kind: Text,
    /// `metadata`.
    #[serde(default)]
    pub metadata: MetadataSpec,
    /// `spec`.
    pub spec: FederatedQuotaObjectSpec,
    /// `status`, ignored: the simulation counts its own usage.
    pub status: Option<IgnoredAny>,
}

/// `spec` of a FederatedResourceQuota.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FederatedQuotaObjectSpec {
    /// `overall`.
    pub overall: BTreeMap<String, Spanned<Quantity>>,
    /// `staticAssignments`.
    #[serde(default)]
    pub static_assignments: Vec<StaticAssignmentSpec>,
}

/// One `staticAssignments` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StaticAssignmentSpec {
    /// `clusterName`.
    pub cluster_name: Text,
    /// `hard`.
    pub hard: BTreeMap<String, Spanned<Quantity>>,
}

/// A Kubernetes quantity as written: a string or a bare number (`cpu: 100`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Quantity {
    /// A whole number.
    Number(i64),
    /// A decimal number.
    Float(f64),
    /// Text (`500m`, `80Gi`).
    Text(String),
}

impl Quantity {
    /// The quantity as Kubernetes would print it back.
    pub fn text(&self) -> String {
        match self {
            Quantity::Number(n) => n.to_string(),
            Quantity::Float(f) => f.to_string(),
            Quantity::Text(t) => t.clone(),
        }
    }
}

/// A PriorityClass (`scheduling.k8s.io/v1`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PriorityClassObject {
    /// `apiVersion`.
    pub api_version: Text,
    /// `kind`.
    pub kind: Text,
    /// `metadata`.
    #[serde(default)]
    pub metadata: MetadataSpec,
    /// `value`.
    pub value: Spanned<i32>,
    /// `preemptionPolicy`.
    pub preemption_policy: Option<Text>,
    /// `globalDefault`: not modelled (jobs name their class); warned about when true.
    pub global_default: Option<Spanned<bool>>,
    /// `description`.
    pub description: Option<IgnoredAny>,
}

/// A ResourceQuota (`v1`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceQuotaObject {
    /// `apiVersion`.
    pub api_version: Text,
    /// `kind`.
    pub kind: Text,
    /// `metadata`.
    #[serde(default)]
    pub metadata: MetadataSpec,
    /// `spec`.
    #[serde(default)]
    pub spec: ResourceQuotaObjectSpec,
    /// `status`, ignored.
    pub status: Option<IgnoredAny>,
}

/// `spec` of a ResourceQuota.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceQuotaObjectSpec {
    /// `hard`.
    #[serde(default)]
    pub hard: BTreeMap<String, Spanned<Quantity>>,
    /// `scopes` (`BestEffort`, `Terminating`, `PriorityClass`, ...).
    pub scopes: Option<Vec<Text>>,
    /// `scopeSelector`.
    pub scope_selector: Option<ScopeSelectorSpec>,
}

/// A ResourceQuota's `scopeSelector`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScopeSelectorSpec {
    /// `matchExpressions`.
    #[serde(default)]
    pub match_expressions: Vec<ScopeRequirementSpec>,
}

/// A `scopeSelector` requirement.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScopeRequirementSpec {
    /// `scopeName`.
    pub scope_name: Text,
    /// `operator`.
    pub operator: Text,
    /// `values`.
    #[serde(default)]
    pub values: Vec<Text>,
}

/// The parts of `metadata` fleetsim reads; server-set fields are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetadataSpec {
    /// `name`.
    pub name: Option<Text>,
    /// `namespace`.
    pub namespace: Option<String>,
}

/// The spec of a PropagationPolicy, ClusterPropagationPolicy, OverridePolicy or
/// ClusterOverridePolicy: the fields fleetsim models, and the ones it reads and ignores.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicySpec {
    /// `resourceSelectors`.
    #[serde(default)]
    pub resource_selectors: Vec<ResourceSelectorSpec>,
    /// `placement`.
    pub placement: Option<PlacementSpec>,
    /// `priority`.
    pub priority: Option<i32>,
    /// `schedulePriority`.
    pub schedule_priority: Option<SchedulePrioritySpec>,
    // Known Karmada fields that do not change the decisions fleetsim models: read, reported.
    propagate_deps: Option<IgnoredAny>,
    preemption: Option<IgnoredAny>,
    dependent_overrides: Option<IgnoredAny>,
    scheduler_name: Option<IgnoredAny>,
    /// `failover`.
    pub failover: Option<FailoverSpec>,
    conflict_resolution: Option<IgnoredAny>,
    activation_preference: Option<IgnoredAny>,
    suspension: Option<IgnoredAny>,
    preserve_resources_on_deletion: Option<IgnoredAny>,
    association: Option<IgnoredAny>,
    /// `overrideRules` of an OverridePolicy.
    pub override_rules: Option<Vec<OverrideRuleSpec>>,
    target_cluster: Option<IgnoredAny>,
    overriders: Option<IgnoredAny>,
}

impl PolicySpec {
    /// The camelCase names of the given fields fleetsim does not model.
    pub fn present(&self) -> Vec<&'static str> {
        [
            ("propagateDeps", self.propagate_deps.is_some()),
            ("preemption", self.preemption.is_some()),
            ("dependentOverrides", self.dependent_overrides.is_some()),
            ("schedulerName", self.scheduler_name.is_some()),
            ("conflictResolution", self.conflict_resolution.is_some()),
            ("activationPreference", self.activation_preference.is_some()),
            ("suspension", self.suspension.is_some()),
            (
                "preserveResourcesOnDeletion",
                self.preserve_resources_on_deletion.is_some(),
            ),
            ("association", self.association.is_some()),
            ("targetCluster", self.target_cluster.is_some()),
            ("overriders", self.overriders.is_some()),
        ]
        .into_iter()
        .filter(|(_, given)| *given)
        .map(|(name, _)| name)
        .collect()
    }
}

/// `spec.failover` of a PropagationPolicy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FailoverSpec {
    /// `cluster`.
    pub cluster: Option<ClusterFailoverSpec>,
    /// `application`.
    pub application: Option<ApplicationFailoverSpec>,
}

/// `failover.cluster`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterFailoverSpec {
    /// `purgeMode`.
    pub purge_mode: Option<Text>,
    /// `statePreservation`: not modelled; warned about where it is set.
    pub state_preservation: Option<Spanned<IgnoredAny>>,
}

/// `failover.application`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApplicationFailoverSpec {
    /// `decisionConditions`.
    pub decision_conditions: Option<DecisionConditionsSpec>,
    /// `purgeMode`.
    pub purge_mode: Option<Text>,
    /// `gracePeriodSeconds`.
    pub grace_period_seconds: Option<Spanned<i64>>,
    /// `statePreservation`: not modelled; warned about where it is set.
    pub state_preservation: Option<Spanned<IgnoredAny>>,
}

/// `failover.application.decisionConditions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DecisionConditionsSpec {
    /// `tolerationSeconds`.
    pub toleration_seconds: Option<Spanned<i64>>,
}

/// One `overrideRules` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OverrideRuleSpec {
    /// `targetCluster`.
    pub target_cluster: Option<ClusterAffinitySpec>,
    /// `overriders`.
    pub overriders: OverridersSpec,
}

/// `overriders`: plaintext patches are modelled where they change what a pod needs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OverridersSpec {
    /// `plaintext` JSON patches.
    #[serde(default)]
    pub plaintext: Vec<PlaintextSpec>,
    pub(crate) image_overrider: Option<IgnoredAny>,
    pub(crate) command_overrider: Option<IgnoredAny>,
    pub(crate) args_overrider: Option<IgnoredAny>,
    pub(crate) labels_overrider: Option<IgnoredAny>,
    pub(crate) annotations_overrider: Option<IgnoredAny>,
    pub(crate) field_overrider: Option<IgnoredAny>,
}

/// A plaintext overrider: a JSON patch on the member manifest.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PlaintextSpec {
    /// JSON pointer.
    pub path: Text,
    /// add, replace or remove.
    pub operator: Text,
    /// The new value: any JSON (Karmada's `apiextensionsv1.JSON`).
    pub value: Option<Spanned<JsonValue>>,
}

/// Any JSON value, as a plaintext overrider's `value` may be.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum JsonValue {
    /// `null`.
    Null(()),
    /// `true` or `false`.
    Bool(bool),
    /// A whole number.
    Number(i64),
    /// A decimal number.
    Float(f64),
    /// A string.
    Text(String),
    /// A list.
    List(Vec<JsonValue>),
    /// An object.
    Map(BTreeMap<String, JsonValue>),
}

/// A plaintext overrider's value.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum PlainValue {
    /// A number.
    Number(i64),
    /// A string (a quantity, say).
    Text(String),
}

/// A `resourceSelectors` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceSelectorSpec {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `namespace`.
    #[serde(default)]
    pub namespace: String,
    /// `name`.
    #[serde(default)]
    pub name: String,
    /// `labelSelector`.
    pub label_selector: Option<LabelSelectorSpec>,
}

/// `schedulePriority`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SchedulePrioritySpec {
    /// Only `KubePriorityClass` is implemented by Karmada.
    pub priority_class_source: Text,
    /// The PriorityClass.
    pub priority_class_name: Text,
}
