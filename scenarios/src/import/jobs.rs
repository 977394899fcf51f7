//! The snapshot's work: Pods in the members become the scenario's initial state (running
//! pods hold their nodes at time 0, pending ones wait in their member), and workloads on the
//! control plane that Karmada has not scheduled yet are submitted at time 0.
//!
//! Pods are grouped into jobs by their controller (a ReplicaSet's pods are one Deployment's;
//! Kubeflow's and Volcano's pods are their job's), and a job's pods with different requests or
//! roles become its components.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use k8s_openapi::api::core::v1::{Pod, PodSpec, PodTemplateSpec};
use sim_core::quantity::Quantity;

use super::{Object, Unusable, from_value, input, invalid, quoted};
use std::path::Path;

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
    cpu_milli: u64,
    memory: u64,
    gpus: u32,
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
    position: Position,
}

/// The job a group of pods (or a pending workload) becomes.
#[derive(Clone, Debug, Default)]
pub(super) struct ImportedJob {
    pub(super) name: String,
    pub(super) namespace: String,
    /// `apiVersion` and `kind` of the workload the pods belong to.
    api_version: String,
    kind: String,
    /// The member it runs in; `None`: Karmada has not scheduled it yet.
    pub(super) cluster: Option<String>,
    /// (role, request, pods in all, nodes of its running pods).
    components: Vec<(String, Request, u32, Vec<String>)>,
    gang: bool,
    pub(super) priority_class: Option<String>,
    pub(super) node_selector: BTreeMap<String, String>,
    tolerations: Vec<[String; 4]>,
    labels: BTreeMap<String, String>,
    remaining: Option<String>,
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
        for ((member, namespace, kind_key, owner), (api_version, pods)) in self.groups {
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

/// The `initial_state` section for `jobs`; `pools` gives each running pod's node as (pool
/// index, index in the pool) by (member, node name).
pub(super) fn write_initial_state(
    out: &mut String,
    jobs: &[ImportedJob],
    nodes: &BTreeMap<(String, String), (usize, u32)>,
    remaining: &str,
) {
    if jobs.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "# The snapshot's work: running pods hold their nodes from time 0; pods sent to a member\n\
         # and not yet bound wait there; workloads Karmada has not scheduled are scheduled at time 0.\n\
         # Run time left: the pod annotation {REMAINING_ANNOTATION} where present, else drawn from\n\
         # remaining_runtime below, an assumption to replace with your fleet's own."
    );
    out.push_str("initial_state:\n");
    let _ = writeln!(out, "  remaining_runtime: {remaining}");
    out.push_str("  jobs:\n");
    let mut names: BTreeSet<(String, String)> = BTreeSet::new();
    for job in jobs {
        // Names are unique per namespace, as the objects' are; a pending workload and the
        // pods of one with the same name in another member are kept apart.
        let mut name = job.name.clone();
        let mut n = 1;
        while !names.insert((job.namespace.clone(), name.clone())) {
            n += 1;
            name = format!("{}-{n}", job.name);
        }
        let _ = writeln!(out, "    - name: {}", quoted(&name));
        let _ = writeln!(out, "      namespace: {}", quoted(&job.namespace));
        if let Some(pc) = &job.priority_class {
            let _ = writeln!(out, "      priority_class: {}", quoted(pc));
        }
        let _ = writeln!(out, "      api_version: {}", quoted(&job.api_version));
        let _ = writeln!(out, "      kind: {}", quoted(&job.kind));
        if !job.labels.is_empty() {
            let labels: Vec<String> = job
                .labels
                .iter()
                .map(|(k, v)| format!("{}: {}", quoted(k), quoted(v)))
                .collect();
            let _ = writeln!(out, "      labels: {{{}}}", labels.join(", "));
        }
        if !job.node_selector.is_empty() {
            let sel: Vec<String> = job
                .node_selector
                .iter()
                .map(|(k, v)| format!("{}: {}", quoted(k), quoted(v)))
                .collect();
            let _ = writeln!(out, "      node_selector: {{{}}}", sel.join(", "));
        }
        if !job.tolerations.is_empty() {
            out.push_str("      tolerations:\n");
            for [key, operator, value, effect] in &job.tolerations {
                let mut fields = vec![format!("operator: {}", quoted(operator))];
                if !key.is_empty() {
                    fields.push(format!("key: {}", quoted(key)));
                }
                if !value.is_empty() {
                    fields.push(format!("value: {}", quoted(value)));
                }
                if !effect.is_empty() {
                    fields.push(format!("effect: {}", quoted(effect)));
                }
                let _ = writeln!(out, "        - {{{}}}", fields.join(", "));
            }
        }
        let _ = writeln!(out, "      gang: {}", job.gang);
        if let Some(remaining) = &job.remaining {
            let _ = writeln!(out, "      runtime: {}", quoted(remaining));
        }
        if let Some(cluster) = &job.cluster {
            let _ = writeln!(out, "      cluster: {}", quoted(cluster));
        }
        let request_fields = |r: &Request| {
            let mut f = vec![
                format!("cpu: {}", quoted(&format!("{}m", r.cpu_milli))),
                format!("memory: {}", quoted(&r.memory.to_string())),
            ];
            if r.gpus > 0 {
                f.push(format!("gpus: {}", r.gpus));
            }
            f.join(", ")
        };
        let single = job.components.len() == 1;
        if single {
            let (_, request, replicas, _) = &job.components[0];
            let _ = writeln!(out, "      replicas: {replicas}");
            let _ = writeln!(
                out,
                "      {}",
                request_fields(request).replace(", ", "\n      ")
            );
        } else {
            out.push_str("      components:\n");
            for (role, request, replicas, _) in &job.components {
                let _ = writeln!(
                    out,
                    "        - {{name: {}, replicas: {replicas}, {}}}",
                    quoted(role),
                    request_fields(request)
                );
            }
        }
        let mut running: BTreeMap<(String, usize, u32), u32> = BTreeMap::new();
        for (role, _, _, on) in &job.components {
            for node in on {
                let cluster = job.cluster.clone().unwrap_or_default();
                let (pool, idx) = nodes[&(cluster, node.clone())];
                *running.entry((role.clone(), pool, idx)).or_default() += 1;
            }
        }
        if !running.is_empty() {
            out.push_str("      running:\n");
            for ((role, pool, idx), n) in running {
                let component = if single {
                    String::new()
                } else {
                    format!(", component: {}", quoted(&role))
                };
                let _ = writeln!(
                    out,
                    "        - {{pool: pool-{pool}, node: {idx}, replicas: {n}{component}}}"
                );
            }
        }
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

impl ImportedJob {
    /// The job as an `initial_state.jobs` entry (JSON, which a scenario file may hold).
    pub(super) fn entry(&self, name: &str, runtime: &str) -> serde_json::Value {
        let mut job = serde_json::json!({
            "name": name,
            "namespace": self.namespace,
            "api_version": self.api_version,
            "kind": self.kind,
            "gang": self.gang,
            "runtime": self.remaining.as_deref().unwrap_or(runtime),
        });
        let map = job.as_object_mut().expect("an object");
        if let Some(pc) = &self.priority_class {
            map.insert("priority_class".into(), pc.as_str().into());
        }
        if !self.labels.is_empty() {
            map.insert("labels".into(), serde_json::json!(self.labels));
        }
        if !self.node_selector.is_empty() {
            map.insert(
                "node_selector".into(),
                serde_json::json!(self.node_selector),
            );
        }
        if !self.tolerations.is_empty() {
            let list: Vec<serde_json::Value> = self
                .tolerations
                .iter()
                .map(|[key, operator, value, effect]| {
                    let mut t = serde_json::json!({"operator": operator});
                    for (field, text) in [("key", key), ("value", value), ("effect", effect)] {
                        if !text.is_empty() {
                            t[field] = text.as_str().into();
                        }
                    }
                    t
                })
                .collect();
            map.insert("tolerations".into(), list.into());
        }
        if let Some(cluster) = &self.cluster {
            map.insert("cluster".into(), cluster.as_str().into());
        }
        let request = |r: &Request, into: &mut serde_json::Map<String, serde_json::Value>| {
            into.insert("cpu".into(), format!("{}m", r.cpu_milli).into());
            into.insert("memory".into(), r.memory.to_string().into());
            into.insert("gpus".into(), r.gpus.into());
        };
        if let [(_, r, replicas, _)] = self.components.as_slice() {
            map.insert("replicas".into(), (*replicas).into());
            request(r, map);
        } else {
            let components: Vec<serde_json::Value> = self
                .components
                .iter()
                .map(|(role, r, replicas, _)| {
                    let mut c = serde_json::Map::new();
                    c.insert("name".into(), role.as_str().into());
                    c.insert("replicas".into(), (*replicas).into());
                    request(r, &mut c);
                    c.into()
                })
                .collect();
            map.insert("components".into(), components.into());
        }
        job
    }
}

/// Jobs to submit now, from workload manifests (`Deployment`, `Job`, `PyTorchJob`, a bare
/// `Pod`…): each becomes an `initial_state.jobs` entry Karmada schedules at time 0. A manifest
/// without the `fleetsim.io/runtime` annotation runs for `runtime`.
pub fn manifest_jobs(
    files: &[std::path::PathBuf],
    runtime: &str,
) -> Result<Vec<(String, serde_json::Value)>, Error> {
    let mut out = Vec::new();
    for file in files {
        for object in super::read_objects(file)? {
            let mut object = object;
            if object.api_kind == "v1/Pod" {
                // A bare Pod is its own template.
                let spec = object.value.get("spec").cloned().unwrap_or_default();
                let metadata = object.value.get("metadata").cloned().unwrap_or_default();
                object.value = serde_json::json!({
                    "metadata": metadata,
                    "spec": {"template": {"spec": spec}},
                });
                object.api_kind = "v1/Pod".to_owned();
            } else if !WORKLOAD_KINDS.contains(&object.api_kind.as_str()) {
                return Err(input(
                    &object.position,
                    "kind",
                    &format!(
                        "expected a workload to submit ({}, or v1/Pod), got {}",
                        WORKLOAD_KINDS.join(", "),
                        object.api_kind
                    ),
                ));
            }
            let mut job = pending_workload(&object)?;
            job.remaining = object
                .value
                .pointer("/metadata/annotations")
                .and_then(|a| a.get(RUNTIME_ANNOTATION))
                .and_then(|r| r.as_str())
                .map(str::to_owned);
            let name = format!("{}/{}", job.namespace, job.name);
            let entry = job.entry(&job.name, runtime);
            out.push((name, entry));
        }
    }
    Ok(out)
}

/// A manifest's annotation giving its run time, for `fleetsim forecast`.
pub const RUNTIME_ANNOTATION: &str = "fleetsim.io/runtime";

/// The scenario in `file` with jobs `entries` (see [`manifest_jobs`]) added after its own
/// initial jobs, submitted at time 0; returns it and the new jobs' ids. `file` itself must
/// already have been validated, so that errors in it point into it.
pub fn with_initial_jobs(
    file: &Path,
    entries: Vec<serde_json::Value>,
    plugins: &scheduler::Registry,
) -> Result<(crate::Scenario, Vec<sim_core::model::JobId>), Error> {
    let text = std::fs::read_to_string(file).map_err(|source| Error::Io {
        file: file.to_owned(),
        source,
    })?;
    let mut value: serde_json::Value = crate::parse_yaml(&text, file)?;
    let root = value
        .as_object_mut()
        .ok_or_else(|| input(&Position::of_file(file), "", "a scenario is a mapping"))?;
    let initial = root
        .entry("initial_state")
        .or_insert_with(|| serde_json::json!({}));
    if initial.is_null() {
        *initial = serde_json::json!({});
    }
    let jobs = initial
        .as_object_mut()
        .ok_or_else(|| {
            input(
                &Position::of_file(file),
                "initial_state",
                "expected a mapping",
            )
        })?
        .entry("jobs")
        .or_insert_with(|| serde_json::json!([]));
    let list = jobs.as_array_mut().ok_or_else(|| {
        input(
            &Position::of_file(file),
            "initial_state.jobs",
            "expected a list",
        )
    })?;
    let first = list.len() as u64;
    let n = entries.len() as u64;
    list.extend(entries);
    let json = serde_json::to_string_pretty(&value).expect("JSON serializes");
    let scenario = crate::load_str_with(&json, file, plugins)?;
    Ok((
        scenario,
        (first..first + n).map(sim_core::model::JobId).collect(),
    ))
}
