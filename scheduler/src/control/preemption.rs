//! Preemption: Kubernetes' default preemption in member clusters, and binding preemption in
//! the control plane as Karmada's proposal describes it (not a Karmada feature yet).

use sim_core::engine::Context;
use sim_core::model::{ClusterId, JobId};
use sim_core::record::{self, EventKind, EventRecord, Record};

use super::job::Loss;
use super::{ControlEvent, ControlPlane};
use crate::member::preemption::{
    NodeCandidate, PreemptionPolicy, Preemptor, VictimPod, select_preemption,
};

/// Which preemption runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PreemptionConfig {
    /// kube-scheduler's default preemption in member clusters.
    pub member: bool,
    /// Karmada's proposed binding preemption in the control plane.
    pub control_plane: bool,
}

/// Which preemption runs, and the bindings it may run for.
pub(super) struct PreemptionState {
    pub(super) config: PreemptionConfig,
    /// Bindings the last attempt found no room for, for binding preemption.
    pub(super) maybe: Vec<JobId>,
}

impl PreemptionState {
    pub(super) fn new(config: PreemptionConfig) -> PreemptionState {
        PreemptionState {
            config,
            maybe: Vec::new(),
        }
    }
}

impl ControlPlane {
    /// Members preempt for their waiting pods, highest priority first: each pod that fits
    /// nowhere may evict the minimal set of lower-priority pods on one node (Kubernetes'
    /// DefaultPreemption); the victims' jobs lose the work since their checkpoint and their
    /// controllers recreate the pods, which wait in turn.
    pub(super) fn preempt_in_members(&mut self, ctx: &mut Context<'_, ControlEvent>) -> bool {
        if !self.preemption.config.member {
            return false;
        }
        let mut preempted = false;
        for idx in 0..self.members.len() {
            let cluster = ClusterId(idx as u32);
            let groups: Vec<(i32, crate::member::PendingPods)> = self.members[idx]
                .pending_with_priority()
                .map(|(priority, group)| (priority, *group))
                .collect();
            let mut hopeless: Vec<sim_core::model::PodRequest> = Vec::new();
            for (priority, group) in groups {
                let never = group
                    .priority_class
                    .is_some_and(|c| self.world.priority_class(c).never_preempts);
                if never || hopeless.contains(&group.request) {
                    continue;
                }
                let preemptor = Preemptor {
                    request: group.request,
                    priority,
                    policy: PreemptionPolicy::PreemptLowerPriority,
                };
                for _ in 0..group.n_pods {
                    if self.members[idx].accurate_replicas(&group.request) > 0 {
                        // Room appeared (a preemption just freed more than it needed):
                        // placing the pod is enough.
                        let mut bound = Vec::new();
                        self.members[idx]
                            .retry_pending(self.plugins.placement(cluster), &mut bound);
                        self.bound
                            .extend(bound.into_iter().map(|b| (cluster, b, true)));
                        if self.members[idx].accurate_replicas(&group.request) > 0 {
                            break;
                        }
                        continue;
                    }
                    let (candidates, owners) = self.preemption_candidates(cluster, &preemptor);
                    let Some(choice) = select_preemption(&preemptor, &candidates) else {
                        hopeless.push(group.request);
                        break;
                    };
                    let mut victims: Vec<(JobId, usize)> = choice
                        .victims
                        .iter()
                        .map(|&id| owners[id as usize])
                        .collect();
                    victims.sort_unstable();
                    let mut start = 0;
                    while start < victims.len() {
                        let job = victims[start].0;
                        let end =
                            start + victims[start..].iter().take_while(|v| v.0 == job).count();
                        let pods: Vec<usize> = victims[start..end].iter().map(|v| v.1).collect();
                        self.lose_pods(job, cluster, &pods, Loss::Preempted, ctx);
                        start = end;
                    }
                    // The preemptor takes the freed node before the victims' new pods.
                    let mut bound = Vec::new();
                    self.members[idx].retry_pending(self.plugins.placement(cluster), &mut bound);
                    self.bound
                        .extend(bound.into_iter().map(|b| (cluster, b, true)));
                    for (job, cluster, component, n_pods) in std::mem::take(&mut self.recreate) {
                        self.recreate_pods(job, cluster, component, n_pods);
                    }
                    self.touched[idx] = true;
                    preempted = true;
                }
            }
        }
        preempted
    }

    /// The nodes of `cluster` the preemptor could use that hold pods of lower priority, with
    /// their pods; `owners[id]` is the (job, pod) behind victim id `id`.
    pub(super) fn preemption_candidates(
        &self,
        cluster: ClusterId,
        preemptor: &Preemptor,
    ) -> (Vec<NodeCandidate>, Vec<(JobId, usize)>) {
        let member = &self.members[cluster.0 as usize];
        let mut candidates: Vec<NodeCandidate> = Vec::new();
        let mut owners = Vec::new();
        let range = (cluster, 0, JobId(0), 0)..=(cluster, u32::MAX, JobId(u64::MAX), u32::MAX);
        for &(_, node, job, pod_idx) in self.node_pods.range(range) {
            if !member.can_host(node, &preemptor.request) {
                continue;
            }
            let active = &self.jobs[&job];
            let pod = &active.pods[pod_idx as usize];
            let priority = self.world.priority_value(active.job.priority_class);
            // Evicting one more pod breaks the budget when the job already has at least
            // `maxUnavailable` replicas down (Kubernetes' disruptionsAllowed ≤ 0).
            let pdb_violating = active.job.max_unavailable.is_some_and(|max| {
                let running = active.pods.iter().filter(|p| p.in_run()).count() as u64;
                active.expected_pods().saturating_sub(running) >= u64::from(max)
            });
            if candidates.last().is_none_or(|c| c.node != node) {
                candidates.push(NodeCandidate {
                    node,
                    shape: *member.node_shape(node),
                    free: *member.node_free(node),
                    pods: Vec::new(),
                });
            }
            candidates.last_mut().expect("pushed").pods.push(VictimPod {
                id: owners.len() as u64,
                request: pod.request,
                devices: pod.devices,
                priority,
                start: pod.bound_at,
                pdb_violating,
            });
            owners.push((job, pod_idx as usize));
        }
        candidates.retain(|c| c.pods.iter().any(|p| p.priority < preemptor.priority));
        (candidates, owners)
    }

