//! The snapshot's work: Pods in the members become the scenario's initial state (running
//! pods hold their nodes at time 0, pending ones wait in their member), and workloads on the
//! control plane that Karmada has not scheduled yet are submitted at time 0.
//!
//! Pods are grouped into jobs by their controller (a ReplicaSet's pods are one Deployment's;
//! Kubeflow's and Volcano's pods are their job's), and a job's pods with different requests or
//! roles become its components.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Pod, PodSpec, PodTemplateSpec};
use sim_core::quantity::Quantity;

use super::nodes::{Unusable, invalid};
use super::{Object, from_value, input};

use crate::error::{Error, Position};

/// A pod's annotation giving its remaining run time (a duration such as `3h20m`).
pub const REMAINING_ANNOTATION: &str = "fleetsim.io/remaining-runtime";

/// Labels naming a pod's role in its job, first found wins.
const ROLE_LABELS: &[&str] = &[
    "training.kubeflow.org/replica-type",
    "volcano.sh/task-spec",
    "app.kubernetes.io/component",
];

/// Controllers whose pods start and stop together (gang), by `kind`.
const GANG_KINDS: &[&str] = &["PyTorchJob", "MPIJob", "TFJob", "Job.batch.volcano.sh"];

/// What one pod asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Request {
    pub(super) cpu_milli: u64,
    pub(super) memory: u64,
    pub(super) gpus: u32,
}

/// The parts of a pod a job is built from.
#[derive(Clone, Debug)]
pub(super) struct PodInfo {
    role: String,
    request: Request,
    node: Option<String>,
    pub(super) priority_class: Option<String>,
    pub(super) node_selector: BTreeMap<String, String>,
    tolerations: Vec<[String; 4]>,
    labels: BTreeMap<String, String>,
    remaining: Option<String>,
    /// `status.startTime`, seconds since the epoch.
    started: Option<i64>,
    position: Position,
}

/// The job a group of pods (or a pending workload) becomes.
#[derive(Clone, Debug, Default)]
pub(super) struct ImportedJob {
    pub(super) name: String,
    pub(super) namespace: String,
    /// `apiVersion` and `kind` of the workload the pods belong to.
    pub(super) api_version: String,
    pub(super) kind: String,
    /// The member it runs in; `None`: Karmada has not scheduled it yet.
    pub(super) cluster: Option<String>,
    /// (role, request, pods in all, nodes of its running pods).
    pub(super) components: Vec<(String, Request, u32, Vec<String>)>,
    pub(super) gang: bool,
    pub(super) priority_class: Option<String>,
    pub(super) node_selector: BTreeMap<String, String>,
    pub(super) tolerations: Vec<[String; 4]>,
    pub(super) labels: BTreeMap<String, String>,
    pub(super) remaining: Option<String>,
    /// The earliest start of its pods, seconds since the epoch.
    pub(super) started: Option<i64>,
}

/// (member, namespace, controller kind, controller name): the job a pod belongs to.
type GroupKey = (String, String, String, String);

/// Pods of the members, grouped into jobs.
#[derive(Default)]
pub(super) struct PodGroups {
    /// Each job's controller `apiVersion` and pods.
    groups: BTreeMap<GroupKey, (String, Vec<PodInfo>)>,
}

/// How a pod was taken.
pub(super) enum PodFate {
    /// Part of a job.
    Modelled,
    /// Finished or a DaemonSet's: skipped, with the reason.
    Skipped(String),
}

