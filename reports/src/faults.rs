//! What faults and preemptions cost, overall and per namespace: the `faults` section of
//! `summary.json`.
//!
//! Evictions, restarts and lost work come from the jobs' own tallies
//! ([`sim_core::record::FaultStats`]); preemptions from the event records, because only they
//! tell a member cluster's preemption from the control plane's; recovery times from the
//! `recovered` events.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sim_core::record::{EventKind, EventRecord, JobRecord, JobState, Preemptor};

use crate::metrics::micro_gpu_hours;
use crate::names::Names;
use crate::quantiles::Quantiles;
use crate::summary::round6;

/// The `faults` section: totals, and the same per namespace.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct Faults {
    /// Over the whole run.
    #[serde(flatten)]
    pub total: FaultCosts,
    /// Per namespace that had a job or an event.
    pub per_namespace: BTreeMap<String, FaultCosts>,
}

/// Fault and preemption counts and what they cost.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct FaultCosts {
    /// Times Karmada evicted a job's replicas from a cluster.
    pub evictions: u64,
    /// Preemptions, by who preempted.
    pub preemptions: Preemptions,
    /// Times a job stopped and resumed from its last checkpoint.
    pub restarts: u64,
    /// GPU-hours of work thrown away by restarts (run since the last checkpoint).
    pub lost_gpu_hours: f64,
    /// Time from a fault to every replica of the job running again, over `recovered` events.
    pub recovery_s: RecoveryTimes,
    /// Jobs that failed for good.
    pub jobs_failed: u64,
}

/// Preemption events by who preempted.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Preemptions {
    /// A member cluster's scheduler made room for a higher-priority pod.
    pub member: u64,
    /// The control plane displaced a lower-priority binding.
    pub control_plane: u64,
}

/// Count, mean, nearest-rank percentiles and maximum of recovery times, in seconds.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Default)]
pub struct RecoveryTimes {
    /// Recoveries.
    pub count: u64,
    /// Mean; 0 without recoveries.
    pub mean: f64,
    /// Median (nearest rank).
    pub p50: f64,
    /// 95th percentile (nearest rank).
    pub p95: f64,
    /// Longest.
    pub max: f64,
}

impl RecoveryTimes {
    fn of(values: &mut Quantiles) -> RecoveryTimes {
        if values.count() == 0 {
            return RecoveryTimes::default();
        }
        let secs = |ms: u64| round6(ms as f64 / 1000.0);
        RecoveryTimes {
            count: values.count(),
            mean: round6(values.mean_ms() / 1000.0),
            p50: secs(values.percentile_ms(50)),
            p95: secs(values.percentile_ms(95)),
            max: secs(values.max_ms()),
        }
    }
}

/// Integer tallies of one namespace (or the total) while records stream past.
#[derive(Clone, Default)]
struct Tally {
    seen: bool,
    evictions: u64,
    member_preemptions: u64,
    control_plane_preemptions: u64,
    restarts: u64,
    lost_gpu_milli_ms: u128,
    recovery_ms: Quantiles,
    jobs_failed: u64,
}

impl Tally {
    fn job(&mut self, job: &JobRecord) {
        self.seen = true;
        self.evictions += u64::from(job.faults.n_evictions);
        self.restarts += u64::from(job.faults.n_restarts);
        self.lost_gpu_milli_ms += job.faults.lost_gpu_milli_ms;
        self.jobs_failed += u64::from(job.state == JobState::Failed);
    }

    fn event(&mut self, event: &EventRecord) {
        self.seen = true;
        match event.kind {
            EventKind::Preemption(Preemptor::Cluster) => self.member_preemptions += 1,
            EventKind::Preemption(Preemptor::Federation) => self.control_plane_preemptions += 1,
            EventKind::Recovered => {
                if let Some(ms) = event.recovery_ms {
                    self.recovery_ms.push(ms);
                }
            }
            _ => {}
        }
    }

    fn summarize(&mut self) -> FaultCosts {
        FaultCosts {
            evictions: self.evictions,
            preemptions: Preemptions {
                member: self.member_preemptions,
                control_plane: self.control_plane_preemptions,
            },
            restarts: self.restarts,
            lost_gpu_hours: micro_gpu_hours(self.lost_gpu_milli_ms) as f64 / 1e6,
            recovery_s: RecoveryTimes::of(&mut self.recovery_ms),
            jobs_failed: self.jobs_failed,
        }
    }
}

/// Accumulates the fault costs of a run.
pub(crate) struct FaultTracker {
    total: Tally,
    per_namespace: Vec<Tally>,
}

impl FaultTracker {
    pub fn new(names: &Names) -> FaultTracker {
        FaultTracker {
            total: Tally::default(),
            per_namespace: vec![Tally::default(); names.namespaces.len()],
        }
    }

    pub fn job(&mut self, job: &JobRecord) {
        self.total.job(job);
        self.per_namespace[job.namespace.0 as usize].job(job);
    }

    pub fn event(&mut self, event: &EventRecord) {
        self.total.event(event);
        if let Some(namespace) = event.namespace {
            self.per_namespace[namespace.0 as usize].event(event);
        }
    }

    pub fn summarize(mut self, names: &Names) -> Faults {
        Faults {
            total: self.total.summarize(),
            per_namespace: self
                .per_namespace
                .iter_mut()
                .enumerate()
                .filter(|(_, tally)| tally.seen)
                .map(|(idx, tally)| (names.namespaces[idx].clone(), tally.summarize()))
                .collect(),
        }
    }
}
