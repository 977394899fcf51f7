//! Faults and failover: nodes and clusters going down and coming back, Karmada's cluster
//! health taints and taint manager, and application failover.

use sim_core::engine::Context;
use sim_core::model::{ClusterId, JobId, Taint, TaintEffect};
use sim_core::record::{EventKind, EventRecord, PoolRecord, Record};
use sim_core::rng::{RngStreams, StreamRng};
use sim_core::{Duration, SimTime};

use super::job::Loss;
use super::{ControlEvent, ControlPlane};
use crate::faults::{FailoverConfig, FaultPlan, FaultTarget, UNREACHABLE_TAINT};
use crate::policy::{PurgeMode, Toleration};

/// The fault plan, and what failover knows of each cluster's health.
pub(super) struct FailoverState {
    pub(super) plan: FaultPlan,
    pub(super) config: FailoverConfig,
    /// Draws of random node failures and repairs.
    pub(super) rng: Option<StreamRng>,
    /// Draws of job failures (their own stream: scenarios without them draw nothing new).
    pub(super) job_rng: StreamRng,
    /// Draws of spot revocations and the nodes they take.
    pub(super) spot_rng: StreamRng,
    /// Per cluster, the outages holding it down.
    pub(super) cluster_down: Vec<u32>,
    /// Per cluster, bumped at each health change; stale health events are ignored.
    pub(super) cluster_epoch: Vec<u32>,
    /// Per cluster, when the control plane marked it unreachable.
    pub(super) unreachable_since: Vec<Option<SimTime>>,
}

impl FailoverState {
    /// Every cluster up, with `plan` ahead and node failures drawn from `streams`.
    pub(super) fn new(
        plan: FaultPlan,
        config: FailoverConfig,
        streams: &RngStreams,
        n_clusters: usize,
    ) -> FailoverState {
        FailoverState {
            plan,
            config,
            rng: Some(streams.stream("faults")),
            job_rng: streams.stream("job_failures"),
            spot_rng: streams.stream("spot"),
            cluster_down: vec![0; n_clusters],
            cluster_epoch: vec![0; n_clusters],
            unreachable_since: vec![None; n_clusters],
        }
    }
}

impl ControlPlane {
    /// Schedules the scheduled outages and every node's first random failure.
    pub(super) fn start_faults(&mut self, ctx: &mut Context<'_, ControlEvent>) {
        for (idx, outage) in self.failover.plan.outages.iter().enumerate() {
            ctx.schedule(outage.down, ControlEvent::OutageDown(idx as u32));
        }
        let mut rng = self
            .failover
            .rng
            .take()
            .unwrap_or_else(|| RngStreams::new(0).stream("faults"));
        for (rule_idx, rule) in self.failover.plan.random.iter().enumerate() {
            for &cluster in &rule.clusters {
                for node in 0..self.members[cluster.0 as usize].n_nodes() as u32 {
                    let at = ctx.now().after(rule.between_failures.sample(&mut rng));
                    ctx.schedule(
                        at,
                        ControlEvent::NodeFail {
                            cluster,
                            node,
                            rule: rule_idx as u32,
                        },
                    );
                }
            }
        }
        self.failover.rng = Some(rng);
    }

    /// The cluster and node indices a fault target takes down.
    pub(super) fn fault_scope(&self, target: &FaultTarget) -> (ClusterId, std::ops::Range<u32>) {
        match target {
            FaultTarget::Cluster(cluster) => {
                let n = self.members[cluster.0 as usize].n_nodes() as u32;
                (*cluster, 0..n)
            }
            FaultTarget::Nodes { cluster, nodes } => (*cluster, nodes.clone()),
        }
    }

