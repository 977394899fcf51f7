//! The over-budget report: each namespace's GPU use against its budget and the quota it was
//! granted, integrated exactly over the run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sim_core::record::NamespaceRecord;

use crate::metrics::micro_gpu_hours;
use crate::names::Names;
use crate::summary::round6;

/// One namespace's budget figures in `summary.json`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct NamespaceBudget {
    /// GPUs the team is meant to use in total, if set.
    pub budget_gpus: Option<i64>,
    /// GPUs its quotas grant in total (sum over member quotas, or the federated overall limit).
    pub quota_granted_gpus: Option<i64>,
    /// GPU-hours its pods held.
    pub gpu_hours_used: f64,
    /// ∫ max(0, use − budget) dt: use above budget, which duplicated quota allows.
    pub over_budget_gpu_hours: f64,
    /// The largest excess of use over budget, in GPUs.
    pub peak_over_budget_gpus: f64,
    /// ∫ max(0, granted − use) dt: quota granted but not used.
    pub reserved_idle_gpu_hours: f64,
    /// Jobs that waited although the namespace had room in its budget when they arrived.
    pub jobs_waited_under_budget: u64,
}

#[derive(Clone, Copy, Default)]
struct Track {
    since: u64,
    in_use_milli: u64,
    budget_milli: Option<u64>,
    granted_milli: Option<u64>,
    used: u128,
    over: u128,
    idle: u128,
    peak_over_milli: u64,
    seen: bool,
}

impl Track {
    fn advance(&mut self, time: u64) {
        let dt = u128::from(time.saturating_sub(self.since));
        self.used += dt * u128::from(self.in_use_milli);
        if let Some(budget) = self.budget_milli {
            self.over += dt * u128::from(self.in_use_milli.saturating_sub(budget));
        }
        if let Some(granted) = self.granted_milli {
            self.idle += dt * u128::from(granted.saturating_sub(self.in_use_milli));
        }
        self.since = self.since.max(time);
    }
}

/// Accumulates the namespace records.
pub(crate) struct Budgets {
    tracks: Vec<Track>,
    waited_under_budget: Vec<u64>,
}

impl Budgets {
    pub fn new(names: &Names) -> Budgets {
        Budgets {
            tracks: vec![Track::default(); names.namespaces.len()],
            waited_under_budget: vec![0; names.namespaces.len()],
        }
    }

    pub fn record(&mut self, record: &NamespaceRecord) {
        let track = &mut self.tracks[record.namespace.0 as usize];
        track.advance(record.time.as_millis());
        let to_milli = |gpus: Option<i64>| gpus.map(|g| g.max(0) as u64 * 1000);
        track.in_use_milli = record.gpus_in_use_milli;
        track.budget_milli = to_milli(record.budget_gpus);
        track.granted_milli = to_milli(record.quota_granted_gpus);
        track.seen = true;
        if let Some(budget) = track.budget_milli {
            track.peak_over_milli = track
                .peak_over_milli
                .max(record.gpus_in_use_milli.saturating_sub(budget));
        }
    }

    pub fn job_waited_under_budget(&mut self, namespace: usize) {
        self.waited_under_budget[namespace] += 1;
    }

    pub fn summarize(&self, end: u64, names: &Names) -> BTreeMap<String, NamespaceBudget> {
        let hours = |milli_ms: u128| micro_gpu_hours(milli_ms) as f64 / 1e6;
        self.tracks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.seen)
            .map(|(idx, track)| {
                let mut t = *track;
                t.advance(end);
                let to_gpus = |milli: Option<u64>| milli.map(|m| (m / 1000) as i64);
                (
                    names.namespaces[idx].clone(),
                    NamespaceBudget {
                        budget_gpus: to_gpus(t.budget_milli),
                        quota_granted_gpus: to_gpus(t.granted_milli),
                        gpu_hours_used: hours(t.used),
                        over_budget_gpu_hours: hours(t.over),
                        peak_over_budget_gpus: round6(t.peak_over_milli as f64 / 1000.0),
                        reserved_idle_gpu_hours: hours(t.idle),
                        jobs_waited_under_budget: self.waited_under_budget[idx],
                    },
                )
            })
            .collect()
    }
}
