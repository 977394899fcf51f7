//! The GPU fragmentation study of "Beware of Fragmentation" (Weng et al., USENIX ATC 2023) on
//! the openb traces: every pod list is shuffled and inflated to a share of the cluster's GPU
//! capacity, then submitted pod by pod (no departures, no retries) to one cluster placed by one
//! policy; the GPU allocation ratio is recorded against the arrived GPU demand.
//!
//! The procedure follows the study's simulator (`docs/reproductions.md`): integer scores, ties
//! to a seeded node priority, the same inflation rule and the same discretisation of the
//! curves. Random streams are fleetsim's own, so curves match the paper's in distribution over
//! seeds, not draw for draw.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use rand::seq::SliceRandom;
use rand::{Rng, RngExt};
use rayon::prelude::*;
use scenarios::experiment::FragmentationExperiment;
use scenarios::traces::openb::{OpenbNodes, OpenbPods};
use scheduler::member::fgd::TypeKey;
use scheduler::member::{MemberCluster, Normalization, PlacementPolicy, TargetWorkload, devices};
use scheduler::registry::{PlacementContext, Registry};
use sim_core::model::{GpuModelId, GpuModelSet, GpuRequest, NodeShape, PodRequest};
use sim_core::rng::RngStreams;

use crate::{OutputDir, RunError};

/// Whole percent of arrived demand on the x-axis: 0 to this.
pub const MAX_ARRIVED_PCT: usize = 130;

const MIB: u64 = 1 << 20;

/// Most pods one node holds (the study's pod-count cap; never binding).
const MAX_PODS: u32 = 1001;

/// The cluster of an openb node list.
#[derive(Clone, Debug)]
pub struct OpenbCluster {
    /// Node names and shapes, sorted by name.
    pub nodes: Vec<(String, NodeShape)>,
    /// GPU model names by id.
    pub models: Vec<String>,
    /// GPU capacity in milli-GPU.
    pub capacity_milli: u64,
}

/// An error about the node list as a whole (no line of its own), at `field`.
fn list_error(file: &Path, field: &str, message: String) -> scenarios::Error {
    scenarios::Error::Input {
        position: scenarios::Position {
            file: file.to_owned(),
            line: 0,
            column: 0,
            path: field.into(),
        },
        message,
    }
}

impl OpenbCluster {
    /// Reads a node list.
    pub fn load(file: &Path) -> Result<OpenbCluster, scenarios::Error> {
        let mut models: Vec<String> = Vec::new();
        let mut nodes = Vec::new();
        for node in OpenbNodes::open(file)? {
            let node = node?;
            let model = node.model.as_ref().map(|name| {
                let idx = models.iter().position(|m| m == name).unwrap_or_else(|| {
                    models.push(name.clone());
                    models.len() - 1
                });
                GpuModelId(idx as u16)
            });
            if node.gpus as usize > devices::MAX_DEVICES {
                return Err(list_error(
                    file,
                    "gpu",
                    format!(
                        "node {} has {} GPUs: at most {} per node are modelled",
                        node.name,
                        node.gpus,
                        devices::MAX_DEVICES
                    ),
                ));
            }
            let shape = NodeShape {
                cpu_milli: node.cpu_milli,
                memory: node.memory_mib * MIB,
                max_pods: MAX_PODS,
                gpus: node.gpus,
                gpu_model: model,
            };
            nodes.push((node.name, shape));
        }
        if models.len() >= GpuModelSet::MAX_MODELS {
            return Err(list_error(
                file,
                "model",
                format!(
                    "{} GPU models: at most {}",
                    models.len(),
                    GpuModelSet::MAX_MODELS - 1
                ),
            ));
        }
        nodes.sort_by(|a, b| a.0.cmp(&b.0));
        let capacity_milli = nodes
            .iter()
            .map(|(_, s)| u64::from(s.gpus) * u64::from(devices::DEVICE_MILLI))
            .sum();
        // Every measure is a share of the GPU capacity; `load_experiment` refuses such a list
        // too, this guards a file changed since.
        if capacity_milli == 0 {
            return Err(list_error(
                file,
                "gpu",
                format!(
                    "{} nodes and no GPU: expected at least one node with a GPU",
                    nodes.len()
                ),
            ));
        }
        Ok(OpenbCluster {
            nodes,
            models,
            capacity_milli,
        })
    }

