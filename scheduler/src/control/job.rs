//! An active job: its binding, its pods and the accounting of the GPU time they hold.
//!
//! GPU time a job's pods hold is split three ways, each accounted where it is decided:
//! *used* (work kept: run to completion, or saved by a checkpoint), *lost* (work since the
//! last checkpoint, thrown away by a fault or an eviction) and *idle* (held without progress:
//! a gang waiting for replicas, replicas kept by a graceful eviction). Held = used + lost +
//! idle, checked when the job ends.

use sim_core::model::{ClusterId, Job, PodRequest};
use sim_core::record::{FaultStats, JobRecord, JobState};
use sim_core::{Duration, SimTime};

use super::PolicySet;
use super::checkpoints::{Checkpointing, RunSplit};
use super::eviction::EvictionTask;
use crate::binding::ResourceBinding;
use crate::member::DeviceMask;
use crate::policy::{PlacementId, ReplicaScheduling};

#[derive(Clone, Copy, Debug)]
pub(super) struct Pod {
    pub(super) cluster: ClusterId,
    pub(super) node: u32,
    pub(super) devices: DeviceMask,
    pub(super) request: PodRequest,
    /// The job's component it belongs to.
    pub(super) component: u8,
    pub(super) bound_at: SimTime,
    pub(super) released: bool,
    /// Work at reference speed this pod was placed to do (non-gang jobs), ms.
    pub(super) work_ms: u64,
    /// Kept by a graceful eviction task since then: no longer part of the job's run.
    pub(super) held_since: Option<SimTime>,
}

#[derive(Debug)]
pub(super) struct ActiveJob {
    pub(super) job: Job,
    pub(super) binding: ResourceBinding,
    pub(super) pods: Vec<Pod>,
    pub(super) n_finished: u64,
    /// Pods bound and not yet released.
    pub(super) n_live: u64,
    /// Pods ever bound.
    pub(super) n_bound: u64,
    pub(super) start: Option<SimTime>,
    pub(super) generation: u32,
    pub(super) n_attempts: u32,
    pub(super) last_failure: Option<String>,
    pub(super) unschedulable: bool,
    pub(super) gpu_milli_ms: u128,
    /// Every replica runs now (a gang job's clock is ticking).
    pub(super) running: bool,
    /// The placement changed since the last schedule (Karmada's `placementChanged`).
    pub(super) placement_changed: bool,
    /// What each member cluster runs after overrides: one entry per cluster and component.
    pub(super) manifests: Vec<Manifest>,
    /// Pods sent to members, and how many of them found no node at once.
    pub(super) n_pods_sent: u64,
    pub(super) n_pods_waited: u64,
    /// The namespace had room in its budget for the job when it arrived.
    pub(super) under_budget_at_submit: bool,
    /// The change count when the binding was last attempted on a current status.
    pub(super) attempted_at_change: Option<u64>,
    /// The change counter at a failure (FitError, quota refusal) a retry would repeat;
    /// cleared by any event for the binding.
    pub(super) refused_at_change: Option<u64>,
    /// Pods waiting in members: (cluster, when sent, how many).
    pub(super) waiting: Vec<(ClusterId, SimTime, u32)>,
    /// Σ over pods that waited in a member of how long they waited there.
    pub(super) member_wait_ms: u64,
    /// Evictions, restarts, lost and idle GPU time so far.
    pub(super) faults: FaultStats,
    /// Gang jobs: work at reference speed saved by checkpoints, ms.
    pub(super) progress_ms: u64,
    /// Gang jobs: the current run's start and its speed (milli of reference).
    pub(super) run_since: Option<(SimTime, u32)>,
    /// Gang jobs: idle time is charged up to here.
    pub(super) gang_mark: SimTime,
    /// Non-gang jobs: work left by replicas that stopped early, for the next ones placed.
    pub(super) resume: Vec<u64>,
    /// When the job lost replicas it has not all got back yet.
    pub(super) recovery_started: Option<SimTime>,
    /// Manifests of clusters the job was evicted from, kept by graceful eviction tasks.
    pub(super) held: Vec<Manifest>,
    /// Graceful eviction tasks.
    pub(super) tasks: Vec<EvictionTask>,
    /// Clusters where the job's replicas do not all run, and since when (application
    /// failover).
    pub(super) unhealthy: Vec<(ClusterId, SimTime)>,
    /// `status.lastScheduledTime`.
    pub(super) last_scheduled: Option<SimTime>,
    /// `spec.rescheduleTriggeredAt`, set by a WorkloadRebalancer.
    pub(super) reschedule_triggered: Option<SimTime>,
    /// Gang jobs: the current assembly (bumped when a timeout gives the pods back), and
    /// whether its timer is armed.
    pub(super) gang_attempt: u32,
    pub(super) gang_timer: bool,
}

