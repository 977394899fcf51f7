//! The policies section: included Karmada files, the fallback placement, and the timeline of
//! changes to cluster labels and policies.

use std::path::Path;

use scheduler::control::{PolicySet, PolicyUpdate, TimelineChange, WorkloadRef};
use scheduler::policy::{DivisionPreference, Placement, PlacementId, ReplicaScheduling};
use sim_core::SimTime;
use sim_core::model::{NamespaceId, World};

use crate::check::Checker;
use crate::error::Error;
use crate::karmada::{ImportedPolicies, Paste, PastedObject, import_paste, read_paste};
use crate::spec::{self, ScenarioSpec, Text};

/// Reads the file `include` names (relative to `base`); `path` names the field.
fn read_include(
    ck: &Checker<'_>,
    base: &Path,
    include: &Text,
    path: String,
) -> Result<Paste, Error> {
    let policy_file = base.join(&include.value);
    let text = std::fs::read_to_string(&policy_file).or_else(|err| {
        ck.at(
            include,
            path,
            format!("cannot read {}: {err}", policy_file.display()),
        )
    })?;
    read_paste(&policy_file, &text)
}

/// The scenario's policy includes, read before the tenants: the PriorityClasses and quotas
/// they hold join the scenario's own.
pub(super) fn read_includes(
    ck: &Checker<'_>,
    base: &Path,
    spec: &ScenarioSpec,
) -> Result<Vec<Paste>, Error> {
    spec.policies
        .iter()
        .enumerate()
        .map(|(idx, include)| {
            read_include(
                ck,
                base,
                &include.include,
                format!("policies[{idx}].include"),
            )
        })
        .collect()
}

/// The policies of the included files and the scenario's own placement (the fallback),
/// with the warnings met on the way.
pub(super) fn policy_set(
    ck: &Checker<'_>,
    pastes: &[Paste],
    world: &World,
    spec: &ScenarioSpec,
) -> Result<(PolicySet, Vec<String>), Error> {
    let mut imported = ImportedPolicies::default();
    for paste in pastes {
        import_paste(paste, world, &mut imported)?;
    }
    let fallback = match &spec.placement {
        Some(p) => {
            if let Some(affinity) = &p.workload_affinity {
                imported.warnings.push(format!(
                    "{}:{}: placement.workloadAffinity is not modelled and was ignored",
                    ck.file.display(),
                    affinity.referenced.line()
                ));
            }
            let mut placement = ck.placement(p, "placement")?;
            ck.admit_placement(p, &placement, "placement")?;
            if let Some(failover) = &spec.failover {
                placement.failover = ck.failover(failover, "failover", &mut imported.warnings)?;
            }
            Some(placement)
        }
        None if spec.policies.is_empty() => Some(Placement {
            replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::DynamicWeight),
            ..Placement::default()
        }),
        None => None,
    };
    let mut policies = PolicySet {
        placements: imported.placements,
        policies: imported.policies,
        fallback: None,
        overrides: imported.overrides,
    };
    if let Some(placement) = fallback {
        policies.placements.push(placement);
        policies.fallback = Some(PlacementId(policies.placements.len() as u32 - 1));
    }
    Ok((policies, imported.warnings))
}

/// The timeline's changes in file order; warnings of included policy files join `warnings`.
pub(super) fn timeline(
    ck: &Checker<'_>,
    base: &Path,
    world: &World,
    entries: &[spec::TimelineEntrySpec],
    warnings: &mut Vec<String>,
) -> Result<Vec<(SimTime, TimelineChange)>, Error> {
    let mut timeline = Vec::new();
    for (idx, entry) in entries.iter().enumerate() {
        let path = format!("timeline[{idx}]");
        let at = SimTime(ck.duration(&entry.at, &format!("{path}.at"))?.as_millis());
        let change = match (&entry.cluster_labels, &entry.policies, &entry.rebalance) {
            (None, None, Some(rebalance)) => rebalance_change(ck, world, rebalance, &path)?,
            (Some(change), None, None) => {
                let Some(cluster) = world.fleet.cluster_id(&change.cluster.value) else {
                    return ck.at(
                        &change.cluster,
                        format!("{path}.cluster_labels.cluster"),
                        format!("unknown cluster {:?}", change.cluster.value),
                    );
                };
                TimelineChange::ClusterLabels {
                    cluster,
                    labels: change.labels.clone(),
                }
            }
            (None, Some(include), None) => {
                let mut updates = ImportedPolicies::default();
                let paste = read_include(
                    ck,
                    base,
                    &include.include,
                    format!("{path}.policies.include"),
                )?;
                import_paste(&paste, world, &mut updates)?;
                for object in &paste.objects {
                    if !matches!(object.object, PastedObject::Policy(_)) {
                        updates.warnings.push(format!(
                            "{}:{}: {}: a timeline include changes policies only; this object was ignored",
                            paste.file.display(),
                            object.line_offset + 1,
                            object.field("kind"),
                        ));
                    }
                }
                warnings.append(&mut updates.warnings);
                let placements = updates.placements;
                TimelineChange::Policies(
                    updates
                        .policies
                        .into_iter()
                        .map(|policy| PolicyUpdate {
                            placement: placements[policy.placement.0 as usize].clone(),
                            policy,
                        })
                        .collect(),
                )
            }
            _ => {
                return ck.at(
                    &entry.at,
                    path,
                    "give exactly one of cluster_labels, policies or rebalance",
                );
            }
        };
        timeline.push((at, change));
    }
    Ok(timeline)
}

fn rebalance_change(
    ck: &Checker<'_>,
    world: &World,
    rebalance: &spec::RebalanceSpec,
    path: &str,
) -> Result<TimelineChange, Error> {
    let mut workloads = Vec::new();
    for (w_idx, w) in rebalance.workloads.iter().enumerate() {
        let Some(ns) = world
            .namespaces
            .iter()
            .position(|n| n.name == w.namespace.value)
        else {
            return ck.at(
                &w.namespace,
                format!("{path}.rebalance.workloads[{w_idx}].namespace"),
                format!("unknown namespace {:?}", w.namespace.value),
            );
        };
        workloads.push(WorkloadRef {
            namespace: NamespaceId(ns as u32),
            name: w.name.clone(),
        });
    }
    Ok(TimelineChange::Rebalance(workloads))
}

/// A warning when the scenario declares priority classes but no propagation policy (now or
/// in the timeline) sets `schedulePriority`: Karmada's scheduling queue then gives every
/// binding priority 0, so the classes order nothing in the control plane.
pub(super) fn unused_priority_warning(
    world: &World,
    policies: &PolicySet,
    timeline: &[(SimTime, TimelineChange)],
    member_preemption: bool,
) -> Option<String> {
    if world.priority_classes.is_empty() {
        return None;
    }
    let later = timeline.iter().flat_map(|(_, change)| match change {
        TimelineChange::Policies(updates) => updates.iter().map(|u| &u.policy).collect(),
        _ => Vec::new(),
    });
    if policies
        .policies
        .iter()
        .chain(later)
        .any(|p| p.schedule_priority != 0)
    {
        return None;
    }
    let members = if member_preemption {
        "the order of pods waiting in member clusters and member preemption"
    } else {
        "the order of pods waiting in member clusters (member preemption is off)"
    };
    Some(format!(
        "priority_classes: no propagation policy sets schedulePriority, so Karmada's scheduling \
         queue gives every binding priority 0 and the classes change only {members}; set \
         spec.schedulePriority {{priorityClassSource: KubePriorityClass, priorityClassName}} in \
         the policies whose jobs should go first"
    ))
}
