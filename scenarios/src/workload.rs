//! A scenario's workload: a synthetic generator, an explicit job list, or jobs replayed from a
//! trace, streamed as jobs.
//!
//! Trace workloads are read whole, because traces are not always in submit order (Philly's is
//! not) and the job stream must be; they are read in two steps, so that the GPU models a trace
//! names can join the fleet's before names are resolved to ids.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use scheduler::estimator::PerNodeLimit;
use serde_saphyr::Spanned;
use sim_core::model::{
    Component, GpuModelSet, GpuRequest, Job, JobId, Labels, NamespaceId, PodRequest,
    PriorityClassId, Template, World,
};
use sim_core::rng::RngStreams;
use sim_core::{Duration, SimTime};

use crate::check::{Checker, ClaimTable, namespace_id, priority_class_id};
use crate::error::Error;
use crate::spec::{FieldMapSpec, Text, TraceWorkloadSpec};
use crate::synth::{SyntheticJobs, SyntheticWorkload};
use crate::traces::dlrm::{DlrmInstance, DlrmInstances};
use crate::traces::openb::OpenbPods;
use crate::traces::philly::{PhillyJob, PhillyJobs};

/// Where a scenario's jobs come from.
#[derive(Clone, Debug, PartialEq)]
pub enum Workload {
    /// Generated lazily from distributions.
    Synthetic(SyntheticWorkload),
    /// Listed in the scenario or read from a trace, sorted by submit time.
    Jobs(Vec<Job>),
}

impl Workload {
    /// Number of jobs the stream yields.
    pub fn n_jobs(&self) -> u64 {
        match self {
            Workload::Synthetic(synthetic) => synthetic.n_jobs,
            Workload::Jobs(jobs) => jobs.len() as u64,
        }
    }

    /// The job stream for a seed, in submit order.
    pub fn jobs(&self, streams: RngStreams) -> WorkloadJobs<'_> {
        match self {
            Workload::Synthetic(synthetic) => {
                WorkloadJobs::Synthetic(Box::new(synthetic.jobs(streams)))
            }
            Workload::Jobs(jobs) => WorkloadJobs::Listed(jobs.iter()),
        }
    }
}

/// The job stream of a [`Workload`].
pub enum WorkloadJobs<'a> {
    /// From the generator.
    Synthetic(Box<SyntheticJobs>),
    /// From the list.
    Listed(std::slice::Iter<'a, Job>),
}

impl Iterator for WorkloadJobs<'_> {
    type Item = Job;

    fn next(&mut self) -> Option<Job> {
        match self {
            WorkloadJobs::Synthetic(jobs) => jobs.next(),
            WorkloadJobs::Listed(jobs) => jobs.next().cloned(),
        }
    }
}

/// The name of the one component of listed, synthetic and trace jobs.
pub(crate) const WORKER: &str = "worker";

/// The template a job is submitted as; Kubernetes' `batch/v1` `Job` unless told otherwise.
pub(crate) fn template(api_version: Option<&str>, kind: Option<&str>, labels: Labels) -> Template {
    Template {
        api_version: Arc::from(api_version.unwrap_or("batch/v1")),
        kind: Arc::from(kind.unwrap_or("Job")),
        labels: Arc::new(labels),
    }
}

/// Sorts jobs by submit time (stably, so equal times keep their order) and numbers them from 0
/// in that order: the engine pulls jobs in submit order and a job's id is its position.
pub(crate) fn number_in_submit_order(jobs: &mut [Job]) {
    jobs.sort_by_key(|job| job.submit);
    for (idx, job) in jobs.iter_mut().enumerate() {
        job.id = JobId(idx as u64);
    }
}

/// Template label naming a DLRM instance's application.
pub const APP_LABEL: &str = "fleetsim.io/app";
/// Template label carrying a DLRM application's most instances per node (also enforced as the
/// node claim's per-node limit).
pub const MAX_PER_NODE_LABEL: &str = "fleetsim.io/max-per-node";

/// The trace formats a workload can be replayed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TraceFormat {
    Openb,
    Philly,
    Dlrm,
}

impl TraceFormat {
    fn parse(name: &str) -> Option<TraceFormat> {
        match name {
            "openb" => Some(TraceFormat::Openb),
            "philly" => Some(TraceFormat::Philly),
            "dlrm" => Some(TraceFormat::Dlrm),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            TraceFormat::Openb => "openb",
            TraceFormat::Philly => "philly",
            TraceFormat::Dlrm => "dlrm",
        }
    }

