//! Member clusters: nodes, pods bound to them, pods waiting, and the placement policies that
//! choose a node for each pod (the member's kube-scheduler).
//!
//! Nodes are aggregated: identical nodes in the same state share one bucket of a free-capacity
//! index, so choosing a node costs one fit check and one score per distinct (pool, free state)
//! pair, not per node. A pool of a thousand idle nodes is one bucket until pods set them apart.

mod best_fit;
pub mod devices;
mod dot_prod;
pub mod fgd;
mod gpu_clustering;
mod gpu_packing;
mod least_allocated;
mod most_allocated;
pub mod preemption;
mod random;
mod registry;

pub use best_fit::BestFit;
pub use devices::{DeviceMask, Devices};
pub use dot_prod::DotProd;
pub use fgd::{Fgd, TargetWorkload};
pub use gpu_clustering::GpuClustering;
pub use gpu_packing::GpuPacking;
pub use least_allocated::LeastAllocated;
pub use most_allocated::MostAllocated;
pub use random::Random;
pub use registry::{PLACEMENT_NAMES, canonical_placement_name, placement_by_name, placement_with};

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use sim_core::model::{
    Cluster, ClusterId, GpuModelId, JobId, NamespaceId, NodeShape, PodRequest, PriorityClassId,
};
use sim_core::rng::{RngStreams, StreamRng};

use crate::estimator::{ModelGrade, NodeClaim, ResourceList, ResourceSummary};
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
    /// Whole free GPU devices (the `nvidia.com/gpu` count the estimators see).
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

/// CPU that the FGD study's dot-product and best-fit policies divide by (128 cores).
pub const NORM_CPU_MILLI: u64 = 128_000;
/// GPU milli that the FGD study's dot-product, best-fit and clustering policies divide by
/// (8 GPUs).
pub const NORM_GPU_MILLI: u64 = 8_000;

/// What DotProd, BestFit and GpuClustering divide a node's CPU and GPU by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Normalization {
    /// Each node's own allocatable CPU and GPU, so scores stay within 0–100 whatever the node
    /// shape (a 16-GPU node is full at 16 GPUs, not at 8). What scenarios use.
    NodeCapacity,
    /// The same maxima for every node, as the FGD study's simulator does with its 128-core,
    /// 8-GPU nodes ([`Normalization::STUDY`]); scores leave 0–100 on larger nodes.
    Fixed {
        /// CPU milli-cores.
        cpu_milli: u64,
        /// GPU milli.
        gpu_milli: u64,
    },
}

impl Normalization {
    /// The FGD study's constants, for its reproduction.
    pub const STUDY: Normalization = Normalization::Fixed {
        cpu_milli: NORM_CPU_MILLI,
        gpu_milli: NORM_GPU_MILLI,
    };

    /// The CPU and GPU milli maxima for a node of `shape`; at least 1, so a node without GPUs
    /// divides nothing by 1 rather than by 0.
    pub fn maxima(self, shape: &NodeShape) -> (f64, f64) {
        let (cpu, gpu) = match self {
            Normalization::NodeCapacity => (shape.cpu_milli, u64::from(shape.gpus) * 1000),
            Normalization::Fixed {
                cpu_milli,
                gpu_milli,
            } => (cpu_milli, gpu_milli),
        };
        (cpu.max(1) as f64, gpu.max(1) as f64)
    }
}

/// How a policy's scores become the choice of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    /// The highest score; ties to the lowest node index.
    Highest,
    /// The highest score after min–max normalisation to `0..=100` over the nodes that fit
    /// (integer division; all equal → all 0); ties to the lowest node index.
    Normalized,
    /// A uniform draw over the nodes that fit, in node-index order; scores are ignored.
    Uniform,
}

/// Chooses nodes (and devices inside them) for pods: one member cluster's kube-scheduler score
/// plugin. A new policy is one type implementing this trait plus one line in the registry.
pub trait PlacementPolicy {
    /// The policy's registered name.
    fn name(&self) -> &'static str;
    /// Score of a node of `shape` with `free` resources left, for `pod` (which fits); higher is
    /// better.
    fn score(&self, pod: &PodRequest, shape: &NodeShape, free: &NodeFree) -> i64;
    /// How scores become a choice.
    fn choice(&self) -> Choice {
        Choice::Highest
    }
    /// The device a GPU share (one device, less than 1000 milli) goes to on the chosen node;
    /// `draw(n)` gives a uniform number below `n`. By default the tightest device that fits.
    fn share_device(
        &self,
        pod: &PodRequest,
        _shape: &NodeShape,
        free: &NodeFree,
        _draw: &mut dyn FnMut(u32) -> u32,
    ) -> usize {
        free.devices
            .tightest(pod.gpu.milli_per_gpu)
            .expect("the pod fits")
    }
    /// Whether scores depend on the pod's memory request (callers that cache scores by pod
    /// shape leave memory out of the key otherwise).
    fn reads_memory(&self) -> bool {
        false
    }
}