    /// The model set a `gpu_spec` names; a model absent from the cluster gets an id no node
    /// has, so a pod restricted to it fits nowhere.
    fn spec_models<'a>(&self, tokens: impl Iterator<Item = &'a str>) -> GpuModelSet {
        let absent = GpuModelId(self.models.len() as u16);
        GpuModelSet::of(tokens.map(|token| {
            self.models
                .iter()
                .position(|m| m == token)
                .map_or(absent, |idx| GpuModelId(idx as u16))
        }))
    }
}

/// One pod of a pod list, ready to place.
#[derive(Clone, Debug)]
pub struct TracePod {
    /// Name in the trace.
    pub name: String,
    /// What it requests.
    pub request: PodRequest,
    /// Scores are cached per pod kind: the kind without memory, and with it.
    kind: [u32; 2],
}

/// A pod list: one workload of the experiment.
#[derive(Clone, Debug)]
pub struct PodList {
    /// The file's stem, e.g. `openb_pod_list_default`.
    pub stem: String,
    /// Pods sorted by name: the original workload the inflation samples from.
    pub pods: Vec<TracePod>,
    /// FGD's typical pods of this list.
    pub target: Arc<TargetWorkload>,
    /// Number of distinct pod kinds, without and with memory.
    n_kinds: [u32; 2],
}

impl PodList {
    /// Reads a pod list for `cluster`; `coverage_pct` is the typical-pod coverage.
    pub fn load(
        file: &Path,
        cluster: &OpenbCluster,
        coverage_pct: u32,
    ) -> Result<PodList, scenarios::Error> {
        let mut pods = Vec::new();
        let mut keys = Vec::new();
        let mut kinds: [BTreeMap<(u64, GpuRequest, u64), u32>; 2] = Default::default();
        for pod in OpenbPods::open(file)? {
            let pod = pod?;
            let models = cluster.spec_models(pod.spec_models());
            let request = PodRequest {
                cpu_milli: pod.cpu_milli,
                memory: pod.memory_mib * MIB,
                gpu: GpuRequest {
                    count: pod.num_gpu,
                    milli_per_gpu: pod.gpu_milli,
                    models,
                },
                node_claim: 0,
            };
            keys.push(TypeKey {
                cpu_milli: pod.cpu_milli,
                gpu_milli: pod.gpu_milli,
                num_gpu: pod.num_gpu,
                spec: pod.gpu_spec.clone(),
                models,
            });
            let mut kind = [0; 2];
            for (with_memory, map) in kinds.iter_mut().enumerate() {
                let memory = if with_memory == 1 { request.memory } else { 0 };
                let next = map.len() as u32;
                kind[with_memory] = *map
                    .entry((request.cpu_milli, request.gpu, memory))
                    .or_insert(next);
            }
            pods.push(TracePod {
                name: pod.name,
                request,
                kind,
            });
        }
        pods.sort_by(|a, b| a.name.cmp(&b.name));
        let stem = file
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        Ok(PodList {
            stem,
            pods,
            target: Arc::new(TargetWorkload::typical(keys, coverage_pct)),
            n_kinds: [kinds[0].len() as u32, kinds[1].len() as u32],
        })
    }

    /// Total milli-GPU the pods request.
    pub fn gpu_milli(&self) -> u64 {
        self.pods.iter().map(|p| p.request.gpu.total_milli()).sum()
    }
}

