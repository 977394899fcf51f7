//! `fleetsim import`: a fleet as `kubectl get -o yaml` prints it becomes a scenario.
//!
//! A snapshot is a folder: each sub-folder (or top-level file) is one member cluster, named
//! after it, holding its Nodes, Pods, ResourceQuotas and PriorityClasses; a sub-folder named
//! `karmada` holds the control plane's Clusters, policies, workloads and ResourceBindings.
//! Files are YAML (one or more `---` documents) or JSON, each document an object or a `List`.
//! Kubernetes kinds are read with `k8s-openapi`'s types.
//!
//! This file reads the files and routes each object by kind; `nodes` groups identical nodes
//! into pools, `clusters` reads Clusters and member quotas, `jobs` groups Pods into jobs and
//! reads workloads, `sections` and `write` write the scenario's text, and `manifests` serves
//! `fleetsim forecast`. Other kinds are counted and skipped, never dropped silently: the report
//! says per kind how many objects were read, modelled and skipped.

mod clusters;
mod jobs;
mod manifests;
mod nodes;
mod sections;
mod write;

pub use jobs::REMAINING_ANNOTATION;
pub use manifests::{RUNTIME_ANNOTATION, manifest_jobs, with_initial_jobs};
pub use nodes::KEPT_NODE_LABELS;

use clusters::{ClusterObject, MemberQuota, member_quota, summary_mismatch};
use nodes::{PoolKey, Unusable, pool_key};
use write::{Fleet, write_scenario};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::Node;

use crate::error::{Error, Position};

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
    let mut member_quotas: BTreeMap<String, Vec<MemberQuota>> = BTreeMap::new();
    // The clusters ResourceBindings name, with where each binding is.
    let mut bound_to: Vec<(Position, String)> = Vec::new();
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
                ("v1/ResourceQuota", Some(member)) => {
                    let quota: k8s_openapi::api::core::v1::ResourceQuota =
                        from_value(object.value, &object.position)?;
                    match member_quota(&quota) {
                        Ok((kept, dropped)) => {
                            for key in dropped {
                                warnings.push(format!(
                                    "{}: ResourceQuota {}/{}: {key} is not counted by fleetsim \
                                     (only cpu, memory, pods and nvidia.com/gpu are)",
                                    object.position,
                                    kept.namespace,
                                    quota.metadata.name.as_deref().unwrap_or("")
                                ));
                            }
                            member_quotas
                                .entry(member.to_owned())
                                .or_default()
                                .push(kept);
                            count.modelled += 1;
                        }
                        Err(reason) => {
                            count.skipped += 1;
                            warnings.push(format!(
                                "{}: ResourceQuota skipped: {reason}",
                                object.position
                            ));
                        }
                    }
                }
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
                    let binding: clusters::ResourceBinding =
                        from_value(object.value, &object.position)?;
                    for target in &binding.spec.clusters {
                        bound_to.push((object.position.clone(), target.name.clone()));
                    }
                    if !binding.spec.clusters.is_empty() {
                        let resource = binding.spec.resource;
                        let namespace = resource
                            .namespace
                            .or(binding.metadata.namespace)
                            .unwrap_or_else(|| "default".to_owned());
                        scheduled.insert((namespace, resource.kind, resource.name));
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
    for (member, cluster) in &control {
        if let Some(pools) = members.get(member) {
            warnings.extend(summary_mismatch(member, cluster, pools));
        }
    }
    for (at, cluster) in &bound_to {
        if !members.contains_key(cluster) {
            warnings.push(format!(
                "{at}: the ResourceBinding names cluster {cluster}, whose nodes the snapshot \
                 does not hold; its pods there are not in the scenario"
            ));
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
    for quotas in member_quotas.values_mut() {
        // A quota scoped to classes no pod can have constrains nothing.
        quotas.retain(|q| {
            q.priority_classes.is_empty()
                || q.priority_classes.iter().any(|pc| classes.contains_key(pc))
        });
        for quota in quotas.iter_mut() {
            quota.priority_classes.retain(|pc| {
                let known = classes.contains_key(pc);
                if !known {
                    warnings.push(format!(
                        "ResourceQuota in {}: PriorityClass {pc} is not in the snapshot; the \
                         scope leaves it out",
                        quota.namespace
                    ));
                }
                known
            });
            namespaces.insert(quota.namespace.clone());
        }
    }
    let mut scenario = write_scenario(
        name,
        &Fleet {
            members: &members,
            control: &control,
            quotas: &member_quotas,
        },
        &includes,
        &namespaces,
        &classes,
        &sections::workload_section(&imported_jobs),
    );
    sections::write_initial_state(
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
    // JSON is YAML, but a JSON reader is several times faster on a large fleet's pods.
    let is_json = file.extension().is_some_and(|e| e == "json");
    let docs = if is_json {
        vec![(1, text)]
    } else {
        crate::karmada::documents(&text)
    };
    for (line, doc) in docs {
        let at = Position {
            file: file.to_owned(),
            line: line as u64,
            column: 1,
            path: String::new(),
        };
        let value: serde_json::Value = if is_json {
            serde_json::from_str(&doc).map_err(|err| Error::Input {
                position: Position {
                    file: file.to_owned(),
                    line: err.line() as u64,
                    column: err.column() as u64,
                    path: String::new(),
                },
                message: format!("not valid JSON: {err}"),
            })?
        } else {
            crate::parse_yaml(&doc, file)
                .map_err(|err| crate::karmada::shift_lines(err, line as u64 - 1))?
        };
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
