//! `fleetsim import`: a fleet as `kubectl get -o yaml` prints it becomes a scenario's fleet.
//!
//! A snapshot is a folder: each sub-folder (or top-level file) is one member cluster, named
//! after it, holding its `Node` objects; a sub-folder named `karmada` holds the control
//! plane's `Cluster` objects (region, zones, provider, labels, taints). Files are YAML (one or
//! more `---` documents) or JSON, each document an object or a `List`. Identical nodes become
//! one node pool: same allocatable CPU, memory, pods and GPUs, same GPU model, same kept labels
//! and taints, cordoned or not. Nodes are read with `k8s-openapi`'s types.
//!
//! Other kinds are counted and skipped, never dropped silently: the report says per kind how
//! many objects were read, modelled and skipped.

mod jobs;

pub use jobs::{REMAINING_ANNOTATION, RUNTIME_ANNOTATION, manifest_jobs, with_initial_jobs};

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::Node;
use serde::Deserialize;

use crate::error::{Error, Position};

/// Node labels kept on pools: those that place pods or name hardware. Any other label (host
/// names, feature-discovery flags, timestamps) would split identical nodes into pools of one.
pub const KEPT_NODE_LABELS: &[&str] = &[
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "node.kubernetes.io/instance-type",
    "nvidia.com/gpu.product",
    "nvidia.com/gpu.memory",
];

/// The GPU count a node offers, by the first of these allocatable resources it has.
const GPU_RESOURCES: &[&str] = &["nvidia.com/gpu", "alibabacloud.com/gpu-count"];

/// The GPU model of a node, from the first of these labels it has.
const GPU_MODEL_LABELS: &[&str] = &[
    "nvidia.com/gpu.product",
    "alibabacloud.com/gpu-card-model",
    "node.kubernetes.io/instance-type",
];

/// How many objects of one kind the snapshot held and what became of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KindCount {
    /// Objects read.
    pub read: usize,
    /// Objects that became part of the scenario.
    pub modelled: usize,
    /// Objects skipped (a kind not modelled, or an object that cannot be used).
    pub skipped: usize,
}

/// An imported snapshot: the scenario's text and what was read.
#[derive(Debug)]
pub struct Imported {
    /// The scenario, as YAML.
    pub scenario: String,
    /// Per kind (`apiVersion/kind`), in name order.
    pub counts: BTreeMap<String, KindCount>,
    /// Assumptions made and objects skipped, one line each, in the order met.
    pub warnings: Vec<String>,
}

/// Karmada's objects a control-plane file may hold that the scenario includes as they are
/// (see `docs/scenario.md`, policy includes).
const INCLUDED_KINDS: &[&str] = &[
    "policy.karmada.io/v1alpha1/PropagationPolicy",
    "policy.karmada.io/v1alpha1/ClusterPropagationPolicy",
    "policy.karmada.io/v1alpha1/OverridePolicy",
    "policy.karmada.io/v1alpha1/ClusterOverridePolicy",
    "policy.karmada.io/v1alpha1/FederatedResourceQuota",
];

/// One pool of identical nodes of a member.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct PoolKey {
    cpu: String,
    memory: String,
    pods: u32,
    gpus: u32,
    gpu_model: Option<String>,
    labels: BTreeMap<String, String>,
    taints: Vec<(String, String, String)>,
}

/// A Karmada `Cluster` object, as far as fleetsim models it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClusterObject {
    #[serde(default)]
    metadata: ClusterMeta,
    #[serde(default)]
    spec: ClusterObjectSpec,
}

