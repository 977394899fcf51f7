use sim_core::model::{NodeShape, PodRequest};

use super::{NORM_CPU_MILLI, NORM_GPU_MILLI, NodeFree, PlacementPolicy};

/// Dot product of the pod's request and the node's free resources (CPU and GPU, each divided
/// by a fixed maximum): the smaller the product, the less the node's leftovers align with the
/// request, the tighter the fit. `trunc(100 · (1 − (c·C/Mc² + D·F/Mg²) / 2))`. Memory is
/// ignored, as in the FGD study's `-dimext merge -norm max` setting.
pub struct DotProd;

impl DotProd {
    /// Registered name.
    pub const NAME: &'static str = "DotProd";
}

impl PlacementPolicy for DotProd {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn score(&self, pod: &PodRequest, _: &NodeShape, free: &NodeFree) -> i64 {
        let max_cpu = NORM_CPU_MILLI as f64;
        let max_gpu = NORM_GPU_MILLI as f64;
        let cpu = pod.cpu_milli as f64 * free.cpu_milli as f64 / (max_cpu * max_cpu);
        let gpu = pod.gpu.total_milli() as f64 * f64::from(free.devices.total_free())
            / (max_gpu * max_gpu);
        (100.0 * (1.0 - (cpu + gpu) / 2.0)) as i64
    }
}
