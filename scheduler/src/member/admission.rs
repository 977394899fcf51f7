//! Pods entering a member cluster: quota admission, the waiting and refused queues, the choice
//! of a node and devices under a placement policy, node claims and their per-node limits, and
//! binding and releasing pods.

use std::cmp::Reverse;

use sim_core::model::{JobId, NamespaceId, NodeShape, PodRequest, PriorityClassId};
use sim_core::rng::RngStreams;

use super::{
    Binding, Choice, DeviceMask, MemberCluster, NodeFree, PendingPods, PlacementPolicy, best_node,
    devices, fits, within_shape,
};
use crate::estimator::{NodeClaim, ResourceList};

impl MemberCluster {
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
        let _deciding = crate::decision::for_job(pods.job);
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

    /// Binds pods that a snapshot shows running before time 0: up to `pods.n_pods` of them
    /// on `node`, with no placement decision (the kube-scheduler made it then). Quota is
    /// admitted and charged as for new pods, so a snapshot never breaks the member's quotas;
    /// a pod the node or the quota cannot take is left to the caller, who submits it as
    /// new. Returns how many were bound.
    pub fn bind_existing(
        &mut self,
        node: u32,
        pods: &PendingPods,
        policy: &dyn PlacementPolicy,
        bound: &mut Vec<Binding>,
    ) -> u32 {
        let pod = pods.request;
        let mut n_bound = 0;
        while n_bound < pods.n_pods
            && (node as usize) < self.node_free.len()
            && !self.is_down(node)
            && fits(&pod, self.node_shape(node), &self.node_free[node as usize])
            && self.below_limit(node, &pod)
            && self.quota_admits(pods, 1)
        {
            self.charge_quota(pods.namespace, pods.priority_class, &pod, 1);
            let devices = self.devices_for(node, &pod, policy);
            self.bind(node, &pod, devices);
            bound.push(Binding {
                job: pods.job,
                node,
                devices,
                request: pod,
                component: pods.component,
            });
            n_bound += 1;
        }
        n_bound
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
            let _deciding = crate::decision::for_job(group.job);
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

    /// Seeds the cluster's random draws from the run's streams.
    pub fn seed(&mut self, streams: &RngStreams) {
        self.rng = streams.stream(&format!("member/{}", self.id.0));
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

    /// Whether `node` is up, not cordoned nor asleep, and could take `pod` once emptied: its pool admits
    /// the pod's node claim, the GPU model is allowed, and the claim's per-node limit leaves
    /// room.
    pub fn can_host(&self, node: u32, pod: &PodRequest) -> bool {
        !self.is_down(node)
            && !self.unschedulable(node)
            && self.pools[usize::from(self.node_pool[node as usize])].takes(pod)
            && self.below_limit(node, pod)
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
        self.choose_node_scored(pod, policy.choice(), |_, candidates, scores| {
            policy.score_batch(pod, candidates, scores)
        })
    }

    /// The node for `pod` under `choice`; `score(nodes, candidates, scores)` scores every
    /// candidate in one call (see [`MemberCluster::place_scored`]).
    fn choose_node_scored(
        &mut self,
        pod: &PodRequest,
        choice: Choice,
        score: impl FnOnce(&[u32], &[(&NodeShape, &NodeFree)], &mut [i64]),
    ) -> Option<u32> {
        match choice {
            Choice::Uniform => {
                let mut nodes: Vec<u32> = self
                    .buckets
                    .iter()
                    .filter(|((pool_idx, free), _)| self.admits(*pool_idx, free, pod))
                    .flat_map(|(_, nodes)| nodes.iter().copied())
                    .filter(|node| self.below_limit(*node, pod) && !self.unschedulable(*node))
                    .collect();
                if nodes.is_empty() {
                    return None;
                }
                // The draw is a rank in node-index order; selecting that one rank costs less
                // than sorting them all.
                let pick = rand::RngExt::random_range(&mut self.rng, 0..nodes.len());
                Some(*nodes.select_nth_unstable(pick).1)
            }
            choice => {
                let mut nodes = Vec::with_capacity(self.buckets.len());
                let mut candidates = Vec::with_capacity(self.buckets.len());
                for ((pool_idx, free), bucket) in &self.buckets {
                    if !self.admits(*pool_idx, free, pod) {
                        continue;
                    }
                    // Identical nodes score alike: the lowest-index one the claim's per-node
                    // limit still allows stands for its bucket.
                    let Some(node) = bucket
                        .iter()
                        .copied()
                        .find(|n| self.below_limit(*n, pod) && !self.unschedulable(*n))
                    else {
                        continue;
                    };
                    nodes.push(node);
                    candidates.push((&self.pools[usize::from(*pool_idx)].shape, free));
                }
                if nodes.is_empty() {
                    return None;
                }
                let mut scores = vec![0; nodes.len()];
                score(&nodes, &candidates, &mut scores);
                best_node(scores.into_iter().zip(nodes), choice == Choice::Normalized)
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
        self.place_scored(pod, policy, |_, candidates, scores| {
            policy.score_batch(pod, candidates, scores)
        })
    }

    /// As [`MemberCluster::place`], with the candidates scored by one call of
    /// `score(nodes, candidates, scores)`, which must fill `scores[i]` with what
    /// `policy.score(pod, shape, free)` gives `candidates[i]` (node `nodes[i]`): callers
    /// placing many pods of few kinds keep scores per (kind, node) until the node changes. A
    /// candidate stands for its (pool, free state) bucket: the lowest-index node there the
    /// claim's per-node limit allows. Not called when no node fits.
    pub fn place_scored(
        &mut self,
        pod: &PodRequest,
        policy: &dyn PlacementPolicy,
        score: impl FnOnce(&[u32], &[(&NodeShape, &NodeFree)], &mut [i64]),
    ) -> Option<(u32, DeviceMask)> {
        let node = self.choose_node_scored(pod, policy.choice(), score)?;
        let mask = self.devices_for(node, pod, policy);
        self.bind(node, pod, mask);
        Some((node, mask))
    }

    /// The devices of `node` that `pod` takes: whole free devices, or for a fraction of one
    /// GPU the device `policy` shares.
    fn devices_for(
        &mut self,
        node: u32,
        pod: &PodRequest,
        policy: &dyn PlacementPolicy,
    ) -> DeviceMask {
        let free = self.node_free[node as usize];
        let shape = *self.node_shape(node);
        let share =
            (pod.gpu.count == 1 && pod.gpu.milli_per_gpu < devices::DEVICE_MILLI).then(|| {
                let rng = &mut self.rng;
                let mut draw = |n: u32| rand::RngExt::random_range(rng, 0..n);
                policy.share_device(pod, &shape, &free, &mut draw)
            });
        free.devices.mask_for(&pod.gpu, share)
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
        free.gpus -= crate::estimator::gpu_request(pod) as u32;
        debug_assert!(self.below_limit(node, pod), "per-node limit exceeded");
        self.count_claim(node, pod, 1);
        let tag = devices::gpu_tag(&pod.gpu);
        if tag != 0 {
            *self.tag_counts.entry((node, tag)).or_default() += 1;
            free.tags |= tag;
        }
        self.rebucket(node, free);
        self.note_bound(node);
        self.summary.allocated.add(&ResourceList::of_pods(pod, 1));
        if let Some(model) = self.node_gpu_model(node) {
            self.gpu_allocated_milli[model.0 as usize] += pod.gpu.total_milli();
        }
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
        free.gpus += crate::estimator::gpu_request(pod) as u32;
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
        self.note_released(node);
        self.summary.allocated.sub(&ResourceList::of_pods(pod, 1));
        if let Some(model) = self.node_gpu_model(node) {
            self.gpu_allocated_milli[model.0 as usize] -= pod.gpu.total_milli();
        }
    }

    /// Whether every node holds at most its claims' per-node limits.
    pub(super) fn check_claims(&self) -> Result<(), String> {
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
        Ok(())
    }
}
