//! Records: the change log a run emits, and the sink trait that consumes it.
//!
//! Records are streamed: the control plane hands each one to a [`RecordSink`] as it happens and
//! keeps nothing, so memory does not grow with the length of a run. Metrics are computed from
//! records (piecewise-constant allocation integrated exactly), never by sampling.

use crate::model::{ClusterId, GpuModelId, JobId, NamespaceId, PriorityClassId};
use crate::time::SimTime;

/// One entry of the change log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// The allocated or total GPUs of one (cluster, GPU model) changed.
    Allocation(AllocationRecord),
    /// A job reached its final state, or the run ended while it was still going.
    Job(JobRecord),
    /// A namespace's GPU use changed (emitted for namespaces with a budget or a quota).
    Namespace(NamespaceRecord),
    /// A fault, an eviction, a preemption, a restart or a recovery.
    Event(EventRecord),
    /// A job joined the jobs waiting to start (on arrival) or left them (its first start).
    Queue(QueueRecord),
    /// The number of nodes up or powered in one node pool changed (a fault began or ended, a
    /// node powered down or woke).
    Pool(PoolRecord),
}

/// How many nodes of one node pool are up from `time` on. Emitted when a fault takes nodes
/// down or brings them back, before the allocation records of the same change, so what a
/// pool costs and draws follows its nodes, pools without GPUs included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolRecord {
    /// When the new count takes effect.
    pub time: SimTime,
    /// The cluster.
    pub cluster: ClusterId,
    /// The pool's index among the cluster's pools.
    pub pool: u32,
    /// Nodes of the pool that are up (neither failed, drained nor in an outage): what
    /// pricing pays for.
    pub up_nodes: u32,
    /// Nodes of the pool that are up and not powered down (at most `up_nodes`): what draws
    /// power. Equal to `up_nodes` unless the cluster's idle nodes power down.
    pub powered_nodes: u32,
}

/// A job was submitted (`started` false) or started for the first time (`started` true): the
/// set of waiting jobs, over time, without keeping a row per job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueRecord {
    /// When.
    pub time: SimTime,
    /// The job's priority class.
    pub priority_class: Option<PriorityClassId>,
    /// Whether the job started (it leaves the waiting jobs) rather than arrived.
    pub started: bool,
}

/// What an [`EventRecord`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    /// A cluster's nodes went down (a scheduled or correlated outage).
    ClusterDown,
    /// A cluster's nodes came back.
    ClusterUp,
    /// The control plane marked a cluster not ready (after the status grace period).
    ClusterNotReady,
    /// The control plane marked a cluster ready again.
    ClusterReady,
    /// A node went down (scheduled outage or random failure).
    NodeDown,
    /// A node came back (repaired).
    NodeUp,
    /// A node was cordoned and its pods evicted for maintenance.
    DrainStart,
    /// A drained node returned to service.
    DrainEnd,
    /// Pods were lost with their node or cluster.
    PodsLost,
    /// A binding's replicas were evicted from a cluster by Karmada (taint, application
    /// failover, descheduler).
    Eviction,
    /// Pods were preempted for higher-priority work; which scheduler chose them is data.
    Preemption(Preemptor),
    /// A job stopped and will resume from its last checkpoint.
    Restart,
    /// A job that lost replicas has all of them running again.
    Recovered,
    /// A partly placed gang gave back what it held after its timeout.
    GangTimeout,
    /// A job failed for good.
    JobFailed,
    /// A job was asked to be placed afresh, or the request found no job.
    Reschedule(RescheduleReason),
    /// An idle node powered down (`clusters[].power_down`).
    PowerDown,
    /// An asleep node was woken for waiting pods; it takes pods once awake.
    PowerUp,
}

/// The scheduler that chose the victims of a preemption.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Preemptor {
    /// A cluster's own scheduler, for a higher-priority pod: pods on one node.
    Cluster,
    /// The multi-cluster scheduler, for a higher-priority job: a job's replicas in a cluster.
    Federation,
}

/// What asked for a job to be placed afresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RescheduleReason {
    /// An operator's rebalance request naming the job's workload.
    Rebalance,
}

