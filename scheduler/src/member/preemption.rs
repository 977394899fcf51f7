//! Kubernetes' default preemption inside one member cluster (the `DefaultPreemption` plugin):
//! which pods to evict, and on which node, so that a pending pod that fits nowhere can run.
//!
//! A pure query: the caller lists the nodes the pod could use (after its own node-claim and
//! taint filtering) with their pods, and gets back one node and the pods to evict. Eviction,
//! nomination and the graceful wait are the caller's business.
//!
//! Per node (`selectVictimsOnNode`): every pod of strictly lower priority is removed; if the
//! preemptor still does not fit, the node is no candidate. Otherwise the removed pods are
//! reprieved one at a time — those whose eviction would break a PodDisruptionBudget first, then
//! the rest, each group most important first — and a pod stays evicted only if putting it back
//! would leave no room. Among the candidates (`pickOneNodeForPreemption`) the node with the
//! fewest PDB violations wins, then the lowest highest victim priority, then the lowest sum of
//! offset victim priorities, then the fewest victims, then the most recently started
//! highest-priority victims, then the lowest node index.
//!
//! Fit uses [`super::fits`] over the member's device model ([`super::Devices`]): a victim gives
//! back its CPU, memory, pod slot and its devices' milli-GPU, so a 500-milli share freed on a
//! device makes room for a 500-milli share on that same device only.

use std::cmp::Reverse;

use sim_core::SimTime;
use sim_core::model::{NodeShape, PodRequest};

use super::{DeviceMask, NodeFree, fits};

/// Whether a pod may evict others (`spec.preemptionPolicy`); an enum rather than a flag so call
/// sites read as the Kubernetes field does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreemptionPolicy {
    /// Kubernetes' default: the pod may evict pods of strictly lower priority.
    PreemptLowerPriority,
    /// The pod waits for room and never evicts anyone.
    Never,
}

/// The pending pod that wants room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preemptor {
    /// What it asks for.
    pub request: PodRequest,
    /// Its priority; only pods strictly below it may be evicted.
    pub priority: i32,
    /// Whether it may evict at all.
    pub policy: PreemptionPolicy,
}

/// A pod running on a candidate node, as preemption sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VictimPod {
    /// The caller's handle for the pod, returned in [`Preemption::victims`]; it also breaks
    /// ties between pods of equal priority and start time (lower first), so it must be unique.
    pub id: u64,
    /// What the pod holds on the node.
    pub request: PodRequest,
    /// The GPU devices it holds, so that evicting it frees those devices and no others.
    pub devices: DeviceMask,
    /// Its priority.
    pub priority: i32,
    /// When it started: among equal priorities the older pod is the more important one.
    pub start: SimTime,
    /// Whether evicting it would break its PodDisruptionBudget (the caller decides); such pods
    /// are reprieved first and counted against the node.
    pub pdb_violating: bool,
}

/// One node the preemptor could run on, with what is free now and the pods on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeCandidate {
    /// The node's index in its cluster; the last tie-break (lowest wins).
    pub node: u32,
    /// The node's allocatable resources.
    pub shape: NodeShape,
    /// What is free now, with every pod of `pods` in place.
    pub free: NodeFree,
    /// The pods bound to the node.
    pub pods: Vec<VictimPod>,
}

/// The decision: evict `victims` from `node`, then the preemptor fits there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preemption {
    /// The chosen node's index.
    pub node: u32,
    /// The pods to evict, most important first (priority descending, then start, then id), as
    /// Kubernetes orders them.
    pub victims: Vec<u64>,
}

/// The node and victims Kubernetes' default preemption picks for `preemptor`, or `None` when
/// it may not preempt or no eviction of lower-priority pods makes room anywhere.
///
/// Precondition: the preemptor fits on none of `nodes` as they are (the caller preempts only
/// after scheduling failed). Debug builds assert it; release builds return `None`, since a node
/// that fits needs placement, not eviction.
pub fn select_preemption(preemptor: &Preemptor, nodes: &[NodeCandidate]) -> Option<Preemption> {
    if preemptor.policy == PreemptionPolicy::Never {
        return None;
    }
    let already_fits = nodes
        .iter()
        .any(|candidate| fits(&preemptor.request, &candidate.shape, &candidate.free));
    debug_assert!(
        !already_fits,
        "preemption asked for a pod that fits a node already"
    );
    if already_fits {
        return None;
    }
    let best = nodes
        .iter()
        .filter_map(|candidate| victims_on_node(preemptor, candidate))
        .min_by_key(NodeVictims::rank)?;
    Some(Preemption {
        node: best.node,
        victims: best.victims.iter().map(|pod| pod.id).collect(),
    })
}

