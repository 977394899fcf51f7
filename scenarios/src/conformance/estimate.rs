//! Estimate cases: what the estimators answer for one binding in each cluster. The case's
//! cluster is built as the simulation builds one (a `MemberCluster` with the case's nodes,
//! their pods and its ResourceQuotas; a resource summary and resource models as the control
//! plane sees them) and the simulation's own estimators are asked, through their registry.
//!
//! fleetsim models cpu, memory, pods and `nvidia.com/gpu`; a case asking for another resource
//! is refused, unless only the ResourceQuota plugin answers and Karmada's plugin would not
//! count it either (a standard resource that is not cpu or memory, such as ephemeral-storage).

use std::collections::BTreeMap;

use scheduler::binding::{BindingView, ClusterView, ResourceBinding};
use scheduler::estimator::{
    AccurateEstimator, GeneralEstimator, ModelGrade, NodeClaim, ResourceList,
    ResourceQuotaEstimator, ResourceSummary,
};
use scheduler::generic::NO_LIMIT;
use scheduler::member::MemberCluster;
use scheduler::policy::{Placement, Requirement, SelectorOperator};
use scheduler::quota::{Limits, QuotaScope, ResourceQuota};
use sim_core::model::{
    Cluster, ClusterId, GpuModelId, GpuModelSet, GpuRequest, JobId, NamespaceId, NodePool,
    NodeShape, PodRequest, PriorityClassId,
};

use super::decision::{
    CaseBinding, CaseCluster, NodeClaimSpec, NodeSpec, Quantities, QuotaSpec, quantity_value,
};
use crate::check::Checker;
use crate::error::Error;

/// The resources fleetsim's clusters model, as (cpu milli, memory bytes, pods, GPUs).
#[derive(Clone, Copy, Debug, Default)]
struct Amounts {
    cpu_milli: i64,
    memory: i64,
    pods: i64,
    gpus: i64,
}

impl Amounts {
    fn list(&self) -> ResourceList {
        ResourceList {
            cpu_milli: self.cpu_milli,
            memory: self.memory,
            pods: self.pods,
            gpus: self.gpus,
        }
    }
}

/// Where a resource name lands in [`Amounts`], `requests.` stripped; `None` for a resource
/// fleetsim does not model.
fn slot<'a>(amounts: &'a mut Amounts, name: &str) -> Option<&'a mut i64> {
    match name.strip_prefix("requests.").unwrap_or(name) {
        "cpu" => Some(&mut amounts.cpu_milli),
        "memory" => Some(&mut amounts.memory),
        "pods" => Some(&mut amounts.pods),
        "nvidia.com/gpu" => Some(&mut amounts.gpus),
        _ => None,
    }
}

/// The modelled resources of `map`; others are left out (see [`request`] for requests).
fn amounts(ck: &Checker<'_>, map: &Quantities, path: &str) -> Result<Amounts, Error> {
    let mut out = Amounts::default();
    for (name, text) in map {
        let value = quantity_value(ck, name, text, &format!("{path}.{name}"))?;
        if let Some(slot) = slot(&mut out, name) {
            *slot = value;
        }
    }
    Ok(out)
}

/// The binding's per-replica request as a pod request of node claim 1.
fn request(ck: &Checker<'_>, binding: &CaseBinding, quota_only: bool) -> Result<PodRequest, Error> {
    let mut out = Amounts::default();
    for (name, text) in &binding.requests {
        let path = format!("binding.requests.{name}");
        let value = quantity_value(ck, name, text, &path)?;
        match slot(&mut out, name) {
            Some(slot) if name != "pods" => *slot = value,
            _ if value == 0 => {}
            // Karmada's ResourceQuota plugin counts cpu, memory and extended resources only.
            _ if quota_only && !name.contains('/') => {}
            _ => {
                return ck.at(
                    text,
                    path,
                    format!(
                        "fleetsim's clusters model cpu, memory and nvidia.com/gpu requests; \
                         {name:?} cannot be estimated (use 0 or leave it out)"
                    ),
                );
            }
        }
    }
    Ok(PodRequest {
        cpu_milli: out.cpu_milli as u64,
        memory: out.memory as u64,
        gpu: GpuRequest::whole(out.gpus as u32, GpuModelSet::ANY),
        node_claim: 1,
    })
}

/// Names to ids for the case's namespaces and priority classes: the binding's own first.
struct Ids {
    namespaces: Vec<String>,
    classes: Vec<String>,
}

impl Ids {
    fn namespace(&mut self, name: &str) -> NamespaceId {
        NamespaceId(intern(&mut self.namespaces, name))
    }

    fn class(&mut self, name: &str) -> Option<PriorityClassId> {
        (!name.is_empty()).then(|| PriorityClassId(intern(&mut self.classes, name)))
    }
}

fn intern(names: &mut Vec<String>, name: &str) -> u32 {
    match names.iter().position(|n| n == name) {
        Some(idx) => idx as u32,
        None => {
            names.push(name.to_owned());
            (names.len() - 1) as u32
        }
    }
}

