//! The fragmentation experiment end to end: hand-made traces worked by hand, bad input, and the
//! reproduction of the FGD paper's headline result on the real openb traces.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fleetsim::experiment::{OpenbCluster, PodList, arrival_order};
use sim_core::rng::RngStreams;

fn fleetsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fleetsim"))
        .args(args)
        .output()
        .unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Node a: 1 GPU of model A; node b: 2 GPUs of model B. Pods: one whole GPU restricted to A,
/// one 2-GPU pod. Total demand 3,000 milli = 100 % of capacity.
fn tiny(dir: &Path, policies: &str, target_pct: u32) -> PathBuf {
    write(
        dir,
        "nodes.csv",
        "sn,cpu_milli,memory_mib,gpu,model\nnode-a,8000,16384,1,A\nnode-b,16000,32768,2,B\n",
    );
    write(
        dir,
        "pods.csv",
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n\
         pod-1,1000,1024,1,1000,A,LS,Running,0,10,0\n\
         pod-2,2000,2048,2,1000,,LS,Running,0,10,0\n",
    );
    write(
        dir,
        "experiment.yaml",
        &format!(
            "experiment: fragmentation\nnodes: nodes.csv\npod_lists: [pods.csv]\npolicies: [{policies}]\nseeds: [1, 2]\ntarget_pct: {target_pct}\n"
        ),
    )
}

#[test]
fn the_allocation_at_the_first_failed_pod_is_recorded() {
    // One node with one GPU and two one-GPU pods, 200 % of capacity as the target, so neither
    // is dropped: whichever comes first is placed (100 % allocated), the other fails then.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        "nodes.csv",
        "sn,cpu_milli,memory_mib,gpu,model\nnode-a,8000,16384,1,A\n",
    );
    write(
        dir,
        "pods.csv",
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n\
         pod-1,1000,1024,1,1000,,LS,Running,0,10,0\n\
         pod-2,1000,1024,1,1000,,LS,Running,0,10,0\n",
    );
    let experiment = write(
        dir,
        "experiment.yaml",
        "experiment: fragmentation\nnodes: nodes.csv\npod_lists: [pods.csv]\npolicies: [FGD]\nseeds: [1, 2]\ntarget_pct: 200\n",
    );
    let out = dir.join("out");
    let output = run(&experiment, &out, "1");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    for line in runs.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        // pods, pods_failed, arrived, allocated, ..., allocated at the first failure.
        assert_eq!(fields[3..7], ["2", "1", "200.0000", "100.0000"], "{line}");
        assert_eq!(fields.last(), Some(&"100.0000"), "{line}");
    }
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.contains("<td>FGD</td><td>2</td><td>100.00</td><td>100.00</td>"),
        "{report}"
    );
}

fn run(experiment: &Path, out: &Path, threads: &str) -> Output {
    fleetsim(&[
        "--quiet",
        "experiment",
        "fragmentation",
        experiment.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--threads",
        threads,
    ])
}

