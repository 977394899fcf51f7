use super::{GpuModel, GpuModelId, Labels, NodePool};

/// Index of a cluster in [`Fleet::clusters`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClusterId(pub u32);

/// The effect of a taint, as in Kubernetes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TaintEffect {
    /// New placements must tolerate it.
    NoSchedule,
    /// A soft preference only.
    PreferNoSchedule,
    /// Existing placements are evicted unless tolerated.
    NoExecute,
}

impl TaintEffect {
    /// The Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }
}

/// A taint on a cluster or node.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Taint {
    /// Taint key.
    pub key: String,
    /// Taint value (may be empty).
    pub value: String,
    /// Effect.
    pub effect: TaintEffect,
}

/// A member cluster: where it is, how it is labelled and what nodes it has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    /// Unique name.
    pub name: String,
    /// Region (`cluster.spec.region`), if any.
    pub region: Option<String>,
    /// Failure zones (`cluster.spec.zones`); empty when none. A cluster may span several.
    pub zones: Vec<String>,
    /// Provider (`cluster.spec.provider`), if any.
    pub provider: Option<String>,
    /// Cluster labels.
    pub labels: Labels,
    /// Cluster taints.
    pub taints: Vec<Taint>,
    /// Node pools.
    pub node_pools: Vec<NodePool>,
}

impl Cluster {
    /// Number of nodes over all pools.
    pub fn n_nodes(&self) -> u64 {
        self.node_pools
            .iter()
            .map(|pool| u64::from(pool.count))
            .sum()
    }

    /// GPU devices of `model` in the cluster.
    pub fn gpu_capacity(&self, model: GpuModelId) -> u64 {
        self.node_pools
            .iter()
            .filter(|pool| pool.shape.gpu_model == Some(model))
            .map(|pool| u64::from(pool.count) * u64::from(pool.shape.gpus))
            .sum()
    }
}

/// Every GPU model and cluster of a scenario.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fleet {
    /// GPU models, indexed by [`GpuModelId`].
    pub gpu_models: Vec<GpuModel>,
    /// Clusters, indexed by [`ClusterId`].
    pub clusters: Vec<Cluster>,
}

impl Fleet {
    /// The cluster with this id.
    pub fn cluster(&self, id: ClusterId) -> &Cluster {
        &self.clusters[id.0 as usize]
    }

    /// The GPU model with this id.
    pub fn gpu_model(&self, id: GpuModelId) -> &GpuModel {
        &self.gpu_models[id.0 as usize]
    }

    /// The id of the GPU model called `name`.
    pub fn gpu_model_id(&self, name: &str) -> Option<GpuModelId> {
        self.gpu_models
            .iter()
            .position(|model| model.name == name)
            .map(|idx| GpuModelId(idx as u16))
    }

    /// The id of the cluster called `name`.
    pub fn cluster_id(&self, name: &str) -> Option<ClusterId> {
        self.clusters
            .iter()
            .position(|cluster| cluster.name == name)
            .map(|idx| ClusterId(idx as u32))
    }

    /// Cluster ids in index order.
    pub fn cluster_ids(&self) -> impl Iterator<Item = ClusterId> + use<> {
        (0..self.clusters.len() as u32).map(ClusterId)
    }

    /// GPU devices in the whole fleet.
    pub fn total_gpus(&self) -> u64 {
        self.clusters
            .iter()
            .flat_map(|cluster| &cluster.node_pools)
            .map(|pool| u64::from(pool.count) * u64::from(pool.shape.gpus))
            .sum()
    }
}
