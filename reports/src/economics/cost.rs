//! What the fleet costs: every pool's nodes at its price, paid for the whole run when
//! reserved and while up otherwise, and how that splits into GPU time held, idle capacity,
//! reserved capacity that was down and nodes without GPUs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sim_core::model::{Costs, GpuModelId, PoolPrice, Pricing};

use super::{FleetState, HeldTime, held_shares};
use crate::names::Names;
use crate::summary::round6;

/// Milliseconds in an hour.
const MS_PER_HOUR: f64 = 3_600_000.0;

/// Held-time costs are kept 1000 times finer than pool costs (micro-dollars × ms per hour):
/// a GPU's price is a pool's price over its milli-GPU, and the factor keeps the product of
/// a per-GPU price and allocated milli-GPU whole.
const HELD_SCALE: u128 = 1000;

/// What the run cost, in US dollars (or whatever currency the prices are in).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct Cost {
    /// Everything paid: reserved pools for the whole run, the others while their nodes were
    /// up.
    pub total_usd: f64,
    /// `total_usd` by pricing: `reserved`, `on_demand`, `spot`.
    pub by_pricing: BTreeMap<String, f64>,
    /// `total_usd` over the GPU-hours of work kept (`used_gpu_hours`); null when none.
    pub per_used_gpu_hour_usd: Option<f64>,
    /// GPU-hours of work kept: held time minus lost work and time held without progress.
    pub used_gpu_hours: f64,
    /// GPU time held by pods, at the price of the GPUs held.
    pub held_usd: f64,
    /// GPUs up and not held by any pod.
    pub idle_capacity_usd: f64,
    /// Reserved GPU nodes paid while down.
    pub down_usd: f64,
    /// Pools without GPUs.
    pub non_gpu_usd: f64,
    /// The part of `held_usd` whose work was kept.
    pub used_usd: f64,
    /// The part of `held_usd` whose work was thrown away by faults, preemptions and
    /// evictions (GPU time since the last checkpoint).
    pub lost_work_usd: f64,
    /// The part of `held_usd` held without progress (a gang waiting for its last replicas,
    /// replicas kept by a graceful eviction).
    pub wasted_usd: f64,
    /// Per namespace, every one.
    pub per_namespace: BTreeMap<String, NamespaceCost>,
}

/// One namespace's part of the cost.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct NamespaceCost {
    /// Its share of the GPU time held by all namespaces.
    pub held_share: f64,
    /// `total_usd × held_share`: the whole fleet's cost charged back by GPU time held.
    pub chargeback_usd: f64,
    /// Its lost work at the fleet's mean price of a held GPU-hour.
    pub lost_work_usd: f64,
    /// Its GPU time held without progress at that price.
    pub wasted_usd: f64,
}

/// The spending rate of one pricing from `time_ms` on (the `cost` table's rows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CostRate {
    pub time_ms: u64,
    pub pricing: Pricing,
    /// Micro-dollars per hour.
    pub micro_usd_per_hour: u64,
}

/// A pool's up time so far.
#[derive(Clone, Copy, Default)]
struct PoolTime {
    since: u64,
    /// Up nodes × ms.
    up_node_ms: u128,
}

/// Integrals of the cost, as records arrive.
pub(super) struct CostLedger {
    prices: Vec<Vec<PoolPrice>>,
    pools: Vec<Vec<PoolTime>>,
    /// Per (cluster, GPU model): (since, held cost in micro-dollars × ms per hour ×
    /// `HELD_SCALE`).
    pairs: Vec<(u64, u128)>,
    /// Current spending rate per pricing, in `Pricing::ALL` order.
    rates: [u64; 3],
}

fn pricing_idx(pricing: Pricing) -> usize {
    Pricing::ALL
        .iter()
        .position(|&p| p == pricing)
        .expect("listed")
}

impl CostLedger {
    pub(super) fn new(costs: &Costs, state: &FleetState) -> CostLedger {
        let mut rates = [0u64; 3];
        for (c_idx, prices) in costs.pools.iter().enumerate() {
            for (p_idx, price) in prices.iter().enumerate() {
                rates[pricing_idx(price.pricing)] +=
                    u64::from(state.n_nodes[c_idx][p_idx]) * price.micro_usd_per_node_hour;
            }
        }
        CostLedger {
            prices: costs.pools.clone(),
            pools: costs
                .pools
                .iter()
                .map(|p| vec![PoolTime::default(); p.len()])
                .collect(),
            pairs: vec![(0, 0); state.gpus.len()],
            rates,
        }
    }

    /// What the up nodes of a (cluster, GPU model) cost per hour now, in micro-dollars.
    fn pair_rate(&self, cluster: usize, model: GpuModelId, state: &FleetState) -> u128 {
        self.prices[cluster]
            .iter()
            .zip(&state.up_nodes[cluster])
            .zip(&state.pool_model[cluster])
            .filter(|(_, pool_model)| **pool_model == Some(model))
            .map(|((price, &up), _)| u128::from(up) * u128::from(price.micro_usd_per_node_hour))
            .sum()
    }

    /// Integrates the held cost of pair `idx` up to `time`, on the state before any change
    /// at `time`. A held GPU costs the pair's spending rate over its GPUs up: the price of
    /// that GPU when the pair's pools share a price per GPU, their mean otherwise.
    pub(super) fn advance_pair(&mut self, idx: usize, time: u64, state: &FleetState) {
        let n_models = state.n_gpu_models;
        let (since, _) = self.pairs[idx];
        let (allocated, capacity) = state.gpus[idx];
        let dt = u128::from(time.saturating_sub(since));
        if dt > 0 && allocated > 0 && capacity > 0 {
            let cluster = idx / n_models;
            let model = GpuModelId((idx % n_models) as u16);
            let rate = self.pair_rate(cluster, model, state);
            self.pairs[idx].1 +=
                dt * rate * u128::from(allocated) * HELD_SCALE / u128::from(capacity);
        }
        self.pairs[idx].0 = time.max(since);
    }

