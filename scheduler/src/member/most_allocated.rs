use sim_core::model::{NodeShape, PodRequest};

use super::{NodeFree, PlacementPolicy, resource_allocation_score};

/// Kubernetes' `MostAllocated` scoring: prefer the fullest node that still fits,
/// `requested × 100 / capacity` averaged over resources. Packs.
pub struct MostAllocated;

impl MostAllocated {
    /// Registered name.
    pub const NAME: &'static str = "most-allocated";
}

impl PlacementPolicy for MostAllocated {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn reads_memory(&self) -> bool {
        true
    }

    fn score(&self, pod: &PodRequest, shape: &NodeShape, free: &NodeFree) -> i64 {
        resource_allocation_score(pod, shape, free, |requested, capacity| {
            requested * 100 / capacity
        })
    }
}
