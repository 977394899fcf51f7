//! Placements, selectors, tolerations and failover of Karmada objects, converted into the
//! scheduler's types with Karmada's defaults and webhook validation.

use scheduler::policy::{
    ApplicationFailover, ClusterAffinity, ClusterAffinityTerm, ClusterFailover, DivisionPreference,
    Failover, LabelSelector, Placement, PurgeMode, ReplicaScheduling, Requirement,
    SelectorOperator, SpreadConstraint, SpreadField, StaticWeightRule,
};

use serde::de::IgnoredAny;
use serde_saphyr::Spanned;

use crate::check::Checker;
use crate::error::Error;
use crate::spec::Text;
use crate::spec::karmada::*;

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

    pub(super) fn label_selector(
        &self,
        spec: &LabelSelectorSpec,
        path: &str,
    ) -> Result<LabelSelector, Error> {
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
                if wp.static_weight_list.is_empty() {
                    return Ok(DivisionPreference::EmptyWeightPreference);
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
