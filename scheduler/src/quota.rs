//! Kubernetes ResourceQuotas in member clusters and Karmada's FederatedResourceQuota.

use sim_core::model::{ClusterId, NamespaceId, PodRequest, PriorityClassId};

use crate::estimator::ResourceList;
use crate::policy::SelectorOperator;

/// Hard limits on the resources fleetsim models; `None` = not limited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// `requests.cpu` (or `cpu`), in milli-cores.
    pub cpu_milli: Option<i64>,
    /// `requests.memory` (or `memory`), in bytes.
    pub memory: Option<i64>,
    /// `pods` (count quota; member admission only, the estimator plugin ignores it).
    pub pods: Option<i64>,
    /// `requests.nvidia.com/gpu`, in devices.
    pub gpus: Option<i64>,
}

impl Limits {
    fn pairs(&self, list: &ResourceList) -> [(Option<i64>, i64); 4] {
        [
            (self.cpu_milli, list.cpu_milli),
            (self.memory, list.memory),
            (self.pods, list.pods),
            (self.gpus, list.gpus),
        ]
    }

    /// Whether `used + extra` stays within every limit.
    pub fn admits(&self, used: &ResourceList, extra: &ResourceList) -> bool {
        let mut total = *used;
        total.add(extra);
        self.pairs(&total)
            .iter()
            .all(|(hard, value)| hard.is_none_or(|hard| *value <= hard))
    }

    /// Karmada's ResourceQuota estimator plugin: replicas of `request` the quota still allows
    /// over cpu, memory and extended resources (pod counts are not considered); `None` when the
    /// request touches no limited resource.
    pub fn replicas(&self, used: &ResourceList, request: &PodRequest) -> Option<i64> {
        self.units(used, &ResourceList::of_pods(request, 1))
    }

    /// How many more units of `per_unit` (a replica, or a set of components) fit under the
    /// limits after `used`; `None` when no limit constrains them.
    pub fn units(&self, used: &ResourceList, per_unit: &ResourceList) -> Option<i64> {
        let asks = [
            (self.cpu_milli, used.cpu_milli, per_unit.cpu_milli),
            (self.memory, used.memory, per_unit.memory),
            (self.gpus, used.gpus, per_unit.gpus),
        ];
        // More than `MaxInt32` is no constraint, as Karmada's plugin answers.
        asks.iter()
            .filter(|(hard, _, ask)| hard.is_some() && *ask > 0)
            .map(|(hard, used, ask)| (hard.expect("filtered") - used).max(0) / ask)
            .min()
            .filter(|units| *units <= i64::from(i32::MAX))
    }

    /// Whether `used` is above a limit on cpu, memory or GPUs (the resources Karmada's
    /// ResourceQuota plugin considers; pod counts aside).
    pub fn exceeded_without_pods(&self, used: &ResourceList) -> bool {
        [
            (self.cpu_milli, used.cpu_milli),
            (self.memory, used.memory),
            (self.gpus, used.gpus),
        ]
        .iter()
        .any(|(hard, value)| hard.is_some_and(|hard| *value > hard))
    }

    /// The GPU limit, for budget reports.
    pub fn gpu_limit(&self) -> Option<i64> {
        self.gpus
    }
}

/// One scope of a ResourceQuota: a `spec.scopes` entry (operator `Exists`) or a
/// `spec.scopeSelector.matchExpressions` requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotaScope {
    /// Whether the scope is `PriorityClass`; every other scope (`Terminating`, `BestEffort`,
    /// `CrossNamespacePodAffinity`, ...) concerns pods fleetsim does not tell apart and matches
    /// no binding, as in Karmada's ResourceQuota plugin (`matchesScope`).
    pub priority_class: bool,
    /// The operator; `None` when it cannot be read (the requirement then matches nothing).
    pub operator: Option<SelectorOperator>,
    /// The classes `In` and `NotIn` compare with.
    pub values: Vec<PriorityClassId>,
}