    /// A scheduled outage or drain begins.
    pub(super) fn outage_down(&mut self, idx: usize, ctx: &mut Context<'_, ControlEvent>) {
        let outage = self.failover.plan.outages[idx].clone();
        if let Some(up) = outage.up {
            self.n_fault_timers += 1;
            ctx.schedule(up, ControlEvent::OutageUp(idx as u32));
        }
        let loss = if outage.drain {
            Loss::Drain
        } else {
            Loss::Failure
        };
        let (cluster, nodes) = self.fault_scope(&outage.target);
        let kind = match (&outage.target, outage.drain) {
            (FaultTarget::Cluster(_), _) => EventKind::ClusterDown,
            (_, true) => EventKind::DrainStart,
            (_, false) => EventKind::NodeDown,
        };
        let mut event = EventRecord::new(ctx.now(), kind);
        event.cluster = Some(cluster);
        event.node = (nodes.len() == 1).then_some(nodes.start);
        event.reason = outage.label.clone();
        ctx.record(Record::Event(event));
        if matches!(outage.target, FaultTarget::Cluster(_)) {
            self.cluster_down(cluster, ctx);
        }
        self.nodes_down(cluster, nodes, loss, ctx);
    }

    /// A scheduled outage or drain ends.
    pub(super) fn outage_up(&mut self, idx: usize, ctx: &mut Context<'_, ControlEvent>) {
        self.n_fault_timers -= 1;
        let outage = self.failover.plan.outages[idx].clone();
        let (cluster, nodes) = self.fault_scope(&outage.target);
        let kind = match (&outage.target, outage.drain) {
            (FaultTarget::Cluster(_), _) => EventKind::ClusterUp,
            (_, true) => EventKind::DrainEnd,
            (_, false) => EventKind::NodeUp,
        };
        self.nodes_up(cluster, nodes.clone(), ctx);
        let mut event = EventRecord::new(ctx.now(), kind);
        event.cluster = Some(cluster);
        event.node = (nodes.len() == 1).then_some(nodes.start);
        event.reason = outage.label;
        ctx.record(Record::Event(event));
        if matches!(outage.target, FaultTarget::Cluster(_)) {
            self.cluster_up(cluster, ctx);
        }
    }

    /// A random failure of one node.
    pub(super) fn node_fail(
        &mut self,
        cluster: ClusterId,
        node: u32,
        rule: usize,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        let repair = {
            let rng = self.failover.rng.as_mut().expect("seeded");
            self.failover.plan.random[rule].repair.sample(rng)
        };
        self.n_repairs += 1;
        ctx.schedule(
            ctx.now().after(repair),
            ControlEvent::NodeRepair {
                cluster,
                node,
                rule: rule as u32,
            },
        );
        let mut event = EventRecord::new(ctx.now(), EventKind::NodeDown);
        event.cluster = Some(cluster);
        event.node = Some(node);
        event.reason = "random node failure".to_owned();
        ctx.record(Record::Event(event));
        self.nodes_down(cluster, node..node + 1, Loss::Failure, ctx);
    }

    /// A randomly failed node is repaired; its next failure is drawn.
    pub(super) fn node_repair(
        &mut self,
        cluster: ClusterId,
        node: u32,
        rule: usize,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        self.n_repairs -= 1;
        self.nodes_up(cluster, node..node + 1, ctx);
        let mut event = EventRecord::new(ctx.now(), EventKind::NodeUp);
        event.cluster = Some(cluster);
        event.node = Some(node);
        event.reason = "repaired".to_owned();
        ctx.record(Record::Event(event));
        let next = {
            let rng = self.failover.rng.as_mut().expect("seeded");
            self.failover.plan.random[rule].between_failures.sample(rng)
        };
        ctx.schedule(
            ctx.now().after(next),
            ControlEvent::NodeFail {
                cluster,
                node,
                rule: rule as u32,
            },
        );
    }

