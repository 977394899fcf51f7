use sim_core::model::{NodeShape, PodRequest};

use super::{Choice, NodeFree, Normalization, PlacementPolicy};

/// Least CPU and GPU left over after placing the pod (each divided by its maximum, weight one
/// half each), min–max normalised over the nodes that fit. Memory is ignored. The maxima are
/// the node's own capacity, or the study's constants in its reproduction ([`Normalization`]).
pub struct BestFit {
    /// What CPU and GPU are divided by.
    pub norm: Normalization,
}

impl BestFit {
    /// Registered name.
    pub const NAME: &'static str = "BestFit";
}

impl PlacementPolicy for BestFit {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn score(&self, pod: &PodRequest, shape: &NodeShape, free: &NodeFree) -> i64 {
        let (max_cpu, max_gpu) = self.norm.maxima(shape);
        let cpu_left = free.cpu_milli as f64 - pod.cpu_milli as f64;
        let gpu_left = f64::from(free.devices.total_free()) - pod.gpu.total_milli() as f64;
        let leftover = 0.5 * cpu_left / max_cpu + 0.5 * gpu_left / max_gpu;
        (100.0 * (1.0 - leftover)) as i64
    }

    fn choice(&self) -> Choice {
        Choice::Normalized
    }
}