#[derive(Debug, Default, Deserialize)]
struct ClusterMeta {
    name: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClusterObjectSpec {
    region: Option<String>,
    zone: Option<String>,
    #[serde(default)]
    zones: Vec<String>,
    provider: Option<String>,
    #[serde(default)]
    taints: Vec<ClusterTaint>,
}

#[derive(Debug, Deserialize)]
struct ClusterTaint {
    key: String,
    #[serde(default)]
    value: String,
    effect: String,
}

/// One object of a file: its kind, where it starts, and its content.
pub(super) struct Object {
    pub(super) api_kind: String,
    pub(super) position: Position,
    pub(super) value: serde_json::Value,
}

/// Reads the snapshot in `dir` and writes a scenario named `name` around its fleet, for a
/// scenario file in the folder `scenario_dir` (control-plane files holding policies or
/// FederatedResourceQuotas are included by their path from there).
pub fn import_snapshot(dir: &Path, name: &str, scenario_dir: &Path) -> Result<Imported, Error> {
    let mut counts: BTreeMap<String, KindCount> = BTreeMap::new();
    let mut warnings = Vec::new();
    // Per member, each pool's node names.
    let mut members: BTreeMap<String, BTreeMap<PoolKey, Vec<String>>> = BTreeMap::new();
    let mut pods = jobs::PodGroups::default();
    let mut workloads: Vec<Object> = Vec::new();
    // (namespace, kind, name) of workloads whose ResourceBinding names clusters.
    let mut scheduled: std::collections::BTreeSet<(String, String, String)> = Default::default();
    let mut classes: BTreeMap<String, (i64, Option<String>)> = BTreeMap::new();
    let mut control: Vec<(String, ClusterObject)> = Vec::new();
    let mut includes: Vec<PathBuf> = Vec::new();
    let mut namespaces: std::collections::BTreeSet<String> = ["default".to_owned()].into();
    for (member, file) in snapshot_files(dir)? {
        for object in read_objects(&file)? {
            if member.is_none() && INCLUDED_KINDS.contains(&object.api_kind.as_str()) {
                let count = counts.entry(object.api_kind.clone()).or_default();
                count.read += 1;
                count.modelled += 1;
                if let Some(ns) = object
                    .value
                    .pointer("/metadata/namespace")
                    .and_then(|n| n.as_str())
                {
                    namespaces.insert(ns.to_owned());
                }
                if !includes.contains(&file) {
                    includes.push(file.clone());
                }
                continue;
            }
            let count = counts.entry(object.api_kind.clone()).or_default();
            count.read += 1;
            match (object.api_kind.as_str(), member.as_deref()) {
                ("v1/Node", Some(member)) => {
                    let node: Node = from_value(object.value, &object.position)?;
                    let node_name = node.metadata.name.clone().ok_or_else(|| {
                        input(&object.position, "metadata.name", "a Node needs a name")
                    })?;
                    match pool_key(&node) {
                        Ok(key) => {
                            members
                                .entry(member.to_owned())
                                .or_default()
                                .entry(key)
                                .or_default()
                                .push(node_name);
                            count.modelled += 1;
                        }
                        Err(Unusable::Skipped(reason)) => {
                            count.skipped += 1;
                            warnings.push(format!("{}: node skipped: {reason}", object.position));
                        }
                        Err(Unusable::Invalid { field, message }) => {
                            return Err(input(&object.position, &field, &message));
                        }
                    }
                }
                ("cluster.karmada.io/v1alpha1/Cluster", None) => {
                    let cluster: ClusterObject = from_value(object.value, &object.position)?;
                    let Some(cluster_name) = cluster.metadata.name.clone() else {
                        return Err(input(
                            &object.position,
                            "metadata.name",
                            "a Cluster needs a name",
                        ));
                    };
                    count.modelled += 1;
                    control.push((cluster_name, cluster));
                }
                ("v1/Pod", Some(member)) => match pods.add(member, object)? {
                    jobs::PodFate::Modelled => count.modelled += 1,
                    jobs::PodFate::Skipped(reason) => {
                        count.skipped += 1;
                        warnings.push(format!("pod skipped: {reason}"));
                    }
                },
                ("scheduling.k8s.io/v1/PriorityClass", _) => {
                    let class: k8s_openapi::api::scheduling::v1::PriorityClass =
                        from_value(object.value, &object.position)?;
                    let class_name = class.metadata.name.clone().unwrap_or_default();
                    let value = (i64::from(class.value), class.preemption_policy.clone());
                    match classes.get(&class_name) {
                        Some(seen) if *seen != value => warnings.push(format!(
                            "{}: PriorityClass {class_name} differs from one read before; the \
                             first is kept",
                            object.position
                        )),
                        _ => {
                            classes.insert(class_name, value);
                        }
                    }
                    count.modelled += 1;
                }
                ("work.karmada.io/v1alpha2/ResourceBinding", None) => {
                    let v = &object.value;
                    let field = |p: &str| v.pointer(p).and_then(|x| x.as_str()).unwrap_or("");
                    let has_clusters = v
                        .pointer("/spec/clusters")
                        .and_then(|c| c.as_array())
                        .is_some_and(|c| !c.is_empty());
                    if has_clusters {
                        let namespace = match field("/spec/resource/namespace") {
                            "" => field("/metadata/namespace"),
                            ns => ns,
                        };
                        scheduled.insert((
                            namespace.to_owned(),
                            field("/spec/resource/kind").to_owned(),
                            field("/spec/resource/name").to_owned(),
                        ));
                    }
                    count.modelled += 1;
                }
                (kind, None) if jobs::WORKLOAD_KINDS.contains(&kind) => {
                    count.modelled += 1;
                    workloads.push(object);
                }
                _ => count.skipped += 1,
            }
        }
    }
    // Nodes in a pool in name order: a node's index is its place there.
    let mut nodes: BTreeMap<(String, String), (usize, u32)> = BTreeMap::new();
    for (member, pools) in &mut members {
        for (pool_idx, names) in pools.values_mut().enumerate() {
            names.sort();
            for (idx, node) in names.iter().enumerate() {
                nodes.insert((member.clone(), node.clone()), (pool_idx, idx as u32));
            }
        }
    }
    let mut imported_jobs = pods.into_jobs(&nodes, &mut warnings);
    for object in &workloads {
        let key = |p: &str| {
            object
                .value
                .pointer(p)
                .and_then(|x| x.as_str())
                .unwrap_or("")
                .to_owned()
        };
        let id = (
            match key("/metadata/namespace").as_str() {
                "" => "default".to_owned(),
                ns => ns.to_owned(),
            },
            object.api_kind.rsplit('/').next().unwrap_or("").to_owned(),
            key("/metadata/name"),
        );
        // A scheduled workload's pods are read from the members.
        if !scheduled.contains(&id) {
            imported_jobs.push(jobs::pending_workload(object)?);
        }
    }
    for job in &mut imported_jobs {
        if let Some(pc) = &job.priority_class
            && !classes.contains_key(pc)
        {
            warnings.push(format!(
                "{}/{}: PriorityClass {pc} is not in the snapshot; the job gets none (priority 0)",
                job.namespace, job.name
            ));
            job.priority_class = None;
        }
    }
    for job in &mut imported_jobs {
        // Pools keep only placement labels; a selector on another would match no pool.
        let dropped: Vec<String> = job
            .node_selector
            .keys()
            .filter(|k| !KEPT_NODE_LABELS.contains(&k.as_str()))
            .cloned()
            .collect();
        for key in dropped {
            warnings.push(format!(
                "{}/{}: nodeSelector {key} is dropped: node pools keep only the labels {}",
                job.namespace,
                job.name,
                KEPT_NODE_LABELS.join(", ")
            ));
            job.node_selector.remove(&key);
        }
    }
    let (job_namespaces, _) = jobs::names(&imported_jobs);
    namespaces.extend(job_namespaces);
    for (kind, count) in &counts {
        if count.skipped > 0 && count.modelled == 0 {
            warnings.push(format!(
                "skipped {} object(s) of kind {kind}: not modelled by import yet",
                count.skipped
            ));
        }
    }
    let control: BTreeMap<String, ClusterObject> = control.into_iter().collect();
    for name in control.keys() {
        if !members.contains_key(name) {
            warnings.push(format!(
                "Cluster {name}: no nodes in the snapshot; the cluster is left out"
            ));
        }
    }
    if members.is_empty() {
        return Err(input(
            &Position {
                file: dir.to_owned(),
                line: 0,
                column: 0,
                path: String::new(),
            },
            "",
            "no Node objects found: expected one folder (or file) per member cluster holding `kubectl get nodes -o yaml` output",
        ));
    }
    let includes: Vec<String> = includes
        .iter()
        .map(|file| relative_path(file, scenario_dir))
        .collect();
    let mut scenario = write_scenario(name, &members, &control, &includes, &namespaces, &classes);
    jobs::write_initial_state(
        &mut scenario,
        &imported_jobs,
        &nodes,
        "{lognormal: {median: 4h, sigma: 1.0}, min: 5m, max: 7d}",
    );
    Ok(Imported {
        scenario,
        counts,
        warnings,
    })
}

/// The snapshot's files with the member each belongs to (`None`: the control plane), sorted.
fn snapshot_files(dir: &Path) -> Result<Vec<(Option<String>, PathBuf)>, Error> {
    let mut files = Vec::new();
    for entry in sorted_entries(dir)? {
        let stem = entry
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let member = (stem != "karmada").then_some(stem);
        if entry.is_dir() {
            for file in sorted_entries(&entry)? {
                if is_object_file(&file) {
                    files.push((member.clone(), file));
                }
            }
        } else if is_object_file(&entry) {
            files.push((member, entry));
        }
    }
    Ok(files)
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let io = |source| Error::Io {
        file: dir.to_owned(),
        source,
    };
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        entries.push(entry.map_err(io)?.path());
    }
    entries.sort();
    Ok(entries)
}