/// Kubernetes' `NodeResourcesFit` arithmetic shared by the allocation-based policies: the
/// weighted mean over cpu, memory and GPU milli (weight 1 each; resources the node lacks are
/// skipped) of `per_resource(requested after placing, capacity)`, in integer arithmetic.
pub fn resource_allocation_score(
    pod: &PodRequest,
    shape: &NodeShape,
    free: &NodeFree,
    per_resource: fn(u64, u64) -> u64,
) -> i64 {
    let gpu_capacity = u64::from(shape.gpus) * u64::from(devices::DEVICE_MILLI);
    let dims = [
        (
            shape.cpu_milli,
            shape.cpu_milli - free.cpu_milli + pod.cpu_milli,
        ),
        (shape.memory, shape.memory - free.memory + pod.memory),
        (
            gpu_capacity,
            gpu_capacity - u64::from(free.devices.total_free()) + pod.gpu.total_milli(),
        ),
    ];
    let mut total = 0;
    let mut n_weights = 0;
    for (capacity, requested) in dims {
        if capacity == 0 {
            continue;
        }
        total += if requested > capacity {
            0
        } else {
            per_resource(requested, capacity)
        };
        n_weights += 1;
    }
    total.checked_div(n_weights).unwrap_or(0) as i64
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
    labels: sim_core::model::Labels,
    taints: Vec<sim_core::model::Taint>,
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
}

impl MemberCluster {
    /// A cluster with every node idle.
    pub fn new(id: ClusterId, cluster: &Cluster, n_gpu_models: usize) -> MemberCluster {
        let mut member = MemberCluster {
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
        };
        for (pool_idx, pool) in cluster.node_pools.iter().enumerate() {
            let pool_idx = pool_idx as u16;
            // Claim 0, no selector and no toleration, keeps off pools with a hard taint.
            let admits = vec![NodeClaim::default().admits(&pool.labels, &pool.taints)];
            member.pools.push(Pool {
                shape: pool.shape,
                labels: pool.labels.clone(),
                taints: pool.taints.clone(),
                admits,
            });
            let free = NodeFree::of_shape(&pool.shape);
            let first = member.node_free.len() as u32;
            member
                .node_pool
                .extend(std::iter::repeat_n(pool_idx, pool.count as usize));
            member
                .node_free
                .extend(std::iter::repeat_n(free, pool.count as usize));
            if pool.count > 0 {
                member
                    .buckets
                    .entry((pool_idx, free))
                    .or_default()
                    .extend(first..first + pool.count);
            }
            let count = i64::from(pool.count);
            member.summary.allocatable.add(&ResourceList {
                cpu_milli: pool.shape.cpu_milli as i64 * count,
                memory: pool.shape.memory as i64 * count,
                pods: i64::from(pool.shape.max_pods) * count,
                gpus: i64::from(pool.shape.gpus) * count,
            });
            if let Some(model) = pool.shape.gpu_model {
                member.gpu_capacity_milli[model.0 as usize] +=
                    u64::from(pool.count) * u64::from(pool.shape.gpus) * 1000;
            }
        }
        member.down = vec![0; member.node_free.len()];
        member
    }

    /// Takes `node` down for one more fault. Its pods must have been released first (they
    /// are lost with it). Returns whether the node just went down (it was up).
    pub fn node_down(&mut self, node: u32) -> bool {
        let idx = node as usize;
        self.down[idx] += 1;
        if self.down[idx] > 1 {
            return false;
        }
        let pool_idx = self.node_pool[idx];
        let shape = self.pools[usize::from(pool_idx)].shape;
        debug_assert_eq!(
            self.node_free[idx],
            NodeFree::of_shape(&shape),
            "a node goes down without pods"
        );
        let key = (pool_idx, self.node_free[idx]);
        self.adjust_estimates(pool_idx, &self.node_free[idx].clone(), -1);
        if let Some(set) = self.buckets.get_mut(&key) {
            set.remove(&node);
            if set.is_empty() {
                self.buckets.remove(&key);
            }
        }
        self.summary
            .allocatable
            .sub(&ResourceList::of_shape(&shape));
        if let Some(model) = shape.gpu_model {
            self.gpu_capacity_milli[model.0 as usize] -= u64::from(shape.gpus) * 1000;
            if let Some(fragment) = self.node_fragment.get_mut(idx) {
                self.fragment_milli[model.0 as usize] -= u64::from(*fragment);
                *fragment = 0;
            }
        }
        self.n_down += 1;
        true
    }

