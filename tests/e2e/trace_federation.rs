//! Real traces as a federation (examples/scenarios/openb-by-model.yaml): the openb GPU node list
//! split into one cluster per GPU family, replaying the gpuspec33 pod list. What must hold
//! follows from the trace itself, not from fleetsim's output: a pod that asks for particular
//! GPU models runs only where they are, and the one pod no node can hold (8 G2 GPUs with 120
//! CPU cores, on G2 nodes of 96) is the one unschedulable job.
//!
//! These claims are about where pods may run, not about load: the tests replay the pod list as
//! recorded, over its 149 days (the example compresses it to load the fleet, and stops after an
//! hour, with pods still running), so every pod that can run completes.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios/openb-by-model.yaml")
}

fn traces() -> Option<PathBuf> {
    common::shared_or_skip("traces")
}

/// The example as recorded (no `time_compression`, no horizon) with `estimators`, written
/// into `dir` with the traces' paths made absolute.
fn as_recorded(dir: &Path, traces: &Path, estimators: &str) -> PathBuf {
    let text = std::fs::read_to_string(example()).unwrap();
    let shared = traces.parent().unwrap().to_str().unwrap().to_owned();
    for line in ["horizon: 1h\n", "    time_compression: 100000\n"] {
        assert!(text.contains(line), "the example no longer has {line:?}");
    }
    let text = text
        .replace("../../../shared", &shared)
        .replace("horizon: 1h\n", "")
        .replace("    time_compression: 100000\n", "")
        .replace(
            "estimators: [general, accurate]",
            &format!("estimators: {estimators}"),
        );
    let scenario = dir.join("as-recorded.yaml");
    std::fs::write(&scenario, text).unwrap();
    scenario
}

/// The cluster each family of the node list went to, as the example's split says.
fn cluster_of(model: &str) -> &'static str {
    match model {
        "G2" => "dc-g2",
        "T4" => "dc-t4",
        _ => "dc-mixed",
    }
}

/// A GPU pod of the list: what it asks for.
struct Pod {
    cpu_milli: u64,
    memory_mib: u64,
    gpus: u32,
    /// Allowed GPU models (`gpu_spec`); empty: any.
    models: Vec<String>,
}

/// The GPU pods of the list, by name.
fn pods(traces: &Path) -> BTreeMap<String, Pod> {
    let file = traces.join("alibaba-gpu-v2023/openb_pod_list_gpuspec33.csv");
    let mut reader = csv::Reader::from_path(file).unwrap();
    reader
        .records()
        .map(|r| r.unwrap())
        .filter(|r| r[3].parse::<u32>().unwrap() > 0)
        .map(|r| {
            let pod = Pod {
                cpu_milli: r[1].parse().unwrap(),
                memory_mib: r[2].parse().unwrap(),
                gpus: r[3].parse().unwrap(),
                models: r[5]
                    .split('|')
                    .filter(|m| !m.is_empty())
                    .map(str::to_owned)
                    .collect(),
            };
            (r[0].to_owned(), pod)
        })
        .collect()
}

/// (model, cpu_milli, memory_mib, gpus) of every node of the GPU node list.
fn nodes(traces: &Path) -> Vec<(String, u64, u64, u32)> {
    let file = traces.join("alibaba-gpu-v2023/openb_node_list_gpu_node.csv");
    let mut reader = csv::Reader::from_path(file).unwrap();
    reader
        .records()
        .map(|r| r.unwrap())
        .map(|r| {
            let model = r[4].to_owned();
            (
                model,
                r[1].parse().unwrap(),
                r[2].parse().unwrap(),
                r[3].parse().unwrap(),
            )
        })
        .collect()
}

/// Whether some node of `cluster` could hold the pod alone: an allowed model, enough GPUs,
/// CPU and memory.
fn fits_somewhere(nodes: &[(String, u64, u64, u32)], cluster: &str, pod: &Pod) -> bool {
    nodes.iter().any(|(model, cpu, memory, gpus)| {
        cluster_of(model) == cluster
            && (pod.models.is_empty() || pod.models.contains(model))
            && *gpus >= pod.gpus
            && *cpu >= pod.cpu_milli
            && *memory >= pod.memory_mib
    })
}

/// (name, state, clusters) of every job in `jobs.csv`.
fn jobs(out: &Path) -> Vec<(String, String, String)> {
    let mut reader = csv::Reader::from_path(out.join("jobs.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (name, state, clusters) = (col("name"), col("state"), col("clusters"));
    reader
        .records()
        .map(|r| r.unwrap())
        .map(|r| (r[name].into(), r[state].into(), r[clusters].into()))
        .collect()
}

#[test]
fn with_the_accurate_estimator_pods_run_only_where_they_fit() {
    if common::skip_slow() {
        return;
    }
    let Some(traces) = traces() else { return };
    let (pods, nodes) = (pods(&traces), nodes(&traces));
    let tmp = tempfile::tempdir().unwrap();
    let scenario = as_recorded(tmp.path(), &traces, "[general, accurate]");
    let (_run, out) = common::run_quiet(&scenario);
    let jobs = jobs(&out);
    assert_eq!(jobs.len(), 8152, "every pod of the list is a job");
    let unschedulable: Vec<&str> = jobs
        .iter()
        .filter(|j| j.1 == "unschedulable")
        .map(|j| j.0.as_str())
        .collect();
    assert_eq!(unschedulable, ["openb-pod-1639"]);
    for (name, state, clusters) in &jobs {
        if name == "openb-pod-1639" {
            continue;
        }
        assert_eq!(state, "completed", "{name}");
        if let Some(pod) = pods.get(name) {
            let cluster = clusters.split(':').next().unwrap();
            assert!(
                fits_somewhere(&nodes, cluster, pod),
                "{name} ({:?}) ran on {cluster}",
                pod.models
            );
        }
    }
    let constrained = pods.values().filter(|p| !p.models.is_empty()).count();
    assert!(constrained > 2000, "a third of the GPU pods ask for models");
}

#[test]
fn with_the_general_estimator_alone_pods_wait_where_they_cannot_fit() {
    if common::skip_slow() {
        return;
    }
    let Some(traces) = traces() else { return };
    let (pods, nodes) = (pods(&traces), nodes(&traces));
    let tmp = tempfile::tempdir().unwrap();
    let scenario = as_recorded(tmp.path(), &traces, "[general]");
    let (_run, out) = common::run_quiet(&scenario);
    let (mut wrong_model, mut too_small) = (0, 0);
    for (name, state, clusters) in jobs(&out) {
        let cluster = clusters.split(':').next().unwrap().to_owned();
        let Some(pod) = pods.get(&name) else {
            assert_eq!(state, "completed", "{name} asks for no GPU");
            continue;
        };
        match state.as_str() {
            "completed" => assert!(fits_somewhere(&nodes, &cluster, pod), "{name}"),
            // The summary promised room, but no node of the cluster can hold the pod: it has
            // none of the pod's models, or its nodes are too small. The pod waits to the end.
            "queued" => {
                assert!(
                    !fits_somewhere(&nodes, &cluster, pod),
                    "{name} waits on {cluster}"
                );
                let any_model = Pod {
                    models: Vec::new(),
                    ..*pod
                };
                if fits_somewhere(&nodes, &cluster, &any_model) {
                    wrong_model += 1;
                } else {
                    too_small += 1;
                }
            }
            other => panic!("{name}: {other}"),
        }
    }
    assert!(
        wrong_model > 0,
        "the general estimator cannot see GPU models"
    );
    assert!(too_small > 0, "nor node sizes");
}
