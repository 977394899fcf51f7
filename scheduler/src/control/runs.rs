//! Job runs: pods bound by members, a run starting and finishing, gangs assembling in time,
//! work lost to faults and preemption, and a job's end.

use sim_core::engine::Context;
use sim_core::model::{ClusterId, JobId};
use sim_core::record::{EventKind, EventRecord, JobState, Preemptor, QueueRecord, Record};
use sim_core::{Duration, SimTime};

use super::checkpoints::Checkpointing;
use super::job::{Loss, Pod, fully_assigned, job_record, scaled_runtime};
use super::{ActiveJob, ControlEvent, ControlPlane, log_to};
use crate::explain::Entry;

impl ControlPlane {
    /// A gang's run is over, unless the event is stale (the gang was restarted since).
    /// Returns whether the caller settles.
    pub(super) fn gang_finished(
        &mut self,
        job: JobId,
        generation: u32,
        ctx: &mut Context<'_, ControlEvent>,
    ) -> bool {
        self.n_finish_events -= 1;
        let Some(active) = self.jobs.get(&job) else {
            return false;
        };
        if active.generation != generation {
            return false;
        }
        // Releasing everything charges the run as used.
        self.complete(job, ctx);
        true
    }

    /// One replica of a non-gang job is done; the job completes with its last one. Returns
    /// whether the caller settles (not for a stale event, nor when settled already).
    pub(super) fn pod_finished(
        &mut self,
        job: JobId,
        pod: usize,
        generation: u32,
        ctx: &mut Context<'_, ControlEvent>,
    ) -> bool {
        let now = ctx.now();
        self.n_finish_events -= 1;
        let Some(active) = self.jobs.get(&job) else {
            return false;
        };
        // A replica taken off its cluster by a reschedule no longer counts.
        let replica = active.pods[pod];
        if active.generation != generation || replica.released {
            return false;
        }
        if replica.held_since.is_some() {
            // A replica kept by an eviction task: its replacement does the work.
            self.release_pod(job, pod, now);
            self.settle(ctx);
            return false;
        }
        self.jobs
            .get_mut(&job)
            .expect("present")
            .charge_pod_run(pod, now);
        self.release_pod(job, pod, now);
        let active = self.jobs.get_mut(&job).expect("present");
        active.n_finished += 1;
        if active.n_finished >= active.expected_pods() && fully_assigned(&self.policy_set, active) {
            self.try_start(job, now, ctx);
            self.complete(job, ctx);
        }
        true
    }

    /// Records pods that members bound, starting jobs whose replicas are all running.
    pub(super) fn settle_bound(&mut self, ctx: &mut Context<'_, ControlEvent>) {
        let now = ctx.now();
        let bound = std::mem::take(&mut self.bound);
        for (cluster, binding, waited) in &bound {
            self.stats.n_pods_bound += 1;
            let member = &self.members[cluster.0 as usize];
            let model = member.node_gpu_model(binding.node);
            self.mark_dirty(*cluster, model);
            self.status.current = false;
            self.n_changes += 1;
            let speed_milli = model.map_or(1000, |m| self.world.fleet.gpu_model(m).speed_milli);
            let Some(active) = self.jobs.get_mut(&binding.job) else {
                debug_assert!(false, "a pod was bound for a job that has ended");
                continue;
            };
            if *waited {
                // The pod waited in the member since it was sent: the longest-waiting first.
                if let Some(entry) = active
                    .waiting
                    .iter_mut()
                    .find(|(c, _, n)| c == cluster && *n > 0)
                {
                    active.member_wait_ms += now.since(entry.1).as_millis();
                    entry.2 -= 1;
                }
                active.waiting.retain(|(_, _, n)| *n > 0);
            }
            if active.job.gang {
                active.gang_mark(now);
            }
            let work_ms = if active.job.gang {
                0
            } else {
                active
                    .resume
                    .pop()
                    .unwrap_or(active.job.runtime.as_millis())
            };
            active.pods.push(Pod {
                cluster: *cluster,
                node: binding.node,
                devices: binding.devices,
                request: binding.request,
                component: binding.component,
                bound_at: now,
                released: false,
                work_ms,
                held_since: None,
            });
            let pod_idx = active.pods.len() as u32 - 1;
            self.node_pods
                .insert((*cluster, binding.node, binding.job, pod_idx));
            let generation = active.generation;
            let gpus = i64::try_from(binding.request.gpu.total_milli()).expect("small");
            self.quota.change_gpus(active.job.namespace, gpus);
            if !active.job.gang {
                let run = Checkpointing::of(&active.job)
                    .wall_time(scaled_runtime(Duration(work_ms), speed_milli).as_millis());
                self.n_finish_events += 1;
                ctx.schedule(
                    now.after(run),
                    ControlEvent::PodFinished {
                        job: binding.job,
                        pod: pod_idx,
                        generation,
                    },
                );
            }
            active.n_live += 1;
            log_to(&mut self.explain, binding.job, now, || Entry::Bound {
                cluster: *cluster,
                node: binding.node,
            });
            active.n_bound += 1;
            self.try_start(binding.job, now, ctx);
            self.arm_gang_timeout(binding.job, now, ctx);
        }
        let mut jobs: Vec<JobId> = bound.iter().map(|(_, b, _)| b.job).collect();
        jobs.dedup();
        for job in jobs {
            self.check_recovery(job, ctx);
            self.clear_healthy(job);
        }
        self.bound = bound;
        self.bound.clear();
    }