/// Every cluster's answer: the minimum over the estimators the cluster's data feeds (general
/// for a resource summary, or for a cluster described by nothing; accurate for nodes; the
/// ResourceQuota plugin for quotas), Karmada's `MaxInt32` when none has an opinion.
pub(super) fn estimates(
    ck: &Checker<'_>,
    clusters: &[CaseCluster],
    binding: &CaseBinding,
) -> Result<BTreeMap<String, i64>, Error> {
    let mut answers = BTreeMap::new();
    for (idx, cluster) in clusters.iter().enumerate() {
        answers.insert(
            cluster.name.value.clone(),
            estimate(ck, idx, cluster, binding)?,
        );
    }
    Ok(answers)
}

fn estimate(
    ck: &Checker<'_>,
    idx: usize,
    cluster: &CaseCluster,
    spec: &CaseBinding,
) -> Result<i64, Error> {
    let path = format!("clusters[{idx}]");
    let quota_only =
        cluster.quotas.is_some() && cluster.nodes.is_none() && cluster.resource_summary.is_none();
    let request = request(ck, spec, quota_only)?;
    let mut ids = Ids {
        namespaces: Vec::new(),
        classes: Vec::new(),
    };
    let namespace = ids.namespace(&spec.namespace);
    let mut binding = ResourceBinding::new(JobId(0), spec.replicas, request, namespace);
    binding.priority_class = ids.class(&spec.priority_class);
    let nodes = cluster.nodes.as_deref().unwrap_or(&[]);
    let description = Cluster {
        name: cluster.name.value.clone(),
        region: None,
        zones: Vec::new(),
        provider: None,
        labels: BTreeMap::new(),
        taints: Vec::new(),
        node_pools: nodes
            .iter()
            .enumerate()
            .map(|(n_idx, node)| pool(ck, n_idx, node, &format!("{path}.nodes[{n_idx}]")))
            .collect::<Result<_, Error>>()?,
    };
    let mut member = MemberCluster::new(ClusterId(0), &description, 1);
    member.set_node_claims(&[NodeClaim::default(), node_claim(ck, &spec.node_claim)?]);
    for (n_idx, node) in nodes.iter().enumerate() {
        occupy(
            ck,
            &mut member,
            n_idx as u32,
            node,
            &format!("{path}.nodes[{n_idx}]"),
        )?;
    }
    for (q_idx, quota) in cluster.quotas.iter().flatten().enumerate() {
        let q_path = format!("{path}.quotas[{q_idx}]");
        let (quota, used) = member_quota(ck, quota, &spec.namespace, &mut ids, &q_path)?;
        member.add_quota_in_use(quota, used);
    }
    let (summary, grades, counts) = summary(ck, cluster, &path)?;
    let placement = Placement::default();
    let view = BindingView {
        binding: &binding,
        placement: &placement,
    };
    let cluster_view = ClusterView {
        id: ClusterId(0),
        cluster: &description,
        summary: &summary,
        api_enablements: None,
        member: Some(&member),
        resource_models: (!counts.is_empty()).then_some((grades.as_slice(), counts.as_slice())),
        assumed: &[],
    };
    let mut names = Vec::new();
    if cluster.resource_summary.is_some() || (cluster.nodes.is_none() && cluster.quotas.is_none()) {
        names.push(GeneralEstimator::NAME);
    }
    if cluster.nodes.is_some() {
        names.push(AccurateEstimator::NAME);
    }
    if cluster.quotas.is_some() {
        names.push(ResourceQuotaEstimator::NAME);
    }
    let mut answer = None::<i64>;
    for name in names {
        let estimator = scheduler::Registry::builtin_ref()
            .estimator(name)
            .expect("in-tree estimator");
        if let Some(n) = estimator.max_replicas(&view, &cluster_view) {
            answer = Some(answer.map_or(n, |a| a.min(n)));
        }
    }
    Ok(answer.unwrap_or(NO_LIMIT))
}

/// One node of the case as a pool of one node.
fn pool(ck: &Checker<'_>, idx: usize, node: &NodeSpec, path: &str) -> Result<NodePool, Error> {
    let a = amounts(ck, &node.allocatable, &format!("{path}.allocatable"))?;
    Ok(NodePool {
        name: format!("node-{idx}"),
        count: 1,
        shape: NodeShape {
            cpu_milli: a.cpu_milli as u64,
            memory: a.memory as u64,
            max_pods: a.pods as u32,
            gpus: a.gpus as u32,
            gpu_model: (a.gpus > 0).then_some(GpuModelId(0)),
        },
        labels: node.labels.clone(),
        taints: ck.taints(&node.taints, &format!("{path}.taints"))?,
    })
}