/// What one run (pod list × policy × seed) produced.
#[derive(Clone, Debug, PartialEq)]
pub struct CellResult {
    /// Pod list index in the experiment.
    pub workload: usize,
    /// Policy name.
    pub policy: Arc<str>,
    /// Seed.
    pub seed: u64,
    /// Mean GPU allocation (percent of capacity) per whole percent of arrived GPU demand,
    /// 0 to [`MAX_ARRIVED_PCT`]; `None` where no event fell in or next to the bin.
    pub allocation: Vec<Option<f64>>,
    /// Mean cluster fragmentation (percent of capacity), binned the same way.
    pub fragmentation: Vec<Option<f64>>,
    /// Pods submitted.
    pub n_pods: u64,
    /// Pods no node could take.
    pub n_failed: u64,
    /// Arrived GPU demand at the end, milli-GPU.
    pub arrived_milli: u64,
    /// Allocated GPU at the end, milli-GPU.
    pub allocated_milli: u64,
    /// Cluster fragmentation at the end, milli-GPU.
    pub fragment_milli: f64,
    /// Allocated GPU when the first pod failed, milli-GPU: how full the cluster got before it
    /// turned a pod away; `None` when none failed.
    pub first_failure_allocated_milli: Option<u64>,
}

/// The arrival order of one seed: indices into `list.pods`. The name-sorted list is shuffled;
/// then pods drawn uniformly (with replacement) from it are appended until the next draw would
/// pass the target, judged by the draw's per-device share as the study's simulator does; a list
/// already above the target instead loses uniformly drawn pods until it is at or below it.
pub fn arrival_order(list: &PodList, target_milli: u64, streams: &RngStreams) -> Vec<u32> {
    let mut rng = streams.stream("fragmentation/workload");
    let n = list.pods.len() as u32;
    let mut order: Vec<u32> = (0..n).collect();
    order.shuffle(&mut rng);
    let mut total = list.gpu_milli();
    let has_gpu_pods = list.pods.iter().any(|p| p.request.gpu.count > 0);
    if total < target_milli && has_gpu_pods {
        loop {
            let idx = rng.random_range(0..n);
            let gpu = &list.pods[idx as usize].request.gpu;
            if total + u64::from(gpu.milli_per_gpu) > target_milli {
                break;
            }
            order.push(idx);
            total += gpu.total_milli();
        }
    } else {
        while total > target_milli && !order.is_empty() {
            let pos = rng.random_range(0..order.len());
            total -= list.pods[order[pos] as usize].request.gpu.total_milli();
            order.remove(pos);
        }
    }
    order
}

/// `round(numerator / denominator)`, ties to even (Python's `round`).
fn round_half_even(numerator: u128, denominator: u128) -> u128 {
    let (q, r) = (numerator / denominator, numerator % denominator);
    match (2 * r).cmp(&denominator) {
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q & 1),
        std::cmp::Ordering::Less => q,
    }
}

/// Events binned by whole percent of arrived demand.
struct Bins {
    sum: Vec<f64>,
    count: Vec<u32>,
}

impl Bins {
    fn new() -> Bins {
        Bins {
            sum: vec![0.0; MAX_ARRIVED_PCT + 2],
            count: vec![0; MAX_ARRIVED_PCT + 2],
        }
    }

    fn add(&mut self, x: usize, y: f64) {
        if x < self.sum.len() {
            self.sum[x] += y;
            self.count[x] += 1;
        }
    }

    /// Per whole percent: the mean of its events; without any, the mean over the events of the
    /// bins either side of it; else nothing.
    fn curve(&self) -> Vec<Option<f64>> {
        (0..=MAX_ARRIVED_PCT)
            .map(|x| {
                if self.count[x] > 0 {
                    return Some(self.sum[x] / f64::from(self.count[x]));
                }
                let range = x.saturating_sub(1)..=(x + 1);
                let n: u32 = self.count[range.clone()].iter().sum();
                (n > 0).then(|| self.sum[range].iter().sum::<f64>() / f64::from(n))
            })
            .collect()
    }
}

/// Runs one cell: `list` inflated to `target_pct` of the cluster's GPU capacity, placed by
/// the in-tree policy `policy_name`, with `seed`.
pub fn run_cell(
    cluster: &OpenbCluster,
    list: &PodList,
    workload: usize,
    policy_name: &str,
    seed: u64,
    target_pct: u32,
) -> Result<CellResult, RunError> {
    let cell = Cell {
        workload,
        policy: policy_name,
        seed,
        target_pct,
    };
    run_cell_with(Registry::builtin_ref(), cluster, list, &cell)
}

