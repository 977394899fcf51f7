//! `fleetsim import`: a kubectl snapshot becomes a scenario whose fleet is the snapshot's.

use std::path::{Path, PathBuf};

use crate::common::{fleetsim, fleetsim_ok, shared_or_skip};

fn example() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/snapshots/three-clusters"
    ))
}

/// `fleetsim import` of the example snapshot into `dir`; the scenario's path.
fn imported_example(dir: &Path) -> PathBuf {
    let scenario = dir.join("imported.yaml");
    fleetsim_ok(&[
        "import",
        example().to_str().unwrap(),
        "--out",
        scenario.to_str().unwrap(),
    ]);
    scenario
}

#[test]
fn a_snapshot_becomes_a_scenario_with_pools_of_identical_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("imported.yaml");
    let output = fleetsim_ok(&[
        "import",
        example().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    // dc-01: 5 H100 nodes and 2 CPU nodes, 8 pods (4 of a PyTorchJob, a pending Job's, a
    // Deployment's, a DaemonSet's, a finished one), a PriorityClass and a ResourceQuota;
    // dc-02: 7 A100 nodes (JSON); dc-03: 3 L40S nodes and a bare Pod, in separate documents;
    // the control plane: 3 Clusters in a List, the policies, the PyTorchJob with its binding,
    // and a Job not yet scheduled.
    for line in [
        "cluster.karmada.io/v1alpha1/Cluster: 3 read, 3 modelled, 0 skipped",
        "v1/Node: 17 read, 17 modelled, 0 skipped",
        "v1/Pod: 9 read, 7 modelled, 2 skipped",
        "scheduling.k8s.io/v1/PriorityClass: 1 read, 1 modelled, 0 skipped",
        "v1/ResourceQuota: 1 read, 1 modelled, 0 skipped",
        "batch/v1/Job: 1 read, 1 modelled, 0 skipped",
        "kubeflow.org/v1/PyTorchJob: 1 read, 1 modelled, 0 skipped",
        "work.karmada.io/v1alpha2/ResourceBinding: 1 read, 1 modelled, 0 skipped",
        "policy.karmada.io/v1alpha1/PropagationPolicy: 1 read, 1 modelled, 0 skipped",
        "policy.karmada.io/v1alpha1/FederatedResourceQuota: 1 read, 1 modelled, 0 skipped",
    ] {
        assert!(stdout.contains(line), "{line:?} in {stdout}");
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    for warning in [
        "nvidia-device-plugin-h7k2p belongs to DaemonSet",
        "prep-1-abcde has finished (Succeeded)",
        // dc-02's published summary counts a node the snapshot lacks.
        "Cluster dc-02: status.resourceSummary.allocatable differs from the nodes read \
         (nvidia.com/gpu 60 published, 52 in the snapshot's nodes; pods 880 published, 770 in \
         the snapshot's nodes)",
    ] {
        assert!(stderr.contains(warning), "{warning:?} in {stderr}");
    }

    // The control plane's policies are included from where they are, and their namespaces
    // declared: the research policy and its FederatedResourceQuota of 32 GPUs.
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("three-clusters/karmada/policies.yaml"),
        "{text}"
    );
    assert!(stderr.contains("FederatedQuotaEnforcement"), "{stderr}");

    // New arrivals are drawn from the snapshot's five jobs as templates, each its own shape
    // (weight 1); one pod start time only, so the rate is the stated placeholder.
    for line in [
        "    arrivals: {rate: 10/h}",
        "    templates:",
        "      - {namespace: \"research\", hard: {\"requests.nvidia.com/gpu\": \"48\"}}",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in {text}");
    }
    let templates: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("      - {weight: "))
        .collect();
    assert_eq!(templates.len(), 5, "{text}");
    assert!(
        templates
            .iter()
            .all(|t| t.starts_with("      - {weight: 1, job: {"))
    );
    let pretrain = templates
        .iter()
        .find(|t| t.contains("\"name\":\"research-pytorchjob\""))
        .unwrap();
    assert!(
        pretrain.contains("\"components\":[") && !pretrain.contains("job-name"),
        "{pretrain}"
    );
    assert!(
        text.contains("resource_models:\n      - {\"grade\":0,"),
        "{text}"
    );

    let scenario = fleetsim::validate_scenario(&out).unwrap();
    // dc-01's own ResourceQuota holds in dc-01 only.
    let research = sim_core::model::NamespaceId(1);
    let own: Vec<_> = scenario
        .quotas
        .resource_quotas
        .iter()
        .filter(|q| q.namespace == research)
        .map(|q| (q.cluster.0, q.hard.gpus))
        .collect();
    assert_eq!(own, [(0, Some(48))]);
    let names: Vec<&str> = scenario
        .world
        .namespaces
        .iter()
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(names, ["default", "research"]);
    assert_eq!(scenario.policies.policies.len(), 1);
    let fleet = &scenario.world.fleet;
    let names: Vec<&str> = fleet.clusters.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["dc-01", "dc-02", "dc-03"]);
    // 5 × 8 + (6 × 8 + 4) + 3 × 4 GPUs.
    assert_eq!(fleet.total_gpus(), 104);

    let dc01 = &fleet.clusters[0];
    assert_eq!(dc01.region.as_deref(), Some("us-east"));
    assert_eq!(dc01.zones, ["us-east-1a"]);
    assert_eq!(dc01.provider.as_deref(), Some("onprem"));
    // Host names and feature flags do not split pools: the four schedulable H100 nodes are one
    // pool, the cordoned one another (with Kubernetes' unschedulable taint), the CPU nodes a
    // third with their allocatable pods.
    let mut pools: Vec<(u32, u32, u64, u32, bool)> = dc01
        .node_pools
        .iter()
        .map(|p| {
            let cordoned = p
                .taints
                .iter()
                .any(|t| t.key == "node.kubernetes.io/unschedulable");
            (
                p.count,
                p.shape.gpus,
                p.shape.cpu_milli,
                p.shape.max_pods,
                cordoned,
            )
        })
        .collect();
    pools.sort();
    assert_eq!(
        pools,
        [
            (1, 8, 96_000, 110, true),
            (2, 0, 31_850, 58, false),
            (4, 8, 96_000, 110, false)
        ]
    );

    let dc02 = &fleet.clusters[1];
    assert_eq!(dc02.zones, ["us-east-1b"], "spec.zone becomes zones");
    let mut counts: Vec<(u32, u32)> = dc02
        .node_pools
        .iter()
        .map(|p| (p.count, p.shape.gpus))
        .collect();
    counts.sort();
    assert_eq!(counts, [(1, 4), (6, 8)]);

    let dc03 = &fleet.clusters[2];
    assert_eq!(dc03.taints.len(), 1, "the Cluster's taint");
    assert_eq!(dc03.taints[0].key, "maintenance");
    assert_eq!(dc03.node_pools.len(), 1);
    assert_eq!(dc03.node_pools[0].count, 3);
    assert_eq!(dc03.node_pools[0].taints[0].key, "nvidia.com/gpu");
    let model = dc03.node_pools[0].shape.gpu_model.expect("a GPU model");
    assert_eq!(scenario.world.fleet.gpu_model(model).name, "NVIDIA-L40S");
}

