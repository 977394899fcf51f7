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
use crate::estimator::{AssumedWorkload, ModelGrade, ResourceList, ResourceSummary};
use crate::member::MemberCluster;

/// One binding's assumption on one cluster.
pub(super) struct Assumption {
    /// What it adds to the cluster's `allocating`.
    pub(super) footprint: ResourceList,
    /// The workload, for the estimators that place it.
    pub(super) workload: AssumedWorkload,
    /// When it lapses unconfirmed.
    pub(super) expiry: SimTime,
}

/// The member status one decision reads: each cluster's resource summary and, with overcommit
/// protection, the workloads assumed onto it (in job order).
pub(super) struct StatusSnapshot {
    /// Each cluster's summary, assumptions counted as allocating.
    pub(super) summaries: Vec<ResourceSummary>,
    /// Each cluster's unexpired assumptions, in job order.
    pub(super) assumed: Vec<Vec<AssumedWorkload>>,
}

/// What the control plane knows of the members between status ticks.
pub(super) struct StatusState {
    /// Each member's last published `resourceSummary`.
    pub(super) published: Vec<ResourceSummary>,
    pub(super) period: Duration,
    pub(super) next: SimTime,
    /// The published status reflects every change so far.
    pub(super) current: bool,
    pub(super) overcommit_protection: bool,
    /// Assumed workloads per (cluster, job): the footprint, the workload as estimators get it,
    /// and the expiry.
    pub(super) assumed: BTreeMap<(ClusterId, JobId), Assumption>,
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
            overcommit_protection: config.feature_gates.scheduling_overcommit_protection,
            assumed: BTreeMap::new(),
            resource_models: vec![Vec::new(); n_clusters],
            models: vec![Vec::new(); n_clusters],
        };
        // Without CustomizedClusterResourceModeling members publish no grade counts
        // (`getAllocatableModelings` is skipped) and the general estimator never takes the
        // model path, whatever models the clusters have.
        let models = if config.feature_gates.customized_cluster_resource_modeling {
            models
        } else {
            Vec::new()
        };
        for (idx, grades) in models.into_iter().enumerate().take(n_clusters) {
            status.models[idx] = members[idx].grade_counts(&grades);
            status.resource_models[idx] = grades;
        }
        status
    }
}

impl ControlPlane {
    /// The status the control plane decides on: the last published summary of each member
    /// (live when the status period is zero), with the replicas it has assumed onto each
    /// cluster added as allocating and listed for the estimators that place them, when
    /// overcommit protection is on.
    pub(super) fn summaries(&self) -> StatusSnapshot {
        let mut assumed = vec![Vec::new(); self.members.len()];
        let summaries = self
            .members
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
                    for (_, assumption) in self
                        .status
                        .assumed
                        .range((id, JobId(0))..=(id, JobId(u64::MAX)))
                    {
                        if assumption.expiry > self.now {
                            summary.allocating.add(&assumption.footprint);
                            assumed[id.0 as usize].push(assumption.workload.clone());
                        }
                    }
                }
                summary
            })
            .collect();
        StatusSnapshot { summaries, assumed }
    }

    /// Views of every member cluster over `status`.
    pub(super) fn cluster_views<'a>(&'a self, status: &'a StatusSnapshot) -> Vec<ClusterView<'a>> {
        self.members
            .iter()
            .map(|member| ClusterView {
                id: member.id(),
                cluster: self.world.fleet.cluster(member.id()),
                summary: &status.summaries[member.id().0 as usize],
                api_enablements: None,
                member: Some(member),
                resource_models: Some((
                    self.status.resource_models[member.id().0 as usize].as_slice(),
                    self.status.models[member.id().0 as usize].as_slice(),
                ))
                .filter(|(grades, _)| !grades.is_empty()),
                assumed: &status.assumed[member.id().0 as usize],
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
        self.status.assumed.retain(|(cluster, job), assumption| {
            let Some(active) = jobs.get(job) else {
                return false;
            };
            let running = active
                .pods
                .iter()
                .filter(|p| p.cluster == *cluster && !p.released)
                .count() as i64;
            assumption.expiry > now && running < active.wanted_in(*cluster)
        });
    }

    /// Records what was just sent to each cluster (`Assume`): the whole footprint there, with a
    /// fresh 5-minute expiry; clusters dropped from the result lose their assumption.
    pub(super) fn assume(&mut self, job: JobId, assignment: &[(ClusterId, i64)]) {
        self.status.assumed.retain(|(_, j), _| *j != job);
        let expiry = self.now.after(ASSUMPTION_TTL);
        let binding = &self.jobs[&job].binding;
        for &entry in assignment {
            let components = if binding.is_multi_component() {
                binding
                    .components
                    .iter()
                    .map(|c| (c.replicas, c.request))
                    .collect()
            } else {
                vec![(entry.1, binding.request)]
            };
            let assumption = Assumption {
                footprint: binding.usage(&[entry]),
                workload: AssumedWorkload {
                    namespace: binding.namespace,
                    priority_class: binding.priority_class,
                    components,
                },
                expiry,
            };
            self.status.assumed.insert((entry.0, job), assumption);
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
