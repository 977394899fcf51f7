//! Karmada objects in their own camelCase shape, as `kubectl get -o yaml` prints them, and
//! their conversion into the scheduler's types with Karmada's defaults and validation.

use std::collections::BTreeMap;

use scheduler::policy::{
    ApplicationFailover, ClusterAffinity, ClusterAffinityTerm, ClusterFailover, DivisionPreference,
    Failover, LabelSelector, OverridePolicy, OverrideRule, Overrider, Placement, PlacementId,
    PropagationPolicy, PurgeMode, ReplicaScheduling, Requirement, ResourceSelector,
    SelectorOperator, SpreadConstraint, SpreadField, StaticWeightRule, Toleration,
    TolerationOperator,
};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_saphyr::Spanned;
use sim_core::model::World;

use crate::error::Error;
use crate::spec::Text;
use crate::validate::Checker;

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
    fn location(&self) -> (u64, u64) {
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

/// Which selector a requirement belongs to: what operators and keys it may use.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SelectorKind {
    /// A label selector: In, NotIn, Exists, DoesNotExist.
    Label,
    /// Karmada's cluster field selector: node-selector operators on provider, region, zone (any
    /// other key reads as absent, as in Karmada's `ClusterMatches`).
    ClusterField,
    /// A node selector term: node-selector operators (with Gt and Lt) on any label.
    Node,
}

