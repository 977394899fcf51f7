//! The control plane: the engine's event handler. It owns the mutable state (bindings, the
//! scheduling queue, the member clusters) and is the only place that changes it; every
//! decision it makes is delegated to a plugin query.
//!
//! The files follow Karmada's controllers: `submit` (a job arriving), `scheduling` (the
//! binding scheduler and assignments), `status` (published status and assumptions), `quota`
//! (quota admission and accounting), `runs` (job runs and their ends), `failover` (faults,
//! health taints, application failover), `eviction` (graceful eviction tasks), `preemption`,
//! `rebalance` (WorkloadRebalancer, descheduler) and `timeline`. This file holds the state and
//! routes events to them.

use std::collections::BTreeSet;
use std::sync::Arc;

use sim_core::engine::{Context, Handler};
use sim_core::model::{ClusterId, GpuModelId, Job, JobId, World};
use sim_core::record::{JobState, Record};
use sim_core::rng::RngStreams;
use sim_core::{Duration, SimTime};

use crate::Error;
use crate::config::{Federation, Plugins, SchedulerConfig};
use crate::estimator::{ModelGrade, NodeClaim};
use crate::explain::{Entry, ExplainLog};
use crate::faults::FaultPlan;
use crate::generic::{Decision, Outcome};
use crate::member::{Binding, MemberCluster};
use crate::policy::{OverridePolicy, Placement, PlacementId, PropagationPolicy};
use crate::queue::SchedulingQueue;
use crate::quota::Quotas;
use crate::registry::Registry;

mod checkpoints;
mod events;
mod eviction;
mod failover;
mod job;
mod job_failures;
mod power;
mod preemption;
mod quota;
mod rebalance;
mod refusals;
mod runs;
mod scheduling;
mod spot;
mod status;
mod submit;
mod timeline;

pub use events::ControlEvent;
pub use preemption::PreemptionConfig;
pub use rebalance::DeschedulerConfig;
pub use submit::{InitialPlacement, RunningPods};
pub use timeline::{PolicyUpdate, TimelineChange, WorkloadRef};

use job::{ActiveJob, job_record};

/// One scheduling attempt with every term it tried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// Each tried `clusterAffinities` term (`None` without terms) and its decision.
    pub decisions: Vec<(Option<String>, Decision)>,
    /// The attempt's outcome.
    pub outcome: Outcome,
    /// `schedulerObservedAffinityName` after the attempt.
    pub observed_affinity: Option<String>,
    /// Whether the previous result is cleared (a FitError with no fallback).
    pub clear: bool,
}

/// Counters the control plane keeps for reports and checks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ControlStats {
    /// Jobs that arrived.
    pub n_arrived: u64,
    /// Job records emitted.
    pub n_recorded: u64,
    /// Scheduling attempts.
    pub n_attempts: u64,
    /// Attempts that repeated a FitError or quota refusal without deciding again.
    pub n_refusals_reused: u64,
    /// Attempts that took the failure of an identical binding decided at the same moment.
    pub n_failures_shared: u64,
    /// Pods bound to nodes.
    pub n_pods_bound: u64,
}

/// The propagation policies of a scenario and the placements they refer to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicySet {
    /// Placements, indexed by [`PlacementId`].
    pub placements: Vec<Placement>,
    /// PropagationPolicies and ClusterPropagationPolicies.
    pub policies: Vec<PropagationPolicy>,
    /// The placement of a job no policy matches; `None` leaves such jobs unmatched.
    pub fallback: Option<PlacementId>,
    /// OverridePolicies and ClusterOverridePolicies, applied to member manifests.
    pub overrides: Vec<OverridePolicy>,
}

impl PolicySet {
    /// Every job uses `placement`.
    pub fn single(placement: Placement) -> PolicySet {
        PolicySet {
            placements: vec![placement],
            policies: Vec::new(),
            fallback: Some(PlacementId(0)),
            overrides: Vec::new(),
        }
    }
}