/// The pods of one component of a job that a member cluster is asked to run, after overrides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Manifest {
    pub(super) cluster: ClusterId,
    /// Index into the job's components.
    pub(super) component: u8,
    pub(super) replicas: i64,
    /// Per pod.
    pub(super) request: PodRequest,
}

/// Why pods leave their nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Loss {
    /// Lost with a failed node or cluster: work since the last checkpoint is gone.
    Failure,
    /// Evicted for maintenance: the job checkpoints first, nothing is lost.
    Drain,
    /// Preempted by a higher-priority pod: work since the last checkpoint is gone.
    Preempted,
    /// A spot node revoked after `notice`: a job whose checkpoint fits in the notice saves
    /// everything, others lose the work since their last checkpoint.
    Revoked {
        /// The notice the node gave.
        notice: Duration,
    },
}

impl Pod {
    /// Bound and part of the job's current run (not kept by an eviction task).
    pub(super) fn in_run(&self) -> bool {
        !self.released && self.held_since.is_none()
    }
}

impl ActiveJob {
    /// A job just arrived with its binding, nothing placed yet.
    pub(super) fn new(
        job: Job,
        binding: ResourceBinding,
        under_budget_at_submit: bool,
        now: SimTime,
    ) -> ActiveJob {
        ActiveJob {
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
            refused_at_change: None,
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
        }
    }

    /// Whether Karmada manages the job's binding, told by its placement: under federation, a
    /// policy or the fallback placement selected the job. Without federation, and for a job
    /// the initial state runs in a member although no policy selects it, there is no binding
    /// and the job has the `unmanaged` placement: Karmada's queue, taint manager, failover,
    /// rebalancer and binding preemption leave it alone, and it stays in its cluster.
    pub(super) fn managed(&self, unmanaged: PlacementId) -> bool {
        self.binding.placement != unmanaged
    }

    pub(super) fn expected_pods(&self) -> u64 {
        self.manifests
            .iter()
            .map(|m| m.replicas.max(0) as u64)
            .sum()
    }

    /// Pods the job's manifests ask `cluster` to run, over all components.
    pub(super) fn wanted_in(&self, cluster: ClusterId) -> i64 {
        self.manifests
            .iter()
            .filter(|m| m.cluster == cluster)
            .map(|m| m.replicas)
            .sum()
    }

    /// Pods of the job's current run on `cluster` (of one component, if given).
    pub(super) fn running_in(&self, cluster: ClusterId, component: Option<u8>) -> i64 {
        self.pods
            .iter()
            .filter(|p| {
                p.cluster == cluster && p.in_run() && component.is_none_or(|c| p.component == c)
            })
            .count() as i64
    }

    /// Milli-GPU of the gang's live pods that are part of its current run (not kept by an
    /// eviction task).
    pub(super) fn gang_live_milli(&self) -> u64 {
        self.pods
            .iter()
            .filter(|p| p.in_run())
            .map(|p| p.request.gpu.total_milli())
            .sum()
    }

    /// Charges the time since the last mark as idle when a gang is not running; call before
    /// any change to its live pods or its running state.
    pub(super) fn gang_mark(&mut self, now: SimTime) {
        if self.job.gang && !self.running {
            let live = u128::from(self.gang_live_milli());
            self.faults.idle_gpu_milli_ms +=
                live * u128::from(now.since(self.gang_mark).as_millis());
        }
        self.gang_mark = now;
    }

    /// A running gang stops: the checkpointed part of the run is kept as progress (the
    /// checkpoints' writing idle), the rest is lost. Returns the lost milli-GPU × ms.
    pub(super) fn stop_gang(&mut self, now: SimTime, loss: Loss) -> u128 {
        self.gang_mark(now);
        if !self.running {
            return 0;
        }
        let (since, speed_milli) = self.run_since.take().expect("a running gang has a run");
        let elapsed = now.since(since).as_millis();
        let split = Checkpointing::of(&self.job).stop(elapsed, loss);
        let (used, idle, lost) = self.split_run(since, split, now);
        self.faults.used_gpu_milli_ms += used;
        self.faults.idle_gpu_milli_ms += idle;
        self.faults.lost_gpu_milli_ms += lost;
        self.progress_ms = (self.progress_ms + split.kept_ms * u64::from(speed_milli) / 1000)
            .min(self.job.runtime.as_millis());
        self.running = false;
        self.generation += 1;
        self.gang_mark = now;
        lost
    }