impl Checker<'_> {
    fn requirement(
        &self,
        spec: &RequirementSpec,
        path: &str,
        kind: SelectorKind,
    ) -> Result<Requirement, Error> {
        let numeric = kind != SelectorKind::Label;
        let operator = match spec.operator.value.as_str() {
            "In" => SelectorOperator::In,
            "NotIn" => SelectorOperator::NotIn,
            "Exists" => SelectorOperator::Exists,
            "DoesNotExist" => SelectorOperator::DoesNotExist,
            "Gt" if numeric => SelectorOperator::Gt,
            "Lt" if numeric => SelectorOperator::Lt,
            other => {
                let expected = if numeric {
                    "In, NotIn, Exists, DoesNotExist, Gt or Lt"
                } else {
                    "In, NotIn, Exists or DoesNotExist"
                };
                return self.at(
                    &spec.operator,
                    format!("{path}.operator"),
                    format!("unknown operator {other:?}; expected {expected}"),
                );
            }
        };
        if spec.key.value.is_empty() {
            return self.at(&spec.key, format!("{path}.key"), "the key is empty");
        }
        Ok(Requirement {
            key: spec.key.value.clone(),
            operator,
            values: spec.values.clone(),
        })
    }

    /// A node selector requirement (node affinity of a node claim).
    pub(crate) fn node_requirement(
        &self,
        spec: &RequirementSpec,
        path: &str,
    ) -> Result<Requirement, Error> {
        self.requirement(spec, path, SelectorKind::Node)
    }

    /// Kubernetes tolerations.
    pub(crate) fn tolerations(
        &self,
        specs: &[TolerationSpec],
        path: &str,
    ) -> Result<Vec<Toleration>, Error> {
        let mut tolerations = Vec::new();
        for (idx, t) in specs.iter().enumerate() {
            let t_path = format!("{path}[{idx}]");
            let operator = match t.operator.as_ref().map(|o| o.value.as_str()) {
                None | Some("Equal") | Some("") => TolerationOperator::Equal,
                Some("Exists") => TolerationOperator::Exists,
                Some(other) => {
                    return self.at(
                        t.operator.as_ref().expect("some"),
                        format!("{t_path}.operator"),
                        format!("unknown operator {other:?}; expected Exists or Equal"),
                    );
                }
            };
            let effect = match &t.effect {
                Some(text) if !text.value.is_empty() => {
                    Some(self.taint_effect(text, &format!("{t_path}.effect"))?)
                }
                _ => None,
            };
            tolerations.push(Toleration {
                // Kubernetes treats zero and negative seconds as "evict at once".
                toleration_seconds: t.toleration_seconds.map(|seconds| seconds.max(0) as u64),
                key: t.key.clone(),
                operator,
                value: t.value.clone(),
                effect,
            });
        }
        Ok(tolerations)
    }

    /// `spec.failover`, with Karmada's defaults (purge mode Gracefully, toleration 300 s,
    /// grace period 600 s).
    ///
    /// `statePreservation` is warned about, not modelled: Karmada copies the status fields its
    /// rules name into labels of the workload on the new cluster, which no simulated job reads;
    /// a moved job resumes from its last checkpoint whether or not it is set.
    pub(crate) fn failover(
        &self,
        spec: &FailoverSpec,
        path: &str,
        warnings: &mut Vec<String>,
    ) -> Result<Failover, Error> {
        let mut not_modelled = |value: &Option<Spanned<IgnoredAny>>, at: String| {
            if let Some(value) = value {
                warnings.push(format!(
                    "{}:{}: {at} is not modelled and was ignored: Karmada copies the status fields its rules name into labels of the workload on the new cluster; a moved job resumes from its last checkpoint (checkpoint_interval) with or without it",
                    self.file.display(),
                    value.referenced.line() + self.line_offset
                ));
            }
        };
        let purge = |text: &Option<Text>, at: String| -> Result<PurgeMode, Error> {
            match text.as_ref().map(|t| t.value.as_str()) {
                None | Some("Gracefully") | Some("Graciously") => Ok(PurgeMode::Gracefully),
                Some("Directly") | Some("Immediately") => Ok(PurgeMode::Directly),
                Some("Never") => Ok(PurgeMode::Never),
                Some(other) => self.at(
                    text.as_ref().expect("some"),
                    at,
                    format!("unknown purge mode {other:?}; expected Directly, Gracefully or Never"),
                ),
            }
        };
        let seconds = |value: &Option<Spanned<i64>>, at: String, default: u64| match value {
            None => Ok(default),
            Some(v) if v.value >= 0 => Ok(v.value as u64),
            Some(v) => self.at(v, at, format!("{} seconds: expected 0 or more", v.value)),
        };
        let cluster = match &spec.cluster {
            None => None,
            Some(c) => {
                not_modelled(
                    &c.state_preservation,
                    format!("{path}.cluster.statePreservation"),
                );
                Some(ClusterFailover {
                    purge_mode: purge(&c.purge_mode, format!("{path}.cluster.purgeMode"))?,
                })
            }
        };
        let application = match &spec.application {
            None => None,
            Some(a) => {
                not_modelled(
                    &a.state_preservation,
                    format!("{path}.application.statePreservation"),
                );
                let defaults = ApplicationFailover::default();
                Some(ApplicationFailover {
                    toleration_seconds: seconds(
                        &a.decision_conditions
                            .as_ref()
                            .and_then(|d| d.toleration_seconds.clone()),
                        format!("{path}.application.decisionConditions.tolerationSeconds"),
                        defaults.toleration_seconds,
                    )?,
                    purge_mode: purge(&a.purge_mode, format!("{path}.application.purgeMode"))?,
                    grace_period_seconds: seconds(
                        &a.grace_period_seconds,
                        format!("{path}.application.gracePeriodSeconds"),
                        defaults.grace_period_seconds,
                    )?,
                })
            }
        };
        Ok(Failover {
            cluster,
            application,
        })
    }

    fn label_selector(&self, spec: &LabelSelectorSpec, path: &str) -> Result<LabelSelector, Error> {
        let match_expressions = spec
            .match_expressions
            .iter()
            .enumerate()
            .map(|(idx, r)| {
                self.requirement(
                    r,
                    &format!("{path}.matchExpressions[{idx}]"),
                    SelectorKind::Label,
                )
            })
            .collect::<Result<_, _>>()?;
        Ok(LabelSelector {
            match_labels: spec.match_labels.clone(),
            match_expressions,
        })
    }

    fn affinity_parts(
        &self,
        names: &[String],
        exclude: &[String],
        labels: Option<&LabelSelectorSpec>,
        fields: Option<&FieldSelectorSpec>,
        path: &str,
    ) -> Result<ClusterAffinity, Error> {
        Ok(ClusterAffinity {
            cluster_names: names.to_vec(),
            exclude: exclude.to_vec(),
            label_selector: labels
                .map(|l| self.label_selector(l, &format!("{path}.labelSelector")))
                .transpose()?,
            field_selector: fields
                .map(|f| {
                    f.match_expressions
                        .iter()
                        .enumerate()
                        .map(|(idx, r)| {
                            self.requirement(
                                r,
                                &format!("{path}.fieldSelector.matchExpressions[{idx}]"),
                                SelectorKind::ClusterField,
                            )
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?,
        })
    }

    /// A `ClusterAffinity`.
    pub(crate) fn cluster_affinity(
        &self,
        spec: &ClusterAffinitySpec,
        path: &str,
    ) -> Result<ClusterAffinity, Error> {
        self.affinity_parts(
            &spec.cluster_names,
            &spec.exclude,
            spec.label_selector.as_ref(),
            spec.field_selector.as_ref(),
            path,
        )
    }

    fn affinity_term(
        &self,
        spec: &ClusterAffinityTermSpec,
        path: &str,
    ) -> Result<ClusterAffinity, Error> {
        self.affinity_parts(
            &spec.cluster_names,
            &spec.exclude,
            spec.label_selector.as_ref(),
            spec.field_selector.as_ref(),
            path,
        )
    }

    /// A Karmada placement with the webhook's defaults and validation applied.
    pub(crate) fn placement(&self, spec: &PlacementSpec, path: &str) -> Result<Placement, Error> {
        let cluster_affinity = spec
            .cluster_affinity
            .as_ref()
            .map(|a| self.cluster_affinity(a, &format!("{path}.clusterAffinity")))
            .transpose()?;
        let mut cluster_affinities = Vec::new();
        if let Some(terms) = &spec.cluster_affinities {
            if cluster_affinity.is_some() {
                return self.error(
                    0,
                    0,
                    format!("{path}.clusterAffinities"),
                    "clusterAffinity and clusterAffinities cannot both be set",
                );
            }
            let mut names = std::collections::BTreeSet::new();
            for (idx, term) in terms.iter().enumerate() {
                let term_path = format!("{path}.clusterAffinities[{idx}]");
                if !names.insert(term.affinity_name.value.clone()) {
                    return self.at(
                        &term.affinity_name,
                        format!("{term_path}.affinityName"),
                        format!("duplicate affinityName {:?}", term.affinity_name.value),
                    );
                }
                let overflow = term
                    .overflow_affinities
                    .iter()
                    .enumerate()
                    .map(|(o_idx, o)| {
                        self.affinity_term(o, &format!("{term_path}.overflowAffinities[{o_idx}]"))
                    })
                    .collect::<Result<_, _>>()?;
                cluster_affinities.push(ClusterAffinityTerm {
                    name: term.affinity_name.value.clone(),
                    affinity: self.affinity_term(term, &term_path)?,
                    overflow,
                });
            }
        }
        let cluster_tolerations = self.tolerations(
            &spec.cluster_tolerations,
            &format!("{path}.clusterTolerations"),
        )?;
        let spread_constraints = self.spread_constraints(
            &spec.spread_constraints,
            &format!("{path}.spreadConstraints"),
        )?;
        let replica_scheduling = match &spec.replica_scheduling {
            None => ReplicaScheduling::Duplicated,
            Some(rs) => self.replica_scheduling(rs, &format!("{path}.replicaScheduling"))?,
        };
        Ok(Placement {
            failover: Failover::default(),
            cluster_affinity,
            cluster_affinities,
            cluster_tolerations,
            spread_constraints,
            replica_scheduling,
        })
    }

    fn spread_constraints(
        &self,
        specs: &[SpreadConstraintSpec],
        path: &str,
    ) -> Result<Vec<SpreadConstraint>, Error> {
        let mut constraints = Vec::new();
        for (idx, spec) in specs.iter().enumerate() {
            let c_path = format!("{path}[{idx}]");
            let field = match (&spec.spread_by_field, &spec.spread_by_label) {
                (Some(_), Some(label)) => {
                    return self.at(
                        label,
                        format!("{c_path}.spreadByLabel"),
                        "spreadByLabel cannot be set with spreadByField",
                    );
                }
                (None, Some(label)) => SpreadField::Label(label.value.clone()),
                (None, None) => SpreadField::Cluster,
                (Some(text), None) => match text.value.as_str() {
                    "cluster" => SpreadField::Cluster,
                    "region" => SpreadField::Region,
                    "zone" => SpreadField::Zone,
                    "provider" => SpreadField::Provider,
                    other => {
                        return self.at(text, format!("{c_path}.spreadByField"), format!("unknown spreadByField {other:?}; expected cluster, region, zone or provider"));
                    }
                },
            };
            let min_groups = spec.min_groups.as_ref().map_or(0, |m| m.value).max(1);
            let max_groups = spec.max_groups.as_ref().map_or(0, |m| m.value);
            if max_groups > 0 && max_groups < min_groups {
                let (line, column) = spec.location();
                return self.error(
                    line,
                    column,
                    c_path,
                    format!("maxGroups ({max_groups}) is lower than minGroups ({min_groups})"),
                );
            }
            constraints.push(SpreadConstraint {
                field,
                min_groups,
                max_groups,
            });
        }
        Ok(constraints)
    }

    /// The admission webhook's checks of a policy's placement (`ValidateSpreadConstraint`):
    /// one constraint per field, and a cluster constraint whenever another field is used.
    /// Decision cases skip them, as Karmada's unit tests do.
    pub(crate) fn admit_placement(
        &self,
        spec: &PlacementSpec,
        placement: &Placement,
        path: &str,
    ) -> Result<(), Error> {
        let path = format!("{path}.spreadConstraints");
        let mut seen = std::collections::BTreeSet::new();
        for (idx, constraint) in placement.spread_constraints.iter().enumerate() {
            if matches!(constraint.field, SpreadField::Label(_)) {
                continue;
            }
            if !seen.insert(&constraint.field) {
                let (line, column) = spec.spread_constraints[idx].location();
                let field = format!("{:?}", constraint.field).to_lowercase();
                return self.error(
                    line,
                    column,
                    format!("{path}[{idx}]"),
                    format!("multiple {field} spread constraints are not allowed"),
                );
            }
        }
        if !seen.is_empty() && !seen.contains(&SpreadField::Cluster) {
            let (line, column) = spec
                .spread_constraints
                .first()
                .map_or((0, 0), SpreadConstraintSpec::location);
            return self.error(
                line,
                column,
                path,
                "the cluster spread constraint must be enabled in one of the constraints in case of spreadByField is enabled",
            );
        }
        Ok(())
    }

    fn replica_scheduling(
        &self,
        rs: &ReplicaSchedulingSpec,
        path: &str,
    ) -> Result<ReplicaScheduling, Error> {
        match rs
            .replica_scheduling_type
            .as_ref()
            .map(|t| t.value.as_str())
        {
            None | Some("Duplicated") => Ok(ReplicaScheduling::Duplicated),
            Some("Divided") => Ok(ReplicaScheduling::Divided(self.division(rs, path)?)),
            Some(other) => self.at(
                rs.replica_scheduling_type.as_ref().expect("some"),
                format!("{path}.replicaSchedulingType"),
                format!("unknown type {other:?}; expected Duplicated or Divided"),
            ),
        }
    }

    fn division(
        &self,
        rs: &ReplicaSchedulingSpec,
        path: &str,
    ) -> Result<DivisionPreference, Error> {
        match rs
            .replica_division_preference
            .as_ref()
            .map(|t| t.value.as_str())
        {
            Some("Aggregated") => Ok(DivisionPreference::Aggregated),
            None | Some("Weighted") => {
                let Some(wp) = &rs.weight_preference else {
                    return Ok(DivisionPreference::StaticWeight(Vec::new()));
                };
                if let Some(dynamic) = &wp.dynamic_weight {
                    if dynamic.value != "AvailableReplicas" {
                        return self.at(
                            dynamic,
                            format!("{path}.weightPreference.dynamicWeight"),
                            format!(
                                "unknown dynamic weight {:?}; expected AvailableReplicas",
                                dynamic.value
                            ),
                        );
                    }
                    return Ok(DivisionPreference::DynamicWeight);
                }
                let mut rules = Vec::new();
                for (idx, rule) in wp.static_weight_list.iter().enumerate() {
                    let r_path = format!("{path}.weightPreference.staticWeightList[{idx}]");
                    if rule.weight.value < 1 {
                        return self.at(
                            &rule.weight,
                            format!("{r_path}.weight"),
                            "weight must be at least 1",
                        );
                    }
                    rules.push(StaticWeightRule {
                        target: self.cluster_affinity(
                            &rule.target_cluster,
                            &format!("{r_path}.targetCluster"),
                        )?,
                        weight: rule.weight.value,
                    });
                }
                Ok(DivisionPreference::StaticWeight(rules))
            }
            Some(other) => self.at(
                rs.replica_division_preference.as_ref().expect("some"),
                format!("{path}.replicaDivisionPreference"),
                format!("unknown preference {other:?}; expected Aggregated or Weighted"),
            ),
        }
    }
}

/// A Karmada object as `kubectl get -o yaml` prints it, or a `List` of them.
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
    /// `items` of a `List`.
    #[serde(default)]
    pub items: Vec<ObjectSpec>,
    /// `status`, ignored.
    pub status: Option<IgnoredAny>,
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
    workload_affinity: Option<IgnoredAny>,
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
            ("workloadAffinity", self.workload_affinity.is_some()),
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
    image_overrider: Option<IgnoredAny>,
    command_overrider: Option<IgnoredAny>,
    args_overrider: Option<IgnoredAny>,
    labels_overrider: Option<IgnoredAny>,
    annotations_overrider: Option<IgnoredAny>,
    field_overrider: Option<IgnoredAny>,
}

/// A plaintext overrider: a JSON patch on the member manifest.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PlaintextSpec {
    /// JSON pointer.
    pub path: Text,
    /// add, replace or remove.
    pub operator: Text,
    /// The new value.
    pub value: Option<Spanned<PlainValue>>,
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

/// Just the kinds of an object and of a List's items.
#[derive(Debug, Deserialize)]
struct KindHeader {
    kind: Text,
    #[serde(default)]
    items: Vec<KindHeader>,
}

const POLICY_KINDS: [&str; 5] = [
    "PropagationPolicy",
    "ClusterPropagationPolicy",
    "OverridePolicy",
    "ClusterOverridePolicy",
    "List",
];

impl Checker<'_> {
    fn check_kinds(&self, header: &KindHeader, path: &str) -> Result<(), Error> {
        let kind_path = if path.is_empty() {
            "kind".to_owned()
        } else {
            format!("{path}.kind")
        };
        if !POLICY_KINDS.contains(&header.kind.value.as_str()) {
            return self.at(
                &header.kind,
                kind_path,
                format!(
                    "unknown kind {:?}; expected PropagationPolicy, ClusterPropagationPolicy, OverridePolicy, ClusterOverridePolicy or List",
                    header.kind.value
                ),
            );
        }
        for (idx, item) in header.items.iter().enumerate() {
            let item_path = if path.is_empty() {
                format!("items[{idx}]")
            } else {
                format!("{path}.items[{idx}]")
            };
            self.check_kinds(item, &item_path)?;
        }
        Ok(())
    }
}

/// Policies read from Karmada YAML, ready for the control plane.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportedPolicies {
    /// Placements, indexed by the policies' `placement`.
    pub placements: Vec<Placement>,
    /// PropagationPolicies and ClusterPropagationPolicies.
    pub policies: Vec<PropagationPolicy>,
    /// OverridePolicies and ClusterOverridePolicies.
    pub overrides: Vec<OverridePolicy>,
    /// One line per Karmada field or object read but not modelled.
    pub warnings: Vec<String>,
}