/// Binds the node's existing pods: one holding everything `requested` says, the rest empty.
fn occupy(
    ck: &Checker<'_>,
    member: &mut MemberCluster,
    node: u32,
    spec: &NodeSpec,
    path: &str,
) -> Result<(), Error> {
    let used = amounts(ck, &spec.requested, &format!("{path}.requested"))?;
    let held = used.cpu_milli > 0 || used.memory > 0 || used.gpus > 0;
    let fail = |message: &str| ck.error(0, 0, format!("{path}.requested"), message);
    if held && spec.pods < 1 {
        return fail("requested resources are held by pods: expected pods ≥ 1");
    }
    for n in 0..spec.pods {
        let pod = if n == 0 {
            PodRequest {
                cpu_milli: used.cpu_milli as u64,
                memory: used.memory as u64,
                gpu: GpuRequest::whole(used.gpus as u32, GpuModelSet::ANY),
                node_claim: 0,
            }
        } else {
            PodRequest::default()
        };
        if !scheduler::member::fits(&pod, member.node_shape(node), member.node_free(node)) {
            return fail("the node's pods request more than its allocatable");
        }
        let devices = member.node_free(node).devices.mask_for(&pod.gpu, None);
        member.bind(node, &pod, devices);
    }
    Ok(())
}

/// What the control plane sees of a cluster: its summary, resource models and grade counts.
type ControlPlaneView = (ResourceSummary, Vec<ModelGrade>, Vec<(u32, i64)>);

/// The case's `resource_summary` (zero without one) and resource models.
fn summary(ck: &Checker<'_>, cluster: &CaseCluster, path: &str) -> Result<ControlPlaneView, Error> {
    let mut summary = ResourceSummary::default();
    if let Some(spec) = &cluster.resource_summary {
        let s_path = format!("{path}.resource_summary");
        summary.allocatable =
            amounts(ck, &spec.allocatable, &format!("{s_path}.allocatable"))?.list();
        summary.allocated = amounts(ck, &spec.allocated, &format!("{s_path}.allocated"))?.list();
        summary.allocating = amounts(ck, &spec.allocating, &format!("{s_path}.allocating"))?.list();
    }
    let grades = cluster
        .resource_models
        .iter()
        .enumerate()
        .map(|(g_idx, model)| {
            let minimums = model
                .ranges
                .iter()
                .map(|r| {
                    let r_path = format!("{path}.resource_models[{g_idx}].min");
                    Ok((
                        r.name.clone(),
                        quantity_value(ck, &r.name, &r.min, &r_path)?,
                    ))
                })
                .collect::<Result<_, Error>>()?;
            Ok(ModelGrade {
                grade: model.grade,
                minimums,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let counts = cluster
        .allocatable_modelings
        .iter()
        .map(|m| (m.grade, m.count))
        .collect();
    Ok((summary, grades, counts))
}

/// A case's quota as the member cluster keeps it: its scopes, the hard limits Karmada's
/// plugin reads (`status.hard` entries with a `status.used` entry; `limits.*` skipped), and
/// what it already counts.
fn member_quota(
    ck: &Checker<'_>,
    spec: &QuotaSpec,
    binding_namespace: &str,
    ids: &mut Ids,
    path: &str,
) -> Result<(ResourceQuota, ResourceList), Error> {
    let namespace = spec
        .metadata
        .as_ref()
        .and_then(|m| m.namespace.as_deref())
        .unwrap_or(binding_namespace);
    let mut hard = Limits::default();
    let mut used = Amounts::default();
    for (name, text) in &spec.status.hard {
        let Some(used_text) = spec.status.used.get(name) else {
            continue;
        };
        if name.starts_with("limits.") {
            continue;
        }
        let limit = quantity_value(ck, name, text, &format!("{path}.status.hard.{name}"))?;
        let count = quantity_value(ck, name, used_text, &format!("{path}.status.used.{name}"))?;
        let target = match name.strip_prefix("requests.").unwrap_or(name) {
            "cpu" => &mut hard.cpu_milli,
            "memory" => &mut hard.memory,
            "pods" => &mut hard.pods,
            "nvidia.com/gpu" => &mut hard.gpus,
            _ => continue,
        };
        *target = Some(limit);
        if let Some(slot) = slot(&mut used, name) {
            *slot = count;
        }
    }
    let mut scopes: Vec<QuotaScope> = spec
        .spec
        .scopes
        .iter()
        .map(|s| QuotaScope {
            priority_class: s == "PriorityClass",
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
        let operator = e
            .operator
            .as_ref()
            .map(|text| {
                ck.scope_operator(
                    text,
                    &format!("{path}.spec.scopeSelector.matchExpressions[{idx}].operator"),
                )
            })
            .transpose()?;
        scopes.push(QuotaScope {
            priority_class: e.scope_name == "PriorityClass",
            operator,
            values: e.values.iter().filter_map(|v| ids.class(v)).collect(),
        });
    }
    let quota = ResourceQuota {
        cluster: ClusterId(0),
        namespace: ids.namespace(namespace),
        hard,
        scopes,
    };
    Ok((quota, used.list()))
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
            .map(|(r_idx, r)| {
                ck.node_requirement(
                    r,
                    &format!(
                        "binding.node_claim.nodeAffinity.nodeSelectorTerms[{t_idx}].matchExpressions[{r_idx}]"
                    ),
                )
            })
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
