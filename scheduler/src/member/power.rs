//! Idle nodes powering down (`clusters[].power_down`), as the member sees them.
//!
//! An asleep node stays installed and in the free-capacity index, so the published resource
//! summary and the estimators keep counting it (the member reports it as capacity it can
//! wake) and capacity is not lost; only the member's own placement skips it, as it skips a
//! cordoned node, until it is awake. Keeping it in the index also keeps the index invariants
//! unchanged: an asleep node is empty, like a node just up.
//!
//! The control plane owns the timers (`crate::control::power`); this file keeps the states
//! and tells which nodes to check or to wake.

use sim_core::model::PodRequest;

use super::{MemberCluster, NodeFree, fits};

/// What the member tracks for powering down; absent (and nothing tracked) unless the
/// cluster's nodes power down.
#[derive(Debug, Default)]
pub(super) struct PowerState {
    /// Per node, bumped each time a pod is bound there: an idle check drawn for an older
    /// generation is stale.
    pub(super) generation: Vec<u32>,
    /// Nodes that just became empty (or came back up empty), in the order they did: each
    /// needs an idle check.
    pub(super) emptied: Vec<u32>,
    /// Asleep nodes, waking ones included.
    pub(super) asleep: std::collections::BTreeSet<u32>,
    /// Asleep nodes already woken, awake once their wake-up ends.
    pub(super) waking: std::collections::BTreeSet<u32>,
}

impl MemberCluster {
    /// Starts tracking idle nodes: every node is empty now, so each needs an idle check.
    pub fn track_idle(&mut self) {
        let n = self.node_free.len();
        self.power = Some(PowerState {
            generation: vec![0; n],
            emptied: (0..n as u32).collect(),
            ..PowerState::default()
        });
    }

    /// Nodes that became empty since the last call and still are, lowest index first, each
    /// with its generation.
    pub fn take_emptied(&mut self) -> Vec<(u32, u32)> {
        let Some(power) = &mut self.power else {
            return Vec::new();
        };
        let mut emptied = std::mem::take(&mut power.emptied);
        emptied.sort_unstable();
        emptied.dedup();
        // Only nodes still empty and up at the end of the event: each has been idle since.
        emptied.retain(|&node| self.is_empty_node(node) && !self.is_down(node));
        let power = self.power.as_ref().expect("tracked");
        emptied
            .into_iter()
            .map(|node| (node, power.generation[node as usize]))
            .collect()
    }

    /// Notes that `node` may have become empty (after a release or a return).
    pub(super) fn note_released(&mut self, node: u32) {
        if self.power.is_none() || !self.is_empty_node(node) {
            return;
        }
        if let Some(power) = &mut self.power {
            power.emptied.push(node);
        }
    }

    /// Notes a pod bound to `node`: pending idle checks of the node are stale.
    pub(super) fn note_bound(&mut self, node: u32) {
        if let Some(power) = &mut self.power {
            power.generation[node as usize] = power.generation[node as usize].wrapping_add(1);
        }
    }

    fn is_empty_node(&self, node: u32) -> bool {
        self.node_free[node as usize] == NodeFree::of_shape(self.node_shape(node))
    }

    /// Powers `node` down if it is still idle since the check for `generation` was drawn,
    /// up and awake; returns whether it did.
    pub fn power_down_if_idle(&mut self, node: u32, generation: u32) -> bool {
        let idle = self.is_empty_node(node) && !self.is_down(node);
        let Some(power) = &mut self.power else {
            return false;
        };
        if power.generation[node as usize] != generation || !idle || power.asleep.contains(&node) {
            return false;
        }
        power.asleep.insert(node);
        true
    }

    /// Whether `node` is powered down (waking or not).
    pub fn is_asleep(&self, node: u32) -> bool {
        self.power
            .as_ref()
            .is_some_and(|power| power.asleep.contains(&node))
    }

    /// Whether the member's scheduler may bind to `node` (not cordoned, not asleep).
    pub(super) fn unschedulable(&self, node: u32) -> bool {
        self.is_cordoned(node) || self.is_asleep(node)
    }

    /// Nodes of pool `pool` that are up and not asleep: what draws power. A waking node
    /// draws as it boots.
    pub fn pool_powered_nodes(&self, pool: usize) -> u32 {
        self.pool_nodes(pool)
            .filter(|&node| {
                !self.is_down(node)
                    && self.power.as_ref().is_none_or(|power| {
                        !power.asleep.contains(&node) || power.waking.contains(&node)
                    })
            })
            .count() as u32
    }

    /// Asleep nodes to wake for the pods still waiting, lowest index first: per waiting
    /// group, in retry order, as many nodes as its pods need on empty nodes, less what nodes
    /// already waking for an earlier group or event offer, at least one. A node can help a
    /// group when its pool admits the pods and its empty shape fits one. Marks them waking.
    pub fn nodes_to_wake(&mut self) -> Vec<u32> {
        let Some(power) = &self.power else {
            return Vec::new();
        };
        if self.pending.is_empty() || power.asleep.len() == power.waking.len() {
            return Vec::new();
        }
        let mut woken = Vec::new();
        let mut waking: Vec<u32> = power.waking.iter().copied().collect();
        let candidates: Vec<u32> = power
            .asleep
            .iter()
            .copied()
            .filter(|node| !power.waking.contains(node))
            .collect();
        let mut taken = vec![false; candidates.len()];
        let groups: Vec<(PodRequest, u32)> = self
            .pending
            .values()
            .map(|group| (group.request, group.n_pods))
            .collect();
        for (pod, n_pods) in groups {
            let per_node = |member: &MemberCluster, node: u32| -> u32 {
                let pool = &member.pools[usize::from(member.node_pool[node as usize])];
                let empty = NodeFree::of_shape(&pool.shape);
                if !pool.takes(&pod) || !fits(&pod, &pool.shape, &empty) {
                    return 0;
                }
                super::index::replicas_on_node(pool, &empty, &pod).max(1) as u32
            };
            // What nodes already waking will offer these pods.
            let mut left = n_pods;
            for &node in &waking {
                left = left.saturating_sub(per_node(self, node));
            }
            for (idx, &node) in candidates.iter().enumerate() {
                if left == 0 {
                    break;
                }
                if taken[idx] {
                    continue;
                }
                let offer = per_node(self, node);
                if offer == 0 {
                    continue;
                }
                taken[idx] = true;
                left = left.saturating_sub(offer);
                woken.push(node);
                waking.push(node);
            }
        }
        woken.sort_unstable();
        if let Some(power) = &mut self.power {
            power.waking.extend(woken.iter().copied());
        }
        woken
    }

    /// A woken node is awake, if it is still waking; returns whether it was. It is empty,
    /// so it needs an idle check again.
    pub fn finish_wake(&mut self, node: u32) -> bool {
        let Some(power) = &mut self.power else {
            return false;
        };
        if !power.waking.remove(&node) {
            return false;
        }
        power.asleep.remove(&node);
        power.generation[node as usize] = power.generation[node as usize].wrapping_add(1);
        power.emptied.push(node);
        true
    }

    /// A node going down forgets its sleep (it comes back awake); returns whether it slept.
    pub fn forget_sleep(&mut self, node: u32) -> bool {
        let Some(power) = &mut self.power else {
            return false;
        };
        power.waking.remove(&node);
        power.generation[node as usize] = power.generation[node as usize].wrapping_add(1);
        power.asleep.remove(&node)
    }
}
