//! Traces in scenario files: fleets built from hand-made node lists by each split rule, and
//! workloads replayed from hand-made traces of each format, with every expected cluster, pool
//! and job worked out by hand.

use crate::common;

use std::path::{Path, PathBuf};

use scenarios::{Scenario, Workload};
use sim_core::model::{GpuModelSet, Job, NamespaceId, PriorityClassId};
use sim_core::{Duration, SimTime};

/// Ten openb nodes: four A100 ×8, two H800 ×8, two T4 ×2, two CPU-only.
const NODES: &str = "sn,cpu_milli,memory_mib,gpu,model
n0,96000,393216,8,A100
n1,96000,393216,8,A100
n2,96000,393216,8,H800
n3,32000,262144,0,
n4,96000,393216,8,A100
n5,64000,262144,2,T4
n6,96000,393216,8,H800
n7,32000,262144,0,
n8,96000,393216,8,A100
n9,64000,262144,2,T4
";

/// A workload of one job, for scenarios that test the fleet.
const ONE_JOB: &str = "
namespaces: [{name: team}]
workload:
  jobs: [{name: j, submit: 0s, namespace: team, runtime: 1h}]
";

const A100: &str = "A100x8-96cpu-384Gi";
const H800: &str = "H800x8-96cpu-384Gi";
const T4: &str = "T4x2-64cpu-256Gi";
const CPU: &str = "cpu-32cpu-256Gi";

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        Files {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn load(&self, yaml: &str) -> Scenario {
        let path = self.write("scenario.yaml", yaml);
        scenarios::load(&path).unwrap_or_else(|err| panic!("{err}"))
    }

    fn error(&self, yaml: &str) -> scenarios::Error {
        let path = self.write("scenario.yaml", yaml);
        scenarios::load(&path).expect_err("an error")
    }
}

/// Each cluster's name and its pools as (name, count), in fleet order.
fn pools(scenario: &Scenario) -> Vec<(String, Vec<(String, u32)>)> {
    scenario
        .world
        .fleet
        .clusters
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                c.node_pools
                    .iter()
                    .map(|p| (p.name.clone(), p.count))
                    .collect(),
            )
        })
        .collect()
}

fn expected(clusters: &[(&str, &[(&str, u32)])]) -> Vec<(String, Vec<(String, u32)>)> {
    clusters
        .iter()
        .map(|(name, pools)| {
            (
                (*name).to_owned(),
                pools.iter().map(|(p, n)| ((*p).to_owned(), *n)).collect(),
            )
        })
        .collect()
}

fn fleet_scenario(split: &str) -> String {
    format!(
        "name: t
gpu_models: [{{name: A100, speed: 2.0}}]
fleet_from_trace:
  format: openb-nodes
  file: nodes.csv
  split: {split}
{ONE_JOB}"
    )
}

#[test]
fn split_by_model_with_a_default() {
    let files = Files::new();
    files.write("nodes.csv", NODES);
    let scenario = files.load(&format!(
        "name: t
gpu_models: [{{name: A100, speed: 2.0}}]
fleet_from_trace:
  format: openb-nodes
  file: nodes.csv
  split:
    by_model: {{A100: dc-01, H800: dc-02, default: dc-03}}
  clusters:
    dc-01: {{region: us-east, zone: us-east-1a, labels: {{tier: prod}}}}
    dc-03: {{provider: cloud}}
{ONE_JOB}"
    ));
    // Identical nodes share one pool; pools keep the order their first node has in the file.
    assert_eq!(
        pools(&scenario),
        expected(&[
            ("dc-01", &[(A100, 4)]),
            ("dc-02", &[(H800, 2)]),
            ("dc-03", &[(CPU, 2), (T4, 2)]),
        ])
    );
    let fleet = &scenario.world.fleet;
    assert_eq!(fleet.clusters[0].region.as_deref(), Some("us-east"));
    assert_eq!(fleet.clusters[0].zones, vec!["us-east-1a".to_owned()]);
    assert_eq!(fleet.clusters[0].labels["tier"], "prod");
    assert_eq!(fleet.clusters[2].provider.as_deref(), Some("cloud"));
    assert_eq!(fleet.clusters[1].region, None);
    // 4 × 8 + 2 × 8 + 2 × 2.
    assert_eq!(fleet.total_gpus(), 52);
    // A100 keeps its declared speed; H800 and T4 are added in order of first appearance.
    let models: Vec<(&str, u32)> = fleet
        .gpu_models
        .iter()
        .map(|m| (m.name.as_str(), m.speed_milli))
        .collect();
    assert_eq!(models, [("A100", 2000), ("H800", 1000), ("T4", 1000)]);
    let a100 = &fleet.clusters[0].node_pools[0].shape;
    assert_eq!(
        (a100.cpu_milli, a100.memory, a100.gpus, a100.max_pods),
        (96_000, 384 << 30, 8, 110)
    );
    assert_eq!(a100.gpu_model, fleet.gpu_model_id("A100"));
    let cpu = &fleet.clusters[2].node_pools[0].shape;
    assert_eq!((cpu.gpus, cpu.gpu_model), (0, None));
    assert!(scenario.warnings.is_empty(), "{:?}", scenario.warnings);
}

