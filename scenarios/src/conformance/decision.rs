//! Decision cases (`divide`, `select`, `estimate`): one scheduling decision with its expected
//! answer, in the format of the shared conformance README. Each case runs through the same
//! filters, selection, division and estimators as a simulation.

use std::collections::BTreeMap;

use scheduler::SchedulerConfig;
use scheduler::binding::{BindingView, ClusterView, ResourceBinding};
use scheduler::divide::Mode;
use scheduler::estimator::ResourceSummary;
use scheduler::generic::{self, Given, Outcome};
use scheduler::policy::{DivisionPreference, Placement, ReplicaScheduling};
use serde::Deserialize;
use serde_saphyr::Spanned;
use sim_core::model::{Cluster, ClusterId, JobId, NamespaceId, PodRequest};
use sim_core::quantity::Quantity;

use super::{Answer, CaseResult};
use crate::check::Checker;
use crate::error::Error;
use crate::spec::karmada::{PlacementSpec, RequirementSpec, TolerationSpec};
use crate::spec::{TaintSpec, Text};

pub(super) type Quantities = BTreeMap<String, Text>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CaseSpec {
    pub(super) kind: Text,
    pub(super) name: Text,
    #[allow(dead_code)]
    pub(super) source: Option<String>,
    #[serde(default)]
    pub(super) clusters: Vec<CaseCluster>,
    pub(super) binding: Option<CaseBinding>,
    pub(super) placement: Option<PlacementSpec>,
    /// `select` only: `false` runs selection on the placement as written, without the
    /// webhook's defaults (Karmada's `TestSelectBestClusters` rows); default `true`.
    pub(super) defaulted: Option<Spanned<bool>>,
    pub(super) expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CaseCluster {
    pub(super) name: Text,
    pub(super) region: Option<String>,
    pub(super) zone: Option<String>,
    pub(super) provider: Option<String>,
    #[serde(default)]
    pub(super) labels: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) taints: Vec<TaintSpec>,
    pub(super) available_replicas: Option<i64>,
    pub(super) score: Option<i64>,
    pub(super) resource_summary: Option<SummarySpec>,
    #[serde(default)]
    pub(super) resource_models: Vec<ResourceModelSpec>,
    #[serde(default)]
    pub(super) allocatable_modelings: Vec<ModelingSpec>,
    pub(super) nodes: Option<Vec<NodeSpec>>,
    pub(super) quotas: Option<Vec<QuotaSpec>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SummarySpec {
    #[serde(default)]
    pub(super) allocatable: Quantities,
    #[serde(default)]
    pub(super) allocated: Quantities,
    #[serde(default)]
    pub(super) allocating: Quantities,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResourceModelSpec {
    pub(super) grade: u32,
    pub(super) ranges: Vec<RangeSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RangeSpec {
    pub(super) name: String,
    pub(super) min: Text,
    #[allow(dead_code)]
    pub(super) max: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ModelingSpec {
    pub(super) grade: u32,
    pub(super) count: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NodeSpec {
    #[serde(default)]
    pub(super) allocatable: Quantities,
    #[serde(default)]
    pub(super) requested: Quantities,
    #[serde(default)]
    pub(super) pods: i64,
    #[serde(default)]
    pub(super) labels: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) taints: Vec<TaintSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct QuotaSpec {
    pub(super) metadata: Option<QuotaMeta>,
    #[serde(default)]
    pub(super) spec: QuotaSpecBody,
    #[serde(default)]
    pub(super) status: QuotaStatus,
}

#[derive(Debug, Deserialize)]
pub(super) struct QuotaMeta {
    #[allow(dead_code)]
    pub(super) name: Option<String>,
    pub(super) namespace: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct QuotaSpecBody {
    #[serde(default)]
    #[allow(dead_code)]
    pub(super) hard: Quantities,
    #[serde(default)]
    pub(super) scopes: Vec<String>,
    pub(super) scope_selector: Option<ScopeSelectorSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct ScopeSelectorSpec {
    #[serde(default)]
    pub(super) match_expressions: Vec<ScopeExpressionSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct ScopeExpressionSpec {
    pub(super) scope_name: String,
    pub(super) operator: Option<Text>,
    #[serde(default)]
    pub(super) values: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct QuotaStatus {
    #[serde(default)]
    pub(super) hard: Quantities,
    #[serde(default)]
    pub(super) used: Quantities,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CaseBinding {
    #[serde(default)]
    pub(super) namespace: String,
    #[serde(default)]
    pub(super) replicas: i64,
    #[serde(default)]
    pub(super) requests: Quantities,
    #[serde(default)]
    pub(super) priority_class: String,
    #[serde(default)]
    pub(super) node_claim: NodeClaimSpec,
    #[serde(default)]
    pub(super) previous: Vec<TargetSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct NodeClaimSpec {
    #[serde(default)]
    pub(super) node_selector: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) tolerations: Vec<TolerationSpec>,
    pub(super) node_affinity: Option<NodeSelectorSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct NodeSelectorSpec {
    #[serde(default)]
    pub(super) node_selector_terms: Vec<NodeSelectorTermSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct NodeSelectorTermSpec {
    #[serde(default)]
    pub(super) match_expressions: Vec<RequirementSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TargetSpec {
    pub(super) name: String,
    pub(super) replicas: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Expect {
    pub(super) assignment: Option<Vec<TargetSpec>>,
    pub(super) selected: Option<Vec<String>>,
    pub(super) max_replicas: Option<BTreeMap<String, i64>>,
    pub(super) error: Option<Text>,
}

/// Runs one decision case from its text.
pub(super) fn run(ck: &Checker<'_>, text: &str) -> Result<CaseResult, Error> {
    let spec: CaseSpec = crate::parse_yaml(text, ck.file)?;
    run_case(ck, &spec)
}

pub(super) fn quantity_value(
    ck: &Checker<'_>,
    name: &str,
    text: &Text,
    path: &str,
) -> Result<i64, Error> {
    let q: Quantity = ck.quantity(text, path)?;
    // cpu is counted in milli-cores, everything else in whole units, as Karmada's estimators do.
    let value = if name
        .trim_start_matches("requests.")
        .trim_start_matches("limits.")
        == "cpu"
    {
        q.milli_value()
    } else {
        q.value()
    };
    Ok(value as i64)
}

fn run_case(ck: &Checker<'_>, spec: &CaseSpec) -> Result<CaseResult, Error> {
    let expected = expected_answer(ck, spec)?;
    let clusters: Vec<Cluster> = spec
        .clusters
        .iter()
        .enumerate()
        .map(|(idx, c)| {
            Ok(Cluster {
                name: c.name.value.clone(),
                region: c.region.clone(),
                zones: c.zone.iter().cloned().collect(),
                provider: c.provider.clone(),
                labels: c.labels.clone(),
                taints: ck.taints(&c.taints, &format!("clusters[{idx}].taints"))?,
                node_pools: Vec::new(),
            })
        })
        .collect::<Result<_, Error>>()?;
    let binding_spec = spec.binding.as_ref();
    let default_binding = CaseBinding::default();
    let b = binding_spec.unwrap_or(&default_binding);
    let mut binding =
        ResourceBinding::new(JobId(0), b.replicas, PodRequest::default(), NamespaceId(0));
    // A previous target that is not among the clusters has left the candidates; it keeps an id
    // past theirs so the division can tell it apart.
    let mut departed: Vec<String> = Vec::new();
    for target in &b.previous {
        let id = match clusters.iter().position(|c| c.name == target.name) {
            Some(id) => id,
            None => {
                departed.push(target.name.clone());
                clusters.len() + departed.len() - 1
            }
        };
        binding
            .clusters
            .push((ClusterId(id as u32), target.replicas));
    }
    binding.clusters.sort();
    let placement = placement(ck, spec)?;
    // A case pins one term: the first, as the scheduler observes it on a first schedule.
    binding.observed_affinity = placement.cluster_affinities.first().map(|t| t.name.clone());
    let summaries = vec![ResourceSummary::default(); clusters.len()];
    let views: Vec<ClusterView<'_>> = clusters
        .iter()
        .enumerate()
        .map(|(idx, cluster)| ClusterView {
            id: ClusterId(idx as u32),
            cluster,
            summary: &summaries[idx],
            api_enablements: None,
            member: None,
            resource_models: None,
            assumed: &[],
        })
        .collect();
    let view = BindingView {
        binding: &binding,
        placement: &placement,
    };
    let name_of = |id: ClusterId| {
        let idx = id.0 as usize;
        clusters.get(idx).map_or_else(
            || departed[idx - clusters.len()].clone(),
            |c| c.name.clone(),
        )
    };
    let got = match spec.kind.value.as_str() {
        "divide" => {
            let diagnoses: Vec<_> = views
                .iter()
                .zip(&spec.clusters)
                .map(|(v, c)| generic::given_candidate(&view, v, c.available_replicas.unwrap_or(0)))
                .collect();
            let all: Vec<usize> = (0..views.len()).collect();
            assignment_answer(
                generic::assign(&view, &views, &diagnoses, &all, Mode::Steady),
                &name_of,
            )
        }
        "select" => select_answer(spec, &clusters, &view, &views),
        "estimate" => Answer::MaxReplicas(super::estimate::estimates(ck, &spec.clusters, b)?),
        other => {
            return ck.at(
                &spec.kind,
                "kind",
                format!("unknown kind {other:?}; expected divide, select, estimate or timeline"),
            );
        }
    };
    Ok(CaseResult {
        name: spec.name.value.clone(),
        expected,
        got,
    })
}

/// The case's placement, with Karmada's webhook defaults unless a `select` case says
/// `defaulted: false`: then `Divided` without `replicaDivisionPreference` stays unset instead
/// of becoming Weighted (the only default selection reads).
fn placement(ck: &Checker<'_>, spec: &CaseSpec) -> Result<Placement, Error> {
    let mut placement = match &spec.placement {
        Some(p) => ck.placement(p, "placement")?,
        None => Placement::default(),
    };
    let Some(defaulted) = &spec.defaulted else {
        return Ok(placement);
    };
    if spec.kind.value != "select" {
        return ck.at(
            defaulted,
            "defaulted",
            format!(
                "defaulted applies to select cases only, not {:?}",
                spec.kind.value
            ),
        );
    }
    let unset = spec
        .placement
        .as_ref()
        .and_then(|p| p.replica_scheduling.as_ref())
        .is_some_and(|rs| {
            rs.replica_scheduling_type
                .as_ref()
                .is_some_and(|t| t.value == "Divided")
                && rs.replica_division_preference.is_none()
        });
    if !defaulted.value && unset {
        placement.replica_scheduling = ReplicaScheduling::Divided(DivisionPreference::Unset);
    }
    Ok(placement)
}

/// A `select` case: the clusters the scheduler selects, by name, or unschedulable.
fn select_answer(
    spec: &CaseSpec,
    clusters: &[Cluster],
    view: &BindingView<'_>,
    views: &[ClusterView<'_>],
) -> Answer {
    let plugins = SchedulerConfig::default()
        .resolve(0)
        .expect("in-tree plugins");
    let scores: Vec<Option<i64>> = spec.clusters.iter().map(|c| c.score).collect();
    let estimates: Vec<Option<i64>> = spec.clusters.iter().map(|c| c.available_replicas).collect();
    let decision = generic::schedule(
        &plugins,
        view,
        views,
        Given {
            scores: &scores,
            estimates: &estimates,
            brief: false,
        },
        Mode::Steady,
    );
    match decision.outcome {
        Outcome::NoClusterFit(_) | Outcome::Error(_) if decision.selected.is_empty() => {
            Answer::Unschedulable
        }
        _ => {
            let mut names: Vec<String> = decision
                .selected
                .iter()
                .map(|&i| clusters[i].name.clone())
                .collect();
            names.sort();
            Answer::Selected(names)
        }
    }
}

fn assignment_answer(outcome: Outcome, name_of: &dyn Fn(ClusterId) -> String) -> Answer {
    match outcome {
        Outcome::Scheduled(list) => Answer::Assignment(
            list.into_iter()
                .filter(|(_, r)| *r > 0)
                .map(|(id, r)| (name_of(id), r))
                .collect(),
        ),
        _ => Answer::Unschedulable,
    }
}

fn expected_answer(ck: &Checker<'_>, spec: &CaseSpec) -> Result<Answer, Error> {
    let e = &spec.expect;
    let given = [
        e.assignment.is_some(),
        e.selected.is_some(),
        e.max_replicas.is_some(),
        e.error.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return ck.error(
            0,
            0,
            "expect",
            "give exactly one of assignment, selected, max_replicas or error",
        );
    }
    if let Some(list) = &e.assignment {
        return Ok(Answer::Assignment(
            list.iter()
                .filter(|t| t.replicas > 0)
                .map(|t| (t.name.clone(), t.replicas))
                .collect(),
        ));
    }
    if let Some(names) = &e.selected {
        let mut names = names.clone();
        names.sort();
        return Ok(Answer::Selected(names));
    }
    if let Some(map) = &e.max_replicas {
        return Ok(Answer::MaxReplicas(map.clone()));
    }
    let error = e.error.as_ref().expect("counted");
    if error.value != "unschedulable" {
        return ck.at(
            error,
            "expect.error",
            format!("unknown error {:?}; expected unschedulable", error.value),
        );
    }
    Ok(Answer::Unschedulable)
}
