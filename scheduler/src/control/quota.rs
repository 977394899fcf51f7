//! Quota admission and accounting: member ResourceQuotas are installed in the members (their
//! admission enforces them), FederatedResourceQuota usage is admitted and released through one
//! accounting path, and each namespace's GPU use is tracked against its budget.

use sim_core::engine::Context;
use sim_core::model::{ClusterId, JobId, NamespaceId, World};
use sim_core::record::{NamespaceRecord, Record};

use super::{ControlEvent, ControlPlane};
use crate::binding::ResourceBinding;
use crate::estimator::ResourceList;
use crate::member::MemberCluster;
use crate::quota::{FederatedResourceQuota, Limits, Quotas};

/// The control plane's quota bookkeeping.
pub(super) struct QuotaState {
    /// FederatedResourceQuotas and the usage their admission has counted.
    federated: Vec<(FederatedResourceQuota, ResourceList)>,
    /// GPU budget and quota granted per namespace, for the over-budget report.
    budgets: Vec<(Option<i64>, Option<i64>)>,
    /// Milli-GPU each namespace's pods hold, and which changed since the last record.
    namespace_gpus: Vec<u64>,
    namespace_dirty: Vec<bool>,
    /// Refusals written lately (quota, usage it would have reached, message), the newest
    /// last: the bindings of namespaces at their limits are refused again and again with the
    /// same few messages, one per namespace and request size.
    refusals: Vec<(usize, ResourceList, String)>,
}

