//! A scenario's workload: a synthetic generator, an explicit job list, or jobs replayed from a
//! trace, streamed as jobs.
//!
//! Trace workloads are read whole, because traces are not always in submit order (Philly's is
//! not) and the job stream must be; they are read in two steps, so that the GPU models a trace
//! names can join the fleet's before names are resolved to ids.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use scheduler::control::InitialPlacement;
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
use crate::traces::{self, JobSource, JobTrace, TraceJob};

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

/// Jobs that exist when the run begins (a snapshot of a fleet): the first jobs of the stream,
/// all submitted at time 0, before any of the workload's.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InitialState {
    /// The jobs, numbered from 0; `runtime` is the time left, zero here when it is drawn.
    pub jobs: Vec<Job>,
    /// Where each job stood (same order as `jobs`).
    pub placements: Vec<InitialPlacement>,
    /// Whether each job's remaining run time is drawn from `remaining`.
    pub drawn: Vec<bool>,
    /// The remaining-run-time assumption for jobs that give none.
    pub remaining: Option<RemainingRuntime>,
}

/// A lognormal remaining run time, clamped to `[min, max]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RemainingRuntime {
    /// Median.
    pub median: Duration,
    /// Sigma of the underlying normal.
    pub sigma: f64,
    /// Shortest.
    pub min: Duration,
    /// Longest.
    pub max: Duration,
}

impl InitialState {
    /// The initial jobs for a seed: remaining run times are drawn in job order from the
    /// `initial/remaining` stream, so the workload's draws do not move when a snapshot does.
    pub fn jobs(&self, streams: RngStreams) -> impl Iterator<Item = Job> + '_ {
        let mut rng = streams.stream("initial/remaining");
        let dist = self.remaining.map(|r| {
            (
                rand_distr::LogNormal::new((r.median.as_millis() as f64).ln(), r.sigma)
                    .expect("validated sigma"),
                r,
            )
        });
        self.jobs.iter().zip(&self.drawn).map(move |(job, &drawn)| {
            let mut job = job.clone();
            if let (true, Some((dist, r))) = (drawn, &dist) {
                let raw = rand::distr::Distribution::sample(dist, &mut rng).round() as u64;
                job.runtime = Duration(raw.clamp(r.min.as_millis(), r.max.as_millis()));
            }
            job
        })
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

/// A trace workload read, filtered, ordered by submit time and cut to its limit; its names
/// are resolved to ids by [`TraceJobs::into_jobs`] once the world exists.
pub(crate) struct TraceJobs {
    format: JobTrace,
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
    let Some(format) = traces::job_trace(&spec.format.value) else {
        return ck.at(
            &spec.format,
            format!("{path}.format"),
            format!(
                "unknown trace format {:?}; expected {}",
                spec.format.value,
                traces::job_trace_names()
            ),
        );
    };
    if !format.sizes_replicas {
        let sizing = [
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
        for (field, at) in sizing {
            if let Some(at) = at {
                return ck.error(
                    at.line(),
                    at.column(),
                    format!("{path}.{field}"),
                    format!(
                        "{field} is only for format {}: {} gives each {}'s request",
                        traces::replica_sizing_names(),
                        format.name,
                        format.row
                    ),
                );
            }
        }
    }
    let compression_milli = time_compression(ck, spec, path)?;
    let file = base.join(&spec.file.value);
    let mut warnings = Vec::new();
    let source = JobSource {
        ck,
        spec,
        file: &file,
        // In the trace's own time, the horizon is that much later.
        horizon: horizon.map(|h| {
            SimTime(
                u64::try_from(u128::from(h.0) * u128::from(compression_milli) / 1000)
                    .unwrap_or(u64::MAX),
            )
        }),
    };
    let mut jobs = (format.read)(&source, &mut warnings)?;
    if compression_milli != 1000 {
        for job in &mut jobs {
            job.submit_ms =
                u64::try_from(u128::from(job.submit_ms) * 1000 / u128::from(compression_milli))
                    .unwrap_or(u64::MAX);
        }
    }
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

/// `time_compression` in thousandths (1000 when absent): a number ≥ 1 with at most three
/// decimals, so submit times divide exactly the same on every machine.
fn time_compression(ck: &Checker<'_>, spec: &TraceWorkloadSpec, path: &str) -> Result<u64, Error> {
    let Some(text) = &spec.time_compression else {
        return Ok(1000);
    };
    let field = format!("{path}.time_compression");
    let value = text.value.trim();
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let milli = (digits(whole) && (fraction.is_empty() || digits(fraction)) && fraction.len() <= 3)
        .then(|| {
            let whole: u64 = whole.parse().ok()?;
            let fraction: u64 = format!("{fraction:0<3}").parse().ok()?;
            whole.checked_mul(1000)?.checked_add(fraction)
        })
        .flatten();
    match milli {
        Some(milli) if milli >= 1000 => Ok(milli),
        _ => ck.at(
            text,
            field,
            format!(
                "{:?} is not a compression factor: expected a number ≥ 1 with at most three decimals (2 makes arrivals twice as dense)",
                text.value
            ),
        ),
    }
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
        let mut templates = Templates::new(ck, self.format, spec, claims)?;
        let file = self.file.display().to_string();
        let mut jobs = Vec::with_capacity(self.jobs.len());
        for job in self.jobs {
            let describe = |field: &str, value: &str| {
                format!(
                    "{field} {value:?} of {} {} in {file}",
                    self.format.row, job.name
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
            let models = GpuModelSet::of(models);
            let (template, node_claim) = templates.of(ck, claims, &job)?;
            jobs.push(Job {
                id: JobId(0),
                name: job.name,
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
                            models,
                        },
                        node_claim,
                    },
                }],
                runtime: Duration(job.runtime_ms),
                gang: spec.gang,
                checkpoint_interval: None,
                checkpoint_cost: None,
                max_restarts: None,
                max_unavailable: None,
                template,
            });
        }
        number_in_submit_order(&mut jobs);
        Ok(jobs)
    }
}

