//! Table tests for the filters, after Karmada's plugin tests.

use sim_core::model::{Cluster, ClusterId, JobId, NamespaceId, PodRequest, Taint, TaintEffect};

use super::*;
use crate::binding::ResourceBinding;
use crate::estimator::ResourceSummary;
use crate::policy::{
    ClusterAffinity, ClusterAffinityTerm, Placement, SpreadConstraint, SpreadField, Toleration,
    TolerationOperator,
};

fn cluster(taint: Option<TaintEffect>) -> Cluster {
    Cluster {
        name: "cluster1".into(),
        region: Some("r1".into()),
        zones: Vec::new(),
        provider: None,
        labels: Default::default(),
        taints: taint
            .map(|effect| Taint {
                key: "key1".into(),
                value: "value1".into(),
                effect,
            })
            .into_iter()
            .collect(),
        node_pools: Vec::new(),
    }
}

struct Case {
    cluster: Cluster,
    placement: Placement,
    previous: i64,
    observed: Option<&'static str>,
    evicting: bool,
    apis: Option<Vec<String>>,
}

impl Case {
    fn new() -> Case {
        Case {
            cluster: cluster(None),
            placement: Placement::default(),
            previous: 0,
            observed: None,
            evicting: false,
            apis: None,
        }
    }

    fn check(&self, filter: &dyn FilterPlugin, expected: Option<&str>) {
        let mut binding = ResourceBinding::new(JobId(0), 1, PodRequest::default(), NamespaceId(0));
        if self.previous > 0 {
            binding.clusters = vec![(ClusterId(0), self.previous)];
        }
        binding.observed_affinity = self.observed.map(Into::into);
        if self.evicting {
            binding.evicting_from = vec![ClusterId(0)];
        }
        let summary = ResourceSummary::default();
        let view = BindingView {
            binding: &binding,
            placement: &self.placement,
        };
        let cluster_view = ClusterView {
            id: ClusterId(0),
            cluster: &self.cluster,
            summary: &summary,
            api_enablements: self.apis.as_deref(),
            member: None,
            resource_models: None,
            assumed: &[],
        };
        let expected = expected.map_or(Verdict::Fits, |r| Verdict::Unschedulable(r.to_owned()));
        assert_eq!(
            filter.filter(&view, &cluster_view),
            expected,
            "{}",
            filter.name()
        );
    }
}

fn toleration(
    operator: TolerationOperator,
    value: &str,
    effect: Option<TaintEffect>,
) -> Toleration {
    Toleration {
        toleration_seconds: None,
        key: "key1".into(),
        operator,
        value: value.into(),
        effect,
    }
}

fn with_tolerations(taint: TaintEffect, tolerations: Vec<Toleration>) -> Case {
    Case {
        cluster: cluster(Some(taint)),
        placement: Placement {
            cluster_tolerations: tolerations,
            ..Placement::default()
        },
        ..Case::new()
    }
}

#[test]
fn untolerated_taint_is_unschedulable() {
    with_tolerations(TaintEffect::NoSchedule, Vec::new()).check(
        &TaintToleration,
        Some("cluster(s) had untolerated taint {key1=value1:NoSchedule}"),
    );
}

#[test]
fn tolerated_taint_fits() {
    with_tolerations(
        TaintEffect::NoSchedule,
        vec![toleration(
            TolerationOperator::Equal,
            "value1",
            Some(TaintEffect::NoSchedule),
        )],
    )
    .check(&TaintToleration, None);
    with_tolerations(
        TaintEffect::NoSchedule,
        vec![toleration(TolerationOperator::Exists, "", None)],
    )
    .check(&TaintToleration, None);
}

#[test]
fn wrong_value_or_effect_does_not_tolerate() {
    let refused = Some("cluster(s) had untolerated taint {key1=value1:NoExecute}");
    with_tolerations(
        TaintEffect::NoExecute,
        vec![toleration(TolerationOperator::Equal, "other", None)],
    )
    .check(&TaintToleration, refused);
    with_tolerations(
        TaintEffect::NoExecute,
        vec![toleration(
            TolerationOperator::Exists,
            "",
            Some(TaintEffect::NoSchedule),
        )],
    )
    .check(&TaintToleration, refused);
}

#[test]
fn prefer_no_schedule_is_ignored() {
    with_tolerations(TaintEffect::PreferNoSchedule, Vec::new()).check(&TaintToleration, None);
}

#[test]
fn cluster_already_in_use_passes_taints_and_apis() {
    let mut case = with_tolerations(TaintEffect::NoSchedule, Vec::new());
    case.previous = 3;
    case.check(&TaintToleration, None);
    case.apis = Some(Vec::new());
    case.check(&ApiEnablement, None);
}

#[test]
fn missing_api_is_unschedulable() {
    let mut case = Case::new();
    case.apis = Some(vec!["apps/v1/Deployment".into()]);
    case.check(
        &ApiEnablement,
        Some("cluster(s) did not have the API resource"),
    );
    case.apis = Some(vec!["batch/v1/Job".into()]);
    case.check(&ApiEnablement, None);
    case.apis = None;
    case.check(&ApiEnablement, None);
}

fn names(names: &[&str]) -> ClusterAffinity {
    ClusterAffinity {
        cluster_names: names.iter().map(|n| n.to_string()).collect(),
        ..Default::default()
    }
}

#[test]
fn cluster_affinity_matches_names() {
    let mut case = Case::new();
    case.placement.cluster_affinity = Some(names(&["cluster1"]));
    case.check(&ClusterAffinityFilter, None);
    case.placement.cluster_affinity = Some(names(&["cluster2"]));
    case.check(
        &ClusterAffinityFilter,
        Some("cluster(s) did not match the placement cluster affinity constraint"),
    );
}

#[test]
fn affinity_terms_use_the_observed_term_and_its_overflow() {
    let mut case = Case::new();
    case.placement.cluster_affinities = vec![
        ClusterAffinityTerm {
            name: "a".into(),
            affinity: names(&["cluster2"]),
            overflow: vec![names(&["cluster1"])],
        },
        ClusterAffinityTerm {
            name: "b".into(),
            affinity: names(&["cluster3"]),
            overflow: Vec::new(),
        },
    ];
    case.observed = Some("a");
    case.check(&ClusterAffinityFilter, None);
    case.observed = Some("b");
    case.check(
        &ClusterAffinityFilter,
        Some("cluster(s) did not match the placement cluster affinity constraint"),
    );
}

#[test]
fn spread_by_a_missing_property_is_unschedulable() {
    let mut case = Case::new();
    for (field, reason) in [
        (
            SpreadField::Provider,
            Some("cluster(s) did not have provider property"),
        ),
        (
            SpreadField::Zone,
            Some("cluster(s) did not have zones property"),
        ),
        (SpreadField::Region, None),
        (SpreadField::Cluster, None),
    ] {
        case.placement.spread_constraints = vec![SpreadConstraint {
            field,
            min_groups: 1,
            max_groups: 2,
        }];
        case.check(&SpreadConstraintFilter, reason);
    }
}

#[test]
fn evicting_cluster_is_unschedulable() {
    let mut case = Case::new();
    case.check(&ClusterEviction, None);
    case.evicting = true;
    case.check(
        &ClusterEviction,
        Some("cluster(s) is in the process of eviction"),
    );
}