/// Splits a multi-document YAML text at `---` lines, keeping each document's first line number.
fn documents(text: &str) -> Vec<(usize, String)> {
    let mut docs = Vec::new();
    let mut current = String::new();
    let mut start = 1;
    for (idx, line) in text.lines().enumerate() {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed.starts_with("--- ") || trimmed.starts_with("---#") {
            docs.push((start, std::mem::take(&mut current)));
            start = idx + 2;
            continue;
        }
        current.push_str(line);
        current.push('\n');
    }
    docs.push((start, current));
    docs.into_iter()
        .filter(|(_, doc)| {
            doc.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        })
        .collect()
}

impl Checker<'_> {
    /// Reads every policy object of one Karmada YAML file (single documents, several
    /// documents, or `List`s) into `out`.
    pub(crate) fn import_karmada(
        &self,
        text: &str,
        world: &World,
        out: &mut ImportedPolicies,
    ) -> Result<(), Error> {
        for (first_line, doc) in documents(text) {
            let shifted = Checker {
                file: self.file,
                line_offset: first_line as u64 - 1,
            };
            // The kind decides what a spec may hold, so an unknown kind is named before the
            // spec's fields are checked against a policy's.
            let header: KindHeader = crate::parse_yaml(&doc, self.file)
                .map_err(|err| shift_lines(err, first_line - 1))?;
            shifted.check_kinds(&header, "")?;
            let object: ObjectSpec = crate::parse_yaml(&doc, self.file)
                .map_err(|err| shift_lines(err, first_line - 1))?;
            shifted.import_object(&object, "", world, out)?;
        }
        Ok(())
    }

    fn import_object(
        &self,
        object: &ObjectSpec,
        path: &str,
        world: &World,
        out: &mut ImportedPolicies,
    ) -> Result<(), Error> {
        let kind = object.kind.value.as_str();
        let here = |field: &str| {
            if path.is_empty() {
                field.to_owned()
            } else {
                format!("{path}.{field}")
            }
        };
        if kind == "List" {
            for (idx, item) in object.items.iter().enumerate() {
                self.import_object(item, &here(&format!("items[{idx}]")), world, out)?;
            }
            return Ok(());
        }
        let namespaced = match kind {
            "PropagationPolicy" | "OverridePolicy" => true,
            "ClusterPropagationPolicy" | "ClusterOverridePolicy" => false,
            other => {
                return self.at(
                    &object.kind,
                    here("kind"),
                    format!("unknown kind {other:?}; expected PropagationPolicy, ClusterPropagationPolicy, OverridePolicy, ClusterOverridePolicy or List"),
                );
            }
        };
        let Some(name) = &object.metadata.name else {
            return self.at(
                &object.kind,
                here("metadata.name"),
                "a policy needs metadata.name",
            );
        };
        let namespace = if namespaced {
            Some(
                object
                    .metadata
                    .namespace
                    .clone()
                    .unwrap_or_else(|| "default".to_owned()),
            )
        } else {
            None
        };
        let display = match &namespace {
            Some(ns) => format!("{kind} {ns}/{}", name.value),
            None => format!("{kind} {}", name.value),
        };
        let line = name.referenced.line() + self.line_offset;
        let Some(spec) = &object.spec else {
            return self.at(&object.kind, here("spec"), format!("{display} has no spec"));
        };
        if kind.ends_with("OverridePolicy") {
            return self.import_override(spec, name, namespace, &display, line, &here, out);
        }
        for field in spec.present() {
            out.warnings.push(format!(
                "{}:{line}: {display}: spec.{field} is not modelled and was ignored",
                self.file.display()
            ));
        }
        let mut placement = match &spec.placement {
            Some(p) => {
                let placement = self.placement(p, &here("spec.placement"))?;
                self.admit_placement(p, &placement, &here("spec.placement"))?;
                placement
            }
            None => Placement::default(),
        };
        if let Some(failover) = &spec.failover {
            placement.failover =
                self.failover(failover, &here("spec.failover"), &mut out.warnings)?;
        }
        let schedule_priority = match &spec.schedule_priority {
            None => 0,
            Some(sp) if sp.priority_class_source.value != "KubePriorityClass" => {
                out.warnings.push(format!(
                    "{}:{line}: {display}: schedulePriority.priorityClassSource {:?} is not supported by Karmada yet; priority 0 is used",
                    self.file.display(),
                    sp.priority_class_source.value
                ));
                0
            }
            Some(sp) => match world
                .priority_classes
                .iter()
                .find(|c| c.name == sp.priority_class_name.value)
            {
                Some(class) => class.value,
                None => {
                    return self.at(
                        &sp.priority_class_name,
                        here("spec.schedulePriority.priorityClassName"),
                        format!(
                            "unknown priority class {:?}; declare it under priority_classes",
                            sp.priority_class_name.value
                        ),
                    );
                }
            },
        };
        let selectors = self.resource_selectors(spec, namespace.as_deref(), &here)?;
        if selectors.is_empty() {
            return self.at(
                name,
                here("spec.resourceSelectors"),
                format!("{display} selects nothing: resourceSelectors is empty"),
            );
        }
        if out
            .policies
            .iter()
            .any(|p| p.name == name.value && p.namespace == namespace)
        {
            return self.at(name, here("metadata.name"), format!("duplicate {display}"));
        }
        out.placements.push(placement);
        out.policies.push(PropagationPolicy {
            name: name.value.clone(),
            namespace,
            priority: spec.priority.unwrap_or(0),
            selectors,
            placement: PlacementId(out.placements.len() as u32 - 1),
            schedule_priority,
        });
        Ok(())
    }
}

