//! Member clusters: nodes, pods bound to them, pods waiting, and the placement policies that
//! choose a node for each pod (the member's kube-scheduler).
//!
//! Nodes are aggregated: identical nodes in the same state share one bucket of a free-capacity
//! index, so choosing a node costs one fit check and one score per distinct (pool, free state)
//! pair, not per node. A pool of a thousand idle nodes is one bucket until pods set them apart.
//!
//! `MemberCluster` is one type whose methods live by concern: `index.rs` the free-capacity
//! index and the estimates read from it, `admission.rs` pods arriving, waiting, placed and
//! released, `quota.rs` ResourceQuotas, `power.rs` nodes asleep; `policy.rs` holds the placement trait (the registry of
//! policies is `crate::registry`), one file per policy beside it.

mod admission;
mod best_fit;
pub mod devices;
mod dot_prod;
pub mod fgd;
mod gpu_clustering;
mod gpu_packing;
mod index;
mod least_allocated;
mod most_allocated;
mod policy;
mod power;
pub mod preemption;
mod quota;
mod random;

pub use best_fit::BestFit;
pub use devices::{DeviceMask, Devices};
pub use dot_prod::DotProd;
pub use fgd::{Fgd, TargetWorkload};
pub use gpu_clustering::GpuClustering;
pub use gpu_packing::GpuPacking;
pub use least_allocated::LeastAllocated;
pub use most_allocated::MostAllocated;
pub use policy::{
    Choice, NORM_CPU_MILLI, NORM_GPU_MILLI, Normalization, PlacementPolicy, best_node,
    resource_allocation_score,
};
pub use random::Random;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use sim_core::model::{
    Cluster, ClusterId, GpuModelId, JobId, Labels, NamespaceId, NodeShape, PodRequest,
    PriorityClassId, Taint,
};
use sim_core::rng::{RngStreams, StreamRng};

use crate::estimator::{NodeClaim, ResourceList, ResourceSummary};
use crate::quota::ResourceQuota;

/// What is still free on one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeFree {
    /// CPU in milli-cores.
    pub cpu_milli: u64,
    /// Memory in bytes.
    pub memory: u64,
    /// Pod slots.
    pub pods: u32,
    /// `nvidia.com/gpu` not requested by the node's pods, as Kubernetes accounts it (the
    /// count the estimators see): devices minus the whole GPUs pods asked for; a pod with a
    /// share of a device requests none ([`crate::estimator::gpu_request`]). At least the whole
    /// free devices.
    pub gpus: u32,
    /// Free milli-GPU of each device.
    pub devices: Devices,
    /// GpuClustering affinity tags of the GPU pods on the node ([`devices::gpu_tag`] bits).
    pub tags: u32,
}

impl NodeFree {
    /// An idle node of `shape`.
    pub fn of_shape(shape: &NodeShape) -> NodeFree {
        NodeFree {
            cpu_milli: shape.cpu_milli,
            memory: shape.memory,
            pods: shape.max_pods,
            gpus: shape.gpus,
            devices: Devices::idle(shape.gpus),
            tags: 0,
        }
    }
}

/// A group of identical pods of one job waiting in a member cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingPods {
    /// The job.
    pub job: JobId,
    /// The job's namespace (what quotas count).
    pub namespace: NamespaceId,
    /// The pods' priority class (for PriorityClass-scoped quotas).
    pub priority_class: Option<PriorityClassId>,
    /// How many pods.
    pub n_pods: u32,
    /// Each pod's request.
    pub request: PodRequest,
    /// Which of the job's components the pods belong to (0 for a single-template job).
    pub component: u8,
}

/// A pod that has just been bound to a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding {
    /// The pod's job.
    pub job: JobId,
    /// The node, as an index into the cluster's nodes.
    pub node: u32,
    /// The GPU devices of the node the pod holds.
    pub devices: DeviceMask,
    /// The pod's request.
    pub request: PodRequest,
    /// The pod's component in its job.
    pub component: u8,
}