    /// Takes nodes down: their pods are lost (or drained) and the member's controllers
    /// recreate them as pending pods in the same cluster.
    pub(super) fn nodes_down(
        &mut self,
        cluster: ClusterId,
        nodes: std::ops::Range<u32>,
        loss: Loss,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        let now = ctx.now();
        let mut victims: Vec<(JobId, usize)> = Vec::new();
        for node in nodes.clone() {
            if self.members[cluster.0 as usize].is_down(node) {
                continue;
            }
            victims.extend(
                self.node_pods
                    .range(
                        (cluster, node, JobId(0), 0)..=(cluster, node, JobId(u64::MAX), u32::MAX),
                    )
                    .map(|&(_, _, job, pod)| (job, pod as usize)),
            );
        }
        victims.sort_unstable();
        let mut start = 0;
        while start < victims.len() {
            let job = victims[start].0;
            let end = start + victims[start..].iter().take_while(|v| v.0 == job).count();
            let pods: Vec<usize> = victims[start..end].iter().map(|v| v.1).collect();
            self.lose_pods(job, cluster, &pods, loss, ctx);
            start = end;
        }
        let member = &mut self.members[cluster.0 as usize];
        let mut pools_changed = Vec::new();
        for node in nodes {
            let model = member.node_gpu_model(node);
            // A node comes back awake, whatever it was when it went.
            member.forget_sleep(node);
            if member.node_down(node) {
                pools_changed.push(member.node_pool_idx(node));
            }
            let idx = cluster.0 as usize * self.world.fleet.gpu_models.len();
            if let Some(model) = model
                && !self.dirty[idx + model.0 as usize]
            {
                self.dirty[idx + model.0 as usize] = true;
                self.dirty_list.push((cluster, model));
            }
        }
        self.record_pools(cluster, pools_changed, ctx);
        for (job, cluster, component, n_pods) in std::mem::take(&mut self.recreate) {
            self.recreate_pods(job, cluster, component, n_pods);
        }
        self.status.current = false;
        self.n_changes += 1;
        self.touched[cluster.0 as usize] = true;
        let _ = now;
    }

    /// Records the nodes up and powered in each pool of `pools` (indices, in any order,
    /// repeats allowed), so costs and power follow the pools, those without GPUs included.
    pub(super) fn record_pools(
        &self,
        cluster: ClusterId,
        mut pools: Vec<usize>,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        pools.sort_unstable();
        pools.dedup();
        let member = &self.members[cluster.0 as usize];
        for pool in pools {
            ctx.record(Record::Pool(PoolRecord {
                time: ctx.now(),
                cluster,
                pool: pool as u32,
                up_nodes: member.pool_up_nodes(pool),
                powered_nodes: member.pool_powered_nodes(pool),
            }));
        }
    }

    pub(super) fn nodes_up(
        &mut self,
        cluster: ClusterId,
        nodes: std::ops::Range<u32>,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        let mut pools_changed = Vec::new();
        for node in nodes {
            let member = &mut self.members[cluster.0 as usize];
            if member.node_up(node) {
                pools_changed.push(member.node_pool_idx(node));
                let model = member.node_gpu_model(node);
                self.mark_dirty(cluster, model);
            }
        }
        self.record_pools(cluster, pools_changed, ctx);
        self.status.current = false;
        self.n_changes += 1;
        self.touched[cluster.0 as usize] = true;
    }

    /// A cluster stops answering: its status is frozen at the last report and, after the
    /// grace period, the control plane marks it unreachable.
    pub(super) fn cluster_down(&mut self, cluster: ClusterId, ctx: &mut Context<'_, ControlEvent>) {
        let idx = cluster.0 as usize;
        self.failover.cluster_down[idx] += 1;
        if self.failover.cluster_down[idx] > 1 {
            return;
        }
        // Its last report stands for it from now on.
        self.status.published[idx] = *self.members[idx].summary();
        self.failover.cluster_epoch[idx] += 1;
        self.n_fault_timers += 1;
        ctx.schedule(
            ctx.now().after(self.failover.config.status_grace),
            ControlEvent::ClusterHealth {
                cluster,
                epoch: self.failover.cluster_epoch[idx],
            },
        );
    }

    pub(super) fn cluster_up(&mut self, cluster: ClusterId, ctx: &mut Context<'_, ControlEvent>) {
        let idx = cluster.0 as usize;
        self.failover.cluster_down[idx] -= 1;
        if self.failover.cluster_down[idx] > 0 {
            return;
        }
        self.failover.cluster_epoch[idx] += 1;
        self.n_fault_timers += 1;
        ctx.schedule(
            ctx.now().after(self.failover.config.ready_after),
            ControlEvent::ClusterHealth {
                cluster,
                epoch: self.failover.cluster_epoch[idx],
            },
        );
    }

