//! The control plane: the engine's event handler. It owns the mutable state (bindings, the
//! scheduling queue, the member clusters) and is the only place that changes it; every
//! decision it makes is delegated to a plugin query.

use std::collections::{BTreeMap, BTreeSet};

use sim_core::engine::{Context, Handler};
use sim_core::model::{ClusterId, GpuModelId, Job, JobId, NamespaceId, PodRequest, World};
use sim_core::record::{
    AllocationRecord, FaultStats, JobRecord, JobState, NamespaceRecord, QueueRecord, Record,
};
use sim_core::{Duration, SimTime};

use crate::Error;
use crate::binding::{BindingComponent, BindingView, ClusterView, ResourceBinding};
use crate::config::{DirectSubmission, Federation};
use crate::config::{Plugins, SchedulerConfig};
use crate::divide::Mode;
use crate::estimator::{ModelGrade, ResourceList, ResourceSummary};
use crate::explain::{Entry, ExplainLog};
use crate::generic::{self, Decision, Given, Outcome};
use crate::member::{Binding, DeviceMask, MemberCluster};
use crate::policy::{
    OverridePolicy, Placement, PlacementId, PropagationPolicy, ReplicaScheduling, matching_policy,
    member_manifest,
};
use crate::queue::{QueuedBinding, SchedulingQueue, next_tick};
use crate::quota::{FederatedResourceQuota, Quotas};

#[path = "control_faults.rs"]
mod faults;
#[path = "control_preemption.rs"]
mod preemption;
#[path = "control_rebalance.rs"]
mod rebalance;

pub use preemption::PreemptionConfig;

pub use rebalance::DeschedulerConfig;

use faults::{EvictionTask, Loss};

/// The control plane's own events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlEvent {
    /// Schedule every binding in the active queue.
    SchedulingCycle,
    /// Move expired backoffs to the active queue.
    BackoffFlush,
    /// Move bindings parked too long in the unschedulable set.
    UnschedulableFlush,
    /// A gang job's run time is over.
    GangFinished {
        /// The job.
        job: JobId,
        /// Ignored unless it matches the job's current generation (it was not restarted).
        generation: u32,
    },
    /// A change from the scenario's timeline (index into it).
    Timeline(u32),
    /// A karmada-descheduler pass.
    Deschedule,
    /// A partly placed gang's time to assemble ran out.
    GangTimeout {
        /// The job.
        job: JobId,
        /// Which assembly the timer belongs to.
        attempt: u32,
    },
    /// A gang that gave back its pods tries again.
    GangRetry {
        /// The job.
        job: JobId,
    },
    /// A scheduled outage or drain begins (index into the fault plan's outages).
    OutageDown(u32),
    /// A scheduled outage or drain ends.
    OutageUp(u32),
    /// A node fails at random.
    NodeFail {
        /// The cluster.
        cluster: ClusterId,
        /// The node.
        node: u32,
        /// Index of the failure rule.
        rule: u32,
    },
    /// A randomly failed node is repaired.
    NodeRepair {
        /// The cluster.
        cluster: ClusterId,
        /// The node.
        node: u32,
        /// Index of the failure rule.
        rule: u32,
    },
    /// The control plane's view of a cluster's health catches up (after the grace period).
    ClusterHealth {
        /// The cluster.
        cluster: ClusterId,
        /// Ignored unless the cluster's health did not change since.
        epoch: u32,
    },
    /// A binding's toleration of a cluster's NoExecute taint runs out.
    TaintEviction {
        /// The job.
        job: JobId,
        /// The tainted cluster.
        cluster: ClusterId,
        /// The cluster's health epoch when the timer was set.
        epoch: u32,
    },
    /// Application failover: is the job still unhealthy on the cluster?
    AppHealthCheck {
        /// The job.
        job: JobId,
        /// The cluster.
        cluster: ClusterId,
        /// When it was found unhealthy.
        since: SimTime,
    },
    /// A graceful eviction task's timeout.
    EvictionTimeout {
        /// The job.
        job: JobId,
        /// The cluster evicted from.
        cluster: ClusterId,
    },
    /// One replica of a non-gang job is done.
    PodFinished {
        /// The job.
        job: JobId,
        /// Index into the job's pods.
        pod: u32,
        /// As for `GangFinished`.
        generation: u32,
    },
}

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

#[derive(Clone, Copy, Debug)]
struct Pod {
    cluster: ClusterId,
    node: u32,
    devices: DeviceMask,
    request: PodRequest,
    /// The job's component it belongs to.
    component: u8,
    bound_at: SimTime,
    released: bool,
    /// Work at reference speed this pod was placed to do (non-gang jobs), ms.
    work_ms: u64,
    /// Kept by a graceful eviction task since then: no longer part of the job's run.
    held_since: Option<SimTime>,
}

#[derive(Debug)]
struct ActiveJob {
    job: Job,
    binding: ResourceBinding,
    pods: Vec<Pod>,
    n_finished: u64,
    /// Pods bound and not yet released.
    n_live: u64,
    /// Pods ever bound.
    n_bound: u64,
    start: Option<SimTime>,
    generation: u32,
    n_attempts: u32,
    last_failure: Option<String>,
    unschedulable: bool,
    gpu_milli_ms: u128,
    /// Every replica runs now (a gang job's clock is ticking).
    running: bool,
    /// The placement changed since the last schedule (Karmada's `placementChanged`).
    placement_changed: bool,
    /// What each member cluster runs after overrides: one entry per cluster and component.
    manifests: Vec<Manifest>,
    /// Pods sent to members, and how many of them found no node at once.
    n_pods_sent: u64,
    n_pods_waited: u64,
    /// The namespace had room in its budget for the job when it arrived.
    under_budget_at_submit: bool,
    /// The change count when the binding was last attempted on a current status.
    attempted_at_change: Option<u64>,
    /// Pods waiting in members: (cluster, when sent, how many).
    waiting: Vec<(ClusterId, SimTime, u32)>,
    /// Σ over pods that waited in a member of how long they waited there.
    member_wait_ms: u64,
    /// Evictions, restarts, lost and idle GPU time so far.
    faults: FaultStats,
    /// Gang jobs: work at reference speed saved by checkpoints, ms.
    progress_ms: u64,
    /// Gang jobs: the current run's start and its speed (milli of reference).
    run_since: Option<(SimTime, u32)>,
    /// Gang jobs: idle time is charged up to here.
    gang_mark: SimTime,
    /// Non-gang jobs: work left by replicas that stopped early, for the next ones placed.
    resume: Vec<u64>,
    /// When the job lost replicas it has not all got back yet.
    recovery_started: Option<SimTime>,
    /// Manifests of clusters the job was evicted from, kept by graceful eviction tasks.
    held: Vec<Manifest>,
    /// Graceful eviction tasks.
    tasks: Vec<EvictionTask>,
    /// Clusters where the job's replicas do not all run, and since when (application
    /// failover).
    unhealthy: Vec<(ClusterId, SimTime)>,
    /// `status.lastScheduledTime`.
    last_scheduled: Option<SimTime>,
    /// `spec.rescheduleTriggeredAt`, set by a WorkloadRebalancer.
    reschedule_triggered: Option<SimTime>,
    /// Gang jobs: the current assembly (bumped when a timeout gives the pods back), and
    /// whether its timer is armed.
    gang_attempt: u32,
    gang_timer: bool,
}

/// The pods of one component of a job that a member cluster is asked to run, after overrides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Manifest {
    cluster: ClusterId,
    /// Index into the job's components.
    component: u8,
    replicas: i64,
    /// Per pod.
    request: PodRequest,
}

impl Pod {
    /// Bound and part of the job's current run (not kept by an eviction task).
    fn in_run(&self) -> bool {
        !self.released && self.held_since.is_none()
    }
}