impl PodGroups {
    /// Reads one Pod object of `member`.
    pub(super) fn add(&mut self, member: &str, object: Object) -> Result<PodFate, Error> {
        let position = object.position.clone();
        let pod: Pod = from_value(object.value, &position)?;
        let meta = &pod.metadata;
        let name = meta
            .name
            .clone()
            .ok_or_else(|| input(&position, "metadata.name", "a Pod needs a name"))?;
        let namespace = meta
            .namespace
            .clone()
            .unwrap_or_else(|| "default".to_owned());
        let phase = pod
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_else(|| "Pending".to_owned());
        if matches!(phase.as_str(), "Succeeded" | "Failed") {
            return Ok(PodFate::Skipped(format!(
                "{namespace}/{name} has finished ({phase})"
            )));
        }
        let owner = meta
            .owner_references
            .as_deref()
            .unwrap_or_default()
            .iter()
            .find(|o| o.controller == Some(true))
            .cloned();
        let (api_version, kind, owner_name) = match owner {
            Some(o) if o.kind == "DaemonSet" => {
                return Ok(PodFate::Skipped(format!(
                    "{namespace}/{name} belongs to DaemonSet {}: node agents are not jobs, and \
                     their requests are not taken off the nodes",
                    o.name
                )));
            }
            // A ReplicaSet's pods are its Deployment's: the name without the template hash.
            Some(o) if o.kind == "ReplicaSet" => {
                let deployment = o.name.rsplit_once('-').map_or(o.name.as_str(), |(d, _)| d);
                (
                    "apps/v1".to_owned(),
                    "Deployment".to_owned(),
                    deployment.to_owned(),
                )
            }
            Some(o) => (o.api_version, o.kind, o.name),
            None => ("v1".to_owned(), "Pod".to_owned(), name.clone()),
        };
        let spec = pod
            .spec
            .as_ref()
            .ok_or_else(|| input(&position, "spec", "a Pod needs a spec"))?;
        let request = pod_request(spec).map_err(|u| match u {
            Unusable::Invalid { field, message } => {
                input(&position, &format!("spec.{field}"), &message)
            }
            Unusable::Skipped(m) => input(&position, "spec", &m),
        })?;
        let labels = meta.labels.clone().unwrap_or_default();
        let role = ROLE_LABELS
            .iter()
            .find_map(|l| labels.get(*l).cloned())
            .unwrap_or_else(|| "worker".to_owned())
            .to_lowercase();
        let info = PodInfo {
            role,
            request,
            node: spec.node_name.clone().filter(|n| !n.is_empty()),
            priority_class: spec.priority_class_name.clone(),
            node_selector: spec.node_selector.clone().unwrap_or_default(),
            tolerations: tolerations(spec),
            labels: labels
                .into_iter()
                .filter(|(k, _)| k != "pod-template-hash" && !k.starts_with("controller-"))
                .collect(),
            remaining: meta
                .annotations
                .as_ref()
                .and_then(|a| a.get(REMAINING_ANNOTATION).cloned()),
            started: pod
                .status
                .as_ref()
                .and_then(|s| s.start_time.as_ref())
                .map(|t| t.0.as_second()),
            position,
        };
        let kind_key = if api_version.starts_with("batch.volcano.sh") {
            format!("{kind}.batch.volcano.sh")
        } else {
            kind.clone()
        };
        self.groups
            .entry((member.to_owned(), namespace, kind_key, owner_name))
            .or_insert_with(|| (api_version, Vec::new()))
            .1
            .push(info);
        Ok(PodFate::Modelled)
    }

    /// The jobs, in (member, namespace, controller) order; pods on nodes `nodes` does not
    /// know wait in their member, with a warning.
    pub(super) fn into_jobs(
        self,
        nodes: &BTreeMap<(String, String), (usize, u32)>,
        warnings: &mut Vec<String>,
    ) -> Vec<ImportedJob> {
        let mut jobs = Vec::new();
        let mut without_nodes: BTreeMap<String, usize> = BTreeMap::new();
        let with_nodes: BTreeSet<&str> = nodes.keys().map(|(m, _)| m.as_str()).collect();
        for ((member, namespace, kind_key, owner), (api_version, pods)) in self.groups {
            // A member whose nodes the snapshot lacks is not a cluster of the scenario.
            if !with_nodes.contains(member.as_str()) {
                *without_nodes.entry(member).or_default() += pods.len();
                continue;
            }
            let kind = kind_key.split('.').next().unwrap_or(&kind_key).to_owned();
            let first = &pods[0];
            let mut job = ImportedJob {
                name: owner,
                namespace,
                api_version,
                kind,
                cluster: Some(member.clone()),
                gang: GANG_KINDS.contains(&kind_key.as_str()),
                priority_class: first.priority_class.clone(),
                node_selector: first.node_selector.clone(),
                tolerations: first.tolerations.clone(),
                labels: first.labels.clone(),
                remaining: pods.iter().find_map(|p| p.remaining.clone()),
                started: pods.iter().filter_map(|p| p.started).min(),
                components: Vec::new(),
            };
            for pod in &pods {
                let node = pod.node.as_ref().filter(|node| {
                    let known = nodes.contains_key(&(member.clone(), (*node).clone()));
                    if !known {
                        warnings.push(format!(
                            "{}: pod on node {node:?}, which the snapshot of {member} does not \
                             hold; it waits in {member} instead",
                            pod.position
                        ));
                    }
                    known
                });
                let idx = match job
                    .components
                    .iter()
                    .position(|(role, request, _, _)| *role == pod.role && *request == pod.request)
                {
                    Some(idx) => idx,
                    None => {
                        job.components
                            .push((pod.role.clone(), pod.request.clone(), 0, Vec::new()));
                        job.components.len() - 1
                    }
                };
                let component = &mut job.components[idx];
                component.2 += 1;
                component.3.extend(node.cloned());
            }
            // Two requests under one role: the role's name alone no longer tells them apart.
            let mut seen: BTreeMap<String, u32> = BTreeMap::new();
            for component in &mut job.components {
                let n = seen.entry(component.0.clone()).or_default();
                if *n > 0 {
                    component.0 = format!("{}-{n}", component.0);
                }
                *n += 1;
            }
            jobs.push(job);
        }
        for (member, n) in without_nodes {
            warnings.push(format!(
                "{member}: {n} pod(s) skipped: the snapshot holds no nodes of {member}, so it is \
                 not a cluster of the scenario"
            ));
        }
        jobs
    }
}