fn is_object_file(path: &Path) -> bool {
    path.is_file()
        && matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        )
}

/// The objects of one file: documents, and the items of `List`s, in file order.
fn read_objects(file: &Path) -> Result<Vec<Object>, Error> {
    let text = std::fs::read_to_string(file).map_err(|source| Error::Io {
        file: file.to_owned(),
        source,
    })?;
    let mut objects = Vec::new();
    for (line, doc) in crate::karmada::documents(&text) {
        let at = Position {
            file: file.to_owned(),
            line: line as u64,
            column: 1,
            path: String::new(),
        };
        let value: serde_json::Value = crate::parse_yaml(&doc, file)
            .map_err(|err| crate::karmada::shift_lines(err, line as u64 - 1))?;
        if value.is_null() {
            continue;
        }
        let kind = api_kind(&value);
        if kind.ends_with("List") {
            let Some(items) = value.get("items").and_then(|i| i.as_array()) else {
                return Err(input(&at, "items", "a List needs `items`"));
            };
            for (idx, item) in items.iter().enumerate() {
                let mut position = at.clone();
                position.path = format!("items[{idx}]");
                objects.push(Object {
                    api_kind: api_kind(item),
                    position,
                    value: item.clone(),
                });
            }
        } else {
            objects.push(Object {
                api_kind: kind,
                position: at,
                value,
            });
        }
    }
    Ok(objects)
}