#[test]
fn a_tiny_cluster_worked_by_hand() {
    let tmp = tempfile::tempdir().unwrap();
    let experiment = tiny(tmp.path(), "FGD, best-fit", 100);
    let out = tmp.path().join("out");
    let output = run(&experiment, &out, "2");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let allocation = std::fs::read_to_string(out.join("allocation.csv")).unwrap();
    let mut lines = allocation.lines();
    assert_eq!(
        lines.next(),
        Some("workload,policy,seed,arrived_pct,gpu_allocation_pct")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    // 2 policies × 2 seeds × 131 whole percents.
    assert_eq!(rows.len(), 2 * 2 * 131);
    // Demand equals the target: no pod is added or dropped. Each pod fits exactly one node, so
    // whatever the order both are placed: at 100 % arrived, 100 % allocated. Before that the
    // first pod is either the 1-GPU one (33 % arrived, 33.33 % allocated) or the 2-GPU one
    // (67 %, 66.67 %); percents far from any event have no value.
    for run in rows.chunks(131) {
        assert_eq!(run[0][0], "pods");
        assert!(["FGD", "BestFit"].contains(&run[0][1]), "{:?}", run[0]);
        assert_eq!(run[100][4], "100.0000");
        assert_eq!(run[50][4], "");
        assert!(
            (run[33][4] == "33.3300" && run[67][4].is_empty())
                || (run[67][4] == "66.6700" && run[33][4].is_empty()),
            "{:?} {:?}",
            run[33],
            run[67]
        );
    }
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert!(
        runs.lines()
            .skip(1)
            .all(|l| l.contains(",2,0,100.0000,100.0000,")),
        "{runs}"
    );
    // No pod failed, so no run has an allocation at its first failure.
    assert!(
        runs.lines()
            .next()
            .unwrap()
            .ends_with(",first_failure_gpu_allocation_pct")
            && runs.lines().skip(1).all(|l| l.ends_with(',')),
        "{runs}"
    );
    // Same tables whatever the thread count.
    let again = tmp.path().join("again");
    assert!(run(&experiment, &again, "1").status.success());
    for table in [
        "allocation.csv",
        "means.csv",
        "fragmentation.csv",
        "runs.csv",
    ] {
        assert_eq!(
            std::fs::read(out.join(table)).unwrap(),
            std::fs::read(again.join(table)).unwrap(),
            "{table}"
        );
    }
}

#[test]
fn inflation_appends_draws_until_the_next_share_would_pass_the_target() {
    let tmp = tempfile::tempdir().unwrap();
    tiny(tmp.path(), "FGD", 100);
    let cluster = OpenbCluster::load(&tmp.path().join("nodes.csv")).unwrap();
    assert_eq!(cluster.capacity_milli, 3000);
    let list = PodList::load(&tmp.path().join("pods.csv"), &cluster, 95).unwrap();
    let streams = RngStreams::new(7);
    // At the target: the shuffled list, nothing added or dropped.
    let order = arrival_order(&list, 3000, &streams);
    assert_eq!(order.len(), 2);
    // A drawn pod is appended while demand + its per-device share (1000 for both pods) stays
    // within the target. Target 3,999: 3000 + 1000 passes it, nothing is appended.
    assert_eq!(arrival_order(&list, 3999, &streams).len(), 2);
    // Target 4,000: the first draw is appended (demand 4,000, or 5,000 if it was the 2-GPU
    // pod: the study's overshoot), the second stops.
    assert_eq!(arrival_order(&list, 4000, &streams).len(), 3);
    // Target 2,500: pods are dropped at random until demand is at most 2,500: either the
    // 1-GPU pod (2,000 left) or the 2-GPU pod (1,000 left), one drop either way.
    let order = arrival_order(&list, 2500, &streams);
    assert_eq!(order.len(), 1);
}

#[test]
fn bad_experiments_exit_2_naming_file_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let experiment = tiny(tmp.path(), "FGD, WorstFit", 130);
    let out = tmp.path().join("out");
    let output = run(&experiment, &out, "1");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("experiment.yaml:4:"), "{stderr}");
    assert!(
        stderr.contains("unknown placement policy `WorstFit`"),
        "{stderr}"
    );
    assert!(!out.exists());

    let experiment = tiny(tmp.path(), "FGD", 130);
    write(
        tmp.path(),
        "pods.csv",
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli\npod-1,1000,1024,1,1000\npod-2,2000,lots,1,500\n",
    );
    let output = run(&experiment, &out, "1");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("pods.csv:3:12: memory_mib: `lots` is not a whole number of MiB"),
        "{stderr}"
    );
    assert!(!out.exists(), "no partial output");
}

/// The openb traces, or `None` (with a message) on a machine without them.
fn openb() -> Option<PathBuf> {
    common::shared_or_skip("traces/alibaba-gpu-v2023")
}