impl ActiveJob {
    fn expected_pods(&self) -> u64 {
        self.manifests
            .iter()
            .map(|m| m.replicas.max(0) as u64)
            .sum()
    }

    /// Pods the job's manifests ask `cluster` to run, over all components.
    fn wanted_in(&self, cluster: ClusterId) -> i64 {
        self.manifests
            .iter()
            .filter(|m| m.cluster == cluster)
            .map(|m| m.replicas)
            .sum()
    }

    /// Pods of the job's current run on `cluster` (of one component, if given).
    fn running_in(&self, cluster: ClusterId, component: Option<u8>) -> i64 {
        self.pods
            .iter()
            .filter(|p| {
                p.cluster == cluster && p.in_run() && component.is_none_or(|c| p.component == c)
            })
            .count() as i64
    }
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
    status: Vec<ResourceSummary>,
    status_period: Duration,
    next_status: SimTime,
    /// The published status reflects every change so far.
    status_current: bool,
    /// Changes to pods or quota usage so far; a binding attempted after the last one on a
    /// current status would get the same answer again.
    n_changes: u64,
    /// Finish events queued and not yet handled (stale ones included).
    n_finish_events: u64,
    overcommit_protection: bool,
    /// Assumed replicas per (cluster, job): (replicas, per-replica request, expiry).
    assumed: BTreeMap<(ClusterId, JobId), (ResourceList, SimTime)>,
    /// Each cluster's resource models (`spec.resourceModels`), if it has any.
    resource_models: Vec<Vec<ModelGrade>>,
    /// The published grade counts (`allocatableModelings`) of each cluster.
    status_models: Vec<Vec<(u32, i64)>>,
    /// FederatedResourceQuotas and the usage their admission has counted.
    federated: Vec<(FederatedResourceQuota, ResourceList)>,
    /// GPU budget and quota granted per namespace, for the over-budget report.
    budgets: Vec<(Option<i64>, Option<i64>)>,
    /// Milli-GPU each namespace's pods hold, and which changed since the last record.
    namespace_gpus: Vec<u64>,
    namespace_dirty: Vec<bool>,
    timeline: Vec<(SimTime, TimelineChange)>,
    round_robin: Vec<usize>,
    federation: Federation,
    fault_plan: crate::faults::FaultPlan,
    failover: crate::faults::FailoverConfig,
    fault_rng: Option<sim_core::rng::StreamRng>,
    /// Per cluster, the outages holding it down.
    cluster_down: Vec<u32>,
    /// Per cluster, bumped at each health change; stale health events are ignored.
    cluster_epoch: Vec<u32>,
    /// Per cluster, when the control plane marked it unreachable.
    unreachable_since: Vec<Option<SimTime>>,
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
    /// Lost pods to recreate once their nodes are down: (job, cluster, pods).
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
    /// Which preemption runs.
    preemption: PreemptionConfig,
    /// How long a gang may hold some of its pods waiting for the rest.
    gang_timeout: Option<Duration>,
    /// Bindings the last attempt found no room for, for binding preemption.
    maybe_preempt: Vec<JobId>,
    /// Evictions since a job last completed, and when that was.
    evictions_since_progress: u64,
    last_completion: SimTime,
}

impl ControlPlane {
    /// A control plane over `world` whose jobs are placed by `policy_set`.
    pub fn new(
        world: World,
        policy_set: PolicySet,
        config: &SchedulerConfig,
    ) -> Result<ControlPlane, Error> {
        let n_models = world.fleet.gpu_models.len();
        let plugins = config.resolve(world.fleet.clusters.len())?;
        let members: Vec<MemberCluster> = world
            .fleet
            .cluster_ids()
            .map(|id| {
                let mut member = MemberCluster::new(id, world.fleet.cluster(id), n_models);
                if !config.placement_target.types().is_empty() {
                    member
                        .set_fragmentation_target(std::sync::Arc::clone(&config.placement_target));
                }
                member
            })
            .collect();
        let n_clusters = members.len();
        let status = members.iter().map(|m| *m.summary()).collect();
        Ok(ControlPlane {
            world,
            policy_set,
            plugins,
            members,
            queue: SchedulingQueue::new(config.queue),
            jobs: rustc_hash::FxHashMap::default(),
            cycle_armed: false,
            backoff_tick: None,
            unschedulable_tick: None,
            dirty: vec![false; n_clusters * n_models],
            dirty_list: Vec::new(),
            touched: vec![false; n_clusters],
            bound: Vec::new(),
            check_invariants: cfg!(debug_assertions),
            stats: ControlStats::default(),
            now: SimTime::ZERO,
            explain: None,
            status,
            status_period: config.status_period,
            next_status: SimTime::ZERO,
            status_current: true,
            n_changes: 0,
            n_finish_events: 0,
            overcommit_protection: config.overcommit_protection,
            assumed: BTreeMap::new(),
            resource_models: vec![Vec::new(); n_clusters],
            status_models: vec![Vec::new(); n_clusters],
            federated: Vec::new(),
            budgets: Vec::new(),
            namespace_gpus: Vec::new(),
            namespace_dirty: Vec::new(),
            timeline: Vec::new(),
            round_robin: Vec::new(),
            federation: config.federation.clone(),
            fault_plan: crate::faults::FaultPlan::default(),
            failover: config.failover,
            fault_rng: None,
            cluster_down: vec![0; n_clusters],
            cluster_epoch: vec![0; n_clusters],
            unreachable_since: vec![None; n_clusters],
            node_pods: BTreeSet::new(),
            n_fault_timers: 0,
            evicting: BTreeSet::new(),
            maybe_unhealthy: Vec::new(),
            job_defaults: Vec::new(),
            recreate: Vec::new(),
            maybe_start: Vec::new(),
            n_repairs: 0,
            n_failover_timers: 0,
            last_progress: SimTime::ZERO,
            descheduler: config.descheduler,
            preemption: config.preemption,
            gang_timeout: config.gang_timeout,
            maybe_preempt: Vec::new(),
            evictions_since_progress: 0,
            last_completion: SimTime::ZERO,
        })
    }

    /// Seeds the member clusters' random draws (the Random placement policy) from the run's
    /// streams.
    pub fn seed_members(&mut self, streams: &sim_core::rng::RngStreams) {
        for member in &mut self.members {
            member.seed(streams);
        }
        self.seed_faults(streams);
    }

    /// Turns the per-event invariant checks on or off (on by default in debug builds).
    pub fn set_invariant_checks(&mut self, on: bool) {
        self.check_invariants = on;
    }