/// Karmada's control plane plus the member clusters, driven by the engine.
pub struct ControlPlane {
    world: World,
    policy_set: PolicySet,
    /// The placement of jobs Karmada does not manage ([`ActiveJob::managed`]): no affinity,
    /// toleration or failover, so nothing in it acts; it exists because every binding names
    /// one, and a scenario may have no other.
    unmanaged_placement: PlacementId,
    plugins: Plugins,
    members: Vec<MemberCluster>,
    queue: SchedulingQueue,
    /// Active jobs, for lookup only (never iterated into a decision): a fast hash suits
    /// integer keys. Boxed, so that growing the table moves pointers, not 800-byte jobs.
    jobs: rustc_hash::FxHashMap<JobId, Box<ActiveJob>>,
    cycle_armed: bool,
    backoff_tick: Option<SimTime>,
    unschedulable_tick: Option<SimTime>,
    dirty: Vec<bool>,
    dirty_list: Vec<(ClusterId, GpuModelId)>,
    touched: Vec<bool>,
    /// Pods members just bound, and whether each had waited in the member first.
    bound: Vec<(ClusterId, Binding, bool)>,
    check_invariants: bool,
    stats: ControlStats,
    now: SimTime,
    explain: Option<ExplainLog>,
    /// Published status, resource model grades and assumptions.
    status: status::StatusState,
    /// Changes to pods or quota usage so far; a binding attempted after the last one on a
    /// current status would get the same answer again.
    n_changes: u64,
    /// Failures shared by identical bindings decided at one moment.
    memo: refusals::FailureMemo,
    /// `n_changes` when the dormant bindings in the queue were refused (see `refusals`).
    dormant_epoch: u64,
    /// When the armed [`ControlEvent::Quiesce`] fires.
    quiesce_tick: Option<SimTime>,
    /// The event being handled is a [`ControlEvent::Quiesce`], which must not end the run.
    quiesce_probe: bool,
    /// Finish events queued and not yet handled (stale ones included).
    n_finish_events: u64,
    /// Federated quota usage and each namespace's GPU use against its budget.
    quota: quota::QuotaState,
    timeline: Vec<(SimTime, TimelineChange)>,
    round_robin: Vec<usize>,
    federation: Federation,
    /// The fault plan and what failover knows of each cluster's health.
    failover: failover::FailoverState,
    /// Bound pods by node: (cluster, node, job, pod index).
    node_pods: BTreeSet<(ClusterId, u32, JobId, u32)>,
    /// Fault events ahead that may let waiting work run (repairs, returns, health changes,
    /// eviction timers); the run is not settled while any is pending.
    n_fault_timers: u64,
    /// Jobs with graceful eviction tasks.
    evicting: BTreeSet<JobId>,
    /// (job, cluster) whose pods were left waiting since the last settle.
    maybe_unhealthy: Vec<(JobId, ClusterId)>,
    /// Per namespace: checkpoint interval and restart limit for jobs that give none.
    job_defaults: Vec<JobDefaults>,
    /// Pods lost in this step that members recreate: (job, cluster, component, how many).
    recreate: Vec<(JobId, ClusterId, u8, u32)>,
    /// Jobs whose assignment changed since the last settle.
    maybe_start: Vec<JobId>,
    /// Random node repairs ahead.
    n_repairs: u64,
    /// Failover timers ahead (taint evictions, eviction task timeouts, application health
    /// checks); failover can loop (a job that fits nowhere is evicted again and again), so
    /// these keep the run going only while pods were bound recently.
    n_failover_timers: u64,
    /// When a job last started running or completed.
    last_progress: SimTime,
    /// The karmada-descheduler, when it runs.
    descheduler: Option<DeschedulerConfig>,
    /// The run seed, which workload UIDs are drawn from.
    seed: u64,
    /// Whether a retry that can only repeat a quota refusal reuses it (off only in a test
    /// that checks reuse changes no result).
    reuse_refusals: bool,
    /// Which preemption runs, and the bindings it may run for.
    preemption: preemption::PreemptionState,
    /// How long a gang may hold some of its pods waiting for the rest.
    gang_timeout: Option<Duration>,
    /// Evictions since a job last completed, and when that was.
    evictions_since_progress: u64,
    last_completion: SimTime,
    /// Karmada's feature gates.
    gates: crate::FeatureGates,
    /// Where the first jobs stood at time 0 (index = job id).
    initial: Vec<InitialPlacement>,
    /// Running pods the assignment being applied binds where the snapshot has them.
    pins: Vec<RunningPods>,
    /// The run stops once the explained job has started (a forecast).
    explain_until_start: bool,
}

