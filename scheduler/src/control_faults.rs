//! Faults and failover in the control plane: nodes and clusters going down and coming back,
//! what a job loses, Karmada's cluster health taints, NoExecute taint eviction and graceful
//! eviction tasks.
//!
//! GPU time a job's pods hold is split three ways, each accounted where it is decided:
//! *used* (work kept: run to completion, or saved by a checkpoint), *lost* (work since the
//! last checkpoint, thrown away by a fault or an eviction) and *idle* (held without progress:
//! a gang waiting for replicas, replicas kept by a graceful eviction). Held = used + lost +
//! idle, checked when the job ends.

use sim_core::engine::Context;
use sim_core::model::{ClusterId, JobId, PodRequest, Taint, TaintEffect};
use sim_core::record::{EventKind, EventRecord, JobState, Record};
use sim_core::rng::RngStreams;
use sim_core::{Duration, SimTime};

use super::{ActiveJob, ControlEvent, ControlPlane, JobDefaults, log_to, scaled_runtime};
use crate::explain::Entry;
use crate::faults::{FaultPlan, FaultTarget, UNREACHABLE_TAINT};
use crate::member::PendingPods;
use crate::policy::PurgeMode;

/// Why pods leave their nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Loss {
    /// Lost with a failed node or cluster: work since the last checkpoint is gone.
    Failure,
    /// Evicted for maintenance: the job checkpoints first, nothing is lost.
    Drain,
    /// Preempted by a higher-priority pod: work since the last checkpoint is gone.
    Preempted,
}

/// A graceful eviction task (`GracefulEvictionTask`): the old replicas on `cluster` are kept
/// until the replacements run, the timeout passes, or forever for purge mode Never.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct EvictionTask {
    pub cluster: ClusterId,
    /// `None` = never dropped (purge mode Never).
    pub expires: Option<SimTime>,
}

impl ActiveJob {
    /// Milli-GPU of the gang's live pods that are part of its current run (not kept by an
    /// eviction task).
    pub(super) fn gang_live_milli(&self) -> u64 {
        self.pods
            .iter()
            .filter(|p| p.in_run())
            .map(|p| p.request.gpu.total_milli())
            .sum()
    }

    /// Charges the time since the last mark as idle when a gang is not running; call before
    /// any change to its live pods or its running state.
    pub(super) fn gang_mark(&mut self, now: SimTime) {
        if self.job.gang && !self.running {
            let live = u128::from(self.gang_live_milli());
            self.faults.idle_gpu_milli_ms +=
                live * u128::from(now.since(self.gang_mark).as_millis());
        }
        self.gang_mark = now;
    }

    /// Splits `elapsed` ms of progress into what the last checkpoint saved and what is lost;
    /// a drain checkpoints on the spot.
    fn saved(&self, elapsed: u64, loss: Loss) -> u64 {
        match (loss, self.job.checkpoint_interval) {
            (Loss::Drain, _) => elapsed,
            (Loss::Failure | Loss::Preempted, Some(interval)) if interval.as_millis() > 0 => {
                elapsed / interval.as_millis() * interval.as_millis()
            }
            (Loss::Failure | Loss::Preempted, _) => 0,
        }
    }

    /// A running gang stops: the checkpointed part of the run is kept as progress, the rest
    /// is lost. Returns the lost milli-GPU × ms.
    pub(super) fn stop_gang(&mut self, now: SimTime, loss: Loss) -> u128 {
        self.gang_mark(now);
        if !self.running {
            return 0;
        }
        let (since, speed_milli) = self.run_since.take().expect("a running gang has a run");
        let elapsed = now.since(since).as_millis();
        let saved = self.saved(elapsed, loss);
        let (used, lost) = self.split_run(since, since.after(Duration(saved)), now);
        self.faults.used_gpu_milli_ms += used;
        self.faults.lost_gpu_milli_ms += lost;
        self.progress_ms = (self.progress_ms + saved * u64::from(speed_milli) / 1000)
            .min(self.job.runtime.as_millis());
        self.running = false;
        self.generation += 1;
        self.gang_mark = now;
        lost
    }

