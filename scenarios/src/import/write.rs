//! The scenario's text: clusters with their pools, quotas and resource models, the scheduler,
//! includes, priority classes and namespaces.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::clusters::{ClusterObject, MemberQuota};
use super::nodes::PoolKey;
use super::quoted;

/// What the scenario's clusters are written from.
pub(super) struct Fleet<'a> {
    pub(super) members: &'a BTreeMap<String, BTreeMap<PoolKey, Vec<String>>>,
    pub(super) control: &'a BTreeMap<String, ClusterObject>,
    pub(super) quotas: &'a BTreeMap<String, Vec<MemberQuota>>,
}

pub(super) fn write_scenario(
    name: &str,
    fleet: &Fleet<'_>,
    includes: &[String],
    namespaces: &std::collections::BTreeSet<String>,
    classes: &BTreeMap<String, (i64, Option<String>)>,
    workload: &str,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Imported by `fleetsim import` from a snapshot of {} member cluster(s).\n\
         # Node pools group identical nodes; the workload's new arrivals are drawn from the\n\
         # snapshot's jobs, under the assumptions stated there: check them.",
        fleet.members.len()
    );
    let (members, control) = (fleet.members, fleet.control);
    let _ = writeln!(out, "name: {}", quoted(name));
    let mut models: Vec<&str> = members
        .values()
        .flat_map(|pools| pools.keys().filter_map(|k| k.gpu_model.as_deref()))
        .collect();
    models.sort_unstable();
    models.dedup();
    if !models.is_empty() {
        out.push_str("gpu_models:\n");
        for model in &models {
            let _ = writeln!(out, "  - {{name: {}}}", quoted(model));
        }
    }
    out.push_str("clusters:\n");
    for (member, pools) in members {
        let _ = writeln!(out, "  - name: {}", quoted(member));
        if let Some(cluster) = control.get(member) {
            let spec = &cluster.spec;
            if let Some(region) = &spec.region {
                let _ = writeln!(out, "    region: {}", quoted(region));
            }
            let mut zones = spec.zones.clone();
            if zones.is_empty() {
                zones.extend(spec.zone.clone());
            }
            if !zones.is_empty() {
                let list: Vec<String> = zones.iter().map(|z| quoted(z)).collect();
                let _ = writeln!(out, "    zones: [{}]", list.join(", "));
            }
            if let Some(provider) = &spec.provider {
                let _ = writeln!(out, "    provider: {}", quoted(provider));
            }
            write_labels(&mut out, "    ", &cluster.metadata.labels);
            let taints: Vec<(String, String, String)> = spec
                .taints
                .iter()
                .map(|t| (t.key.clone(), t.value.clone(), t.effect.clone()))
                .collect();
            write_taints(&mut out, "    ", &taints);
            if !spec.resource_models.is_empty() {
                out.push_str("    resource_models:\n");
                for grade in &spec.resource_models {
                    let _ = writeln!(out, "      - {grade}");
                }
            }
        }
        out.push_str("    node_pools:\n");
        for (idx, (key, names)) in pools.iter().enumerate() {
            let _ = writeln!(out, "      - name: pool-{idx}");
            let _ = writeln!(out, "        count: {}", names.len());
            let _ = writeln!(out, "        # nodes, by index: {}", names.join(", "));
            let _ = writeln!(out, "        cpu: {}", quoted(&key.cpu));
            let _ = writeln!(out, "        memory: {}", quoted(&key.memory));
            let _ = writeln!(out, "        max_pods: {}", key.pods);
            if let Some(model) = &key.gpu_model {
                let _ = writeln!(out, "        gpus: {}", key.gpus);
                let _ = writeln!(out, "        gpu_model: {}", quoted(model));
            }
            write_labels(&mut out, "        ", &key.labels);
            write_taints(&mut out, "        ", &key.taints);
        }
        let quotas = fleet
            .quotas
            .get(member)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if !quotas.is_empty() {
            out.push_str("    resource_quotas:\n");
            for quota in quotas {
                let hard: Vec<String> = quota
                    .hard
                    .iter()
                    .map(|(k, v)| format!("{}: {}", quoted(k), quoted(v)))
                    .collect();
                let scope = if quota.priority_classes.is_empty() {
                    String::new()
                } else {
                    let list: Vec<String> =
                        quota.priority_classes.iter().map(|c| quoted(c)).collect();
                    format!(", priority_classes: [{}]", list.join(", "))
                };
                let _ = writeln!(
                    out,
                    "      - {{namespace: {}, hard: {{{}}}{scope}}}",
                    quoted(&quota.namespace),
                    hard.join(", ")
                );
            }
        }
    }
    let gpu_models = control.values().any(|c| {
        c.spec
            .resource_models
            .iter()
            .any(|g| g.to_string().contains("\"nvidia.com/gpu\""))
    });
    if gpu_models {
        out.push_str(
            "# The Clusters' resource models grade GPUs, so the general estimator reads them\n\
             # (CustomizedClusterResourceModeling, on by default), as Karmada does; the accurate\n\
             # estimator (karmada-scheduler-estimator) counts node by node.\n\
             scheduler: {estimators: [general, accurate]}\n",
        );
    } else {
        out.push_str(
            "# Karmada's default resource models describe no GPUs: the general estimator divides each\n\
             # cluster's resource summary instead, and the accurate estimator\n\
             # (karmada-scheduler-estimator) counts node by node, as GPU fleets on Karmada run them.\n\
             scheduler: {estimators: [general, accurate], feature_gates: {CustomizedClusterResourceModeling: false}}\n",
        );
    }
    if !includes.is_empty() {
        out.push_str("policies:\n");
        for file in includes {
            let _ = writeln!(out, "  - include: {}", quoted(file));
        }
    }
    if !classes.is_empty() {
        out.push_str("priority_classes:\n");
        for (class, (value, preemption)) in classes {
            let policy = preemption
                .as_deref()
                .map(|p| format!(", preemption_policy: {}", quoted(p)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  - {{name: {}, value: {value}{policy}}}",
                quoted(class)
            );
        }
    }
    // Every namespace is declared.
    let each = |entry: &str| -> String {
        namespaces
            .iter()
            .map(|n| format!("{{name: {}{entry}}}", quoted(n)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(out, "namespaces: [{}]", each(""));
    out.push_str(workload);
    out
}

pub(super) fn write_labels(out: &mut String, indent: &str, labels: &BTreeMap<String, String>) {
    if labels.is_empty() {
        return;
    }
    let _ = writeln!(out, "{indent}labels:");
    for (k, v) in labels {
        let _ = writeln!(out, "{indent}  {}: {}", quoted(k), quoted(v));
    }
}

pub(super) fn write_taints(out: &mut String, indent: &str, taints: &[(String, String, String)]) {
    if taints.is_empty() {
        return;
    }
    let _ = writeln!(out, "{indent}taints:");
    for (key, value, effect) in taints {
        let _ = writeln!(
            out,
            "{indent}  - {{key: {}, value: {}, effect: {}}}",
            quoted(key),
            quoted(value),
            quoted(effect)
        );
    }
}