/// Everything a control plane is built from, given at once.
pub struct ControlInputs<'a> {
    /// The world being simulated.
    pub world: World,
    /// Propagation and override policies and their placements.
    pub policies: PolicySet,
    /// Plugins, queue and failover settings.
    pub config: &'a SchedulerConfig,
    /// Where the plugins `config` names are registered.
    pub registry: &'a Registry,
    /// Node claims pods refer to (`PodRequest::node_claim`; index 0 is the empty one).
    pub node_claims: &'a [NodeClaim],
    /// Each cluster's resource models (`spec.resourceModels`), by cluster index.
    pub resource_models: Vec<Vec<ModelGrade>>,
    /// Member ResourceQuotas, FederatedResourceQuotas and GPU budgets.
    pub quotas: Quotas,
    /// Scenario changes to apply during the run, in any order.
    pub timeline: Vec<(SimTime, TimelineChange)>,
    /// Outages, drains and random node failures.
    pub faults: FaultPlan,
    /// Per namespace, what its jobs get when they do not say.
    pub job_defaults: Vec<JobDefaults>,
    /// Seed of the members' random draws (the Random placement policy) and of node failures.
    pub seed: u64,
    /// Per-event invariant checks (costly; on by default in debug builds).
    pub check_invariants: bool,
    /// The job whose story to record, for [`ControlPlane::explanation`].
    pub explain: Option<JobId>,
    /// Where the first jobs stood at time 0 (index = job id); the others arrive as new.
    pub initial: Vec<InitialPlacement>,
}

impl<'a> ControlInputs<'a> {
    /// Inputs with the in-tree plugins, no claims, models, quotas, timeline, faults or
    /// defaults, and seed 0.
    pub fn new(world: World, policies: PolicySet, config: &'a SchedulerConfig) -> Self {
        ControlInputs {
            world,
            policies,
            config,
            registry: Registry::builtin_ref(),
            node_claims: &[],
            resource_models: Vec::new(),
            quotas: Quotas::default(),
            timeline: Vec::new(),
            faults: FaultPlan::default(),
            job_defaults: Vec::new(),
            seed: 0,
            check_invariants: cfg!(debug_assertions),
            explain: None,
            initial: Vec::new(),
        }
    }
}

