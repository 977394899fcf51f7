//! The world's names, copied once so the outputs can label ids without borrowing the world.

use sim_core::model::{ClusterId, GpuModelId, NamespaceId, PriorityClassId, World};

/// Names indexed by id.
pub(crate) struct Names {
    pub clusters: Vec<String>,
    pub gpu_models: Vec<String>,
    pub namespaces: Vec<String>,
    pub priority_classes: Vec<String>,
}

/// The summary's key for jobs without a priority class.
pub(crate) const NO_PRIORITY_CLASS: &str = "(none)";

impl Names {
    pub fn new(world: &World) -> Names {
        Names {
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

    pub fn cluster(&self, id: ClusterId) -> &str {
        &self.clusters[id.0 as usize]
    }

    pub fn gpu_model(&self, id: GpuModelId) -> &str {
        &self.gpu_models[id.0 as usize]
    }

    pub fn namespace(&self, id: NamespaceId) -> &str {
        &self.namespaces[id.0 as usize]
    }

    /// The class's name, or `None` for a job without one.
    pub fn priority_class(&self, id: Option<PriorityClassId>) -> Option<&str> {
        id.map(|id| self.priority_classes[id.0 as usize].as_str())
    }
}