    /// Splits the GPU time of the gang's live pods in its run from `since` to `now` into
    /// used (up to `saved_until`) and lost (after it); a pod that joined the run late counts
    /// from when it was bound.
    pub(super) fn split_run(
        &self,
        since: SimTime,
        saved_until: SimTime,
        now: SimTime,
    ) -> (u128, u128) {
        let (mut used, mut lost) = (0u128, 0u128);
        for pod in self.pods.iter().filter(|p| p.in_run()) {
            let gpu = u128::from(pod.request.gpu.total_milli());
            let from = since.max(pod.bound_at);
            let kept = saved_until
                .min(now)
                .as_millis()
                .saturating_sub(from.as_millis());
            let total = now.since(from).as_millis();
            used += gpu * u128::from(kept);
            lost += gpu * u128::from(total - kept);
        }
        (used, lost)
    }

    /// A non-gang pod stops at `now` before finishing: its checkpointed work is kept and the
    /// rest of its work goes to the next replica placed. Returns the lost milli-GPU × ms.
    pub(super) fn stop_pod(
        &mut self,
        idx: usize,
        now: SimTime,
        loss: Loss,
        speed_milli: u32,
    ) -> u128 {
        let pod = self.pods[idx];
        let elapsed = now.since(pod.bound_at).as_millis();
        let saved = self.saved(elapsed, loss);
        let gpu = u128::from(pod.request.gpu.total_milli());
        self.faults.used_gpu_milli_ms += gpu * u128::from(saved);
        let lost = gpu * u128::from(elapsed - saved);
        self.faults.lost_gpu_milli_ms += lost;
        let done = saved * u64::from(speed_milli) / 1000;
        self.resume.push(pod.work_ms.saturating_sub(done).max(1));
        lost
    }
}

impl ControlPlane {
    /// Installs the scenario's faults (outages, drains, random node failures).
    pub fn set_faults(&mut self, plan: FaultPlan) {
        self.fault_plan = plan;
    }

    /// Per namespace, what its jobs get when they do not say.
    pub fn set_job_defaults(&mut self, defaults: Vec<JobDefaults>) {
        self.job_defaults = defaults;
    }

    /// Seeds the random node failures from the run's streams.
    pub(super) fn seed_faults(&mut self, streams: &RngStreams) {
        self.fault_rng = Some(streams.stream("faults"));
    }

