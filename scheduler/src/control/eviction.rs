//! Graceful eviction (`GracefulEvictCluster`): a binding leaves a cluster while tasks keep its
//! old replicas until the replacements run or the timeout passes.

use sim_core::engine::Context;
use sim_core::model::{ClusterId, JobId};
use sim_core::record::{EventKind, EventRecord, Record};
use sim_core::{Duration, SimTime};

use super::job::Loss;
use super::{ControlEvent, ControlPlane, log_to};
use crate::explain::Entry;
use crate::policy::PurgeMode;

/// A graceful eviction task (`GracefulEvictionTask`): the old replicas on `cluster` are kept
/// until the replacements run, the timeout passes, or forever for purge mode Never.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct EvictionTask {
    pub cluster: ClusterId,
    /// `None` = never dropped (purge mode Never).
    pub expires: Option<SimTime>,
}

impl ControlPlane {
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
        debug_assert!(
            self.jobs[&job].managed(self.unmanaged_placement),
            "only Karmada's bindings are evicted"
        );
        let now = ctx.now();
        let speeds: Vec<u32> = self.jobs[&job]
            .pods
            .iter()
            .map(|pod| self.pod_speed(pod))
            .collect();
        let remaining: Vec<(ClusterId, i64)> = self.jobs[&job]
            .binding
            .clusters
            .iter()
            .copied()
            .filter(|(c, _)| *c != cluster)
            .collect();
        // Leaving a cluster only lowers the binding's usage, which the quotas admit; were it
        // refused, the binding would keep the cluster, as an update Karmada's webhook denies.
        if let Err(reason) = self.set_clusters(job, remaining) {
            self.fail(job, reason);
            return;
        }
        let active = self.jobs.get_mut(&job).expect("present");
        let replicas = active.wanted_in(cluster);
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
        self.push(job, priority, now);
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

    /// Drops a graceful eviction task: the old replicas on its cluster are removed. Removing
    /// it changes the binding's spec (`gracefulEvictionTasks`), an update event that queues
    /// the binding again (`onResourceBindingUpdate`): a binding that found no cluster while the
    /// task kept its cluster out (ClusterEviction) is tried again.
    pub(super) fn drop_task(&mut self, job: JobId, cluster: ClusterId, now: SimTime) {
        let priority = self.jobs[&job].binding.priority;
        self.push(job, priority, now);
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
}
