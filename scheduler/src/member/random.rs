use sim_core::model::{NodeShape, PodRequest};

use super::{Choice, NodeFree, PlacementPolicy};

/// One uniform draw over the nodes that fit; a share goes to a uniformly drawn device that
/// fits. The baseline every other policy should beat.
pub struct Random;

impl Random {
    /// Registered name.
    pub const NAME: &'static str = "Random";
}

impl PlacementPolicy for Random {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn score(&self, _: &PodRequest, _: &NodeShape, _: &NodeFree) -> i64 {
        0
    }

    fn choice(&self) -> Choice {
        Choice::Uniform
    }

    fn share_device(
        &self,
        pod: &PodRequest,
        _: &NodeShape,
        free: &NodeFree,
        draw: &mut dyn FnMut(u32) -> u32,
    ) -> usize {
        let milli = pod.gpu.milli_per_gpu;
        let n = free.devices.n_fitting(milli);
        let pick = draw(n);
        free.devices
            .free()
            .iter()
            .enumerate()
            .filter(|(_, f)| u32::from(**f) >= milli)
            .nth(pick as usize)
            .map(|(idx, _)| idx)
            .expect("the pod fits")
    }
}
