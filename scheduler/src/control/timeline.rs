//! Changes from the scenario's timeline: cluster labels, propagation policies created or
//! updated, and the bindings Karmada requeues for them.

use sim_core::SimTime;
use sim_core::engine::Context;
use sim_core::model::{ClusterId, JobId, NamespaceId};

use super::{ControlEvent, ControlPlane};
use crate::policy::{Placement, PlacementId, PropagationPolicy};

/// A change to the world or the policies at a point of the scenario's timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimelineChange {
    /// A cluster's labels are replaced.
    ClusterLabels {
        /// The cluster.
        cluster: ClusterId,
        /// Its new labels.
        labels: sim_core::model::Labels,
    },
    /// Policies are created or updated (matched by kind, namespace and name).
    Policies(Vec<PolicyUpdate>),
    /// A WorkloadRebalancer: a fresh schedule of the named workloads.
    Rebalance(Vec<WorkloadRef>),
}

/// A workload a WorkloadRebalancer names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadRef {
    /// Its namespace.
    pub namespace: NamespaceId,
    /// Its name; `None` stands for every workload of the namespace (a fleetsim shorthand).
    pub name: Option<String>,
}

/// One created or updated propagation policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyUpdate {
    /// The policy; its `placement` id is assigned when applied.
    pub policy: PropagationPolicy,
    /// Its placement.
    pub placement: Placement,
}

impl ControlPlane {
    /// Applies a change from the scenario's timeline and requeues the bindings Karmada would.
    pub(super) fn apply_change(
        &mut self,
        change: TimelineChange,
        ctx: &mut Context<'_, ControlEvent>,
    ) {
        let now = ctx.now();
        self.n_changes += 1;
        match change {
            TimelineChange::ClusterLabels { cluster, labels } => {
                let old = self.world.fleet.cluster(cluster).clone();
                self.world.fleet.clusters[cluster.0 as usize].labels = labels;
                let new = self.world.fleet.cluster(cluster).clone();
                self.requeue_for_cluster(&old, &new, now);
            }
            TimelineChange::Rebalance(workloads) => self.rebalance(&workloads, ctx),
            TimelineChange::Policies(updates) => {
                for update in updates {
                    let existing = self.policy_set.policies.iter().position(|p| {
                        p.name == update.policy.name && p.namespace == update.policy.namespace
                    });
                    match existing {
                        Some(idx) => {
                            let placement_id = self.policy_set.policies[idx].placement;
                            self.policy_set.placements[placement_id.0 as usize] = update.placement;
                            self.policy_set.policies[idx] = PropagationPolicy {
                                placement: placement_id,
                                ..update.policy
                            };
                            let mut ids: Vec<JobId> = self
                                .jobs
                                .values()
                                .filter(|a| a.binding.placement == placement_id)
                                .map(|a| a.job.id)
                                .collect();
                            ids.sort();
                            for id in ids {
                                let active = self.jobs.get_mut(&id).expect("listed");
                                active.placement_changed = true;
                                let priority = active.binding.priority;
                                self.push(id, priority, now);
                            }
                        }
                        None => {
                            self.policy_set.placements.push(update.placement);
                            let placement =
                                PlacementId(self.policy_set.placements.len() as u32 - 1);
                            self.policy_set.policies.push(PropagationPolicy {
                                placement,
                                ..update.policy
                            });
                        }
                    }
                }
            }
        }
    }

    /// A change to a cluster's labels or spec (its taints) requeues, as Karmada's cluster
    /// event handler does (`enqueueAffectedBindings`, called with the old and the new
    /// cluster): every binding whose affinity matches either, or that has none. With
    /// `clusterAffinities` only the observed term's own affinity counts (not its overflow
    /// affinities), and a binding whose latest spec has not been scheduled successfully
    /// (`schedulerObservedGeneration` behind) is requeued whatever it selects.
    pub(super) fn requeue_for_cluster(
        &mut self,
        old: &sim_core::model::Cluster,
        new: &sim_core::model::Cluster,
        now: SimTime,
    ) {
        let mut ids: Vec<JobId> = self
            .jobs
            .values()
            .filter(|active| {
                let placement = &self.policy_set.placements[active.binding.placement.0 as usize];
                let unobserved = active.last_scheduled.is_none()
                    || active.unschedulable
                    || active.placement_changed;
                if !placement.cluster_affinities.is_empty() && unobserved {
                    return true;
                }
                event_affinity(placement, active.binding.observed_affinity.as_deref())
                    .is_none_or(|a| a.matches(old) || a.matches(new))
            })
            .map(|active| active.job.id)
            .collect();
        ids.sort();
        for id in ids {
            let priority = self.jobs[&id].binding.priority;
            self.push(id, priority, now);
        }
    }
}

/// The affinity Karmada's cluster event handler checks: the observed `clusterAffinities`
/// term's (the first when none is observed or the name is gone, as `getAffinityIndex`
/// falls back), else `clusterAffinity`.
fn event_affinity<'p>(
    placement: &'p Placement,
    observed: Option<&str>,
) -> Option<&'p crate::policy::ClusterAffinity> {
    if placement.cluster_affinities.is_empty() {
        return placement.cluster_affinity.as_ref();
    }
    let terms = &placement.cluster_affinities;
    let term = observed
        .and_then(|name| terms.iter().find(|t| t.name == name))
        .unwrap_or(&terms[0]);
    Some(&term.affinity)
}

/// The cluster affinities a binding is filtered by now: `clusterAffinity`, or the observed
/// `clusterAffinities` term with its overflow affinities.
pub(super) fn active_affinities<'p>(
    placement: &'p Placement,
    observed: Option<&str>,
) -> Vec<&'p crate::policy::ClusterAffinity> {
    if let Some(affinity) = &placement.cluster_affinity {
        return vec![affinity];
    }
    placement
        .cluster_affinities
        .iter()
        .filter(|term| Some(term.name.as_str()) == observed)
        .flat_map(|term| std::iter::once(&term.affinity).chain(&term.overflow))
        .collect()
}
