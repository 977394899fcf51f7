//! The sections a snapshot's jobs become: the `initial_state` (where each job stands at time
//! 0) and the `workload` (new arrivals drawn from the jobs as templates).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::jobs::{ImportedJob, REMAINING_ANNOTATION, Request};
use super::quoted;

/// The `initial_state` section for `jobs`; `pools` gives each running pod's node as (pool
/// index, index in the pool) by (member, node name).
pub(super) fn write_initial_state(
    out: &mut String,
    jobs: &[ImportedJob],
    nodes: &BTreeMap<(String, String), (usize, u32)>,
    remaining: &str,
) {
    if jobs.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "# The snapshot's work: running pods hold their nodes from time 0; pods sent to a member\n\
         # and not yet bound wait there; workloads Karmada has not scheduled are scheduled at time 0.\n\
         # Run time left: the pod annotation {REMAINING_ANNOTATION} where present, else drawn from\n\
         # remaining_runtime below, an assumption to replace with your fleet's own."
    );
    out.push_str("initial_state:\n");
    let _ = writeln!(out, "  remaining_runtime: {remaining}");
    out.push_str("  jobs:\n");
    let mut names: BTreeSet<(String, String)> = BTreeSet::new();
    for job in jobs {
        // Names are unique per namespace, as the objects' are; a pending workload and the
        // pods of one with the same name in another member are kept apart.
        let mut name = job.name.clone();
        let mut n = 1;
        while !names.insert((job.namespace.clone(), name.clone())) {
            n += 1;
            name = format!("{}-{n}", job.name);
        }
        let _ = writeln!(out, "    - name: {}", quoted(&name));
        let _ = writeln!(out, "      namespace: {}", quoted(&job.namespace));
        if let Some(pc) = &job.priority_class {
            let _ = writeln!(out, "      priority_class: {}", quoted(pc));
        }
        let _ = writeln!(out, "      api_version: {}", quoted(&job.api_version));
        let _ = writeln!(out, "      kind: {}", quoted(&job.kind));
        write_flow_map(out, "      labels", &job.labels);
        write_flow_map(out, "      node_selector", &job.node_selector);
        if !job.tolerations.is_empty() {
            out.push_str("      tolerations:\n");
            for [key, operator, value, effect] in &job.tolerations {
                let mut fields = vec![format!("operator: {}", quoted(operator))];
                if !key.is_empty() {
                    fields.push(format!("key: {}", quoted(key)));
                }
                if !value.is_empty() {
                    fields.push(format!("value: {}", quoted(value)));
                }
                if !effect.is_empty() {
                    fields.push(format!("effect: {}", quoted(effect)));
                }
                let _ = writeln!(out, "        - {{{}}}", fields.join(", "));
            }
        }
        let _ = writeln!(out, "      gang: {}", job.gang);
        if let Some(remaining) = &job.remaining {
            let _ = writeln!(out, "      runtime: {}", quoted(remaining));
        }
        if let Some(cluster) = &job.cluster {
            let _ = writeln!(out, "      cluster: {}", quoted(cluster));
        }
        let request_fields = |r: &Request| {
            let mut f = vec![
                format!("cpu: {}", quoted(&format!("{}m", r.cpu_milli))),
                format!("memory: {}", quoted(&r.memory.to_string())),
            ];
            if r.gpus > 0 {
                f.push(format!("gpus: {}", r.gpus));
            }
            f.join(", ")
        };
        let single = job.components.len() == 1;
        if single {
            let (_, request, replicas, _) = &job.components[0];
            let _ = writeln!(out, "      replicas: {replicas}");
            let _ = writeln!(
                out,
                "      {}",
                request_fields(request).replace(", ", "\n      ")
            );
        } else {
            out.push_str("      components:\n");
            for (role, request, replicas, _) in &job.components {
                let _ = writeln!(
                    out,
                    "        - {{name: {}, replicas: {replicas}, {}}}",
                    quoted(role),
                    request_fields(request)
                );
            }
        }
        let mut running: BTreeMap<(String, usize, u32), u32> = BTreeMap::new();
        for (role, _, _, on) in &job.components {
            for node in on {
                let cluster = job.cluster.clone().unwrap_or_default();
                let (pool, idx) = nodes[&(cluster, node.clone())];
                *running.entry((role.clone(), pool, idx)).or_default() += 1;
            }
        }
        if !running.is_empty() {
            out.push_str("      running:\n");
            for ((role, pool, idx), n) in running {
                let component = if single {
                    String::new()
                } else {
                    format!(", component: {}", quoted(&role))
                };
                let _ = writeln!(
                    out,
                    "        - {{pool: pool-{pool}, node: {idx}, replicas: {n}{component}}}"
                );
            }
        }
    }
}

