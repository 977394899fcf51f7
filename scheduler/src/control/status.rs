//! What the control plane decides on: the status members published at the last tick, their
//! resource model grades, and the replicas it assumed onto clusters since (overcommit
//! protection); plus the allocation records of clusters whose GPUs changed.

use std::collections::BTreeMap;

use sim_core::engine::Context;
use sim_core::model::{ClusterId, GpuModelId, JobId};
use sim_core::record::{AllocationRecord, Record};
use sim_core::{Duration, SimTime};

use super::{ControlEvent, ControlPlane};
use crate::binding::ClusterView;
use crate::config::SchedulerConfig;
use crate::estimator::{ModelGrade, ResourceList, ResourceSummary};
use crate::member::MemberCluster;

/// What the control plane knows of the members between status ticks.
pub(super) struct StatusState {
    /// Each member's last published `resourceSummary`.
    pub(super) published: Vec<ResourceSummary>,
    pub(super) period: Duration,
    pub(super) next: SimTime,
    /// The published status reflects every change so far.
    pub(super) current: bool,
    pub(super) overcommit_protection: bool,
    /// Assumed replicas per (cluster, job): (replicas, per-replica request, expiry).
    pub(super) assumed: BTreeMap<(ClusterId, JobId), (ResourceList, SimTime)>,
    /// Each cluster's resource models (`spec.resourceModels`), if it has any.
    pub(super) resource_models: Vec<Vec<ModelGrade>>,
    /// The published grade counts (`allocatableModelings`) of each cluster.
    pub(super) models: Vec<Vec<(u32, i64)>>,
}

impl StatusState {
    /// The status of idle `members`, with the clusters' resource models (`models`, by cluster
    /// index; the general estimator then uses their published grade counts).
    pub(super) fn new(
        members: &[MemberCluster],
        config: &SchedulerConfig,
        models: Vec<Vec<ModelGrade>>,
    ) -> StatusState {
        let n_clusters = members.len();
        let mut status = StatusState {
            published: members.iter().map(|m| *m.summary()).collect(),
            period: config.status_period,
            next: SimTime::ZERO,
            current: true,
            overcommit_protection: config.overcommit_protection,
            assumed: BTreeMap::new(),
            resource_models: vec![Vec::new(); n_clusters],
            models: vec![Vec::new(); n_clusters],
        };
        for (idx, grades) in models.into_iter().enumerate().take(n_clusters) {
            status.models[idx] = members[idx].grade_counts(&grades);
            status.resource_models[idx] = grades;
        }
        status
    }
}

impl ControlPlane {
    /// The resource summaries the control plane decides on: the last published status of each
    /// member (live when the status period is zero), with the replicas it has assumed onto each
    /// cluster added as allocating when overcommit protection is on.
    pub(super) fn summaries(&self) -> Vec<ResourceSummary> {
        self.members
            .iter()
            .map(|member| {
                let id = member.id();
                let frozen = self.failover.cluster_down[id.0 as usize] > 0;
                let mut summary = if self.status.period == Duration::ZERO && !frozen {
                    *member.summary()
                } else {
                    self.status.published[id.0 as usize]
                };
                if self.status.overcommit_protection {
                    for ((_, _), (footprint, expiry)) in self
                        .status
                        .assumed
                        .range((id, JobId(0))..=(id, JobId(u64::MAX)))
                    {
                        if *expiry > self.now {
                            summary.allocating.add(footprint);
                        }
                    }
                }
                summary
            })
            .collect()
    }