#[test]
fn a_malformed_node_exits_2_naming_file_line_and_field() {
    let stderr = import_refused(
        "east/nodes.yaml",
        "# header\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {allocatable: {cpu: \"8\", memory: 16Gi}}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: n2}\nspec:\n  taints:\n  - {key: gpu}\n",
    );
    // The second document starts on line 7; its taint has no effect.
    assert!(stderr.contains("nodes.yaml:7"), "{stderr}");
    assert!(stderr.contains("spec.taints[0]"), "{stderr}");
    assert!(stderr.contains("effect"), "{stderr}");
}

#[test]
fn an_empty_snapshot_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("imported.yaml");
    let output = fleetsim(&[
        "import",
        dir.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no Node objects found"));
    assert!(!out.exists());
}

#[test]
fn the_openb_node_list_imports_every_node() {
    // The FGD study's 1,213 openb nodes (a multi-document stream of Node objects; GPUs as
    // alibabacloud.com/gpu-count, models as alibabacloud.com/gpu-card-model).
    let Some(list) = shared_or_skip(
        "third-party/k8s-objects/nodes__hkust-adsl-kss__openb_node_list_gpu_node-1213nodes.yaml",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("openb")).unwrap();
    std::fs::copy(&list, dir.path().join("openb/nodes.yaml")).unwrap();
    let out = dir.path().join("imported.yaml");
    let output = fleetsim_ok(&[
        "import",
        dir.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("v1/Node: 1213 read, 1213 modelled, 0 skipped"),
        "{stdout}"
    );
    let scenario = fleetsim::validate_scenario(&out).unwrap();
    let nodes: u32 = scenario.world.fleet.clusters[0]
        .node_pools
        .iter()
        .map(|p| p.count)
        .sum();
    assert_eq!(nodes, 1213);
}

#[test]
fn a_node_with_a_bad_quantity_exits_2_naming_the_resource() {
    let stderr = import_refused(
        "west/nodes.json",
        r#"{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
   "status": {"allocatable": {"cpu": "lots", "memory": "16Gi"}}}]}"#,
    );
    assert!(stderr.contains("nodes.json"), "{stderr}");
    assert!(
        stderr.contains("items[0].status.allocatable.cpu"),
        "{stderr}"
    );
    assert!(stderr.contains("\"lots\""), "{stderr}");
}