    /// Schedules the scheduled outages and every node's first random failure.
    pub(super) fn start_faults(&mut self, ctx: &mut Context<'_, ControlEvent>) {
        for (idx, outage) in self.fault_plan.outages.iter().enumerate() {
            ctx.schedule(outage.down, ControlEvent::OutageDown(idx as u32));
        }
        let mut rng = self
            .fault_rng
            .take()
            .unwrap_or_else(|| RngStreams::new(0).stream("faults"));
        for (rule_idx, rule) in self.fault_plan.random.iter().enumerate() {
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
        self.fault_rng = Some(rng);
    }

    /// The cluster and node indices a fault target takes down.
    fn fault_scope(&self, target: &FaultTarget) -> (ClusterId, std::ops::Range<u32>) {
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
        let outage = self.fault_plan.outages[idx].clone();
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
        let outage = self.fault_plan.outages[idx].clone();
        let (cluster, nodes) = self.fault_scope(&outage.target);
        let kind = match (&outage.target, outage.drain) {
            (FaultTarget::Cluster(_), _) => EventKind::ClusterUp,
            (_, true) => EventKind::DrainEnd,
            (_, false) => EventKind::NodeUp,
        };
        self.nodes_up(cluster, nodes.clone());
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
            let rng = self.fault_rng.as_mut().expect("seeded");
            self.fault_plan.random[rule].repair.sample(rng)
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
        self.nodes_up(cluster, node..node + 1);
        let mut event = EventRecord::new(ctx.now(), EventKind::NodeUp);
        event.cluster = Some(cluster);
        event.node = Some(node);
        event.reason = "repaired".to_owned();
        ctx.record(Record::Event(event));
        let next = {
            let rng = self.fault_rng.as_mut().expect("seeded");
            self.fault_plan.random[rule].between_failures.sample(rng)
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
    fn nodes_down(
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
        for node in nodes {
            let model = member.node_gpu_model(node);
            member.node_down(node);
            let idx = cluster.0 as usize * self.world.fleet.gpu_models.len();
            if let Some(model) = model
                && !self.dirty[idx + model.0 as usize]
            {
                self.dirty[idx + model.0 as usize] = true;
                self.dirty_list.push((cluster, model));
            }
        }
        for (job, cluster, component, n_pods) in std::mem::take(&mut self.recreate) {
            self.recreate_pods(job, cluster, component, n_pods);
        }
        self.status_current = false;
        self.n_changes += 1;
        self.touched[cluster.0 as usize] = true;
        let _ = now;
    }

    fn nodes_up(&mut self, cluster: ClusterId, nodes: std::ops::Range<u32>) {
        for node in nodes {
            let member = &mut self.members[cluster.0 as usize];
            if member.node_up(node) {
                let model = member.node_gpu_model(node);
                self.mark_dirty(cluster, model);
            }
        }
        self.status_current = false;
        self.n_changes += 1;
        self.touched[cluster.0 as usize] = true;
    }

    /// Pods of `job` on `cluster` leave their nodes for `loss`; the job restarts from its
    /// checkpoint, and the member recreates the pods as pending.
    pub(super) fn lose_pods(
        &mut self,
        job: JobId,
        cluster: ClusterId,
        pods: &[usize],
        loss: Loss,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        let now = ctx.now();
        let speeds: Vec<u32> = pods
            .iter()
            .map(|&idx| self.pod_speed(&self.jobs[&job].pods[idx]))
            .collect();
        let active = self.jobs.get_mut(&job).expect("present");
        let mut lost = 0;
        let mut gpu_milli = 0;
        // Pods to recreate, per component.
        let mut n_recreate: Vec<(u8, u32)> = Vec::new();
        let was_running = active.running;
        if active.job.gang {
            lost += active.stop_gang(now, loss);
        }
        for (&idx, &speed) in pods.iter().zip(&speeds) {
            let pod = active.pods[idx];
            gpu_milli += pod.request.gpu.total_milli();
            if pod.held_since.is_some() {
                continue;
            }
            match n_recreate.iter_mut().find(|(c, _)| *c == pod.component) {
                Some((_, n)) => *n += 1,
                None => n_recreate.push((pod.component, 1)),
            }
            if !active.job.gang {
                lost += active.stop_pod(idx, now, loss, speed);
            }
        }
        let restarted = if active.job.gang {
            was_running
        } else {
            !n_recreate.is_empty()
        };
        if restarted {
            active.faults.n_restarts += 1;
        }
        if loss == Loss::Preempted {
            active.faults.n_preemptions += 1;
        }
        active.recovery_started.get_or_insert(now);
        let namespace = active.job.namespace;
        let gang = active.job.gang;
        for &idx in pods {
            self.release_pod(job, idx, now);
        }
        let active = self.jobs.get_mut(&job).expect("present");
        if gang {
            active.gang_mark(now);
        }
        let kind = if loss == Loss::Preempted {
            EventKind::Preemption
        } else {
            EventKind::PodsLost
        };
        let mut event = EventRecord::new(ctx.now(), kind);
        event.cluster = Some(cluster);
        event.job = Some(job);
        event.namespace = Some(namespace);
        event.pods = pods.len() as u32;
        event.gpu_milli = gpu_milli;
        event.lost_gpu_milli_ms = lost;
        event.reason = match loss {
            Loss::Failure => "node or cluster failure",
            Loss::Drain => "drained for maintenance",
            Loss::Preempted => "preempted by a higher-priority pod",
        }
        .to_owned();
        ctx.record(Record::Event(event));
        if restarted {
            let mut event = EventRecord::new(ctx.now(), EventKind::Restart);
            event.job = Some(job);
            event.namespace = Some(namespace);
            event.lost_gpu_milli_ms = lost;
            event.reason = "resumes from its last checkpoint".to_owned();
            ctx.record(Record::Event(event));
        }
        let active = &self.jobs[&job];
        if active
            .job
            .max_restarts
            .is_some_and(|max| active.faults.n_restarts > max)
        {
            self.fail_job(job, "more restarts than the job allows", ctx);
            return;
        }
        // The member's controller recreates the lost pods where the job still runs, once the
        // nodes are down.
        for (component, n_pods) in n_recreate {
            self.recreate.push((job, cluster, component, n_pods));
        }
        self.maybe_unhealthy.push((job, cluster));
        log_to(&mut self.explain, job, now, || Entry::PodsLost {
            cluster,
            n_pods: pods.len() as u32,
        });
    }

    /// The member's controller recreates lost pods of `job`'s `component` in `cluster`, if the
    /// job still runs there: they are placed at once where a node fits, else wait.
    pub(super) fn recreate_pods(
        &mut self,
        job: JobId,
        cluster: ClusterId,
        component: u8,
        n_pods: u32,
    ) {
        let Some(active) = self.jobs.get(&job) else {
            return;
        };
        let Some(request) = active
            .manifests
            .iter()
            .find(|m| m.cluster == cluster && m.component == component && m.replicas > 0)
            .map(|m| m.request)
        else {
            return;
        };
        self.submit_pods(job, cluster, component, request, n_pods);
    }

    /// Member `cluster` creates `n_pods` pods of `job`'s `component`: each is placed at once
    /// where a node fits (its binding goes to `bound`), the rest wait and count as waiting for
    /// the descheduler and for member waiting time. Returns how many wait.
    pub(super) fn submit_pods(
        &mut self,
        job: JobId,
        cluster: ClusterId,
        component: u8,
        request: PodRequest,
        n_pods: u32,
    ) -> u32 {
        let active = &self.jobs[&job];
        let (namespace, priority_class) = (active.job.namespace, active.job.priority_class);
        let priority = self.world.priority_value(priority_class);
        let member = &mut self.members[cluster.0 as usize];
        let mut bound = Vec::new();
        member.submit(
            PendingPods {
                job,
                namespace,
                priority_class,
                n_pods,
                request,
                component,
            },
            priority,
            self.plugins.placement(cluster),
            &mut bound,
        );
        let n_waiting = n_pods - bound.len() as u32;
        if n_waiting > 0 {
            let now = self.now;
            let active = self.jobs.get_mut(&job).expect("present");
            active.waiting.push((cluster, now, n_waiting));
        }
        self.bound
            .extend(bound.into_iter().map(|b| (cluster, b, false)));
        n_waiting
    }

    /// A job fails for good: everything it holds is released and it is recorded as failed.
    pub(super) fn fail_job(
        &mut self,
        job: JobId,
        reason: &str,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        let now = ctx.now();
        self.release_everything(job, now);
        self.release_federated(job);
        let mut active = self.jobs.remove(&job).expect("present");
        active.last_failure = Some(reason.to_owned());
        self.log(job, now, || Entry::Failed {
            reason: reason.to_owned(),
        });
        let mut event = EventRecord::new(ctx.now(), EventKind::JobFailed);
        event.job = Some(job);
        event.namespace = Some(active.job.namespace);
        event.reason = reason.to_owned();
        ctx.record(Record::Event(event));
        let record = super::job_record(&active, JobState::Failed, None);
        self.stats.n_recorded += 1;
        ctx.record(Record::Job(record));
    }

    /// Releases every pod the job holds and drops its pending pods in every member, with the
    /// time accounted (held pods idle; a running gang's run used; other pods used).
    pub(super) fn release_everything(&mut self, job: JobId, now: SimTime) {
        // Pods members bound for the job in this very step, not yet recorded with it, go too.
        let (mine, others): (Vec<_>, Vec<_>) = std::mem::take(&mut self.bound)
            .into_iter()
            .partition(|(_, binding, _)| binding.job == job);
        self.bound = others;
        if !mine.is_empty() {
            let active = &self.jobs[&job];
            let (namespace, class) = (active.job.namespace, active.job.priority_class);
            for (cluster, binding, _) in mine {
                let member = &mut self.members[cluster.0 as usize];
                member.release_owned(
                    binding.node,
                    &binding.request,
                    binding.devices,
                    namespace,
                    class,
                );
                let model = member.node_gpu_model(binding.node);
                self.touched[cluster.0 as usize] = true;
                self.mark_dirty(cluster, model);
            }
        }
        let active = self.jobs.get_mut(&job).expect("present");
        if active.job.gang {
            active.gang_mark(now);
            if active.running
                && let Some((since, _)) = active.run_since.take()
            {
                let (used, _) = active.split_run(since, now, now);
                active.faults.used_gpu_milli_ms += used;
                active.running = false;
                active.gang_mark = now;
            }
        } else {
            for pod in active.pods.iter().filter(|p| p.in_run()) {
                active.faults.used_gpu_milli_ms += u128::from(pod.request.gpu.total_milli())
                    * u128::from(now.since(pod.bound_at).as_millis());
            }
        }
        let clusters: Vec<ClusterId> = active
            .manifests
            .iter()
            .chain(&active.held)
            .map(|m| m.cluster)
            .collect();
        for idx in 0..self.jobs[&job].pods.len() {
            self.release_pod(job, idx, now);
        }
        for cluster in clusters {
            self.members[cluster.0 as usize].remove_pending(job);
            self.touched[cluster.0 as usize] = true;
        }
    }

    /// A cluster stops answering: its status is frozen at the last report and, after the
    /// grace period, the control plane marks it unreachable.
    fn cluster_down(&mut self, cluster: ClusterId, ctx: &mut Context<'_, ControlEvent>) {
        let idx = cluster.0 as usize;
        self.cluster_down[idx] += 1;
        if self.cluster_down[idx] > 1 {
            return;
        }
        // Its last report stands for it from now on.
        self.status[idx] = *self.members[idx].summary();
        self.cluster_epoch[idx] += 1;
        self.n_fault_timers += 1;
        ctx.schedule(
            ctx.now().after(self.failover.status_grace),
            ControlEvent::ClusterHealth {
                cluster,
                epoch: self.cluster_epoch[idx],
            },
        );
    }

    fn cluster_up(&mut self, cluster: ClusterId, ctx: &mut Context<'_, ControlEvent>) {
        let idx = cluster.0 as usize;
        self.cluster_down[idx] -= 1;
        if self.cluster_down[idx] > 0 {
            return;
        }
        self.cluster_epoch[idx] += 1;
        self.n_fault_timers += 1;
        ctx.schedule(
            ctx.now().after(self.failover.ready_after),
            ControlEvent::ClusterHealth {
                cluster,
                epoch: self.cluster_epoch[idx],
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
        if self.cluster_epoch[idx] != epoch {
            return;
        }
        let now = ctx.now();
        let old = self.world.fleet.cluster(cluster).clone();
        let taints = &mut self.world.fleet.clusters[idx].taints;
        let reachable = self.cluster_down[idx] == 0;
        if reachable {
            taints.retain(|t| t.key != UNREACHABLE_TAINT);
            self.unreachable_since[idx] = None;
        } else {
            taints.push(Taint {
                key: UNREACHABLE_TAINT.to_owned(),
                value: String::new(),
                effect: TaintEffect::NoSchedule,
            });
            if self.failover.no_execute_eviction {
                taints.push(Taint {
                    key: UNREACHABLE_TAINT.to_owned(),
                    value: String::new(),
                    effect: TaintEffect::NoExecute,
                });
            }
            self.unreachable_since[idx] = Some(now);
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
        if !reachable && self.failover.no_execute_eviction {
            self.run_taint_manager(cluster, ctx);
        }
    }

    /// Karmada's taint manager for one cluster: every binding there is evicted now when it
    /// does not tolerate a NoExecute taint, else when its shortest toleration runs out.
    fn run_taint_manager(&mut self, cluster: ClusterId, ctx: &mut Context<'_, ControlEvent>) {
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
            .filter(|a| a.binding.targets(cluster))
            .map(|a| a.job.id)
            .collect();
        on_cluster.sort();
        for job in on_cluster {
            let placement =
                &self.policy_set.placements[self.jobs[&job].binding.placement.0 as usize];
            // For each taint, the longest time a matching toleration allows; untolerated = 0.
            let mut wait: Option<Option<u64>> = None;
            for taint in &no_execute {
                let allowed = placement
                    .cluster_tolerations
                    .iter()
                    .filter(|t| t.tolerates(taint))
                    .map(|t| t.toleration_seconds)
                    .max_by_key(|s| s.map_or(u64::MAX, |s| s));
                let this = match allowed {
                    None => Some(0),
                    Some(seconds) => seconds,
                };
                wait = Some(match (wait, this) {
                    (None, this) => this,
                    (Some(None), this) => this,
                    (Some(Some(a)), Some(b)) => Some(a.min(b)),
                    (Some(Some(a)), None) => Some(a),
                });
            }
            match wait.flatten() {
                None => {}
                Some(0) => self.evict_by_taint(job, cluster, ctx),
                Some(seconds) => {
                    self.n_failover_timers += 1;
                    ctx.schedule(
                        now.after(Duration::from_secs(seconds)),
                        ControlEvent::TaintEviction {
                            job,
                            cluster,
                            epoch: self.cluster_epoch[cluster.0 as usize],
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
        let still_tainted = self.cluster_epoch[cluster.0 as usize] == epoch
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

    fn evict_by_taint(
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
        let timeout = self.failover.graceful_eviction_timeout;
        self.evict_cluster(job, cluster, purge, timeout, "TaintUntolerated", ctx);
    }

    /// `GracefulEvictCluster`: the cluster leaves the binding's assignment, a task keeps its
    /// old replicas (unless purge mode Directly) and the binding is rescheduled.
    pub(super) fn evict_cluster(
        &mut self,
        job: JobId,
        cluster: ClusterId,
        purge: PurgeMode,
        grace: Duration,
        reason: &str,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        let now = ctx.now();
        let speeds: Vec<u32> = self.jobs[&job]
            .pods
            .iter()
            .map(|pod| self.pod_speed(pod))
            .collect();
        let active = self.jobs.get_mut(&job).expect("present");
        let replicas = active.wanted_in(cluster);
        active.binding.clusters.retain(|(c, _)| *c != cluster);
        if !active.binding.evicting_from.contains(&cluster) {
            active.binding.evicting_from.push(cluster);
        }
        let (manifests, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut active.manifests)
            .into_iter()
            .partition(|m| m.cluster == cluster);
        active.manifests = kept;
        let mut lost = 0;
        let on_cluster: Vec<usize> = (0..active.pods.len())
            .filter(|&i| {
                let p = &active.pods[i];
                p.cluster == cluster && p.in_run()
            })
            .collect();
        // A gang loses its run only if replicas of it ran there.
        if active.job.gang && !on_cluster.is_empty() {
            lost += active.stop_gang(now, Loss::Failure);
        }
        for &idx in &on_cluster {
            if !active.job.gang {
                lost += active.stop_pod(idx, now, Loss::Failure, speeds[idx]);
            }
            active.pods[idx].held_since = Some(now);
        }
        if !on_cluster.is_empty() {
            active.recovery_started.get_or_insert(now);
        }
        active.faults.n_evictions += 1;
        self.evictions_since_progress += 1;
        let (namespace, priority) = (active.job.namespace, active.binding.priority);
        self.members[cluster.0 as usize].remove_pending(job);
        self.touched[cluster.0 as usize] = true;
        // The task keeps the cluster out of the binding (ClusterEviction) until the new
        // replicas run or it times out; with purge mode Directly it holds no old replicas.
        if purge == PurgeMode::Directly {
            for idx in on_cluster.iter().copied() {
                self.release_pod(job, idx, now);
            }
        }
        let active = self.jobs.get_mut(&job).expect("present");
        if purge != PurgeMode::Directly {
            active.held.extend(manifests);
        }
        let expires = (purge != PurgeMode::Never).then(|| now.after(grace));
        active.tasks.retain(|t| t.cluster != cluster);
        active.tasks.push(EvictionTask { cluster, expires });
        if let Some(at) = expires {
            self.n_failover_timers += 1;
            ctx.schedule(at, ControlEvent::EvictionTimeout { job, cluster });
        }
        self.evicting.insert(job);
        let mut event = EventRecord::new(ctx.now(), EventKind::Eviction);
        event.cluster = Some(cluster);
        event.job = Some(job);
        event.namespace = Some(namespace);
        event.pods = replicas.max(0) as u32;
        event.lost_gpu_milli_ms = lost;
        event.reason = reason.to_owned();
        ctx.record(Record::Event(event));
        log_to(&mut self.explain, job, now, || Entry::Evicted {
            cluster,
            reason: reason.to_owned(),
        });
        self.queue.add(job, priority, now);
        self.maybe_start.push(job);
    }

    /// A graceful eviction task's timeout.
    pub(super) fn eviction_timeout(&mut self, job: JobId, cluster: ClusterId, now: SimTime) {
        self.n_failover_timers -= 1;
        if self.jobs.get(&job).is_some_and(|a| {
            a.tasks
                .iter()
                .any(|t| t.cluster == cluster && t.expires.is_some_and(|e| e <= now))
        }) {
            self.drop_task(job, cluster, now);
        }
    }

    /// The graceful eviction controller: tasks whose binding runs all its replicas in its new
    /// clusters are dropped and their old replicas removed.
    /// Returns whether any old replicas were removed.
    pub(super) fn assess_eviction_tasks(&mut self, now: SimTime) -> bool {
        if self.evicting.is_empty() {
            return false;
        }
        let mut removed = false;
        let jobs: Vec<JobId> = self.evicting.iter().copied().collect();
        for job in jobs {
            let Some(active) = self.jobs.get(&job) else {
                self.evicting.remove(&job);
                continue;
            };
            let scheduled: i64 = active.binding.clusters.iter().map(|(_, r)| r).sum();
            let healthy = scheduled == active.binding.replicas
                && active
                    .manifests
                    .iter()
                    .all(|m| active.running_in(m.cluster, Some(m.component)) >= m.replicas);
            if !healthy {
                continue;
            }
            let droppable: Vec<ClusterId> = active
                .tasks
                .iter()
                .filter(|t| t.expires.is_some())
                .map(|t| t.cluster)
                .collect();
            for cluster in droppable {
                self.drop_task(job, cluster, now);
                removed = true;
            }
        }
        removed
    }

    /// Drops a graceful eviction task: the old replicas on its cluster are removed.
    fn drop_task(&mut self, job: JobId, cluster: ClusterId, now: SimTime) {
        let active = self.jobs.get_mut(&job).expect("present");
        active.tasks.retain(|t| t.cluster != cluster);
        active.held.retain(|m| m.cluster != cluster);
        active.binding.evicting_from.retain(|c| *c != cluster);
        if active.tasks.is_empty() {
            self.evicting.remove(&job);
        }
        let held: Vec<usize> = (0..active.pods.len())
            .filter(|&i| {
                let p = &active.pods[i];
                p.cluster == cluster && !p.released && p.held_since.is_some()
            })
            .collect();
        for idx in held {
            self.release_pod(job, idx, now);
        }
        self.touched[cluster.0 as usize] = true;
    }

    /// After pods were bound: a job that lost replicas and runs all of them again has
    /// recovered.
    pub(super) fn check_recovery(&mut self, job: JobId, ctx: &mut Context<'_, ControlEvent>) {
        let Some(active) = self.jobs.get_mut(&job) else {
            return;
        };
        let Some(since) = active.recovery_started else {
            return;
        };
        let live = active.pods.iter().filter(|p| p.in_run()).count() as u64;
        let whole = if active.job.gang {
            active.running
        } else {
            live + active.n_finished >= active.expected_pods()
        };
        if !whole {
            return;
        }
        let took = ctx.now().since(since).as_millis();
        active.recovery_started = None;
        active.faults.recovery_ms += took;
        active.faults.n_recoveries += 1;
        let namespace = active.job.namespace;
        let mut event = EventRecord::new(ctx.now(), EventKind::Recovered);
        event.job = Some(job);
        event.namespace = Some(namespace);
        event.recovery_ms = Some(took);
        ctx.record(Record::Event(event));
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
        if self.cluster_down[cluster.0 as usize] > 0 {
            return;
        }
        let Some(active) = self.jobs.get_mut(&job) else {
            return;
        };
        let placement = &self.policy_set.placements[active.binding.placement.0 as usize];
        let Some(app) = placement.failover.application else {
            return;
        };
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

    /// Run time left for a gang starting (again) at `speed_milli`.
    pub(super) fn gang_run_time(active: &ActiveJob, speed_milli: u32) -> Duration {
        let left = active.job.runtime.as_millis() - active.progress_ms;
        scaled_runtime(Duration(left), speed_milli)
    }
}