impl ControlPlane {
    /// A control plane over `inputs.world` whose jobs are placed by `inputs.policies`.
    pub fn new(inputs: ControlInputs<'_>) -> Result<ControlPlane, Error> {
        crate::decision::begin_run();
        let ControlInputs {
            world,
            mut policies,
            config,
            registry,
            node_claims,
            resource_models,
            quotas,
            mut timeline,
            faults,
            job_defaults,
            seed,
            check_invariants,
            explain,
            initial,
        } = inputs;
        policies.placements.push(Placement::default());
        let unmanaged_placement = PlacementId(policies.placements.len() as u32 - 1);
        let n_models = world.fleet.gpu_models.len();
        let plugins = config.resolve_with(registry, world.fleet.clusters.len(), seed)?;
        let streams = RngStreams::new(seed);
        let mut members: Vec<MemberCluster> = world
            .fleet
            .cluster_ids()
            .map(|id| {
                let mut member = MemberCluster::new(id, world.fleet.cluster(id), n_models);
                if !config.placement_target.types().is_empty() {
                    member
                        .set_fragmentation_target(std::sync::Arc::clone(&config.placement_target));
                }
                member.seed(&streams);
                if world.economics.power_down(id.0 as usize).is_some() {
                    member.track_idle();
                }
                member
            })
            .collect();
        let n_clusters = members.len();
        // FRQ overall admission runs in Karmada's webhook, and only with the
        // FederatedQuotaEnforcement gate (`validateFederatedResourceQuota`).
        let enforce_federated = !matches!(config.federation, Federation::Direct(_))
            && config.feature_gates.federated_quota_enforcement;
        let quota = quota::QuotaState::new(
            quotas,
            world.namespaces.len(),
            &mut members,
            enforce_federated,
        );
        let status = status::StatusState::new(&members, config, resource_models);
        for member in &mut members {
            member.set_node_claims(node_claims);
        }
        timeline.sort_by_key(|(time, _)| *time);
        let queue = SchedulingQueue::with_sort(config.queue, Arc::clone(&plugins.queue_sort));
        Ok(ControlPlane {
            world,
            policy_set: policies,
            unmanaged_placement,
            plugins,
            members,
            queue,
            seed,
            reuse_refusals: true,
            jobs: rustc_hash::FxHashMap::default(),
            cycle_armed: false,
            backoff_tick: None,
            unschedulable_tick: None,
            dirty: vec![false; n_clusters * n_models],
            dirty_list: Vec::new(),
            touched: vec![false; n_clusters],
            bound: Vec::new(),
            check_invariants,
            stats: ControlStats::default(),
            now: SimTime::ZERO,
            explain: explain.map(|job| ExplainLog {
                job,
                entries: Vec::new(),
            }),
            status,
            n_changes: 0,
            dormant_epoch: 0,
            memo: refusals::FailureMemo::default(),
            quiesce_tick: None,
            quiesce_probe: false,
            n_finish_events: 0,
            quota,
            timeline,
            round_robin: Vec::new(),
            federation: config.federation.clone(),
            failover: failover::FailoverState::new(
                faults,
                failover_settings(config),
                &streams,
                n_clusters,
            ),
            node_pods: BTreeSet::new(),
            n_fault_timers: 0,
            evicting: BTreeSet::new(),
            maybe_unhealthy: Vec::new(),
            job_defaults,
            recreate: Vec::new(),
            maybe_start: Vec::new(),
            n_repairs: 0,
            n_failover_timers: 0,
            last_progress: SimTime::ZERO,
            descheduler: config.descheduler,
            preemption: preemption::PreemptionState::new(config.preemption),
            gang_timeout: config.gang_timeout,
            evictions_since_progress: 0,
            last_completion: SimTime::ZERO,
            gates: config.feature_gates,
            initial,
            pins: Vec::new(),
            explain_until_start: false,
        })
    }

    /// What happened to the explained job so far.
    pub fn explanation(&self) -> Option<&ExplainLog> {
        self.explain.as_ref()
    }

    fn log(&mut self, job: JobId, time: SimTime, entry: impl FnOnce() -> Entry) {
        log_to(&mut self.explain, job, time, entry);
    }

    /// Counters so far.
    pub fn stats(&self) -> ControlStats {
        self.stats
    }

    /// The world being simulated.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// A member cluster's live state.
    pub fn member(&self, id: ClusterId) -> &MemberCluster {
        &self.members[id.0 as usize]
    }