    /// Ends one fault holding `node` down; returns whether the node just came back (idle).
    pub fn node_up(&mut self, node: u32) -> bool {
        let idx = node as usize;
        debug_assert!(self.down[idx] > 0, "node {node} is not down");
        self.down[idx] -= 1;
        if self.down[idx] > 0 {
            return false;
        }
        let pool_idx = self.node_pool[idx];
        let shape = self.pools[usize::from(pool_idx)].shape;
        self.adjust_estimates(pool_idx, &self.node_free[idx].clone(), 1);
        self.buckets
            .entry((pool_idx, self.node_free[idx]))
            .or_default()
            .insert(node);
        self.summary
            .allocatable
            .add(&ResourceList::of_shape(&shape));
        if let Some(model) = shape.gpu_model {
            self.gpu_capacity_milli[model.0 as usize] += u64::from(shape.gpus) * 1000;
        }
        self.refresh_fragment(node);
        self.n_down -= 1;
        true
    }

    /// Whether `node` is down.
    pub fn is_down(&self, node: u32) -> bool {
        self.down[node as usize] > 0
    }

    /// The nodes of pool `pool` (index into the cluster's pools), as a range of node indices.
    pub fn pool_nodes(&self, pool: usize) -> std::ops::Range<u32> {
        let start = self.node_pool.partition_point(|p| usize::from(*p) < pool) as u32;
        let end = self.node_pool.partition_point(|p| usize::from(*p) <= pool) as u32;
        start..end
    }

    /// The cluster's id.
    pub fn id(&self) -> ClusterId {
        self.id
    }

