//! The free-capacity index: nodes grouped by (pool, free state), kept current as pods bind and
//! leave and nodes go down and up, and the queries answered from it (Karmada's accurate
//! estimator, resource models, fragmentation against a target workload).

use sim_core::model::{GpuModelId, PodRequest};

use super::{MemberCluster, NodeFree, Pool, TargetWorkload, within_shape};
use crate::estimator::{AssumedWorkload, ModelGrade, ResourceList, gpu_request};

/// Per node, what a simulation has left of (cpu, memory, pod slots, `nvidia.com/gpu`); `None`
/// until the simulation touches the node.
type Left = Vec<Option<[u64; 4]>>;

/// What one pod of `pod` takes of (cpu, memory, pod slots, `nvidia.com/gpu`).
fn need_of(pod: &PodRequest) -> [u64; 4] {
    [pod.cpu_milli, pod.memory, 1, gpu_request(pod) as u64]
}

/// Karmada's `MaxDivided` on one node's leftovers: how many pods needing `need` still fit.
fn fit_on(free: &[u64; 4], need: &[u64; 4]) -> i64 {
    free.iter()
        .zip(need)
        .filter(|(_, n)| **n > 0)
        .map(|(f, n)| f / n)
        .min()
        .unwrap_or(0) as i64
}

impl MemberCluster {
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
        self.note_released(node);
        true
    }

    pub(super) fn rebucket(&mut self, node: u32, new_free: NodeFree) {
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

    /// Number of distinct (pool, free state) buckets in the index.
    pub fn n_buckets(&self) -> usize {
        self.buckets.len()
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

    /// Karmada's accurate estimator with assumed workloads (`noderesource` `Estimate`): one set
    /// of each assumed workload is placed first on a copy of the live nodes (Karmada's
    /// `SimulateScheduling` with bound 1, nothing rolled back when a workload only partly
    /// fits), then Σ over the nodes that can take the pod of `min(free pod slots, free /
    /// request)` on what is left.
    pub fn accurate_replicas_assumed(&self, pod: &PodRequest, assumed: &[AssumedWorkload]) -> i64 {
        let base = self.accurate_replicas(pod);
        if assumed.is_empty() {
            return base;
        }
        let mut left: Left = vec![None; self.node_free.len()];
        self.deduct_assumed(&mut left, assumed);
        let mut total = base;
        for (node, state) in left.iter().enumerate() {
            let Some(state) = state else { continue };
            let pool = &self.pools[usize::from(self.node_pool[node])];
            if !pool.takes(pod) {
                continue;
            }
            total -= replicas_on_node(pool, &self.node_free[node], pod);
            total += fit_on(state, &need_of(pod));
        }
        total
    }

    /// Karmada's accurate estimator for `spec.components` (`scheduling_simulator_components`):
    /// complete sets placed one at a time on a copy of the live nodes, each component's
    /// replicas first-fit over the nodes in index order (only nodes its node claim and GPU
    /// models admit), until a set does not fit; the sets that fitted.
    pub fn accurate_sets(&self, components: &[(i64, PodRequest)]) -> i64 {
        self.accurate_sets_assumed(components, &[])
    }

    /// `accurate_sets` after one set of each assumed workload is placed (`noderesource`
    /// `EstimateComponents`).
    pub fn accurate_sets_assumed(
        &self,
        components: &[(i64, PodRequest)],
        assumed: &[AssumedWorkload],
    ) -> i64 {
        // (cpu, memory, pods, gpus) left on each node as the simulation fills it.
        let mut left: Left = vec![None; self.node_free.len()];
        self.deduct_assumed(&mut left, assumed);
        let mut eligible: Vec<Vec<u32>> = Vec::with_capacity(components.len());
        for (_, pod) in components {
            eligible.push(self.eligible_nodes(pod).collect());
        }
        // Free only shrinks during the simulation, so a node that could not take a component's
        // pod never can again: each component's search resumes where it stopped.
        let mut cursor = vec![0usize; components.len()];
        let mut sets = 0;
        loop {
            for (idx, (replicas, pod)) in components.iter().enumerate() {
                let need = need_of(pod);
                for _ in 0..*replicas {
                    let nodes = &eligible[idx];
                    loop {
                        let Some(&node) = nodes.get(cursor[idx]) else {
                            return sets;
                        };
                        let free = self.left_of(&mut left, node);
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

    /// Up nodes whose pool can take `pod`, in index order.
    fn eligible_nodes<'a>(&'a self, pod: &'a PodRequest) -> impl Iterator<Item = u32> + 'a {
        (0..self.node_free.len() as u32).filter(move |&node| {
            !self.is_down(node) && self.pools[usize::from(self.node_pool[node as usize])].takes(pod)
        })
    }

    /// What the simulation has left on `node`, from its live state the first time.
    fn left_of<'a>(&self, left: &'a mut Left, node: u32) -> &'a mut [u64; 4] {
        left[node as usize].get_or_insert_with(|| {
            let f = &self.node_free[node as usize];
            [f.cpu_milli, f.memory, u64::from(f.pods), u64::from(f.gpus)]
        })
    }

    /// Karmada's `scheduleComponent` on the live nodes: over the eligible nodes in index order,
    /// each takes as many of the `replicas` as fit; whether all were placed.
    fn place_live(&self, left: &mut Left, replicas: i64, pod: &PodRequest) -> bool {
        let need = need_of(pod);
        let mut remaining = replicas.max(0) as u64;
        if remaining == 0 {
            return true;
        }
        for node in self.eligible_nodes(pod) {
            let free = self.left_of(left, node);
            let taken = fit_on(free, &need).min(remaining as i64) as u64;
            for (f, n) in free.iter_mut().zip(&need) {
                *f -= n * taken;
            }
            remaining -= taken;
            if remaining == 0 {
                return true;
            }
        }
        false
    }

    /// One set of each assumed workload, components in order, placed on `left`; a workload
    /// stops at its first component that does not fit, keeping what it placed.
    fn deduct_assumed(&self, left: &mut Left, assumed: &[AssumedWorkload]) {
        for workload in assumed {
            for (replicas, pod) in &workload.components {
                if !self.place_live(left, *replicas, pod) {
                    break;
                }
            }
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

    /// Whether every indexed node sits in the bucket of its state and every node is indexed or down.
    pub(super) fn check_index(&self) -> Result<(), String> {
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
        Ok(())
    }
}

/// Karmada's accurate estimator on one node: `min(free pod slots, free / request)` over the
/// resources the pod requests; 0 when the pool cannot take the pod.
pub(super) fn replicas_on_node(pool: &Pool, free: &NodeFree, pod: &PodRequest) -> i64 {
    if !pool.takes(pod) {
        return 0;
    }
    let mut per_node = u64::from(free.pods);
    for (request, available) in [
        (pod.cpu_milli, free.cpu_milli),
        (pod.memory, free.memory),
        (gpu_request(pod) as u64, u64::from(free.gpus)),
    ] {
        // A resource the pod does not request does not bound it.
        if let Some(fit) = available.checked_div(request) {
            per_node = per_node.min(fit);
        }
    }
    per_node as i64
}
