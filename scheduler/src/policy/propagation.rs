use sim_core::model::{Job, World};

use super::LabelSelector;

/// Index of a placement in the control plane's placement table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PlacementId(pub u32);

/// A `resourceSelectors` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceSelector {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `namespace`; empty matches every namespace (a PropagationPolicy's is defaulted to its own).
    pub namespace: String,
    /// `name`; empty matches every name.
    pub name: String,
    /// `labelSelector`.
    pub label_selector: Option<LabelSelector>,
}

/// How specifically a selector matched (`util.ResourceSelectorPriority`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ImplicitPriority {
    /// No match.
    Mismatch = 0,
    /// Neither name nor labels given.
    MatchAll = 1,
    /// The label selector matched.
    MatchLabelSelector = 2,
    /// The name matched.
    MatchName = 3,
}

impl ResourceSelector {
    /// How this selector matches `job` (namespace `namespace`).
    pub fn priority(&self, job: &Job, namespace: &str) -> ImplicitPriority {
        let template = &job.template;
        if self.api_version != *template.api_version || self.kind != *template.kind {
            return ImplicitPriority::Mismatch;
        }
        if !self.namespace.is_empty() && self.namespace != namespace {
            return ImplicitPriority::Mismatch;
        }
        if !self.name.is_empty() {
            return if self.name == job.name {
                ImplicitPriority::MatchName
            } else {
                ImplicitPriority::Mismatch
            };
        }
        match &self.label_selector {
            None => ImplicitPriority::MatchAll,
            Some(selector) if selector.matches(&template.labels) => {
                ImplicitPriority::MatchLabelSelector
            }
            Some(_) => ImplicitPriority::Mismatch,
        }
    }
}

/// A PropagationPolicy or ClusterPropagationPolicy, as the detector matches it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropagationPolicy {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`; `None` for a ClusterPropagationPolicy.
    pub namespace: Option<String>,
    /// `spec.priority` (explicit priority, default 0).
    pub priority: i32,
    /// `spec.resourceSelectors`.
    pub selectors: Vec<ResourceSelector>,
    /// `spec.placement`, in the control plane's table.
    pub placement: PlacementId,
    /// `spec.schedulePriority` resolved to a value (0 without one).
    pub schedule_priority: i32,
}

/// Karmada's detector (`LookForMatchedPolicy`): the namespace's PropagationPolicies first; only
/// if none matches, the ClusterPropagationPolicies. Among matches: highest explicit priority,
/// then the most specific selector, then the smallest name.
pub fn matching_policy<'p>(
    policies: &'p [PropagationPolicy],
    job: &Job,
    world: &World,
) -> Option<&'p PropagationPolicy> {
    let namespace = &world.namespace(job.namespace).name;
    let best_of = |cluster_scoped: bool| {
        policies
            .iter()
            .filter(|p| p.namespace.is_none() == cluster_scoped)
            .filter(|p| cluster_scoped || p.namespace.as_deref() == Some(namespace.as_str()))
            .filter_map(|p| {
                let implicit = p
                    .selectors
                    .iter()
                    .map(|s| s.priority(job, namespace))
                    .max()?;
                (implicit > ImplicitPriority::Mismatch).then_some((p, implicit))
            })
            .min_by(|(a, ia), (b, ib)| {
                b.priority
                    .cmp(&a.priority)
                    .then(ib.cmp(ia))
                    .then_with(|| a.name.cmp(&b.name))
            })
            .map(|(p, _)| p)
    };
    best_of(false).or_else(|| best_of(true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::model::Template;
    use sim_core::model::fixture::WorldBuilder;
    use std::sync::Arc;

    fn job(name: &str, labels: &[(&str, &str)]) -> Job {
        Job {
            id: sim_core::model::JobId(0),
            name: name.into(),
            namespace: sim_core::model::NamespaceId(0),
            priority_class: None,
            submit: sim_core::SimTime::ZERO,
            components: Vec::new(),
            runtime: sim_core::Duration::ZERO,
            gang: true,
            checkpoint_interval: None,
            checkpoint_cost: None,
            max_restarts: None,
            max_unavailable: None,
            template: Template {
                api_version: Arc::from("apps/v1"),
                kind: Arc::from("Deployment"),
                labels: Arc::new(
                    labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
            },
        }
    }

    fn world() -> World {
        WorldBuilder::new().namespace("default").build()
    }

    fn policy(
        name: &str,
        namespace: Option<&str>,
        priority: i32,
        selector: ResourceSelector,
    ) -> PropagationPolicy {
        PropagationPolicy {
            name: name.into(),
            namespace: namespace.map(Into::into),
            priority,
            selectors: vec![selector],
            placement: PlacementId(0),
            schedule_priority: 0,
        }
    }

    fn by_name(name: &str) -> ResourceSelector {
        ResourceSelector {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            name: name.into(),
            ..Default::default()
        }
    }

    fn by_label(key: &str, value: &str) -> ResourceSelector {
        ResourceSelector {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            label_selector: Some(LabelSelector {
                match_labels: [(key.to_string(), value.to_string())].into(),
                match_expressions: Vec::new(),
            }),
            ..Default::default()
        }
    }

    fn all() -> ResourceSelector {
        ResourceSelector {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            ..Default::default()
        }
    }

    fn chosen(policies: &[PropagationPolicy]) -> Option<String> {
        matching_policy(policies, &job("nginx", &[("app", "nginx")]), &world())
            .map(|p| p.name.clone())
    }

    #[test]
    fn name_beats_label_at_equal_priority() {
        // §1.1: PP a (label) and PP b (name), both priority 0 → b.
        let policies = [
            policy("a", Some("default"), 0, by_label("app", "nginx")),
            policy("b", Some("default"), 0, by_name("nginx")),
        ];
        assert_eq!(chosen(&policies), Some("b".into()));
    }

    #[test]
    fn explicit_priority_comes_first() {
        let policies = [
            policy("a", Some("default"), 0, by_label("app", "nginx")),
            policy("b", Some("default"), 0, by_name("nginx")),
            policy("c", Some("default"), 1, all()),
        ];
        assert_eq!(chosen(&policies), Some("c".into()));
    }

    #[test]
    fn ties_go_to_the_smallest_name() {
        let policies = [
            policy("y", Some("default"), 0, by_name("nginx")),
            policy("x", Some("default"), 0, by_name("nginx")),
        ];
        assert_eq!(chosen(&policies), Some("x".into()));
    }

    #[test]
    fn a_namespace_policy_beats_any_cluster_policy() {
        let policies = [
            policy("cluster-wide", None, 100, by_name("nginx")),
            policy("local", Some("default"), 0, all()),
        ];
        assert_eq!(chosen(&policies), Some("local".into()));
    }

    #[test]
    fn cluster_policy_applies_when_no_namespace_policy_matches() {
        let policies = [
            policy("cluster-wide", None, 0, all()),
            policy("other-ns", Some("team-b"), 5, all()),
        ];
        assert_eq!(chosen(&policies), Some("cluster-wide".into()));
    }

    #[test]
    fn nothing_matches_other_kinds_labels_or_names() {
        let mut other_kind = all();
        other_kind.kind = "StatefulSet".into();
        let policies = [
            policy("a", Some("default"), 0, other_kind),
            policy("b", Some("default"), 0, by_label("app", "redis")),
            policy("c", Some("default"), 0, by_name("redis")),
        ];
        assert_eq!(chosen(&policies), None);
    }
}
