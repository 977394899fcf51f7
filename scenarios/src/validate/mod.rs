//! Turns a parsed [`ScenarioSpec`] into a [`Scenario`], checking every value up front so a run
//! never fails half way on bad input.
//!
//! One file per section of the scenario, in the order they are checked: the fleet, tenants
//! (namespaces and quotas), policies, the scheduler, the workload, faults. The first error
//! found is the one reported, so this order is part of the behaviour.

mod economics;
mod faults;
mod fleet;
mod gates;
mod initial;
mod policies;
mod scheduler;
mod synthetic;
mod tenants;
mod workload;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ::scheduler::SchedulerConfig;
use ::scheduler::control::{JobDefaults, PolicySet, TimelineChange};
use ::scheduler::estimator::{ModelGrade, NodeClaim};
use ::scheduler::faults::FaultPlan;
use ::scheduler::quota::Quotas;
use ::scheduler::registry::Registry;
use serde_saphyr::Spanned;
use sim_core::SimTime;
use sim_core::model::World;

pub use fleet::MAX_FLEET_NODES;

use crate::check::{Checker, ClaimTable};
use crate::error::Error;
use crate::spec::{self, ScenarioSpec};
use crate::workload::{InitialState, TraceJobs, Workload, read_trace};

/// A validated scenario: everything a run needs, already checked.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Scenario name.
    pub name: String,
    /// Seed of every random stream.
    pub seed: u64,
    /// End of simulated time, if bounded.
    pub horizon: Option<SimTime>,
    /// The fleet and its tenants.
    pub world: World,
    /// Propagation policies and placements.
    pub policies: PolicySet,
    /// Karmada fields and objects read but not modelled, one line each.
    pub warnings: Vec<String>,
    /// Changes to clusters and policies during the run.
    pub timeline: Vec<(SimTime, TimelineChange)>,
    /// Quotas and budgets.
    pub quotas: Quotas,
    /// Each cluster's resource models (empty: none): those declared, else Karmada's default
    /// grades while the CustomizedClusterResourceModeling gate is on, as Karmada gives every
    /// Cluster at creation.
    pub resource_models: Vec<Vec<ModelGrade>>,
    /// Node claims pods refer to by index; the first is the empty claim.
    pub node_claims: Vec<NodeClaim>,
    /// Scheduler settings.
    pub scheduler: SchedulerConfig,
    /// The workload.
    pub workload: Workload,
    /// Jobs that exist at time 0; they come before the workload's.
    pub initial: InitialState,
    /// The file it was read from.
    pub source: PathBuf,
    /// Cluster label grouping clusters for the balance metric; `None`: all clusters, one group.
    pub balance_by: Option<String>,
    /// Outages, drains and random node failures.
    pub faults: FaultPlan,
    /// Per namespace: the checkpoint interval and restart limit of jobs that give none.
    pub job_defaults: Vec<JobDefaults>,
    /// The plugins the scenario's names were checked against, and that its runs use.
    pub plugins: Arc<Registry>,
}

impl Scenario {
    /// The scenario's warnings for a run under `federation`: its own, or a run's
    /// `--federation` override, which adds or drops what does nothing without Karmada.
    pub fn warnings_under(&self, federation: &::scheduler::Federation) -> Vec<String> {
        let mut warnings: Vec<String> = self
            .warnings
            .iter()
            .filter(|w| !scheduler::is_direct_warning(w))
            .cloned()
            .collect();
        if matches!(federation, ::scheduler::Federation::Direct(_)) {
            warnings.extend(scheduler::direct_warning(
                &self.policies,
                &self.timeline,
                &self.scheduler,
            ));
        }
        warnings
    }

    /// Jobs the stream yields: the initial state's, then the workload's.
    pub fn n_jobs(&self) -> u64 {
        self.initial.jobs.len() as u64 + self.workload.n_jobs()
    }

    /// The job stream for a seed, in submit order: the initial state's jobs at time 0, then
    /// the workload's, numbered after them.
    pub fn jobs(
        &self,
        streams: sim_core::rng::RngStreams,
    ) -> impl Iterator<Item = sim_core::model::Job> + '_ {
        let offset = self.initial.jobs.len() as u64;
        self.initial
            .jobs(streams)
            .chain(self.workload.jobs(streams).map(move |mut job| {
                job.id = sim_core::model::JobId(job.id.0 + offset);
                job
            }))
    }
}

/// Field paths of clusters: generated clusters have no place in the file's `clusters` list.
pub(crate) struct ClusterPaths {
    /// Clusters declared in the file; those after them come from `fleet_from_trace`.
    declared: usize,
}

impl ClusterPaths {
    pub(crate) fn path(&self, idx: usize, name: &str) -> String {
        if idx < self.declared {
            format!("clusters[{idx}]")
        } else {
            format!("fleet_from_trace.clusters.{name}")
        }
    }
}

/// Checks `spec` (read from `file`) against the in-tree plugins and builds the scenario.
pub fn validate(spec: ScenarioSpec, file: &Path) -> Result<Scenario, Error> {
    validate_with(spec, file, Registry::shared_builtin())
}

