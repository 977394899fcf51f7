//! The member cluster's ResourceQuotas: admission of new pods against them, what they count,
//! and Karmada's ResourceQuota estimator plugin over them.

use sim_core::model::{NamespaceId, PodRequest, PriorityClassId};

use super::{MemberCluster, PendingPods};
use crate::estimator::{AssumedWorkload, ResourceList};
use crate::quota::ResourceQuota;

impl MemberCluster {
    /// Adds a ResourceQuota to a namespace of this cluster.
    pub fn add_quota(&mut self, quota: ResourceQuota) {
        self.quotas.push((quota, ResourceList::default()));
    }

    /// Adds a ResourceQuota that already counts `used` (`status.used`: pods fleetsim does not
    /// simulate, such as a conformance case's).
    pub fn add_quota_in_use(&mut self, quota: ResourceQuota, used: ResourceList) {
        self.quotas.push((quota, used));
    }

    /// Whether quota admission lets `n_pods` pods of `pods` be created.
    pub(super) fn quota_admits(&self, pods: &PendingPods, n_pods: i64) -> bool {
        let extra = ResourceList::of_pods(&pods.request, n_pods);
        self.quotas
            .iter()
            .filter(|(quota, _)| quota.applies(pods.namespace, pods.priority_class))
            .all(|(quota, used)| quota.hard.admits(used, &extra))
    }

    /// Counts (`n_pods` > 0) or uncounts pods in the quotas that apply to them.
    pub(super) fn charge_quota(
        &mut self,
        namespace: NamespaceId,
        priority_class: Option<PriorityClassId>,
        request: &PodRequest,
        n_pods: i64,
    ) {
        let delta = ResourceList::of_pods(request, n_pods);
        for (quota, used) in &mut self.quotas {
            if quota.applies(namespace, priority_class) {
                used.add(&delta);
            }
        }
    }

    /// Karmada's ResourceQuota estimator plugin over this cluster's quotas: the fewest replicas
    /// any applicable quota still allows; `None` when none constrains the request.
    pub fn quota_replicas(
        &self,
        namespace: NamespaceId,
        priority_class: Option<PriorityClassId>,
        request: &PodRequest,
    ) -> Option<i64> {
        self.quotas
            .iter()
            .filter(|(quota, _)| quota.constrains(namespace, priority_class))
            .filter_map(|(quota, used)| quota.hard.replicas(used, request))
            .min()
    }

    /// The ResourceQuota plugin for `spec.components`: the fewest complete sets (each asking
    /// `per_set`) any applicable quota still allows; `None` when none constrains them.
    pub fn quota_sets(
        &self,
        namespace: NamespaceId,
        priority_class: Option<PriorityClassId>,
        per_set: &ResourceList,
    ) -> Option<i64> {
        self.quotas
            .iter()
            .filter(|(quota, _)| quota.constrains(namespace, priority_class))
            .filter_map(|(quota, used)| quota.hard.units(used, per_set))
            .min()
    }

    /// The ResourceQuota plugin with assumed workloads deducted (Karmada's
    /// `evaluateReplicasAgainstQuota` / `evaluateComponentsAgainstQuota`): per applicable
    /// quota, the components of `assumed` workloads in the same namespace that the quota's
    /// scope matches are taken off hard − used first; a quota a deduction drives below zero on
    /// any resource it limits (pods aside) allows 0. `per_unit` is one replica or one set.
    pub fn quota_units_assumed(
        &self,
        namespace: NamespaceId,
        priority_class: Option<PriorityClassId>,
        per_unit: &ResourceList,
        assumed: &[AssumedWorkload],
    ) -> Option<i64> {
        self.quotas
            .iter()
            .filter(|(quota, _)| quota.applies(namespace, priority_class))
            .filter_map(|(quota, used)| {
                let mut deducted = *used;
                let mut matched = false;
                for workload in assumed.iter().filter(|w| {
                    w.namespace == namespace && quota.applies(w.namespace, w.priority_class)
                }) {
                    for (replicas, request) in &workload.components {
                        deducted.add(&ResourceList::of_pods(request, *replicas));
                        matched = true;
                    }
                }
                if matched && quota.hard.exceeded_without_pods(&deducted) {
                    return Some(0);
                }
                quota.hard.units(&deducted, per_unit)
            })
            .min()
    }

    /// What the quotas of `namespace` count and allow now: (GPUs used, GPU limit) summed over
    /// the quotas that limit GPUs.
    pub fn quota_gpus(&self, namespace: NamespaceId) -> (i64, i64) {
        self.quotas
            .iter()
            .filter(|(quota, _)| quota.namespace == namespace)
            .filter_map(|(quota, used)| quota.hard.gpu_limit().map(|limit| (used.gpus, limit)))
            .fold((0, 0), |(u, l), (used, limit)| (u + used, l + limit))
    }

    /// Pods refused by quota admission, waiting to be recreated.
    pub fn n_refused_pods(&self) -> u64 {
        self.refused.values().map(|p| u64::from(p.n_pods)).sum()
    }

    /// Whether every quota counts at most its limits.
    pub(super) fn check_quotas(&self) -> Result<(), String> {
        for (quota, used) in &self.quotas {
            if !quota.hard.admits(used, &ResourceList::default()) {
                return Err(format!(
                    "cluster {}: namespace {} uses {used:?}, over its quota {:?}",
                    self.id.0, quota.namespace.0, quota.hard
                ));
            }
        }
        Ok(())
    }
}
