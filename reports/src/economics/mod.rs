//! What a run costs and draws: the fleet's node prices and power figures
//! (`sim_core::model::Economics`) integrated over the run's records.
//!
//! Both follow the same state: nodes up and powered per pool (pool records, emitted when a
//! fault takes nodes down or brings them back, or a node powers down or wakes; cost follows
//! nodes up, energy nodes powered) and GPUs allocated and up per (cluster, GPU model)
//! (allocation records). Everything between records is constant, so every integral is a sum
//! of integer products over integer milliseconds, divided once when the summary is made.

mod cost;
mod energy;

use sim_core::model::{GpuModelId, World};
use sim_core::record::{AllocationRecord, JobRecord, PoolRecord};

pub(crate) use cost::CostRate;
pub use cost::{Cost, NamespaceCost};
pub use energy::{EnergyUse, NamespaceEnergy};

use crate::names::Names;

/// Per namespace, the GPU time its jobs held and how it was spent (milli-GPU × ms).
#[derive(Clone, Copy, Default)]
pub(crate) struct HeldTime {
    pub held: u128,
    pub used: u128,
    pub lost: u128,
    pub idle: u128,
}

/// The fleet as costs and power see it: nodes up per pool, GPUs per (cluster, GPU model).
pub(crate) struct FleetState {
    /// GPU models in the world.
    pub n_gpu_models: usize,
    /// Per cluster, per pool: nodes up (what pricing pays for).
    pub up_nodes: Vec<Vec<u32>>,
    /// Per cluster, per pool: nodes up and not powered down (what draws power).
    pub powered_nodes: Vec<Vec<u32>>,
    /// Per cluster, per pool: milli-GPU on one node (0 without GPUs).
    pub node_gpu_milli: Vec<Vec<u64>>,
    /// Per cluster, per pool: nodes installed.
    pub n_nodes: Vec<Vec<u32>>,
    /// Per cluster, per pool: the GPU model, when the pool has GPUs.
    pub pool_model: Vec<Vec<Option<GpuModelId>>>,
    /// Per (cluster, GPU model), at `cluster * n_gpu_models + model`: (allocated, up)
    /// milli-GPU.
    pub gpus: Vec<(u64, u64)>,
}

impl FleetState {
    fn new(world: &World) -> FleetState {
        let clusters = &world.fleet.clusters;
        let per_pool = |f: &dyn Fn(&sim_core::model::NodePool) -> u32| -> Vec<Vec<u32>> {
            clusters
                .iter()
                .map(|c| c.node_pools.iter().map(f).collect())
                .collect()
        };
        FleetState {
            n_gpu_models: world.fleet.gpu_models.len(),
            up_nodes: per_pool(&|p| p.count),
            powered_nodes: per_pool(&|p| p.count),
            node_gpu_milli: clusters
                .iter()
                .map(|c| {
                    c.node_pools
                        .iter()
                        .map(|p| u64::from(p.shape.gpus) * 1000)
                        .collect()
                })
                .collect(),
            n_nodes: per_pool(&|p| p.count),
            pool_model: clusters
                .iter()
                .map(|c| {
                    c.node_pools
                        .iter()
                        .map(|p| p.shape.gpu_model.filter(|_| p.shape.gpus > 0))
                        .collect()
                })
                .collect(),
            gpus: vec![(0, 0); clusters.len() * world.fleet.gpu_models.len()],
        }
    }

    pub fn pair_idx(&self, cluster: usize, model: GpuModelId) -> usize {
        cluster * self.n_gpu_models + usize::from(model.0)
    }
}

/// Costs and energy of one run, as the records arrive; inert for a world without prices or
/// power figures.
pub(crate) struct Ledger {
    state: FleetState,
    cost: Option<cost::CostLedger>,
    energy: Option<energy::EnergyLedger>,
    /// Per namespace index.
    held: Vec<HeldTime>,
}

impl Ledger {
    pub fn new(world: &World) -> Ledger {
        let state = FleetState::new(world);
        let economics = &world.economics;
        Ledger {
            cost: economics
                .costs
                .as_ref()
                .map(|costs| cost::CostLedger::new(costs, &state)),
            energy: economics
                .energy
                .as_ref()
                .map(|energy| energy::EnergyLedger::new(energy, &state)),
            held: vec![HeldTime::default(); world.namespaces.len()],
            state,
        }
    }