/// Checks `spec` (read from `file`), its plugin names against `plugins`, and builds the
/// scenario, whose runs use `plugins`.
pub fn validate_with(
    mut spec: ScenarioSpec,
    file: &Path,
    plugins: Arc<Registry>,
) -> Result<Scenario, Error> {
    let checker = Checker {
        file,
        line_offset: 0,
    };
    let ck = &checker;
    let horizon = match &spec.horizon {
        Some(text) => Some(SimTime(ck.duration(text, "horizon")?.as_millis())),
        None => None,
    };
    let base = file.parent().unwrap_or(Path::new("."));
    let paths = ClusterPaths {
        declared: spec.clusters.len(),
    };
    let (trace_jobs, mut trace_warnings) = read_traces(ck, base, &mut spec, horizon)?;
    let fleet = fleet::fleet(ck, &spec, &paths)?;
    let pastes = policies::read_includes(ck, base, &spec)?;
    let mut world = tenants::world(ck, fleet, &spec, &pastes)?;
    let (policies, mut warnings) = policies::policy_set(ck, &pastes, &world, &spec)?;
    let quotas = tenants::scenario_quotas(ck, &world, &spec, &pastes, &mut warnings)?;
    let feature_gates = gates::feature_gates(ck, &spec.scheduler, &mut warnings)?;
    let resource_models = fleet::all_resource_models(ck, &spec.clusters, &paths, &feature_gates)?;
    let scheduler = scheduler::scheduler(ck, &plugins, &world, &spec, &paths, feature_gates)?;
    let timeline = policies::timeline(ck, base, &world, &spec.timeline, &mut warnings)?;
    let mut claims = ClaimTable::new();
    let workload = workload::workload(ck, &world, &spec.workload, trace_jobs, &mut claims)?;
    let initial = initial::initial_state(ck, &world, spec.initial_state.as_ref(), &mut claims)?;
    let faults = faults::fault_plan(ck, &world, &spec.faults)?;
    let job_defaults = tenants::job_defaults(ck, &spec.namespaces, &mut claims)?;
    world.economics = economics::economics(ck, &spec, &world.fleet, &paths, &mut warnings)?;
    warnings.append(&mut trace_warnings);
    warnings.extend(economics::spot_pricing_warnings(
        &spec,
        world.economics.costs.is_some(),
    ));
    warnings.extend(tenants::federated_key_warnings(&spec));
    warnings.extend(policies::unused_priority_warning(
        &world,
        &policies,
        &timeline,
        scheduler.preemption.member,
    ));
    warnings.extend(workload::model_warnings(&world, &scheduler, &workload));
    warnings.extend(gates::gate_warnings(&gates::GateInputs {
        spec: &spec,
        world: &world,
        policies: &policies,
        timeline: &timeline,
        quotas: &quotas,
        scheduler: &scheduler,
        workload: &workload,
        resource_models: &resource_models,
    }));
    if matches!(scheduler.federation, ::scheduler::Federation::Direct(_)) {
        warnings.extend(scheduler::direct_warning(&policies, &timeline, &scheduler));
    }
    if scheduler.descheduler.is_some() && !scheduler.estimators.iter().any(|e| e == "accurate") {
        warnings.push(
            "scheduler.descheduler: only the accurate estimator reports unschedulable \
             replicas, so without `accurate` in scheduler.estimators the descheduler does nothing"
                .to_owned(),
        );
    }
    Ok(Scenario {
        name: spec.name,
        seed: spec.seed,
        horizon,
        world,
        policies,
        warnings,
        timeline,
        quotas,
        resource_models,
        node_claims: claims.into_inner(),
        scheduler,
        workload,
        initial,
        source: file.to_owned(),
        balance_by: spec.balance_by,
        faults,
        job_defaults,
        plugins,
    })
}

/// Reads the traces up front, so that the clusters a node list yields are checked like
/// declared ones and the GPU models a trace names join gpu_models before ids are given.
/// Returns the trace workload's jobs, if that is the workload, and the warnings so far.
fn read_traces(
    ck: &Checker<'_>,
    base: &Path,
    spec: &mut ScenarioSpec,
    horizon: Option<SimTime>,
) -> Result<(Option<TraceJobs>, Vec<String>), Error> {
    let mut warnings = Vec::new();
    if let Some(fleet) = spec.fleet_from_trace.take() {
        let at = fleet.file.referenced;
        let built = crate::trace_fleet::expand(ck, base, fleet)?;
        for (name, memory) in built.models {
            add_trace_model(&mut spec.gpu_models, name, memory, at);
        }
        spec.clusters.extend(built.clusters);
        warnings.extend(built.warnings);
    }
    // A trace beside another workload is refused later, before anything is read.
    let only_trace = spec.workload.synthetic.is_none() && spec.workload.jobs.is_none();
    let trace_jobs = match &spec.workload.trace {
        Some(trace) if only_trace => {
            let mut jobs = read_trace(ck, base, trace, horizon)?;
            for name in jobs.model_names() {
                add_trace_model(&mut spec.gpu_models, name, None, trace.file.referenced);
            }
            warnings.append(&mut jobs.warnings);
            Some(jobs)
        }
        _ => None,
    };
    Ok((trace_jobs, warnings))
}

/// Adds a GPU model a trace names, unless `gpu_models` declares it: speed 1.0 (the reference),
/// so a trace runs without listing its models, and a scenario declares only those it wants to
/// make faster or slower.
fn add_trace_model(
    models: &mut Vec<spec::GpuModelSpec>,
    name: String,
    memory: Option<u64>,
    at: serde_saphyr::Location,
) {
    if models.iter().any(|m| m.name.value == name) {
        return;
    }
    models.push(spec::GpuModelSpec {
        name: Spanned::new(name, at, at),
        memory: memory.map(|bytes| Spanned::new(bytes.to_string(), at, at)),
        speed: None,
        prices: None,
        power: None,
    });
}