    /// `status.resourceSummary`, live.
    pub fn summary(&self) -> &ResourceSummary {
        &self.summary
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

    /// Number of distinct (pool, free state) buckets in the index.
    pub fn n_buckets(&self) -> usize {
        self.buckets.len()
    }

    /// Pods waiting for a node.
    pub fn n_pending_pods(&self) -> u64 {
        self.pending.values().map(|p| u64::from(p.n_pods)).sum()
    }

    /// `status.resourceSummary.allocatableModelings`: how many nodes fall in each grade of
    /// `grades`, a node's grade being, over the resources the model describes, the lowest of
    /// the last grade whose minimum its free amount reaches (Karmada's `getIndex`).
    pub fn grade_counts(&self, grades: &[ModelGrade]) -> Vec<(u32, i64)> {
        let mut counts: Vec<(u32, i64)> = grades.iter().map(|g| (g.grade, 0)).collect();
        for ((_, free), nodes) in &self.buckets {
            let free_of = |name: &str| match name {
                "cpu" => free.cpu_milli as i64,
                "memory" => free.memory as i64,
                "nvidia.com/gpu" => i64::from(free.gpus),
                "pods" => i64::from(free.pods),
                _ => 0,
            };
            let names: Vec<&str> = grades
                .iter()
                .flat_map(|g| g.minimums.iter().map(|(n, _)| n.as_str()))
                .collect();
            let mut grade_idx = grades.len().saturating_sub(1);
            for name in names {
                let reached = grades
                    .iter()
                    .rposition(|g| {
                        g.minimums
                            .iter()
                            .find(|(n, _)| n == name)
                            .is_none_or(|(_, min)| *min <= free_of(name))
                    })
                    .unwrap_or(0);
                grade_idx = grade_idx.min(reached);
            }
            if let Some(entry) = counts.get_mut(grade_idx) {
                entry.1 += nodes.len() as i64;
            }
        }
        counts
    }

    /// Karmada's accurate estimator over this cluster's live nodes: Σ over nodes that can take
    /// the pod (a pool its node claim admits, an allowed GPU model) of `min(free pod slots, free / request)`.
    /// Nodes in one bucket are identical, so each bucket costs one division.
    pub fn accurate_replicas(&self, pod: &PodRequest) -> i64 {
        /// Shapes kept current; every node change updates each, so few.
        const MAX_CACHED: usize = 16;
        let mut cache = self.estimates.borrow_mut();
        if let Some((_, answer)) = cache.iter().find(|(shape, _)| shape == pod) {
            debug_assert_eq!(*answer, self.count_replicas(pod), "stale estimate");
            return *answer;
        }
        let total = self.count_replicas(pod);
        if cache.len() == MAX_CACHED {
            cache.remove(0);
        }
        cache.push((*pod, total));
        total
    }

    fn count_replicas(&self, pod: &PodRequest) -> i64 {
        self.buckets
            .iter()
            .map(|((pool_idx, free), nodes)| {
                replicas_on_node(&self.pools[*pool_idx as usize], free, pod) * nodes.len() as i64
            })
            .sum()
    }

    /// Adds (`sign` 1) or takes away (-1) a node of `pool_idx` in state `free` from the cached
    /// estimates.
    fn adjust_estimates(&mut self, pool_idx: u16, free: &NodeFree, sign: i64) {
        let pool = &self.pools[usize::from(pool_idx)];
        for (shape, total) in self.estimates.get_mut().iter_mut() {
            *total += sign * replicas_on_node(pool, free, shape);
        }
    }

    /// Karmada's accurate estimator for `spec.components` (`scheduling_simulator_components`):
    /// complete sets placed one at a time on a copy of the live nodes, each component's
    /// replicas first-fit over the nodes in index order (only nodes its node claim and GPU
    /// models admit), until a set does not fit; the sets that fitted.
    pub fn accurate_sets(&self, components: &[(i64, PodRequest)]) -> i64 {
        // (cpu, memory, pods, gpus) left on each node as the simulation fills it.
        let mut left: Vec<Option<[u64; 4]>> = vec![None; self.node_free.len()];
        let mut eligible: Vec<Vec<u32>> = Vec::with_capacity(components.len());
        for (_, pod) in components {
            let nodes = (0..self.node_free.len() as u32)
                .filter(|&node| {
                    !self.is_down(node)
                        && self.pools[usize::from(self.node_pool[node as usize])].takes(pod)
                })
                .collect();
            eligible.push(nodes);
        }
        // Free only shrinks during the simulation, so a node that could not take a component's
        // pod never can again: each component's search resumes where it stopped.
        let mut cursor = vec![0usize; components.len()];
        let mut sets = 0;
        loop {
            for (idx, (replicas, pod)) in components.iter().enumerate() {
                let need = [pod.cpu_milli, pod.memory, 1, u64::from(pod.gpu.count)];
                for _ in 0..*replicas {
                    let nodes = &eligible[idx];
                    loop {
                        let Some(&node) = nodes.get(cursor[idx]) else {
                            return sets;
                        };
                        let free = left[node as usize].get_or_insert_with(|| {
                            let f = &self.node_free[node as usize];
                            [f.cpu_milli, f.memory, u64::from(f.pods), u64::from(f.gpus)]
                        });
                        if free.iter().zip(&need).all(|(f, n)| f >= n) {
                            for (f, n) in free.iter_mut().zip(&need) {
                                *f -= n;
                            }
                            break;
                        }
                        cursor[idx] += 1;
                    }
                }
            }
            sets += 1;
        }
    }

    /// Measures fragmentation against `target` from now on (the FGD paper's measure: the free
    /// GPU milli the target's pod types could not use, weighted by popularity).
    pub fn set_fragmentation_target(&mut self, target: std::sync::Arc<TargetWorkload>) {
        self.target = Some(target);
        self.node_fragment = vec![0; self.node_free.len()];
        self.fragment_milli.fill(0);
        for node in 0..self.node_free.len() as u32 {
            self.refresh_fragment(node);
        }
    }

    /// Fragmentation of the nodes of `model`, in milli-GPU; 0 without a target.
    pub fn fragment_milli(&self, model: GpuModelId) -> u64 {
        self.fragment_milli[model.0 as usize]
    }

    fn refresh_fragment(&mut self, node: u32) {
        let Some(target) = &self.target else {
            return;
        };
        let shape = &self.pools[usize::from(self.node_pool[node as usize])].shape;
        let Some(model) = shape.gpu_model else {
            return;
        };
        let free = &self.node_free[node as usize];
        let fragment = target
            .fragmentation(free.cpu_milli, &free.devices, Some(model))
            .round() as u32;
        let total = &mut self.fragment_milli[model.0 as usize];
        *total = *total - u64::from(self.node_fragment[node as usize]) + u64::from(fragment);
        self.node_fragment[node as usize] = fragment;
    }

    /// Seeds the cluster's random draws from the run's streams.
    pub fn seed(&mut self, streams: &RngStreams) {
        self.rng = streams.stream(&format!("member/{}", self.id.0));
    }

    /// Whether a node of `pool` in state `free` can take `pod`.
    fn admits(&self, pool_idx: u16, free: &NodeFree, pod: &PodRequest) -> bool {
        let pool = &self.pools[usize::from(pool_idx)];
        pool.admits
            .get(usize::from(pod.node_claim))
            .copied()
            .unwrap_or(false)
            && fits(pod, &pool.shape, free)
    }

    /// The node for `pod` under `policy` (see [`Choice`]); ties go to the lowest node index.
    pub fn choose_node(&mut self, pod: &PodRequest, policy: &dyn PlacementPolicy) -> Option<u32> {
        match policy.choice() {
            Choice::Uniform => {
                let mut nodes: Vec<u32> = self
                    .buckets
                    .iter()
                    .filter(|((pool_idx, free), _)| self.admits(*pool_idx, free, pod))
                    .flat_map(|(_, nodes)| nodes.iter().copied())
                    .filter(|node| self.below_limit(*node, pod))
                    .collect();
                if nodes.is_empty() {
                    return None;
                }
                nodes.sort_unstable();
                let pick = rand::RngExt::random_range(&mut self.rng, 0..nodes.len());
                Some(nodes[pick])
            }
            choice => {
                let scored = self
                    .buckets
                    .iter()
                    .filter(|((pool_idx, free), _)| self.admits(*pool_idx, free, pod))
                    .filter_map(|((pool_idx, free), nodes)| {
                        let shape = &self.pools[usize::from(*pool_idx)].shape;
                        // Identical nodes score alike: the lowest-index one the claim's
                        // per-node limit still allows.
                        let node = nodes.iter().copied().find(|n| self.below_limit(*n, pod))?;
                        Some((policy.score(pod, shape, free), node))
                    });
                best_node(scored, choice == Choice::Normalized)
            }
        }
    }

    /// Whether `node` may take another pod of `pod`'s claim.
    fn below_limit(&self, node: u32, pod: &PodRequest) -> bool {
        match self.claim_limits.get(usize::from(pod.node_claim)) {
            Some(&limit) if limit > 0 => {
                self.claim_counts
                    .get(&(node, pod.node_claim))
                    .copied()
                    .unwrap_or(0)
                    < limit
            }
            _ => true,
        }
    }

    /// Counts (`delta` 1) or uncounts (−1) a pod against its claim's per-node limit.
    fn count_claim(&mut self, node: u32, pod: &PodRequest, delta: i32) {
        if self
            .claim_limits
            .get(usize::from(pod.node_claim))
            .is_some_and(|limit| *limit > 0)
        {
            let key = (node, pod.node_claim);
            let count = self.claim_counts.entry(key).or_default();
            *count = count.saturating_add_signed(delta);
            if *count == 0 {
                self.claim_counts.remove(&key);
            }
        }
    }

    /// Chooses a node for `pod` and binds it there with the devices `policy` picks.
    pub fn place(
        &mut self,
        pod: &PodRequest,
        policy: &dyn PlacementPolicy,
    ) -> Option<(u32, DeviceMask)> {
        let node = self.choose_node(pod, policy)?;
        let free = self.node_free[node as usize];
        let shape = *self.node_shape(node);
        let share =
            (pod.gpu.count == 1 && pod.gpu.milli_per_gpu < devices::DEVICE_MILLI).then(|| {
                let rng = &mut self.rng;
                let mut draw = |n: u32| rand::RngExt::random_range(rng, 0..n);
                policy.share_device(pod, &shape, &free, &mut draw)
            });
        let mask = free.devices.mask_for(&pod.gpu, share);
        self.bind(node, pod, mask);
        Some((node, mask))
    }

    fn rebucket(&mut self, node: u32, new_free: NodeFree) {
        let pool_idx = self.node_pool[node as usize];
        let old_key = (pool_idx, self.node_free[node as usize]);
        self.adjust_estimates(pool_idx, &old_key.1, -1);
        self.adjust_estimates(pool_idx, &new_free, 1);
        if let Some(set) = self.buckets.get_mut(&old_key) {
            set.remove(&node);
            if set.is_empty() {
                self.buckets.remove(&old_key);
            }
        }
        self.node_free[node as usize] = new_free;
        self.buckets
            .entry((pool_idx, new_free))
            .or_default()
            .insert(node);
        self.refresh_fragment(node);
    }

    /// Binds `pod` to `node` (which must fit it), on the devices in `devices`.
    pub fn bind(&mut self, node: u32, pod: &PodRequest, devices: DeviceMask) {
        let mut free = self.node_free[node as usize];
        debug_assert!(
            fits(pod, self.node_shape(node), &free),
            "node over-allocated"
        );
        debug_assert_eq!(devices.count_ones(), pod.gpu.count, "one device per GPU");
        free.cpu_milli -= pod.cpu_milli;
        free.memory -= pod.memory;
        free.pods -= 1;
        free.devices.take(devices, pod.gpu.milli_per_gpu);
        free.gpus = free.devices.n_whole_free();
        debug_assert!(self.below_limit(node, pod), "per-node limit exceeded");
        self.count_claim(node, pod, 1);
        let tag = devices::gpu_tag(&pod.gpu);
        if tag != 0 {
            *self.tag_counts.entry((node, tag)).or_default() += 1;
            free.tags |= tag;
        }
        self.rebucket(node, free);
        self.summary.allocated.add(&ResourceList::of_pods(pod, 1));
        if let Some(model) = self.node_gpu_model(node) {
            self.gpu_allocated_milli[model.0 as usize] += pod.gpu.total_milli();
        }
    }

    /// Sets the scenario's node claims (index 0 is the empty claim): which pools each admits.
    pub fn set_node_claims(&mut self, claims: &[NodeClaim]) {
        self.claim_limits = claims
            .iter()
            .map(|claim| claim.per_node_limit.as_ref().map_or(0, |l| l.max.max(1)))
            .collect();
        for pool in &mut self.pools {
            pool.admits = claims
                .iter()
                .map(|claim| claim.admits(&pool.labels, &pool.taints))
                .collect();
            if pool.admits.is_empty() {
                pool.admits
                    .push(NodeClaim::default().admits(&pool.labels, &pool.taints));
            }
        }
    }

    /// Adds a ResourceQuota to a namespace of this cluster.
    pub fn add_quota(&mut self, quota: ResourceQuota) {
        self.quotas.push((quota, ResourceList::default()));
    }

    /// Whether quota admission lets `n_pods` pods of `pods` be created.
    fn quota_admits(&self, pods: &PendingPods, n_pods: i64) -> bool {
        let extra = ResourceList::of_pods(&pods.request, n_pods);
        self.quotas
            .iter()
            .filter(|(quota, _)| quota.applies(pods.namespace, pods.priority_class))
            .all(|(quota, used)| quota.hard.admits(used, &extra))
    }

    /// Counts (`n_pods` > 0) or uncounts pods in the quotas that apply to them.
    fn charge_quota(
        &mut self,
        namespace: NamespaceId,
        priority_class: Option<PriorityClassId>,
        request: &PodRequest,
        n_pods: i64,
    ) {
        let delta = ResourceList::of_pods(request, n_pods);
        for (quota, used) in &mut self.quotas {
            if quota.applies(namespace, priority_class) {
                used.add(&delta);
            }
        }
    }

    /// Karmada's ResourceQuota estimator plugin over this cluster's quotas: the fewest replicas
    /// any applicable quota still allows; `None` when none constrains the request.
    pub fn quota_replicas(
        &self,
        namespace: NamespaceId,
        priority_class: Option<PriorityClassId>,
        request: &PodRequest,
    ) -> Option<i64> {
        self.quotas
            .iter()
            .filter(|(quota, _)| quota.applies(namespace, priority_class))
            .filter_map(|(quota, used)| quota.hard.replicas(used, request))
            .min()
    }

    /// The ResourceQuota plugin for `spec.components`: the fewest complete sets (each asking
    /// `per_set`) any applicable quota still allows; `None` when none constrains them.
    pub fn quota_sets(
        &self,
        namespace: NamespaceId,
        priority_class: Option<PriorityClassId>,
        per_set: &ResourceList,
    ) -> Option<i64> {
        self.quotas
            .iter()
            .filter(|(quota, _)| quota.applies(namespace, priority_class))
            .filter_map(|(quota, used)| quota.hard.units(used, per_set))
            .min()
    }

    /// What the quotas of `namespace` count and allow now: (GPUs used, GPU limit) summed over
    /// the quotas that limit GPUs.
    pub fn quota_gpus(&self, namespace: NamespaceId) -> (i64, i64) {
        self.quotas
            .iter()
            .filter(|(quota, _)| quota.namespace == namespace)
            .filter_map(|(quota, used)| quota.hard.gpu_limit().map(|limit| (used.gpus, limit)))
            .fold((0, 0), |(u, l), (used, limit)| (u + used, l + limit))
    }

    /// Pods refused by quota admission, waiting to be recreated.
    pub fn n_refused_pods(&self) -> u64 {
        self.refused.values().map(|p| u64::from(p.n_pods)).sum()
    }

    /// Frees what `pod` of `namespace` held on `node` and its `devices`.
    pub fn release_owned(
        &mut self,
        node: u32,
        pod: &PodRequest,
        devices: DeviceMask,
        namespace: NamespaceId,
        priority_class: Option<PriorityClassId>,
    ) {
        self.charge_quota(namespace, priority_class, pod, -1);
        self.release(node, pod, devices);
    }

    /// Frees what `pod` held on `node` and its `devices`.
    pub fn release(&mut self, node: u32, pod: &PodRequest, devices: DeviceMask) {
        let mut free = self.node_free[node as usize];
        free.cpu_milli += pod.cpu_milli;
        free.memory += pod.memory;
        free.pods += 1;
        free.devices.give(devices, pod.gpu.milli_per_gpu);
        free.gpus = free.devices.n_whole_free();
        self.count_claim(node, pod, -1);
        let tag = devices::gpu_tag(&pod.gpu);
        if tag != 0
            && let std::collections::btree_map::Entry::Occupied(mut entry) =
                self.tag_counts.entry((node, tag))
        {
            *entry.get_mut() -= 1;
            if *entry.get() == 0 {
                entry.remove();
                free.tags &= !tag;
            }
        }
        debug_assert!(
            within_shape(&free, self.node_shape(node)),
            "released more than was bound"
        );
        self.rebucket(node, free);
        self.summary.allocated.sub(&ResourceList::of_pods(pod, 1));
        if let Some(model) = self.node_gpu_model(node) {
            self.gpu_allocated_milli[model.0 as usize] -= pod.gpu.total_milli();
        }
    }

    /// New pods from the control plane: each is placed at once if a node fits, else waits.
    pub fn submit(
        &mut self,
        pods: PendingPods,
        priority: i32,
        policy: &dyn PlacementPolicy,
        bound: &mut Vec<Binding>,
    ) {
        // Quota admission: the pods that fit the namespace's quotas are created; the rest are
        // refused and recreated by their controller when quota frees.
        let mut admitted = pods.n_pods;
        while admitted > 0 && !self.quota_admits(&pods, i64::from(admitted)) {
            admitted -= 1;
        }
        if admitted < pods.n_pods {
            self.pending_seq += 1;
            self.refused.insert(
                (Reverse(priority), self.pending_seq),
                PendingPods {
                    n_pods: pods.n_pods - admitted,
                    ..pods
                },
            );
        }
        self.charge_quota(
            pods.namespace,
            pods.priority_class,
            &pods.request,
            i64::from(admitted),
        );
        let pods = PendingPods {
            n_pods: admitted,
            ..pods
        };
        let mut left = pods.n_pods;
        while left > 0 {
            let Some((node, devices)) = self.place(&pods.request, policy) else {
                break;
            };
            bound.push(Binding {
                job: pods.job,
                node,
                devices,
                request: pods.request,
                component: pods.component,
            });
            left -= 1;
        }
        if left > 0 {
            let waiting = PendingPods {
                n_pods: left,
                ..pods
            };
            self.summary
                .allocating
                .add(&ResourceList::of_pods(&pods.request, i64::from(left)));
            self.pending_seq += 1;
            self.pending
                .insert((Reverse(priority), self.pending_seq), waiting);
        }
    }

    /// Retries waiting pods in priority order after capacity freed; a request that failed once
    /// in this pass is not tried again for later identical pods.
    pub fn retry_pending(&mut self, policy: &dyn PlacementPolicy, bound: &mut Vec<Binding>) {
        self.readmit_refused();
        if self.pending.is_empty() {
            return;
        }
        let mut failed: Vec<PodRequest> = Vec::new();
        let keys: Vec<(Reverse<i32>, u64)> = self.pending.keys().copied().collect();
        for key in keys {
            let group = self.pending[&key];
            if failed.contains(&group.request) {
                continue;
            }
            let mut left = group.n_pods;
            while left > 0 {
                let Some((node, devices)) = self.place(&group.request, policy) else {
                    failed.push(group.request);
                    break;
                };
                self.summary
                    .allocating
                    .sub(&ResourceList::of_pods(&group.request, 1));
                bound.push(Binding {
                    job: group.job,
                    node,
                    devices,
                    request: group.request,
                    component: group.component,
                });
                left -= 1;
            }
            if left == 0 {
                self.pending.remove(&key);
            } else if let Some(entry) = self.pending.get_mut(&key) {
                entry.n_pods = left;
            }
        }
    }

    /// Drops up to `n_pods` waiting pods of `job` (of one component, if given), newest groups first: pods quota refused
    /// (never created) before pods waiting for a node; returns how many.
    pub fn remove_pending_of(&mut self, job: JobId, component: Option<u8>, n_pods: u32) -> u32 {
        let mut left = n_pods;
        let mine = |g: &PendingPods| g.job == job && component.is_none_or(|c| g.component == c);
        let refused: Vec<_> = self
            .refused
            .iter()
            .rev()
            .filter(|(_, g)| mine(g))
            .map(|(k, _)| *k)
            .collect();
        for key in refused {
            let group = self.refused.get_mut(&key).expect("listed");
            let taken = group.n_pods.min(left);
            group.n_pods -= taken;
            left -= taken;
            if group.n_pods == 0 {
                self.refused.remove(&key);
            }
        }
        let waiting: Vec<_> = self
            .pending
            .iter()
            .rev()
            .filter(|(_, g)| mine(g))
            .map(|(k, _)| *k)
            .collect();
        for key in waiting {
            if left == 0 {
                break;
            }
            let group = self.pending.get_mut(&key).expect("listed");
            let taken = group.n_pods.min(left);
            group.n_pods -= taken;
            left -= taken;
            let removed = *group;
            if group.n_pods == 0 {
                self.pending.remove(&key);
            }
            self.summary
                .allocating
                .sub(&ResourceList::of_pods(&removed.request, i64::from(taken)));
            self.charge_quota(
                removed.namespace,
                removed.priority_class,
                &removed.request,
                -i64::from(taken),
            );
        }
        n_pods - left
    }

    /// Recreates pods quota refused, in priority order, as far as quotas now allow; they then
    /// wait for a node like any other pod.
    fn readmit_refused(&mut self) {
        let keys: Vec<_> = self.refused.keys().copied().collect();
        for key in keys {
            let group = self.refused[&key];
            let mut admitted = group.n_pods;
            while admitted > 0 && !self.quota_admits(&group, i64::from(admitted)) {
                admitted -= 1;
            }
            if admitted == 0 {
                continue;
            }
            self.charge_quota(
                group.namespace,
                group.priority_class,
                &group.request,
                i64::from(admitted),
            );
            self.summary
                .allocating
                .add(&ResourceList::of_pods(&group.request, i64::from(admitted)));
            self.pending.insert(
                key,
                PendingPods {
                    n_pods: admitted,
                    ..group
                },
            );
            if admitted == group.n_pods {
                self.refused.remove(&key);
            } else if let Some(rest) = self.refused.get_mut(&key) {
                rest.n_pods -= admitted;
            }
        }
    }

    /// Drops every waiting pod of `job` (the job left the cluster); returns how many.
    pub fn remove_pending(&mut self, job: JobId) -> u32 {
        self.remove_pending_of(job, None, u32::MAX)
    }

    /// Checks the index against the node states; for tests and debug builds.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut n_indexed = 0;
        for ((pool_idx, free), nodes) in &self.buckets {
            let shape = &self.pools[*pool_idx as usize].shape;
            if !within_shape(free, shape) {
                return Err(format!(
                    "cluster {}: free state {free:?} exceeds its shape",
                    self.id.0
                ));
            }
            for node in nodes {
                if self.node_free[*node as usize] != *free
                    || self.node_pool[*node as usize] != *pool_idx
                {
                    return Err(format!(
                        "cluster {}: node {node} is in the wrong bucket",
                        self.id.0
                    ));
                }
            }
            n_indexed += nodes.len();
        }
        if n_indexed + self.n_down != self.node_free.len() {
            return Err(format!(
                "cluster {}: {n_indexed} nodes indexed and {} down of {}",
                self.id.0,
                self.n_down,
                self.node_free.len()
            ));
        }
        for (quota, used) in &self.quotas {
            if !quota.hard.admits(used, &ResourceList::default()) {
                return Err(format!(
                    "cluster {}: namespace {} uses {used:?}, over its quota {:?}",
                    self.id.0, quota.namespace.0, quota.hard
                ));
            }
        }
        for (&(node, claim), &count) in &self.claim_counts {
            let limit = self
                .claim_limits
                .get(usize::from(claim))
                .copied()
                .unwrap_or(0);
            if limit > 0 && count > limit {
                return Err(format!(
                    "cluster {}: node {node} holds {count} pods of claim {claim}, limit {limit}",
                    self.id.0
                ));
            }
        }
        if self.summary.allocated.pods < 0 || self.summary.allocating.pods < 0 {
            return Err(format!(
                "cluster {}: negative pod counts in the summary",
                self.id.0
            ));
        }
        Ok(())
    }

