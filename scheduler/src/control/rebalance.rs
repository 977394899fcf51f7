//! Rebalancing after the storm: WorkloadRebalancer objects from the scenario's timeline and
//! the karmada-descheduler.

use sim_core::engine::Context;
use sim_core::model::JobId;
use sim_core::record::{EventKind, EventRecord, Record, RescheduleReason};
use sim_core::{Duration, SimTime};

use super::{ControlEvent, ControlPlane, WorkloadRef};
use crate::policy::{DivisionPreference, ReplicaScheduling};

/// The karmada-descheduler's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeschedulerConfig {
    /// `--descheduling-interval`.
    pub interval: Duration,
    /// `--unschedulable-threshold`: how long a pod must have been unschedulable to count.
    pub unschedulable_threshold: Duration,
}

impl Default for DeschedulerConfig {
    fn default() -> Self {
        DeschedulerConfig {
            interval: Duration::from_mins(2),
            unschedulable_threshold: Duration::from_mins(5),
        }
    }
}

impl ControlPlane {
    /// A WorkloadRebalancer created now: each named binding gets `rescheduleTriggeredAt`, so
    /// its next schedule is a fresh one (replicas may move back to a returned cluster).
    pub(super) fn rebalance(
        &mut self,
        workloads: &[WorkloadRef],
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        let now = ctx.now();
        for workload in workloads {
            let mut ids: Vec<JobId> = self
                .jobs
                .values()
                .filter(|a| {
                    a.managed(self.unmanaged_placement)
                        && a.job.namespace == workload.namespace
                        && workload.name.as_ref().is_none_or(|n| *n == a.job.name)
                })
                .map(|a| a.job.id)
                .collect();
            ids.sort();
            if ids.is_empty() {
                ctx.record(Record::Event(EventRecord {
                    namespace: Some(workload.namespace),
                    reason: format!(
                        "Failed: no binding for {}",
                        workload.name.as_deref().unwrap_or("any workload")
                    ),
                    ..EventRecord::new(now, EventKind::Reschedule(RescheduleReason::Rebalance))
                }));
            }
            for id in ids {
                let active = self.jobs.get_mut(&id).expect("listed");
                if active.reschedule_triggered.is_none_or(|t| t < now) {
                    active.reschedule_triggered = Some(now);
                }
                let priority = active.binding.priority;
                let namespace = active.job.namespace;
                self.push(id, priority, now);
                ctx.record(Record::Event(EventRecord {
                    job: Some(id),
                    namespace: Some(namespace),
                    reason: "Successful".to_owned(),
                    ..EventRecord::new(now, EventKind::Reschedule(RescheduleReason::Rebalance))
                }));
            }
        }
    }

    /// One pass of the karmada-descheduler: for Deployments divided dynamically, replicas
    /// that stayed unschedulable in a cluster past the threshold are taken off it (never
    /// below what runs there), and the scheduler places them again as a scale-up.
    pub(super) fn deschedule(&mut self, ctx: &mut Context<'_, ControlEvent>) {
        let Some(config) = self.descheduler else {
            return;
        };
        let now = ctx.now();
        ctx.schedule(now.after(config.interval), ControlEvent::Deschedule);
        // Only the accurate estimator answers `GetUnschedulableReplicas`.
        if !self
            .plugins
            .estimators
            .iter()
            .any(|e| e.name() == "accurate")
        {
            return;
        }
        let mut ids: Vec<JobId> = self
            .jobs
            .values()
            .filter(|a| {
                let placement = &self.policy_set.placements[a.binding.placement.0 as usize];
                let dynamic = matches!(
                    placement.replica_scheduling,
                    ReplicaScheduling::Divided(
                        DivisionPreference::DynamicWeight | DivisionPreference::Aggregated
                    )
                );
                a.managed(self.unmanaged_placement)
                    && dynamic
                    && &*a.job.template.kind == "Deployment"
                    && !a.waiting.is_empty()
            })
            .map(|a| a.job.id)
            .collect();
        ids.sort();
        for id in ids {
            let active = &self.jobs[&id];
            let mut clusters = active.binding.clusters.clone();
            let mut changed = false;
            for (cluster, spec) in &mut clusters {
                let ready = active
                    .pods
                    .iter()
                    .filter(|p| p.cluster == *cluster && p.in_run())
                    .count() as i64;
                if ready >= *spec {
                    continue;
                }
                let unschedulable: i64 = active
                    .waiting
                    .iter()
                    // Strictly past the threshold, as the estimator's
                    // `LastTransitionTime.Add(threshold).Before(now)`.
                    .filter(|(c, since, _)| {
                        c == cluster && since.after(config.unschedulable_threshold) < now
                    })
                    .map(|(_, _, n)| i64::from(*n))
                    .sum();
                if unschedulable == 0 || *spec < unschedulable {
                    continue;
                }
                let mut target = *spec - unschedulable;
                if target < ready && ready <= *spec {
                    target = ready;
                }
                if target < *spec {
                    *spec = target;
                    changed = true;
                }
            }
            if !changed {
                continue;
            }
            let priority = active.binding.priority;
            let namespace = active.job.namespace;
            let before: i64 = active.binding.clusters.iter().map(|(_, r)| r).sum();
            let after: i64 = clusters.iter().map(|(_, r)| r).sum();
            self.now = now;
            // The descheduler only lowers replicas, which the quotas admit.
            if let Err(reason) = self.apply_assignment(id, clusters) {
                self.fail(id, reason);
                continue;
            }
            self.push(id, priority, now);
            ctx.record(Record::Event(EventRecord {
                job: Some(id),
                namespace: Some(namespace),
                pods: (before - after) as u32,
                reason: "Descheduled: replicas unschedulable past the threshold".to_owned(),
                ..EventRecord::new(now, EventKind::Eviction)
            }));
        }
    }

    /// Arms the first descheduler pass.
    pub(super) fn start_descheduler(&mut self, ctx: &mut Context<'_, ControlEvent>) {
        if let Some(config) = self.descheduler {
            ctx.schedule(
                SimTime::ZERO.after(config.interval),
                ControlEvent::Deschedule,
            );
        }
    }
}