/// One cell of the grid: a workload (by index), a registered placement policy, a seed and the
/// inflation target in percent of GPU capacity.
#[derive(Clone, Copy, Debug)]
pub struct Cell<'a> {
    /// Index of the pod list.
    pub workload: usize,
    /// The placement policy's registered name.
    pub policy: &'a str,
    /// The seed of the arrival and node priority orders.
    pub seed: u64,
    /// Arrived GPU demand, in percent of the cluster's GPU capacity.
    pub target_pct: u32,
}

/// [`run_cell`] with the policy taken from `plugins`.
pub fn run_cell_with(
    plugins: &Registry,
    cluster: &OpenbCluster,
    list: &PodList,
    cell: &Cell<'_>,
) -> Result<CellResult, RunError> {
    let &Cell {
        workload,
        policy: policy_name,
        seed,
        target_pct,
    } = cell;
    // The study's simulator divides by fixed maxima (128 cores, 8 GPUs); so does its
    // reproduction, whatever the node shapes.
    let streams = RngStreams::new(seed);
    scheduler::decision::begin_run();
    let context = PlacementContext {
        target: &list.target,
        norm: Normalization::STUDY,
        seed: streams.stream("fragmentation/policy-seed").next_u64(),
    };
    let policy = plugins
        .placement(policy_name, &context)
        .map_err(|e| RunError::Internal(e.to_string()))?;
    let capacity = cluster.capacity_milli;
    let order = arrival_order(list, capacity * u64::from(target_pct) / 100, &streams);
    // Node priority: a random permutation of the name-sorted nodes; index = rank, so "lowest
    // index" breaks score ties by priority.
    let mut rank: Vec<u32> = (0..cluster.nodes.len() as u32).collect();
    rank.shuffle(&mut streams.stream("fragmentation/node-priority"));
    let mut shapes = vec![cluster.nodes[0].1; cluster.nodes.len()];
    for (idx, (_, shape)) in cluster.nodes.iter().enumerate() {
        shapes[rank[idx] as usize] = *shape;
    }
    let mut member = MemberCluster::of_nodes(&shapes, streams.stream("fragmentation/policy"));
    let mut scores = ScoreMemo::new(
        shapes.len(),
        list.n_kinds[usize::from(policy.reads_memory())],
    );
    let mut fragment = Fragmentation::new(&member, &list.target);
    let mut allocation = Bins::new();
    let mut fragmentation = Bins::new();
    let (mut arrived, mut allocated, mut n_failed) = (0u64, 0u64, 0u64);
    let mut first_failure = None;
    for &idx in &order {
        let pod = &list.pods[idx as usize];
        arrived += pod.request.gpu.total_milli();
        // A failing policy names the pod by its row in the pod list.
        let _deciding = scheduler::decision::for_job(sim_core::model::JobId(u64::from(idx)));
        match scores.place(&mut member, pod, policy.as_ref()) {
            Some(node) => {
                fragment.refresh(&member, node);
                allocated += pod.request.gpu.total_milli();
            }
            None => {
                first_failure.get_or_insert(allocated);
                n_failed += 1;
            }
        }
        let x = round_half_even(u128::from(arrived) * 100, u128::from(capacity)) as usize;
        let y =
            round_half_even(u128::from(allocated) * 10_000, u128::from(capacity)) as f64 / 100.0;
        allocation.add(x, y);
        fragmentation.add(x, fragment.total * 100.0 / capacity as f64);
    }
    debug_assert_eq!(allocated_milli(&member), allocated, "GPU accounting");
    Ok(CellResult {
        workload,
        policy: Arc::from(policy_name),
        seed,
        allocation: allocation.curve(),
        fragmentation: fragmentation.curve(),
        n_pods: order.len() as u64,
        n_failed,
        arrived_milli: arrived,
        allocated_milli: allocated,
        fragment_milli: fragment.total,
        first_failure_allocated_milli: first_failure,
    })
}

