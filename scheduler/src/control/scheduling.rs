//! Binding scheduling: the `doScheduleBinding` gate, one attempt over the cluster affinity
//! terms, and an assignment turned into member manifests and pods.

use sim_core::engine::Context;
use sim_core::model::{ClusterId, JobId, PodRequest};
use sim_core::{Duration, SimTime};

use super::job::{Loss, Manifest, Pod};
use super::{ActiveJob, Attempt, ControlEvent, ControlPlane, log_to};
use crate::binding::{BindingView, ResourceBinding};
use crate::divide::Mode;
use crate::explain::Entry;
use crate::generic::{self, Given, Outcome};
use crate::member::PendingPods;
use crate::policy::{ReplicaScheduling, member_manifest};
use crate::queue::{QueuedBinding, next_tick};

impl ControlPlane {
    /// Schedules every binding in the active queue.
    pub(super) fn scheduling_cycle(&mut self, ctx: &mut Context<'_, ControlEvent>) {
        self.cycle_armed = false;
        while let Some(entry) = self.queue.pop() {
            self.schedule(entry, ctx.now());
            // Members bind pods as they arrive, so each decision sees the last one's pods.
            self.settle_bound(ctx);
        }
    }

    /// Moves expired backoffs to the active queue.
    pub(super) fn flush_backoff(&mut self, now: SimTime) {
        if self.backoff_tick == Some(now) {
            self.backoff_tick = None;
        }
        self.queue.flush_backoff(now);
        self.credit_retries();
    }

    /// Moves bindings parked too long in the unschedulable set to the active queue.
    pub(super) fn flush_unschedulable(&mut self, now: SimTime) {
        if self.unschedulable_tick == Some(now) {
            self.unschedulable_tick = None;
        }
        self.queue.flush_unschedulable(now);
    }

    /// One scheduling attempt for `binding`, trying `clusterAffinities` terms in turn from the
    /// observed one (`scheduleResourceBindingWithClusterAffinities`).
    pub fn decide(&self, binding: &ResourceBinding, mode: Mode) -> Attempt {
        let _deciding = crate::decision::for_job(binding.job);
        let summaries = self.summaries();
        let views = self.cluster_views(&summaries);
        let placement = &self.policy_set.placements[binding.placement.0 as usize];
        // Per-plugin answers are kept only for `explain`.
        let given = Given {
            brief: self.explain.is_none(),
            ..Given::default()
        };
        if placement.cluster_affinities.is_empty() {
            let view = BindingView { binding, placement };
            let decision = generic::schedule(&self.plugins, &view, &views, given, mode);
            let clear = matches!(decision.outcome, Outcome::NoClusterFit(_));
            return Attempt {
                outcome: decision.outcome.clone(),
                decisions: vec![(None, decision)],
                observed_affinity: None,
                clear,
            };
        }
        let start = match mode {
            Mode::Fresh => 0,
            Mode::Steady => binding
                .observed_affinity
                .as_deref()
                .and_then(|name| placement.affinity_term_index(name))
                .unwrap_or(0),
        };
        let mut trial = binding.clone();
        let mut decisions = Vec::new();
        for term in &placement.cluster_affinities[start..] {
            trial.observed_affinity = Some(term.name.clone());
            let view = BindingView {
                binding: &trial,
                placement,
            };
            let decision = generic::schedule(&self.plugins, &view, &views, given, mode);
            let outcome = decision.outcome.clone();
            decisions.push((Some(term.name.clone()), decision));
            if matches!(outcome, Outcome::Scheduled(_)) {
                return Attempt {
                    outcome,
                    decisions,
                    observed_affinity: Some(term.name.clone()),
                    clear: false,
                };
            }
        }
        // Every term failed: the observed term is kept, and the first error decides.
        let first = decisions
            .first()
            .map(|(_, d)| d.outcome.clone())
            .expect("at least one term");
        let clear = matches!(first, Outcome::NoClusterFit(_));
        Attempt {
            outcome: first,
            decisions,
            observed_affinity: binding.observed_affinity.clone(),
            clear,
        }
    }

