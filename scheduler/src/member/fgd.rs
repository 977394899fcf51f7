//! Fragmentation gradient descent (Weng et al., "Beware of Fragmentation", USENIX ATC 2023):
//! place each pod where the expected GPU fragmentation of the node, measured against the
//! cluster's typical workload, grows least.

use std::cell::RefCell;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use sim_core::model::{GpuModelId, GpuModelSet, NodeShape, PodRequest};

use super::devices::{DEVICE_MILLI, Devices};
use super::{NodeFree, PlacementPolicy};

/// One kind of pod in a target workload, with its share of the pods.
#[derive(Clone, Debug, PartialEq)]
pub struct PodType {
    /// CPU request in milli-cores.
    pub cpu_milli: u64,
    /// Milli-GPU per device; 0 for CPU-only pods.
    pub gpu_milli: u32,
    /// Devices.
    pub num_gpu: u32,
    /// Allowed GPU models; empty = any.
    pub models: GpuModelSet,
    /// Share of the target workload's pods, summing to 1 over the types.
    pub popularity: f64,
}

/// What identifies a pod's type when the typical workload is built from a pod list.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TypeKey {
    /// CPU request in milli-cores (a zero request counts as 100, as the scheduler does).
    pub cpu_milli: u64,
    /// Milli-GPU per device.
    pub gpu_milli: u32,
    /// Devices.
    pub num_gpu: u32,
    /// The model constraint as written (`V100M16|V100M32`), part of the key.
    pub spec: String,
    /// The same constraint as a set.
    pub models: GpuModelSet,
}

/// The workload a cluster expects: the pod types fragmentation is measured against.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct TargetWorkload {
    types: Vec<PodType>,
}

// Popularities are finite by construction, so equality is reflexive.
impl Eq for TargetWorkload {}

impl TargetWorkload {
    /// A workload of the given types; popularities are renormalised to sum to 1.
    pub fn new(mut types: Vec<PodType>) -> TargetWorkload {
        let total: f64 = types.iter().map(|t| t.popularity).sum();
        if total > 0.0 {
            for t in &mut types {
                t.popularity /= total;
            }
        }
        TargetWorkload { types }
    }

    /// The typical pods of a pod list: count pods per key, order by count (descending, ties by
    /// key descending), keep the shortest prefix covering at least `coverage_pct` percent of
    /// the pods, and weigh each kept type by its count.
    pub fn typical(keys: impl IntoIterator<Item = TypeKey>, coverage_pct: u32) -> TargetWorkload {
        let mut counts: std::collections::BTreeMap<TypeKey, u64> = Default::default();
        let mut total = 0u64;
        for mut key in keys {
            if key.cpu_milli == 0 {
                key.cpu_milli = 100;
            }
            *counts.entry(key).or_default() += 1;
            total += 1;
        }
        let mut ranked: Vec<(TypeKey, u64)> = counts.into_iter().collect();
        ranked.sort_by(|(ka, ca), (kb, cb)| cb.cmp(ca).then_with(|| kb.cmp(ka)));
        let mut kept = Vec::new();
        let mut covered = 0u64;
        for (key, count) in ranked {
            if covered * 100 >= total * u64::from(coverage_pct) {
                break;
            }
            covered += count;
            kept.push(PodType {
                cpu_milli: key.cpu_milli,
                gpu_milli: key.gpu_milli,
                num_gpu: key.num_gpu,
                models: key.models,
                popularity: count as f64,
            });
        }
        TargetWorkload::new(kept)
    }

    /// The pod types, most popular first.
    pub fn types(&self) -> &[PodType] {
        &self.types
    }

    /// Expected fragmentation of a node in milli-GPU: over the pod types, weighted by
    /// popularity, the free GPU milli that pods of that type could not use. A type that cannot
    /// run on the node at all (CPU-only, excluded model, too little CPU, too few devices with
    /// room) makes all free GPU milli fragment; a type that can makes fragment only the devices
    /// too small for its share. Memory is not considered; a node without GPUs has none.
    pub fn fragmentation(
        &self,
        cpu_free: u64,
        devices: &Devices,
        model: Option<GpuModelId>,
    ) -> f64 {
        if devices.is_empty() {
            return 0.0;
        }
        let total = f64::from(devices.total_free());
        let mut frag = 0.0;
        for t in &self.types {
            let lost = if t.gpu_milli == 0
                || !t.models.allows(model)
                || cpu_free < t.cpu_milli
                || devices.n_fitting(t.gpu_milli) < t.num_gpu
            {
                total
            } else {
                devices
                    .free()
                    .iter()
                    .map(|f| u32::from(*f))
                    .filter(|f| *f < t.gpu_milli)
                    .sum::<u32>()
                    .into()
            };
            frag += t.popularity * lost;
        }
        frag
    }
}

