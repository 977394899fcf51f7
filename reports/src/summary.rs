//! The summary of a run, as written to `summary.json`.
//!
//! Every float is rounded to 6 decimals when it is computed, so the JSON text is stable and a
//! summary read back from the file compares equal to the one that was written.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sim_core::SimTime;

use crate::quantiles::Quantiles;

/// What the records cannot tell: which run this was and when it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunMeta {
    /// Scenario name.
    pub scenario: String,
    /// Seed of the run's random streams.
    pub seed: u64,
    /// fleetsim version that produced the run.
    pub version: String,
    /// The horizon the run was given, if any.
    pub horizon: Option<SimTime>,
    /// Simulated end time.
    pub end: SimTime,
}

/// The headline numbers of a run.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Seed of the run.
    pub seed: u64,
    /// fleetsim version that produced the run.
    pub fleetsim_version: String,
    /// The horizon in seconds; `None` when the run went until nothing was left.
    pub horizon_s: Option<f64>,
    /// Simulated end time in seconds.
    pub end_s: f64,
    /// Time-weighted GPU utilization over the whole run.
    pub gpu_utilization: Utilization,
    /// Jobs by final state.
    pub jobs: JobCounts,
    /// Waiting time (start − submit) of the jobs that started, in seconds.
    pub waiting_s: Distribution,
    /// [`Summary::waiting_s`] per priority class name, `(none)` for jobs without one. Every class
    /// a submitted job used is present, so a class whose jobs never started shows count 0.
    pub waiting_s_per_priority_class: BTreeMap<String, Distribution>,
    /// Job completion time (end − submit) of completed jobs, in seconds.
    pub jct_s: Distribution,
    /// GPU time held by jobs.
    pub gpu_hours: GpuHours,
    /// How well the estimators' promises held in the member clusters.
    pub member_pods: MemberPods,
    /// Per namespace with a budget or a quota: use against budget and quota.
    pub namespaces: BTreeMap<String, crate::budget::NamespaceBudget>,
    /// Per group of clusters (the value of the scenario's `balance_by` cluster label, or `all`):
    /// how evenly its clusters are used.
    #[serde(default)]
    pub balance: BTreeMap<String, crate::balance::Balance>,
    /// Evictions, preemptions, restarts, lost work and recovery times, overall and per
    /// namespace.
    #[serde(default)]
    pub faults: crate::faults::Faults,
    /// Per namespace, every one: its jobs, the GPU time they held, how long they waited and
    /// took to complete.
    #[serde(default)]
    pub teams: BTreeMap<String, Team>,
    /// What the fleet cost; absent when the scenario prices nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<crate::economics::Cost>,
    /// What the fleet drew and emitted; absent when the scenario gives no power figure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy: Option<crate::economics::EnergyUse>,
}

/// One namespace's jobs and what they got.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct Team {
    /// Its jobs by final state.
    pub jobs: JobCounts,
    /// GPU-hours its pods held.
    pub gpu_hours: f64,
    /// Goodput: the share of that GPU time whose work was kept (not lost to a failure or a
    /// preemption, not held without progress); null without GPU time.
    #[serde(default)]
    pub goodput: Option<f64>,
    /// Waiting (start − submit) of its jobs that started, in seconds.
    pub waiting_s: Distribution,
    /// Completion time (end − submit) of its completed jobs, in seconds.
    pub jct_s: Distribution,
}

/// Pods the control plane sent to member clusters, and those no node could take on arrival
/// (they waited in the member: an estimator promised room that was not there).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Default)]
pub struct MemberPods {
    /// Pods sent.
    pub sent: u64,
    /// Pods that waited in the member cluster on arrival.
    pub waited: u64,
    /// `waited / sent` (0 when nothing was sent).
    pub waited_share: f64,
    /// Seconds those pods waited in members before a node took them, summed: the extra
    /// waiting the estimators' promises caused.
    pub extra_wait_s: f64,
}

/// Allocated GPU time over capacity GPU time, each integrated over the run.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Utilization {
    /// The whole fleet, of the capacity that was up (down nodes and clusters left out).
    pub overall: f64,
    /// The whole fleet, of the capacity installed: a lost data centre counts as idle.
    #[serde(default)]
    pub of_installed: f64,
    /// Per cluster name; 0 for a cluster without capacity.
    pub per_cluster: BTreeMap<String, f64>,
    /// Per GPU model name; 0 for a model without capacity.
    pub per_gpu_model: BTreeMap<String, f64>,
}