#[test]
fn split_by_model_with_cpu_only_and_unmatched_keys() {
    let files = Files::new();
    files.write("nodes.csv", NODES);
    let scenario = files.load(&fleet_scenario(
        "{by_model: {A100: gpu, H800: gpu, T4: gpu, cpu-only: cpu, B200: gpu}}",
    ));
    assert_eq!(
        pools(&scenario),
        expected(&[
            ("cpu", &[(CPU, 2)]),
            ("gpu", &[(A100, 4), (H800, 2), (T4, 2)])
        ])
    );
    assert_eq!(
        scenario.warnings,
        ["fleet_from_trace.split.by_model: no node matches \"B200\""]
    );
}

#[test]
fn split_by_model_without_default_names_the_unlisted_model() {
    let files = Files::new();
    files.write("nodes.csv", NODES);
    let err = files.error(&fleet_scenario("{by_model: {A100: a, H800: b, T4: c}}"));
    let p = err.position().unwrap();
    assert_eq!(
        (p.line, p.path.as_str()),
        (6, "fleet_from_trace.split.by_model")
    );
    assert!(
        err.to_string().contains(
            "node \"n3\" has no GPUs, which by_model does not list: add \"cpu-only\" or \"default\""
        ),
        "{err}"
    );
}

#[test]
fn split_by_hash() {
    let files = Files::new();
    files.write("nodes.csv", NODES);
    let scenario = files.load(&fleet_scenario("{by_hash: {clusters: [a, b, c]}}"));
    // FNV-1a (64-bit) of n0..n9 modulo 3 is 1, 0, 0, 2, 2, 1, 1, 0, 0, 2 (computed with an
    // independent implementation): a = n1 n2 n7 n8, b = n0 n5 n6, c = n3 n4 n9.
    assert_eq!(
        pools(&scenario),
        expected(&[
            ("a", &[(A100, 2), (H800, 1), (CPU, 1)]),
            ("b", &[(A100, 1), (T4, 1), (H800, 1)]),
            ("c", &[(CPU, 1), (A100, 1), (T4, 1)]),
        ])
    );
}

#[test]
fn split_by_share_rounds_by_largest_remainder() {
    let files = Files::new();
    files.write("nodes.csv", NODES);
    let scenario = files.load(&fleet_scenario(
        "{by_share: {dc-01: 45, dc-02: 35, dc-03: 20}}",
    ));
    // 4.5, 3.5 and 2 nodes: floors 4, 3, 2; the tenth node goes to the larger remainder, a tie
    // of 0.5 that the first cluster wins. Runs of the file: n0–n4, n5–n7, n8–n9.
    assert_eq!(
        pools(&scenario),
        expected(&[
            ("dc-01", &[(A100, 3), (H800, 1), (CPU, 1)]),
            ("dc-02", &[(T4, 1), (H800, 1), (CPU, 1)]),
            ("dc-03", &[(A100, 1), (T4, 1)]),
        ])
    );
}

#[test]
fn split_by_share_must_add_up_to_100() {
    let files = Files::new();
    files.write("nodes.csv", NODES);
    let err = files.error(&fleet_scenario("{by_share: {dc-01: 45, dc-02: 35}}"));
    let p = err.position().unwrap();
    assert_eq!(
        (p.line, p.path.as_str()),
        (6, "fleet_from_trace.split.by_share")
    );
    assert!(
        err.to_string()
            .ends_with("the shares add up to 80%, not 100%"),
        "{err}"
    );
}

