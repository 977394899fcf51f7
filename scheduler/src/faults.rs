//! Fault models: what goes down, when, and for how long, and the control plane's failover
//! settings. The control plane turns a [`FaultPlan`] into events (`control_faults.rs`).

use rand_distr::{Distribution, Exp, LogNormal, Weibull};
use sim_core::model::ClusterId;
use sim_core::rng::StreamRng;
use sim_core::{Duration, SimTime};

/// What a scheduled outage or drain takes down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultTarget {
    /// A whole cluster: its nodes, and the control plane's contact with it (a lost data
    /// centre). Zone and region outages are one of these per cluster in the zone or region.
    Cluster(ClusterId),
    /// Some nodes of a cluster (a node pool, or one node), by node index.
    Nodes {
        /// The cluster.
        cluster: ClusterId,
        /// Node indices within the cluster.
        nodes: std::ops::Range<u32>,
    },
}

/// A scheduled outage, or a planned drain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outage {
    /// What goes down.
    pub target: FaultTarget,
    /// When.
    pub down: SimTime,
    /// When it comes back; `None` = never.
    pub up: Option<SimTime>,
    /// A planned drain: pods are evicted gracefully (they checkpoint first, so no work is
    /// lost) instead of being lost with their nodes.
    pub drain: bool,
    /// Name for records (e.g. `zone z1`).
    pub label: String,
}

/// A distribution of durations, for random node failures and repairs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DurationDist {
    /// Always this long.
    Constant(Duration),
    /// Exponential with this mean (failures without memory).
    Exponential {
        /// Mean.
        mean: Duration,
    },
    /// Weibull with this shape and scale (shape > 1: wear-out; < 1: infant mortality).
    Weibull {
        /// Shape k.
        shape: f64,
        /// Scale λ.
        scale: Duration,
    },
    /// Log-normal with this median and σ of the log.
    LogNormal {
        /// Median.
        median: Duration,
        /// σ of ln(duration).
        sigma: f64,
    },
}

impl DurationDist {
    /// One draw, rounded to whole milliseconds, at least 1 ms.
    pub fn sample(&self, rng: &mut StreamRng) -> Duration {
        let ms = match *self {
            DurationDist::Constant(d) => d.as_millis() as f64,
            DurationDist::Exponential { mean } => Exp::new(1.0 / mean.as_millis().max(1) as f64)
                .expect("positive rate")
                .sample(rng),
            DurationDist::Weibull { shape, scale } => {
                Weibull::new(scale.as_millis().max(1) as f64, shape)
                    .expect("validated shape")
                    .sample(rng)
            }
            DurationDist::LogNormal { median, sigma } => {
                LogNormal::new((median.as_millis().max(1) as f64).ln(), sigma)
                    .expect("validated sigma")
                    .sample(rng)
            }
        };
        Duration((ms.round() as u64).max(1))
    }
}

/// Random failures of every node of some clusters: each node fails after a draw from
/// `between_failures` (from the start, then from each repair), and is repaired after a draw
/// from `repair`.
#[derive(Clone, Debug, PartialEq)]
pub struct RandomFailures {
    /// The clusters whose nodes fail.
    pub clusters: Vec<ClusterId>,
    /// Time from a node's (re)start to its next failure.
    pub between_failures: DurationDist,
    /// Time to repair.
    pub repair: DurationDist,
}

/// Every fault of a scenario.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultPlan {
    /// Scheduled outages and drains.
    pub outages: Vec<Outage>,
    /// Random node failures.
    pub random: Vec<RandomFailures>,
    /// Job failures growing with job size.
    pub job_failures: Option<crate::job_failures::JobFailures>,
    /// Spot pools' revocations.
    pub spot: Vec<crate::spot::SpotRevocations>,
}

/// How the control plane notices and reacts to unhealthy clusters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailoverConfig {
    /// From a cluster going silent to its Ready condition turning Unknown and the
    /// `cluster.karmada.io/unreachable:NoSchedule` taint (`--cluster-monitor-grace-period`).
    pub status_grace: Duration,
    /// From a cluster coming back to Ready and the taints removed
    /// (`--cluster-success-threshold`).
    pub ready_after: Duration,
    /// A ClusterTaintPolicy also adds `cluster.karmada.io/unreachable:NoExecute` to an
    /// unreachable cluster, with gate `Failover` and `--enable-no-execute-taint-eviction` on:
    /// bindings there are evicted once their toleration runs out. Karmada's default: off.
    pub no_execute_eviction: bool,
    /// How long a graceful eviction task keeps the old replicas at most
    /// (`--graceful-eviction-timeout`).
    pub graceful_eviction_timeout: Duration,
}

impl Default for FailoverConfig {
    fn default() -> Self {
        FailoverConfig {
            status_grace: Duration::from_secs(40),
            ready_after: Duration::from_secs(30),
            no_execute_eviction: false,
            graceful_eviction_timeout: Duration::from_mins(10),
        }
    }
}

/// The taint key Karmada puts on a cluster whose Ready condition is Unknown.
pub const UNREACHABLE_TAINT: &str = "cluster.karmada.io/unreachable";