    /// Views of every member cluster over `summaries`.
    pub(super) fn cluster_views<'a>(
        &'a self,
        summaries: &'a [ResourceSummary],
    ) -> Vec<ClusterView<'a>> {
        self.members
            .iter()
            .map(|member| ClusterView {
                id: member.id(),
                cluster: self.world.fleet.cluster(member.id()),
                summary: &summaries[member.id().0 as usize],
                api_enablements: None,
                member: Some(member),
                resource_models: Some((
                    self.status.resource_models[member.id().0 as usize].as_slice(),
                    self.status.models[member.id().0 as usize].as_slice(),
                ))
                .filter(|(grades, _)| !grades.is_empty()),
            })
            .collect()
    }

    /// Members publish their status on the period's grid: the first event at or after a tick
    /// sees the state as it was at the tick (nothing changed in between). Assumptions the new
    /// status confirms (every replica running), that expired, or whose job left, are dropped.
    pub(super) fn refresh_status(&mut self, now: SimTime) {
        let live = self.status.period == Duration::ZERO;
        if !live && now < self.status.next {
            return;
        }
        if live {
            // The status is always current; assumptions are confirmed as soon as pods run.
            self.release_assumptions(now);
            return;
        }
        for member in &self.members {
            let idx = member.id().0 as usize;
            // An unreachable cluster reports nothing: its last status stays.
            if self.failover.cluster_down[idx] > 0 {
                continue;
            }
            self.status.published[idx] = *member.summary();
            if !self.status.resource_models[idx].is_empty() {
                self.status.models[idx] = member.grade_counts(&self.status.resource_models[idx]);
            }
        }
        self.status.current = true;
        let period = self.status.period.as_millis();
        self.status.next = SimTime((now.as_millis() / period + 1) * period);
        self.release_assumptions(now);
    }

    /// Drops assumptions the status confirms (every replica running), that expired, or whose
    /// job left.
    pub(super) fn release_assumptions(&mut self, now: SimTime) {
        if self.status.assumed.is_empty() {
            return;
        }
        let jobs = &self.jobs;
        self.status.assumed.retain(|(cluster, job), (_, expiry)| {
            let Some(active) = jobs.get(job) else {
                return false;
            };
            let running = active
                .pods
                .iter()
                .filter(|p| p.cluster == *cluster && !p.released)
                .count() as i64;
            *expiry > now && running < active.wanted_in(*cluster)
        });
    }

    /// Records what was just sent to each cluster (`Assume`): the whole footprint there, with a
    /// fresh 5-minute expiry; clusters dropped from the result lose their assumption.
    pub(super) fn assume(&mut self, job: JobId, assignment: &[(ClusterId, i64)]) {
        self.status.assumed.retain(|(_, j), _| *j != job);
        let expiry = self.now.after(ASSUMPTION_TTL);
        let binding = &self.jobs[&job].binding;
        for &entry in assignment {
            let footprint = binding.usage(&[entry]);
            self.status
                .assumed
                .insert((entry.0, job), (footprint, expiry));
        }
    }

    pub(super) fn mark_dirty(&mut self, cluster: ClusterId, model: Option<GpuModelId>) {
        let Some(model) = model else { return };
        let idx = cluster.0 as usize * self.world.fleet.gpu_models.len() + model.0 as usize;
        if !self.dirty[idx] {
            self.dirty[idx] = true;
            self.dirty_list.push((cluster, model));
        }
    }

    /// Records the allocation of each (cluster, GPU model) that changed since the last call.
    pub(super) fn record_allocations(&mut self, ctx: &mut Context<'_, ControlEvent>) {
        let now = ctx.now();
        for (cluster, model) in std::mem::take(&mut self.dirty_list) {
            let n_models = self.world.fleet.gpu_models.len();
            self.dirty[cluster.0 as usize * n_models + model.0 as usize] = false;
            let member = &self.members[cluster.0 as usize];
            ctx.record(Record::Allocation(AllocationRecord {
                time: now,
                cluster,
                gpu_model: model,
                allocated_milli: member.gpu_allocated_milli(model),
                capacity_milli: member.gpu_capacity_milli(model),
                fragment_milli: member.fragment_milli(model),
            }));
        }
    }

    /// Records each cluster's capacity per GPU model, nothing allocated, at the start.
    pub(super) fn record_capacity(&self, ctx: &mut Context<'_, ControlEvent>) {
        for member in &self.members {
            for model_idx in 0..self.world.fleet.gpu_models.len() {
                let model = GpuModelId(model_idx as u16);
                let capacity = member.gpu_capacity_milli(model);
                if capacity > 0 {
                    ctx.record(Record::Allocation(AllocationRecord {
                        time: SimTime::ZERO,
                        cluster: member.id(),
                        gpu_model: model,
                        allocated_milli: 0,
                        capacity_milli: capacity,
                        fragment_milli: member.fragment_milli(model),
                    }));
                }
            }
        }
    }
}

/// How long an assumption lasts without confirmation (Karmada's `DefaultAssumptionTTL`).
pub(super) const ASSUMPTION_TTL: Duration = Duration::from_mins(5);