    /// Starts the job's run when every replica is placed: a gang runs when all its replicas
    /// run at once; other jobs have started once each replica has been placed (earlier ones
    /// may have finished already).
    pub(super) fn try_start(
        &mut self,
        job: JobId,
        now: SimTime,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        let Some(active) = self.jobs.get_mut(&job) else {
            return;
        };
        let all_placed = if active.job.gang {
            active.pods.iter().filter(|p| p.in_run()).count() as u64
        } else {
            active.n_bound
        } >= active.expected_pods();
        // Every replica of the binding must be assigned too: a Divided binding evicted from a
        // cluster runs short until it is rescheduled.
        let fully_assigned = fully_assigned(&self.policy_set, active);
        if active.running || !all_placed || !fully_assigned || active.expected_pods() == 0 {
            return;
        }
        if active.job.gang {
            active.gang_mark(now);
        }
        active.running = true;
        if active.start.is_none() {
            active.start = Some(now);
            ctx.record(Record::Queue(QueueRecord {
                time: now,
                priority_class: active.job.priority_class,
                started: true,
            }));
        }
        self.last_progress = now;
        log_to(&mut self.explain, job, now, || Entry::Started);
        if active.job.gang {
            let slowest = active
                .pods
                .iter()
                .filter(|pod| pod.in_run())
                .map(|pod| {
                    self.members[pod.cluster.0 as usize]
                        .node_gpu_model(pod.node)
                        .map_or(1000, |m| self.world.fleet.gpu_model(m).speed_milli)
                })
                .min()
                .unwrap_or(1000);
            active.run_since = Some((now, slowest));
            let run = Self::gang_run_time(active, slowest);
            let generation = active.generation;
            self.n_finish_events += 1;
            ctx.schedule(
                now.after(run),
                ControlEvent::GangFinished { job, generation },
            );
            self.arm_job_failure(job, now, run, ctx);
        }
    }

    /// Frees one pod's node resources and charges its GPU time to the job.
    pub(super) fn release_pod(&mut self, job: JobId, pod_idx: usize, now: SimTime) {
        let active = self.jobs.get_mut(&job).expect("present");
        let pod = active.pods[pod_idx];
        if pod.released {
            return;
        }
        if active.job.gang && pod.held_since.is_none() {
            // Idle time up to now counts this pod among the gang's live ones.
            active.gang_mark(now);
        }
        active.pods[pod_idx].released = true;
        let request = pod.request;
        let (cluster, node, devices) = (pod.cluster, pod.node, pod.devices);
        active.n_live -= 1;
        let gpu = u128::from(request.gpu.total_milli());
        active.gpu_milli_ms += gpu * u128::from(now.since(pod.bound_at).as_millis());
        if let Some(since) = pod.held_since {
            active.faults.idle_gpu_milli_ms += gpu * u128::from(now.since(since).as_millis());
        }
        self.node_pods.remove(&(cluster, node, job, pod_idx as u32));
        let (namespace, priority_class) = (active.job.namespace, active.job.priority_class);
        let member = &mut self.members[cluster.0 as usize];
        member.release_owned(node, &request, devices, namespace, priority_class);
        let model = member.node_gpu_model(node);
        self.status.current = false;
        self.n_changes += 1;
        let gpus = i64::try_from(request.gpu.total_milli()).expect("small");
        self.quota.change_gpus(namespace, -gpus);
        self.touched[cluster.0 as usize] = true;
        self.mark_dirty(cluster, model);
    }

