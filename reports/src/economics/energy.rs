//! What the fleet draws: per cluster, PUE × (each powered node's base draw, plus each
//! powered GPU's idle draw and its busy draw above idle in proportion to the milli-GPU held), and the carbon
//! that energy emits at the cluster's grid intensity in each hour of the day.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sim_core::model::{Carbon, Energy, GpuModelId};

use super::{FleetState, HeldTime, held_shares};
use crate::names::Names;
use crate::summary::round6;

/// Milliseconds in an hour and in a day.
const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 24 * HOUR_MS;

/// Nanowatts × ms in one kWh.
const NW_MS_PER_KWH: f64 = 1e12 * HOUR_MS as f64;

/// What the run drew and emitted.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct EnergyUse {
    /// Facility energy: ∫ PUE × IT power dt, in kWh.
    pub kwh: f64,
    /// IT energy (nodes and GPUs, before PUE), in kWh.
    pub it_kwh: f64,
    /// ∫ facility power × the cluster's grid intensity at that hour of day dt, in kg CO2e;
    /// null without `regions`.
    pub kg_co2e: Option<f64>,
    /// Per namespace, every one: the fleet's energy and emissions charged back by GPU time
    /// held.
    pub per_namespace: BTreeMap<String, NamespaceEnergy>,
}

/// One namespace's part of the energy.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct NamespaceEnergy {
    /// `kwh × ` its share of the GPU time held.
    pub kwh: f64,
    /// `kg_co2e ×` that share; null without `regions`.
    pub kg_co2e: Option<f64>,
}

/// One cluster's draw so far.
#[derive(Clone, Copy, Default)]
struct ClusterDraw {
    since: u64,
    /// IT power now, in microwatts.
    it_microwatts: u128,
    /// ∫ IT power dt, in µW × ms.
    it_energy: u128,
    /// ∫ facility power dt, in nW × ms.
    energy: u128,
    /// ∫ facility power × intensity dt, in nW × ms × mg/kWh.
    carbon: u128,
}

/// Integrals of power and carbon per cluster, as records arrive.
pub(super) struct EnergyLedger {
    config: Energy,
    clusters: Vec<ClusterDraw>,
}

impl EnergyLedger {
    pub(super) fn new(energy: &Energy, state: &FleetState) -> EnergyLedger {
        let mut ledger = EnergyLedger {
            config: energy.clone(),
            clusters: vec![ClusterDraw::default(); state.up_nodes.len()],
        };
        for cluster in 0..state.up_nodes.len() {
            ledger.refresh(cluster, state);
        }
        ledger
    }

    /// IT power of the nodes of `cluster` whose pools `keep` selects, in µW.
    fn it_microwatts(
        &self,
        cluster: usize,
        state: &FleetState,
        keep: impl Fn(Option<GpuModelId>) -> bool,
    ) -> u128 {
        let base: u128 = self.config.base_milliwatts[cluster]
            .iter()
            .zip(&state.powered_nodes[cluster])
            .zip(&state.pool_model[cluster])
            .filter(|(_, model)| keep(**model))
            .map(|((&base, &powered), _)| u128::from(base) * u128::from(powered) * 1000)
            .sum();
        let gpus: u128 = (0..state.n_gpu_models)
            .map(|m| GpuModelId(m as u16))
            .filter(|&model| keep(Some(model)))
            .map(|model| {
                let power = self.config.gpu_models[usize::from(model.0)];
                let (allocated, capacity) = state.gpus[state.pair_idx(cluster, model)];
                // Asleep nodes stay in the capacity allocation records carry, but draw
                // nothing: their GPUs leave the idle draw.
                let asleep: u64 = (0..state.up_nodes[cluster].len())
                    .filter(|&pool| state.pool_model[cluster][pool] == Some(model))
                    .map(|pool| {
                        u64::from(
                            state.up_nodes[cluster][pool] - state.powered_nodes[cluster][pool],
                        ) * state.node_gpu_milli[cluster][pool]
                    })
                    .sum();
                let capacity = capacity.saturating_sub(asleep);
                u128::from(power.idle_milliwatts) * u128::from(capacity)
                    + u128::from(power.busy_milliwatts - power.idle_milliwatts)
                        * u128::from(allocated)
            })
            .sum();
        base + gpus
    }

