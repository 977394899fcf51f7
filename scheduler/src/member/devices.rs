//! GPU devices inside a node: how much of each device is free, in milli-GPU, and which devices
//! a pod takes. Device indices matter: ties between devices go to the lowest index, as in the
//! Open-GPU-Share scheduler plugin.

use sim_core::model::GpuRequest;

/// Most GPU devices one node may have.
pub const MAX_DEVICES: usize = 16;

/// Milli-GPU in one whole device.
pub const DEVICE_MILLI: u32 = 1000;

/// A set of devices of one node, bit `i` for device `i`.
pub type DeviceMask = u16;

/// Free milli-GPU of each device of a node, in device-index order.
///
/// Fixed-size and `Copy` so that node states can be compared, hashed and bucketed cheaply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Devices {
    n: u8,
    free: [u16; MAX_DEVICES],
}

impl Devices {
    /// `n` idle devices. `n` must be at most [`MAX_DEVICES`] (scenario validation ensures it).
    pub fn idle(n: u32) -> Devices {
        let n = n as usize;
        assert!(
            n <= MAX_DEVICES,
            "{n} GPUs on one node: at most {MAX_DEVICES}"
        );
        let mut free = [0; MAX_DEVICES];
        free[..n].fill(DEVICE_MILLI as u16);
        Devices { n: n as u8, free }
    }

    /// Devices with the given free milli-GPU, in index order.
    pub fn from_free(free_milli: &[u16]) -> Devices {
        let mut devices = Devices::idle(free_milli.len() as u32);
        devices.free[..free_milli.len()].copy_from_slice(free_milli);
        debug_assert!(free_milli.iter().all(|f| u32::from(*f) <= DEVICE_MILLI));
        devices
    }

    /// Number of devices.
    pub fn len(&self) -> usize {
        usize::from(self.n)
    }

    /// True for a node without GPUs.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Free milli-GPU per device, in index order.
    pub fn free(&self) -> &[u16] {
        &self.free[..self.len()]
    }

    /// Free milli-GPU over all devices.
    pub fn total_free(&self) -> u32 {
        self.free().iter().map(|f| u32::from(*f)).sum()
    }

    /// Devices nobody uses.
    pub fn n_whole_free(&self) -> u32 {
        self.n_fitting(DEVICE_MILLI)
    }

    /// Devices with at least `milli` free.
    pub fn n_fitting(&self, milli: u32) -> u32 {
        self.free()
            .iter()
            .filter(|f| u32::from(**f) >= milli)
            .count() as u32
    }

    /// Whether the GPU part of a request fits: a share needs one device with that much free;
    /// whole devices need that many devices entirely free. Models are checked elsewhere.
    pub fn fits(&self, gpu: &GpuRequest) -> bool {
        gpu.count == 0 || self.n_fitting(gpu.milli_per_gpu) >= gpu.count
    }

    /// The first `k` devices with at least `milli` free, taken in ascending free milli (lowest
    /// index first among equals). For whole devices these are the lowest-index free devices.
    pub fn ascending_fit(&self, k: u32, milli: u32) -> DeviceMask {
        let mut order: [u8; MAX_DEVICES] = [0; MAX_DEVICES];
        let mut n = 0;
        for (idx, free) in self.free().iter().enumerate() {
            if u32::from(*free) >= milli {
                order[n] = idx as u8;
                n += 1;
            }
        }
        let order = &mut order[..n];
        order.sort_by_key(|idx| (self.free[usize::from(*idx)], *idx));
        order
            .iter()
            .take(k as usize)
            .fold(0, |mask, idx| mask | (1 << idx))
    }

    /// The device a share of `milli` fits most tightly: the least free that still fits, lowest
    /// index among equals (the `best` GPU selector).
    pub fn tightest(&self, milli: u32) -> Option<usize> {
        self.free()
            .iter()
            .enumerate()
            .filter(|(_, free)| u32::from(**free) >= milli)
            .min_by_key(|(idx, free)| (**free, *idx))
            .map(|(idx, _)| idx)
    }