    /// Whether the world prices its nodes (so the run has a cost table).
    pub fn priced(&self) -> bool {
        self.cost.is_some()
    }

    /// Integrates up to the record's time, then takes its values.
    pub fn allocation(&mut self, record: &AllocationRecord) {
        if self.cost.is_none() && self.energy.is_none() {
            return;
        }
        let time = record.time.as_millis();
        let cluster = record.cluster.0 as usize;
        let idx = self.state.pair_idx(cluster, record.gpu_model);
        if let Some(cost) = &mut self.cost {
            cost.advance_pair(idx, time, &self.state);
        }
        if let Some(energy) = &mut self.energy {
            energy.advance(cluster, time);
        }
        self.state.gpus[idx] = (record.allocated_milli, record.capacity_milli);
        if let Some(energy) = &mut self.energy {
            energy.refresh(cluster, &self.state);
        }
    }

    /// Integrates up to the record's time, then takes the pool's new count. Returns the new
    /// spending rate of the pool's pricing when it changed (nodes paid only while up).
    pub fn pool(&mut self, record: &PoolRecord) -> Option<CostRate> {
        let time = record.time.as_millis();
        let cluster = record.cluster.0 as usize;
        let pool = record.pool as usize;
        let pair = self.state.pool_model[cluster][pool].map(|m| self.state.pair_idx(cluster, m));
        if let Some(energy) = &mut self.energy {
            energy.advance(cluster, time);
        }
        let mut changed = None;
        if let Some(cost) = &mut self.cost {
            if let Some(pair) = pair {
                cost.advance_pair(pair, time, &self.state);
            }
            changed = cost.pool(cluster, pool, time, record.up_nodes, &self.state);
        }
        self.state.up_nodes[cluster][pool] = record.up_nodes;
        self.state.powered_nodes[cluster][pool] = record.powered_nodes.min(record.up_nodes);
        if let Some(energy) = &mut self.energy {
            energy.refresh(cluster, &self.state);
        }
        changed
    }

    /// Counts a job's held GPU time and its split for its namespace.
    pub fn job(&mut self, record: &JobRecord) {
        let held = &mut self.held[record.namespace.0 as usize];
        held.held += record.gpu_milli_ms;
        held.used += record.faults.used_gpu_milli_ms;
        held.lost += record.faults.lost_gpu_milli_ms;
        held.idle += record.faults.idle_gpu_milli_ms;
    }

    /// The facility power of one (cluster, GPU model)'s nodes now, in milliwatts; `None`
    /// without power figures.
    pub fn pair_power_milliwatts(&self, cluster: usize, model: GpuModelId) -> Option<u64> {
        self.energy
            .as_ref()
            .map(|energy| energy.pair_milliwatts(cluster, model, &self.state))
    }

    /// Every pricing's spending rate at the start, for the cost table's first rows.
    pub fn initial_rates(&self) -> Vec<CostRate> {
        self.cost.as_ref().map_or(Vec::new(), |cost| cost.rates())
    }

    /// The cost and energy summaries up to `end_ms`, `None` where not configured.
    pub fn summarize(self, end_ms: u64, names: &Names) -> (Option<Cost>, Option<EnergyUse>) {
        let Ledger {
            state,
            cost,
            energy,
            held,
        } = self;
        let cost = cost.map(|c| c.summarize(end_ms, &state, &held, names));
        let energy = energy.map(|e| e.summarize(end_ms, &held, names));
        (cost, energy)
    }
}

/// Each namespace's share of the GPU time held, as (name, share) in namespace order; every
/// share 0 when nothing was held.
pub(crate) fn held_shares<'a>(
    held: &'a [HeldTime],
    names: &'a Names,
) -> impl Iterator<Item = (&'a String, f64, &'a HeldTime)> + 'a {
    let total: u128 = held.iter().map(|h| h.held).sum();
    names.namespaces.iter().zip(held).map(move |(name, h)| {
        let share = if total == 0 {
            0.0
        } else {
            h.held as f64 / total as f64
        };
        (name, share, h)
    })
}
