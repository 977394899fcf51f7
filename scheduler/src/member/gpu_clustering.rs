use sim_core::model::{NodeShape, PodRequest};

use super::devices::gpu_tag;
use super::{NodeFree, Normalization, PlacementPolicy};

/// Keeps pods of one GPU shape together: a node already running only pods of the incoming
/// pod's kind (a share, or `k` whole devices) scores highest, then a node running that kind
/// among others, then an idle node, then a node running only other kinds; within each tier a
/// fuller node scores slightly higher. CPU-only pods score 0 everywhere.
pub struct GpuClustering {
    /// What the node's GPU is divided by (its own, or the study's 8 GPUs).
    pub norm: Normalization,
}

impl GpuClustering {
    /// Registered name.
    pub const NAME: &'static str = "GpuClustering";
}

impl PlacementPolicy for GpuClustering {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn score(&self, pod: &PodRequest, shape: &NodeShape, free: &NodeFree) -> i64 {
        let tag = gpu_tag(&pod.gpu);
        if tag == 0 {
            return 0;
        }
        let max_gpu = self.norm.maxima(shape).1 as i64;
        let base = 25 * (max_gpu - i64::from(free.devices.total_free())) / max_gpu;
        let bonus = if free.tags == tag {
            75
        } else if free.tags & tag != 0 {
            50
        } else if free.tags == 0 {
            25
        } else {
            0
        };
        base.max(0) + bonus
    }
}