    /// The fields a namespace or priority class can be mapped from, in [`TraceJob::fields`]
    /// order.
    fn fields(self) -> &'static [&'static str] {
        match self {
            TraceFormat::Openb => &["qos", "phase"],
            TraceFormat::Philly => &["cluster"],
            TraceFormat::Dlrm => &["app", "role"],
        }
    }

    /// What one row is called in messages.
    fn row(self) -> &'static str {
        match self {
            TraceFormat::Openb => "pod",
            TraceFormat::Philly => "job",
            TraceFormat::Dlrm => "instance",
        }
    }
}

/// One job of a trace, in model units, before names are resolved to ids.
struct TraceJob {
    name: String,
    submit_ms: u64,
    runtime_ms: u64,
    replicas: u32,
    cpu_milli: u64,
    memory: u64,
    gpus: u32,
    milli_per_gpu: u32,
    /// Allowed GPU models by name, without duplicates; empty = any.
    models: Vec<String>,
    /// Most replicas of the job's group (a DLRM application) on one node.
    per_node_limit: Option<PerNodeLimit>,
    /// The values of [`TraceFormat::fields`].
    fields: Vec<String>,
}

/// A trace workload read, filtered, ordered by submit time and cut to its limit; its names
/// are resolved to ids by [`TraceJobs::into_jobs`] once the world exists.
pub(crate) struct TraceJobs {
    format: TraceFormat,
    file: PathBuf,
    jobs: Vec<TraceJob>,
    /// Rows left out and why, one line each.
    pub(crate) warnings: Vec<String>,
}

/// Reads the trace of `spec` (relative to `base`). `horizon` ends services that the trace
/// never deletes; without one they run to the trace's last recorded time.
pub(crate) fn read_trace(
    ck: &Checker<'_>,
    base: &Path,
    spec: &TraceWorkloadSpec,
    horizon: Option<SimTime>,
) -> Result<TraceJobs, Error> {
    let path = "workload.trace";
    let Some(format) = TraceFormat::parse(&spec.format.value) else {
        return ck.at(
            &spec.format,
            format!("{path}.format"),
            format!(
                "unknown trace format {:?}; expected openb, philly or dlrm",
                spec.format.value
            ),
        );
    };
    if format != TraceFormat::Philly {
        let philly_only = [
            (
                "gpus_per_replica",
                spec.gpus_per_replica.as_ref().map(|s| s.referenced),
            ),
            (
                "cpu_per_gpu",
                spec.cpu_per_gpu.as_ref().map(|s| s.referenced),
            ),
            (
                "memory_per_gpu",
                spec.memory_per_gpu.as_ref().map(|s| s.referenced),
            ),
        ];
        for (field, at) in philly_only {
            if let Some(at) = at {
                return ck.error(
                    at.line(),
                    at.column(),
                    format!("{path}.{field}"),
                    format!(
                        "{field} is only for format philly: {} gives each {}'s request",
                        format.name(),
                        format.row()
                    ),
                );
            }
        }
    }
    let file = base.join(&spec.file.value);
    let mut warnings = Vec::new();
    let mut jobs = match format {
        TraceFormat::Openb => openb_jobs(ck, spec, &file, &mut warnings)?,
        TraceFormat::Philly => philly_jobs(ck, spec, &file)?,
        TraceFormat::Dlrm => dlrm_jobs(&file, horizon, &mut warnings)?,
    };
    // The trace may be unsorted (Philly is); the job stream must be in submit order.
    jobs.sort_by_key(|job| job.submit_ms);
    if let Some(limit) = &spec.limit {
        if limit.value == 0 {
            return ck.at(limit, format!("{path}.limit"), "limit must be at least 1");
        }
        jobs.truncate(usize::try_from(limit.value).unwrap_or(usize::MAX));
    }
    Ok(TraceJobs {
        format,
        file,
        jobs,
        warnings,
    })
}