    /// The waiting pod groups with their priority, in the order they are retried.
    pub fn pending_with_priority(&self) -> impl Iterator<Item = (i32, &PendingPods)> {
        self.pending
            .iter()
            .map(|((Reverse(priority), _), group)| (*priority, group))
    }

    /// Whether `node` is up and could take `pod` once emptied: its pool admits the pod's node
    /// claim, the GPU model is allowed, and the claim's per-node limit leaves room.
    pub fn can_host(&self, node: u32, pod: &PodRequest) -> bool {
        !self.is_down(node)
            && self.pools[usize::from(self.node_pool[node as usize])].takes(pod)
            && self.below_limit(node, pod)
    }

    /// The waiting pod groups, in the order they are retried.
    pub fn pending_groups(&self) -> impl Iterator<Item = &PendingPods> {
        self.pending.values()
    }
}

/// Karmada's accurate estimator on one node: `min(free pod slots, free / request)` over the
/// resources the pod requests; 0 when the pool cannot take the pod.
fn replicas_on_node(pool: &Pool, free: &NodeFree, pod: &PodRequest) -> i64 {
    if !pool.takes(pod) {
        return 0;
    }
    let mut per_node = u64::from(free.pods);
    for (request, available) in [
        (pod.cpu_milli, free.cpu_milli),
        (pod.memory, free.memory),
        (u64::from(pod.gpu.count), u64::from(free.gpus)),
    ] {
        // A resource the pod does not request does not bound it.
        if let Some(fit) = available.checked_div(request) {
            per_node = per_node.min(fit);
        }
    }
    per_node as i64
}