/// `apiVersion/kind` of an object (`v1/Node`, `cluster.karmada.io/v1alpha1/Cluster`).
fn api_kind(value: &serde_json::Value) -> String {
    let field = |name| value.get(name).and_then(|v| v.as_str()).unwrap_or("?");
    format!("{}/{}", field("apiVersion"), field("kind"))
}

pub(super) fn from_value<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    at: &Position,
) -> Result<T, Error> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        input(at, &path, &err.into_inner().to_string())
    })
}

pub(super) fn input(at: &Position, field: &str, message: &str) -> Error {
    let mut position = at.clone();
    position.path = match (position.path.is_empty(), field.is_empty()) {
        (_, true) => position.path,
        (true, false) => field.to_owned(),
        (false, false) => format!("{}.{field}", position.path),
    };
    Error::Input {
        position,
        message: message.to_owned(),
    }
}

/// Why a node does not become part of a pool.
pub(super) enum Unusable {
    /// It says too little (no status: a node that never registered); skipped with a warning.
    Skipped(String),
    /// A value the API server would refuse: an input error.
    Invalid { field: String, message: String },
}

impl From<&str> for Unusable {
    fn from(reason: &str) -> Self {
        Unusable::Skipped(reason.to_owned())
    }
}

pub(super) fn invalid(field: &str, message: String) -> Unusable {
    Unusable::Invalid {
        field: field.to_owned(),
        message,
    }
}