impl QuotaState {
    /// Installs the scenario's quotas: member ResourceQuotas go to `members` (enforced by
    /// member admission and read by the ResourceQuota estimator plugin), FederatedResourceQuotas
    /// stay here (enforced when a binding's assignment is admitted), and GPU budgets are kept
    /// for the over-budget report.
    /// FederatedResourceQuotas are enforced only when `enforce_federated` (Karmada present,
    /// with overall enforcement); they still count as granted in the budget report.
    pub(super) fn new(
        quotas: Quotas,
        n_namespaces: usize,
        members: &mut [MemberCluster],
        enforce_federated: bool,
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
                .filter(|_| enforce_federated)
                .map(|frq| (frq, ResourceList::default()))
                .collect(),
            namespace_gpus: vec![0; n_namespaces],
            namespace_dirty: budgets
                .iter()
                .map(|(b, g)| b.is_some() || g.is_some())
                .collect(),
            budgets,
            refusals: Vec::new(),
        }
    }

    /// FederatedResourceQuota admission of a binding whose usage goes from `old` to `new`
    /// (Karmada's ResourceBinding webhook): each quota of the namespace keeps the part of the
    /// change its `overall` names (`filterResourceListByKeys`); one that keeps nothing is
    /// skipped; otherwise its usage after the change must stay within every limit
    /// (`isAllowed`), decreases included. All pass, and every quota counts its part (`true`
    /// when one counted anything), or the first refusal is returned and nothing changes.
    fn transition(
        &mut self,
        namespace: NamespaceId,
        old: &ResourceList,
        new: &ResourceList,
        world: &World,
    ) -> Result<bool, String> {
        let updates = match self.admit(namespace, old, new) {
            Ok(updates) => updates,
            Err((idx, used)) => return Err(self.refusal(idx, used, world).to_owned()),
        };
        let changed = !updates.is_empty();
        for (idx, next) in updates {
            self.federated[idx].1 = next;
        }
        Ok(changed)
    }

    /// Karmada's message refusing quota `idx` the usage `used`, written once while it
    /// keeps recurring.
    pub(super) fn refusal(&mut self, idx: usize, used: ResourceList, world: &World) -> &str {
        let pos = match self
            .refusals
            .iter()
            .position(|(i, u, _)| (*i, *u) == (idx, used))
        {
            Some(pos) => pos,
            None => {
                if self.refusals.len() == REFUSALS_KEPT {
                    self.refusals.remove(0);
                }
                let message = refusal(&self.federated[idx].0, &used, world);
                self.refusals.push((idx, used, message));
                self.refusals.len() - 1
            }
        };
        &self.refusals[pos].2
    }

    /// The admission of [`QuotaState::transition`] without its effect: each counting quota's
    /// usage after the change, or the first quota to refuse it and the usage it would have
    /// reached (the message is written only when needed).
    pub(super) fn admit(
        &self,
        namespace: NamespaceId,
        old: &ResourceList,
        new: &ResourceList,
    ) -> Result<Vec<(usize, ResourceList)>, (usize, ResourceList)> {
        let mut delta = *new;
        delta.sub(old);
        let mut updates: Vec<(usize, ResourceList)> = Vec::new();
        for (idx, (frq, used)) in self.federated.iter().enumerate() {
            if frq.namespace != namespace {
                continue;
            }
            let part = counted(&frq.overall, &delta);
            if part == ResourceList::default() {
                continue;
            }
            let mut next = *used;
            next.add(&part);
            if exceeds(frq, &next) {
                return Err((idx, next));
            }
            updates.push((idx, next));
        }
        Ok(updates)
    }

    /// A deleted binding's usage leaves the namespace's FederatedResourceQuotas (the
    /// enforcement controller recounts on deletion; no admission).
    fn release(&mut self, namespace: NamespaceId, usage: &ResourceList) {
        for (frq, used) in &mut self.federated {
            if frq.namespace == namespace {
                used.sub(&counted(&frq.overall, usage));
            }
        }
    }

    /// Whether any FederatedResourceQuota is enforced.
    pub(super) fn enforces_federated(&self) -> bool {
        !self.federated.is_empty()
    }

    /// Whether every FederatedResourceQuota counts exactly `usage(namespace)`, the sum over
    /// the namespace's bindings.
    pub(super) fn federated_matches(
        &self,
        mut usage: impl FnMut(NamespaceId) -> ResourceList,
    ) -> Result<(), String> {
        for (frq, used) in &self.federated {
            let expected = counted(&frq.overall, &usage(frq.namespace));
            if *used != expected {
                return Err(format!(
                    "FederatedResourceQuota of namespace {} counts {used:?}, its bindings use {expected:?}",
                    frq.namespace.0
                ));
            }
        }
        Ok(())
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

/// Refusal messages kept for reuse (a linear scan finds them).
const REFUSALS_KEPT: usize = 16;

/// The part of `list` a FederatedResourceQuota with limits `overall` counts: the resources
/// it names. Karmada's binding usage never includes a pod count.
fn counted(overall: &Limits, list: &ResourceList) -> ResourceList {
    let keep = |limit: Option<i64>, value: i64| if limit.is_some() { value } else { 0 };
    ResourceList {
        cpu_milli: keep(overall.cpu_milli, list.cpu_milli),
        memory: keep(overall.memory, list.memory),
        pods: 0,
        gpus: keep(overall.gpus, list.gpus),
    }
}

/// The limits Karmada checks, in its order (cpu, memory, nvidia.com/gpu): name, limit,
/// `used`'s value and how it prints.
fn checks(
    frq: &FederatedResourceQuota,
    used: &ResourceList,
) -> [(&'static str, Option<i64>, i64, Unit); 3] {
    [
        ("cpu", frq.overall.cpu_milli, used.cpu_milli, Unit::Milli),
        ("memory", frq.overall.memory, used.memory, Unit::Bytes),
        ("nvidia.com/gpu", frq.overall.gpus, used.gpus, Unit::Count),
    ]
}

/// Whether `used` goes over any of the quota's limits.
fn exceeds(frq: &FederatedResourceQuota, used: &ResourceList) -> bool {
    checks(frq, used)
        .iter()
        .any(|(_, limit, value, _)| limit.is_some_and(|limit| *value > limit))
}

/// Karmada's refusal of `used`, which goes over the first limit it passes.
fn refusal(frq: &FederatedResourceQuota, used: &ResourceList, world: &World) -> String {
    checks(frq, used)
        .into_iter()
        .find_map(|(name, limit, value, unit)| {
            let limit = limit?;
            (value > limit).then(|| {
                format!(
                    "FederatedResourceQuota({ns}/{ns}) exceeded for resource {name}: requested sum {}, limit {}.",
                    unit.show(value),
                    unit.show(limit),
                    ns = world.namespace(frq.namespace).name,
                )
            })
        })
        .expect("called for a usage over a limit")
}

/// How a quantity prints, as Kubernetes prints it.
#[derive(Clone, Copy)]
enum Unit {
    Milli,
    Bytes,
    Count,
}

impl Unit {
    fn show(self, value: i64) -> String {
        const GI: i64 = 1 << 30;
        const MI: i64 = 1 << 20;
        match self {
            Unit::Milli if value % 1000 == 0 => (value / 1000).to_string(),
            Unit::Milli => format!("{value}m"),
            Unit::Bytes if value != 0 && value % GI == 0 => format!("{}Gi", value / GI),
            Unit::Bytes if value != 0 && value % MI == 0 => format!("{}Mi", value / MI),
            Unit::Bytes | Unit::Count => value.to_string(),
        }
    }
}

impl ControlPlane {
    /// Writes a binding's `spec.clusters`. Every change of a binding's clusters (a schedule,
    /// an eviction, clearing after a FitError, the descheduler, a rebalance, a preemption)
    /// comes through here, so FederatedResourceQuota usage is the sum over bindings at all
    /// times. A refused change leaves the binding as it was and returns Karmada's message.
    pub(super) fn set_clusters(
        &mut self,
        job: JobId,
        clusters: Vec<(ClusterId, i64)>,
    ) -> Result<(), String> {
        let active = self.jobs.get_mut(&job).expect("present");
        let old = active.binding.usage(&active.binding.clusters);
        let new = active.binding.usage(&clusters);
        let counted = self
            .quota
            .transition(active.job.namespace, &old, &new, &self.world)?;
        active.binding.clusters = clusters;
        // Quota usage moved: a refused binding of the namespace may now be admitted.
        if counted {
            self.n_changes += 1;
        }
        Ok(())
    }

    /// The quota refusing `binding` the clusters `assignment` and the usage it would have
    /// reached, when FederatedResourceQuota admission would (without changing anything).
    pub(super) fn quota_refusal(
        &self,
        binding: &ResourceBinding,
        assignment: &[(ClusterId, i64)],
    ) -> Option<(usize, ResourceList)> {
        let old = binding.usage(&binding.clusters);
        let new = binding.usage(assignment);
        self.quota.admit(binding.namespace, &old, &new).err()
    }

    /// A finished job's binding is deleted: its usage leaves the FederatedResourceQuotas.
    pub(super) fn release_federated(&mut self, job: JobId) {
        let active = &self.jobs[&job];
        let usage = active.binding.usage(&active.binding.clusters);
        self.quota.release(active.job.namespace, &usage);
    }

    /// Checks that FederatedResourceQuota usage equals the sum over the bindings.
    pub(super) fn check_federated_usage(&self) -> Result<(), String> {
        let mut by_namespace: Vec<ResourceList> =
            vec![ResourceList::default(); self.world.namespaces.len()];
        let mut ids: Vec<JobId> = self.jobs.keys().copied().collect();
        ids.sort();
        for id in ids {
            let active = &self.jobs[&id];
            let usage = active.binding.usage(&active.binding.clusters);
            by_namespace[active.job.namespace.0 as usize].add(&usage);
        }
        self.quota
            .federated_matches(|ns| by_namespace[ns.0 as usize])
    }
}

#[cfg(test)]
mod tests {
    use sim_core::model::fixture::WorldBuilder;

    use super::*;

    fn gpus(namespace: u32, limit: i64) -> FederatedResourceQuota {
        FederatedResourceQuota {
            namespace: NamespaceId(namespace),
            overall: Limits {
                gpus: Some(limit),
                ..Limits::default()
            },
        }
    }

    #[test]
    fn each_refusal_names_its_own_namespace_and_sum() {
        // llm may hold 16 GPUs, vision 8. Refusals alternate between the two and run
        // through 40 sums, more than the messages kept, three times over: each must read
        // as Karmada writes it for that namespace and sum.
        let world = WorldBuilder::new()
            .namespace("llm")
            .namespace("vision")
            .build();
        let quotas = Quotas {
            federated: vec![gpus(0, 16), gpus(1, 8)],
            gpu_budgets: vec![None, None],
            ..Quotas::default()
        };
        let mut state = QuotaState::new(quotas, 2, &mut [], true);
        for _ in 0..3 {
            for extra in 1..=20 {
                for (idx, name, limit) in [(0, "llm", 16), (1, "vision", 8)] {
                    let used = ResourceList {
                        gpus: limit + extra,
                        ..ResourceList::default()
                    };
                    assert_eq!(
                        state.refusal(idx, used, &world),
                        format!(
                            "FederatedResourceQuota({name}/{name}) exceeded for resource \
                             nvidia.com/gpu: requested sum {}, limit {limit}.",
                            limit + extra
                        )
                    );
                }
            }
        }
        // Admission refuses 17 of llm's 16 with the same words, and counts nothing.
        let want = ResourceList {
            gpus: 17,
            ..ResourceList::default()
        };
        let refused = state.transition(NamespaceId(0), &ResourceList::default(), &want, &world);
        assert_eq!(
            refused,
            Err(
                "FederatedResourceQuota(llm/llm) exceeded for resource nvidia.com/gpu: \
                 requested sum 17, limit 16."
                    .to_owned()
            )
        );
        assert_eq!(state.federated[0].1, ResourceList::default());
    }
}