#[derive(Clone, Debug)]
struct Pool {
    shape: NodeShape,
    labels: Labels,
    taints: Vec<Taint>,
    /// Whether a pod of each node claim may run here (index = `PodRequest::node_claim`).
    admits: Vec<bool>,
}

impl Pool {
    /// Whether the pool's nodes may run `pod`: its node claim is admitted and, for a GPU pod,
    /// the pool's GPU model is allowed.
    fn takes(&self, pod: &PodRequest) -> bool {
        self.admits
            .get(usize::from(pod.node_claim))
            .copied()
            .unwrap_or(false)
            && (pod.gpu.count == 0 || pod.gpu.models.allows(self.shape.gpu_model))
    }
}

/// One member cluster's nodes and pods.
#[derive(Debug)]
pub struct MemberCluster {
    id: ClusterId,
    pools: Vec<Pool>,
    node_pool: Vec<u16>,
    node_free: Vec<NodeFree>,
    /// Free-capacity index: (pool, free state) → nodes in that state, lowest index first.
    buckets: BTreeMap<(u16, NodeFree), BTreeSet<u32>>,
    /// The accurate estimator's answers for the request shapes asked most recently, kept
    /// current as nodes change (a node's old contribution out, its new one in), so a query
    /// for a known shape costs a lookup instead of a pass over the index.
    estimates: std::cell::RefCell<Vec<(PodRequest, i64)>>,
    /// Waiting pods by (priority descending, arrival order).
    pending: BTreeMap<(Reverse<i32>, u64), PendingPods>,
    pending_seq: u64,
    /// Pods quota admission refused; their controller recreates them when quota frees.
    refused: BTreeMap<(Reverse<i32>, u64), PendingPods>,
    /// ResourceQuotas of this cluster with what they count now.
    quotas: Vec<(ResourceQuota, ResourceList)>,
    summary: ResourceSummary,
    gpu_allocated_milli: Vec<u64>,
    gpu_capacity_milli: Vec<u64>,
    /// GPU pods per (node, affinity tag), for the tags in [`NodeFree::tags`].
    tag_counts: BTreeMap<(u32, u32), u32>,
    /// Per node claim, the most pods of it per node; 0 = no limit.
    claim_limits: Vec<u32>,
    /// Pods per (node, claim), for claims with a limit.
    claim_counts: BTreeMap<(u32, u16), u32>,
    /// Draws of the uniform placement policy and random device choice.
    rng: StreamRng,
    /// The workload fragmentation is measured against, if any.
    target: Option<std::sync::Arc<TargetWorkload>>,
    /// Each node's fragmentation in milli-GPU (rounded), when a target is set.
    node_fragment: Vec<u32>,
    /// Fragmentation per GPU model, the sum over its nodes.
    fragment_milli: Vec<u64>,
    /// Per node, how many faults hold it down (outages and failures may overlap); a node is
    /// out of the free-capacity index and of the summary while this is above 0.
    down: Vec<u16>,
    /// Nodes down now.
    n_down: usize,
    /// Cordoned nodes (a spot node under revocation notice): their pods keep running, no new
    /// pod is placed there.
    cordoned: BTreeSet<u32>,
    /// Idle nodes powering down, when the cluster's do.
    power: Option<power::PowerState>,
}

impl MemberCluster {
    /// A cluster with every node idle.
    pub fn new(id: ClusterId, cluster: &Cluster, n_gpu_models: usize) -> MemberCluster {
        let mut member = MemberCluster::without_nodes(id, n_gpu_models);
        for pool in &cluster.node_pools {
            member.add_pool(pool.shape, pool.count, &pool.labels, &pool.taints);
        }
        member.down = vec![0; member.node_free.len()];
        member
    }