    /// Records everything that happens to `job`, for [`ControlPlane::explanation`].
    pub fn explain_job(&mut self, job: JobId) {
        self.explain = Some(ExplainLog {
            job,
            entries: Vec::new(),
        });
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

    /// The resource summaries the control plane decides on: the last published status of each
    /// member (live when the status period is zero), with the replicas it has assumed onto each
    /// cluster added as allocating when overcommit protection is on.
    fn summaries(&self) -> Vec<ResourceSummary> {
        self.members
            .iter()
            .map(|member| {
                let id = member.id();
                let frozen = self.cluster_down[id.0 as usize] > 0;
                let mut summary = if self.status_period == Duration::ZERO && !frozen {
                    *member.summary()
                } else {
                    self.status[id.0 as usize]
                };
                if self.overcommit_protection {
                    for ((_, _), (footprint, expiry)) in
                        self.assumed.range((id, JobId(0))..=(id, JobId(u64::MAX)))
                    {
                        if *expiry > self.now {
                            summary.allocating.add(footprint);
                        }
                    }
                }
                summary
            })
            .collect()
    }

    /// Views of every member cluster over `summaries`.
    fn cluster_views<'a>(&'a self, summaries: &'a [ResourceSummary]) -> Vec<ClusterView<'a>> {
        self.members
            .iter()
            .map(|member| ClusterView {
                id: member.id(),
                cluster: self.world.fleet.cluster(member.id()),
                summary: &summaries[member.id().0 as usize],
                api_enablements: None,
                member: Some(member),
                resource_models: Some((
                    self.resource_models[member.id().0 as usize].as_slice(),
                    self.status_models[member.id().0 as usize].as_slice(),
                ))
                .filter(|(grades, _)| !grades.is_empty()),
            })
            .collect()
    }

    /// Members publish their status on the period's grid: the first event at or after a tick
    /// sees the state as it was at the tick (nothing changed in between). Assumptions the new
    /// status confirms (every replica running), that expired, or whose job left, are dropped.
    fn refresh_status(&mut self, now: SimTime) {
        let live = self.status_period == Duration::ZERO;
        if !live && now < self.next_status {
            return;
        }
        if live {
            // The status is always current; assumptions are confirmed as soon as pods run.
            self.release_assumptions(now);
            return;
        }
        for member in &self.members {
            let idx = member.id().0 as usize;
            // An unreachable cluster reports nothing: its last status stays.
            if self.cluster_down[idx] > 0 {
                continue;
            }
            self.status[idx] = *member.summary();
            if !self.resource_models[idx].is_empty() {
                self.status_models[idx] = member.grade_counts(&self.resource_models[idx]);
            }
        }
        self.status_current = true;
        let period = self.status_period.as_millis();
        self.next_status = SimTime((now.as_millis() / period + 1) * period);
        self.release_assumptions(now);
    }

    /// Drops assumptions the status confirms (every replica running), that expired, or whose
    /// job left.
    fn release_assumptions(&mut self, now: SimTime) {
        if self.assumed.is_empty() {
            return;
        }
        let jobs = &self.jobs;
        self.assumed.retain(|(cluster, job), (_, expiry)| {
            let Some(active) = jobs.get(job) else {
                return false;
            };
            let running = active
                .pods
                .iter()
                .filter(|p| p.cluster == *cluster && !p.released)
                .count() as i64;
            *expiry > now && running < active.wanted_in(*cluster)
        });
    }

    /// Records what was just sent to each cluster (`Assume`): the whole footprint there, with a
    /// fresh 5-minute expiry; clusters dropped from the result lose their assumption.
    fn assume(&mut self, job: JobId, assignment: &[(ClusterId, i64)]) {
        self.assumed.retain(|(_, j), _| *j != job);
        let expiry = self.now.after(ASSUMPTION_TTL);
        let binding = &self.jobs[&job].binding;
        for &entry in assignment {
            let footprint = binding.usage(&[entry]);
            self.assumed.insert((entry.0, job), (footprint, expiry));
        }
    }

    /// One scheduling attempt for `binding`, trying `clusterAffinities` terms in turn from the
    /// observed one (`scheduleResourceBindingWithClusterAffinities`).
    pub fn decide(&self, binding: &ResourceBinding, mode: Mode) -> Attempt {
        let summaries = self.summaries();
        let views = self.cluster_views(&summaries);
        let placement = &self.policy_set.placements[binding.placement.0 as usize];
        // Per-plugin answers are kept only for `explain`.
        let given = Given {
            brief: self.explain.is_none(),
            ..Given::default()
        };
        if placement.cluster_affinities.is_empty() {
            let view = BindingView { binding, placement };
            let decision = generic::schedule(&self.plugins, &view, &views, given, mode);
            let clear = matches!(decision.outcome, Outcome::NoClusterFit(_));
            return Attempt {
                outcome: decision.outcome.clone(),
                decisions: vec![(None, decision)],
                observed_affinity: None,
                clear,
            };
        }
        let start = match mode {
            Mode::Fresh => 0,
            Mode::Steady => binding
                .observed_affinity
                .as_deref()
                .and_then(|name| placement.affinity_term_index(name))
                .unwrap_or(0),
        };
        let mut trial = binding.clone();
        let mut decisions = Vec::new();
        for term in &placement.cluster_affinities[start..] {
            trial.observed_affinity = Some(term.name.clone());
            let view = BindingView {
                binding: &trial,
                placement,
            };
            let decision = generic::schedule(&self.plugins, &view, &views, given, mode);
            let outcome = decision.outcome.clone();
            decisions.push((Some(term.name.clone()), decision));
            if matches!(outcome, Outcome::Scheduled(_)) {
                return Attempt {
                    outcome,
                    decisions,
                    observed_affinity: Some(term.name.clone()),
                    clear: false,
                };
            }
        }
        // Every term failed: the observed term is kept, and the first error decides.
        let first = decisions
            .first()
            .map(|(_, d)| d.outcome.clone())
            .expect("at least one term");
        let clear = matches!(first, Outcome::NoClusterFit(_));
        Attempt {
            outcome: first,
            decisions,
            observed_affinity: binding.observed_affinity.clone(),
            clear,
        }
    }

    fn schedule(&mut self, entry: QueuedBinding, now: SimTime) {
        let Some(active) = self.jobs.get(&entry.job) else {
            return;
        };
        // `RescheduleRequired`: a WorkloadRebalancer's trigger strictly after the last
        // schedule (second precision) asks for a fresh schedule; a binding never scheduled
        // just waits for its first one.
        let fresh = match (active.reschedule_triggered, active.last_scheduled) {
            (Some(trigger), Some(last)) => trigger.as_millis() / 1000 > last.as_millis() / 1000,
            _ => false,
        };
        if !fresh && !self.needs_scheduling(active) {
            return;
        }
        let active = self.jobs.get_mut(&entry.job).expect("present");
        active.placement_changed = false;
        active.n_attempts += 1;
        let current = self.status_period == Duration::ZERO || self.status_current;
        active.attempted_at_change = current.then_some(self.n_changes);
        self.stats.n_attempts += 1;
        // Lend the binding to the decision rather than copy it: the decision only reads.
        let placeholder =
            ResourceBinding::new(entry.job, 0, PodRequest::default(), active.job.namespace);
        let binding = std::mem::replace(&mut active.binding, placeholder);
        let mode = if fresh { Mode::Fresh } else { Mode::Steady };
        let attempt = self.decide(&binding, mode);
        self.log(entry.job, now, || Entry::Attempt(attempt.clone()));
        let active = self.jobs.get_mut(&entry.job).expect("present");
        active.binding = binding;
        active.binding.observed_affinity = attempt.observed_affinity.clone();
        if attempt.clear {
            self.apply_assignment(entry.job, Vec::new());
        }
        match attempt.outcome {
            Outcome::Scheduled(assignment) => {
                if let Err(reason) = self.admit_federated(entry.job, &assignment) {
                    // QuotaExceeded: the previous assignment stays; retried after a backoff.
                    self.fail(entry.job, reason);
                    self.queue.add_backoff(entry, now);
                    return;
                }
                let active = self.jobs.get_mut(&entry.job).expect("present");
                active.unschedulable = false;
                active.last_failure = None;
                active.last_scheduled = Some(now);
                if self.overcommit_protection {
                    self.assume(entry.job, &assignment);
                }
                self.apply_assignment(entry.job, assignment);
            }
            Outcome::NoClusterFit(reason) => self.fail(entry.job, reason),
            Outcome::Unschedulable(reason) => {
                self.fail(entry.job, reason);
                if self.preemption.control_plane {
                    self.maybe_preempt.push(entry.job);
                }
                self.queue.add_unschedulable(entry, now);
            }
            Outcome::Error(reason) => {
                self.fail(entry.job, reason);
                self.queue.add_backoff(entry, now);
            }
        }
    }

    fn fail(&mut self, job: JobId, reason: String) {
        let active = self.jobs.get_mut(&job).expect("present");
        active.unschedulable = true;
        active.last_failure = Some(reason);
    }

    /// Writes a new `spec.clusters` and sends each member cluster the difference in its
    /// manifest (replicas after overrides).
    fn apply_assignment(&mut self, job: JobId, assignment: Vec<(ClusterId, i64)>) {
        self.maybe_start.push(job);
        let active = self.jobs.get_mut(&job).expect("present");
        active.binding.clusters = assignment.clone();
        // A single-template job is one component of `replicas` pods per cluster; a job with
        // components sends each cluster one whole set.
        let parts: Vec<(i64, PodRequest)> = if active.binding.is_multi_component() {
            active
                .binding
                .components
                .iter()
                .map(|c| (c.replicas, c.request))
                .collect()
        } else {
            vec![(1, active.binding.request)]
        };
        let mut manifests: Vec<Manifest> = Vec::with_capacity(assignment.len() * parts.len());
        for &(cluster, replicas) in &assignment {
            for (component, &(per_set, template)) in parts.iter().enumerate() {
                let wanted = if active.binding.is_multi_component() {
                    per_set
                } else {
                    replicas
                };
                let (overridden, request) = member_manifest(
                    &self.policy_set.overrides,
                    &active.job,
                    &self.world,
                    self.world.fleet.cluster(cluster),
                    wanted,
                    template,
                );
                // A replicas override resizes a single-template workload, not a component.
                let replicas = if active.binding.is_multi_component() {
                    per_set
                } else {
                    overridden
                };
                manifests.push(Manifest {
                    cluster,
                    component: component as u8,
                    replicas,
                    request,
                });
            }
        }
        let previous = std::mem::replace(&mut active.manifests, manifests.clone());
        let same =
            |a: &Manifest, b: &Manifest| a.cluster == b.cluster && a.component == b.component;
        for before in &previous {
            let after = manifests
                .iter()
                .find(|m| same(m, before))
                .map_or(0, |m| m.replicas);
            if after < before.replicas {
                self.remove_pods(
                    job,
                    before.cluster,
                    before.component,
                    before.replicas - after,
                );
            }
        }
        for manifest in manifests {
            let before = previous
                .iter()
                .find(|m| same(m, &manifest))
                .map_or(0, |m| m.replicas);
            let delta = manifest.replicas - before;
            if delta > 0 {
                let cluster = manifest.cluster;
                let n_waiting = self.submit_pods(
                    job,
                    cluster,
                    manifest.component,
                    manifest.request,
                    delta as u32,
                );
                let active = self.jobs.get_mut(&job).expect("present");
                active.n_pods_sent += delta as u64;
                active.n_pods_waited += u64::from(n_waiting);
                if n_waiting > 0 {
                    log_to(&mut self.explain, job, self.now, || Entry::Pending {
                        cluster,
                        n_pods: n_waiting,
                    });
                }
                if n_waiting > 0 {
                    self.maybe_unhealthy.push((job, cluster));
                }
                self.touched[cluster.0 as usize] = true;
            }
        }
    }

    /// Takes `n_pods` of the pods of `job`'s `component` off `cluster`: waiting pods first,
    /// then the newest bound ones, as a ReplicaSet scaling down does.
    fn remove_pods(&mut self, job: JobId, cluster: ClusterId, component: u8, n_pods: i64) {
        let now = self.now;
        let member = &mut self.members[cluster.0 as usize];
        let mut left = n_pods.max(0) as u32;
        left -= member.remove_pending_of(job, Some(component), left);
        let active = &self.jobs[&job];
        let victims: Vec<usize> = (0..active.pods.len())
            .rev()
            .filter(|&idx| {
                let pod = &active.pods[idx];
                pod.cluster == cluster && pod.component == component && pod.in_run()
            })
            .take(left as usize)
            .collect();
        let speeds: Vec<u32> = victims
            .iter()
            .map(|&idx| self.pod_speed(&active.pods[idx]))
            .collect();
        let active = self.jobs.get_mut(&job).expect("present");
        if !victims.is_empty() {
            // A moved replica restarts elsewhere from the last checkpoint; a gang stops when it
            // lacks a replica and restarts once all run again.
            if active.job.gang {
                let live = active.pods.iter().filter(|p| p.in_run()).count() as u64;
                if live - (victims.len() as u64) < active.expected_pods() {
                    active.stop_gang(now, Loss::Failure);
                } else if let Some((since, _)) = active.run_since {
                    // The gang runs on without them: their share of the run is thrown away.
                    for &idx in &victims {
                        let pod = &active.pods[idx];
                        let gpu = u128::from(pod.request.gpu.total_milli());
                        active.faults.lost_gpu_milli_ms +=
                            gpu * u128::from(now.since(since.max(pod.bound_at)).as_millis());
                    }
                }
            } else {
                for (&idx, &speed) in victims.iter().zip(&speeds) {
                    active.stop_pod(idx, now, Loss::Failure, speed);
                }
            }
        }
        for idx in victims {
            self.release_pod(job, idx, now);
        }
        self.touched[cluster.0 as usize] = true;
    }

    /// The speed (milli of reference) of the GPUs under a pod.
    fn pod_speed(&self, pod: &Pod) -> u32 {
        self.members[pod.cluster.0 as usize]
            .node_gpu_model(pod.node)
            .map_or(1000, |m| self.world.fleet.gpu_model(m).speed_milli)
    }

    /// Karmada's `doScheduleBinding` gate: a queued binding is scheduled only when its
    /// placement changed, its replicas differ from the assignment, or it is Duplicated.
    fn needs_scheduling(&self, active: &ActiveJob) -> bool {
        let placement = &self.policy_set.placements[active.binding.placement.0 as usize];
        let binding = &active.binding;
        let assigned: i64 = binding.clusters.iter().map(|(_, r)| r).sum();
        // Karmada schedules a binding without replicas (components) every time, as Duplicated.
        active.placement_changed
            || matches!(placement.replica_scheduling, ReplicaScheduling::Duplicated)
            || binding.replicas == 0
            || assigned != binding.replicas
    }

    /// Applies a change from the scenario's timeline and requeues the bindings Karmada would.
    fn apply_change(&mut self, change: TimelineChange, ctx: &mut Context<'_, ControlEvent>) {
        let now = ctx.now();
        self.n_changes += 1;
        match change {
            TimelineChange::ClusterLabels { cluster, labels } => {
                let old = self.world.fleet.cluster(cluster).clone();
                self.world.fleet.clusters[cluster.0 as usize].labels = labels;
                let new = self.world.fleet.cluster(cluster).clone();
                self.requeue_for_cluster(&old, &new, now);
            }
            TimelineChange::Rebalance(workloads) => self.rebalance(&workloads, ctx),
            TimelineChange::Policies(updates) => {
                for update in updates {
                    let existing = self.policy_set.policies.iter().position(|p| {
                        p.name == update.policy.name && p.namespace == update.policy.namespace
                    });
                    match existing {
                        Some(idx) => {
                            let placement_id = self.policy_set.policies[idx].placement;
                            self.policy_set.placements[placement_id.0 as usize] = update.placement;
                            self.policy_set.policies[idx] = PropagationPolicy {
                                placement: placement_id,
                                ..update.policy
                            };
                            let mut ids: Vec<JobId> = self
                                .jobs
                                .values()
                                .filter(|a| a.binding.placement == placement_id)
                                .map(|a| a.job.id)
                                .collect();
                            ids.sort();
                            for id in ids {
                                let active = self.jobs.get_mut(&id).expect("listed");
                                active.placement_changed = true;
                                let priority = active.binding.priority;
                                self.queue.add(id, priority, now);
                            }
                        }
                        None => {
                            self.policy_set.placements.push(update.placement);
                            let placement =
                                PlacementId(self.policy_set.placements.len() as u32 - 1);
                            self.policy_set.policies.push(PropagationPolicy {
                                placement,
                                ..update.policy
                            });
                        }
                    }
                }
            }
        }
    }

    /// Bindings whose active affinity matches the cluster before or after a change to its
    /// labels or taints, or that have none, are requeued (Karmada's cluster event handler).
    fn requeue_for_cluster(
        &mut self,
        old: &sim_core::model::Cluster,
        new: &sim_core::model::Cluster,
        now: SimTime,
    ) {
        let mut ids: Vec<JobId> = self
            .jobs
            .values()
            .filter(|active| {
                let placement = &self.policy_set.placements[active.binding.placement.0 as usize];
                let affinities =
                    active_affinities(placement, active.binding.observed_affinity.as_deref());
                affinities.is_empty() || affinities.iter().any(|a| a.matches(old) || a.matches(new))
            })
            .map(|active| active.job.id)
            .collect();
        ids.sort();
        for id in ids {
            let priority = self.jobs[&id].binding.priority;
            self.queue.add(id, priority, now);
        }
    }

    /// Sets the node claims pods refer to (`PodRequest::node_claim`; index 0 is the empty one).
    pub fn set_node_claims(&mut self, claims: &[crate::estimator::NodeClaim]) {
        for member in &mut self.members {
            member.set_node_claims(claims);
        }
    }

    /// Gives clusters resource models (`spec.resourceModels`); the general estimator then
    /// uses their published grade counts.
    pub fn set_resource_models(&mut self, models: Vec<Vec<ModelGrade>>) {
        for (idx, grades) in models.into_iter().enumerate().take(self.members.len()) {
            self.status_models[idx] = self.members[idx].grade_counts(&grades);
            self.resource_models[idx] = grades;
        }
    }

    /// Installs the scenario's quotas: member ResourceQuotas (enforced by member admission and
    /// read by the ResourceQuota estimator plugin), FederatedResourceQuotas (enforced when a
    /// binding's assignment is admitted) and GPU budgets (for the over-budget report).
    pub fn set_quotas(&mut self, quotas: Quotas) {
        let n_namespaces = self.world.namespaces.len();
        let mut granted = vec![None::<i64>; n_namespaces];
        for quota in &quotas.resource_quotas {
            if let Some(gpus) = quota.hard.gpu_limit() {
                let entry = &mut granted[quota.namespace.0 as usize];
                *entry = Some(entry.unwrap_or(0) + gpus);
            }
        }
        for frq in &quotas.federated {
            if let Some(gpus) = frq.overall.gpu_limit() {
                granted[frq.namespace.0 as usize] = Some(gpus);
            }
        }
        for quota in quotas.resource_quotas {
            self.members[quota.cluster.0 as usize].add_quota(quota);
        }
        self.federated = quotas
            .federated
            .into_iter()
            .map(|frq| (frq, ResourceList::default()))
            .collect();
        self.budgets = (0..n_namespaces)
            .map(|ns| (quotas.gpu_budgets.get(ns).copied().flatten(), granted[ns]))
            .collect();
        self.namespace_gpus = vec![0; n_namespaces];
        self.namespace_dirty = self
            .budgets
            .iter()
            .map(|(b, g)| b.is_some() || g.is_some())
            .collect();
    }

    /// FederatedResourceQuota admission of a new assignment (Karmada's ResourceBinding webhook):
    /// the increase in the namespace's usage must fit every overall limit; decreases always pass.
    fn admit_federated(
        &mut self,
        active_job: JobId,
        assignment: &[(ClusterId, i64)],
    ) -> Result<(), String> {
        let active = &self.jobs[&active_job];
        let mut delta = active.binding.usage(assignment);
        delta.sub(&active.binding.usage(&active.binding.clusters));
        let namespace = active.job.namespace;
        let world = &self.world;
        for (frq, used) in self
            .federated
            .iter()
            .filter(|(frq, _)| frq.namespace == namespace)
        {
            let grows = [delta.cpu_milli, delta.memory, delta.gpus]
                .iter()
                .any(|d| *d > 0);
            if grows && !frq.overall.admits(used, &delta) {
                let mut total = *used;
                total.add(&delta);
                return Err(format!(
                    "FederatedResourceQuota({}) exceeded: requested sum {{cpu: {}m, memory: {}, nvidia.com/gpu: {}}}, limit {:?}",
                    world.namespace(namespace).name,
                    total.cpu_milli,
                    total.memory,
                    total.gpus,
                    frq.overall
                ));
            }
        }
        for (frq, used) in self
            .federated
            .iter_mut()
            .filter(|(frq, _)| frq.namespace == namespace)
        {
            used.add(&delta);
            debug_assert!(
                frq.overall.admits(used, &ResourceList::default())
                    || [delta.cpu_milli, delta.memory, delta.gpus]
                        .iter()
                        .all(|d| *d <= 0)
            );
        }
        Ok(())
    }

    /// A finished job's binding is deleted: its usage leaves the FederatedResourceQuotas.
    fn release_federated(&mut self, job: JobId) {
        let active = &self.jobs[&job];
        let usage = active.binding.usage(&active.binding.clusters);
        let namespace = active.job.namespace;
        for (_, used) in self
            .federated
            .iter_mut()
            .filter(|(frq, _)| frq.namespace == namespace)
        {
            used.sub(&usage);
        }
    }

    fn flush_namespaces(&mut self, ctx: &mut Context<'_, ControlEvent>) {
        for ns in 0..self.namespace_dirty.len() {
            if !self.namespace_dirty[ns] {
                continue;
            }
            self.namespace_dirty[ns] = false;
            let (budget_gpus, quota_granted_gpus) = self.budgets[ns];
            ctx.record(Record::Namespace(NamespaceRecord {
                time: ctx.now(),
                namespace: NamespaceId(ns as u32),
                gpus_in_use_milli: self.namespace_gpus[ns],
                budget_gpus,
                quota_granted_gpus,
            }));
        }
    }

    /// The timeline of scenario changes (cluster labels, policies) to apply during the run.
    pub fn set_timeline(&mut self, mut timeline: Vec<(SimTime, TimelineChange)>) {
        timeline.sort_by_key(|(time, _)| *time);
        self.timeline = timeline;
    }

    /// Submits a job straight to a member cluster, as teams do without federation.
    fn submit_directly(&mut self, job: JobId, submission: &DirectSubmission) {
        let active = &self.jobs[&job];
        let namespace = active.job.namespace.0 as usize;
        let cluster = match submission {
            DirectSubmission::PerNamespace(clusters) => clusters[namespace],
            DirectSubmission::RoundRobin => {
                if self.round_robin.len() <= namespace {
                    self.round_robin.resize(namespace + 1, 0);
                }
                let next = self.round_robin[namespace];
                self.round_robin[namespace] = (next + 1) % self.members.len();
                ClusterId(next as u32)
            }
        };
        let replicas = active.binding.replicas;
        let active = self.jobs.get_mut(&job).expect("present");
        active.n_attempts = 1;
        self.apply_assignment(job, vec![(cluster, replicas)]);
    }

    /// Records pods that members bound, starting jobs whose replicas are all running.
    fn settle_bound(&mut self, ctx: &mut Context<'_, ControlEvent>) {
        let now = ctx.now();
        let bound = std::mem::take(&mut self.bound);
        for (cluster, binding, waited) in &bound {
            self.stats.n_pods_bound += 1;
            let member = &self.members[cluster.0 as usize];
            let model = member.node_gpu_model(binding.node);
            self.mark_dirty(*cluster, model);
            self.status_current = false;
            self.n_changes += 1;
            let speed_milli = model.map_or(1000, |m| self.world.fleet.gpu_model(m).speed_milli);
            let Some(active) = self.jobs.get_mut(&binding.job) else {
                debug_assert!(false, "a pod was bound for a job that has ended");
                continue;
            };
            if *waited {
                // The pod waited in the member since it was sent: the longest-waiting first.
                if let Some(entry) = active
                    .waiting
                    .iter_mut()
                    .find(|(c, _, n)| c == cluster && *n > 0)
                {
                    active.member_wait_ms += now.since(entry.1).as_millis();
                    entry.2 -= 1;
                }
                active.waiting.retain(|(_, _, n)| *n > 0);
            }
            if active.job.gang {
                active.gang_mark(now);
            }
            let work_ms = if active.job.gang {
                0
            } else {
                active
                    .resume
                    .pop()
                    .unwrap_or(active.job.runtime.as_millis())
            };
            active.pods.push(Pod {
                cluster: *cluster,
                node: binding.node,
                devices: binding.devices,
                request: binding.request,
                component: binding.component,
                bound_at: now,
                released: false,
                work_ms,
                held_since: None,
            });
            let pod_idx = active.pods.len() as u32 - 1;
            self.node_pods
                .insert((*cluster, binding.node, binding.job, pod_idx));
            let generation = active.generation;
            let gpus = i64::try_from(binding.request.gpu.total_milli()).expect("small");
            change_namespace_gpus(
                &mut self.namespace_gpus,
                &mut self.namespace_dirty,
                &self.budgets,
                active.job.namespace,
                gpus,
            );
            if !active.job.gang {
                let run = scaled_runtime(Duration(work_ms), speed_milli);
                self.n_finish_events += 1;
                ctx.schedule(
                    now.after(run),
                    ControlEvent::PodFinished {
                        job: binding.job,
                        pod: pod_idx,
                        generation,
                    },
                );
            }
            active.n_live += 1;
            log_to(&mut self.explain, binding.job, now, || Entry::Bound {
                cluster: *cluster,
                node: binding.node,
            });
            active.n_bound += 1;
            self.try_start(binding.job, now, ctx);
            self.arm_gang_timeout(binding.job, now, ctx);
        }
        let mut jobs: Vec<JobId> = bound.iter().map(|(_, b, _)| b.job).collect();
        jobs.dedup();
        for job in jobs {
            self.check_recovery(job, ctx);
            self.clear_healthy(job);
        }
        self.bound = bound;
        self.bound.clear();
    }

    /// Starts the job's run when every replica is placed: a gang runs when all its replicas
    /// run at once; other jobs have started once each replica has been placed (earlier ones
    /// may have finished already).
    fn try_start(&mut self, job: JobId, now: SimTime, ctx: &mut Context<'_, ControlEvent>) {
        let Some(active) = self.jobs.get_mut(&job) else {
            return;
        };
        let all_placed = if active.job.gang {
            active.pods.iter().filter(|p| p.in_run()).count() as u64
        } else {
            active.n_bound
        } >= active.expected_pods();
        // Every replica of the binding must be assigned too: a Divided binding evicted from a
        // cluster runs short until it is rescheduled.
        let fully_assigned = fully_assigned(&self.policy_set, active);
        if active.running || !all_placed || !fully_assigned || active.expected_pods() == 0 {
            return;
        }
        if active.job.gang {
            active.gang_mark(now);
        }
        active.running = true;
        if active.start.is_none() {
            active.start = Some(now);
            ctx.record(Record::Queue(QueueRecord {
                time: now,
                priority_class: active.job.priority_class,
                started: true,
            }));
        }
        self.last_progress = now;
        log_to(&mut self.explain, job, now, || Entry::Started);
        if active.job.gang {
            let slowest = active
                .pods
                .iter()
                .filter(|pod| pod.in_run())
                .map(|pod| {
                    self.members[pod.cluster.0 as usize]
                        .node_gpu_model(pod.node)
                        .map_or(1000, |m| self.world.fleet.gpu_model(m).speed_milli)
                })
                .min()
                .unwrap_or(1000);
            active.run_since = Some((now, slowest));
            let run = Self::gang_run_time(active, slowest);
            let generation = active.generation;
            self.n_finish_events += 1;
            ctx.schedule(
                now.after(run),
                ControlEvent::GangFinished { job, generation },
            );
        }
    }

    fn mark_dirty(&mut self, cluster: ClusterId, model: Option<GpuModelId>) {
        let Some(model) = model else { return };
        let idx = cluster.0 as usize * self.world.fleet.gpu_models.len() + model.0 as usize;
        if !self.dirty[idx] {
            self.dirty[idx] = true;
            self.dirty_list.push((cluster, model));
        }
    }

    /// Frees one pod's node resources and charges its GPU time to the job.
    fn release_pod(&mut self, job: JobId, pod_idx: usize, now: SimTime) {
        let active = self.jobs.get_mut(&job).expect("present");
        let pod = active.pods[pod_idx];
        if pod.released {
            return;
        }
        if active.job.gang && pod.held_since.is_none() {
            // Idle time up to now counts this pod among the gang's live ones.
            active.gang_mark(now);
        }
        active.pods[pod_idx].released = true;
        let request = pod.request;
        let (cluster, node, devices) = (pod.cluster, pod.node, pod.devices);
        active.n_live -= 1;
        let gpu = u128::from(request.gpu.total_milli());
        active.gpu_milli_ms += gpu * u128::from(now.since(pod.bound_at).as_millis());
        if let Some(since) = pod.held_since {
            active.faults.idle_gpu_milli_ms += gpu * u128::from(now.since(since).as_millis());
        }
        self.node_pods.remove(&(cluster, node, job, pod_idx as u32));
        let (namespace, priority_class) = (active.job.namespace, active.job.priority_class);
        let member = &mut self.members[cluster.0 as usize];
        member.release_owned(node, &request, devices, namespace, priority_class);
        let model = member.node_gpu_model(node);
        self.status_current = false;
        self.n_changes += 1;
        let gpus = i64::try_from(request.gpu.total_milli()).expect("small");
        change_namespace_gpus(
            &mut self.namespace_gpus,
            &mut self.namespace_dirty,
            &self.budgets,
            namespace,
            -gpus,
        );
        self.touched[cluster.0 as usize] = true;
        self.mark_dirty(cluster, model);
    }

    fn complete(&mut self, job: JobId, ctx: &mut Context<'_, ControlEvent>) {
        // Replicas still held by eviction tasks, and pods still waiting anywhere, go.
        self.release_everything(job, ctx.now());
        self.release_federated(job);
        self.last_progress = ctx.now();
        self.last_completion = ctx.now();
        self.evictions_since_progress = 0;
        let active = self.jobs.remove(&job).expect("present");
        self.log(job, ctx.now(), || Entry::Completed);
        let record = job_record(&active, JobState::Completed, Some(ctx.now()));
        self.stats.n_recorded += 1;
        ctx.record(Record::Job(record));
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
        // An assignment that shrank (an eviction, a reschedule) may leave every replica
        // placed.
        for job in std::mem::take(&mut self.maybe_start) {
            self.try_start(job, now, ctx);
            self.check_recovery(job, ctx);
        }
        self.arm_timers(ctx);
        for (cluster, model) in std::mem::take(&mut self.dirty_list) {
            let n_models = self.world.fleet.gpu_models.len();
            self.dirty[cluster.0 as usize * n_models + model.0 as usize] = false;
            let member = &self.members[cluster.0 as usize];
            ctx.record(Record::Allocation(AllocationRecord {
                time: now,
                cluster,
                gpu_model: model,
                allocated_milli: member.gpu_allocated_milli(model),
                capacity_milli: member.gpu_capacity_milli(model),
                fragment_milli: member.fragment_milli(model),
            }));
        }
        self.flush_namespaces(ctx);
        if self.check_invariants {
            for (idx, touched) in self.touched.iter().enumerate() {
                if *touched && let Err(message) = self.members[idx].check_invariants() {
                    panic!("invariant broken at {now}: {message}");
                }
            }
        }
        self.touched.iter_mut().for_each(|t| *t = false);
    }

    fn arm_timers(&mut self, ctx: &mut Context<'_, ControlEvent>) {
        let config = *self.queue.config();
        if self.queue.has_active() && !self.cycle_armed {
            self.cycle_armed = true;
            ctx.schedule(ctx.now(), ControlEvent::SchedulingCycle);
        }
        if let Some(expiry) = self.queue.next_backoff_expiry() {
            let tick = next_tick(expiry.max(ctx.now()), config.backoff_flush);
            if self.backoff_tick.is_none_or(|armed| tick < armed) {
                self.backoff_tick = Some(tick);
                ctx.schedule(tick, ControlEvent::BackoffFlush);
            }
        }
        if let Some(due) = self.queue.next_unschedulable_due() {
            let tick = next_tick(due.max(ctx.now()), config.unschedulable_flush);
            if self.unschedulable_tick.is_none_or(|armed| tick < armed) {
                self.unschedulable_tick = Some(tick);
                ctx.schedule(tick, ControlEvent::UnschedulableFlush);
            }
        }
    }
}

impl Handler for ControlPlane {
    type Event = ControlEvent;

