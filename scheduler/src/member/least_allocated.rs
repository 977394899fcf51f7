use sim_core::model::{NodeShape, PodRequest};

use super::{NodeFree, PlacementPolicy, resource_allocation_score};

/// Kubernetes' `LeastAllocated` scoring: prefer the node with the most room left after
/// placing the pod, `(capacity − requested) × 100 / capacity` averaged over resources. Spreads.
pub struct LeastAllocated;

impl LeastAllocated {
    /// Registered name.
    pub const NAME: &'static str = "least-allocated";
}

impl PlacementPolicy for LeastAllocated {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn reads_memory(&self) -> bool {
        true
    }

    fn score(&self, pod: &PodRequest, shape: &NodeShape, free: &NodeFree) -> i64 {
        resource_allocation_score(pod, shape, free, |requested, capacity| {
            (capacity - requested) * 100 / capacity
        })
    }
}