#[test]
fn split_all_into_one_cluster() {
    let files = Files::new();
    files.write("nodes.csv", NODES);
    let scenario = files.load(&fleet_scenario("{all: solo}"));
    assert_eq!(
        pools(&scenario),
        expected(&[("solo", &[(A100, 4), (H800, 2), (CPU, 2), (T4, 2)])])
    );
}

const MACHINES: &str = "machineId, number of GPUs, single GPU mem
m0,2, 12GB
m1,2, 12GB
m2,8, 24GB
m3,8, 24GB
m4,8, 24GB
m5,2, 12GB
m6,8, 24GB
";

const VCS: &str = "vc,node num\nvcA,3\nvcB,2\n";

fn philly_fleet(rest: &str) -> String {
    format!(
        "name: t
fleet_from_trace:
  format: philly-machines
  file: cluster_machine_list
  node_cpu: \"32\"
  node_memory: 256Gi
  max_pods: 64
  split:
    by_philly_vc: {{file: philly_vc.csv{rest}}}
{ONE_JOB}"
    )
}

const P12: &str = "philly-12GBx2-32cpu-256Gi";
const P24: &str = "philly-24GBx8-32cpu-256Gi";

#[test]
fn split_by_philly_vc_with_a_rest_cluster() {
    let files = Files::new();
    files.write("cluster_machine_list", MACHINES);
    files.write("philly_vc.csv", VCS);
    let scenario = files.load(&philly_fleet(", rest: other"));
    // vcA takes m0–m2, vcB m3–m4, the rest m5–m6; clusters are ordered by name.
    assert_eq!(
        pools(&scenario),
        expected(&[
            ("other", &[(P12, 1), (P24, 1)]),
            ("vcA", &[(P12, 2), (P24, 1)]),
            ("vcB", &[(P24, 2)]),
        ])
    );
    let fleet = &scenario.world.fleet;
    let shape = &fleet.clusters[1].node_pools[0].shape;
    assert_eq!(
        (shape.cpu_milli, shape.memory, shape.max_pods),
        (32_000, 256 << 30, 64)
    );
    // Philly names no model: the GPU memory does, and becomes the model's memory.
    let models: Vec<(&str, u64)> = fleet
        .gpu_models
        .iter()
        .map(|m| (m.name.as_str(), m.memory))
        .collect();
    assert_eq!(
        models,
        [("philly-12GB", 12 << 30), ("philly-24GB", 24 << 30)]
    );
    assert!(scenario.warnings.is_empty(), "{:?}", scenario.warnings);
}

#[test]
fn split_by_philly_vc_leaves_out_machines_of_no_vc() {
    let files = Files::new();
    files.write("cluster_machine_list", MACHINES);
    files.write("philly_vc.csv", VCS);
    let scenario = files.load(&philly_fleet(""));
    assert_eq!(
        pools(&scenario),
        expected(&[("vcA", &[(P12, 2), (P24, 1)]), ("vcB", &[(P24, 2)])])
    );
    assert_eq!(scenario.warnings.len(), 1);
    assert!(
        scenario.warnings[0].starts_with("fleet_from_trace: 2 of 7 nodes belong to no VC of "),
        "{:?}",
        scenario.warnings
    );
}