    /// The control plane's view of a cluster's health catches up with it.
    pub(super) fn cluster_health(
        &mut self,
        cluster: ClusterId,
        epoch: u32,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        self.n_fault_timers -= 1;
        let idx = cluster.0 as usize;
        if self.failover.cluster_epoch[idx] != epoch {
            return;
        }
        let now = ctx.now();
        let old = self.world.fleet.cluster(cluster).clone();
        let taints = &mut self.world.fleet.clusters[idx].taints;
        let reachable = self.failover.cluster_down[idx] == 0;
        if reachable {
            taints.retain(|t| t.key != UNREACHABLE_TAINT);
            self.failover.unreachable_since[idx] = None;
        } else {
            taints.push(Taint {
                key: UNREACHABLE_TAINT.to_owned(),
                value: String::new(),
                effect: TaintEffect::NoSchedule,
            });
            if self.failover.config.no_execute_eviction {
                taints.push(Taint {
                    key: UNREACHABLE_TAINT.to_owned(),
                    value: String::new(),
                    effect: TaintEffect::NoExecute,
                });
            }
            self.failover.unreachable_since[idx] = Some(now);
        }
        let mut event = EventRecord::new(
            ctx.now(),
            if reachable {
                EventKind::ClusterReady
            } else {
                EventKind::ClusterNotReady
            },
        );
        event.cluster = Some(cluster);
        event.reason = if reachable {
            "Ready=True".to_owned()
        } else {
            format!("Ready=Unknown: taint {UNREACHABLE_TAINT}")
        };
        ctx.record(Record::Event(event));
        // A taint change is a cluster spec change: the bindings it may concern are requeued.
        let new = self.world.fleet.cluster(cluster).clone();
        self.requeue_for_cluster(&old, &new, now);
        if !reachable && self.failover.config.no_execute_eviction {
            self.run_taint_manager(cluster, ctx);
        }
    }

    /// Karmada's taint manager for one cluster: every binding there is evicted now when it
    /// does not tolerate a NoExecute taint, else when the shortest of the tolerations it uses
    /// runs out (see [`toleration_wait`]).
    pub(super) fn run_taint_manager(
        &mut self,
        cluster: ClusterId,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        let now = ctx.now();
        let no_execute: Vec<Taint> = self
            .world
            .fleet
            .cluster(cluster)
            .taints
            .iter()
            .filter(|t| t.effect == TaintEffect::NoExecute)
            .cloned()
            .collect();
        if no_execute.is_empty() {
            return;
        }
        let mut on_cluster: Vec<JobId> = self
            .jobs
            .values()
            .filter(|a| a.managed(self.unmanaged_placement) && a.binding.targets(cluster))
            .map(|a| a.job.id)
            .collect();
        on_cluster.sort();
        for job in on_cluster {
            let placement =
                &self.policy_set.placements[self.jobs[&job].binding.placement.0 as usize];
            let wait = toleration_wait(&placement.cluster_tolerations, &no_execute);
            match wait {
                None => {}
                Some(0) => self.evict_by_taint(job, cluster, ctx),
                Some(seconds) => {
                    self.n_failover_timers += 1;
                    ctx.schedule(
                        now.after(Duration::from_secs(seconds)),
                        ControlEvent::TaintEviction {
                            job,
                            cluster,
                            epoch: self.failover.cluster_epoch[cluster.0 as usize],
                        },
                    );
                }
            }
        }
    }

    /// A binding's toleration of a NoExecute taint ran out.
    pub(super) fn taint_eviction_due(
        &mut self,
        job: JobId,
        cluster: ClusterId,
        epoch: u32,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        self.n_failover_timers -= 1;
        let still_tainted = self.failover.cluster_epoch[cluster.0 as usize] == epoch
            && self
                .world
                .fleet
                .cluster(cluster)
                .taints
                .iter()
                .any(|t| t.effect == TaintEffect::NoExecute);
        let still_there = self
            .jobs
            .get(&job)
            .is_some_and(|a| a.binding.targets(cluster));
        if still_tainted && still_there {
            self.evict_by_taint(job, cluster, ctx);
        }
    }

    pub(super) fn evict_by_taint(
        &mut self,
        job: JobId,
        cluster: ClusterId,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        let placement = &self.policy_set.placements[self.jobs[&job].binding.placement.0 as usize];
        let purge = placement
            .failover
            .cluster
            .map_or(PurgeMode::Gracefully, |c| c.purge_mode);
        let timeout = self.failover.config.graceful_eviction_timeout;
        self.evict_cluster(job, cluster, purge, timeout, "TaintUntolerated", ctx);
    }