impl QuotaScope {
    /// `PriorityClass In classes`.
    pub fn priority_class_in(classes: Vec<PriorityClassId>) -> QuotaScope {
        QuotaScope {
            priority_class: true,
            operator: Some(SelectorOperator::In),
            values: classes,
        }
    }

    /// Whether a pod of `class` matches the scope: a label selector on `PriorityClass` whose
    /// value is absent for a pod without a class (`Exists` then fails, `NotIn` holds).
    pub fn matches(&self, class: Option<PriorityClassId>) -> bool {
        if !self.priority_class {
            return false;
        }
        match self.operator {
            None | Some(SelectorOperator::Gt | SelectorOperator::Lt) => false,
            Some(SelectorOperator::In) => class.is_some_and(|c| self.values.contains(&c)),
            Some(SelectorOperator::NotIn) => class.is_none_or(|c| !self.values.contains(&c)),
            Some(SelectorOperator::Exists) => class.is_some(),
            Some(SelectorOperator::DoesNotExist) => class.is_none(),
        }
    }
}

/// A ResourceQuota in one member cluster's namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceQuota {
    /// The member cluster.
    pub cluster: ClusterId,
    /// The namespace.
    pub namespace: NamespaceId,
    /// `spec.hard`.
    pub hard: Limits,
    /// Its scopes; none counts every pod of the namespace.
    pub scopes: Vec<QuotaScope>,
}

impl ResourceQuota {
    /// Whether quota admission counts a pod of `namespace` and `priority_class`: Kubernetes
    /// requires every scope to match.
    pub fn applies(&self, namespace: NamespaceId, priority_class: Option<PriorityClassId>) -> bool {
        self.namespace == namespace && self.scopes.iter().all(|s| s.matches(priority_class))
    }

    /// Whether Karmada's ResourceQuota estimator plugin counts this quota for a binding of
    /// `namespace` and `priority_class` (`quotaAppliesToPriority`): no scope, or any one
    /// matching. With one scope this is [`ResourceQuota::applies`].
    pub fn constrains(
        &self,
        namespace: NamespaceId,
        priority_class: Option<PriorityClassId>,
    ) -> bool {
        self.namespace == namespace
            && (self.scopes.is_empty() || self.scopes.iter().any(|s| s.matches(priority_class)))
    }
}

/// A FederatedResourceQuota: one overall limit for a namespace across every cluster, enforced
/// when a binding's assignment is admitted (gate `FederatedQuotaEnforcement`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FederatedResourceQuota {
    /// The namespace.
    pub namespace: NamespaceId,
    /// `spec.overall`.
    pub overall: Limits,
}