    /// After capacity changed: members retry waiting pods, timers are armed, allocation changes
    /// are recorded, and invariants are checked.
    fn settle(&mut self, ctx: &mut Context<'_, ControlEvent>) {
        let now = ctx.now();
        // Replicas kept by eviction tasks leave once the replacements run, which may free
        // room for waiting pods: one more round then.
        for _ in 0..2 {
            for cluster_idx in 0..self.touched.len() {
                if !self.touched[cluster_idx] {
                    continue;
                }
                let mut bound = Vec::new();
                self.members[cluster_idx]
                    .retry_pending(self.plugins.placements[cluster_idx].as_ref(), &mut bound);
                self.bound.extend(
                    bound
                        .into_iter()
                        .map(|b| (ClusterId(cluster_idx as u32), b, true)),
                );
            }
            let preempted = self.preempt_in_members(ctx);
            self.settle_bound(ctx);
            if !self.assess_eviction_tasks(now) && !preempted {
                break;
            }
        }
        for (job, cluster) in std::mem::take(&mut self.maybe_unhealthy) {
            self.mark_unhealthy(job, cluster, ctx);
        }
        self.preempt_bindings(ctx);
        self.settle_power(ctx);
        // An assignment that shrank (an eviction, a reschedule) may leave every replica
        // placed.
        for job in std::mem::take(&mut self.maybe_start) {
            self.try_start(job, now, ctx);
            self.check_recovery(job, ctx);
        }
        self.arm_timers(ctx);
        self.record_allocations(ctx);
        self.quota.flush(ctx);
        if self.check_invariants {
            for (idx, touched) in self.touched.iter().enumerate() {
                if *touched && let Err(message) = self.members[idx].check_invariants() {
                    panic!("invariant broken at {now}: {message}");
                }
            }
            if self.quota.enforces_federated()
                && let Err(message) = self.check_federated_usage()
            {
                panic!("invariant broken at {now}: {message}");
            }
        }
        self.touched.iter_mut().for_each(|t| *t = false);
    }
}

impl Handler for ControlPlane {
    type Event = ControlEvent;

    fn on_start(&mut self, ctx: &mut Context<'_, ControlEvent>) {
        self.quota.flush(ctx);
        self.start_faults(ctx);
        self.start_spot(ctx);
        self.start_descheduler(ctx);
        for (idx, (time, _)) in self.timeline.iter().enumerate() {
            ctx.schedule(*time, ControlEvent::Timeline(idx as u32));
        }
        self.record_capacity(ctx);
        self.settle_power(ctx);
    }

    fn on_arrival(&mut self, job: Job, ctx: &mut Context<'_, ControlEvent>) {
        self.now = ctx.now();
        crate::decision::set_now(self.now);
        self.quiesce_probe = false;
        self.replay_dormant(false);
        self.memo.forget();
        self.arrive(job, ctx);
    }