#[test]
fn fleet_errors_point_at_the_setting() {
    let files = Files::new();
    files.write("cluster_machine_list", MACHINES);
    files.write("philly_vc.csv", VCS);
    files.write("nodes.csv", NODES);
    // Philly gives no CPU per node.
    let err = files.error(&philly_fleet("").replace("  node_cpu: \"32\"\n", ""));
    assert_eq!(err.position().unwrap().path, "fleet_from_trace.node_cpu");
    assert!(
        err.to_string()
            .contains("philly-machines gives no CPU per node: set fleet_from_trace.node_cpu"),
        "{err}"
    );
    // openb gives memory; node_memory would be ignored.
    let err = files.error(&fleet_scenario("{all: solo}\n  node_memory: 1Ti"));
    let p = err.position().unwrap();
    assert_eq!(
        (p.line, p.path.as_str()),
        (7, "fleet_from_trace.node_memory")
    );
    // Attributes for a cluster the rule does not name.
    let err = files.error(&fleet_scenario(
        "{all: solo}\n  clusters: {slo: {region: x}}",
    ));
    assert_eq!(
        err.position().unwrap().path,
        "fleet_from_trace.clusters.slo"
    );
    // A format typo.
    let err = files.error(&fleet_scenario("{all: solo}").replace("openb-nodes", "openb"));
    let p = err.position().unwrap();
    assert_eq!((p.line, p.path.as_str()), (4, "fleet_from_trace.format"));
    assert!(
        err.to_string()
            .contains("unknown node-list format \"openb\""),
        "{err}"
    );
    // Two rules.
    let err = files.error(&fleet_scenario("{all: solo, by_hash: {clusters: [a]}}"));
    assert_eq!(err.position().unwrap().path, "fleet_from_trace.split");
    // A malformed node list: the error is the loader's, in the node list.
    let bad = files.write(
        "nodes.csv",
        "sn,cpu_milli,memory_mib,gpu,model\nn0,96,1,x,A100\n",
    );
    let err = files.error(&fleet_scenario("{all: solo}"));
    let p = err.position().unwrap();
    assert_eq!((&p.file, p.line, p.column), (&bad, 2, 9));
}