/// Imports a snapshot holding the one member file `member/file` with `text`, expecting exit
/// code 2 and no scenario written; returns stderr.
fn import_refused(file: &str, text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap").join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    let out = dir.path().join("imported.yaml");
    let output = fleetsim(&[
        "import",
        dir.path().join("snap").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(!out.exists(), "no scenario written");
    stderr
}

/// The imported example, run: the PyTorchJob holds the four schedulable H100 nodes of dc-01
/// from time 0 for the 6 h its annotation gives, so the evaluation Job waiting in dc-01 for a
/// whole H100 node starts at exactly 6 h, when those pods end, and not before; the Job Karmada
/// had not scheduled is scheduled at time 0 to dc-02, where A100 nodes are free.
#[test]
fn an_imported_snapshot_runs_from_its_occupied_state() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = imported_example(dir.path());
    // New arrivals (drawn from the snapshot's jobs, some of high priority) would compete for
    // the nodes that free; without them the snapshot's own jobs can be worked out by hand.
    let text = std::fs::read_to_string(&scenario).unwrap();
    let (start, end) = (
        text.find("# New arrivals").unwrap(),
        text.find("# The snapshot's work").unwrap(),
    );
    let text = format!("{}workload: {{jobs: []}}\n{}", &text[..start], &text[end..]);
    std::fs::write(&scenario, text).unwrap();
    let loaded = fleetsim::validate_scenario(&scenario).unwrap();
    // notebook, llm-pretrain and trainer-0 run; eval-7 waits in dc-01; sweep-12 is new.
    let names: Vec<&str> = loaded
        .initial
        .jobs
        .iter()
        .map(|j| j.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "notebook",
            "llm-pretrain",
            "trainer-0",
            "eval-7",
            "sweep-12"
        ]
    );
    let story = |job: &str| {
        let out = fleetsim_ok(&[
            "explain",
            scenario.to_str().unwrap(),
            "--job",
            job,
            "--at",
            "7h",
        ]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let pretrain = story("llm-pretrain");
    assert!(
        pretrain.contains("Existing          scheduled to dc-01")
            && pretrain.contains("0s  Normal   Started")
            && pretrain.contains("6h  Normal   Completed"),
        "{pretrain}"
    );
    let eval = story("eval-7");
    assert!(
        eval.contains("6h  Normal   Bound             1 pod(s) on dc-01/pool-1-")
            && eval.contains("6h  Normal   Started"),
        "{eval}"
    );
    let sweep = story("sweep-12");
    assert!(
        sweep.contains("0s  Normal   Scheduled         replicas divided {dc-02: 2}"),
        "{sweep}"
    );
}

/// `fleetsim forecast` on the example: the new Job wants two H100 nodes, held for 6 h; it is
/// scheduled to dc-01 (dc-02 has no H100, dc-03 is tainted), and starts after 6 h: at 6 h the
/// four nodes free, eval-7 takes one, and Karmada's retry of the unschedulable binding comes
/// within the 5-minute flush. Every run time that matters is annotated, so the replications
/// agree: p10 = p90. The scenario's new arrivals do not compete unless `--arrivals` asks.
#[test]
fn forecast_names_the_cluster_and_the_start_quantiles() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = imported_example(dir.path());
    let job = example().parent().unwrap().join("new-job.yaml");
    let out = fleetsim_ok(&[
        "forecast",
        scenario.to_str().unwrap(),
        job.to_str().unwrap(),
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["replications"], 20);
    let forecast = &json["jobs"][0];
    assert_eq!(forecast["job"], "research/finetune-3");
    assert_eq!(forecast["cluster"], "dc-01");
    assert_eq!(forecast["started"], 20);
    let start = forecast["start_s"].as_array().unwrap();
    let p10 = start[0].as_f64().unwrap();
    assert!((21_600.0..=21_600.0 + 360.0).contains(&p10), "{p10}");
    assert_eq!(start[0], start[2], "no spread: every run time is given");
    let text = fleetsim_ok(&[
        "forecast",
        scenario.to_str().unwrap(),
        job.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("Cluster:  dc-01 (picked in 20 of 20 replications)")
            && text.contains("Starts:   p10 6h")
            && text.contains("Policy:          PropagationPolicy research/training"),
        "{text}"
    );
    // A manifest that is not a workload is an input error naming it.
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    )
    .unwrap();
    let out = fleetsim(&[
        "forecast",
        scenario.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.yaml") && stderr.contains("v1/ConfigMap"),
        "{stderr}"
    );
}

/// References to what the snapshot lacks are warnings with a stated fallback, never a failed
/// import: a pod on a node not in the snapshot waits in its member, a member with pods and no
/// nodes is left out with its pods, a PriorityClass no object defines gives priority 0, and a
/// binding to a cluster without nodes is noted.
#[test]
fn missing_references_are_warnings_with_a_fallback() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    std::fs::create_dir_all(snap.join("a")).unwrap();
    std::fs::create_dir_all(snap.join("b")).unwrap();
    std::fs::write(
        snap.join("a/nodes.yaml"),
        "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {allocatable: {cpu: \"8\", memory: 32Gi, pods: \"110\"}}\n",
    )
    .unwrap();
    let pod = |name: &str, node: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: t}}\nspec:\n  nodeName: {node}\n  priorityClassName: gone\n  containers: [{{name: c, resources: {{requests: {{cpu: \"1\"}}}}}}]\nstatus: {{phase: Running}}\n"
        )
    };
    std::fs::write(
        snap.join("a/pods.yaml"),
        format!("{}---\n{}", pod("p1", "n1"), pod("p2", "n9")),
    )
    .unwrap();
    std::fs::write(snap.join("b/pods.yaml"), pod("p3", "m1")).unwrap();
    std::fs::create_dir_all(snap.join("karmada")).unwrap();
    std::fs::write(
        snap.join("karmada/bindings.yaml"),
        "apiVersion: work.karmada.io/v1alpha2\nkind: ResourceBinding\nmetadata: {name: x, namespace: t}\nspec:\n  resource: {apiVersion: batch/v1, kind: Job, name: x}\n  clusters: [{name: zz, replicas: 1}]\n",
    )
    .unwrap();
    let out = dir.path().join("imported.yaml");
    let output = fleetsim_ok(&[
        "import",
        snap.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    for warning in [
        "pod on node \"n9\", which the snapshot of a does not hold; it waits in a instead",
        "b: 1 pod(s) skipped: the snapshot holds no nodes of b",
        "t/p1: PriorityClass gone is not in the snapshot; the job gets none (priority 0)",
        "bindings.yaml:1:1: the ResourceBinding names cluster zz, whose nodes the snapshot does \
         not hold",
    ] {
        assert!(stderr.contains(warning), "{warning:?} in {stderr}");
    }
    let scenario = fleetsim::validate_scenario(&out).unwrap();
    let names: Vec<&str> = scenario
        .initial
        .jobs
        .iter()
        .map(|j| j.name.as_str())
        .collect();
    // p1 runs on n1 (numbered first); p2 waits in a.
    assert_eq!(names, ["p1", "p2"]);
    assert_eq!(scenario.initial.placements[0].running.len(), 1);
    assert!(scenario.initial.placements[1].running.is_empty());
}

/// A Pod the API server would refuse is an input error naming the file, the line of its
/// document and the field.
#[test]
fn a_malformed_pod_exits_2_naming_file_line_and_field() {
    let stderr = import_refused(
        "m/pods.yaml",
        "# pods\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: t}\nspec:\n  nodeName: n1\n  containers: [{name: c, resources: {requests: {cpu: lots}}}]\n",
    );
    assert!(stderr.contains("pods.yaml:3"), "{stderr}");
    assert!(
        stderr.contains("spec.containers[0].resources.requests.cpu") && stderr.contains("\"lots\""),
        "{stderr}"
    );
}