    /// Karmada's proposed binding preemption, for a binding the last attempt found no room
    /// for: if evicting strictly lower-priority bindings from one cluster makes the missing
    /// replicas fit, those bindings are evicted from it (purge Directly) and the binding is
    /// scheduled again. Its pods never preempt when its priority class says Never.
    pub(super) fn preempt_bindings(&mut self, ctx: &mut Context<'_, ControlEvent>) {
        use crate::binding::BindingView;
        use crate::estimator::ResourceList;
        use crate::preemption::{
            BindingOnCluster, ClusterCandidate, PendingBinding, select_binding_preemption,
        };
        let pending = std::mem::take(&mut self.preemption.maybe);
        // Decide on a current status only: right after a preemption the freed room is not
        // published yet, and a second one would evict more than needed.
        if !self.preemption.config.control_plane
            || (self.status.period != sim_core::Duration::ZERO && !self.status.current)
        {
            return;
        }
        for job in pending {
            let Some(active) = self.jobs.get(&job) else {
                continue;
            };
            let never = active
                .job
                .priority_class
                .is_some_and(|c| self.world.priority_class(c).never_preempts);
            let assigned: i64 = active.binding.clusters.iter().map(|(_, r)| r).sum();
            let missing = active.binding.replicas - assigned;
            if never || missing <= 0 || !active.unschedulable {
                continue;
            }
            let summaries = self.summaries();
            let views = self.cluster_views(&summaries);
            let placement = &self.policy_set.placements[active.binding.placement.0 as usize];
            let affinities = super::timeline::active_affinities(
                placement,
                active.binding.observed_affinity.as_deref(),
            );
            let view = BindingView {
                binding: &active.binding,
                placement,
            };
            let mut candidates = Vec::new();
            for cluster_view in &views {
                let id = cluster_view.id;
                if self.failover.cluster_down[id.0 as usize] > 0
                    || active.binding.evicting_from.contains(&id)
                    || !(affinities.is_empty()
                        || affinities.iter().any(|a| a.matches(cluster_view.cluster)))
                {
                    continue;
                }
                let available = self
                    .plugins
                    .estimators
                    .iter()
                    .filter_map(|e| e.max_replicas(&view, cluster_view))
                    .min()
                    .unwrap_or(0)
                    .max(0);
                let mut running: Vec<BindingOnCluster> = self
                    .jobs
                    .values()
                    // Karmada evicts only bindings it manages.
                    .filter(|other| other.job.id != job && other.managed(self.unmanaged_placement))
                    .filter_map(|other| {
                        let replicas = other.binding.previous_replicas(id);
                        (replicas > 0).then(|| BindingOnCluster {
                            job: other.job.id,
                            priority: other.binding.priority,
                            replicas,
                            request: ResourceList::of_pods(&other.binding.request, 1),
                        })
                    })
                    .collect();
                running.sort_by_key(|b| b.job);
                candidates.push(ClusterCandidate {
                    cluster: id,
                    available_replicas: available,
                    running,
                });
            }
            let request = PendingBinding {
                priority: active.binding.priority,
                request: ResourceList::of_pods(&active.binding.request, 1),
                replicas: missing,
            };
            let priority = active.binding.priority;
            let Some(choice) = select_binding_preemption(&request, &candidates) else {
                continue;
            };
            let now = ctx.now();
            let timeout = self.failover.config.graceful_eviction_timeout;
            for victim in choice.victims {
                self.evict_cluster(
                    victim,
                    choice.cluster,
                    crate::policy::PurgeMode::Directly,
                    timeout,
                    "PreemptedByHigherPriorityBinding (proposed)",
                    ctx,
                );
                let active = self.jobs.get_mut(&victim).expect("present");
                active.faults.n_preemptions += 1;
                let namespace = active.job.namespace;
                ctx.record(Record::Event(EventRecord {
                    cluster: Some(choice.cluster),
                    job: Some(victim),
                    namespace: Some(namespace),
                    reason: format!(
                        "preempted by binding of job {} (proposed Karmada binding preemption)",
                        job.0
                    ),
                    ..EventRecord::new(now, EventKind::Preemption(record::Preemptor::Federation))
                }));
            }
            // The preemptor serves what is left of its backoff; it is not a new event.
            self.queue.wake(job, now);
            if !self.queue.contains(job) {
                self.push(job, priority, now);
            }
        }
    }
}