    fn on_event(&mut self, event: ControlEvent, ctx: &mut Context<'_, ControlEvent>) {
        let now = ctx.now();
        self.now = now;
        crate::decision::set_now(now);
        self.quiesce_probe = false;
        let late = matches!(
            event,
            ControlEvent::SchedulingCycle
                | ControlEvent::BackoffFlush
                | ControlEvent::UnschedulableFlush
        );
        self.replay_dormant(late);
        if !late {
            self.memo.forget();
        }
        self.refresh_status(now);
        match event {
            ControlEvent::SchedulingCycle => self.scheduling_cycle(ctx),
            ControlEvent::Quiesce => self.quiesce(),
            ControlEvent::BackoffFlush => self.flush_backoff(now),
            ControlEvent::Timeline(idx) => {
                let change = self.timeline[idx as usize].1.clone();
                self.apply_change(change, ctx);
            }
            ControlEvent::UnschedulableFlush => self.flush_unschedulable(now),
            ControlEvent::Deschedule => self.deschedule(ctx),
            ControlEvent::GangTimeout { job, attempt } => self.gang_timeout(job, attempt, ctx),
            ControlEvent::GangRetry { job } => self.gang_retry(job),
            ControlEvent::OutageDown(idx) => self.outage_down(idx as usize, ctx),
            ControlEvent::OutageUp(idx) => self.outage_up(idx as usize, ctx),
            ControlEvent::NodeFail {
                cluster,
                node,
                rule,
            } => self.node_fail(cluster, node, rule as usize, ctx),
            ControlEvent::NodeRepair {
                cluster,
                node,
                rule,
            } => self.node_repair(cluster, node, rule as usize, ctx),
            ControlEvent::ClusterHealth { cluster, epoch } => {
                self.cluster_health(cluster, epoch, ctx);
            }
            ControlEvent::TaintEviction {
                job,
                cluster,
                epoch,
            } => self.taint_eviction_due(job, cluster, epoch, ctx),
            ControlEvent::AppHealthCheck {
                job,
                cluster,
                since,
            } => self.app_health_check(job, cluster, since, ctx),
            ControlEvent::EvictionTimeout { job, cluster } => {
                self.eviction_timeout(job, cluster, now);
            }
            ControlEvent::JobFailure { job, generation } => {
                self.job_failure(job, generation, ctx);
            }
            ControlEvent::SpotNotice { rule } => self.spot_notice(rule as usize, ctx),
            ControlEvent::SpotDown { rule, node } => self.spot_down(rule as usize, node, ctx),
            ControlEvent::SpotBack { rule, node } => self.spot_back(rule as usize, node, ctx),
            ControlEvent::IdleCheck {
                cluster,
                node,
                generation,
            } => self.idle_check(cluster, node, generation, ctx),
            ControlEvent::Awake { cluster, node } => self.awake(cluster, node),
            ControlEvent::GangFinished { job, generation } => {
                if !self.gang_finished(job, generation, ctx) {
                    return;
                }
            }
            ControlEvent::PodFinished {
                job,
                pod,
                generation,
            } => {
                if !self.pod_finished(job, pod as usize, generation, ctx) {
                    return;
                }
            }
        }
        self.settle(ctx);
    }

    fn is_done(&self) -> bool {
        self.explain.as_ref().is_some_and(|log| {
            log.ended()
                || (self.explain_until_start
                    && log.entries.iter().any(|(_, e)| matches!(e, Entry::Started)))
        })
    }

    fn is_settled(&self) -> bool {
        if self.quiesce_probe {
            return false;
        }
        // No pod runs (no finish is coming), the published status is current, no assumption
        // or timeline change is still ahead: retries would find the same answers forever.
        // Cheap tests first: this runs after every event once the job stream is exhausted.
        // Pods that hold resources with no finish ahead (a gang still missing replicas) never
        // release them, so they do not keep the run going.
        if self.jobs.is_empty() && self.n_finish_events == 0 {
            // Nothing is left to schedule: later faults change nothing.
            return true;
        }
        // Random failures and failover loops never stop: their timers, and the status changes
        // they cause, keep the run going only while jobs made progress recently, so jobs
        // nothing can help do not wait forever.
        let quiet = self.now.since(self.last_progress) > QUIESCENCE;
        if self.evictions_since_progress > 0 && self.now.since(self.last_completion) > QUIESCENCE {
            // Failover going round in circles (a job evicted from every cluster in turn, as
            // Karmada would do forever): nothing else will happen.
            return true;
        }
        self.n_finish_events == 0
            && !self.queue.has_active()
            && !self.cycle_armed
            && self.jobs.values().all(|active| {
                !self.queue.contains(active.job.id)
                    || active.attempted_at_change == Some(self.n_changes)
                    || quiet
            })
            && (self.status.period == Duration::ZERO || self.status.current || quiet)
            && self.status.assumed.is_empty()
            && self.timeline.iter().all(|(time, _)| *time <= self.now)
            && self.n_fault_timers == 0
            && ((self.n_repairs == 0 && self.n_failover_timers == 0) || quiet)
    }

