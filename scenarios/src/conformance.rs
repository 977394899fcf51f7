//! Scheduling decision cases (`fleetsim conformance DIR`): one YAML file per decision with its
//! expected answer, in the format of the shared conformance README. Each case runs through
//! the same filters, selection, division and estimators as a simulation.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use scheduler::SchedulerConfig;
use scheduler::binding::{BindingView, ClusterView, ResourceBinding};
use scheduler::divide::Mode;
use scheduler::estimator::{
    ModelGrade, NodeClaim, NodeSnapshot, ResourceQuota, ResourceSummary, ScopeRequirement,
    replicas_by_models, replicas_by_quotas, replicas_by_resources, replicas_on_nodes,
};
use scheduler::generic::{self, Given, NO_LIMIT, Outcome};
use scheduler::policy::{Placement, Requirement, SelectorOperator};
use serde::Deserialize;
use sim_core::model::{Cluster, ClusterId, JobId, NamespaceId, PodRequest};
use sim_core::quantity::Quantity;

use crate::check::Checker;
use crate::error::Error;
use crate::spec::karmada::{PlacementSpec, RequirementSpec, TolerationSpec};
use crate::spec::{TaintSpec, Text};

type Quantities = BTreeMap<String, Text>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseSpec {
    kind: Text,
    name: Text,
    #[allow(dead_code)]
    source: Option<String>,
    #[serde(default)]
    clusters: Vec<CaseCluster>,
    binding: Option<CaseBinding>,
    placement: Option<PlacementSpec>,
    expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseCluster {
    name: Text,
    region: Option<String>,
    zone: Option<String>,
    provider: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    taints: Vec<TaintSpec>,
    available_replicas: Option<i64>,
    score: Option<i64>,
    resource_summary: Option<SummarySpec>,
    #[serde(default)]
    resource_models: Vec<ResourceModelSpec>,
    #[serde(default)]
    allocatable_modelings: Vec<ModelingSpec>,
    nodes: Option<Vec<NodeSpec>>,
    quotas: Option<Vec<QuotaSpec>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SummarySpec {
    #[serde(default)]
    allocatable: Quantities,
    #[serde(default)]
    allocated: Quantities,
    #[serde(default)]
    allocating: Quantities,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceModelSpec {
    grade: u32,
    ranges: Vec<RangeSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeSpec {
    name: String,
    min: Text,
    #[allow(dead_code)]
    max: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelingSpec {
    grade: u32,
    count: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeSpec {
    #[serde(default)]
    allocatable: Quantities,
    #[serde(default)]
    requested: Quantities,
    #[serde(default)]
    pods: i64,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    taints: Vec<TaintSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaSpec {
    metadata: Option<QuotaMeta>,
    #[serde(default)]
    spec: QuotaSpecBody,
    #[serde(default)]
    status: QuotaStatus,
}

#[derive(Debug, Deserialize)]
struct QuotaMeta {
    #[allow(dead_code)]
    name: Option<String>,
    namespace: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct QuotaSpecBody {
    #[serde(default)]
    #[allow(dead_code)]
    hard: Quantities,
    #[serde(default)]
    scopes: Vec<String>,
    scope_selector: Option<ScopeSelectorSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ScopeSelectorSpec {
    #[serde(default)]
    match_expressions: Vec<ScopeExpressionSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ScopeExpressionSpec {
    scope_name: String,
    operator: Option<Text>,
    #[serde(default)]
    values: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaStatus {
    #[serde(default)]
    hard: Quantities,
    #[serde(default)]
    used: Quantities,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseBinding {
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    replicas: i64,
    #[serde(default)]
    requests: Quantities,
    #[serde(default)]
    priority_class: String,
    #[serde(default)]
    node_claim: NodeClaimSpec,
    #[serde(default)]
    previous: Vec<TargetSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NodeClaimSpec {
    #[serde(default)]
    node_selector: BTreeMap<String, String>,
    #[serde(default)]
    tolerations: Vec<TolerationSpec>,
    node_affinity: Option<NodeSelectorSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NodeSelectorSpec {
    #[serde(default)]
    node_selector_terms: Vec<NodeSelectorTermSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NodeSelectorTermSpec {
    #[serde(default)]
    match_expressions: Vec<RequirementSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetSpec {
    name: String,
    replicas: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    assignment: Option<Vec<TargetSpec>>,
    selected: Option<Vec<String>>,
    max_replicas: Option<BTreeMap<String, i64>>,
    error: Option<Text>,
}

/// The answer a case expects or gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Replicas per cluster name (0 omitted).
    Assignment(BTreeMap<String, i64>),
    /// Selected cluster names.
    Selected(Vec<String>),
    /// Max replicas per cluster name.
    MaxReplicas(BTreeMap<String, i64>),
    /// The decision fails.
    Unschedulable,
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let join = |map: &BTreeMap<String, i64>| {
            map.iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Answer::Assignment(map) => write!(f, "assignment {{{}}}", join(map)),
            Answer::Selected(names) => write!(f, "selected [{}]", names.join(", ")),
            Answer::MaxReplicas(map) => write!(f, "max_replicas {{{}}}", join(map)),
            Answer::Unschedulable => f.write_str("error unschedulable"),
        }
    }
}

/// One case's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseResult {
    /// The case's name.
    pub name: String,
    /// What the case expects.
    pub expected: Answer,
    /// What fleetsim decided.
    pub got: Answer,
}

impl CaseResult {
    /// True when the decision matches the expectation.
    pub fn passed(&self) -> bool {
        self.expected == self.got
    }

    /// `ok NAME` or `FAIL NAME: expected …, got …`.
    pub fn line(&self) -> String {
        if self.passed() {
            format!("ok {}", self.name)
        } else {
            format!(
                "FAIL {}: expected {}, got {}",
                self.name, self.expected, self.got
            )
        }
    }
}

/// Runs every `*.yaml` case in `dir`, in file-name order.
pub fn run_dir(dir: &Path) -> Result<Vec<CaseResult>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
        file: dir.to_owned(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    if files.is_empty() {
        // A folder with no cases would pass vacuously: a CI step pointed at the wrong path
        // must fail, not report "0 passed, 0 failed".
        return Err(Error::Input {
            position: crate::Position {
                file: dir.to_owned(),
                line: 0,
                column: 0,
                path: String::new(),
            },
            message: "no case files (*.yaml) in this folder: expected at least one".to_owned(),
        });
    }
    files.iter().map(|file| run_file(file)).collect()
}

/// Runs one case file.
pub fn run_file(file: &Path) -> Result<CaseResult, Error> {
    let text = std::fs::read_to_string(file).map_err(|source| Error::Io {
        file: file.to_owned(),
        source,
    })?;
    let spec: CaseSpec = crate::parse_yaml(&text, file)?;
    let ck = Checker {
        file,
        line_offset: 0,
    };
    run_case(&ck, &spec)
}

fn quantity_value(ck: &Checker<'_>, name: &str, text: &Text, path: &str) -> Result<i64, Error> {
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

fn resources(ck: &Checker<'_>, map: &Quantities, path: &str) -> Result<Vec<(String, i64)>, Error> {
    map.iter()
        .map(|(name, text)| {
            Ok((
                name.clone(),
                quantity_value(ck, name, text, &format!("{path}.{name}"))?,
            ))
        })
        .collect()
}

fn lookup(list: &[(String, i64)], name: &str) -> i64 {
    list.iter().find(|(n, _)| n == name).map_or(0, |(_, v)| *v)
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
    let request = resources(ck, &b.requests, "binding.requests")?;
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
    let placement = match &spec.placement {
        Some(p) => ck.placement(p, "placement")?,
        None => Placement::default(),
    };
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
        "estimate" => {
            let mut answers = BTreeMap::new();
            for (idx, cluster) in spec.clusters.iter().enumerate() {
                answers.insert(
                    cluster.name.value.clone(),
                    estimate(ck, idx, cluster, b, &request)?,
                );
            }
            Answer::MaxReplicas(answers)
        }
        other => {
            return ck.at(
                &spec.kind,
                "kind",
                format!("unknown kind {other:?}; expected divide, select or estimate"),
            );
        }
    };
    Ok(CaseResult {
        name: spec.name.value.clone(),
        expected,
        got,
    })
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

fn estimate(
    ck: &Checker<'_>,
    idx: usize,
    cluster: &CaseCluster,
    binding: &CaseBinding,
    request: &[(String, i64)],
) -> Result<i64, Error> {
    let path = format!("clusters[{idx}]");
    let mut answers = Vec::new();
    if let Some(summary) = &cluster.resource_summary {
        let allocatable = resources(
            ck,
            &summary.allocatable,
            &format!("{path}.resource_summary.allocatable"),
        )?;
        let allocated = resources(
            ck,
            &summary.allocated,
            &format!("{path}.resource_summary.allocated"),
        )?;
        let allocating = resources(
            ck,
            &summary.allocating,
            &format!("{path}.resource_summary.allocating"),
        )?;
        let free = |name: &str| {
            lookup(&allocatable, name) - lookup(&allocated, name) - lookup(&allocating, name)
        };
        let pods_free = free("pods");
        let general = if pods_free <= 0 {
            0
        } else if !cluster.allocatable_modelings.is_empty() {
            let grades = cluster
                .resource_models
                .iter()
                .enumerate()
                .map(|(g_idx, model)| {
                    let minimums = model
                        .ranges
                        .iter()
                        .map(|r| {
                            Ok((
                                r.name.clone(),
                                quantity_value(
                                    ck,
                                    &r.name,
                                    &r.min,
                                    &format!("{path}.resource_models[{g_idx}].min"),
                                )?,
                            ))
                        })
                        .collect::<Result<_, Error>>()?;
                    Ok(ModelGrade {
                        grade: model.grade,
                        minimums,
                    })
                })
                .collect::<Result<Vec<_>, Error>>()?;
            let counts: Vec<(u32, i64)> = cluster
                .allocatable_modelings
                .iter()
                .map(|m| (m.grade, m.count))
                .collect();
            pods_free.min(replicas_by_models(&grades, &counts, request))
        } else {
            // A requested resource missing from allocatable has nothing free.
            replicas_by_resources(
                pods_free,
                request.iter().map(|(name, amount)| (*amount, free(name))),
            )
        };
        answers.push(general);
    }
    if let Some(nodes) = &cluster.nodes {
        let claim = node_claim(ck, &binding.node_claim)?;
        let snapshots = nodes
            .iter()
            .enumerate()
            .map(|(n_idx, node)| {
                let n_path = format!("{path}.nodes[{n_idx}]");
                let allocatable =
                    resources(ck, &node.allocatable, &format!("{n_path}.allocatable"))?;
                let requested = resources(ck, &node.requested, &format!("{n_path}.requested"))?;
                Ok(NodeSnapshot {
                    free: allocatable
                        .iter()
                        .map(|(name, a)| (name.clone(), a - lookup(&requested, name)))
                        .collect(),
                    pod_slots: (lookup(&allocatable, "pods") - node.pods).max(0),
                    labels: node.labels.clone(),
                    taints: ck.taints(&node.taints, &format!("{n_path}.taints"))?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        answers.push(replicas_on_nodes(&snapshots, request, &claim));
    }
    if let Some(quotas) = &cluster.quotas {
        let parsed = quotas
            .iter()
            .enumerate()
            .filter(|(_, q)| {
                q.metadata
                    .as_ref()
                    .and_then(|m| m.namespace.as_deref())
                    .is_none_or(|ns| ns == binding.namespace)
            })
            .map(|(q_idx, q)| quota(ck, q, &format!("{path}.quotas[{q_idx}]")))
            .collect::<Result<Vec<_>, Error>>()?;
        if let Some(answer) = replicas_by_quotas(&parsed, &binding.priority_class, request) {
            answers.push(answer);
        }
    }
    if cluster.resource_summary.is_none() && cluster.nodes.is_none() && cluster.quotas.is_none() {
        // The general estimator alone, and the cluster reports no resource summary.
        answers.push(0);
    }
    Ok(answers.into_iter().min().unwrap_or(NO_LIMIT))
}

fn quota(ck: &Checker<'_>, spec: &QuotaSpec, path: &str) -> Result<ResourceQuota, Error> {
    let mut scopes: Vec<ScopeRequirement> = spec
        .spec
        .scopes
        .iter()
        .map(|s| ScopeRequirement {
            scope: s.clone(),
            operator: Some(SelectorOperator::Exists),
            values: Vec::new(),
        })
        .collect();
    for (idx, e) in spec
        .spec
        .scope_selector
        .iter()
        .flat_map(|s| &s.match_expressions)
        .enumerate()
    {
        // Karmada skips a requirement whose operator it cannot read, so it matches nothing.
        let operator = match e.operator.as_ref().map(|o| o.value.as_str()) {
            None => None,
            Some("In") => Some(SelectorOperator::In),
            Some("NotIn") => Some(SelectorOperator::NotIn),
            Some("Exists") => Some(SelectorOperator::Exists),
            Some("DoesNotExist") => Some(SelectorOperator::DoesNotExist),
            Some(other) => {
                let text = e.operator.as_ref().expect("some");
                return ck.at(
                    text,
                    format!("{path}.spec.scopeSelector.matchExpressions[{idx}].operator"),
                    format!("unknown operator {other:?}"),
                );
            }
        };
        scopes.push(ScopeRequirement {
            scope: e.scope_name.clone(),
            operator,
            values: e.values.clone(),
        });
    }
    Ok(ResourceQuota {
        scopes,
        hard: resources(ck, &spec.status.hard, &format!("{path}.status.hard"))?,
        used: resources(ck, &spec.status.used, &format!("{path}.status.used"))?,
    })
}

fn node_claim(ck: &Checker<'_>, spec: &NodeClaimSpec) -> Result<NodeClaim, Error> {
    let tolerations = ck.tolerations(&spec.tolerations, "binding.node_claim.tolerations")?;
    let mut node_affinity = Vec::new();
    for (t_idx, term) in spec
        .node_affinity
        .iter()
        .flat_map(|a| &a.node_selector_terms)
        .enumerate()
    {
        let requirements = term
            .match_expressions
            .iter()
            .enumerate()
            .map(|(r_idx, r)| ck.node_requirement(r, &format!("binding.node_claim.nodeAffinity.nodeSelectorTerms[{t_idx}].matchExpressions[{r_idx}]")))
            .collect::<Result<Vec<Requirement>, Error>>()?;
        node_affinity.push(requirements);
    }
    Ok(NodeClaim {
        node_selector: spec.node_selector.clone(),
        node_affinity,
        tolerations,
        per_node_limit: None,
    })
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

/// The summary line: `N passed, M failed`.
pub fn summary_line(results: &[CaseResult]) -> String {
    let passed = results.iter().filter(|r| r.passed()).count();
    let mut line = String::new();
    let _ = write!(line, "{passed} passed, {} failed", results.len() - passed);
    line
}