    /// The devices a request takes when the share device is `share_device`: whole devices are
    /// the lowest-index free ones.
    pub fn mask_for(&self, gpu: &GpuRequest, share_device: Option<usize>) -> DeviceMask {
        match (gpu.count, share_device) {
            (0, _) => 0,
            (1, Some(idx)) if gpu.milli_per_gpu < DEVICE_MILLI => 1 << idx,
            (k, _) => self.ascending_fit(k, DEVICE_MILLI),
        }
    }

    /// Takes `milli` from every device in `mask`.
    pub fn take(&mut self, mask: DeviceMask, milli: u32) {
        for idx in 0..self.len() {
            if mask & (1 << idx) != 0 {
                debug_assert!(u32::from(self.free[idx]) >= milli, "device over-allocated");
                self.free[idx] -= milli as u16;
            }
        }
    }

    /// Gives `milli` back to every device in `mask`.
    pub fn give(&mut self, mask: DeviceMask, milli: u32) {
        for idx in 0..self.len() {
            if mask & (1 << idx) != 0 {
                self.free[idx] += milli as u16;
                debug_assert!(
                    u32::from(self.free[idx]) <= DEVICE_MILLI,
                    "device over-freed"
                );
            }
        }
    }

    /// The same devices sorted by free milli: the multiset, for measures that ignore indices.
    pub fn sorted(&self) -> Devices {
        let mut sorted = *self;
        sorted.free[..self.len()].sort_unstable();
        sorted
    }
}

/// The GpuClustering affinity tag of a GPU request, as a bit: bit 0 for a share of one device,
/// bit `k` for `k` whole devices (`k` capped at 31); 0 for a CPU-only pod.
pub fn gpu_tag(gpu: &GpuRequest) -> u32 {
    match gpu.count {
        0 => 0,
        1 if gpu.milli_per_gpu < DEVICE_MILLI => 1,
        k => 1 << k.min(31),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::model::GpuModelSet;

    fn share(milli: u32) -> GpuRequest {
        GpuRequest {
            count: 1,
            milli_per_gpu: milli,
            models: GpuModelSet::ANY,
        }
    }

    #[test]
    fn shares_fit_one_device_and_whole_devices_need_free_ones() {
        let devices = Devices::from_free(&[300, 1000, 600, 1000]);
        assert!(devices.fits(&share(600)));
        assert!(!devices.fits(&GpuRequest::whole(3, GpuModelSet::ANY)));
        assert!(devices.fits(&GpuRequest::whole(2, GpuModelSet::ANY)));
        assert_eq!(devices.tightest(500), Some(2));
        assert_eq!(devices.tightest(700), Some(1));
        assert_eq!(devices.ascending_fit(2, 1000), 0b1010);
        assert_eq!(devices.ascending_fit(2, 200), 0b0101);
        assert_eq!(devices.total_free(), 2900);
        assert_eq!(devices.n_whole_free(), 2);
    }

    #[test]
    fn take_and_give_are_inverse() {
        let mut devices = Devices::idle(4);
        let mask = devices.mask_for(&GpuRequest::whole(2, GpuModelSet::ANY), None);
        devices.take(mask, 1000);
        assert_eq!(devices.free(), &[0, 0, 1000, 1000]);
        devices.take(1 << 3, 250);
        devices.give(mask, 1000);
        assert_eq!(devices.free(), &[1000, 1000, 1000, 750]);
        assert_eq!(devices.sorted().free(), &[750, 1000, 1000, 1000]);
    }

    #[test]
    fn tags() {
        assert_eq!(gpu_tag(&GpuRequest::NONE), 0);
        assert_eq!(gpu_tag(&share(500)), 1);
        assert_eq!(gpu_tag(&GpuRequest::whole(1, GpuModelSet::ANY)), 2);
        assert_eq!(gpu_tag(&GpuRequest::whole(8, GpuModelSet::ANY)), 256);
    }
}