#[test]
fn fgd_typical_pods_of_the_default_trace() {
    if common::skip_slow() {
        return;
    }
    let Some(dir) = openb() else { return };
    let cluster = OpenbCluster::load(&dir.join("openb_node_list_gpu_node.csv")).unwrap();
    assert_eq!(cluster.nodes.len(), 1213);
    assert_eq!(cluster.capacity_milli, 6_212_000);
    let list = PodList::load(&dir.join("openb_pod_list_default.csv"), &cluster, 95).unwrap();
    assert_eq!(list.pods.len(), 8152);
    // fgd-method.md §5.6: 35 of the 91 pod types cover 95 % of the pods.
    assert_eq!(list.target.types().len(), 35);
    // §1.3: demand ≈ 98.0 % of capacity (6,086.8 GPUs).
    assert_eq!(list.gpu_milli(), 6_086_800);
}

/// The rows of the Markdown table under `heading` in `text`: first cell, then the others.
fn table_rows(text: &str, heading: &str) -> Vec<(String, Vec<String>)> {
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?} in\n{text}"));
    text[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            let cells: Vec<String> = l
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect();
            (cells[0].clone(), cells[1..].to_vec())
        })
        .collect()
}

/// The blocks of `docs/reproductions.md` marked as copied from `tables.md`.
fn generated_blocks(doc: &str) -> Vec<&str> {
    const BEGIN: &str = "<!-- from tables.md -->\n";
    const END: &str = "<!-- end of tables.md -->";
    doc.match_indices(BEGIN)
        .map(|(at, _)| {
            let body = &doc[at + BEGIN.len()..];
            &body[..body.find(END).expect("every block ends")]
        })
        .collect()
}

/// docs/reproductions.md is written by the program: each block it copies from `tables.md` is
/// in a fresh run's `tables.md` word for word, and its claims hold on that run: FGD highest
/// and Random lowest on every pod list, and FGD within 0.2 points of the paper's value on
/// every list (the paper's values are the document's own table of them). The whole study,
/// 1,020 runs, so it runs on the release build (CI's).
#[test]
fn the_reproduction_document_is_what_the_study_gives() {
    if common::skip_slow() {
        return;
    }
    let Some(_) = openb() else { return };
    let Some(release) = common::release_bin() else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("study");
    let status = Command::new(release)
        .args(["experiment", "fragmentation"])
        .arg(root.join("examples/experiments/fragmentation.yaml"))
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .status()
        .unwrap();
    assert!(status.success());
    let tables = std::fs::read_to_string(out.join("tables.md")).unwrap();
    let doc = std::fs::read_to_string(root.join("docs/reproductions.md")).unwrap();
    let blocks = generated_blocks(&doc);
    assert!(blocks.len() >= 3, "{} blocks", blocks.len());
    for block in blocks {
        assert!(
            tables.contains(block),
            "docs/reproductions.md is out of date; this block is not in tables.md:\n{block}\n\ntables.md:\n{tables}"
        );
    }
    let ours = table_rows(&tables, "#### GPU allocation ratio at 130 %");
    let paper = table_rows(&doc, "#### The paper's GPU allocation ratio at 130 %");
    assert_eq!(ours.len(), 17);
    assert_eq!(paper.len(), 17);
    // Columns: Random, DotProd, GpuClustering, GpuPacking, BestFit, FGD.
    for ((list, values), (paper_list, paper_values)) in ours.iter().zip(&paper) {
        assert_eq!(list, paper_list);
        let values: Vec<f64> = values.iter().map(|v| v.parse().unwrap()).collect();
        let fgd = values[5];
        assert!(values.iter().all(|v| *v <= fgd), "{list}: {values:?}");
        assert!(values.iter().all(|v| *v >= values[0]), "{list}: {values:?}");
        let paper_fgd: f64 = paper_values[0].parse().unwrap();
        assert!(
            (fgd - paper_fgd).abs() <= 0.2 + 1e-9,
            "{list}: FGD {fgd} against the paper's {paper_fgd}"
        );
    }
}