fn openb_jobs(
    ck: &Checker<'_>,
    spec: &TraceWorkloadSpec,
    file: &Path,
    warnings: &mut Vec<String>,
) -> Result<Vec<TraceJob>, Error> {
    let mut jobs = Vec::new();
    let (mut total, mut unusable) = (0u64, 0u64);
    for pod in OpenbPods::open(file)? {
        let pod = pod?;
        total += 1;
        let (Some(creation), Some(deletion)) = (pod.creation_s, pod.deletion_s) else {
            unusable += 1;
            continue;
        };
        // Pending pods were never scheduled: they ran (or waited) from creation.
        let start = pod.scheduled_s.unwrap_or(creation);
        if deletion < start {
            unusable += 1;
            continue;
        }
        let mut models: Vec<String> = Vec::new();
        for model in pod.spec_models() {
            if !models.iter().any(|m| m == model) {
                models.push(model.to_owned());
            }
        }
        jobs.push(TraceJob {
            submit_ms: creation.saturating_mul(1000),
            runtime_ms: (deletion - start).saturating_mul(1000),
            replicas: 1,
            cpu_milli: pod.cpu_milli,
            memory: pod.memory_mib.saturating_mul(1 << 20),
            gpus: pod.num_gpu,
            milli_per_gpu: pod.gpu_milli,
            models,
            per_node_limit: None,
            fields: vec![pod.qos.unwrap_or_default(), pod.phase.unwrap_or_default()],
            name: pod.name,
        });
    }
    if total > 0 && unusable == total {
        return ck.at(
            &spec.file,
            "workload.trace.file",
            format!(
                "no pod of {} has a creation and a deletion time (the 5-column pod lists have no times), so none can be replayed",
                file.display()
            ),
        );
    }
    if unusable > 0 {
        warnings.push(format!(
            "workload.trace: {unusable} of {total} pods of {} have no usable times (no creation or deletion time, or deleted before they started) and are left out",
            file.display()
        ));
    }
    Ok(jobs)
}

/// The largest replica size of at most `max` GPUs that divides `gpus`, so a job becomes
/// identical replicas: 16 → 2 × 8, 12 → 2 × 6, 24 → 3 × 8.
fn replica_size(gpus: u32, max: u32) -> u32 {
    (1..=gpus.min(max))
        .rev()
        .find(|size| gpus % size == 0)
        .unwrap_or(gpus)
}

fn philly_jobs(
    ck: &Checker<'_>,
    spec: &TraceWorkloadSpec,
    file: &Path,
) -> Result<Vec<TraceJob>, Error> {
    let path = "workload.trace";
    let max_replica = match &spec.gpus_per_replica {
        None => 8,
        Some(g) if g.value == 0 => {
            return ck.at(g, format!("{path}.gpus_per_replica"), "must be at least 1");
        }
        Some(g) => g.value,
    };
    let cpu_per_gpu = match &spec.cpu_per_gpu {
        Some(t) => ck
            .quantity(t, &format!("{path}.cpu_per_gpu"))?
            .milli_value(),
        None => 0,
    };
    let memory_per_gpu = match &spec.memory_per_gpu {
        Some(t) => ck.quantity(t, &format!("{path}.memory_per_gpu"))?.value(),
        None => 0,
    };
    let rows = PhillyJobs::open(file)?.collect::<Result<Vec<PhillyJob>, Error>>()?;
    // Submit times count from the earliest submission in the trace.
    let earliest = rows.iter().map(|job| job.submit_ms).min().unwrap_or(0);
    let width = rows.len().to_string().len();
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(idx, job)| {
            let size = replica_size(job.num_gpus, max_replica);
            TraceJob {
                // Philly jobs have no names: number them by their row in the file.
                name: format!("philly-{:0width$}", idx + 1),
                submit_ms: u64::try_from(job.submit_ms - earliest).unwrap_or(0),
                runtime_ms: job.duration_ms,
                // A job of 0 GPUs is one replica without GPUs.
                replicas: job.num_gpus.checked_div(size).unwrap_or(1),
                cpu_milli: cpu_per_gpu.saturating_mul(u64::from(size)),
                memory: memory_per_gpu.saturating_mul(u64::from(size)),
                gpus: size,
                milli_per_gpu: if size == 0 { 0 } else { 1000 },
                models: Vec::new(),
                per_node_limit: None,
                fields: vec![job.vc],
            }
        })
        .collect())
}

