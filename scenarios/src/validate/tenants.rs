//! The tenants section: priority classes, namespaces, their quotas, budgets and job defaults.

use std::collections::{BTreeMap, BTreeSet};

use scheduler::control::JobDefaults;
use scheduler::quota::{FederatedResourceQuota, Limits, QuotaScope, Quotas, ResourceQuota};
use sim_core::model::{Fleet, Namespace, NamespaceId, PriorityClass, World};

use crate::check::{Checker, priority_class_id};
use crate::error::Error;
use crate::spec::{self, ScenarioSpec, Text};

/// The world: `fleet` with the scenario's priority classes and namespaces.
pub(super) fn world(ck: &Checker<'_>, fleet: Fleet, spec: &ScenarioSpec) -> Result<World, Error> {
    let mut world = World {
        fleet,
        ..World::default()
    };
    let mut seen = BTreeSet::new();
    for (idx, class) in spec.priority_classes.iter().enumerate() {
        let name = ck.unique_name(
            &mut seen,
            &class.name,
            &format!("priority_classes[{idx}].name"),
            "priority class",
        )?;
        let never_preempts = match class.preemption_policy.as_ref().map(|t| t.value.as_str()) {
            None | Some("PreemptLowerPriority") => false,
            Some("Never") => true,
            Some(other) => {
                return ck.at(
                    class.preemption_policy.as_ref().expect("some"),
                    format!("priority_classes[{idx}].preemption_policy"),
                    format!("unknown preemption policy {other:?}; expected PreemptLowerPriority or Never"),
                );
            }
        };
        world.priority_classes.push(PriorityClass {
            name,
            value: class.value,
            never_preempts,
        });
    }
    let mut seen = BTreeSet::new();
    for (idx, ns) in spec.namespaces.iter().enumerate() {
        let name = ck.unique_name(
            &mut seen,
            &ns.name,
            &format!("namespaces[{idx}].name"),
            "namespace",
        )?;
        world.namespaces.push(Namespace { name });
    }
    if world.namespaces.is_empty() {
        return ck.error(
            0,
            0,
            "namespaces",
            "a scenario needs at least one namespace",
        );
    }
    Ok(world)
}

/// The quotas and budgets of the namespaces, under the scenario's `quota_mode`.
pub(super) fn scenario_quotas(
    ck: &Checker<'_>,
    world: &World,
    spec: &ScenarioSpec,
) -> Result<Quotas, Error> {
    let quota_mode = match spec.quota_mode.as_ref().map(|t| t.value.as_str()) {
        None => None,
        Some(mode @ ("duplicated" | "split" | "federated")) => Some(mode),
        Some(other) => {
            return ck.at(
                spec.quota_mode.as_ref().expect("some"),
                "quota_mode",
                format!("unknown quota mode {other:?}; expected duplicated, split or federated"),
            );
        }
    };
    quotas(ck, world, &spec.namespaces, quota_mode)
}

/// Per namespace: the checkpoint interval and restart limit of jobs that give none.
pub(super) fn job_defaults(
    ck: &Checker<'_>,
    namespaces: &[spec::NamespaceSpec],
) -> Result<Vec<JobDefaults>, Error> {
    namespaces
        .iter()
        .enumerate()
        .map(|(idx, ns)| {
            let checkpoint = match &ns.checkpoint_interval {
                Some(text) => {
                    Some(ck.duration(text, &format!("namespaces[{idx}].checkpoint_interval"))?)
                }
                None => None,
            };
            Ok(JobDefaults {
                checkpoint_interval: checkpoint,
                max_restarts: ns.max_restarts,
                max_unavailable: ns.max_unavailable,
            })
        })
        .collect()
}

/// Quota `hard` limits from Kubernetes resource names.
fn limits(ck: &Checker<'_>, map: &BTreeMap<String, Text>, path: &str) -> Result<Limits, Error> {
    limits_of(ck, map, path, false)
}

/// A FederatedResourceQuota's `overall`. Karmada counts a binding's usage under the plain
/// names of its resource request (`cpu`, `memory`, `nvidia.com/gpu`) and matches the overall
/// keys exactly (`filterResourceListByKeys`), so a `requests.`-prefixed key or `pods` limits
/// nothing: they are read, checked and left unset ([`federated_key_warnings`] says so).
fn overall_limits(
    ck: &Checker<'_>,
    map: &BTreeMap<String, Text>,
    path: &str,
) -> Result<Limits, Error> {
    limits_of(ck, map, path, true)
}

/// Warnings for FederatedResourceQuota `overall` keys Karmada never counts.
pub(super) fn federated_key_warnings(spec: &ScenarioSpec) -> Vec<String> {
    let mut warnings = Vec::new();
    // Another quota mode sets the federated quotas aside.
    if spec
        .quota_mode
        .as_ref()
        .is_some_and(|mode| mode.value != "federated")
    {
        return warnings;
    }
    for (idx, ns) in spec.namespaces.iter().enumerate() {
        let Some(frq) = ns.quota.as_ref().and_then(|q| q.federated.as_ref()) else {
            continue;
        };
        for name in frq.overall.keys() {
            if counted_by_federated_quota(name) {
                continue;
            }
            let field = format!("namespaces[{idx}].quota.federated.overall.{name}");
            let remedy = match name.trim_start_matches("requests.") {
                "pods" => "Karmada's binding usage has no pod count".to_owned(),
                plain => format!("write {plain:?} to limit it"),
            };
            warnings.push(format!(
                "{field}: Karmada counts a binding's usage as cpu, memory and nvidia.com/gpu and \
                 matches overall keys exactly (filterResourceListByKeys), so {name:?} limits \
                 nothing; {remedy}"
            ));
        }
    }
    warnings
}