fn within_shape(free: &NodeFree, shape: &NodeShape) -> bool {
    free.cpu_milli <= shape.cpu_milli
        && free.memory <= shape.memory
        && free.pods <= shape.max_pods
        && free.gpus <= shape.gpus
        && free.devices.len() == shape.gpus as usize
        && free.gpus == free.devices.n_whole_free()
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

/// The best of `(score, node)` candidates: highest (optionally min–max normalised) score, then
/// lowest node index.
pub fn best_node(candidates: impl Iterator<Item = (i64, u32)>, normalize: bool) -> Option<u32> {
    if !normalize {
        return candidates
            .max_by_key(|(score, node)| (*score, Reverse(*node)))
            .map(|(_, node)| node);
    }
    let all: Vec<(i64, u32)> = candidates.collect();
    let min = all.iter().map(|(s, _)| *s).min()?;
    let max = all.iter().map(|(s, _)| *s).max()?;
    all.into_iter()
        .map(|(score, node)| {
            let normalized = (score - min)
                .checked_mul(100)
                .unwrap_or(0)
                .checked_div(max - min)
                .unwrap_or(0);
            (normalized, node)
        })
        .max_by_key(|(score, node)| (*score, Reverse(*node)))
        .map(|(_, node)| node)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod gpu_tests;