/// A pod's effective request: the sum over its containers, or the largest init container's
/// when that is larger, per resource (Kubernetes' rule); GPUs from `nvidia.com/gpu`, a limit
/// standing for the request of an extended resource.
fn pod_request(spec: &PodSpec) -> Result<Request, Unusable> {
    let mut sum = Request::default();
    for (idx, container) in spec.containers.iter().enumerate() {
        let r = container_request(container, &format!("containers[{idx}]"))?;
        sum.cpu_milli += r.cpu_milli;
        sum.memory += r.memory;
        sum.gpus += r.gpus;
    }
    for (idx, container) in spec
        .init_containers
        .as_deref()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let r = container_request(container, &format!("initContainers[{idx}]"))?;
        sum.cpu_milli = sum.cpu_milli.max(r.cpu_milli);
        sum.memory = sum.memory.max(r.memory);
        sum.gpus = sum.gpus.max(r.gpus);
    }
    Ok(sum)
}

fn container_request(
    container: &k8s_openapi::api::core::v1::Container,
    path: &str,
) -> Result<Request, Unusable> {
    let resources = container.resources.as_ref();
    let requests = resources.and_then(|r| r.requests.as_ref());
    let limits = resources.and_then(|r| r.limits.as_ref());
    let get = |name: &str| {
        requests
            .and_then(|r| r.get(name))
            .map(|q| ("requests", q))
            .or_else(|| limits.and_then(|l| l.get(name)).map(|q| ("limits", q)))
    };
    let quantity = |name: &str| -> Result<Quantity, Unusable> {
        match get(name) {
            None => Ok(Quantity::ZERO),
            Some((from, q)) => Quantity::parse(&q.0).map_err(|err| {
                invalid(
                    &format!("{path}.resources.{from}.{name}"),
                    format!("expected a Kubernetes quantity, got {:?}: {err}", q.0),
                )
            }),
        }
    };
    let gpus = match get("nvidia.com/gpu") {
        None => 0,
        Some((from, q)) => q.0.parse::<u32>().map_err(|_| {
            invalid(
                &format!("{path}.resources.{from}.nvidia.com/gpu"),
                format!("expected a whole number of GPUs, got {:?}", q.0),
            )
        })?,
    };
    Ok(Request {
        cpu_milli: quantity("cpu")?.milli_value(),
        memory: quantity("memory")?.value(),
        gpus,
    })
}

fn tolerations(spec: &PodSpec) -> Vec<[String; 4]> {
    spec.tolerations
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|t| {
            [
                t.key.clone().unwrap_or_default(),
                t.operator.clone().unwrap_or_else(|| "Equal".to_owned()),
                t.value.clone().unwrap_or_default(),
                t.effect.clone().unwrap_or_default(),
            ]
        })
        .collect()
}

/// A workload on the control plane: its kind's pod templates as (role, replicas, template).
pub(super) fn workload_templates(
    kind: &str,
    value: &serde_json::Value,
) -> Option<Vec<(String, u32, serde_json::Value, String)>> {
    let replicas_at = |v: &serde_json::Value, ptr: &str, default: u32| {
        v.pointer(ptr)
            .and_then(|r| r.as_u64())
            .map_or(default, |r| r as u32)
    };
    let mut out = Vec::new();
    match kind {
        "apps/v1/Deployment" | "apps/v1/StatefulSet" => out.push((
            "worker".to_owned(),
            replicas_at(value, "/spec/replicas", 1),
            value.pointer("/spec/template")?.clone(),
            "/spec/template".to_owned(),
        )),
        "v1/Pod" => out.push((
            "worker".to_owned(),
            1,
            value.pointer("/spec/template")?.clone(),
            "/spec".to_owned(),
        )),
        "batch/v1/Job" => out.push((
            "worker".to_owned(),
            replicas_at(value, "/spec/parallelism", 1),
            value.pointer("/spec/template")?.clone(),
            "/spec/template".to_owned(),
        )),
        "kubeflow.org/v1/PyTorchJob"
        | "kubeflow.org/v1/MPIJob"
        | "kubeflow.org/v2beta1/MPIJob"
        | "kubeflow.org/v1/TFJob" => {
            let field = ["pytorchReplicaSpecs", "mpiReplicaSpecs", "tfReplicaSpecs"]
                .into_iter()
                .find(|f| value.pointer(&format!("/spec/{f}")).is_some())?;
            let specs = value.pointer(&format!("/spec/{field}"))?.as_object()?;
            for (role, spec) in specs {
                out.push((
                    role.to_lowercase(),
                    replicas_at(spec, "/replicas", 1),
                    spec.get("template")?.clone(),
                    format!("/spec/{field}/{role}/template"),
                ));
            }
        }
        "batch.volcano.sh/v1alpha1/Job" => {
            for (idx, task) in value.pointer("/spec/tasks")?.as_array()?.iter().enumerate() {
                out.push((
                    task.get("name")
                        .and_then(|n| n.as_str())
                        .unwrap_or("task")
                        .to_lowercase(),
                    replicas_at(task, "/replicas", 1),
                    task.get("template")?.clone(),
                    format!("/spec/tasks/{idx}/template"),
                ));
            }
        }
        _ => return None,
    }
    Some(out)
}

