//! A validated scenario wired to the Karmada control plane and run by the engine, without
//! writing reports: what `fleetsim run` does before its tables, for callers that only need
//! the records (timeline conformance cases, tests).

use scheduler::explain::ExplainLog;
use scheduler::{ControlInputs, ControlPlane};
use sim_core::engine::{self, EngineConfig, RunStats};
use sim_core::model::JobId;
use sim_core::record::{Record, RecordSink, VecSink};
use sim_core::rng::RngStreams;

use crate::Scenario;

/// What a run changes in a scenario's control plane; `None` keeps the scenario's own.
#[derive(Clone, Debug, Default)]
pub struct PlaneOptions {
    /// Federation mode instead of the scenario's.
    pub federation: Option<scheduler::Federation>,
    /// Seed of the members' and the faults' random draws instead of the scenario's.
    pub seed: Option<u64>,
    /// Per-event invariant checks on or off (default: on in debug builds).
    pub check_invariants: Option<bool>,
    /// The job whose story is recorded.
    pub explain: Option<JobId>,
}

/// The control plane for a scenario, with its timeline, quotas, faults and defaults, and the
/// plugins it was validated against.
pub fn control_plane(
    scenario: &Scenario,
    options: &PlaneOptions,
) -> Result<ControlPlane, scheduler::Error> {
    let mut config = scenario.scheduler.clone();
    if let Some(federation) = &options.federation {
        config.federation = federation.clone();
    }
    if config.placement_target.types().is_empty() {
        config.placement_target = std::sync::Arc::new(workload_target(scenario));
    }
    let defaults = ControlInputs::new(scenario.world.clone(), scenario.policies.clone(), &config);
    ControlPlane::new(ControlInputs {
        registry: &scenario.plugins,
        node_claims: &scenario.node_claims,
        resource_models: scenario.resource_models.clone(),
        quotas: scenario.quotas.clone(),
        timeline: scenario.timeline.clone(),
        faults: scenario.faults.clone(),
        job_defaults: scenario.job_defaults.clone(),
        seed: options.seed.unwrap_or(scenario.seed),
        check_invariants: options
            .check_invariants
            .unwrap_or(defaults.check_invariants),
        explain: options.explain,
        initial: scenario.initial.placements.clone(),
        ..defaults
    })
}

/// Jobs sampled to build a scenario's default fragmentation target.
const TARGET_SAMPLE_JOBS: usize = 10_000;

/// The typical pods (95 % coverage) of the scenario's first jobs: what FGD and the
/// fragmentation measure expect when the scenario names no target of its own.
pub fn workload_target(scenario: &Scenario) -> scheduler::member::TargetWorkload {
    let keys = scenario
        .jobs(RngStreams::new(scenario.seed))
        .take(TARGET_SAMPLE_JOBS)
        .flat_map(|job| {
            job.components.into_iter().flat_map(|component| {
                let gpu = component.request.gpu;
                std::iter::repeat_n(
                    scheduler::member::fgd::TypeKey {
                        cpu_milli: component.request.cpu_milli,
                        gpu_milli: gpu.milli_per_gpu,
                        num_gpu: gpu.count,
                        spec: format!("{:?}", gpu.models),
                        models: gpu.models,
                    },
                    component.replicas as usize,
                )
            })
        });
    scheduler::member::TargetWorkload::typical(keys, 95)
}

/// One run of a scenario kept in memory: every record, and the story of the explained job.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The records in emission order.
    pub records: Vec<Record>,
    /// The explained job's log, when one was asked for.
    pub explained: Option<ExplainLog>,
}

/// Runs `scenario` with its own seed to the end (or its horizon), keeping every record; with
/// `explain`, also that job's story (the run then stops once the job has ended). Invariant
/// checks are on.
pub fn run(scenario: &Scenario, explain: Option<JobId>) -> Result<Outcome, String> {
    let options = PlaneOptions {
        check_invariants: Some(true),
        explain,
        ..PlaneOptions::default()
    };
    let mut sink = VecSink::default();
    let (control, _) = drive(scenario, &options, scenario.horizon, &mut sink, |_| {})?;
    Ok(Outcome {
        records: sink.records,
        explained: control.explanation().cloned(),
    })
}

/// Runs `scenario` with its own seed to `horizon` (or its end) into `sink`, after `prepare`
/// has seen the control plane; returns the control plane (its counters) and the engine's.
pub fn drive(
    scenario: &Scenario,
    options: &PlaneOptions,
    horizon: Option<sim_core::SimTime>,
    sink: &mut dyn RecordSink,
    prepare: impl FnOnce(&mut ControlPlane),
) -> Result<(ControlPlane, RunStats), String> {
    let mut control = control_plane(scenario, options).map_err(|e| e.to_string())?;
    prepare(&mut control);
    let jobs = scenario
        .jobs(RngStreams::new(scenario.seed))
        .map(Ok::<_, std::convert::Infallible>);
    let config = EngineConfig {
        horizon,
        progress_every: u64::MAX,
    };
    let stats =
        engine::run(&config, jobs, &mut control, sink, &mut |_| {}).map_err(|e| e.to_string())?;
    Ok((control, stats))
}