/// A node's pool: its allocatable resources, GPU model, kept labels and taints (a cordoned
/// node carries Kubernetes' `node.kubernetes.io/unschedulable` taint).
fn pool_key(node: &Node) -> Result<PoolKey, Unusable> {
    let spec = node.spec.as_ref();
    let mut taints: Vec<(String, String, String)> = Vec::new();
    for (idx, taint) in spec
        .and_then(|s| s.taints.as_deref())
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        if !matches!(
            taint.effect.as_str(),
            "NoSchedule" | "PreferNoSchedule" | "NoExecute"
        ) {
            return Err(invalid(
                &format!("spec.taints[{idx}].effect"),
                format!(
                    "expected NoSchedule, PreferNoSchedule or NoExecute, got {:?}",
                    taint.effect
                ),
            ));
        }
        taints.push((
            taint.key.clone(),
            taint.value.clone().unwrap_or_default(),
            taint.effect.clone(),
        ));
    }
    let status = node.status.as_ref().ok_or("no status")?;
    let allocatable = status.allocatable.as_ref().ok_or("no status.allocatable")?;
    let get = |name: &str| allocatable.get(name).map(|q| q.0.clone());
    let cpu = get("cpu").ok_or("no allocatable cpu")?;
    let memory = get("memory").ok_or("no allocatable memory")?;
    for (name, value) in [("cpu", &cpu), ("memory", &memory)] {
        if let Err(err) = sim_core::quantity::Quantity::parse(value) {
            return Err(invalid(
                &format!("status.allocatable.{name}"),
                format!("expected a Kubernetes quantity, got {value:?}: {err}"),
            ));
        }
    }
    let pods = match get("pods") {
        Some(p) => p.parse::<u32>().map_err(|_| {
            invalid(
                "status.allocatable.pods",
                format!("expected a count of pods, got {p:?}"),
            )
        })?,
        None => 110,
    };
    let mut gpus = 0;
    if let Some((resource, g)) = GPU_RESOURCES.iter().find_map(|r| get(r).map(|g| (*r, g))) {
        gpus = g.parse::<u32>().map_err(|_| {
            invalid(
                &format!("status.allocatable.{resource}"),
                format!("expected a count of GPUs, got {g:?}"),
            )
        })?;
    }
    let labels = node.metadata.labels.clone().unwrap_or_default();
    let gpu_model = (gpus > 0).then(|| {
        GPU_MODEL_LABELS
            .iter()
            .find_map(|l| labels.get(*l).cloned())
            .unwrap_or_else(|| "unknown".to_owned())
    });
    let kept = labels
        .iter()
        .filter(|(k, _)| KEPT_NODE_LABELS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let cordoned = spec.and_then(|s| s.unschedulable).unwrap_or(false);
    let unschedulable = "node.kubernetes.io/unschedulable";
    if cordoned && !taints.iter().any(|(k, _, _)| k == unschedulable) {
        taints.push((
            unschedulable.to_owned(),
            String::new(),
            "NoSchedule".to_owned(),
        ));
    }
    taints.sort();
    Ok(PoolKey {
        cpu,
        memory,
        pods,
        gpus,
        gpu_model,
        labels: kept,
        taints,
    })
}

/// A YAML scalar that reads back as exactly this string.
pub(super) fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

/// `file` as a path from the folder `from` (absolute when they share no root).
fn relative_path(file: &Path, from: &Path) -> String {
    let (Ok(file), Ok(from)) = (file.canonicalize(), from.canonicalize()) else {
        return file.display().to_string();
    };
    let file_parts: Vec<_> = file.components().collect();
    let from_parts: Vec<_> = from.components().collect();
    let common = file_parts
        .iter()
        .zip(&from_parts)
        .take_while(|(a, b)| a == b)
        .count();
    if common == 0 {
        return file.display().to_string();
    }
    let mut path = PathBuf::new();
    for _ in common..from_parts.len() {
        path.push("..");
    }
    for part in &file_parts[common..] {
        path.push(part);
    }
    path.display().to_string()
}

