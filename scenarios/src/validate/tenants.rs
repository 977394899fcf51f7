//! The tenants section: priority classes, namespaces, their quotas, budgets and job defaults.

use std::collections::{BTreeMap, BTreeSet};

use scheduler::control::JobDefaults;
use scheduler::policy::SelectorOperator;
use scheduler::quota::{FederatedResourceQuota, Limits, QuotaScope, Quotas, ResourceQuota};
use serde_saphyr::Spanned;
use sim_core::model::{Fleet, Namespace, NamespaceId, PriorityClass, PriorityClassId, World};

use crate::check::{Checker, ClaimTable, namespace_id, priority_class_id};
use crate::error::Error;
use crate::karmada::{Paste, Pasted, PastedObject};
use crate::spec::{self, ScenarioSpec, Text, karmada};

/// The world: `fleet` with the priority classes of the scenario and of its includes, and the
/// scenario's namespaces.
pub(super) fn world(
    ck: &Checker<'_>,
    fleet: Fleet,
    spec: &ScenarioSpec,
    pastes: &[Paste],
) -> Result<World, Error> {
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
        let never_preempts = never_preempts(
            ck,
            class.preemption_policy.as_ref(),
            &format!("priority_classes[{idx}].preemption_policy"),
        )?;
        world.priority_classes.push(PriorityClass {
            name,
            value: class.value,
            never_preempts,
        });
    }
    pasted_priority_classes(ck, spec, pastes, &mut world)?;
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

/// `preemptionPolicy`: whether the class never preempts.
fn never_preempts(ck: &Checker<'_>, policy: Option<&Text>, path: &str) -> Result<bool, Error> {
    match policy.map(|t| (t, t.value.as_str())) {
        None | Some((_, "PreemptLowerPriority")) => Ok(false),
        Some((_, "Never")) => Ok(true),
        Some((text, other)) => ck.at(
            text,
            path,
            format!("unknown preemption policy {other:?}; expected PreemptLowerPriority or Never"),
        ),
    }
}

/// Where a scenario value is, for an error about something defined twice.
fn scenario_place(ck: &Checker<'_>, at: &Text, path: &str) -> String {
    format!(
        "{}:{}:{} ({path})",
        ck.file.display(),
        at.referenced.line(),
        at.referenced.column()
    )
}

/// Where a pasted value is, for an error about something defined twice.
fn pasted_place(paste: &Paste, object: &Pasted, at: &Text, field: &str) -> String {
    format!(
        "{}:{}:{} ({})",
        paste.file.display(),
        at.referenced.line() + object.line_offset,
        at.referenced.column(),
        object.field(field)
    )
}

/// The PriorityClasses of the includes join the scenario's; a name defined twice is an error
/// naming both places, since which value wins would be a guess.
fn pasted_priority_classes(
    ck: &Checker<'_>,
    spec: &ScenarioSpec,
    pastes: &[Paste],
    world: &mut World,
) -> Result<(), Error> {
    let mut seen: Vec<(String, String)> = Vec::new();
    for paste in pastes {
        for object in &paste.objects {
            let PastedObject::PriorityClass(class) = &object.object else {
                continue;
            };
            let pck = paste.checker(object);
            let Some(name) = &class.metadata.name else {
                return pck.at(
                    &class.kind,
                    object.field("metadata.name"),
                    "a PriorityClass needs metadata.name",
                );
            };
            let here = object.field("metadata.name");
            let earlier = spec
                .priority_classes
                .iter()
                .enumerate()
                .find(|(_, c)| c.name.value == name.value)
                .map(|(idx, c)| {
                    scenario_place(ck, &c.name, &format!("priority_classes[{idx}].name"))
                });
            if let Some(place) = earlier.or_else(|| {
                seen.iter()
                    .find(|(n, _)| *n == name.value)
                    .map(|(_, place)| place.clone())
            }) {
                return pck.at(
                    name,
                    here,
                    format!(
                        "priority class {:?} is defined twice: here and at {place}",
                        name.value
                    ),
                );
            }
            let never_preempts = never_preempts(
                &pck,
                class.preemption_policy.as_ref(),
                &object.field("preemptionPolicy"),
            )?;
            seen.push((
                name.value.clone(),
                pasted_place(paste, object, name, "metadata.name"),
            ));
            world.priority_classes.push(PriorityClass {
                name: name.value.clone(),
                value: class.value.value,
                never_preempts,
            });
        }
    }
    Ok(())
}

/// The quotas and budgets of the namespaces, under the scenario's `quota_mode`, with the
/// FederatedResourceQuotas and ResourceQuotas of the includes.
pub(super) fn scenario_quotas(
    ck: &Checker<'_>,
    world: &World,
    spec: &ScenarioSpec,
    pastes: &[Paste],
    warnings: &mut Vec<String>,
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
    let mut quotas = quotas(ck, world, &spec.namespaces, quota_mode)?;
    pasted_quotas(ck, world, spec, quota_mode, pastes, &mut quotas, warnings)?;
    member_quotas(ck, world, spec, &mut quotas)?;
    Ok(quotas)
}