    pub(super) fn complete(&mut self, job: JobId, ctx: &mut Context<'_, ControlEvent>) {
        // Replicas still held by eviction tasks, and pods still waiting anywhere, go.
        self.release_everything(job, ctx.now());
        self.release_federated(job);
        self.last_progress = ctx.now();
        self.last_completion = ctx.now();
        self.evictions_since_progress = 0;
        let active = self.jobs.remove(&job).expect("present");
        self.log(job, ctx.now(), || Entry::Completed);
        let record = job_record(&active, JobState::Completed, Some(ctx.now()));
        self.stats.n_recorded += 1;
        ctx.record(Record::Job(record));
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
                active.charge_whole_run(since, now);
                active.running = false;
                active.gang_mark = now;
            }
        } else {
            for idx in 0..active.pods.len() {
                if active.pods[idx].in_run() {
                    active.charge_pod_run(idx, now);
                }
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
            EventKind::Preemption(Preemptor::Cluster)
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
            Loss::Revoked { .. } => "spot node revoked",
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
        if self.failed_for_good(job, ctx) {
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

    /// Arms a gang's timeout when it starts holding pods without running.
    pub(super) fn arm_gang_timeout(
        &mut self,
        job: JobId,
        now: sim_core::SimTime,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        let Some(timeout) = self.gang_timeout else {
            return;
        };
        let Some(active) = self.jobs.get_mut(&job) else {
            return;
        };
        if !active.job.gang || active.running || active.gang_timer {
            return;
        }
        active.gang_timer = true;
        self.n_failover_timers += 1;
        ctx.schedule(
            now.after(timeout),
            ControlEvent::GangTimeout {
                job,
                attempt: active.gang_attempt,
            },
        );
    }

    /// The gang could not place all its pods in time: it gives back the ones it holds and
    /// drops its waiting ones, and tries again after the same time.
    pub(super) fn gang_timeout(
        &mut self,
        job: JobId,
        attempt: u32,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        self.n_failover_timers -= 1;
        let now = ctx.now();
        let Some(active) = self.jobs.get_mut(&job) else {
            return;
        };
        if active.gang_attempt != attempt || !active.gang_timer {
            return;
        }
        active.gang_timer = false;
        if active.running {
            return;
        }
        active.gang_attempt += 1;
        let clusters: Vec<ClusterId> = active.manifests.iter().map(|m| m.cluster).collect();
        let held: Vec<usize> = (0..active.pods.len())
            .filter(|&i| !active.pods[i].released && active.pods[i].held_since.is_none())
            .collect();
        let namespace = active.job.namespace;
        for idx in held.iter().copied() {
            self.release_pod(job, idx, now);
        }
        for cluster in clusters {
            self.members[cluster.0 as usize].remove_pending(job);
            self.touched[cluster.0 as usize] = true;
        }
        if let Some(active) = self.jobs.get_mut(&job) {
            active.waiting.clear();
        }
        ctx.record(Record::Event(EventRecord {
            job: Some(job),
            namespace: Some(namespace),
            pods: held.len() as u32,
            reason: "gang not complete in time: its pods are given back".to_owned(),
            ..EventRecord::new(now, EventKind::GangTimeout)
        }));
        let retry = self.gang_timeout.expect("armed with a timeout");
        self.n_failover_timers += 1;
        ctx.schedule(now.after(retry), ControlEvent::GangRetry { job });
    }

    /// A gang that gave its pods back asks its clusters for them again.
    pub(super) fn gang_retry(&mut self, job: JobId) {
        self.n_failover_timers -= 1;
        let Some(active) = self.jobs.get(&job) else {
            return;
        };
        let wanted: Vec<(ClusterId, u8, u32)> = active
            .manifests
            .iter()
            .map(|m| {
                let live = active.running_in(m.cluster, Some(m.component));
                (m.cluster, m.component, (m.replicas - live).max(0) as u32)
            })
            .filter(|(_, _, n)| *n > 0)
            .collect();
        for (cluster, component, n_pods) in wanted {
            self.recreate_pods(job, cluster, component, n_pods);
            self.touched[cluster.0 as usize] = true;
        }
    }

    /// Wall time left for a gang starting (again) at `speed_milli`: its work left and the
    /// checkpoints written on the way.
    pub(super) fn gang_run_time(active: &ActiveJob, speed_milli: u32) -> Duration {
        let left = active.job.runtime.as_millis() - active.progress_ms;
        Checkpointing::of(&active.job)
            .wall_time(scaled_runtime(Duration(left), speed_milli).as_millis())
    }

    /// Fails `job` for good when it restarted more often than it allows (Kubernetes'
    /// `backoffLimit`); whether it did.
    pub(super) fn failed_for_good(
        &mut self,
        job: JobId,
        ctx: &mut Context<'_, ControlEvent>,
    ) -> bool {
        let active = &self.jobs[&job];
        let over = active
            .job
            .max_restarts
            .is_some_and(|max| active.faults.n_restarts > max);
        if over {
            self.fail_job(job, "more restarts than the job allows", ctx);
        }
        over
    }
}