    /// A lone cluster (id 0) of idle nodes without labels or taints, node `i` of shape
    /// `shapes[i]`, whose random draws (uniform placement, random devices) come from `draws`.
    /// Each run of identical consecutive shapes is one pool, so a pool's nodes stay a range.
    ///
    /// # Panics
    ///
    /// With more than 65,536 such runs.
    pub fn of_nodes(shapes: &[NodeShape], draws: StreamRng) -> MemberCluster {
        let n_gpu_models = shapes
            .iter()
            .filter_map(|shape| shape.gpu_model)
            .map(|model| usize::from(model.0) + 1)
            .max()
            .unwrap_or(0);
        let mut member = MemberCluster::without_nodes(ClusterId(0), n_gpu_models);
        member.rng = draws;
        for run in shapes.chunk_by(|a, b| a == b) {
            let count = u32::try_from(run.len()).expect("fewer than 2^32 nodes");
            member.add_pool(run[0], count, &Labels::default(), &[]);
        }
        assert!(
            member.pools.len() <= usize::from(u16::MAX) + 1,
            "{} pools: at most 65,536",
            member.pools.len()
        );
        member.down = vec![0; member.node_free.len()];
        member
    }

    fn without_nodes(id: ClusterId, n_gpu_models: usize) -> MemberCluster {
        MemberCluster {
            id,
            pools: Vec::new(),
            node_pool: Vec::new(),
            node_free: Vec::new(),
            buckets: BTreeMap::new(),
            estimates: std::cell::RefCell::new(Vec::new()),
            pending: BTreeMap::new(),
            pending_seq: 0,
            refused: BTreeMap::new(),
            quotas: Vec::new(),
            summary: ResourceSummary::default(),
            gpu_allocated_milli: vec![0; n_gpu_models],
            gpu_capacity_milli: vec![0; n_gpu_models],
            tag_counts: BTreeMap::new(),
            claim_limits: Vec::new(),
            claim_counts: BTreeMap::new(),
            rng: RngStreams::new(0).stream(&format!("member/{}", id.0)),
            target: None,
            node_fragment: Vec::new(),
            fragment_milli: vec![0; n_gpu_models],
            down: Vec::new(),
            n_down: 0,
            cordoned: BTreeSet::new(),
            power: None,
        }
    }

    /// Appends `count` idle nodes of `shape` as one pool.
    fn add_pool(&mut self, shape: NodeShape, count: u32, labels: &Labels, taints: &[Taint]) {
        let pool_idx = self.pools.len() as u16;
        // Claim 0, no selector and no toleration, keeps off pools with a hard taint.
        let admits = vec![NodeClaim::default().admits(labels, taints)];
        self.pools.push(Pool {
            shape,
            labels: labels.clone(),
            taints: taints.to_vec(),
            admits,
        });
        let free = NodeFree::of_shape(&shape);
        let first = self.node_free.len() as u32;
        self.node_pool
            .extend(std::iter::repeat_n(pool_idx, count as usize));
        self.node_free
            .extend(std::iter::repeat_n(free, count as usize));
        if count > 0 {
            self.buckets
                .entry((pool_idx, free))
                .or_default()
                .extend(first..first + count);
        }
        let n_nodes = i64::from(count);
        self.summary.allocatable.add(&ResourceList {
            cpu_milli: shape.cpu_milli as i64 * n_nodes,
            memory: shape.memory as i64 * n_nodes,
            pods: i64::from(shape.max_pods) * n_nodes,
            gpus: i64::from(shape.gpus) * n_nodes,
        });
        if let Some(model) = shape.gpu_model {
            self.gpu_capacity_milli[model.0 as usize] +=
                u64::from(count) * u64::from(shape.gpus) * 1000;
        }
    }

    /// The cluster's id.
    pub fn id(&self) -> ClusterId {
        self.id
    }

    /// `status.resourceSummary`, live.
    pub fn summary(&self) -> &ResourceSummary {
        &self.summary
    }

    /// Whether `node` is down.
    pub fn is_down(&self, node: u32) -> bool {
        self.down[node as usize] > 0
    }

    /// The index of `node`'s pool among the cluster's pools.
    pub fn node_pool_idx(&self, node: u32) -> usize {
        usize::from(self.node_pool[node as usize])
    }

    /// Nodes of pool `pool` that are up.
    pub fn pool_up_nodes(&self, pool: usize) -> u32 {
        self.pool_nodes(pool)
            .filter(|&node| !self.is_down(node))
            .count() as u32
    }

