//! Jobs to submit now, for `fleetsim forecast`: workload manifests become initial-state
//! entries of a scenario, which is validated again with them.

use std::path::Path;

use super::input;
use super::jobs::{ImportedJob, Request, WORKLOAD_KINDS, pending_workload};
use crate::error::{Error, Position};

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
