//! Idle nodes powering down (`clusters[].power_down`), its timers and records.
//!
//! Rules:
//! - a node with no pods for `after` powers down: one idle check per node is scheduled when
//!   it becomes empty (or comes back up, or wakes), and is ignored if a pod was bound there
//!   since (the member's per-node generation), so nothing scans the nodes;
//! - an asleep node stays in Karmada's view (summary, estimators) and in the timeline's
//!   capacity, but the member binds nothing to it (see `crate::member` `power.rs`);
//! - after each event, a member with pods still waiting wakes asleep nodes that could take
//!   them (lowest index first, as many as the pods need on empty nodes, at least one); each
//!   is awake after `wake_up`, and the waiting pods are retried then. A node woken and idle
//!   again powers down after `after` again;
//! - a node that goes down forgets its sleep and comes back awake;
//! - an asleep node draws nothing: pool records carry the nodes powered (a waking node
//!   draws as it boots), which energy follows; cost follows nodes up, so sleep saves no
//!   money;
//! - events `power_down` and `power_up` (at the wake-up's start) name the node.

use sim_core::engine::Context;
use sim_core::model::ClusterId;
use sim_core::record::{EventKind, EventRecord, Record};

use super::{ControlEvent, ControlPlane};

impl ControlPlane {
    /// Schedules the idle checks of nodes that became empty, and wakes asleep nodes for the
    /// pods waiting in touched clusters; after every event.
    pub(super) fn settle_power(&mut self, ctx: &mut Context<'_, ControlEvent>) {
        // Empty unless some cluster powers down: the common case costs nothing per event.
        if self.world.economics.power_down.is_empty() {
            return;
        }
        for idx in 0..self.members.len() {
            let Some(power) = self.world.economics.power_down(idx) else {
                continue;
            };
            let cluster = ClusterId(idx as u32);
            if self.touched[idx] {
                let woken = self.members[idx].nodes_to_wake();
                if !woken.is_empty() {
                    self.wake(cluster, &woken, power.wake_up, ctx);
                }
            }
            for (node, generation) in self.members[idx].take_emptied() {
                ctx.schedule(
                    ctx.now().after(power.after),
                    ControlEvent::IdleCheck {
                        cluster,
                        node,
                        generation,
                    },
                );
            }
        }
    }

    fn wake(
        &mut self,
        cluster: ClusterId,
        nodes: &[u32],
        wake_up: sim_core::Duration,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        let mut pools = Vec::with_capacity(nodes.len());
        for &node in nodes {
            let mut event = EventRecord::new(ctx.now(), EventKind::PowerUp);
            event.cluster = Some(cluster);
            event.node = Some(node);
            event.reason = format!("woken for waiting pods, awake in {wake_up}");
            ctx.record(Record::Event(event));
            pools.push(self.members[cluster.0 as usize].node_pool_idx(node));
            // Waiting pods depend on it: the run goes on until it is awake.
            self.n_fault_timers += 1;
            ctx.schedule(
                ctx.now().after(wake_up),
                ControlEvent::Awake { cluster, node },
            );
        }
        self.record_pools(cluster, pools, ctx);
        for &node in nodes {
            let model = self.members[cluster.0 as usize].node_gpu_model(node);
            self.mark_dirty(cluster, model);
        }
    }

    /// A node's idle check: it powers down if no pod came since the check was drawn.
    pub(super) fn idle_check(
        &mut self,
        cluster: ClusterId,
        node: u32,
        generation: u32,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        let member = &mut self.members[cluster.0 as usize];
        if !member.power_down_if_idle(node, generation) {
            return;
        }
        let (pool, model) = (member.node_pool_idx(node), member.node_gpu_model(node));
        let mut event = EventRecord::new(ctx.now(), EventKind::PowerDown);
        event.cluster = Some(cluster);
        event.node = Some(node);
        event.reason = "idle".to_owned();
        ctx.record(Record::Event(event));
        self.record_pools(cluster, vec![pool], ctx);
        // The timeline's power column follows the allocation records.
        self.mark_dirty(cluster, model);
        self.touched[cluster.0 as usize] = true;
    }

    /// A woken node is awake: waiting pods may go there now.
    pub(super) fn awake(&mut self, cluster: ClusterId, node: u32) {
        self.n_fault_timers -= 1;
        if self.members[cluster.0 as usize].finish_wake(node) {
            self.n_changes += 1;
            self.touched[cluster.0 as usize] = true;
        }
    }
}