/// The members' own ResourceQuotas (`clusters[].resource_quotas`): real objects in one
/// member, so they hold whatever `quota_mode` says, beside the namespaces' quota forms.
fn member_quotas(
    ck: &Checker<'_>,
    world: &World,
    spec: &ScenarioSpec,
    quotas: &mut Quotas,
) -> Result<(), Error> {
    for (c_idx, cluster_spec) in spec.clusters.iter().enumerate() {
        let Some(cluster) = world.fleet.cluster_id(&cluster_spec.name.value) else {
            continue;
        };
        for (q_idx, quota) in cluster_spec.resource_quotas.iter().enumerate() {
            let path = format!("clusters[{c_idx}].resource_quotas[{q_idx}]");
            let namespace =
                namespace_id(ck, world, &quota.namespace, &format!("{path}.namespace"))?;
            let hard = limits(ck, &quota.hard, &format!("{path}.hard"))?;
            let scopes = match &quota.priority_classes {
                None => Vec::new(),
                Some(list) => {
                    let classes = list
                        .iter()
                        .enumerate()
                        .map(|(i, text)| {
                            priority_class_id(
                                ck,
                                world,
                                text,
                                &format!("{path}.priority_classes[{i}]"),
                            )
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    vec![QuotaScope::priority_class_in(classes)]
                }
            };
            quotas.resource_quotas.push(ResourceQuota {
                cluster,
                namespace,
                hard,
                scopes,
            });
        }
    }
    Ok(())
}

/// Per namespace: the checkpoint interval and cost, the restart limit and budget of jobs
/// that give none, and the node claims its pods get with the namespace's own tolerations and
/// node selector (Kubernetes' PodTolerationRestriction and PodNodeSelector admission) added,
/// for every claim of `claims` (built from the workload and initial state already).
pub(super) fn job_defaults(
    ck: &Checker<'_>,
    namespaces: &[spec::NamespaceSpec],
    claims: &mut ClaimTable,
) -> Result<Vec<JobDefaults>, Error> {
    let n_claims = claims.len();
    namespaces
        .iter()
        .enumerate()
        .map(|(idx, ns)| {
            let duration = |text: &Option<Text>, field: &str| match text {
                Some(text) => ck
                    .duration(text, &format!("namespaces[{idx}].{field}"))
                    .map(Some),
                None => Ok(None),
            };
            let tolerations =
                ck.tolerations(&ns.tolerations, &format!("namespaces[{idx}].tolerations"))?;
            let mut node_claims = Vec::new();
            if !tolerations.is_empty() || !ns.node_selector.is_empty() {
                for base in 0..n_claims {
                    let base = base as u16;
                    let merged = claims.with_namespace_defaults(
                        ck,
                        base,
                        &ns.node_selector,
                        &tolerations,
                        &format!("namespaces[{idx}].tolerations"),
                    )?;
                    if merged != base {
                        node_claims.push((base, merged));
                    }
                }
            }
            Ok(JobDefaults {
                checkpoint_interval: duration(&ns.checkpoint_interval, "checkpoint_interval")?,
                checkpoint_cost: duration(&ns.checkpoint_cost, "checkpoint_cost")?,
                max_restarts: ns.max_restarts,
                max_unavailable: ns.max_unavailable,
                node_claims,
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

/// The quotas of the includes. A FederatedResourceQuota is its namespace's `quota.federated`; a
/// ResourceQuota its namespace's `quota.duplicated` (one in every member cluster, as when a
/// policy propagates it to all of them). A namespace whose quota the scenario also gives is an
/// error naming both places; a namespace or cluster the scenario does not declare, a quota
/// `quota_mode` sets aside and a resource fleetsim does not count are warnings, since Karmada
/// would take them all.
fn pasted_quotas(
    ck: &Checker<'_>,
    world: &World,
    spec: &ScenarioSpec,
    mode: Option<&str>,
    pastes: &[Paste],
    quotas: &mut Quotas,
    warnings: &mut Vec<String>,
) -> Result<(), Error> {
    let mut seen: Vec<(String, String)> = Vec::new();
    for paste in pastes {
        for object in &paste.objects {
            let (kind, metadata, form) = match &object.object {
                PastedObject::FederatedQuota(q) => (&q.kind, &q.metadata, "federated"),
                PastedObject::ResourceQuota(q) => (&q.kind, &q.metadata, "duplicated"),
                _ => continue,
            };
            let pck = paste.checker(object);
            let Some(name) = &metadata.name else {
                return pck.at(
                    kind,
                    object.field("metadata.name"),
                    format!("a {} needs metadata.name", kind.value),
                );
            };
            let ns_name = metadata.namespace.as_deref().unwrap_or("default");
            let display = format!("{} {ns_name}/{}", kind.value, name.value);
            if let Some((_, place)) = seen.iter().find(|(d, _)| *d == display) {
                return pck.at(
                    name,
                    object.field("metadata.name"),
                    format!("{display} is defined twice: here and at {place}"),
                );
            }
            seen.push((
                display.clone(),
                pasted_place(paste, object, name, "metadata.name"),
            ));
            let line = name.referenced.line() + object.line_offset;
            let at = |what: String| format!("{}:{line}: {display}: {what}", paste.file.display());
            let Some(ns_idx) = world.namespaces.iter().position(|n| n.name == ns_name) else {
                warnings.push(at(format!(
                    "namespace {ns_name:?} is not declared under namespaces; ignored"
                )));
                continue;
            };
            let ns_spec = &spec.namespaces[ns_idx];
            if ns_spec.quota.is_some() {
                let place = scenario_place(ck, &ns_spec.name, &format!("namespaces[{ns_idx}]"));
                return pck.at(
                    name,
                    object.field("metadata.namespace"),
                    format!(
                        "namespace {ns_name:?} is given a quota twice: here and by its quota at {place}"
                    ),
                );
            }
            if let Some(mode) = mode.filter(|m| *m != form) {
                warnings.push(at(format!("quota_mode {mode} sets this quota aside")));
                continue;
            }
            let namespace = NamespaceId(ns_idx as u32);
            match &object.object {
                PastedObject::FederatedQuota(q) => {
                    let path = object.field("spec.overall");
                    let overall = pasted_limits(&pck, &q.spec.overall, &path, true, &at, warnings)?;
                    quotas
                        .federated
                        .push(FederatedResourceQuota { namespace, overall });
                    for (a_idx, a) in q.spec.static_assignments.iter().enumerate() {
                        let path = object.field(&format!("spec.staticAssignments[{a_idx}]"));
                        let Some(cluster) = world.fleet.cluster_id(&a.cluster_name.value) else {
                            warnings.push(at(format!(
                                "{path}.clusterName {:?} is not a cluster of the scenario; ignored",
                                a.cluster_name.value
                            )));
                            continue;
                        };
                        let hard = pasted_limits(
                            &pck,
                            &a.hard,
                            &format!("{path}.hard"),
                            false,
                            &at,
                            warnings,
                        )?;
                        quotas.resource_quotas.push(ResourceQuota {
                            cluster,
                            namespace,
                            hard,
                            scopes: Vec::new(),
                        });
                    }
                }
                PastedObject::ResourceQuota(q) => {
                    let path = object.field("spec.hard");
                    let hard = pasted_limits(&pck, &q.spec.hard, &path, false, &at, warnings)?;
                    let scopes = pasted_scopes(&pck, world, object, &q.spec)?;
                    for cluster in world.fleet.cluster_ids() {
                        quotas.resource_quotas.push(ResourceQuota {
                            cluster,
                            namespace,
                            hard,
                            scopes: scopes.clone(),
                        });
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// A pasted `hard` or `overall`: the resources fleetsim counts, and a warning for each other.
fn pasted_limits(
    ck: &Checker<'_>,
    map: &BTreeMap<String, Spanned<karmada::Quantity>>,
    path: &str,
    federated: bool,
    at: &dyn Fn(String) -> String,
    warnings: &mut Vec<String>,
) -> Result<Limits, Error> {
    let mut counted = BTreeMap::new();
    for (name, quantity) in map {
        let plain = name.strip_prefix("requests.").unwrap_or(name);
        let known = ["cpu", "memory", "nvidia.com/gpu"].contains(&plain) || name == "pods";
        if !known || (federated && !counted_by_federated_quota(name)) {
            warnings.push(at(format!(
                "{path}.{name} is not counted by fleetsim's model and was ignored"
            )));
            continue;
        }
        counted.insert(
            name.clone(),
            Spanned::new(quantity.value.text(), quantity.referenced, quantity.defined),
        );
    }
    limits_of(ck, &counted, path, federated)
}

/// A pasted ResourceQuota's `scopes` and `scopeSelector`: a `PriorityClass` requirement is
/// modelled; every other scope concerns pods fleetsim does not tell apart and matches none,
/// as in Karmada's ResourceQuota plugin (`matchesScope`).
fn pasted_scopes(
    ck: &Checker<'_>,
    world: &World,
    object: &Pasted,
    spec: &karmada::ResourceQuotaObjectSpec,
) -> Result<Vec<QuotaScope>, Error> {
    let mut scopes: Vec<QuotaScope> = spec
        .scopes
        .iter()
        .flatten()
        .map(|scope| QuotaScope {
            priority_class: scope.value == "PriorityClass",
            operator: Some(SelectorOperator::Exists),
            values: Vec::new(),
        })
        .collect();
    for (idx, e) in spec
        .scope_selector
        .iter()
        .flat_map(|s| &s.match_expressions)
        .enumerate()
    {
        let path = object.field(&format!(
            "spec.scopeSelector.matchExpressions[{idx}].operator"
        ));
        let operator = ck.scope_operator(&e.operator, &path)?;
        // A class that does not exist matches no pod: leaving it out changes nothing.
        let values = e
            .values
            .iter()
            .filter_map(|v| {
                world
                    .priority_classes
                    .iter()
                    .position(|c| c.name == v.value)
                    .map(|idx| PriorityClassId(idx as u32))
            })
            .collect();
        scopes.push(QuotaScope {
            priority_class: e.scope_name.value == "PriorityClass",
            operator: Some(operator),
            values,
        });
    }
    Ok(scopes)
}