    pub(super) fn schedule(&mut self, entry: QueuedBinding, now: SimTime) {
        let Some(active) = self.jobs.get(&entry.job) else {
            return;
        };
        // `RescheduleRequired`: a WorkloadRebalancer's trigger strictly after the last
        // schedule (second precision) asks for a fresh schedule; a binding never scheduled
        // just waits for its first one.
        let fresh = match (active.reschedule_triggered, active.last_scheduled) {
            (Some(trigger), Some(last)) => trigger.as_millis() / 1000 > last.as_millis() / 1000,
            _ => false,
        };
        if !fresh && !self.needs_scheduling(active) {
            return;
        }
        let active = self.jobs.get_mut(&entry.job).expect("present");
        active.placement_changed = false;
        active.n_attempts += 1;
        let current = self.status.period == Duration::ZERO || self.status.current;
        active.attempted_at_change = current.then_some(self.n_changes);
        self.stats.n_attempts += 1;
        if self.repeat_refusal(entry, now) {
            return;
        }
        let mode = if fresh { Mode::Fresh } else { Mode::Steady };
        let shared = self.shared_decision(entry.job, mode);
        let attempt = match shared {
            Some(shared) if self.repeat_shared(entry, now, &shared) => return,
            Some(shared) => self.shared_attempt(&shared),
            None => {
                let active = self.jobs.get_mut(&entry.job).expect("present");
                // Lend the binding to the decision rather than copy it: it only reads.
                let placeholder =
                    ResourceBinding::new(entry.job, 0, PodRequest::default(), active.job.namespace);
                let binding = std::mem::replace(&mut active.binding, placeholder);
                let attempt = self.decide_remembered(&binding, mode);
                self.jobs.get_mut(&entry.job).expect("present").binding = binding;
                attempt
            }
        };
        self.log(entry.job, now, || Entry::Attempt(attempt.clone()));
        let active = self.jobs.get_mut(&entry.job).expect("present");
        active.binding.observed_affinity = attempt.observed_affinity.clone();
        if attempt.clear {
            // Clearing only lowers usage, which stays within the quotas it was admitted
            // under; were it refused, the previous assignment would stay, as in Karmada.
            if let Err(reason) = self.apply_assignment(entry.job, Vec::new()) {
                self.fail(entry.job, reason);
            }
        }
        match attempt.outcome {
            Outcome::Scheduled(assignment) => {
                if let Err(reason) = self.apply_assignment(entry.job, assignment.clone()) {
                    // QuotaExceeded: the previous assignment stays; retried after a backoff.
                    self.log(entry.job, now, || Entry::QuotaDenied {
                        reason: reason.clone(),
                    });
                    self.fail(entry.job, reason);
                    self.remember_refusal(entry.job);
                    self.back_off(entry, now);
                    return;
                }
                let active = self.jobs.get_mut(&entry.job).expect("present");
                active.unschedulable = false;
                active.last_failure = None;
                active.last_scheduled = Some(now);
                if self.status.overcommit_protection {
                    self.assume(entry.job, &assignment);
                }
            }
            // A FitError is an error like any other to `handleErr`: it backs off and is
            // retried (the result was cleared above).
            Outcome::NoClusterFit(reason) => {
                self.fail(entry.job, reason);
                self.remember_refusal(entry.job);
                self.back_off(entry, now);
            }
            Outcome::Unschedulable(reason) => {
                self.fail(entry.job, reason);
                if self.preemption.config.control_plane {
                    self.preemption.maybe.push(entry.job);
                }
                self.queue.add_unschedulable(entry, now);
            }
            Outcome::Error(reason) => {
                self.fail(entry.job, reason);
                self.queue.add_backoff(entry, now);
            }
        }
    }

    pub(super) fn fail(&mut self, job: JobId, reason: String) {
        let active = self.jobs.get_mut(&job).expect("present");
        active.unschedulable = true;
        active.last_failure = Some(reason);
    }

