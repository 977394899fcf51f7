//! Balance across clusters, the third problem platform teams fight: within each group of
//! clusters (a tier), how far apart the clusters' GPU utilizations are over time.
//!
//! Utilization is piecewise constant between allocation records, so the time averages are
//! integrals over exact intervals; only clusters with capacity at a moment take part in it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sim_core::model::World;

use crate::summary::round6;

/// A group's balance over the run.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct Balance {
    /// The group's clusters.
    pub clusters: Vec<String>,
    /// Time-weighted mean of (highest − lowest) cluster GPU utilization, a fraction.
    pub spread: f64,
    /// Time-weighted mean of the coefficient of variation (population standard deviation /
    /// mean) of cluster GPU utilization; 0 while the mean is 0.
    pub cv: f64,
}

/// Groups of clusters and the integrals of their imbalance, kept as records stream past.
pub(crate) struct BalanceTracker {
    /// Group name → cluster indexes, in name order.
    groups: Vec<(String, Vec<usize>)>,
    allocated: Vec<u64>,
    capacity: Vec<u64>,
    since: u64,
    /// Per group: ∫ spread dt and ∫ cv dt, in fraction × ms.
    integrals: Vec<(f64, f64)>,
}

impl BalanceTracker {
    /// Groups by the value of cluster label `label` (clusters without it form the group
    /// `(none)`); without a label, one group `all`.
    pub fn new(world: &World, label: Option<&str>) -> BalanceTracker {
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (idx, cluster) in world.fleet.clusters.iter().enumerate() {
            let group = match label {
                None => "all".to_owned(),
                Some(key) => cluster
                    .labels
                    .get(key)
                    .cloned()
                    .unwrap_or_else(|| "(none)".to_owned()),
            };
            groups.entry(group).or_default().push(idx);
        }
        let n = world.fleet.clusters.len();
        BalanceTracker {
            integrals: vec![(0.0, 0.0); groups.len()],
            groups: groups.into_iter().collect(),
            allocated: vec![0; n],
            capacity: vec![0; n],
            since: 0,
        }
    }

    /// Integrates the current state up to `time`.
    fn advance(&mut self, time: u64) {
        if time <= self.since {
            return;
        }
        let dt = (time - self.since) as f64;
        for ((_, members), integral) in self.groups.iter().zip(&mut self.integrals) {
            let utils: Vec<f64> = members
                .iter()
                .filter(|&&c| self.capacity[c] > 0)
                .map(|&c| self.allocated[c] as f64 / self.capacity[c] as f64)
                .collect();
            if utils.len() < 2 {
                continue;
            }
            let max = utils.iter().copied().fold(f64::MIN, f64::max);
            let min = utils.iter().copied().fold(f64::MAX, f64::min);
            let mean = utils.iter().sum::<f64>() / utils.len() as f64;
            let cv = if mean > 0.0 {
                let var =
                    utils.iter().map(|u| (u - mean).powi(2)).sum::<f64>() / utils.len() as f64;
                var.sqrt() / mean
            } else {
                0.0
            };
            integral.0 += (max - min) * dt;
            integral.1 += cv * dt;
        }
        self.since = time;
    }

    /// A cluster's allocation or capacity changed by the given amounts at `time`.
    pub fn change(&mut self, time: u64, cluster: usize, allocated: i128, capacity: i128) {
        self.advance(time);
        self.allocated[cluster] = (i128::from(self.allocated[cluster]) + allocated) as u64;
        self.capacity[cluster] = (i128::from(self.capacity[cluster]) + capacity) as u64;
    }

    /// Time averages over [0, end], per group.
    pub fn summarize(mut self, end: u64, cluster_names: &[String]) -> BTreeMap<String, Balance> {
        self.advance(end);
        self.groups
            .iter()
            .zip(&self.integrals)
            .map(|((name, members), (spread, cv))| {
                let span = end.max(1) as f64;
                (
                    name.clone(),
                    Balance {
                        clusters: members.iter().map(|&c| cluster_names[c].clone()).collect(),
                        spread: round6(spread / span),
                        cv: round6(cv / span),
                    },
                )
            })
            .collect()
    }
}