fn dlrm_jobs(
    file: &Path,
    horizon: Option<SimTime>,
    warnings: &mut Vec<String>,
) -> Result<Vec<TraceJob>, Error> {
    let rows = DlrmInstances::open(file)?.collect::<Result<Vec<DlrmInstance>, Error>>()?;
    // Instances the trace never deletes run to the horizon, or else to the trace's end.
    let trace_end = rows
        .iter()
        .flat_map(|i| [i.creation_ms, i.scheduled_ms, i.deletion_ms])
        .flatten()
        .max()
        .unwrap_or(0);
    let open_end = horizon.map_or(trace_end, SimTime::as_millis);
    let total = rows.len();
    let mut unusable = 0;
    let mut jobs = Vec::with_capacity(total);
    for instance in rows {
        // Instances created before the trace started are there from time 0.
        let submit_ms = instance.creation_ms.unwrap_or(0);
        let start = instance.scheduled_ms.or(instance.creation_ms).unwrap_or(0);
        let end = instance.deletion_ms.unwrap_or(open_end.max(start));
        if end < start {
            unusable += 1;
            continue;
        }
        jobs.push(TraceJob {
            name: instance.name,
            submit_ms,
            runtime_ms: end - start,
            replicas: 1,
            cpu_milli: instance.cpu_request_milli,
            memory: instance.memory_request,
            gpus: instance.gpu_request,
            milli_per_gpu: if instance.gpu_request == 0 { 0 } else { 1000 },
            models: Vec::new(),
            per_node_limit: instance.max_per_node.map(|max| PerNodeLimit {
                group: instance.app.clone(),
                max,
            }),
            fields: vec![instance.app, instance.role.as_str().to_owned()],
        });
    }
    if unusable > 0 {
        warnings.push(format!(
            "workload.trace: {unusable} of {total} instances of {} are deleted before they start and are left out",
            file.display()
        ));
    }
    Ok(jobs)
}

impl TraceJobs {
    /// The GPU models the jobs name, in order of first appearance.
    pub(crate) fn model_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for model in self.jobs.iter().flat_map(|job| &job.models) {
            if !names.contains(model) {
                names.push(model.clone());
            }
        }
        names
    }

    /// Resolves namespaces, priority classes, GPU models and node claims, giving the jobs in
    /// submit order, numbered from 0.
    pub(crate) fn into_jobs(
        self,
        ck: &Checker<'_>,
        world: &World,
        spec: &TraceWorkloadSpec,
        claims: &mut ClaimTable,
    ) -> Result<Vec<Job>, Error> {
        let path = "workload.trace";
        let namespaces = FieldMap::resolve(
            ck,
            &spec.namespace,
            &format!("{path}.namespace"),
            self.format,
            "namespace",
            |text, at| namespace_id(ck, world, text, at),
            world
                .namespaces
                .iter()
                .enumerate()
                .map(|(idx, ns)| (ns.name.clone(), NamespaceId(idx as u32))),
        )?;
        let priority_classes = match &spec.priority_class {
            None => None,
            Some(map) => Some(FieldMap::resolve(
                ck,
                map,
                &format!("{path}.priority_class"),
                self.format,
                "priority class",
                |text, at| priority_class_id(ck, world, text, at),
                world
                    .priority_classes
                    .iter()
                    .enumerate()
                    .map(|(idx, pc)| (pc.name.clone(), PriorityClassId(idx as u32))),
            )?),
        };
        let default_template = match self.format {
            TraceFormat::Dlrm => ("apps/v1", "Deployment"),
            TraceFormat::Openb | TraceFormat::Philly => ("batch/v1", "Job"),
        };
        let api_version = spec
            .template
            .as_ref()
            .and_then(|t| t.api_version.as_deref())
            .unwrap_or(default_template.0);
        let kind = spec
            .template
            .as_ref()
            .and_then(|t| t.kind.as_deref())
            .unwrap_or(default_template.1);
        let shared = template(Some(api_version), Some(kind), spec.labels.clone());
        let base_claim = claims.intern(
            ck,
            &spec.node_selector,
            &spec.tolerations,
            &format!("{path}.tolerations"),
        )?;
        // DLRM instances carry their application's per-node cap: one template and one node
        // claim per (application, cap), shared by its instances.
        let mut per_group: BTreeMap<(String, u32), (Template, u16)> = BTreeMap::new();
        let file = self.file.display().to_string();
        let mut jobs = Vec::with_capacity(self.jobs.len());
        for job in self.jobs {
            let describe = |field: &str, value: &str| {
                format!(
                    "{field} {value:?} of {} {} in {file}",
                    self.format.row(),
                    job.name
                )
            };
            let namespace = namespaces.lookup(ck, &job, &describe)?;
            let priority_class = match &priority_classes {
                None => None,
                Some(map) => Some(map.lookup(ck, &job, &describe)?),
            };
            let models = job
                .models
                .iter()
                .filter_map(|name| world.fleet.gpu_model_id(name));
            let (job_template, node_claim) = match &job.per_node_limit {
                None => (shared.clone(), base_claim),
                Some(limit) => {
                    let (group, max) = (limit.group.clone(), limit.max);
                    match per_group.entry((group.clone(), max)) {
                        std::collections::btree_map::Entry::Occupied(entry) => entry.get().clone(),
                        std::collections::btree_map::Entry::Vacant(entry) => {
                            let mut labels = spec.labels.clone();
                            labels.insert(APP_LABEL.to_owned(), group.clone());
                            labels.insert(MAX_PER_NODE_LABEL.to_owned(), max.to_string());
                            let claim = claims.with_per_node_limit(
                                ck,
                                base_claim,
                                PerNodeLimit { group, max },
                                path,
                            )?;
                            entry
                                .insert((template(Some(api_version), Some(kind), labels), claim))
                                .clone()
                        }
                    }
                }
            };
            jobs.push(Job {
                id: JobId(0),
                name: job.name.clone(),
                namespace,
                priority_class,
                submit: SimTime(job.submit_ms),
                components: vec![Component {
                    name: WORKER.to_owned(),
                    replicas: job.replicas,
                    request: PodRequest {
                        cpu_milli: job.cpu_milli,
                        memory: job.memory,
                        gpu: GpuRequest {
                            count: job.gpus,
                            milli_per_gpu: job.milli_per_gpu,
                            models: GpuModelSet::of(models),
                        },
                        node_claim,
                    },
                }],
                runtime: Duration(job.runtime_ms),
                gang: spec.gang,
                checkpoint_interval: None,
                max_restarts: None,
                max_unavailable: None,
                template: job_template,
            });
        }
        number_in_submit_order(&mut jobs);
        Ok(jobs)
    }
}