    /// Karmada's `doScheduleBinding` gate: a queued binding is scheduled only when its
    /// placement changed, its replicas differ from the assignment, or it is Duplicated.
    pub(super) fn needs_scheduling(&self, active: &ActiveJob) -> bool {
        let placement = &self.policy_set.placements[active.binding.placement.0 as usize];
        let binding = &active.binding;
        let duplicated = matches!(placement.replica_scheduling, ReplicaScheduling::Duplicated);
        // `doScheduleBinding`: placement changed, replicas changed, then (after the reschedule
        // trigger, handled by the caller) every time for a non-workload or Duplicated. A
        // binding with components is a workload (`IsWorkload`), so once scheduled it is left
        // alone until its clusters are emptied.
        active.placement_changed
            || replicas_changed(binding, duplicated)
            || !binding.is_workload()
            || duplicated
    }

    /// Writes a new `spec.clusters`, if FederatedResourceQuota admission lets it, and sends
    /// each member cluster the difference in its manifest (replicas after overrides).
    pub(super) fn apply_assignment(
        &mut self,
        job: JobId,
        assignment: Vec<(ClusterId, i64)>,
    ) -> Result<(), String> {
        self.set_clusters(job, assignment.clone())?;
        self.maybe_start.push(job);
        let active = self.jobs.get_mut(&job).expect("present");
        // A single-template job is one component of `replicas` pods per cluster; a job with
        // components sends each cluster one whole set.
        let parts: Vec<(i64, PodRequest)> = if active.binding.is_multi_component() {
            active
                .binding
                .components
                .iter()
                .map(|c| (c.replicas, c.request))
                .collect()
        } else {
            vec![(1, active.binding.request)]
        };
        let mut manifests: Vec<Manifest> = Vec::with_capacity(assignment.len() * parts.len());
        for &(cluster, replicas) in &assignment {
            for (component, &(per_set, template)) in parts.iter().enumerate() {
                let wanted = if active.binding.is_multi_component() {
                    per_set
                } else {
                    replicas
                };
                let (overridden, request) = member_manifest(
                    &self.policy_set.overrides,
                    &active.job,
                    &self.world,
                    self.world.fleet.cluster(cluster),
                    wanted,
                    template,
                );
                // A replicas override resizes a single-template workload, not a component.
                let replicas = if active.binding.is_multi_component() {
                    per_set
                } else {
                    overridden
                };
                manifests.push(Manifest {
                    cluster,
                    component: component as u8,
                    replicas,
                    request,
                });
            }
        }
        let previous = std::mem::replace(&mut active.manifests, manifests.clone());
        let same =
            |a: &Manifest, b: &Manifest| a.cluster == b.cluster && a.component == b.component;
        for before in &previous {
            let after = manifests
                .iter()
                .find(|m| same(m, before))
                .map_or(0, |m| m.replicas);
            if after < before.replicas {
                self.remove_pods(
                    job,
                    before.cluster,
                    before.component,
                    before.replicas - after,
                );
            }
        }
        for manifest in manifests {
            let before = previous
                .iter()
                .find(|m| same(m, &manifest))
                .map_or(0, |m| m.replicas);
            let delta = manifest.replicas - before;
            if delta > 0 {
                let cluster = manifest.cluster;
                let n_waiting = self.submit_pods(
                    job,
                    cluster,
                    manifest.component,
                    manifest.request,
                    delta as u32,
                );
                let active = self.jobs.get_mut(&job).expect("present");
                active.n_pods_sent += delta as u64;
                active.n_pods_waited += u64::from(n_waiting);
                if n_waiting > 0 {
                    log_to(&mut self.explain, job, self.now, || Entry::Pending {
                        cluster,
                        n_pods: n_waiting,
                    });
                }
                if n_waiting > 0 {
                    self.maybe_unhealthy.push((job, cluster));
                }
                self.touched[cluster.0 as usize] = true;
            }
        }
        Ok(())
    }