    fn on_start(&mut self, ctx: &mut Context<'_, ControlEvent>) {
        self.flush_namespaces(ctx);
        self.start_faults(ctx);
        self.start_descheduler(ctx);
        for (idx, (time, _)) in self.timeline.iter().enumerate() {
            ctx.schedule(*time, ControlEvent::Timeline(idx as u32));
        }
        for member in &self.members {
            for model_idx in 0..self.world.fleet.gpu_models.len() {
                let model = GpuModelId(model_idx as u16);
                let capacity = member.gpu_capacity_milli(model);
                if capacity > 0 {
                    ctx.record(Record::Allocation(AllocationRecord {
                        time: SimTime::ZERO,
                        cluster: member.id(),
                        gpu_model: model,
                        allocated_milli: 0,
                        capacity_milli: capacity,
                        fragment_milli: member.fragment_milli(model),
                    }));
                }
            }
        }
    }

    fn on_arrival(&mut self, mut job: Job, ctx: &mut Context<'_, ControlEvent>) {
        self.now = ctx.now();
        if let Some(defaults) = self.job_defaults.get(job.namespace.0 as usize) {
            job.checkpoint_interval = job.checkpoint_interval.or(defaults.checkpoint_interval);
            job.max_restarts = job.max_restarts.or(defaults.max_restarts);
            job.max_unavailable = job.max_unavailable.or(defaults.max_unavailable);
        }
        self.refresh_status(self.now);
        self.stats.n_arrived += 1;
        ctx.record(Record::Queue(QueueRecord {
            time: self.now,
            priority_class: job.priority_class,
            started: false,
        }));
        let policy = matching_policy(&self.policy_set.policies, &job, &self.world);
        let policy_name = policy.map(|p| match &p.namespace {
            Some(ns) => format!("PropagationPolicy {ns}/{}", p.name),
            None => format!("ClusterPropagationPolicy {}", p.name),
        });
        let direct = matches!(self.federation, Federation::Direct(_));
        let matched = policy
            .map(|policy| (policy.placement, policy.schedule_priority))
            .or(self.policy_set.fallback.map(|placement| (placement, 0)))
            // Without federation no policy is consulted; the placement is never read.
            .or(direct.then_some((PlacementId(0), 0)));
        let now = self.now;
        log_to(&mut self.explain, job.id, now, || Entry::Submitted {
            job: Box::new(job.clone()),
            policy: policy_name,
        });
        if matched.is_none() {
            log_to(&mut self.explain, job.id, now, || Entry::Unmatched);
        }
        let Some((placement, schedule_priority)) = matched else {
            // Karmada's detector leaves a template no policy selects unpropagated.
            self.stats.n_recorded += 1;
            let record = JobRecord {
                id: job.id,
                name: job.name.clone(),
                namespace: job.namespace,
                priority_class: job.priority_class,
                submit: job.submit,
                start: None,
                end: None,
                state: JobState::Unmatched,
                n_replicas: job.n_replicas(),
                n_gpus: job.n_gpus(),
                gpu_milli_ms: 0,
                clusters: Vec::new(),
                n_attempts: 0,
                last_failure: Some(
                    "no PropagationPolicy or ClusterPropagationPolicy selects the job".to_owned(),
                ),
                n_pods_sent: 0,
                n_pods_waited: 0,
                member_wait_ms: 0,
                waited_under_budget: false,
                faults: FaultStats::default(),
            };
            ctx.record(Record::Job(record));
            return;
        };
        // Several components become `spec.components` (Karmada's MultiplePodTemplatesScheduling);
        // one is an ordinary `replicas` × `replicaRequirements` binding.
        let mut binding = if job.components.len() > 1 {
            let components = job
                .components
                .iter()
                .map(|c| BindingComponent {
                    replicas: i64::from(c.replicas),
                    request: c.request,
                })
                .collect();
            ResourceBinding::with_components(job.id, components, job.namespace)
        } else {
            let component = &job.components[0];
            ResourceBinding::new(
                job.id,
                i64::from(component.replicas),
                component.request,
                job.namespace,
            )
        };
        binding.priority_class = job.priority_class;
        binding.placement = placement;
        binding.priority = schedule_priority;
        let id = job.id;
        let ns = job.namespace.0 as usize;
        let under_budget_at_submit = self
            .budgets
            .get(ns)
            .and_then(|(budget, _)| *budget)
            .is_some_and(|budget| {
                self.namespace_gpus[ns] + job.n_gpus() * 1000 <= budget as u64 * 1000
            });
        if !direct {
            self.queue.add(job.id, binding.priority, ctx.now());
        }
        self.jobs.insert(
            job.id,
            Box::new(ActiveJob {
                job,
                binding,
                pods: Vec::new(),
                n_finished: 0,
                n_live: 0,
                n_bound: 0,
                start: None,
                generation: 0,
                n_attempts: 0,
                last_failure: None,
                unschedulable: false,
                gpu_milli_ms: 0,
                running: false,
                placement_changed: false,
                manifests: Vec::new(),
                n_pods_sent: 0,
                n_pods_waited: 0,
                under_budget_at_submit,
                attempted_at_change: None,
                waiting: Vec::new(),
                member_wait_ms: 0,
                faults: FaultStats::default(),
                progress_ms: 0,
                run_since: None,
                gang_mark: now,
                resume: Vec::new(),
                recovery_started: None,
                held: Vec::new(),
                tasks: Vec::new(),
                unhealthy: Vec::new(),
                last_scheduled: None,
                reschedule_triggered: None,
                gang_attempt: 0,
                gang_timer: false,
            }),
        );
        if let Federation::Direct(submission) = &self.federation {
            let submission = submission.clone();
            self.submit_directly(id, &submission);
        }
        self.settle(ctx);
    }