fn write_scenario(
    name: &str,
    members: &BTreeMap<String, BTreeMap<PoolKey, Vec<String>>>,
    control: &BTreeMap<String, ClusterObject>,
    includes: &[String],
    namespaces: &std::collections::BTreeSet<String>,
    classes: &BTreeMap<String, (i64, Option<String>)>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Imported by `fleetsim import` from a snapshot of {} member cluster(s).\n\
         # Node pools group identical nodes; the workload below is a placeholder: replace it.",
        members.len()
    );
    let _ = writeln!(out, "name: {}", quoted(name));
    let mut models: Vec<&str> = members
        .values()
        .flat_map(|pools| pools.keys().filter_map(|k| k.gpu_model.as_deref()))
        .collect();
    models.sort_unstable();
    models.dedup();
    if !models.is_empty() {
        out.push_str("gpu_models:\n");
        for model in &models {
            let _ = writeln!(out, "  - {{name: {}}}", quoted(model));
        }
    }
    out.push_str("clusters:\n");
    for (member, pools) in members {
        let _ = writeln!(out, "  - name: {}", quoted(member));
        if let Some(cluster) = control.get(member) {
            let spec = &cluster.spec;
            if let Some(region) = &spec.region {
                let _ = writeln!(out, "    region: {}", quoted(region));
            }
            let mut zones = spec.zones.clone();
            if zones.is_empty() {
                zones.extend(spec.zone.clone());
            }
            if !zones.is_empty() {
                let list: Vec<String> = zones.iter().map(|z| quoted(z)).collect();
                let _ = writeln!(out, "    zones: [{}]", list.join(", "));
            }
            if let Some(provider) = &spec.provider {
                let _ = writeln!(out, "    provider: {}", quoted(provider));
            }
            write_labels(&mut out, "    ", &cluster.metadata.labels);
            let taints: Vec<(String, String, String)> = spec
                .taints
                .iter()
                .map(|t| (t.key.clone(), t.value.clone(), t.effect.clone()))
                .collect();
            write_taints(&mut out, "    ", &taints);
        }
        out.push_str("    node_pools:\n");
        for (idx, (key, names)) in pools.iter().enumerate() {
            let _ = writeln!(out, "      - name: pool-{idx}");
            let _ = writeln!(out, "        count: {}", names.len());
            let _ = writeln!(out, "        # nodes, by index: {}", names.join(", "));
            let _ = writeln!(out, "        cpu: {}", quoted(&key.cpu));
            let _ = writeln!(out, "        memory: {}", quoted(&key.memory));
            let _ = writeln!(out, "        max_pods: {}", key.pods);
            if let Some(model) = &key.gpu_model {
                let _ = writeln!(out, "        gpus: {}", key.gpus);
                let _ = writeln!(out, "        gpu_model: {}", quoted(model));
            }
            write_labels(&mut out, "        ", &key.labels);
            write_taints(&mut out, "        ", &key.taints);
        }
    }
    out.push_str(
        "# Karmada's default resource models describe no GPUs: the general estimator divides each\n\
         # cluster's resource summary instead, and the accurate estimator\n\
         # (karmada-scheduler-estimator) counts node by node, as GPU fleets on Karmada run them.\n\
         scheduler: {estimators: [general, accurate], feature_gates: {CustomizedClusterResourceModeling: false}}\n\
         ",
    );
    if !includes.is_empty() {
        out.push_str("policies:\n");
        for file in includes {
            let _ = writeln!(out, "  - include: {}", quoted(file));
        }
    }
    if !classes.is_empty() {
        out.push_str("priority_classes:\n");
        for (class, (value, preemption)) in classes {
            let policy = preemption
                .as_deref()
                .map(|p| format!(", preemption_policy: {}", quoted(p)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  - {{name: {}, value: {value}{policy}}}",
                quoted(class)
            );
        }
    }
    // Every namespace is declared, and the placeholder workload draws from each alike.
    let each = |entry: &str| -> String {
        namespaces
            .iter()
            .map(|n| format!("{{name: {}{entry}}}", quoted(n)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(out, "namespaces: [{}]", each(""));
    let _ = writeln!(
        out,
        "workload:\n  synthetic:\n    jobs: 100\n    arrivals: {{rate: 10/h}}\n    runtime: {{lognormal: {{median: 1h, sigma: 0.5}}}}\n    gpus: [{{gpus: 1, weight: 1}}]\n    namespaces: [{}]",
        each(", weight: 1")
    );
    out
}

fn write_labels(out: &mut String, indent: &str, labels: &BTreeMap<String, String>) {
    if labels.is_empty() {
        return;
    }
    let _ = writeln!(out, "{indent}labels:");
    for (k, v) in labels {
        let _ = writeln!(out, "{indent}  {}: {}", quoted(k), quoted(v));
    }
}

fn write_taints(out: &mut String, indent: &str, taints: &[(String, String, String)]) {
    if taints.is_empty() {
        return;
    }
    let _ = writeln!(out, "{indent}taints:");
    for (key, value, effect) in taints {
        let _ = writeln!(
            out,
            "{indent}  - {{key: {}, value: {}, effect: {}}}",
            quoted(key),
            quoted(value),
            quoted(effect)
        );
    }
}
