use sim_core::model::{NodeShape, PodRequest};

use super::{NodeFree, Normalization, PlacementPolicy};

/// Dot product of the pod's request and the node's free resources (CPU and GPU, each divided
/// by its maximum): the smaller the product, the less the node's leftovers align with the
/// request, the tighter the fit. `trunc(100 · (1 − (c·C/Mc² + D·F/Mg²) / 2))`. Memory is
/// ignored, as in the FGD study's `-dimext merge -norm max` setting. The maxima are the node's
/// own capacity, or the study's constants in its reproduction ([`Normalization`]).
pub struct DotProd {
    /// What CPU and GPU are divided by.
    pub norm: Normalization,
}

impl DotProd {
    /// Registered name.
    pub const NAME: &'static str = "DotProd";
}

impl PlacementPolicy for DotProd {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn score(&self, pod: &PodRequest, shape: &NodeShape, free: &NodeFree) -> i64 {
        let (max_cpu, max_gpu) = self.norm.maxima(shape);
        let cpu = pod.cpu_milli as f64 * free.cpu_milli as f64 / (max_cpu * max_cpu);
        let gpu = pod.gpu.total_milli() as f64 * f64::from(free.devices.total_free())
            / (max_gpu * max_gpu);
        (100.0 * (1.0 - (cpu + gpu) / 2.0)) as i64
    }
}
