//! What a fleet costs and draws: how each node pool is bought and at what price, what its
//! nodes and GPUs draw, each cluster's power usage effectiveness and the carbon intensity of
//! its grid. Plain integers (micro-dollars, milliwatts, thousandths, milligrams), so reports
//! integrate them over integer milliseconds exactly.

use crate::time::Duration;

/// How a node pool is bought.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pricing {
    /// Paid for the whole run, whether its nodes are up or not.
    Reserved,
    /// Paid while a node is up.
    OnDemand,
    /// Paid while a node is up, at the spot price.
    Spot,
}

impl Pricing {
    /// Every way of buying, in the order outputs list them.
    pub const ALL: [Pricing; 3] = [Pricing::Reserved, Pricing::OnDemand, Pricing::Spot];

    /// The spelling used in scenarios and outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Pricing::Reserved => "reserved",
            Pricing::OnDemand => "on_demand",
            Pricing::Spot => "spot",
        }
    }
}

/// What one node of a pool costs, and how it is bought.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolPrice {
    /// How the pool is bought.
    pub pricing: Pricing,
    /// Price of one node for one hour, in millionths of a dollar.
    pub micro_usd_per_node_hour: u64,
}

/// Prices of every node pool; present only when the scenario prices something.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Costs {
    /// Per cluster, per node pool (both in declaration order).
    pub pools: Vec<Vec<PoolPrice>>,
}

/// The draw of one GPU device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GpuPower {
    /// Draw of a device no pod holds, in milliwatts.
    pub idle_milliwatts: u64,
    /// Draw of a device a pod holds whole, in milliwatts; a share of a device draws its
    /// share of the difference from idle.
    pub busy_milliwatts: u64,
}

/// Carbon intensity of each cluster's grid by hour of day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Carbon {
    /// Per cluster: milligrams of CO2e per kWh in each hour of the day, from midnight.
    pub milligrams_per_kwh: Vec<[u64; 24]>,
    /// Time of day at simulated time 0, in ms after midnight (below one day).
    pub start_ms_of_day: u64,
}

/// What the fleet draws; present only when the scenario gives a power figure.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Energy {
    /// Per GPU model.
    pub gpu_models: Vec<GpuPower>,
    /// Per cluster, per node pool: what one node draws besides its GPUs while up, in
    /// milliwatts.
    pub base_milliwatts: Vec<Vec<u64>>,
    /// Per cluster: power usage effectiveness in thousandths (1000 = no overhead).
    pub pue_milli: Vec<u64>,
    /// Carbon intensities, when the scenario gives regions.
    pub carbon: Option<Carbon>,
}

/// Idle nodes powering down: a node without pods for `after` sleeps (draws nothing, still
/// paid), and a node woken for waiting pods takes `wake_up` to take them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PowerDown {
    /// How long a node stays idle before it powers down (above 0).
    pub after: Duration,
    /// How long an asleep node takes to come back once woken.
    pub wake_up: Duration,
}

/// A fleet's prices and power figures; both absent unless the scenario sets them, so runs
/// that do not ask report neither.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Economics {
    /// Node prices.
    pub costs: Option<Costs>,
    /// Power and carbon.
    pub energy: Option<Energy>,
    /// Per cluster, whether its idle nodes power down; empty when none does (nodes never
    /// sleep, as before the option existed).
    pub power_down: Vec<Option<PowerDown>>,
}

impl Economics {
    /// The power-down setting of cluster `cluster`, if any.
    pub fn power_down(&self, cluster: usize) -> Option<PowerDown> {
        self.power_down.get(cluster).copied().flatten()
    }
}
