//! The control plane's own events, which the engine queues and hands back to it.

use sim_core::SimTime;
use sim_core::model::{ClusterId, JobId};

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
    /// Waiting jobs may have seen no progress for [`QUIESCENCE`]: a run without a horizon
    /// checks whether it is over at this moment, whatever else is queued.
    Quiesce,
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
    /// A job fails (a fault of one of its GPUs, not of a node) and restarts from its last
    /// checkpoint.
    JobFailure {
        /// The job.
        job: JobId,
        /// Ignored unless it matches the job's current generation (the run it was drawn for).
        generation: u32,
    },
    /// A spot pool's next revocation: a node is cordoned and its notice begins.
    SpotNotice {
        /// Index of the pool's revocation rule.
        rule: u32,
    },
    /// A revoked spot node's notice is over: it goes down.
    SpotDown {
        /// Index of the revocation rule.
        rule: u32,
        /// The node.
        node: u32,
    },
    /// A revoked spot node comes back.
    SpotBack {
        /// Index of the revocation rule.
        rule: u32,
        /// The node.
        node: u32,
    },
    /// A node that became empty has been idle for `power_down.after`, unless a pod came.
    IdleCheck {
        /// The cluster.
        cluster: ClusterId,
        /// The node.
        node: u32,
        /// The node's generation when it became empty; a later one makes this stale.
        generation: u32,
    },
    /// A woken node is awake.
    Awake {
        /// The cluster.
        cluster: ClusterId,
        /// The node.
        node: u32,
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
