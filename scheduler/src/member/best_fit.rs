use sim_core::model::{NodeShape, PodRequest};

use super::{Choice, NORM_CPU_MILLI, NORM_GPU_MILLI, NodeFree, PlacementPolicy};

/// Least CPU and GPU left over after placing the pod (each divided by a fixed maximum, weight
/// one half each), min–max normalised over the nodes that fit. Memory is ignored.
pub struct BestFit;

impl BestFit {
    /// Registered name.
    pub const NAME: &'static str = "BestFit";
}

impl PlacementPolicy for BestFit {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn score(&self, pod: &PodRequest, _: &NodeShape, free: &NodeFree) -> i64 {
        let cpu_left = free.cpu_milli as f64 - pod.cpu_milli as f64;
        let gpu_left = f64::from(free.devices.total_free()) - pod.gpu.total_milli() as f64;
        let leftover =
            0.5 * cpu_left / NORM_CPU_MILLI as f64 + 0.5 * gpu_left / NORM_GPU_MILLI as f64;
        (100.0 * (1.0 - leftover)) as i64
    }

    fn choice(&self) -> Choice {
        Choice::Normalized
    }
}