    fn on_event(&mut self, event: ControlEvent, ctx: &mut Context<'_, ControlEvent>) {
        let now = ctx.now();
        self.now = now;
        self.refresh_status(now);
        match event {
            ControlEvent::SchedulingCycle => {
                self.cycle_armed = false;
                while let Some(entry) = self.queue.pop() {
                    self.schedule(entry, now);
                    // Members bind pods as they arrive, so each decision sees the last one's pods.
                    self.settle_bound(ctx);
                }
            }
            ControlEvent::BackoffFlush => {
                if self.backoff_tick == Some(now) {
                    self.backoff_tick = None;
                }
                self.queue.flush_backoff(now);
            }
            ControlEvent::Timeline(idx) => {
                let change = self.timeline[idx as usize].1.clone();
                self.apply_change(change, ctx);
            }
            ControlEvent::UnschedulableFlush => {
                if self.unschedulable_tick == Some(now) {
                    self.unschedulable_tick = None;
                }
                self.queue.flush_unschedulable(now);
            }
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
            ControlEvent::GangFinished { job, generation } => {
                self.n_finish_events -= 1;
                let Some(active) = self.jobs.get(&job) else {
                    return;
                };
                if active.generation != generation {
                    return;
                }
                // Releasing everything charges the run as used.
                self.complete(job, ctx);
            }
            ControlEvent::PodFinished {
                job,
                pod,
                generation,
            } => {
                self.n_finish_events -= 1;
                let Some(active) = self.jobs.get(&job) else {
                    return;
                };
                // A replica taken off its cluster by a reschedule no longer counts.
                let replica = active.pods[pod as usize];
                if active.generation != generation || replica.released {
                    return;
                }
                if replica.held_since.is_some() {
                    // A replica kept by an eviction task: its replacement does the work.
                    self.release_pod(job, pod as usize, now);
                    self.settle(ctx);
                    return;
                }
                let active = self.jobs.get_mut(&job).expect("present");
                active.faults.used_gpu_milli_ms += u128::from(replica.request.gpu.total_milli())
                    * u128::from(now.since(replica.bound_at).as_millis());
                self.release_pod(job, pod as usize, now);
                let active = self.jobs.get_mut(&job).expect("present");
                active.n_finished += 1;
                if active.n_finished >= active.expected_pods()
                    && fully_assigned(&self.policy_set, active)
                {
                    self.try_start(job, now, ctx);
                    self.complete(job, ctx);
                }
            }
        }
        self.settle(ctx);
    }

