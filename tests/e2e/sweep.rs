//! `fleetsim sweep` and `fleetsim merge` end to end: determinism whatever the thread count,
//! resumption, shards, hand-worked metrics and bad sweep files.

use crate::common;

use std::path::{Path, PathBuf};

use crate::common::{constant_stream_scenario, fleetsim, fleetsim_ok, read_parquet};

/// Two clusters of H100 nodes and 60 random jobs: small enough for debug builds.
const SMALL_FLEET: &str = "name: small-fleet
seed: 3
horizon: 1d
gpu_models: [{name: H100}]
clusters:
  - {name: dc-1, node_pools: [{name: h100, count: 2, cpu: \"96\", memory: 1Ti, gpus: 8, gpu_model: H100}]}
  - {name: dc-2, node_pools: [{name: h100, count: 2, cpu: \"96\", memory: 1Ti, gpus: 8, gpu_model: H100}]}
priority_classes: [{name: high, value: 1000}, {name: low, value: 10}]
namespaces: [{name: a}, {name: b}]
# No resource models: the general estimator divides the resource summary.
scheduler: {feature_gates: {CustomizedClusterResourceModeling: false}}
workload:
  synthetic:
    jobs: 60
    arrivals: {rate: 6/h}
    runtime: {lognormal: {median: 1h, sigma: 0.5}}
    gpus: [{gpus: 4, weight: 1}, {gpus: 8, weight: 1}]
    namespaces: [{name: a, weight: 1, priority_class: high}, {name: b, weight: 1, priority_class: low}]
";

/// 2 sizes × 2 conditions = 4 cells, 2 replications: 8 runs.
const SMALL_SWEEP: &str = "scenario: fleet.yaml
seed: 5
replications: 2
axes:
  - name: added
    path: clusters[*].node_pools[name=h100].count
    op: add
    values: [0, 2]
  - name: condition
    conditions: [nominal, lose dc-2]
";

/// A temporary folder with `fleet.yaml` and `sweep.yaml`.
fn setup(scenario: &str, sweep: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("fleet.yaml"), scenario).unwrap();
    let sweep_file = tmp.path().join("sweep.yaml");
    std::fs::write(&sweep_file, sweep).unwrap();
    (tmp, sweep_file)
}

fn sweep(sweep_file: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "sweep",
        sweep_file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    fleetsim_ok(&args);
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn run_log(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&bytes(&dir.join("run.json"))).unwrap()
}

#[test]
fn one_and_two_threads_write_identical_tables() {
    let (tmp, sweep_file) = setup(SMALL_FLEET, SMALL_SWEEP);
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    sweep(&sweep_file, &one, &["--threads", "1"]);
    sweep(&sweep_file, &two, &["--threads", "2"]);
    for file in ["cells.parquet", "stats.csv", "sweep.json", "report.html"] {
        assert!(
            bytes(&one.join(file)) == bytes(&two.join(file)),
            "{file} differs"
        );
    }
    assert_eq!(run_log(&one)["threads"], 1);
    assert_eq!(run_log(&two)["threads"], 2);
    // Run files carry no wall-clock value either: the folder's bytes depend only on the sweep.
    let runs = |dir: &Path| -> Vec<(std::ffi::OsString, Vec<u8>)> {
        let mut files: Vec<_> = std::fs::read_dir(dir.join("runs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| (p.file_name().unwrap().to_owned(), bytes(&p)))
            .collect();
        files.sort();
        files
    };
    assert_eq!(runs(&one).len(), 8);
    assert!(runs(&one) == runs(&two), "runs/ differ");
    // One row per cell and replication, by cell, then replication.
    let cells = read_parquet(&one.join("cells.parquet"));
    assert_eq!(cells.height(), 8);
    let cell: Vec<u64> = cells
        .column("cell")
        .unwrap()
        .u64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert_eq!(cell, [0, 0, 1, 1, 2, 2, 3, 3]);
    let replication: Vec<u64> = cells
        .column("replication")
        .unwrap()
        .u64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert_eq!(replication, [0, 1, 0, 1, 0, 1, 0, 1]);
    // The last axis varies fastest.
    let condition: Vec<&str> = cells
        .column("condition")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(Option::unwrap)
        .collect();
    assert_eq!(
        condition,
        [
            "nominal",
            "nominal",
            "lose dc-2",
            "lose dc-2",
            "nominal",
            "nominal",
            "lose dc-2",
            "lose dc-2"
        ]
    );
    // Common random numbers: replication r has the same seed in every cell, and the two
    // replications differ.
    let seeds: Vec<u64> = cells
        .column("seed")
        .unwrap()
        .u64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert_ne!(seeds[0], seeds[1]);
    assert!(seeds.chunks(2).all(|pair| pair == [seeds[0], seeds[1]]));
    for column in [
        "gpu_utilization",
        "wait_p95_s",
        "wait_p95_s{priority_class=high}",
        "wait_p95_s{namespace=b}",
    ] {
        assert!(cells.column(column).is_ok(), "no column {column}");
    }
    // Sixty jobs arrive in every run (60 jobs at 6/h arrive within 10 h, inside the 1-day horizon).
    let submitted: Vec<f64> = cells
        .column("jobs_submitted")
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert_eq!(submitted, [60.0; 8]);
    assert!(one.join("figures/wait_p95_s-by-added.svg").is_file());
}

#[test]
fn a_stopped_sweep_runs_only_the_missing_runs() {
    let (tmp, sweep_file) = setup(SMALL_FLEET, SMALL_SWEEP);
    let (whole, resumed) = (tmp.path().join("whole"), tmp.path().join("resumed"));
    sweep(&sweep_file, &whole, &[]);
    // As if interrupted after 3 runs: no tables yet.
    sweep(&sweep_file, &resumed, &["--stop-after", "3"]);
    let log = run_log(&resumed);
    assert_eq!(
        (log["runs_executed"].as_u64(), log["complete"].as_bool()),
        (Some(3), Some(false))
    );
    assert!(!resumed.join("cells.parquet").exists());
    sweep(&sweep_file, &resumed, &[]);
    let log = run_log(&resumed);
    assert_eq!(log["runs_reused"], 3);
    assert_eq!(log["runs_executed"], 8 - 3);
    assert!(bytes(&whole.join("cells.parquet")) == bytes(&resumed.join("cells.parquet")));
    assert!(bytes(&whole.join("stats.csv")) == bytes(&resumed.join("stats.csv")));
    // A lost run file is the only one run again.
    std::fs::remove_file(resumed.join("runs/c2-r1.json")).unwrap();
    sweep(&sweep_file, &resumed, &[]);
    let log = run_log(&resumed);
    assert_eq!(
        (log["runs_executed"].as_u64(), log["runs_reused"].as_u64()),
        (Some(1), Some(7))
    );
    assert!(bytes(&whole.join("cells.parquet")) == bytes(&resumed.join("cells.parquet")));
}

#[test]
fn two_shards_merged_equal_the_whole_sweep() {
    let (tmp, sweep_file) = setup(SMALL_FLEET, SMALL_SWEEP);
    let dir = |name: &str| tmp.path().join(name);
    sweep(&sweep_file, &dir("whole"), &[]);
    sweep(&sweep_file, &dir("shard-1"), &["--shard", "1/2"]);
    sweep(&sweep_file, &dir("shard-2"), &["--shard", "2/2"]);
    // Runs 0, 2, 4, 6 and 1, 3, 5, 7.
    assert_eq!(run_log(&dir("shard-1"))["runs_owned"], 4);
    assert_eq!(run_log(&dir("shard-2"))["runs_owned"], 4);
    assert_eq!(
        read_parquet(&dir("shard-1").join("cells.parquet")).height(),
        4
    );
    let (shard_1, shard_2, merged) = (dir("shard-1"), dir("shard-2"), dir("merged"));
    fleetsim_ok(&[
        "merge",
        shard_2.to_str().unwrap(),
        shard_1.to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
        "--quiet",
    ]);
    for file in ["cells.parquet", "stats.csv", "sweep.json", "report.html"] {
        assert!(
            bytes(&dir("whole").join(file)) == bytes(&merged.join(file)),
            "{file} differs"
        );
    }
    // The report drawn again from the folder's files is the one the sweep drew.
    let drawn = bytes(&merged.join("report.html"));
    std::fs::remove_file(merged.join("report.html")).unwrap();
    fleetsim_ok(&["report", merged.to_str().unwrap(), "--quiet"]);
    assert!(bytes(&merged.join("report.html")) == drawn);
    // A missing shard, or one given twice, is refused and writes nothing.
    for shards in [vec![&shard_1], vec![&shard_1, &shard_1, &shard_2]] {
        let out = dir("refused");
        let mut args = vec!["merge"];
        args.extend(shards.iter().map(|s| s.to_str().unwrap()));
        args.extend(["--out", out.to_str().unwrap()]);
        let output = fleetsim(&args);
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("a shard is"), "{stderr}");
        assert!(!out.exists());
    }
}

#[test]
fn metrics_of_a_constant_stream_are_the_hand_worked_ones() {
    let scenario = constant_stream_scenario(120, 10);
    let sweep_text = "scenario: fleet.yaml\nreplications: 2\naxes:\n  - {name: nodes, path: \"clusters[name=c1].node_pools[0].count\", values: [10, 11]}\n";
    let (tmp, sweep_file) = setup(&scenario, sweep_text);
    let out = tmp.path().join("out");
    sweep(&sweep_file, &out, &[]);
    let cells = read_parquet(&out.join("cells.parquet"));
    let column = |name: &str| -> Vec<f64> {
        cells
            .column(name)
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .collect()
    };
    assert_eq!(column("jobs_submitted"), [120.0; 4]);
    assert_eq!(column("jobs_completed"), [120.0; 4]);
    // 10 nodes: jobs 80 to 119 (a third) wait at least 200 s, so the 95th percentile does.
    // 11 nodes: no job waits.
    let p95 = column("wait_p95_s");
    assert!(p95[0] >= 200.0 && p95[1] >= 200.0, "{p95:?}");
    assert_eq!(&p95[2..], [0.0, 0.0]);
    // Every GPU-hour is a job's: 120 jobs × 5,000 s = 166.67 GPU-hours.
    for gpu_hours in column("gpu_hours") {
        assert!(
            (gpu_hours - 120.0 * 5000.0 / 3600.0).abs() < 1e-3,
            "{gpu_hours}"
        );
    }
    // The jobs are listed, so both replications are the same: no spread.
    let stats = common::rows(&out.join("stats.csv"));
    let p95_at_11 = stats
        .iter()
        .find(|r| &r[1] == "11" && &r[2] == "wait_p95_s")
        .unwrap();
    assert_eq!(
        (&p95_at_11[3], &p95_at_11[4], &p95_at_11[5]),
        ("2", "0", "0")
    );
    assert_eq!((&p95_at_11[6], &p95_at_11[7]), ("0", "0"));
}

#[test]
fn the_report_opens_with_the_answer_to_the_target() {
    // As above: with 10 nodes p95 waiting is at least 200 s, with 11 or 12 no job waits, and
    // both replications agree (zero-width intervals). The smallest count keeping p95 waiting
    // at most 60 s is 11.
    let scenario = constant_stream_scenario(120, 10);
    let sweep_text = "scenario: fleet.yaml\nreplications: 2\naxes:\n  - {name: nodes, path: \"clusters[name=c1].node_pools[0].count\", values: [10, 11, 12]}\ntarget:\n  - {metric: wait_p95_s, at_most: 60s}\n";
    let (tmp, sweep_file) = setup(&scenario, sweep_text);
    let out = tmp.path().join("out");
    sweep(&sweep_file, &out, &[]);
    let html = String::from_utf8(bytes(&out.join("report.html"))).unwrap();
    let body = &html[html.find("<body>").unwrap() + "<body>".len()..];
    let first = body.trim_start();
    assert!(
        first.starts_with(
            "<p class=\"answer\" id=\"answer\">nodes = 11 is the smallest value that keeps wait_p95_s at most 60.0 s in every cell: wait_p95_s upper 95 % bound 0.0 s. At nodes = 10 it fails (wait_p95_s upper 95 % bound "
        ),
        "{}",
        &first[..400.min(first.len())]
    );
    // The target is drawn, labelled, on the metric's figure.
    let figure = String::from_utf8(bytes(&out.join("figures/wait_p95_s-by-nodes.svg"))).unwrap();
    assert!(figure.contains(">\ntarget ≤ 60.0 s\n</text>"), "{figure}");
    let description: serde_json::Value =
        serde_json::from_slice(&bytes(&out.join("sweep.json"))).unwrap();
    assert_eq!(description["target"][0]["effective"], 60.0);
}

#[test]
fn a_cell_without_changes_is_the_scenario_run_with_its_seed() {
    let (tmp, sweep_file) = setup(
        SMALL_FLEET,
        "scenario: fleet.yaml\nseed: 9\nreplications: 1\n",
    );
    let out = tmp.path().join("out");
    sweep(&sweep_file, &out, &[]);
    let run: serde_json::Value =
        serde_json::from_slice(&bytes(&out.join("runs/c0-r0.json"))).unwrap();
    let seed = run["seed"].as_u64().unwrap().to_string();
    let single = tmp.path().join("single");
    let fleet = tmp.path().join("fleet.yaml");
    fleetsim_ok(&[
        "run",
        fleet.to_str().unwrap(),
        "--out",
        single.to_str().unwrap(),
        "--seed",
        &seed,
        "--quiet",
    ]);
    let summary: serde_json::Value =
        serde_json::from_slice(&bytes(&single.join("summary.json"))).unwrap();
    let cells = read_parquet(&out.join("cells.parquet"));
    let value = |name: &str| cells.column(name).unwrap().f64().unwrap().get(0).unwrap();
    assert_eq!(
        value("gpu_utilization"),
        summary["gpu_utilization"]["overall"].as_f64().unwrap()
    );
    assert_eq!(
        value("jobs_completed"),
        summary["jobs"]["completed"].as_f64().unwrap()
    );
    assert_eq!(
        value("gpu_hours"),
        summary["gpu_hours"]["allocated"].as_f64().unwrap()
    );
}

#[test]
fn bad_sweep_files_name_the_file_line_and_field() {
    let cases = [
        (
            "scenario: fleet.yaml\naxes:\n  - {path: \"clusters[name=dc-9].node_pools[0].count\", values: [1]}\n",
            "sweep.yaml:3:",
            "clusters[name=dc-9] selects nothing: names are dc-1, dc-2",
        ),
        (
            "scenario: fleet.yaml\naxes:\n  - path: clusters[0].node_pools[0].count\n    values: [4, many]\n",
            "sweep.yaml:4:17: axes[0].values[1]",
            "clusters[0].node_pools[0].count",
        ),
        (
            "scenario: fleet.yaml\naxes:\n  - {path: horizon, op: multiply, values: [1]}\n",
            "sweep.yaml:3:",
            "unknown op \"multiply\"; expected set, add, scale, append",
        ),
        (
            "scenario: fleet.yaml\nmetrics: [wait_p97_s]\n",
            "sweep.yaml:2:11: metrics[0]",
            "unknown metric \"wait_p97_s\"",
        ),
        (
            "scenario: fleet.yaml\nreport: [\"wait_p95_s{namespace=c}\"]\n",
            "sweep.yaml:2:10: report[0]",
            "no namespace \"c\" in the scenario; it has a, b",
        ),
        (
            "scenario: fleet.yaml\naxes:\n  - {conditions: [lose dc-7]}\n",
            "sweep.yaml:3:19: axes[0].conditions[0]",
            "no cluster \"dc-7\"",
        ),
        (
            "scenario: nowhere.yaml\n",
            "sweep.yaml:1:11: scenario",
            "no file",
        ),
        (
            "scenario: fleet.yaml\naxes:\n  - {path: seed, values: {from: 3, to: 1}}\n",
            "sweep.yaml:3:",
            "to must not be below from",
        ),
        (
            "scenario: fleet.yaml\nreplicas: 2\n",
            "sweep.yaml:2:1",
            "unknown field `replicas`",
        ),
    ];
    for (text, position, message) in cases {
        let (_tmp, sweep_file) = setup(SMALL_FLEET, text);
        common::assert_bad_input("sweep", &sweep_file, position, message);
    }
}

#[test]
fn a_folder_of_another_sweep_is_refused() {
    let (tmp, sweep_file) = setup(SMALL_FLEET, "scenario: fleet.yaml\nreplications: 1\n");
    let out = tmp.path().join("out");
    sweep(&sweep_file, &out, &[]);
    std::fs::write(&sweep_file, "scenario: fleet.yaml\nreplications: 2\n").unwrap();
    let output = fleetsim(&[
        "sweep",
        sweep_file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("holds another sweep"), "{stderr}");
}
