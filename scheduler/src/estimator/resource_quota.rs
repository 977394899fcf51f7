use crate::policy::SelectorOperator;

/// A scope selector requirement of a ResourceQuota (`spec.scopes` entries become `Exists`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeRequirement {
    /// `scopeName`: PriorityClass, Terminating, BestEffort, …
    pub scope: String,
    /// Operator; `None` when unreadable, which matches nothing.
    pub operator: Option<SelectorOperator>,
    /// Values.
    pub values: Vec<String>,
}

/// A member cluster's ResourceQuota as the estimator reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceQuota {
    /// Scope selectors; none = applies to every pod.
    pub scopes: Vec<ScopeRequirement>,
    /// `status.hard` by resource name (cpu milli, others units).
    pub hard: Vec<(String, i64)>,
    /// `status.used`.
    pub used: Vec<(String, i64)>,
}

/// Kubernetes' extended resources: a domain-qualified name outside `kubernetes.io/`.
pub fn is_extended_resource(name: &str) -> bool {
    name.contains('/') && !name.contains("kubernetes.io/") && !name.starts_with("requests.")
}

fn scope_matches(requirement: &ScopeRequirement, priority_class: &str) -> bool {
    let Some(operator) = requirement.operator else {
        return false;
    };
    if requirement.scope != "PriorityClass" {
        return false;
    }
    if operator == SelectorOperator::Exists {
        return !priority_class.is_empty();
    }
    let value = (!priority_class.is_empty()).then_some(priority_class);
    crate::policy::Requirement {
        key: String::new(),
        operator,
        values: requirement.values.clone(),
    }
    .matches(value)
}

impl ResourceQuota {
    /// The resources this quota constrains and what is left of each, `requests.` stripped;
    /// `limits.*`, pod and object counts are not considered (Karmada's `calculateFreeResources`).
    fn free(&self) -> Vec<(String, i64)> {
        let compute = ["cpu", "memory", "requests.cpu", "requests.memory"];
        self.hard
            .iter()
            .filter(|(name, _)| {
                compute.contains(&name.as_str())
                    || is_extended_resource(name)
                    || name
                        .strip_prefix("requests.")
                        .is_some_and(is_extended_resource)
            })
            .filter_map(|(name, hard)| {
                let used = self.used.iter().find(|(n, _)| n == name)?.1;
                Some((name.trim_start_matches("requests.").to_owned(), hard - used))
            })
            .collect()
    }
}

/// Karmada's ResourceQuota estimator plugin: the fewest replicas any applicable quota of the
/// namespace still allows; `None` when no quota constrains the request.
pub fn replicas_by_quotas(
    quotas: &[ResourceQuota],
    priority_class: &str,
    request: &[(String, i64)],
) -> Option<i64> {
    let mut answer: Option<i64> = None;
    for quota in quotas {
        if !quota.scopes.is_empty()
            && !quota
                .scopes
                .iter()
                .any(|s| scope_matches(s, priority_class))
        {
            continue;
        }
        let free = quota.free();
        let mut allowed: Option<i64> = None;
        for (name, amount) in request.iter().filter(|(_, amount)| *amount > 0) {
            if let Some((_, left)) = free.iter().find(|(n, _)| n == name) {
                let bound = left.max(&0) / amount;
                allowed = Some(allowed.map_or(bound, |a| a.min(bound)));
            }
        }
        if let Some(allowed) = allowed.filter(|a| *a <= i64::from(i32::MAX)) {
            answer = Some(answer.map_or(allowed, |a| a.min(allowed)));
        }
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quota(
        scopes: Vec<ScopeRequirement>,
        hard: &[(&str, i64)],
        used: &[(&str, i64)],
    ) -> ResourceQuota {
        let list = |l: &[(&str, i64)]| l.iter().map(|(n, v)| (n.to_string(), *v)).collect();
        ResourceQuota {
            scopes,
            hard: list(hard),
            used: list(used),
        }
    }

    fn priority_in(values: &[&str]) -> Vec<ScopeRequirement> {
        vec![ScopeRequirement {
            scope: "PriorityClass".into(),
            operator: Some(SelectorOperator::In),
            values: values.iter().map(|v| v.to_string()).collect(),
        }]
    }

    #[test]
    fn e5_6_scoped_quota_applies_only_to_its_class() {
        // Quota A: requests.cpu 10, used 4 → 6000m free; request 1500m, memory unconstrained → 4.
        // Quota B (PriorityClass In [high]): cpu 2, used 0.
        let quotas = [
            quota(
                Vec::new(),
                &[("requests.cpu", 10_000)],
                &[("requests.cpu", 4000)],
            ),
            quota(priority_in(&["high"]), &[("cpu", 2000)], &[("cpu", 0)]),
        ];
        let request = [("cpu".to_owned(), 1500), ("memory".to_owned(), 1 << 30)];
        assert_eq!(replicas_by_quotas(&quotas, "low", &request), Some(4));
        assert_eq!(replicas_by_quotas(&quotas, "high", &request), Some(1));
    }

    #[test]
    fn limits_pods_and_unrequested_resources_do_not_constrain() {
        let quotas = [quota(
            Vec::new(),
            &[("limits.cpu", 1), ("pods", 1), ("memory", 10)],
            &[("limits.cpu", 1), ("pods", 1), ("memory", 0)],
        )];
        assert_eq!(
            replicas_by_quotas(&quotas, "", &[("cpu".to_owned(), 100)]),
            None
        );
    }

    #[test]
    fn extended_resources_count_with_or_without_prefix() {
        let quotas = [quota(
            Vec::new(),
            &[("requests.nvidia.com/gpu", 8)],
            &[("requests.nvidia.com/gpu", 5)],
        )];
        assert_eq!(
            replicas_by_quotas(&quotas, "", &[("nvidia.com/gpu".to_owned(), 1)]),
            Some(3)
        );
        let exhausted = [quota(
            Vec::new(),
            &[("nvidia.com/gpu", 4)],
            &[("nvidia.com/gpu", 6)],
        )];
        assert_eq!(
            replicas_by_quotas(&exhausted, "", &[("nvidia.com/gpu".to_owned(), 1)]),
            Some(0)
        );
    }

    #[test]
    fn exists_scope_needs_a_priority_class() {
        let scopes = vec![ScopeRequirement {
            scope: "PriorityClass".into(),
            operator: Some(SelectorOperator::Exists),
            values: Vec::new(),
        }];
        let quotas = [quota(scopes, &[("cpu", 1000)], &[("cpu", 0)])];
        assert_eq!(
            replicas_by_quotas(&quotas, "", &[("cpu".to_owned(), 500)]),
            None
        );
        assert_eq!(
            replicas_by_quotas(&quotas, "any", &[("cpu".to_owned(), 500)]),
            Some(2)
        );
    }
}
