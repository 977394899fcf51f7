use super::GpuModelSet;

/// GPUs one replica asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GpuRequest {
    /// Number of devices; 0 for a CPU-only pod.
    pub count: u32,
    /// Share of each device in milli-GPU (1000 = the whole device); below 1000 only with
    /// `count == 1` (GPU sharing, as in the openb trace).
    pub milli_per_gpu: u32,
    /// Allowed models; empty = any.
    pub models: GpuModelSet,
}

impl GpuRequest {
    /// No GPU.
    pub const NONE: GpuRequest = GpuRequest {
        count: 0,
        milli_per_gpu: 0,
        models: GpuModelSet::ANY,
    };

    /// `count` whole devices of any allowed model.
    pub fn whole(count: u32, models: GpuModelSet) -> GpuRequest {
        GpuRequest {
            count,
            milli_per_gpu: if count == 0 { 0 } else { 1000 },
            models,
        }
    }

    /// Total milli-GPU asked for.
    pub fn total_milli(&self) -> u64 {
        u64::from(self.count) * u64::from(self.milli_per_gpu)
    }

    /// Devices the pod's GPUs sit on: one for a share, `count` otherwise.
    pub fn devices(&self) -> u32 {
        self.count
    }
}

/// What one replica (pod) of a component requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodRequest {
    /// CPU in milli-cores.
    pub cpu_milli: u64,
    /// Memory in bytes.
    pub memory: u64,
    /// GPU devices.
    pub gpu: GpuRequest,
    /// Index of the pod's node claim (node selector, tolerations) in the scenario's claim
    /// table; 0 is the claim of a pod with neither.
    pub node_claim: u16,
}