/// The templates and node claims of a trace's jobs: one shared by all, except that DLRM
/// instances carry their application's per-node cap, so one template and one node claim per
/// (application, cap), shared by its instances.
struct Templates<'s> {
    labels: &'s Labels,
    api_version: &'s str,
    kind: &'s str,
    shared: Template,
    base_claim: u16,
    per_group: BTreeMap<(String, u32), (Template, u16)>,
}

impl<'s> Templates<'s> {
    fn new(
        ck: &Checker<'_>,
        format: JobTrace,
        spec: &'s TraceWorkloadSpec,
        claims: &mut ClaimTable,
    ) -> Result<Templates<'s>, Error> {
        let api_version = spec
            .template
            .as_ref()
            .and_then(|t| t.api_version.as_deref())
            .unwrap_or(format.template.0);
        let kind = spec
            .template
            .as_ref()
            .and_then(|t| t.kind.as_deref())
            .unwrap_or(format.template.1);
        let shared = template(Some(api_version), Some(kind), spec.labels.clone());
        let base_claim = claims.intern(
            ck,
            &spec.node_selector,
            &spec.tolerations,
            "workload.trace.tolerations",
        )?;
        Ok(Templates {
            labels: &spec.labels,
            api_version,
            kind,
            shared,
            base_claim,
            per_group: BTreeMap::new(),
        })
    }

    /// The template and node claim of `job`.
    fn of(
        &mut self,
        ck: &Checker<'_>,
        claims: &mut ClaimTable,
        job: &TraceJob,
    ) -> Result<(Template, u16), Error> {
        let Some(limit) = &job.per_node_limit else {
            return Ok((self.shared.clone(), self.base_claim));
        };
        let (group, max) = (limit.group.clone(), limit.max);
        match self.per_group.entry((group.clone(), max)) {
            Entry::Occupied(entry) => Ok(entry.get().clone()),
            Entry::Vacant(entry) => {
                let mut labels = self.labels.clone();
                labels.insert(APP_LABEL.to_owned(), group.clone());
                labels.insert(MAX_PER_NODE_LABEL.to_owned(), max.to_string());
                let claim = claims.with_per_node_limit(
                    ck,
                    self.base_claim,
                    PerNodeLimit { group, max },
                    "workload.trace",
                )?;
                let template = template(Some(self.api_version), Some(self.kind), labels);
                Ok(entry.insert((template, claim)).clone())
            }
        }
    }
}

/// A trace field's values resolved to ids: the map, then the declared names, then the
/// default.
struct FieldMap<'s, T> {
    spec: &'s Spanned<FieldMapSpec>,
    path: String,
    what: &'static str,
    /// Index into `TraceJob::fields` and the field's name; `None`: every job gets the default.
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
        format: JobTrace,
        what: &'static str,
        id: impl Fn(&Text, &str) -> Result<T, Error>,
        declared: impl Iterator<Item = (String, T)>,
    ) -> Result<FieldMap<'s, T>, Error> {
        let field = match &spec.value.from {
            None => None,
            Some(from) => match format.fields.iter().position(|f| *f == from.value) {
                Some(idx) => Some((idx, format.fields[idx])),
                None => {
                    return ck.at(
                        from,
                        format!("{path}.from"),
                        format!(
                            "{} traces have no field {:?} to map; expected {}",
                            format.name,
                            from.value,
                            format.fields.join(" or ")
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