/// The cell policy's scores per (pod kind, node), kept while the node is unchanged: pods of a
/// few hundred kinds arrive thousands of times, and one node changes per placement.
struct ScoreMemo {
    /// Bumped whenever a node changes; a kept score is valid while its version matches.
    version: Vec<u32>,
    /// `scores[kind][node] = (version, score)`, allocated on a kind's first scored pod.
    scores: Vec<Vec<(u32, i64)>>,
}

impl ScoreMemo {
    fn new(n_nodes: usize, n_kinds: u32) -> ScoreMemo {
        ScoreMemo {
            version: vec![1; n_nodes],
            scores: vec![Vec::new(); n_kinds as usize],
        }
    }

    /// Places `pod` on `member` under `policy`; the node, or `None` when no node fits it.
    fn place(
        &mut self,
        member: &mut MemberCluster,
        pod: &TracePod,
        policy: &dyn PlacementPolicy,
    ) -> Option<u32> {
        let kind = pod.kind[usize::from(policy.reads_memory())] as usize;
        let n_nodes = self.version.len();
        let version = &self.version;
        let scores = &mut self.scores[kind];
        let (node, _) = member.place_scored(&pod.request, policy, |nodes, candidates, out| {
            if scores.is_empty() {
                scores.resize(n_nodes, (0, 0));
            }
            // Kept scores are copied; the changed candidates are scored in one batch.
            let mut stale = Vec::with_capacity(nodes.len());
            let mut stale_candidates = Vec::with_capacity(nodes.len());
            for (idx, &node) in nodes.iter().enumerate() {
                let (kept_version, kept) = scores[node as usize];
                if kept_version == version[node as usize] {
                    out[idx] = kept;
                } else {
                    stale.push(idx);
                    stale_candidates.push(candidates[idx]);
                }
            }
            if stale.is_empty() {
                return;
            }
            let mut fresh = vec![0; stale.len()];
            policy.score_batch(&pod.request, &stale_candidates, &mut fresh);
            for (idx, score) in stale.into_iter().zip(fresh) {
                let node = nodes[idx] as usize;
                scores[node] = (version[node], score);
                out[idx] = score;
            }
        })?;
        self.version[node as usize] += 1;
        Some(node)
    }
}

/// The cluster's fragmentation against the pod list's target workload, node by node, summed
/// in the order nodes change (the curves depend on that order to the last bit).
struct Fragmentation<'a> {
    target: &'a TargetWorkload,
    node: Vec<f64>,
    total: f64,
}