impl EventKind {
    /// The spelling used in tables.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ClusterDown => "cluster_down",
            EventKind::ClusterUp => "cluster_up",
            EventKind::ClusterNotReady => "cluster_not_ready",
            EventKind::ClusterReady => "cluster_ready",
            EventKind::NodeDown => "node_down",
            EventKind::NodeUp => "node_up",
            EventKind::PowerDown => "power_down",
            EventKind::PowerUp => "power_up",
            EventKind::DrainStart => "drain_start",
            EventKind::DrainEnd => "drain_end",
            EventKind::PodsLost => "pods_lost",
            EventKind::Eviction => "eviction",
            EventKind::Preemption(Preemptor::Cluster) => "preemption",
            // The federation layer preempts whole placements ("bindings" in Karmada).
            EventKind::Preemption(Preemptor::Federation) => "binding_preemption",
            EventKind::Restart => "restart",
            EventKind::Recovered => "recovered",
            EventKind::GangTimeout => "gang_timeout",
            EventKind::JobFailed => "job_failed",
            EventKind::Reschedule(RescheduleReason::Rebalance) => "rebalance",
        }
    }
}

/// Something that happened to a cluster, a node or a job, beyond allocation changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    /// When.
    pub time: SimTime,
    /// What.
    pub kind: EventKind,
    /// The cluster concerned, if any.
    pub cluster: Option<ClusterId>,
    /// The node (index within its cluster), for node events.
    pub node: Option<u32>,
    /// The job concerned, if any.
    pub job: Option<JobId>,
    /// The job's namespace, if a job is concerned.
    pub namespace: Option<NamespaceId>,
    /// Pods affected (lost, evicted, preempted).
    pub pods: u32,
    /// Milli-GPU the affected pods held.
    pub gpu_milli: u64,
    /// Work thrown away: milli-GPU × ms run since the last checkpoint.
    pub lost_gpu_milli_ms: u128,
    /// For `Recovered`: ms from the fault to every replica running again.
    pub recovery_ms: Option<u64>,
    /// Why, in Karmada's or Kubernetes' words where they have some.
    pub reason: String,
}

impl EventRecord {
    /// An event of `kind` at `time` about nothing in particular yet; callers fill in what
    /// it concerns.
    pub fn new(time: SimTime, kind: EventKind) -> EventRecord {
        EventRecord {
            time,
            kind,
            cluster: None,
            node: None,
            job: None,
            namespace: None,
            pods: 0,
            gpu_milli: 0,
            lost_gpu_milli_ms: 0,
            recovery_ms: None,
            reason: String::new(),
        }
    }
}

/// What faults and preemptions cost one job.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultStats {
    /// Times Karmada evicted the job's replicas from a cluster.
    pub n_evictions: u32,
    /// Times the job's pods were preempted (member or control plane).
    pub n_preemptions: u32,
    /// Times the job stopped and resumed from its last checkpoint.
    pub n_restarts: u32,
    /// Work thrown away: milli-GPU × ms run since the last checkpoint, over all restarts.
    pub lost_gpu_milli_ms: u128,
    /// Σ over recoveries of ms from the fault to every replica running again.
    pub recovery_ms: u64,
    /// Recoveries counted in `recovery_ms`.
    pub n_recoveries: u32,
    /// GPU time whose work was kept: run to completion or saved by a checkpoint
    /// (milli-GPU × ms).
    pub used_gpu_milli_ms: u128,
    /// GPU time held without progress: a gang waiting for its last replicas, replicas kept
    /// by a graceful eviction (milli-GPU × ms). Held = used + lost + idle.
    pub idle_gpu_milli_ms: u128,
}

/// A namespace's GPU use against its budget and quota from `time` on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NamespaceRecord {
    /// When the new values take effect.
    pub time: SimTime,
    /// The namespace.
    pub namespace: NamespaceId,
    /// Milli-GPU held by the namespace's pods over all clusters.
    pub gpus_in_use_milli: u64,
    /// GPUs the team is meant to use in total, if a budget is set.
    pub budget_gpus: Option<i64>,
    /// GPUs its quotas grant in total: the sum over member ResourceQuotas, or the overall limit
    /// of its FederatedResourceQuota.
    pub quota_granted_gpus: Option<i64>,
}

