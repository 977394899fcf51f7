//! The world's names as plain lists, indexed by id: what outputs label ids with, and what
//! input files are checked against, without borrowing the world.

use super::{ClusterId, GpuModelId, NamespaceId, PriorityClassId, World};

/// The names a world declares, in declaration order, so each list is indexed by its id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorldNames {
    /// Clusters, indexed by [`ClusterId`].
    pub clusters: Vec<String>,
    /// GPU models, indexed by [`GpuModelId`].
    pub gpu_models: Vec<String>,
    /// Namespaces, indexed by [`NamespaceId`].
    pub namespaces: Vec<String>,
    /// Priority classes, indexed by [`PriorityClassId`].
    pub priority_classes: Vec<String>,
}

impl WorldNames {
    /// The names of `world`.
    pub fn new(world: &World) -> WorldNames {
        WorldNames {
            clusters: world
                .fleet
                .clusters
                .iter()
                .map(|c| c.name.clone())
                .collect(),
            gpu_models: world
                .fleet
                .gpu_models
                .iter()
                .map(|m| m.name.clone())
                .collect(),
            namespaces: world.namespaces.iter().map(|n| n.name.clone()).collect(),
            priority_classes: world
                .priority_classes
                .iter()
                .map(|p| p.name.clone())
                .collect(),
        }
    }

    /// The cluster's name.
    pub fn cluster(&self, id: ClusterId) -> &str {
        &self.clusters[id.0 as usize]
    }

    /// The GPU model's name.
    pub fn gpu_model(&self, id: GpuModelId) -> &str {
        &self.gpu_models[id.0 as usize]
    }

    /// The namespace's name.
    pub fn namespace(&self, id: NamespaceId) -> &str {
        &self.namespaces[id.0 as usize]
    }

    /// The class's name, or `None` for a job without one.
    pub fn priority_class(&self, id: Option<PriorityClassId>) -> Option<&str> {
        id.map(|id| self.priority_classes[id.0 as usize].as_str())
    }
}