/// The kinds of workload read from the control plane.
pub(super) const WORKLOAD_KINDS: &[&str] = &[
    "apps/v1/Deployment",
    "apps/v1/StatefulSet",
    "batch/v1/Job",
    "kubeflow.org/v1/PyTorchJob",
    "kubeflow.org/v1/MPIJob",
    "kubeflow.org/v2beta1/MPIJob",
    "kubeflow.org/v1/TFJob",
    "batch.volcano.sh/v1alpha1/Job",
];

/// A workload Karmada has not scheduled: a job submitted at time 0.
pub(super) fn pending_workload(object: &Object) -> Result<ImportedJob, Error> {
    let value = &object.value;
    let at = &object.position;
    let name = value
        .pointer("/metadata/name")
        .and_then(|n| n.as_str())
        .ok_or_else(|| input(at, "metadata.name", "a workload needs a name"))?;
    let namespace = value
        .pointer("/metadata/namespace")
        .and_then(|n| n.as_str())
        .unwrap_or("default");
    let templates = workload_templates(&object.api_kind, value)
        .ok_or_else(|| input(at, "spec", "expected the kind's pod template(s) under spec"))?;
    let (api_version, kind) = object.api_kind.rsplit_once('/').expect("api/kind");
    let mut job = ImportedJob {
        name: name.to_owned(),
        namespace: namespace.to_owned(),
        api_version: api_version.to_owned(),
        kind: kind.to_owned(),
        cluster: None,
        gang: GANG_KINDS.contains(&kind) || api_version.starts_with("batch.volcano.sh"),
        labels: value
            .pointer("/metadata/labels")
            .and_then(|l| serde_json::from_value(l.clone()).ok())
            .unwrap_or_default(),
        ..ImportedJob::default()
    };
    for (role, replicas, template, pointer) in templates {
        let field = pointer.trim_start_matches('/').replace('/', ".");
        let template: PodTemplateSpec = from_value(template, at).map_err(|e| prefix(e, &field))?;
        let spec = template
            .spec
            .as_ref()
            .ok_or_else(|| input(at, &format!("{field}.spec"), "a pod template needs a spec"))?;
        let request = pod_request(spec).map_err(|u| match u {
            Unusable::Invalid { field: f, message } => {
                input(at, &format!("{field}.spec.{f}"), &message)
            }
            Unusable::Skipped(m) => input(at, &field, &m),
        })?;
        if job.components.is_empty() {
            job.priority_class = spec.priority_class_name.clone();
            job.node_selector = spec.node_selector.clone().unwrap_or_default();
            job.tolerations = tolerations(spec);
        }
        if replicas > 0 {
            job.components.push((role, request, replicas, Vec::new()));
        }
    }
    Ok(job)
}

/// An error inside a nested object, with its field path put under `field`.
fn prefix(err: Error, field: &str) -> Error {
    match err {
        Error::Input {
            mut position,
            message,
        } => {
            position.path = if position.path.is_empty() {
                field.to_owned()
            } else {
                format!("{field}.{}", position.path)
            };
            Error::Input { position, message }
        }
        other => other,
    }
}

/// Namespaces and priority classes the jobs name.
pub(super) fn names(jobs: &[ImportedJob]) -> (BTreeSet<String>, BTreeSet<String>) {
    let namespaces = jobs.iter().map(|j| j.namespace.clone()).collect();
    let classes = jobs
        .iter()
        .filter_map(|j| j.priority_class.clone())
        .collect();
    (namespaces, classes)
}
