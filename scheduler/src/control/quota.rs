//! Quota admission and accounting: member ResourceQuotas are installed in the members (their
//! admission enforces them), FederatedResourceQuota usage is admitted and released through one
//! accounting path, and each namespace's GPU use is tracked against its budget.

use sim_core::engine::Context;
use sim_core::model::{ClusterId, JobId, NamespaceId, World};
use sim_core::record::{NamespaceRecord, Record};

use super::{ControlEvent, ControlPlane};
use crate::estimator::ResourceList;
use crate::member::MemberCluster;
use crate::quota::{FederatedResourceQuota, Quotas};

/// The control plane's quota bookkeeping.
pub(super) struct QuotaState {
    /// FederatedResourceQuotas and the usage their admission has counted.
    federated: Vec<(FederatedResourceQuota, ResourceList)>,
    /// GPU budget and quota granted per namespace, for the over-budget report.
    budgets: Vec<(Option<i64>, Option<i64>)>,
    /// Milli-GPU each namespace's pods hold, and which changed since the last record.
    namespace_gpus: Vec<u64>,
    namespace_dirty: Vec<bool>,
}

impl QuotaState {
    /// Installs the scenario's quotas: member ResourceQuotas go to `members` (enforced by
    /// member admission and read by the ResourceQuota estimator plugin), FederatedResourceQuotas
    /// stay here (enforced when a binding's assignment is admitted), and GPU budgets are kept
    /// for the over-budget report.
    pub(super) fn new(
        quotas: Quotas,
        n_namespaces: usize,
        members: &mut [MemberCluster],
    ) -> QuotaState {
        let mut granted = vec![None::<i64>; n_namespaces];
        for quota in &quotas.resource_quotas {
            if let Some(gpus) = quota.hard.gpu_limit() {
                let entry = &mut granted[quota.namespace.0 as usize];
                *entry = Some(entry.unwrap_or(0) + gpus);
            }
        }
        for frq in &quotas.federated {
            if let Some(gpus) = frq.overall.gpu_limit() {
                granted[frq.namespace.0 as usize] = Some(gpus);
            }
        }
        for quota in quotas.resource_quotas {
            members[quota.cluster.0 as usize].add_quota(quota);
        }
        let budgets: Vec<(Option<i64>, Option<i64>)> = (0..n_namespaces)
            .map(|ns| (quotas.gpu_budgets.get(ns).copied().flatten(), granted[ns]))
            .collect();
        QuotaState {
            federated: quotas
                .federated
                .into_iter()
                .map(|frq| (frq, ResourceList::default()))
                .collect(),
            namespace_gpus: vec![0; n_namespaces],
            namespace_dirty: budgets
                .iter()
                .map(|(b, g)| b.is_some() || g.is_some())
                .collect(),
            budgets,
        }
    }

    /// FederatedResourceQuota admission of a change in a namespace's usage (Karmada's
    /// ResourceBinding webhook): an increase must fit every overall limit; decreases always
    /// pass. Admitted changes are counted.
    fn admit(
        &mut self,
        namespace: NamespaceId,
        delta: &ResourceList,
        world: &World,
    ) -> Result<(), String> {
        let grows = [delta.cpu_milli, delta.memory, delta.gpus]
            .iter()
            .any(|d| *d > 0);
        for (frq, used) in self.federated_of(namespace) {
            if grows && !frq.overall.admits(used, delta) {
                let mut total = *used;
                total.add(delta);
                return Err(format!(
                    "FederatedResourceQuota({}) exceeded: requested sum {{cpu: {}m, memory: {}, nvidia.com/gpu: {}}}, limit {:?}",
                    world.namespace(namespace).name,
                    total.cpu_milli,
                    total.memory,
                    total.gpus,
                    frq.overall
                ));
            }
        }
        self.account(namespace, delta);
        debug_assert!(
            !grows
                || self
                    .federated_of(namespace)
                    .all(|(frq, used)| frq.overall.admits(used, &ResourceList::default()))
        );
        Ok(())
    }

    /// A deleted binding's usage leaves the namespace's FederatedResourceQuotas.
    fn release(&mut self, namespace: NamespaceId, usage: &ResourceList) {
        let mut delta = ResourceList::default();
        delta.sub(usage);
        self.account(namespace, &delta);
    }

    /// Adds `delta` to the usage every FederatedResourceQuota of `namespace` counts.
    fn account(&mut self, namespace: NamespaceId, delta: &ResourceList) {
        for (_, used) in self
            .federated
            .iter_mut()
            .filter(|(frq, _)| frq.namespace == namespace)
        {
            used.add(delta);
        }
    }

    fn federated_of(
        &self,
        namespace: NamespaceId,
    ) -> impl Iterator<Item = &(FederatedResourceQuota, ResourceList)> {
        self.federated
            .iter()
            .filter(move |(frq, _)| frq.namespace == namespace)
    }

    /// Adds `delta_milli` to a namespace's GPU use and marks it for a record when it has a
    /// budget or a quota (namespaces without either are not reported).
    pub(super) fn change_gpus(&mut self, namespace: NamespaceId, delta_milli: i64) {
        let ns = namespace.0 as usize;
        let (Some(used), Some((budget, granted))) =
            (self.namespace_gpus.get_mut(ns), self.budgets.get(ns))
        else {
            return;
        };
        *used = used
            .checked_add_signed(delta_milli)
            .expect("namespace GPU use stays non-negative");
        if budget.is_some() || granted.is_some() {
            self.namespace_dirty[ns] = true;
        }
    }

    /// Whether `n_gpus` more GPUs keep the namespace within its budget (false without one).
    pub(super) fn under_budget(&self, namespace: NamespaceId, n_gpus: u64) -> bool {
        let ns = namespace.0 as usize;
        self.budgets
            .get(ns)
            .and_then(|(budget, _)| *budget)
            .is_some_and(|budget| self.namespace_gpus[ns] + n_gpus * 1000 <= budget as u64 * 1000)
    }

    /// Records the GPU use of namespaces that changed since the last call.
    pub(super) fn flush(&mut self, ctx: &mut Context<'_, ControlEvent>) {
        for ns in 0..self.namespace_dirty.len() {
            if !self.namespace_dirty[ns] {
                continue;
            }
            self.namespace_dirty[ns] = false;
            let (budget_gpus, quota_granted_gpus) = self.budgets[ns];
            ctx.record(Record::Namespace(NamespaceRecord {
                time: ctx.now(),
                namespace: NamespaceId(ns as u32),
                gpus_in_use_milli: self.namespace_gpus[ns],
                budget_gpus,
                quota_granted_gpus,
            }));
        }
    }
}

impl ControlPlane {
    /// FederatedResourceQuota admission of a job's new assignment: the change from its current
    /// one.
    pub(super) fn admit_federated(
        &mut self,
        job: JobId,
        assignment: &[(ClusterId, i64)],
    ) -> Result<(), String> {
        let active = &self.jobs[&job];
        let mut delta = active.binding.usage(assignment);
        delta.sub(&active.binding.usage(&active.binding.clusters));
        self.quota.admit(active.job.namespace, &delta, &self.world)
    }

    /// A finished job's binding is deleted: its usage leaves the FederatedResourceQuotas.
    pub(super) fn release_federated(&mut self, job: JobId) {
        let active = &self.jobs[&job];
        let usage = active.binding.usage(&active.binding.clusters);
        self.quota.release(active.job.namespace, &usage);
    }
}