    /// Takes the cluster's power from `state` (after a change).
    pub(super) fn refresh(&mut self, cluster: usize, state: &FleetState) {
        self.clusters[cluster].it_microwatts = self.it_microwatts(cluster, state, |_| true);
    }

    /// The facility power of the nodes of (cluster, model) now, in mW rounded half up.
    pub(super) fn pair_milliwatts(
        &self,
        cluster: usize,
        model: GpuModelId,
        state: &FleetState,
    ) -> u64 {
        let it = self.it_microwatts(cluster, state, |m| m == Some(model));
        let nanowatts = it * u128::from(self.config.pue_milli[cluster]);
        ((nanowatts + 500_000) / 1_000_000) as u64
    }

    /// Integrates the cluster's draw up to `time` at its current power.
    pub(super) fn advance(&mut self, cluster: usize, time: u64) {
        let pue = u128::from(self.config.pue_milli[cluster]);
        let carbon = self.config.carbon.as_ref();
        let draw = &mut self.clusters[cluster];
        if time > draw.since && draw.it_microwatts > 0 {
            let dt = u128::from(time - draw.since);
            let nanowatts = draw.it_microwatts * pue;
            draw.it_energy += draw.it_microwatts * dt;
            draw.energy += nanowatts * dt;
            if let Some(carbon) = carbon {
                draw.carbon += nanowatts * intensity_ms(carbon, cluster, draw.since, time);
            }
        }
        draw.since = draw.since.max(time);
    }

    pub(super) fn summarize(mut self, end_ms: u64, held: &[HeldTime], names: &Names) -> EnergyUse {
        for cluster in 0..self.clusters.len() {
            self.advance(cluster, end_ms);
        }
        let energy: u128 = self.clusters.iter().map(|c| c.energy).sum();
        let it_energy: u128 = self.clusters.iter().map(|c| c.it_energy).sum();
        let carbon: u128 = self.clusters.iter().map(|c| c.carbon).sum();
        let kwh = energy as f64 / NW_MS_PER_KWH;
        // mg per kWh × kWh, then mg to kg.
        let kg = self
            .config
            .carbon
            .as_ref()
            .map(|_| carbon as f64 / NW_MS_PER_KWH / 1e6);
        EnergyUse {
            kwh: round6(kwh),
            it_kwh: round6(it_energy as f64 / (1e9 * HOUR_MS as f64)),
            kg_co2e: kg.map(round6),
            per_namespace: held_shares(held, names)
                .map(|(name, share, _)| {
                    let part = NamespaceEnergy {
                        kwh: round6(kwh * share),
                        kg_co2e: kg.map(|kg| round6(kg * share)),
                    };
                    (name.clone(), part)
                })
                .collect(),
        }
    }
}

/// ∫ intensity dt over [from, to) for `cluster`, in mg/kWh × ms: the interval cut at the
/// hours of the day, simulated time 0 being `start_ms_of_day` after midnight.
fn intensity_ms(carbon: &Carbon, cluster: usize, from: u64, to: u64) -> u128 {
    let hourly = &carbon.milligrams_per_kwh[cluster];
    if hourly.iter().all(|&v| v == hourly[0]) {
        return u128::from(hourly[0]) * u128::from(to - from);
    }
    let mut sum = 0u128;
    let mut t = from;
    while t < to {
        let of_day = (t + carbon.start_ms_of_day) % DAY_MS;
        let hour = (of_day / HOUR_MS) as usize;
        let next = (t + (HOUR_MS - of_day % HOUR_MS)).min(to);
        sum += u128::from(hourly[hour]) * u128::from(next - t);
        t = next;
    }
    sum
}