/// A trace field's values resolved to ids: the map, then the declared names, then the
/// default.
struct FieldMap<'s, T> {
    spec: &'s Spanned<FieldMapSpec>,
    path: String,
    what: &'static str,
    /// Index into [`TraceJob::fields`] and the field's name; `None`: every job gets the default.
    field: Option<(usize, &'static str)>,
    map: BTreeMap<String, T>,
    declared: BTreeMap<String, T>,
    default: Option<T>,
}

impl<'s, T: Copy> FieldMap<'s, T> {
    fn resolve(
        ck: &Checker<'_>,
        spec: &'s Spanned<FieldMapSpec>,
        path: &str,
        format: TraceFormat,
        what: &'static str,
        id: impl Fn(&Text, &str) -> Result<T, Error>,
        declared: impl Iterator<Item = (String, T)>,
    ) -> Result<FieldMap<'s, T>, Error> {
        let field = match &spec.value.from {
            None => None,
            Some(from) => match format.fields().iter().position(|f| *f == from.value) {
                Some(idx) => Some((idx, format.fields()[idx])),
                None => {
                    return ck.at(
                        from,
                        format!("{path}.from"),
                        format!(
                            "{} traces have no field {:?} to map; expected {}",
                            format.name(),
                            from.value,
                            format.fields().join(" or ")
                        ),
                    );
                }
            },
        };
        if field.is_none() {
            if !spec.value.map.is_empty() {
                return ck.at(
                    spec,
                    format!("{path}.map"),
                    "a map needs `from`: the trace field it maps",
                );
            }
            if spec.value.default.is_none() {
                return ck.at(
                    spec,
                    path.to_owned(),
                    format!("give `from` (a trace field) or `default` (the {what} of every job)"),
                );
            }
        }
        let mut map = BTreeMap::new();
        for (value, text) in &spec.value.map {
            map.insert(value.clone(), id(text, &format!("{path}.map.{value}"))?);
        }
        let default = match &spec.value.default {
            Some(text) => Some(id(text, &format!("{path}.default"))?),
            None => None,
        };
        Ok(FieldMap {
            spec,
            path: path.to_owned(),
            what,
            field,
            map,
            declared: declared.collect(),
            default,
        })
    }

    fn lookup(
        &self,
        ck: &Checker<'_>,
        job: &TraceJob,
        describe: &dyn Fn(&str, &str) -> String,
    ) -> Result<T, Error> {
        let Some((idx, name)) = self.field else {
            return Ok(self.default.expect("checked in resolve"));
        };
        let value = &job.fields[idx];
        match self
            .map
            .get(value)
            .or_else(|| self.declared.get(value))
            .copied()
            .or(self.default)
        {
            Some(id) => Ok(id),
            None => ck.at(
                self.spec,
                self.path.clone(),
                format!(
                    "{} is not in map and names no declared {}, and there is no default",
                    describe(name, value),
                    self.what
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replica_sizes_split_evenly_up_to_the_largest_replica() {
        let cases = [
            (1, 1),
            (2, 2),
            (8, 8),
            (12, 6),
            (16, 8),
            (24, 8),
            (128, 8),
            (11, 1),
            (0, 0),
        ];
        for (gpus, size) in cases {
            assert_eq!(replica_size(gpus, 8), size, "{gpus}");
        }
        assert_eq!(replica_size(16, 4), 4);
    }
}