impl Checker<'_> {
    #[allow(clippy::too_many_arguments)]
    fn import_override(
        &self,
        spec: &PolicySpec,
        name: &Text,
        namespace: Option<String>,
        display: &str,
        line: u64,
        here: &dyn Fn(&str) -> String,
        out: &mut ImportedPolicies,
    ) -> Result<(), Error> {
        let warn = |out: &mut ImportedPolicies, what: String| {
            out.warnings
                .push(format!("{}:{line}: {display}: {what}", self.file.display()));
        };
        for field in spec.present() {
            warn(out, format!("spec.{field} is not modelled and was ignored"));
        }
        let mut rules = Vec::new();
        for (r_idx, rule) in spec.override_rules.iter().flatten().enumerate() {
            let r_path = here(&format!("spec.overrideRules[{r_idx}]"));
            let target = rule
                .target_cluster
                .as_ref()
                .map(|t| self.cluster_affinity(t, &format!("{r_path}.targetCluster")))
                .transpose()?;
            let o = &rule.overriders;
            let others = [
                ("imageOverrider", o.image_overrider.is_some()),
                ("commandOverrider", o.command_overrider.is_some()),
                ("argsOverrider", o.args_overrider.is_some()),
                ("labelsOverrider", o.labels_overrider.is_some()),
                ("annotationsOverrider", o.annotations_overrider.is_some()),
                ("fieldOverrider", o.field_overrider.is_some()),
            ];
            for (field, given) in others {
                if given {
                    warn(
                        out,
                        format!(
                            "overrideRules[{r_idx}].overriders.{field} does not change what pods need and was ignored"
                        ),
                    );
                }
            }
            let mut overriders = Vec::new();
            for (p_idx, patch) in o.plaintext.iter().enumerate() {
                let p_path = format!("{r_path}.overriders.plaintext[{p_idx}]");
                match self.plaintext(patch, &p_path)? {
                    Some(overrider) => overriders.push(overrider),
                    None => warn(
                        out,
                        format!(
                            "plaintext {} {:?} is not modelled and was ignored",
                            patch.operator.value, patch.path.value
                        ),
                    ),
                }
            }
            rules.push(OverrideRule { target, overriders });
        }
        let selectors = self.resource_selectors(spec, namespace.as_deref(), here)?;
        out.overrides.push(OverridePolicy {
            name: name.value.clone(),
            namespace,
            selectors,
            rules,
        });
        Ok(())
    }

    /// `resourceSelectors`; the webhook fills a namespaced policy's empty selector namespace
    /// with its own.
    fn resource_selectors(
        &self,
        spec: &PolicySpec,
        namespace: Option<&str>,
        here: &dyn Fn(&str) -> String,
    ) -> Result<Vec<ResourceSelector>, Error> {
        let mut selectors = Vec::new();
        for (idx, s) in spec.resource_selectors.iter().enumerate() {
            let path = here(&format!("spec.resourceSelectors[{idx}].labelSelector"));
            let label_selector = s
                .label_selector
                .as_ref()
                .map(|l| self.label_selector(l, &path))
                .transpose()?;
            selectors.push(ResourceSelector {
                api_version: s.api_version.clone(),
                kind: s.kind.clone(),
                namespace: if s.namespace.is_empty() {
                    namespace.unwrap_or_default().to_owned()
                } else {
                    s.namespace.clone()
                },
                name: s.name.clone(),
                label_selector,
            });
        }
        Ok(selectors)
    }

    /// A plaintext patch fleetsim models: replicas or a container's cpu, memory or GPU request.
    fn plaintext(&self, patch: &PlaintextSpec, path: &str) -> Result<Option<Overrider>, Error> {
        let pointer = patch.path.value.as_str();
        let operator = patch.operator.value.as_str();
        if !["add", "replace", "remove"].contains(&operator) {
            return self.at(
                &patch.operator,
                format!("{path}.operator"),
                format!("unknown operator {operator:?}; expected add, replace or remove"),
            );
        }
        let resource = pointer
            .strip_prefix("/spec/template/spec/containers/")
            .and_then(|rest| rest.split_once("/resources/requests/"))
            .map(|(_, resource)| resource.replace("~1", "/"));
        let is_replicas = pointer == "/spec/replicas" || pointer == "/spec/parallelism";
        if !is_replicas && resource.is_none() {
            return Ok(None);
        }
        if operator == "remove" {
            return Ok(match resource.as_deref() {
                Some("cpu") => Some(Overrider::CpuRequest(0)),
                Some("memory") => Some(Overrider::MemoryRequest(0)),
                Some("nvidia.com/gpu") => Some(Overrider::GpuRequest(0)),
                _ => None,
            });
        }
        let Some(value) = &patch.value else {
            return self.at(
                &patch.path,
                format!("{path}.value"),
                format!("{operator} needs a value"),
            );
        };
        let text = match &value.value {
            PlainValue::Number(n) => n.to_string(),
            PlainValue::Text(t) => t.clone(),
        };
        let bad = |what: &str| {
            self.at(
                value,
                format!("{path}.value"),
                format!("{text:?} is not {what}"),
            )
        };
        if is_replicas {
            return match text.parse::<i64>() {
                Ok(n) if n >= 0 => Ok(Some(Overrider::Replicas(n))),
                _ => bad("a replica count"),
            };
        }
        let Ok(quantity) = sim_core::quantity::Quantity::parse(&text) else {
            return bad("a quantity");
        };
        Ok(match resource.as_deref() {
            Some("cpu") => Some(Overrider::CpuRequest(quantity.milli_value())),
            Some("memory") => Some(Overrider::MemoryRequest(quantity.value())),
            Some("nvidia.com/gpu") => match u32::try_from(quantity.value()) {
                Ok(gpus) => Some(Overrider::GpuRequest(gpus)),
                Err(_) => return bad("a GPU count of at most 4294967295"),
            },
            _ => None,
        })
    }
}

fn shift_lines(err: Error, offset: usize) -> Error {
    match err {
        Error::Input {
            mut position,
            message,
        } => {
            if position.line > 0 {
                position.line += offset as u64;
            }
            Error::Input { position, message }
        }
        other => other,
    }
}