/// Jobs by the state their record reports.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    /// Every job with a record.
    pub submitted: u64,
    /// Ran to completion.
    pub completed: u64,
    /// Still running at the end.
    pub running: u64,
    /// Still waiting at the end.
    pub queued: u64,
    /// Still waiting at the end, and no cluster could take it at the last attempt.
    pub unschedulable: u64,
    /// Jobs no propagation policy selected.
    pub unmatched: u64,
    /// Jobs that failed for good.
    #[serde(default)]
    pub failed: u64,
}

/// Count, mean and nearest-rank percentiles of a set of durations, in seconds.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, Default, PartialEq)]
pub struct Distribution {
    /// Number of values.
    pub count: u64,
    /// Arithmetic mean; 0 when there are no values.
    pub mean: f64,
    /// Median (nearest rank).
    pub p50: f64,
    /// 95th percentile (nearest rank).
    pub p95: f64,
    /// 99th percentile (nearest rank).
    pub p99: f64,
}

/// GPU time in GPU-hours.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
pub struct GpuHours {
    /// GPU time the jobs' pods held on nodes.
    pub allocated: f64,
    /// GPU time the fleet's installed GPUs offer over the run.
    #[serde(default)]
    pub installed: f64,
    /// GPU time of the GPUs that were up (installed minus down).
    #[serde(default)]
    pub available: f64,
    /// GPU time lost to down nodes and clusters (installed minus available).
    #[serde(default)]
    pub down: f64,
}

impl Distribution {
    /// The distribution of durations gathered in `values`.
    pub(crate) fn of(values: &mut Quantiles) -> Distribution {
        if values.count() == 0 {
            return Distribution::default();
        }
        let secs = |ms: u64| round6(ms as f64 / 1000.0);
        Distribution {
            count: values.count(),
            mean: round6(values.mean_ms() / 1000.0),
            p50: secs(values.percentile_ms(50)),
            p95: secs(values.percentile_ms(95)),
            p99: secs(values.percentile_ms(99)),
        }
    }
}

/// The value at 1-based rank ⌈p/100 · n⌉ of non-empty `sorted`.
///
/// Integer arithmetic, because in floats 0.95 · 100 is a hair above 95 and its ceiling would
/// skip a rank.
pub fn nearest_rank(sorted: &[u64], percent: u64) -> u64 {
    let n = sorted.len() as u64;
    let rank = (percent * n).div_ceil(100).max(1);
    sorted[(rank - 1) as usize]
}

/// `value` rounded to 6 decimals, so printed summaries do not change with float noise.
pub(crate) fn round6(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_picks_the_value_at_the_ceiling_rank() {
        let sorted = [10, 20, 30, 40];
        assert_eq!(nearest_rank(&sorted, 50), 20);
        assert_eq!(nearest_rank(&sorted, 95), 40);
        assert_eq!(nearest_rank(&sorted, 99), 40);
        // 100 values: p95 is exactly rank 95, not 96.
        let hundred: Vec<u64> = (1..=100).collect();
        assert_eq!(nearest_rank(&hundred, 95), 95);
        assert_eq!(nearest_rank(&hundred, 50), 50);
        assert_eq!(nearest_rank(&[7], 1), 7);
    }

    fn gathered(values: &[u64]) -> Quantiles {
        let mut q = Quantiles::default();
        values.iter().for_each(|&v| q.push(v));
        q
    }

    #[test]
    fn distribution_of_millis_is_in_seconds() {
        let dist = Distribution::of(&mut gathered(&[40_000, 10_000, 30_000, 20_000]));
        assert_eq!(
            dist,
            Distribution {
                count: 4,
                mean: 25.0,
                p50: 20.0,
                p95: 40.0,
                p99: 40.0,
            }
        );
    }

    #[test]
    fn empty_distribution_is_all_zeros() {
        assert_eq!(
            Distribution::of(&mut gathered(&[])),
            Distribution::default()
        );
    }

    #[test]
    fn mean_is_rounded_to_six_decimals() {
        // (1 + 1 + 2) ms / 3 = 1.333… ms = 0.001333… s.
        let dist = Distribution::of(&mut gathered(&[1, 1, 2]));
        assert_eq!(dist.mean, 0.001333);
    }
}