    /// Splits the GPU time of the gang's live pods in its run from `since` to `now` into
    /// used, idle (checkpoint writing) and lost, as `split` divides the run: the span it
    /// saves is used and idle, the rest lost. A pod that joined the run late counts from when
    /// it was bound, its saved span charged to writing first.
    pub(super) fn split_run(
        &self,
        since: SimTime,
        split: RunSplit,
        now: SimTime,
    ) -> (u128, u128, u128) {
        let saved_until = since.after(Duration(split.saved_span_ms()));
        let (mut used, mut idle, mut lost) = (0u128, 0u128, 0u128);
        for pod in self.pods.iter().filter(|p| p.in_run()) {
            let gpu = u128::from(pod.request.gpu.total_milli());
            let from = since.max(pod.bound_at);
            let kept = saved_until
                .min(now)
                .as_millis()
                .saturating_sub(from.as_millis());
            let total = now.since(from).as_millis();
            let writing = kept.min(split.writing_ms);
            used += gpu * u128::from(kept - writing);
            idle += gpu * u128::from(writing);
            lost += gpu * u128::from(total - kept);
        }
        (used, idle, lost)
    }

    /// A gang's run is over at `now` (finished, or cut by the end of the run or a failure
    /// for good): its running is used and its checkpoints' writing idle.
    pub(super) fn charge_whole_run(&mut self, since: SimTime, now: SimTime) {
        let (kept_ms, writing_ms) =
            Checkpointing::of(&self.job).phases(now.since(since).as_millis());
        let split = RunSplit {
            kept_ms,
            writing_ms,
            lost_ms: 0,
        };
        let (used, idle, _) = self.split_run(since, split, now);
        self.faults.used_gpu_milli_ms += used;
        self.faults.idle_gpu_milli_ms += idle;
    }

    /// A non-gang pod's run up to `now` is over (finished, or cut short without loss): its
    /// running is used and its checkpoints' writing idle.
    pub(super) fn charge_pod_run(&mut self, idx: usize, now: SimTime) {
        let pod = self.pods[idx];
        let gpu = u128::from(pod.request.gpu.total_milli());
        let (running, writing) =
            Checkpointing::of(&self.job).phases(now.since(pod.bound_at).as_millis());
        self.faults.used_gpu_milli_ms += gpu * u128::from(running);
        self.faults.idle_gpu_milli_ms += gpu * u128::from(writing);
    }

    /// A non-gang pod stops at `now` before finishing: its checkpointed work is kept and the
    /// rest of its work goes to the next replica placed. Returns the lost milli-GPU × ms.
    pub(super) fn stop_pod(
        &mut self,
        idx: usize,
        now: SimTime,
        loss: Loss,
        speed_milli: u32,
    ) -> u128 {
        let pod = self.pods[idx];
        let elapsed = now.since(pod.bound_at).as_millis();
        let split = Checkpointing::of(&self.job).stop(elapsed, loss);
        let gpu = u128::from(pod.request.gpu.total_milli());
        self.faults.used_gpu_milli_ms += gpu * u128::from(split.kept_ms);
        self.faults.idle_gpu_milli_ms += gpu * u128::from(split.writing_ms);
        let lost = gpu * u128::from(split.lost_ms);
        self.faults.lost_gpu_milli_ms += lost;
        let done = split.kept_ms * u64::from(speed_milli) / 1000;
        self.resume.push(pod.work_ms.saturating_sub(done).max(1));
        lost
    }
}

pub(super) fn job_record(active: &ActiveJob, state: JobState, end: Option<SimTime>) -> JobRecord {
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

/// Whether every replica of the job's binding is assigned to a cluster (always, for
/// Duplicated): a Divided binding evicted from a cluster runs short until it is rescheduled.
pub(super) fn fully_assigned(policies: &PolicySet, active: &ActiveJob) -> bool {
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

/// Run time on a device `speed_milli`/1000 times the reference speed, rounded up to a whole ms.
pub(super) fn scaled_runtime(runtime: Duration, speed_milli: u32) -> Duration {
    let speed = u64::from(speed_milli.max(1));
    Duration(runtime.as_millis().saturating_mul(1000).div_ceil(speed))
}