    /// Marks `node` unschedulable (`kubectl cordon`): pods there stay, new ones go elsewhere.
    /// The estimators still count its free room, as they do a node's until its status
    /// changes; a cordon lasts a revocation notice, seconds to minutes.
    pub fn cordon(&mut self, node: u32) {
        self.cordoned.insert(node);
    }

    /// Makes `node` schedulable again.
    pub fn uncordon(&mut self, node: u32) {
        self.cordoned.remove(&node);
    }

    /// Whether `node` is cordoned.
    pub fn is_cordoned(&self, node: u32) -> bool {
        self.cordoned.contains(&node)
    }

    /// The nodes of pool `pool` (index into the cluster's pools), as a range of node indices.
    pub fn pool_nodes(&self, pool: usize) -> std::ops::Range<u32> {
        let start = self.node_pool.partition_point(|p| usize::from(*p) < pool) as u32;
        let end = self.node_pool.partition_point(|p| usize::from(*p) <= pool) as u32;
        start..end
    }

    /// Milli-GPU of `model` held by pods.
    pub fn gpu_allocated_milli(&self, model: GpuModelId) -> u64 {
        self.gpu_allocated_milli[model.0 as usize]
    }

    /// Milli-GPU of `model` on the cluster's nodes.
    pub fn gpu_capacity_milli(&self, model: GpuModelId) -> u64 {
        self.gpu_capacity_milli[model.0 as usize]
    }

    /// The GPU model of a node.
    pub fn node_gpu_model(&self, node: u32) -> Option<GpuModelId> {
        self.pools[self.node_pool[node as usize] as usize]
            .shape
            .gpu_model
    }

    /// The shape of a node.
    pub fn node_shape(&self, node: u32) -> &NodeShape {
        &self.pools[self.node_pool[node as usize] as usize].shape
    }

    /// What is free on a node.
    pub fn node_free(&self, node: u32) -> &NodeFree {
        &self.node_free[node as usize]
    }

    /// Number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.node_free.len()
    }

    /// Pods waiting for a node.
    pub fn n_pending_pods(&self) -> u64 {
        self.pending.values().map(|p| u64::from(p.n_pods)).sum()
    }

    /// The waiting pod groups with their priority, in the order they are retried.
    pub fn pending_with_priority(&self) -> impl Iterator<Item = (i32, &PendingPods)> {
        self.pending
            .iter()
            .map(|((Reverse(priority), _), group)| (*priority, group))
    }

    /// The waiting pod groups, in the order they are retried.
    pub fn pending_groups(&self) -> impl Iterator<Item = &PendingPods> {
        self.pending.values()
    }

    /// Checks the index against the node states; for tests and debug builds.
    pub fn check_invariants(&self) -> Result<(), String> {
        self.check_index()?;
        self.check_quotas()?;
        self.check_claims()?;
        if self.summary.allocated.pods < 0 || self.summary.allocating.pods < 0 {
            return Err(format!(
                "cluster {}: negative pod counts in the summary",
                self.id.0
            ));
        }
        Ok(())
    }
}

fn within_shape(free: &NodeFree, shape: &NodeShape) -> bool {
    free.cpu_milli <= shape.cpu_milli
        && free.memory <= shape.memory
        && free.pods <= shape.max_pods
        && free.gpus <= shape.gpus
        && free.devices.len() == shape.gpus as usize
        && free.gpus >= free.devices.n_whole_free()
}

/// Whether `pod` fits a node of `shape` with `free` left: CPU, memory and a pod slot, and for
/// a GPU pod an allowed model and devices with room (one device for a share, whole free
/// devices otherwise).
pub fn fits(pod: &PodRequest, shape: &NodeShape, free: &NodeFree) -> bool {
    pod.cpu_milli <= free.cpu_milli
        && pod.memory <= free.memory
        && free.pods >= 1
        && (pod.gpu.count == 0
            || (pod.gpu.models.allows(shape.gpu_model) && free.devices.fits(&pod.gpu)))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod gpu_tests;

#[cfg(test)]
mod estimate_tests;
