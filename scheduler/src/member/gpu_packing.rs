use sim_core::model::{NodeShape, PodRequest};

use super::devices::DEVICE_MILLI;
use super::{NodeFree, PlacementPolicy};

/// Packs GPU pods: fill partly used devices, tightest first (50..100), then free devices on a
/// node already in use (33..50), and only then open an idle node, smaller nodes first (below
/// 33). CPU-only pods score 0 everywhere.
pub struct GpuPacking;

impl GpuPacking {
    /// Registered name.
    pub const NAME: &'static str = "GpuPacking";
}

impl PlacementPolicy for GpuPacking {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn score(&self, pod: &PodRequest, _: &NodeShape, free: &NodeFree) -> i64 {
        if pod.gpu.count == 0 {
            return 0;
        }
        let devices = &free.devices;
        let n_devices = devices.len() as i64;
        if i64::from(devices.n_whole_free()) == n_devices {
            return (33 - n_devices).max(n_devices);
        }
        let taken = devices.ascending_fit(pod.gpu.count, pod.gpu.milli_per_gpu);
        let taken_free = devices
            .free()
            .iter()
            .enumerate()
            .filter(|(idx, _)| taken & (1 << idx) != 0)
            .map(|(_, f)| u32::from(*f));
        let (n_whole, sum_pct) = taken_free.fold((0, 0), |(whole, pct), f| {
            (
                whole + i64::from(f == DEVICE_MILLI),
                pct + i64::from(f * 100 / DEVICE_MILLI),
            )
        });
        if n_whole > 0 {
            (50 - n_whole).max(33)
        } else {
            (100 - sum_pct / 10).max(50)
        }
    }
}
