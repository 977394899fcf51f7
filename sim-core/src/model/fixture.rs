//! Small hand-made [`World`]s for tests and examples.
//!
//! Scenario files are the normal way to build a world (the `scenarios` crate validates them);
//! tests that exercise one crate without loading files build theirs here instead, so that each
//! does not spell out every field of every cluster, model and class.
//!
//! ```
//! use sim_core::model::fixture::{WorldBuilder, cluster, pool};
//! use sim_core::model::{Cluster, GpuModelId, NodeShape};
//!
//! let shape = NodeShape {
//!     cpu_milli: 64_000,
//!     memory: 512 << 30,
//!     max_pods: 110,
//!     gpus: 8,
//!     gpu_model: Some(GpuModelId(0)),
//! };
//! let world = WorldBuilder::new()
//!     .gpu_model("A100", 80 << 30, 1000)
//!     .cluster(Cluster {
//!         node_pools: vec![pool("p0", 4, shape)],
//!         ..cluster("east")
//!     })
//!     .namespace("default")
//!     .priority_class("high", 1000, false)
//!     .build();
//! assert_eq!(world.fleet.total_gpus(), 32);
//! ```

use super::{Cluster, GpuModel, Namespace, NodePool, NodeShape, PriorityClass, World};

/// Builds a [`World`] one item at a time; ids follow the order items are added in.
#[derive(Clone, Debug, Default)]
pub struct WorldBuilder {
    world: World,
}

impl WorldBuilder {
    /// An empty world: no GPU models, clusters, namespaces or priority classes.
    pub fn new() -> WorldBuilder {
        WorldBuilder::default()
    }

    /// Adds a GPU model (the next `GpuModelId`).
    pub fn gpu_model(mut self, name: &str, memory: u64, speed_milli: u32) -> WorldBuilder {
        self.world.fleet.gpu_models.push(GpuModel {
            name: name.to_owned(),
            memory,
            speed_milli,
        });
        self
    }

    /// Adds a cluster (the next `ClusterId`); see [`cluster`] for a bare one.
    pub fn cluster(mut self, cluster: Cluster) -> WorldBuilder {
        self.world.fleet.clusters.push(cluster);
        self
    }

    /// Adds a namespace (the next `NamespaceId`).
    pub fn namespace(mut self, name: &str) -> WorldBuilder {
        self.world.namespaces.push(Namespace {
            name: name.to_owned(),
        });
        self
    }

    /// Adds a priority class (the next `PriorityClassId`).
    pub fn priority_class(mut self, name: &str, value: i32, never_preempts: bool) -> WorldBuilder {
        self.world.priority_classes.push(PriorityClass {
            name: name.to_owned(),
            value,
            never_preempts,
        });
        self
    }

    /// The world as built.
    pub fn build(self) -> World {
        self.world
    }
}

/// A cluster with no region, zone, provider, labels, taints or node pools.
pub fn cluster(name: &str) -> Cluster {
    Cluster {
        name: name.to_owned(),
        region: None,
        zones: Vec::new(),
        provider: None,
        labels: Default::default(),
        taints: Vec::new(),
        node_pools: Vec::new(),
    }
}

/// A node pool of `count` nodes of one shape, with no labels or taints.
pub fn pool(name: &str, count: u32, shape: NodeShape) -> NodePool {
    NodePool {
        name: name.to_owned(),
        count,
        shape,
        labels: Default::default(),
        taints: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ClusterId, GpuModelId};

    #[test]
    fn ids_follow_the_order_items_are_added_in() {
        let world = WorldBuilder::new()
            .gpu_model("A", 1, 1000)
            .gpu_model("B", 2, 2000)
            .cluster(cluster("east"))
            .cluster(Cluster {
                region: Some("eu".into()),
                ..cluster("west")
            })
            .namespace("default")
            .build();
        assert_eq!(world.fleet.gpu_model_id("B"), Some(GpuModelId(1)));
        assert_eq!(world.fleet.cluster_id("west"), Some(ClusterId(1)));
        assert_eq!(
            world.fleet.cluster(ClusterId(1)).region.as_deref(),
            Some("eu")
        );
        assert_eq!(world.namespaces[0].name, "default");
        assert!(world.priority_classes.is_empty());
    }
}