/// The victims one node needs, with what `pickOneNodeForPreemption` compares.
struct NodeVictims<'a> {
    node: u32,
    /// Most important first.
    victims: Vec<&'a VictimPod>,
    n_pdb_violations: usize,
}

/// Kubernetes adds `MaxInt32 + 1` to every victim priority before summing so that each term is
/// positive; kept, because it makes the sum grow with the number of victims and so changes which
/// node wins when priorities are negative.
const PRIORITY_OFFSET: i64 = i32::MAX as i64 + 1;

impl NodeVictims<'_> {
    /// The `pickOneNodeForPreemption` order: the smallest key wins.
    fn rank(&self) -> (usize, i32, i64, usize, Reverse<SimTime>, u32) {
        // Victims are sorted most important first, so the first one has the highest priority
        // and, among those, the earliest start.
        let first = self.victims.first().expect("a candidate has victims");
        let sum_priorities: i64 = self
            .victims
            .iter()
            .map(|pod| i64::from(pod.priority) + PRIORITY_OFFSET)
            .sum();
        (
            self.n_pdb_violations,
            first.priority,
            sum_priorities,
            self.victims.len(),
            Reverse(first.start),
            self.node,
        )
    }
}

/// Kubernetes' `selectVictimsOnNode`: `None` when evicting every lower-priority pod still leaves
/// no room.
fn victims_on_node<'a>(
    preemptor: &Preemptor,
    candidate: &'a NodeCandidate,
) -> Option<NodeVictims<'a>> {
    let mut lower: Vec<&VictimPod> = candidate
        .pods
        .iter()
        .filter(|pod| pod.priority < preemptor.priority)
        .collect();
    if lower.is_empty() {
        return None;
    }
    lower.sort_by_key(|pod| importance(pod));
    let mut free = candidate.free;
    for pod in &lower {
        give_back(&mut free, pod);
    }
    if !fits(&preemptor.request, &candidate.shape, &free) {
        return None;
    }
    let mut victims = Vec::new();
    let mut n_pdb_violations = 0;
    let violating = lower.iter().filter(|pod| pod.pdb_violating);
    let others = lower.iter().filter(|pod| !pod.pdb_violating);
    for pod in violating.chain(others) {
        let mut with_pod = free;
        take_again(&mut with_pod, pod);
        if fits(&preemptor.request, &candidate.shape, &with_pod) {
            free = with_pod;
        } else {
            victims.push(*pod);
            n_pdb_violations += usize::from(pod.pdb_violating);
        }
    }
    victims.sort_by_key(|pod| importance(pod));
    Some(NodeVictims {
        node: candidate.node,
        victims,
        n_pdb_violations,
    })
}

/// Kubernetes' `MoreImportantPod` as a sort key (smallest = most important), completed by the
/// id so that no two pods tie.
fn importance(pod: &VictimPod) -> (Reverse<i32>, SimTime, u64) {
    (Reverse(pod.priority), pod.start, pod.id)
}

/// `free` after `pod` leaves the node.
fn give_back(free: &mut NodeFree, pod: &VictimPod) {
    free.cpu_milli += pod.request.cpu_milli;
    free.memory += pod.request.memory;
    free.pods += 1;
    free.devices
        .give(pod.devices, pod.request.gpu.milli_per_gpu);
    free.gpus += crate::estimator::gpu_request(&pod.request) as u32;
}

/// `free` after `pod` comes back onto the same devices.
fn take_again(free: &mut NodeFree, pod: &VictimPod) {
    free.cpu_milli -= pod.request.cpu_milli;
    free.memory -= pod.request.memory;
    free.pods -= 1;
    free.devices
        .take(pod.devices, pod.request.gpu.milli_per_gpu);
    free.gpus -= crate::estimator::gpu_request(&pod.request) as u32;
}

#[cfg(test)]
mod tests;