    fn is_done(&self) -> bool {
        self.explain.as_ref().is_some_and(ExplainLog::ended)
    }

    fn is_settled(&self) -> bool {
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
            && (self.status_period == Duration::ZERO || self.status_current || quiet)
            && self.assumed.is_empty()
            && self.timeline.iter().all(|(time, _)| *time <= self.now)
            && self.n_fault_timers == 0
            && ((self.n_repairs == 0 && self.n_failover_timers == 0) || quiet)
    }

    fn on_end(&mut self, ctx: &mut Context<'_, ControlEvent>) {
        let now = ctx.now();
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

fn job_record(active: &ActiveJob, state: JobState, end: Option<SimTime>) -> JobRecord {
    debug_assert!(
        active.pods.iter().all(|p| p.released),
        "a job is recorded once it holds nothing"
    );
    let f = &active.faults;
    debug_assert_eq!(
        active.gpu_milli_ms,
        f.used_gpu_milli_ms + f.lost_gpu_milli_ms + f.idle_gpu_milli_ms,
        "job {}: held GPU time = used + lost + idle",
        active.job.name
    );
    JobRecord {
        id: active.job.id,
        name: active.job.name.clone(),
        namespace: active.job.namespace,
        priority_class: active.job.priority_class,
        submit: active.job.submit,
        start: active.start,
        end,
        state,
        n_replicas: active.job.n_replicas(),
        n_gpus: active.job.n_gpus(),
        gpu_milli_ms: active.gpu_milli_ms,
        // A job with components lists the pods of one whole set per cluster.
        clusters: {
            let set_pods = active
                .binding
                .is_multi_component()
                .then(|| active.binding.set_resources().pods as u32);
            active
                .binding
                .clusters
                .iter()
                .map(|(c, r)| (*c, set_pods.unwrap_or(*r as u32)))
                .collect()
        },
        n_attempts: active.n_attempts,
        n_pods_sent: active.n_pods_sent,
        n_pods_waited: active.n_pods_waited,
        member_wait_ms: active.member_wait_ms,
        last_failure: active.last_failure.clone(),
        waited_under_budget: active.under_budget_at_submit
            && active.start.is_none_or(|start| start > active.job.submit),
        faults: active.faults,
    }
}

/// A run whose waiting jobs saw no pod bound for this long ends even though node repairs or
/// failover timers are still ahead.
const QUIESCENCE: Duration = Duration::from_mins(24 * 60);

/// Whether every replica of the job's binding is assigned to a cluster (always, for
/// Duplicated): a Divided binding evicted from a cluster runs short until it is rescheduled.
fn fully_assigned(policies: &PolicySet, active: &ActiveJob) -> bool {
    let placement = &policies.placements[active.binding.placement.0 as usize];
    let assigned: i64 = active.binding.clusters.iter().map(|(_, r)| r).sum();
    matches!(placement.replica_scheduling, ReplicaScheduling::Duplicated)
        || if active.binding.is_multi_component() {
            // Components go whole to each cluster listed.
            !active.binding.clusters.is_empty()
        } else {
            assigned >= active.binding.replicas
        }
}

/// How long an assumption lasts without confirmation (Karmada's `DefaultAssumptionTTL`).
const ASSUMPTION_TTL: Duration = Duration::from_mins(5);

/// What a namespace's jobs get when they do not say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobDefaults {
    /// How often they checkpoint.
    pub checkpoint_interval: Option<Duration>,
    /// Restarts after which they fail for good.
    pub max_restarts: Option<u32>,
    /// Their PodDisruptionBudget's `maxUnavailable`.
    pub max_unavailable: Option<u32>,
}

/// A change to the world or the policies at a point of the scenario's timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimelineChange {
    /// A cluster's labels are replaced.
    ClusterLabels {
        /// The cluster.
        cluster: ClusterId,
        /// Its new labels.
        labels: sim_core::model::Labels,
    },
    /// Policies are created or updated (matched by kind, namespace and name).
    Policies(Vec<PolicyUpdate>),
    /// A WorkloadRebalancer: a fresh schedule of the named workloads.
    Rebalance(Vec<WorkloadRef>),
}

/// A workload a WorkloadRebalancer names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadRef {
    /// Its namespace.
    pub namespace: NamespaceId,
    /// Its name; `None` stands for every workload of the namespace (a fleetsim shorthand).
    pub name: Option<String>,
}