impl<'a> Fragmentation<'a> {
    fn new(member: &MemberCluster, target: &'a TargetWorkload) -> Fragmentation<'a> {
        let mut fragmentation = Fragmentation {
            target,
            node: Vec::with_capacity(member.n_nodes()),
            total: 0.0,
        };
        for node in 0..member.n_nodes() as u32 {
            let fragment = fragmentation.of_node(member, node);
            fragmentation.node.push(fragment);
        }
        fragmentation.total = fragmentation.node.iter().sum();
        fragmentation
    }

    fn of_node(&self, member: &MemberCluster, node: u32) -> f64 {
        let free = member.node_free(node);
        let model = member.node_shape(node).gpu_model;
        self.target
            .fragmentation(free.cpu_milli, &free.devices, model)
    }

    /// Takes in the new state of `node`.
    fn refresh(&mut self, member: &MemberCluster, node: u32) {
        let fragment = self.of_node(member, node);
        self.total += fragment - self.node[node as usize];
        self.node[node as usize] = fragment;
    }
}

/// Milli-GPU held by pods over the whole cluster.
fn allocated_milli(member: &MemberCluster) -> u64 {
    (0..member.n_nodes() as u32)
        .map(|node| {
            u64::from(member.node_shape(node).gpus) * 1000
                - u64::from(member.node_free(node).devices.total_free())
        })
        .sum()
}

/// What a whole experiment produced, cell by cell in (workload, policy, seed) order.
#[derive(Clone, Debug)]
pub struct FragmentationOutcome {
    /// Pod list stems, by workload index.
    pub workloads: Vec<String>,
    /// Every cell.
    pub cells: Vec<CellResult>,
}

/// Runs every cell of `experiment` on the current rayon pool and writes `allocation.csv`,
/// `means.csv`, `fragmentation.csv`, `runs.csv`, `experiment.json`, the policy curves in
/// `figures/` and `report.html` into `out` (whole or not at all). `seed` restricts the run to one seed; `progress(done, total)` is called as cells
/// finish.
pub fn run_fragmentation(
    experiment: &FragmentationExperiment,
    out: &Path,
    seed: Option<u64>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<FragmentationOutcome, RunError> {
    let cluster = OpenbCluster::load(&experiment.nodes)?;
    let lists: Vec<PodList> = experiment
        .pod_lists
        .par_iter()
        .map(|file| PodList::load(file, &cluster, experiment.coverage_pct))
        .collect::<Result<_, _>>()?;
    let seeds: Vec<u64> = seed.map_or_else(|| experiment.seeds.clone(), |s| vec![s]);
    let mut grid = Vec::new();
    for workload in 0..lists.len() {
        for policy in &experiment.policies {
            for seed in &seeds {
                grid.push((workload, policy.as_str(), *seed));
            }
        }
    }
    let done = std::sync::atomic::AtomicU64::new(0);
    let total = grid.len() as u64;
    let cells: Vec<CellResult> = grid
        .par_iter()
        .map(|&(workload, policy, seed)| {
            let cell = Cell {
                workload,
                policy,
                seed,
                target_pct: experiment.target_pct,
            };
            let result = run_cell_with(&experiment.plugins, &cluster, &lists[workload], &cell);
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(n, total);
            result
        })
        .collect::<Result<_, _>>()?;
    let outcome = FragmentationOutcome {
        workloads: lists.iter().map(|l| l.stem.clone()).collect(),
        cells,
    };
    let dir = OutputDir::begin(out)?;
    super::outputs::write_outputs(dir.path(), experiment, &cluster, &lists, &outcome, out)?;
    reports::render_experiment(dir.path()).map_err(|e| RunError::Internal(e.to_string()))?;
    dir.commit()?;
    Ok(outcome)
}

/// Mean, sample standard deviation and quartiles (linear interpolation) over seeds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SeedStats {
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation; `None` for a single value.
    pub std: Option<f64>,
    /// Median.
    pub median: f64,
    /// First quartile.
    pub p25: f64,
    /// Third quartile.
    pub p75: f64,
}

impl SeedStats {
    /// Statistics of `values`; `None` when empty.
    pub fn of(values: &[f64]) -> Option<SeedStats> {
        if values.is_empty() {
            return None;
        }
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let std = (values.len() > 1)
            .then(|| (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt());
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let quantile = |q: f64| {
            let pos = q * (sorted.len() - 1) as f64;
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
        };
        Some(SeedStats {
            mean,
            std,
            median: quantile(0.5),
            p25: quantile(0.25),
            p75: quantile(0.75),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_rounding() {
        assert_eq!(round_half_even(25, 10), 2);
        assert_eq!(round_half_even(35, 10), 4);
        assert_eq!(round_half_even(36, 10), 4);
        assert_eq!(round_half_even(34, 10), 3);
    }

    #[test]
    fn empty_bins_take_their_neighbours() {
        let mut bins = Bins::new();
        bins.add(0, 1.0);
        bins.add(0, 3.0);
        bins.add(2, 6.0);
        let curve = bins.curve();
        assert_eq!(curve[0], Some(2.0));
        // Bin 1 is empty: the events of bins 0 and 2, (1 + 3 + 6) / 3.
        assert_eq!(curve[1], Some(10.0 / 3.0));
        assert_eq!(curve[2], Some(6.0));
        assert_eq!(curve[3], Some(6.0));
        assert_eq!(curve[4], None);
    }

    #[test]
    fn seed_statistics() {
        let s = SeedStats::of(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(s.mean, 2.5);
        assert_eq!(s.median, 2.5);
        assert_eq!(s.p25, 1.75);
        assert_eq!(s.p75, 3.25);
        assert!((s.std.unwrap() - 1.290_994_448_7).abs() < 1e-9);
        assert_eq!(SeedStats::of(&[5.0]).unwrap().std, None);
    }
}
