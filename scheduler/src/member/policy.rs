//! What a placement policy is, the arithmetic several policies share, and how scores become the
//! choice of a node. Policies are registered by name in [`crate::registry`].

use std::cmp::Reverse;

use sim_core::model::{NodeShape, PodRequest};

use super::{NodeFree, devices};

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
/// plugin. A new policy is one type implementing this trait plus one line in the registry
/// ([`crate::registry::Registry`]).
pub trait PlacementPolicy {
    /// The policy's registered name.
    fn name(&self) -> &'static str;
    /// Score of a node of `shape` with `free` resources left, for `pod` (which fits); higher is
    /// better.
    fn score(&self, pod: &PodRequest, shape: &NodeShape, free: &NodeFree) -> i64;
    /// Scores of every candidate for one pod: `scores[i]` is what [`PlacementPolicy::score`]
    /// gives `candidates[i]`. Callers hand all of a pod's candidates (one per distinct node
    /// state) in one call, so a policy whose calls are costly, such as one written in
    /// Python, pays per pod rather than per node state. By default, one `score` per
    /// candidate.
    fn score_batch(
        &self,
        pod: &PodRequest,
        candidates: &[(&NodeShape, &NodeFree)],
        scores: &mut [i64],
    ) {
        for (score, (shape, free)) in scores.iter_mut().zip(candidates) {
            *score = self.score(pod, shape, free);
        }
    }
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