    /// Application failover: the job's workload on `cluster` has replicas that do not run.
    /// With `failover.application` in its policy, it is evicted from the cluster if that lasts
    /// longer than `tolerationSeconds`. An unreachable cluster's status is Unknown, which does
    /// not count as unhealthy.
    pub(super) fn mark_unhealthy(
        &mut self,
        job: JobId,
        cluster: ClusterId,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        if self.failover.cluster_down[cluster.0 as usize] > 0 {
            return;
        }
        let Some(active) = self.jobs.get_mut(&job) else {
            return;
        };
        let placement = &self.policy_set.placements[active.binding.placement.0 as usize];
        let Some(app) = placement.failover.application else {
            return;
        };
        // Without GracefulEviction, Karmada's application failover controller cannot build a
        // `Gracefully` eviction task (`buildTaskOptions` errors) and retries forever: the
        // binding is never evicted.
        if app.purge_mode == PurgeMode::Gracefully && !self.gates.graceful_eviction {
            return;
        }
        let wanted = active.wanted_in(cluster);
        let running = active.running_in(cluster, None);
        if running >= wanted || active.unhealthy.iter().any(|(c, _)| *c == cluster) {
            return;
        }
        let now = ctx.now();
        active.unhealthy.push((cluster, now));
        self.n_failover_timers += 1;
        ctx.schedule(
            now.after(Duration::from_secs(app.toleration_seconds)),
            ControlEvent::AppHealthCheck {
                job,
                cluster,
                since: now,
            },
        );
    }

    /// Clears unhealthy marks of clusters where all the job's replicas now run.
    pub(super) fn clear_healthy(&mut self, job: JobId) {
        let Some(active) = self.jobs.get_mut(&job) else {
            return;
        };
        if active.unhealthy.is_empty() {
            return;
        }
        let mut unhealthy = std::mem::take(&mut active.unhealthy);
        unhealthy.retain(|(cluster, _)| {
            let wanted = active.wanted_in(*cluster);
            wanted > 0 && active.running_in(*cluster, None) < wanted
        });
        active.unhealthy = unhealthy;
    }

    /// The toleration of an unhealthy application ran out: evict it from the cluster if it
    /// stayed unhealthy all along.
    pub(super) fn app_health_check(
        &mut self,
        job: JobId,
        cluster: ClusterId,
        since: SimTime,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        self.n_failover_timers -= 1;
        self.clear_healthy(job);
        let Some(active) = self.jobs.get(&job) else {
            return;
        };
        if !active.unhealthy.contains(&(cluster, since)) || !active.binding.targets(cluster) {
            return;
        }
        let placement = &self.policy_set.placements[active.binding.placement.0 as usize];
        let app = placement.failover.application.expect("checked when marked");
        self.jobs
            .get_mut(&job)
            .expect("present")
            .unhealthy
            .retain(|(c, _)| *c != cluster);
        self.evict_cluster(
            job,
            cluster,
            app.purge_mode,
            Duration::from_secs(app.grace_period_seconds),
            "ApplicationFailure",
            ctx,
        );
    }
}

/// How long a binding with `tolerations` may stay on a cluster with the NoExecute `taints`:
/// `Some(0)` when a taint is not tolerated, `None` when it may stay forever. Karmada's
/// `GetMatchingTolerations` uses, per taint, the first toleration in list order that tolerates
/// it; `GetMinTolerationTimeWithCurrentTime` then takes the smallest `tolerationSeconds` among
/// those used (every taint counted from when the taint manager sees it), and a used
/// toleration without seconds tolerates forever.
pub(super) fn toleration_wait(tolerations: &[Toleration], taints: &[Taint]) -> Option<u64> {
    let mut used: Vec<&Toleration> = Vec::with_capacity(taints.len());
    for taint in taints {
        match tolerations.iter().find(|t| t.tolerates(taint)) {
            Some(toleration) => used.push(toleration),
            None => return Some(0),
        }
    }
    used.iter().filter_map(|t| t.toleration_seconds).min()
}