    /// Takes `n_pods` of the pods of `job`'s `component` off `cluster`: waiting pods first,
    /// then the newest bound ones, as a ReplicaSet scaling down does.
    pub(super) fn remove_pods(
        &mut self,
        job: JobId,
        cluster: ClusterId,
        component: u8,
        n_pods: i64,
    ) {
        let now = self.now;
        let member = &mut self.members[cluster.0 as usize];
        let mut left = n_pods.max(0) as u32;
        left -= member.remove_pending_of(job, Some(component), left);
        let active = &self.jobs[&job];
        let victims: Vec<usize> = (0..active.pods.len())
            .rev()
            .filter(|&idx| {
                let pod = &active.pods[idx];
                pod.cluster == cluster && pod.component == component && pod.in_run()
            })
            .take(left as usize)
            .collect();
        let speeds: Vec<u32> = victims
            .iter()
            .map(|&idx| self.pod_speed(&active.pods[idx]))
            .collect();
        let active = self.jobs.get_mut(&job).expect("present");
        if !victims.is_empty() {
            // A moved replica restarts elsewhere from the last checkpoint; a gang stops when it
            // lacks a replica and restarts once all run again.
            if active.job.gang {
                let live = active.pods.iter().filter(|p| p.in_run()).count() as u64;
                if live - (victims.len() as u64) < active.expected_pods() {
                    active.stop_gang(now, Loss::Failure);
                } else if let Some((since, _)) = active.run_since {
                    // The gang runs on without them: their share of the run is thrown away.
                    for &idx in &victims {
                        let pod = &active.pods[idx];
                        let gpu = u128::from(pod.request.gpu.total_milli());
                        active.faults.lost_gpu_milli_ms +=
                            gpu * u128::from(now.since(since.max(pod.bound_at)).as_millis());
                    }
                }
            } else {
                for (&idx, &speed) in victims.iter().zip(&speeds) {
                    active.stop_pod(idx, now, Loss::Failure, speed);
                }
            }
        }
        for idx in victims {
            self.release_pod(job, idx, now);
        }
        self.touched[cluster.0 as usize] = true;
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
        let policy = self.plugins.placement(cluster);
        let mut bound = Vec::new();
        let mut pods = PendingPods {
            job,
            namespace,
            priority_class,
            n_pods,
            request,
            component,
        };
        // Pods of the initial state go back to the nodes they run on.
        for pin in self.pins.iter().filter(|p| p.component == component) {
            let on_node = PendingPods {
                n_pods: pin.n_pods.min(pods.n_pods),
                ..pods
            };
            pods.n_pods -= member.bind_existing(pin.node, &on_node, policy, &mut bound);
        }
        if pods.n_pods > 0 {
            member.submit(pods, priority, policy, &mut bound);
        }
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

    /// The speed (milli of reference) of the GPUs under a pod.
    pub(super) fn pod_speed(&self, pod: &Pod) -> u32 {
        self.members[pod.cluster.0 as usize]
            .node_gpu_model(pod.node)
            .map_or(1000, |m| self.world.fleet.gpu_model(m).speed_milli)
    }

    pub(super) fn arm_timers(&mut self, ctx: &mut Context<'_, ControlEvent>) {
        self.wake_if_changed();
        self.arm_quiesce(ctx);
        let config = *self.queue.config();
        if self.queue.has_active() && !self.cycle_armed {
            self.cycle_armed = true;
            ctx.schedule_late(ctx.now(), ControlEvent::SchedulingCycle);
        }
        if let Some(expiry) = self.queue.next_backoff_expiry() {
            let tick = next_tick(expiry.max(ctx.now()), config.backoff_flush);
            if self.backoff_tick.is_none_or(|armed| tick < armed) {
                self.backoff_tick = Some(tick);
                ctx.schedule_late(tick, ControlEvent::BackoffFlush);
            }
        }
        if let Some(due) = self.queue.next_unschedulable_due() {
            let tick = next_tick(due.max(ctx.now()), config.unschedulable_flush);
            if self.unschedulable_tick.is_none_or(|armed| tick < armed) {
                self.unschedulable_tick = Some(tick);
                ctx.schedule_late(tick, ControlEvent::UnschedulableFlush);
            }
        }
    }
}

/// Karmada's `IsBindingReplicasChanged`: a binding with components whose clusters were all
/// taken away; Duplicated, a target whose replicas differ from `spec.replicas`; Divided, a sum
/// that differs from it (0 for components, whose targets carry 0).
fn replicas_changed(binding: &crate::binding::ResourceBinding, duplicated: bool) -> bool {
    if binding.is_multi_component() && binding.clusters.is_empty() {
        return true;
    }
    if duplicated {
        return binding.clusters.iter().any(|(_, r)| *r != binding.replicas);
    }
    binding.clusters.iter().map(|(_, r)| r).sum::<i64>() != binding.replicas
}
