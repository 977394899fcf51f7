use std::fmt;

/// Index of a GPU model in [`crate::model::Fleet::gpu_models`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GpuModelId(pub u16);

/// A GPU model such as H100: its memory and its speed relative to the reference GPU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GpuModel {
    /// Name as used in scenarios and traces ("H100", "V100M32").
    pub name: String,
    /// Device memory in bytes (informational).
    pub memory: u64,
    /// Speed relative to the reference GPU, in thousandths (1000 = reference). A job's run time
    /// at reference speed is divided by this factor on this model.
    pub speed_milli: u32,
}

/// A set of GPU models a pod may run on; the empty set means any model.
///
/// A bit set over [`GpuModelId`], so a fit check is one AND; a fleet has at most 64 models.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GpuModelSet(u64);

impl GpuModelSet {
    /// Most GPU models one fleet may declare.
    pub const MAX_MODELS: usize = 64;

    /// Any GPU model.
    pub const ANY: GpuModelSet = GpuModelSet(0);

    /// The set holding exactly `ids`.
    pub fn of(ids: impl IntoIterator<Item = GpuModelId>) -> GpuModelSet {
        GpuModelSet(ids.into_iter().fold(0, |bits, id| bits | (1u64 << id.0)))
    }

    /// True when no restriction applies.
    pub fn is_any(self) -> bool {
        self.0 == 0
    }

    /// True when a device of `model` is acceptable.
    pub fn allows(self, model: Option<GpuModelId>) -> bool {
        match model {
            _ if self.is_any() => true,
            Some(id) => self.0 & (1u64 << id.0) != 0,
            None => false,
        }
    }

    /// The models in the set, in id order.
    pub fn ids(self) -> impl Iterator<Item = GpuModelId> {
        (0..Self::MAX_MODELS as u16)
            .filter(move |id| self.0 & (1u64 << id) != 0)
            .map(GpuModelId)
    }
}

impl fmt::Display for GpuModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "gpu-model#{}", self.0)
    }
}