/// Whether an `overall` key matches a key of Karmada's binding usage (`CalculateResourceUsage`
/// lists the resource request's plain names; it never counts pods).
fn counted_by_federated_quota(name: &str) -> bool {
    !name.starts_with("requests.") && name != "pods"
}

fn limits_of(
    ck: &Checker<'_>,
    map: &BTreeMap<String, Text>,
    path: &str,
    federated: bool,
) -> Result<Limits, Error> {
    let mut limits = Limits::default();
    for (name, text) in map {
        let field = format!("{path}.{name}");
        let quantity = ck.quantity(text, &field)?;
        // Limits count in i64; a CPU limit in milli-cores can pass it.
        let count = |value: u64| {
            i64::try_from(value).or_else(|_| {
                ck.at(
                    text,
                    &field,
                    format!(
                        "{:?} is too large: expected at most {}",
                        text.value,
                        i64::MAX
                    ),
                )
            })
        };
        let counted = !federated || counted_by_federated_quota(name);
        match name.trim_start_matches("requests.") {
            "cpu" | "memory" | "nvidia.com/gpu" | "pods" if !counted => {}
            "cpu" => limits.cpu_milli = Some(count(quantity.milli_value())?),
            "memory" => limits.memory = Some(count(quantity.value())?),
            "nvidia.com/gpu" => limits.gpus = Some(count(quantity.value())?),
            "pods" if !name.starts_with("requests.") => {
                limits.pods = Some(count(quantity.value())?);
            }
            _ => {
                return ck.at(text, field, format!("unsupported quota resource {name:?}; expected cpu, memory, pods or nvidia.com/gpu (optionally requests.-prefixed)"));
            }
        }
    }
    Ok(limits)
}

fn quotas(
    ck: &Checker<'_>,
    world: &World,
    specs: &[spec::NamespaceSpec],
    mode: Option<&str>,
) -> Result<Quotas, Error> {
    let mut quotas = Quotas {
        gpu_budgets: vec![None; specs.len()],
        ..Quotas::default()
    };
    let cluster_id = |name: &str, path: &str, at: &Text| match world.fleet.cluster_id(name) {
        Some(id) => Ok(id),
        None => ck.at(at, path.to_owned(), format!("unknown cluster {name:?}")),
    };
    for (idx, ns) in specs.iter().enumerate() {
        let path = format!("namespaces[{idx}]");
        let namespace = NamespaceId(idx as u32);
        if let Some(budget) = &ns.gpu_budget {
            if budget.value < 0 {
                return ck.at(
                    budget,
                    format!("{path}.gpu_budget"),
                    "a budget cannot be negative",
                );
            }
            quotas.gpu_budgets[idx] = Some(budget.value);
        }
        let Some(quota) = &ns.quota else { continue };
        let priority_classes = match &quota.priority_classes {
            None => None,
            Some(list) => Some(
                list.iter()
                    .enumerate()
                    .map(|(c_idx, text)| {
                        priority_class_id(
                            ck,
                            world,
                            text,
                            &format!("{path}.quota.priority_classes[{c_idx}]"),
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        let mut members = Vec::new();
        // With a quota mode, the namespace's other forms are set aside.
        let (duplicated, split, federated) = match mode {
            None => (
                quota.duplicated.as_ref(),
                quota.split.as_ref(),
                quota.federated.as_ref(),
            ),
            Some("duplicated") => (quota.duplicated.as_ref(), None, None),
            Some("split") => (None, quota.split.as_ref(), None),
            _ => (None, None, quota.federated.as_ref()),
        };
        match (duplicated, split, federated) {
            (Some(hard), None, None) => {
                let hard = limits(ck, hard, &format!("{path}.quota.duplicated"))?;
                members.extend(world.fleet.cluster_ids().map(|cluster| (cluster, hard)));
            }
            (None, Some(shares), None) => {
                for (cluster, hard) in shares {
                    let share_path = format!("{path}.quota.split.{cluster}");
                    let Some(first) = hard.values().next() else {
                        continue;
                    };
                    members.push((
                        cluster_id(cluster, &share_path, first)?,
                        limits(ck, hard, &share_path)?,
                    ));
                }
            }
            (None, None, Some(frq)) => {
                let overall =
                    overall_limits(ck, &frq.overall, &format!("{path}.quota.federated.overall"))?;
                for (cluster, hard) in &frq.static_assignments {
                    let share_path = format!("{path}.quota.federated.static_assignments.{cluster}");
                    let Some(first) = hard.values().next() else {
                        continue;
                    };
                    members.push((
                        cluster_id(cluster, &share_path, first)?,
                        limits(ck, hard, &share_path)?,
                    ));
                }
                quotas
                    .federated
                    .push(FederatedResourceQuota { namespace, overall });
            }
            (None, None, None) if mode.is_some() => {}
            _ => {
                return ck.at(&ns.name, format!("{path}.quota"), "give exactly one of duplicated, split or federated, or choose one with quota_mode");
            }
        }
        for (cluster, hard) in members {
            quotas.resource_quotas.push(ResourceQuota {
                cluster,
                namespace,
                hard,
                scopes: priority_classes
                    .iter()
                    .map(|classes| QuotaScope::priority_class_in(classes.clone()))
                    .collect(),
            });
        }
    }
    Ok(quotas)
}