    fn on_end(&mut self, ctx: &mut Context<'_, ControlEvent>) {
        let now = ctx.now();
        self.now = now;
        crate::decision::set_now(now);
        self.replay_dormant_to_end(ctx.at_horizon());
        let mut ids: Vec<JobId> = self.jobs.keys().copied().collect();
        ids.sort();
        for id in ids {
            // Pods still on nodes are charged up to the end of the run.
            self.release_everything(id, now);
            let active = self.jobs.remove(&id).expect("listed");
            let mut record = job_record(&active, JobState::Queued, None);
            record.state = if active.start.is_some() {
                JobState::Running
            } else if active.unschedulable {
                JobState::Unschedulable
            } else {
                JobState::Queued
            };
            self.stats.n_recorded += 1;
            ctx.record(Record::Job(record));
        }
        assert_eq!(
            self.stats.n_arrived, self.stats.n_recorded,
            "every submitted job must end in exactly one state"
        );
    }
}

/// A run whose waiting jobs saw no pod bound for this long ends even though node repairs or
/// failover timers are still ahead.
const QUIESCENCE: Duration = Duration::from_mins(24 * 60);

impl ControlPlane {
    /// The first moment the run may be quiet (see `is_settled`).
    fn quiet_from(&self) -> SimTime {
        let mut from = self.last_progress.after(QUIESCENCE);
        if self.evictions_since_progress > 0 {
            from = from.min(self.last_completion.after(QUIESCENCE));
        }
        SimTime(from.0 + 1)
    }

    /// While bindings back off dormant, a [`ControlEvent::Quiesce`] at the first quiet moment.
    /// A run without a horizon ends at the first event that finds it quiet; that would be a
    /// retry of a dormant binding, which is not simulated, so this event makes the next one
    /// real (see [`quiesce`](Self::quiesce)).
    fn arm_quiesce(&mut self, ctx: &mut Context<'_, ControlEvent>) {
        if !self.queue.has_dormant() {
            return;
        }
        let from = self.quiet_from();
        if from <= self.now || self.quiesce_tick.is_some_and(|t| t > self.now && t <= from) {
            return;
        }
        self.quiesce_tick = Some(from);
        ctx.schedule(from, ControlEvent::Quiesce);
    }

    /// The first quiet moment: the dormant bindings' next retry becomes a real event, where
    /// the run may end as it would have in the full simulation; this event itself never ends it.
    fn quiesce(&mut self) {
        if self.quiesce_tick == Some(self.now) {
            self.quiesce_tick = None;
        }
        self.quiesce_probe = true;
        if self.quiet_from() <= self.now {
            self.queue.wake_dormant();
            self.credit_retries();
        }
    }
}

/// What a namespace's jobs get when they do not say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobDefaults {
    /// How often they checkpoint.
    pub checkpoint_interval: Option<Duration>,
    /// How long writing one checkpoint takes.
    pub checkpoint_cost: Option<Duration>,
    /// Restarts after which they fail for good.
    pub max_restarts: Option<u32>,
    /// Their PodDisruptionBudget's `maxUnavailable`.
    pub max_unavailable: Option<u32>,
    /// (claim, claim with the namespace's tolerations and node selector), sorted by the
    /// first: pods of the namespace take the second (Kubernetes' PodTolerationRestriction
    /// and PodNodeSelector admission). Claims missing here are unchanged.
    pub node_claims: Vec<(u16, u16)>,
}

/// Appends to the explain log when `job` is the explained one.
fn log_to(
    explain: &mut Option<ExplainLog>,
    job: JobId,
    time: SimTime,
    entry: impl FnOnce() -> Entry,
) {
    if let Some(log) = explain.as_mut().filter(|log| log.job == job) {
        log.entries.push((time, entry()));
    }
}

#[cfg(test)]
mod dynamics_tests;
#[cfg(test)]
mod tests;

/// The failover settings the controllers run with: Karmada starts the taint manager only with
/// the `Failover` gate (`startClusterController`), so NoExecute eviction needs both the gate
/// and `--enable-no-execute-taint-eviction`.
fn failover_settings(config: &SchedulerConfig) -> crate::faults::FailoverConfig {
    crate::faults::FailoverConfig {
        no_execute_eviction: config.failover.no_execute_eviction && config.feature_gates.failover,
        ..config.failover
    }
}
