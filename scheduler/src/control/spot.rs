//! Spot revocations (`crate::spot`): a notice cordons a node, the node goes down when the
//! notice ends, and it may come back later.
//!
//! Rules:
//! - each revocation takes one node of the pool, drawn uniformly (from the `spot` stream)
//!   among the pool's nodes that are up and not already under notice; with none, the
//!   revocation is skipped. The next revocation is drawn at each one, skipped or not;
//! - at the notice the node is cordoned: its pods keep running, no new pod goes there;
//! - when the notice ends the node goes down with its pods (the node-down path). A job whose
//!   checkpoint takes no longer than the notice (`checkpoint_cost` ≤ `notice`; no cost
//!   counts as 0) writes one that ends as the node goes and loses nothing, its last
//!   `checkpoint_cost` charged as idle; other jobs lose the work since their last
//!   checkpoint. The member recreates the pods, which wait for a node like any;
//! - the node comes back after a draw from `back_after`, or never.

use sim_core::engine::Context;
use sim_core::record::{EventKind, EventRecord, Record};

use super::job::Loss;
use super::{ControlEvent, ControlPlane};

impl ControlPlane {
    /// Schedules each spot pool's first revocation.
    pub(super) fn start_spot(&mut self, ctx: &mut Context<'_, ControlEvent>) {
        for rule in 0..self.failover.plan.spot.len() {
            self.next_revocation(rule, ctx);
        }
    }

    fn next_revocation(&mut self, rule: usize, ctx: &mut Context<'_, ControlEvent>) {
        let times = &self.failover.plan.spot[rule].times;
        if let Some(at) = times.next_after(ctx.now(), &mut self.failover.spot_rng) {
            ctx.schedule(at, ControlEvent::SpotNotice { rule: rule as u32 });
        }
    }

    /// A revocation notice: a node of the pool is cordoned until the notice ends.
    pub(super) fn spot_notice(&mut self, rule: usize, ctx: &mut Context<'_, ControlEvent>) {
        self.next_revocation(rule, ctx);
        let revocations = &self.failover.plan.spot[rule];
        let member = &self.members[revocations.cluster.0 as usize];
        let candidates: Vec<u32> = revocations
            .nodes
            .clone()
            .filter(|&node| !member.is_down(node) && !member.is_cordoned(node))
            .collect();
        if candidates.is_empty() {
            return;
        }
        let pick = rand::RngExt::random_range(&mut self.failover.spot_rng, 0..candidates.len());
        let node = candidates[pick];
        let (cluster, notice) = (revocations.cluster, revocations.notice);
        self.members[cluster.0 as usize].cordon(node);
        ctx.schedule(
            ctx.now().after(notice),
            ControlEvent::SpotDown {
                rule: rule as u32,
                node,
            },
        );
    }

    /// The notice is over: the node goes down with its pods.
    pub(super) fn spot_down(
        &mut self,
        rule: usize,
        node: u32,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        let revocations = &self.failover.plan.spot[rule];
        let (cluster, notice) = (revocations.cluster, revocations.notice);
        let back = revocations.back_after;
        let mut event = EventRecord::new(ctx.now(), EventKind::NodeDown);
        event.cluster = Some(cluster);
        event.node = Some(node);
        event.reason = format!("spot revocation of {} (notice {notice})", revocations.label);
        ctx.record(Record::Event(event));
        self.members[cluster.0 as usize].uncordon(node);
        self.nodes_down(cluster, node..node + 1, Loss::Revoked { notice }, ctx);
        if let Some(back) = back {
            let after = back.sample(&mut self.failover.spot_rng);
            // Counted with repairs: the run goes on for them only while jobs progress.
            self.n_repairs += 1;
            ctx.schedule(
                ctx.now().after(after),
                ControlEvent::SpotBack {
                    rule: rule as u32,
                    node,
                },
            );
        }
    }

    /// A revoked node is back.
    pub(super) fn spot_back(
        &mut self,
        rule: usize,
        node: u32,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        self.n_repairs -= 1;
        let cluster = self.failover.plan.spot[rule].cluster;
        self.nodes_up(cluster, node..node + 1, ctx);
        let mut event = EventRecord::new(ctx.now(), EventKind::NodeUp);
        event.cluster = Some(cluster);
        event.node = Some(node);
        event.reason = format!(
            "spot capacity back in {}",
            self.failover.plan.spot[rule].label
        );
        ctx.record(Record::Event(event));
    }
}