/// A namespace's quotas and budget.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Quotas {
    /// Member ResourceQuotas (duplicated, split, or from FRQ static assignments).
    pub resource_quotas: Vec<ResourceQuota>,
    /// FederatedResourceQuotas with overall enforcement.
    pub federated: Vec<FederatedResourceQuota>,
    /// GPUs each namespace is meant to use in total (its budget), by namespace index.
    pub gpu_budgets: Vec<Option<i64>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::model::{GpuModelSet, GpuRequest};

    fn used(cpu: i64, gpus: i64, pods: i64) -> ResourceList {
        ResourceList {
            cpu_milli: cpu,
            memory: 0,
            pods,
            gpus,
        }
    }

    #[test]
    fn admission_checks_every_limited_resource() {
        let hard = Limits {
            cpu_milli: Some(10_000),
            gpus: Some(8),
            pods: Some(3),
            memory: None,
        };
        assert!(hard.admits(&used(2000, 4, 1), &used(8000, 4, 1)));
        assert!(!hard.admits(&used(2000, 4, 1), &used(8001, 0, 0)));
        assert!(!hard.admits(&used(0, 5, 1), &used(0, 4, 0)));
        assert!(!hard.admits(&used(0, 0, 3), &used(0, 0, 1)));
    }

    #[test]
    fn the_plugin_ignores_pod_counts_and_unrequested_resources() {
        // E5.6-like: cpu 10 used 4 → 6000m free / 1500m = 4; gpu 8 used 5 → 3 / 1 = 3 → 3.
        let hard = Limits {
            cpu_milli: Some(10_000),
            gpus: Some(8),
            pods: Some(1),
            memory: Some(1),
        };
        let request = PodRequest {
            cpu_milli: 1500,
            memory: 0,
            gpu: GpuRequest::whole(1, GpuModelSet::ANY),
            node_claim: 0,
        };
        assert_eq!(hard.replicas(&used(4000, 5, 100), &request), Some(3));
        let cpu_only = PodRequest {
            cpu_milli: 0,
            memory: 0,
            gpu: GpuRequest::NONE,
            node_claim: 0,
        };
        assert_eq!(hard.replicas(&used(0, 0, 0), &cpu_only), None);
        // Over-used quotas allow nothing.
        assert_eq!(hard.replicas(&used(12_000, 0, 0), &request), Some(0));
    }

    #[test]
    fn the_plugin_takes_any_scope_admission_every_scope() {
        // PriorityClass In [2] and PriorityClass NotIn [2]: Karmada's plugin counts the quota
        // for a binding either selector matches (quotaAppliesToPriority); Kubernetes' quota
        // admission counts a pod only when every scope matches, here never.
        let quota = ResourceQuota {
            cluster: ClusterId(0),
            namespace: NamespaceId(0),
            hard: Limits::default(),
            scopes: vec![
                QuotaScope::priority_class_in(vec![PriorityClassId(2)]),
                QuotaScope {
                    priority_class: true,
                    operator: Some(SelectorOperator::NotIn),
                    values: vec![PriorityClassId(2)],
                },
            ],
        };
        for class in [None, Some(PriorityClassId(1)), Some(PriorityClassId(2))] {
            assert!(quota.constrains(NamespaceId(0), class), "{class:?}");
            assert!(!quota.applies(NamespaceId(0), class), "{class:?}");
        }
        // A scope other than PriorityClass, or an unreadable operator, matches nothing.
        let terminating = ResourceQuota {
            scopes: vec![
                QuotaScope {
                    priority_class: false,
                    operator: Some(SelectorOperator::Exists),
                    values: Vec::new(),
                },
                QuotaScope {
                    priority_class: true,
                    operator: None,
                    values: Vec::new(),
                },
            ],
            ..quota.clone()
        };
        assert!(!terminating.constrains(NamespaceId(0), Some(PriorityClassId(1))));
        // Exists needs a class, DoesNotExist its absence, NotIn holds without one.
        let scope = |operator| QuotaScope {
            priority_class: true,
            operator: Some(operator),
            values: vec![PriorityClassId(2)],
        };
        assert!(!scope(SelectorOperator::Exists).matches(None));
        assert!(scope(SelectorOperator::DoesNotExist).matches(None));
        assert!(scope(SelectorOperator::NotIn).matches(None));
        assert!(!scope(SelectorOperator::In).matches(None));
    }

    #[test]
    fn more_than_max_int32_units_is_no_constraint() {
        let hard = Limits {
            cpu_milli: Some(1 << 40),
            ..Limits::default()
        };
        let request = ResourceList {
            cpu_milli: 1,
            ..ResourceList::default()
        };
        assert_eq!(hard.units(&ResourceList::default(), &request), None);
    }

    #[test]
    fn priority_class_scope_selects_pods() {
        let quota = ResourceQuota {
            cluster: ClusterId(0),
            namespace: NamespaceId(1),
            hard: Limits::default(),
            scopes: vec![QuotaScope::priority_class_in(vec![PriorityClassId(2)])],
        };
        assert!(quota.applies(NamespaceId(1), Some(PriorityClassId(2))));
        assert!(!quota.applies(NamespaceId(1), Some(PriorityClassId(0))));
        assert!(!quota.applies(NamespaceId(1), None));
        assert!(!quota.applies(NamespaceId(0), Some(PriorityClassId(2))));
    }
}