/// What a node's fragmentation depends on: free CPU, GPU model, devices sorted by free milli.
type NodeKey = (u64, Option<GpuModelId>, Devices);

/// Memo entries kept before the memo starts afresh, bounding its memory.
const MEMO_LIMIT: usize = 1 << 20;

/// The FGD placement policy: score = `trunc(100 · σ(Δ / 1000))` where Δ is the drop in the
/// node's expected fragmentation (milli-GPU) the placement causes; a share goes to the device
/// with the best such score, lowest index among equals.
pub struct Fgd {
    target: Arc<TargetWorkload>,
    /// Fragmentation by (free CPU, model, devices sorted): it depends on nothing else.
    memo: RefCell<FxHashMap<NodeKey, f64>>,
}

impl Fgd {
    /// Registered name.
    pub const NAME: &'static str = "FGD";

    /// FGD against `target`.
    pub fn new(target: Arc<TargetWorkload>) -> Fgd {
        Fgd {
            target,
            memo: RefCell::default(),
        }
    }

    /// The target workload.
    pub fn target(&self) -> &TargetWorkload {
        &self.target
    }

    /// The node's expected fragmentation, memoised.
    pub fn fragmentation(
        &self,
        cpu_free: u64,
        devices: &Devices,
        model: Option<GpuModelId>,
    ) -> f64 {
        let key = (cpu_free, model, devices.sorted());
        if let Some(frag) = self.memo.borrow().get(&key) {
            return *frag;
        }
        let frag = self.target.fragmentation(cpu_free, devices, model);
        let mut memo = self.memo.borrow_mut();
        if memo.len() >= MEMO_LIMIT {
            memo.clear();
        }
        memo.insert(key, frag);
        frag
    }

    /// Score of each device for a share: `None` where the share does not fit.
    fn device_scores<'a>(
        &'a self,
        pod: &'a PodRequest,
        shape: &'a NodeShape,
        free: &'a NodeFree,
    ) -> impl Iterator<Item = (usize, i64)> + 'a {
        let before = self.fragmentation(free.cpu_milli, &free.devices, shape.gpu_model);
        let milli = pod.gpu.milli_per_gpu;
        let cpu_after = free.cpu_milli - pod.cpu_milli;
        free.devices
            .free()
            .iter()
            .enumerate()
            .filter(move |(_, f)| u32::from(**f) >= milli)
            .map(move |(idx, _)| {
                let mut after = free.devices;
                after.take(1 << idx, milli);
                let delta = before - self.fragmentation(cpu_after, &after, shape.gpu_model);
                (idx, sigmoid_score(delta))
            })
    }
}

/// `trunc(100 · σ(Δ / 1000))`.
fn sigmoid_score(delta_milli: f64) -> i64 {
    (100.0 * (1.0 / (1.0 + (-delta_milli / 1000.0).exp()))) as i64
}

fn is_share(pod: &PodRequest) -> bool {
    pod.gpu.count == 1 && pod.gpu.milli_per_gpu < DEVICE_MILLI
}

impl PlacementPolicy for Fgd {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn score(&self, pod: &PodRequest, shape: &NodeShape, free: &NodeFree) -> i64 {
        if is_share(pod) {
            return self
                .device_scores(pod, shape, free)
                .map(|(_, s)| s)
                .max()
                .unwrap_or(0);
        }
        let before = self.fragmentation(free.cpu_milli, &free.devices, shape.gpu_model);
        let mut after = free.devices;
        if pod.gpu.count > 0 {
            let mask = after.ascending_fit(pod.gpu.count, pod.gpu.milli_per_gpu);
            after.take(mask, pod.gpu.milli_per_gpu);
        }
        let cpu_after = free.cpu_milli - pod.cpu_milli;
        sigmoid_score(before - self.fragmentation(cpu_after, &after, shape.gpu_model))
    }

    fn share_device(
        &self,
        pod: &PodRequest,
        shape: &NodeShape,
        free: &NodeFree,
        _: &mut dyn FnMut(u32) -> u32,
    ) -> usize {
        let mut best: Option<(usize, i64)> = None;
        for (idx, score) in self.device_scores(pod, shape, free) {
            if best.is_none_or(|(_, s)| score > s) {
                best = Some((idx, score));
            }
        }
        best.expect("the pod fits").0
    }
}