/// GPU allocation of one (cluster, GPU model) from `time` on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllocationRecord {
    /// When the new values take effect.
    pub time: SimTime,
    /// The cluster.
    pub cluster: ClusterId,
    /// The GPU model.
    pub gpu_model: GpuModelId,
    /// Milli-GPU held by pods.
    pub allocated_milli: u64,
    /// Milli-GPU on nodes that are up.
    pub capacity_milli: u64,
    /// Free milli-GPU the cluster's target workload could not use (the FGD paper's
    /// fragmentation), rounded per node; 0 when no target is set.
    pub fragment_milli: u64,
}

/// Where a job ended up when the run stopped. Every submitted job has exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum JobState {
    /// Ran to completion.
    Completed,
    /// Running when the run ended.
    Running,
    /// Waiting (in the control plane's queue or as pending pods) when the run ended.
    Queued,
    /// Waiting, and the last scheduling attempt found no cluster able to take it.
    Unschedulable,
    /// No propagation policy selected it, so it was never scheduled.
    Unmatched,
    /// Failed for good (e.g. more restarts than its limit allows).
    Failed,
}

impl JobState {
    /// The spelling used in tables.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Completed => "completed",
            JobState::Running => "running",
            JobState::Queued => "queued",
            JobState::Unschedulable => "unschedulable",
            JobState::Unmatched => "unmatched",
            JobState::Failed => "failed",
        }
    }
}

/// The outcome of one job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRecord {
    /// Identity.
    pub id: JobId,
    /// Name.
    pub name: String,
    /// Namespace.
    pub namespace: NamespaceId,
    /// Priority class, if any.
    pub priority_class: Option<PriorityClassId>,
    /// Submission time.
    pub submit: SimTime,
    /// When every replica was first running at once, if that happened.
    pub start: Option<SimTime>,
    /// When the job completed, if it did.
    pub end: Option<SimTime>,
    /// Final state.
    pub state: JobState,
    /// Replicas over all components.
    pub n_replicas: u64,
    /// GPU devices over all replicas.
    pub n_gpus: u64,
    /// Milli-GPU times milliseconds that the job's pods held on nodes.
    pub gpu_milli_ms: u128,
    /// Replicas per cluster in the job's last assignment, in cluster order.
    pub clusters: Vec<(ClusterId, u32)>,
    /// Control-plane scheduling attempts.
    pub n_attempts: u32,
    /// Why the last attempt failed, if it did.
    pub last_failure: Option<String>,
    /// Pods the control plane sent to member clusters.
    pub n_pods_sent: u64,
    /// Of those, pods no node could take when they arrived (they waited in the member).
    pub n_pods_waited: u64,
    /// How long those pods waited in members before a node took them, summed, in ms.
    pub member_wait_ms: u64,
    /// The job waited although its namespace was under budget when it arrived (quota in the
    /// wrong cluster, say).
    pub waited_under_budget: bool,
    /// What faults and preemptions cost it.
    pub faults: FaultStats,
}

/// Consumes records as they are produced.
pub trait RecordSink {
    /// Takes one record.
    fn record(&mut self, record: Record);
}

/// A sink that keeps every record in memory; for tests and small runs.
#[derive(Clone, Debug, Default)]
pub struct VecSink {
    /// Records in emission order.
    pub records: Vec<Record>,
}

impl RecordSink for VecSink {
    fn record(&mut self, record: Record) {
        self.records.push(record);
    }
}

impl VecSink {
    /// The job records, in emission order.
    pub fn jobs(&self) -> impl Iterator<Item = &JobRecord> {
        self.records.iter().filter_map(|record| match record {
            Record::Job(job) => Some(job),
            _ => None,
        })
    }

    /// The allocation records, in emission order.
    pub fn allocations(&self) -> impl Iterator<Item = &AllocationRecord> {
        self.records.iter().filter_map(|record| match record {
            Record::Allocation(allocation) => Some(allocation),
            _ => None,
        })
    }

    /// The event records, in emission order.
    pub fn events(&self) -> impl Iterator<Item = &EventRecord> {
        self.records.iter().filter_map(|record| match record {
            Record::Event(event) => Some(event),
            _ => None,
        })
    }

    /// The namespace records, in emission order.
    pub fn namespaces(&self) -> impl Iterator<Item = &NamespaceRecord> {
        self.records.iter().filter_map(|record| match record {
            Record::Namespace(namespace) => Some(namespace),
            _ => None,
        })
    }
}
