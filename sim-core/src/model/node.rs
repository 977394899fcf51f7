use super::{GpuModelId, Labels, Taint};

/// The allocatable resources of one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeShape {
    /// CPU in milli-cores.
    pub cpu_milli: u64,
    /// Memory in bytes.
    pub memory: u64,
    /// Most pods the node accepts.
    pub max_pods: u32,
    /// Number of GPU devices.
    pub gpus: u32,
    /// Model of every GPU on the node; `None` when it has none.
    pub gpu_model: Option<GpuModelId>,
}

/// `count` identical nodes of one shape in one cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodePool {
    /// Pool name, unique within its cluster.
    pub name: String,
    /// Number of nodes.
    pub count: u32,
    /// Each node's allocatable resources.
    pub shape: NodeShape,
    /// Labels on every node of the pool.
    pub labels: Labels,
    /// Taints on every node of the pool.
    pub taints: Vec<Taint>,
}