    /// Integrates pool `pool` of `cluster` up to `time` and takes its new count; the new
    /// rate of its pricing when that changed (reserved pools cost the same down or up).
    pub(super) fn pool(
        &mut self,
        cluster: usize,
        pool: usize,
        time: u64,
        up_nodes: u32,
        state: &FleetState,
    ) -> Option<CostRate> {
        let old = state.up_nodes[cluster][pool];
        let entry = &mut self.pools[cluster][pool];
        entry.up_node_ms += u128::from(time.saturating_sub(entry.since)) * u128::from(old);
        entry.since = time.max(entry.since);
        let price = self.prices[cluster][pool];
        if old == up_nodes || price.pricing == Pricing::Reserved {
            return None;
        }
        let rate = &mut self.rates[pricing_idx(price.pricing)];
        *rate = *rate + u64::from(up_nodes) * price.micro_usd_per_node_hour
            - u64::from(old) * price.micro_usd_per_node_hour;
        Some(CostRate {
            time_ms: time,
            pricing: price.pricing,
            micro_usd_per_hour: *rate,
        })
    }

    /// The rate of every pricing some pool is bought by, at time 0.
    pub(super) fn rates(&self) -> Vec<CostRate> {
        Pricing::ALL
            .into_iter()
            .filter(|&pricing| self.prices.iter().flatten().any(|p| p.pricing == pricing))
            .map(|pricing| CostRate {
                time_ms: 0,
                pricing,
                micro_usd_per_hour: self.rates[pricing_idx(pricing)],
            })
            .collect()
    }

    pub(super) fn summarize(
        mut self,
        end_ms: u64,
        state: &FleetState,
        held: &[HeldTime],
        names: &Names,
    ) -> Cost {
        for idx in 0..self.pairs.len() {
            self.advance_pair(idx, end_ms, state);
        }
        // Pool costs in micro-dollars × ms per hour, scaled to match the held cost.
        let mut by_pricing = [0u128; 3];
        let (mut up_gpu, mut non_gpu) = (0u128, 0u128);
        for (c_idx, prices) in self.prices.iter().enumerate() {
            for (p_idx, price) in prices.iter().enumerate() {
                let time = self.pools[c_idx][p_idx];
                let up = state.up_nodes[c_idx][p_idx];
                let up_node_ms = time.up_node_ms
                    + u128::from(end_ms.saturating_sub(time.since)) * u128::from(up);
                let node_price = u128::from(price.micro_usd_per_node_hour) * HELD_SCALE;
                let paid_node_ms = match price.pricing {
                    Pricing::Reserved => {
                        u128::from(state.n_nodes[c_idx][p_idx]) * u128::from(end_ms)
                    }
                    Pricing::OnDemand | Pricing::Spot => up_node_ms,
                };
                let paid = node_price * paid_node_ms;
                by_pricing[pricing_idx(price.pricing)] += paid;
                if state.pool_model[c_idx][p_idx].is_some() {
                    up_gpu += node_price * up_node_ms;
                } else {
                    non_gpu += paid;
                }
            }
        }
        let total: u128 = by_pricing.iter().sum();
        let held_cost: u128 = self.pairs.iter().map(|p| p.1).sum();
        let usd = |units: u128| units as f64 / (HELD_SCALE as f64 * 1e6 * MS_PER_HOUR);
        let total_held: u128 = held.iter().map(|h| h.held).sum();
        let sum = |f: fn(&HeldTime) -> u128| held.iter().map(f).sum::<u128>();
        let (used, lost, idle) = (sum(|h| h.used), sum(|h| h.lost), sum(|h| h.idle));
        // The mean price of a held milli-GPU·ms: job records do not say where their GPU time
        // ran, so its parts are priced at the fleet's mean (exact under a single price).
        let per_milli_ms = if total_held == 0 {
            0.0
        } else {
            usd(held_cost) / total_held as f64
        };
        let priced = |milli_ms: u128| round6(milli_ms as f64 * per_milli_ms);
        let used_gpu_hours = used as f64 / (1000.0 * MS_PER_HOUR);
        let total_usd = usd(total);
        let per_namespace = held_shares(held, names)
            .map(|(name, share, h)| {
                let cost = NamespaceCost {
                    held_share: round6(share),
                    chargeback_usd: round6(total_usd * share),
                    lost_work_usd: priced(h.lost),
                    wasted_usd: priced(h.idle),
                };
                (name.clone(), cost)
            })
            .collect();
        Cost {
            total_usd: round6(total_usd),
            by_pricing: Pricing::ALL
                .into_iter()
                .map(|p| {
                    (
                        p.as_str().to_owned(),
                        round6(usd(by_pricing[pricing_idx(p)])),
                    )
                })
                .collect(),
            per_used_gpu_hour_usd: (used > 0).then(|| round6(total_usd / used_gpu_hours)),
            used_gpu_hours: round6(used_gpu_hours),
            held_usd: round6(usd(held_cost)),
            idle_capacity_usd: round6(usd(up_gpu.saturating_sub(held_cost))),
            down_usd: round6(usd(total.saturating_sub(non_gpu).saturating_sub(up_gpu))),
            non_gpu_usd: round6(usd(non_gpu)),
            used_usd: priced(used),
            lost_work_usd: priced(lost),
            wasted_usd: priced(idle),
            per_namespace,
        }
    }
}