#[test]
fn generated_and_declared_clusters_side_by_side() {
    let files = Files::new();
    files.write("nodes.csv", NODES);
    let yaml = fleet_scenario("{all: solo}").replace(
        "fleet_from_trace:",
        "clusters:
  - name: hand
    node_pools: [{name: p, count: 2, cpu: \"8\", memory: 64Gi}]
fleet_from_trace:",
    );
    let scenario = files.load(&yaml);
    let names: Vec<&str> = scenario
        .world
        .fleet
        .clusters
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["hand", "solo"]);
    // The same name twice is refused, as for declared clusters.
    let err = files.error(&yaml.replace("{all: solo}", "{all: hand}"));
    assert!(
        err.to_string().contains("duplicate cluster name \"hand\""),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Workloads

fn jobs(scenario: &Scenario) -> &[Job] {
    match &scenario.workload {
        Workload::Jobs(jobs) => jobs,
        Workload::Synthetic(_) => panic!("trace workloads are job lists"),
    }
}

fn namespace_names<'a>(scenario: &'a Scenario, jobs: &[Job]) -> Vec<&'a str> {
    jobs.iter()
        .map(|j| {
            scenario.world.namespaces[j.namespace.0 as usize]
                .name
                .as_str()
        })
        .collect()
}

/// A fleet that fits every hand-made workload.
const FLEET: &str = "
gpu_models: [{name: T4}]
clusters:
  - name: dc
    node_pools: [{name: p, count: 4, cpu: \"96\", memory: 1Ti, gpus: 8, gpu_model: T4}]
";

const PODS: &str = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time
openb-pod-0000,12000,16384,1,1000,,LS,Running,0,12537496,0
openb-pod-0001,6000,12288,1,460,V100M16|V100M32|V100M32,BE,Running,427061,12902960,427061
openb-pod-0002,4000,4096,0,0,,Burstable,Failed,500000,500100,
openb-pod-0003,8000,8192,8,1000,T4,Guaranteed,Pending,600000,,
openb-pod-0004,64000,65536,2,1000,,LS,Succeeded,700000,700600,700060
";

#[test]
fn openb_pods_become_one_replica_jobs() {
    let files = Files::new();
    files.write("pods.csv", PODS);
    let scenario = files.load(&format!(
        "name: t
{FLEET}
namespaces: [{{name: online}}, {{name: batch}}, {{name: other}}]
priority_classes: [{{name: high, value: 100}}, {{name: low, value: 0}}]
# The general estimator on the resource summary, as these warnings were worked out.
scheduler: {{feature_gates: {{CustomizedClusterResourceModeling: false}}}}
workload:
  trace:
    format: openb
    file: pods.csv
    namespace: {{from: qos, map: {{LS: online, BE: batch}}, default: other}}
    priority_class: {{from: qos, map: {{LS: high}}, default: low}}
"
    ));
    let jobs = jobs(&scenario);
    // Pod 3 has no deletion time: left out, and said so.
    assert_eq!(
        jobs.iter().map(|j| j.name.as_str()).collect::<Vec<_>>(),
        [
            "openb-pod-0000",
            "openb-pod-0001",
            "openb-pod-0002",
            "openb-pod-0004"
        ]
    );
    // Pod 1 asks for V100s, which the fleet lacks; the classes the QoS column maps to order
    // nothing in Karmada's queue without a schedulePriority.
    assert_eq!(scenario.warnings.len(), 3, "{:?}", scenario.warnings);
    assert!(
        scenario.warnings[0].starts_with("workload.trace: 1 of 5 pods of "),
        "{:?}",
        scenario.warnings
    );
    assert!(scenario.warnings[1].starts_with("priority_classes: no propagation policy"));
    assert_eq!(
        scenario.warnings[2],
        "workload: 1 jobs ask for GPU models no cluster has; they never run"
    );
    assert_eq!(
        namespace_names(&scenario, jobs),
        ["online", "batch", "other", "online"]
    );
    let classes: Vec<Option<PriorityClassId>> = jobs.iter().map(|j| j.priority_class).collect();
    let (high, low) = (Some(PriorityClassId(0)), Some(PriorityClassId(1)));
    assert_eq!(classes, [high, low, low, high]);
    // Submit at creation; run time from scheduling (else creation) to deletion.
    let times: Vec<(u64, u64)> = jobs
        .iter()
        .map(|j| (j.submit.as_millis(), j.runtime.as_millis()))
        .collect();
    assert_eq!(
        times,
        [
            (0, 12_537_496_000),
            (427_061_000, (12_902_960 - 427_061) * 1000),
            (500_000_000, 100_000),
            (700_000_000, 540_000),
        ]
    );
    assert_eq!(
        jobs.iter().map(|j| j.id.0).collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );
    // Requests: one replica, whole or shared GPUs, the spec's models (added to the fleet).
    let fleet = &scenario.world.fleet;
    let names: Vec<&str> = fleet.gpu_models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["T4", "V100M16", "V100M32"]);
    let share = &jobs[1].components[0];
    assert_eq!(share.replicas, 1);
    assert_eq!(share.request.cpu_milli, 6000);
    assert_eq!(share.request.memory, 12_288 << 20);
    assert_eq!(
        (share.request.gpu.count, share.request.gpu.milli_per_gpu),
        (1, 460)
    );
    assert_eq!(
        share.request.gpu.models,
        GpuModelSet::of([
            fleet.gpu_model_id("V100M16").unwrap(),
            fleet.gpu_model_id("V100M32").unwrap()
        ])
    );
    assert!(jobs[0].components[0].request.gpu.models.is_any());
    let cpu_only = &jobs[2].components[0].request.gpu;
    assert_eq!((cpu_only.count, cpu_only.milli_per_gpu), (0, 0));
    let two = &jobs[3].components[0].request.gpu;
    assert_eq!((two.count, two.milli_per_gpu), (2, 1000));
    assert_eq!(&*jobs[0].template.kind, "Job");
}

#[test]
fn the_limit_keeps_the_earliest_jobs() {
    let files = Files::new();
    files.write("pods.csv", PODS);
    let scenario = files.load(&format!(
        "name: t
{FLEET}
namespaces: [{{name: all}}]
workload:
  trace: {{format: openb, file: pods.csv, namespace: {{default: all}}, limit: 2}}
"
    ));
    let names: Vec<&str> = jobs(&scenario).iter().map(|j| j.name.as_str()).collect();
    assert_eq!(names, ["openb-pod-0000", "openb-pod-0001"]);
    assert!(
        jobs(&scenario)
            .iter()
            .all(|j| j.namespace == NamespaceId(0))
    );
}

#[test]
fn time_compression_divides_submit_times() {
    // openb creation times 0, 427061, 500000, 600000 (never deleted: left out), 700000 s;
    // compressed 4×: 0, 106765.25, 125000, 175000 s. Runtimes stay (pod 4: 700600 − 700060).
    let files = Files::new();
    files.write("pods.csv", PODS);
    let load = |factor: &str| {
        format!(
            "name: t
{FLEET}
namespaces: [{{name: all}}]
workload:
  trace: {{format: openb, file: pods.csv, namespace: {{default: all}}, time_compression: {factor}}}
"
        )
    };
    let scenario = files.load(&load("4"));
    let submits: Vec<u64> = jobs(&scenario)
        .iter()
        .map(|j| j.submit.as_millis())
        .collect();
    assert_eq!(submits, [0, 106_765_250, 125_000_000, 175_000_000]);
    assert_eq!(jobs(&scenario)[3].runtime.as_millis(), 540_000);
    for bad in ["0.5", "-2", "two", "1.2345"] {
        let err = files.error(&load(bad));
        assert_eq!(
            err.position().unwrap().path,
            "workload.trace.time_compression",
            "{bad}: {err}"
        );
        assert!(err.to_string().contains("expected a number ≥ 1"), "{err}");
    }
}

#[test]
fn pod_lists_without_times_are_refused() {
    let files = Files::new();
    files.write(
        "multigpu.csv",
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli\nopenb-pod-0000,1000,1024,1,1000\n",
    );
    let err = files.error(&format!(
        "name: t
{FLEET}
namespaces: [{{name: all}}]
workload:
  trace: {{format: openb, file: multigpu.csv, namespace: {{default: all}}}}
"
    ));
    assert_eq!(err.position().unwrap().path, "workload.trace.file");
    assert!(
        err.to_string()
            .contains("has a creation and a deletion time"),
        "{err}"
    );
}

const PHILLY: &str = "timestamp,duration,num_gpus,gpu_time,cluster
2017-11-05 01:30:00,60.0,16,960.0,vcA
2017-11-05 00:59:00,30.0,1,30.0,vcB
2017-11-05 02:10:00,10.0,12,120.0,vcC

";

#[test]
fn philly_jobs_split_into_replicas_and_map_vcs() {
    let files = Files::new();
    files.write("philly.csv", PHILLY);
    let scenario = files.load(&format!(
        "name: t
{FLEET}
namespaces: [{{name: team-a}}, {{name: vcB}}, {{name: research}}]
workload:
  trace:
    format: philly
    file: philly.csv
    namespace: {{from: cluster, map: {{vcA: team-a}}, default: research}}
    cpu_per_gpu: \"4\"
    memory_per_gpu: 16Gi
"
    ));
    let jobs = jobs(&scenario);
    // Sorted by submit time, numbered by their row in the file, counted from the earliest:
    // 00:59 PDT, 01:30 PDT (the earlier of the two 01:30s), and 02:10 PST, which is 2 h 11 min
    // after 00:59 PDT because the clocks went back an hour in between.
    assert_eq!(
        jobs.iter().map(|j| j.name.as_str()).collect::<Vec<_>>(),
        ["philly-2", "philly-1", "philly-3"]
    );
    assert_eq!(
        jobs.iter().map(|j| j.submit).collect::<Vec<_>>(),
        [
            SimTime(0),
            SimTime(31 * 60_000),
            SimTime((120 + 11) * 60_000)
        ]
    );
    // vcB is a declared namespace; vcC is neither mapped nor declared.
    assert_eq!(
        namespace_names(&scenario, jobs),
        ["vcB", "team-a", "research"]
    );
    let shapes: Vec<(u32, u32, u64, u64)> = jobs
        .iter()
        .map(|j| {
            let c = &j.components[0];
            (
                c.replicas,
                c.request.gpu.count,
                c.request.cpu_milli,
                c.request.memory,
            )
        })
        .collect();
    assert_eq!(
        shapes,
        [
            (1, 1, 4_000, 16 << 30),
            (2, 8, 32_000, 128 << 30),
            (2, 6, 24_000, 96 << 30)
        ]
    );
    assert_eq!(
        jobs.iter().map(|j| j.runtime).collect::<Vec<_>>(),
        [
            Duration::from_secs(30),
            Duration::from_secs(60),
            Duration::from_secs(10)
        ]
    );
    assert!(jobs.iter().all(|j| j.gang));
}

#[test]
fn unmapped_values_without_a_default_are_errors() {
    let files = Files::new();
    files.write("philly.csv", PHILLY);
    let err = files.error(&format!(
        "name: t
{FLEET}
namespaces: [{{name: team-a}}]
workload:
  trace:
    format: philly
    file: philly.csv
    namespace: {{from: cluster, map: {{vcA: team-a}}}}
"
    ));
    let p = err.position().unwrap();
    assert_eq!((p.line, p.path.as_str()), (13, "workload.trace.namespace"));
    assert!(
        err.to_string()
            .contains("cluster \"vcB\" of job philly-2 in "),
        "{err}"
    );
    // A field the format does not have.
    let err = files.error(&format!(
        "name: t
{FLEET}
namespaces: [{{name: team-a}}]
workload:
  trace: {{format: philly, file: philly.csv, namespace: {{from: qos, default: team-a}}}}
"
    ));
    assert_eq!(
        err.position().unwrap().path,
        "workload.trace.namespace.from"
    );
    assert!(err.to_string().contains("expected cluster"), "{err}");
    // Settings for another format.
    let err = files.error(&format!(
        "name: t
{FLEET}
namespaces: [{{name: team-a}}]
workload:
  trace: {{format: openb, file: philly.csv, namespace: {{default: team-a}}, cpu_per_gpu: \"4\"}}
"
    ));
    assert_eq!(err.position().unwrap().path, "workload.trace.cpu_per_gpu");
}

#[test]
fn a_trace_beside_another_workload_is_refused() {
    let files = Files::new();
    let err = files.error(&format!(
        "name: t
{FLEET}
namespaces: [{{name: all}}]
workload:
  jobs: [{{name: j, submit: 0s, namespace: all, runtime: 1h}}]
  trace: {{format: philly, file: missing.csv, namespace: {{default: all}}}}
"
    ));
    assert_eq!(err.position().unwrap().path, "workload");
    assert!(
        err.to_string()
            .ends_with("give exactly one of workload.synthetic, workload.jobs or workload.trace"),
        "{err}"
    );
}

const DLRM: &str = "instance_sn,role,app_name,cpu_request,cpu_limit,gpu_request,gpu_limit,rdma_request,rdma_limit,memory_request,memory_limit,disk_request,disk_limit,max_instance_per_node,creation_time,scheduled_time,deletion_time
instance_0,HN,app_0,12,12,1,1,25,25,120.0,120.0,640.0,800.0,8,,,
instance_1,CN,app_1,48,48,0,0,1,1,64.5,64.5,100.0,100.0,-1,100.5,101.0,500.0
instance_2,HN,app_0,12,12,1,1,25,25,120.0,120.0,640.0,800.0,8,200.0,200.0,
instance_3,CN,app_2,8,8,0,0,1,1,16.0,16.0,10.0,10.0,2,,,50.0
";

#[test]
fn dlrm_instances_become_capped_services() {
    let files = Files::new();
    files.write("dlrm.csv", DLRM);
    let scenario = files.load(&format!(
        "name: t
horizon: 1h
{FLEET}
namespaces: [{{name: serving}}, {{name: app_2}}, {{name: other}}]
workload:
  trace:
    format: dlrm
    file: dlrm.csv
    namespace: {{from: app, map: {{app_0: serving}}, default: other}}
"
    ));
    let jobs = jobs(&scenario);
    // Instances from before the trace are there at 0 (file order among equals).
    assert_eq!(
        jobs.iter().map(|j| j.name.as_str()).collect::<Vec<_>>(),
        ["instance_0", "instance_3", "instance_1", "instance_2"]
    );
    assert_eq!(
        namespace_names(&scenario, jobs),
        ["serving", "app_2", "other", "serving"]
    );
    // Run times: undeleted services run to the 1 h horizon from their start (scheduling time,
    // else creation, else 0).
    let times: Vec<(u64, u64)> = jobs
        .iter()
        .map(|j| (j.submit.as_millis(), j.runtime.as_millis()))
        .collect();
    assert_eq!(
        times,
        [
            (0, 3_600_000),
            (0, 50_000),
            (100_500, 399_000),
            (200_000, 3_400_000)
        ]
    );
    let request = &jobs[2].components[0].request;
    assert_eq!(
        (request.cpu_milli, request.memory, request.gpu.count),
        (48_000, 129 << 29, 0)
    );
    assert_eq!(jobs[0].components[0].request.gpu.count, 1);
    // max_instance_per_node: a per-node limit on the node claim, shared by the application's
    // instances, and template labels that say so; none for unlimited apps.
    let claim = |j: &Job| &scenario.node_claims[usize::from(j.components[0].request.node_claim)];
    let limit = |j: &Job| {
        claim(j)
            .per_node_limit
            .as_ref()
            .map(|l| (l.group.clone(), l.max))
    };
    assert_eq!(limit(&jobs[0]), Some(("app_0".to_owned(), 8)));
    assert_eq!(limit(&jobs[1]), Some(("app_2".to_owned(), 2)));
    assert_eq!(limit(&jobs[2]), None);
    assert_eq!(
        jobs[0].components[0].request.node_claim,
        jobs[3].components[0].request.node_claim
    );
    assert_eq!(jobs[0].template.labels["fleetsim.io/max-per-node"], "8");
    assert_eq!(jobs[0].template.labels["fleetsim.io/app"], "app_0");
    assert!(jobs[2].template.labels.is_empty());
    assert_eq!(
        (&*jobs[0].template.api_version, &*jobs[0].template.kind),
        ("apps/v1", "Deployment")
    );
}

#[test]
fn dlrm_services_without_a_horizon_run_to_the_trace_end() {
    let files = Files::new();
    files.write("dlrm.csv", DLRM);
    let scenario = files.load(&format!(
        "name: t
{FLEET}
namespaces: [{{name: all}}]
workload:
  trace: {{format: dlrm, file: dlrm.csv, namespace: {{default: all}}}}
"
    ));
    // The trace's last time is the deletion at 500 s.
    let instance_0 = jobs(&scenario)
        .iter()
        .find(|j| j.name == "instance_0")
        .unwrap();
    assert_eq!(instance_0.runtime, Duration::from_secs(500));
}

/// The bundled example builds its fleet from Philly's machine list split by virtual cluster.
/// A real-trace run: slow.
#[test]
fn philly_vcs_example() {
    if common::skip_slow() {
        return;
    }
    let example =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/scenarios/philly-vcs.yaml");
    let Some(_traces) = common::shared_or_skip("traces/philly") else {
        return;
    };
    let scenario = scenarios::load(&example).unwrap_or_else(|err| panic!("{err}"));
    // philly_vc.csv: 11 VCs owning 352 machines; the other 200 of the 552 form `shared`.
    assert_eq!(scenario.world.fleet.clusters.len(), 12);
    let nodes: u64 = scenario
        .world
        .fleet
        .clusters
        .iter()
        .map(|c| c.n_nodes())
        .sum();
    assert_eq!(nodes, 552);
    // cluster_machine_list: 321 × 2 + 231 × 8 GPUs.
    assert_eq!(scenario.world.fleet.total_gpus(), 321 * 2 + 231 * 8);
    // The whole trace: philly.csv's 82,247 rows, each a job.
    let jobs = jobs(&scenario);
    assert_eq!(jobs.len(), 82_247);
    assert!(jobs.windows(2).all(|w| w[0].submit <= w[1].submit));
    assert_eq!(jobs[0].submit, SimTime(0));
}

/// Jobs that ask for GPU models some cluster lacks get a warning under the general estimator
/// alone, which cannot see models, and none once the accurate estimator counts only nodes
/// with an allowed model.
#[test]
fn model_constraints_the_estimators_cannot_see_are_warned_about() {
    let files = Files::new();
    files.write("pods.csv", PODS);
    let scenario = |estimators: &str| {
        format!(
            "name: t
gpu_models: [{{name: T4}}, {{name: V100M16}}]
clusters:
  - name: t4
    node_pools: [{{name: p, count: 1, cpu: \"96\", memory: 1Ti, gpus: 8, gpu_model: T4}}]
  - name: v100
    node_pools: [{{name: p, count: 1, cpu: \"96\", memory: 1Ti, gpus: 8, gpu_model: V100M16}}]
namespaces: [{{name: team}}]
scheduler: {{estimators: {estimators}}}
workload:
  trace: {{format: openb, file: pods.csv, namespace: {{from: qos, default: team}}}}
"
        )
    };
    // Pod 1 asks for a V100, which cluster t4 lacks; pod 3 (T4) is left out for its missing
    // deletion time; the others take any model.
    let general = files.load(&scenario("[general]"));
    let unseen: Vec<&String> = general
        .warnings
        .iter()
        .filter(|w| w.contains("GPU models"))
        .collect();
    assert_eq!(unseen.len(), 1, "{:?}", general.warnings);
    assert!(
        unseen[0].starts_with("workload: 1 jobs ask for GPU models that some clusters lack"),
        "{unseen:?}"
    );
    let accurate = files.load(&scenario("[general, accurate]"));
    assert!(
        accurate.warnings.iter().all(|w| !w.contains("GPU models")),
        "{:?}",
        accurate.warnings
    );
}