/// One created or updated propagation policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyUpdate {
    /// The policy; its `placement` id is assigned when applied.
    pub policy: PropagationPolicy,
    /// Its placement.
    pub placement: Placement,
}

/// The cluster affinities a binding is filtered by now: `clusterAffinity`, or the observed
/// `clusterAffinities` term with its overflow affinities.
fn active_affinities<'p>(
    placement: &'p Placement,
    observed: Option<&str>,
) -> Vec<&'p crate::policy::ClusterAffinity> {
    if let Some(affinity) = &placement.cluster_affinity {
        return vec![affinity];
    }
    placement
        .cluster_affinities
        .iter()
        .filter(|term| Some(term.name.as_str()) == observed)
        .flat_map(|term| std::iter::once(&term.affinity).chain(&term.overflow))
        .collect()
}

/// Adds `delta_milli` to a namespace's GPU use and marks it for a record when it has a budget
/// or a quota (namespaces without either are not reported).
fn change_namespace_gpus(
    gpus: &mut [u64],
    dirty: &mut [bool],
    budgets: &[(Option<i64>, Option<i64>)],
    namespace: NamespaceId,
    delta_milli: i64,
) {
    let ns = namespace.0 as usize;
    let (Some(used), Some((budget, granted))) = (gpus.get_mut(ns), budgets.get(ns)) else {
        return;
    };
    *used = used
        .checked_add_signed(delta_milli)
        .expect("namespace GPU use stays non-negative");
    if budget.is_some() || granted.is_some() {
        dirty[ns] = true;
    }
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

/// Run time on a device `speed_milli`/1000 times the reference speed, rounded up to a whole ms.
fn scaled_runtime(runtime: Duration, speed_milli: u32) -> Duration {
    let speed = u64::from(speed_milli.max(1));
    Duration(runtime.as_millis().saturating_mul(1000).div_ceil(speed))
}

#[cfg(test)]
#[path = "control_tests.rs"]
mod tests;