/// Label keys that name one object (a job's own name or uid), left out of templates.
pub(super) fn instance_label(key: &str) -> bool {
    key.ends_with("job-name") || key.ends_with("controller-uid") || key.ends_with("job-uid")
}

/// The workload section: new arrivals drawn from the snapshot's jobs as templates, weighted by
/// how many jobs share each shape (namespace, priority class, object kind and its placement
/// labels, components and their requests, node claim). The arrival rate is the number of jobs
/// that started in the 24 h before the latest start seen (pods' `status.startTime`), else a
/// stated 10/h; run times follow the same assumption as the initial state's.
pub(super) fn workload_section(jobs: &[ImportedJob]) -> String {
    let mut shapes: BTreeMap<String, (u32, serde_json::Value)> = BTreeMap::new();
    for job in jobs {
        let mut shape = job.clone();
        shape.cluster = None;
        shape.remaining = None;
        shape.labels.retain(|k, _| !instance_label(k));
        for component in &mut shape.components {
            component.3.clear();
        }
        let name = format!("{}-{}", shape.namespace, shape.kind.to_lowercase());
        let mut entry = shape.entry(&name, "");
        let map = entry.as_object_mut().expect("an object");
        map.remove("runtime");
        // Shapes compare without their names; equal names get a number.
        let key = {
            let mut keyed = map.clone();
            keyed.remove("name");
            serde_json::Value::Object(keyed).to_string()
        };
        shapes.entry(key).or_insert((0, entry)).0 += 1;
    }
    let mut templates: Vec<(u32, serde_json::Value)> = shapes.into_values().collect();
    // Most frequent first; ties in shape order.
    templates.sort_by_key(|t| std::cmp::Reverse(t.0));
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    for (_, entry) in &mut templates {
        let name = entry["name"].as_str().unwrap_or("job").to_owned();
        let n = seen.entry(name.clone()).or_default();
        *n += 1;
        if *n > 1 {
            entry["name"] = format!("{name}-{n}").into();
        }
    }
    let latest = jobs.iter().filter_map(|j| j.started).max();
    let recent = latest.map_or(0, |now| {
        jobs.iter()
            .filter_map(|j| j.started)
            .filter(|t| *t > now - 86_400)
            .count()
    });
    let (rate, rate_note) = if recent >= 2 {
        (
            format!("{recent}/d"),
            format!("{recent} jobs started in the 24 h before the latest pod start"),
        )
    } else {
        (
            "10/h".to_owned(),
            "too few pod start times to estimate a rate: a placeholder".to_owned(),
        )
    };
    let mut out = String::new();
    if templates.is_empty() {
        out.push_str(
            "# The snapshot holds no jobs to draw new arrivals from: a placeholder to replace.\n\
             workload:\n  synthetic:\n    jobs: 100\n    arrivals: {rate: 10/h}\n    \
             runtime: {lognormal: {median: 1h, sigma: 0.5}}\n    gpus: [{gpus: 1, weight: 1}]\n    \
             namespaces: [{name: \"default\", weight: 1}]\n",
        );
        return out;
    }
    let _ = writeln!(
        out,
        "# New arrivals after time 0, drawn from the snapshot's {} job(s) as templates, weighted\n\
         # by how many share each shape. Rate: {rate_note}. Run times: the same assumption as\n\
         # initial_state.remaining_runtime.",
        jobs.len()
    );
    out.push_str("workload:\n  synthetic:\n    jobs: 100\n");
    let _ = writeln!(out, "    arrivals: {{rate: {rate}}}");
    out.push_str("    runtime: {lognormal: {median: 4h, sigma: 1.0}, min: 5m, max: 7d}\n");
    out.push_str("    templates:\n");
    for (weight, entry) in &templates {
        let _ = writeln!(out, "      - {{weight: {weight}, job: {entry}}}");
    }
    out
}

/// `{indent}{key}: {k: v, ...}` on one line; nothing for an empty map.
fn write_flow_map(out: &mut String, key: &str, map: &BTreeMap<String, String>) {
    if map.is_empty() {
        return;
    }
    let entries: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("{}: {}", quoted(k), quoted(v)))
        .collect();
    let _ = writeln!(out, "{key}: {{{}}}", entries.join(", "));
}
