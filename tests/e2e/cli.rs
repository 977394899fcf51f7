//! End-to-end tests of the `fleetsim` binary.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fleetsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fleetsim"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn quickstart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios/quickstart.yaml")
}

fn run_quickstart(out: &Path, extra: &[&str]) -> Output {
    let scenario = quickstart();
    let mut args = vec![
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = fleetsim(&args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(file).display()))
}

#[test]
fn quickstart_is_deterministic_per_seed() {
    if common::skip_slow() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    let first = run_quickstart(&a, &[]);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        stdout.contains(&format!("results in {}", a.display())),
        "{stdout}"
    );
    run_quickstart(&b, &["--seed", "42"]);
    run_quickstart(&c, &["--seed", "7"]);
    for file in [
        "summary.json",
        "jobs.parquet",
        "timeline.parquet",
        "queue.parquet",
        "report.html",
    ] {
        assert_eq!(
            read(&a, file),
            read(&b, file),
            "{file} differs between identical runs"
        );
        assert_ne!(
            read(&a, file),
            read(&c, file),
            "{file} does not change with the seed"
        );
    }
    // The summary accounts for every job.
    let summary: serde_json::Value = serde_json::from_slice(&read(&a, "summary.json")).unwrap();
    let jobs = &summary["jobs"];
    let total: u64 = ["completed", "running", "queued", "unschedulable"]
        .iter()
        .map(|k| jobs[k].as_u64().unwrap())
        .sum();
    assert_eq!(jobs["submitted"].as_u64(), Some(10_000));
    assert_eq!(total, 10_000);
    // Tables that do not depend on the seed are identical too, and so are the figures.
    let figures: Vec<String> = std::fs::read_dir(a.join("figures"))
        .unwrap()
        .map(|e| format!("figures/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    assert!(figures.len() >= 7, "{figures:?}");
    for file in ["quota.parquet", "events.parquet"]
        .into_iter()
        .chain(figures.iter().map(String::as_str))
    {
        assert_eq!(read(&a, file), read(&b, file), "{file}");
    }
    // Nothing is left behind but the results.
    let mut names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, vec!["a", "b", "c"]);
}

#[test]
fn rerunning_into_a_result_folder_replaces_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let scenario = tmp.path().join("tiny.yaml");
    let text = std::fs::read_to_string(quickstart())
        .unwrap()
        .replace("jobs: 10000", "jobs: 50");
    std::fs::write(&scenario, text).unwrap();
    for _ in 0..2 {
        let output = fleetsim(&[
            "run",
            scenario.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.stdout.is_empty());
    }
    assert!(out.join("summary.json").is_file());
}

#[test]
fn a_folder_that_is_not_a_result_is_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("precious.txt"), "keep me").unwrap();
    let output = fleetsim(&[
        "run",
        quickstart().to_str().unwrap(),
        "--out",
        tmp.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("refusing to overwrite"));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("precious.txt")).unwrap(),
        "keep me"
    );
}

/// Writes the quickstart with one edit and returns fleetsim's exit code and stderr for it.
fn refused(
    command: &str,
    from: &str,
    to: &str,
) -> (Option<i32>, String, PathBuf, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("broken.yaml");
    let text = std::fs::read_to_string(quickstart()).unwrap();
    assert!(text.contains(from));
    std::fs::write(&scenario, text.replacen(from, to, 1)).unwrap();
    let out = tmp.path().join("out");
    let output = match command {
        "run" => fleetsim(&[
            "run",
            scenario.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]),
        _ => fleetsim(&["validate", scenario.to_str().unwrap()]),
    };
    assert!(!out.exists(), "no partial output");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        scenario,
        tmp,
    )
}

/// `file:line:column` of the first occurrence of `token` in the file.
fn position_of(scenario: &Path, token: &str) -> String {
    let text = std::fs::read_to_string(scenario).unwrap();
    let (line_idx, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(token))
        .unwrap();
    let column = line[..line.find(token).unwrap()].chars().count() + 1;
    format!("{}:{}:{}", scenario.display(), line_idx + 1, column)
}

#[test]
fn bad_scenarios_exit_2_naming_file_line_and_field() {
    // (edit from, edit to, token the error must point at, field path and message)
    let cases = [
        (
            "    labels: {tier: burst}",
            "    lables: {tier: burst}",
            "lables",
            "clusters[2].lables: unknown field `lables`",
        ),
        (
            "{name: a100, count: 32,",
            "{name: a100, count: -32,",
            "-32",
            "clusters[1].node_pools[0].count: invalid u32: expected a whole number",
        ),
        (
            "gpu_model: H100}\n  - name: dc-east-2",
            "gpu_model: B200}\n  - name: dc-east-2",
            "B200",
            "clusters[0].node_pools[0].gpu_model: unknown GPU model \"B200\"",
        ),
        (
            "memory: 1Ti, gpus: 8, gpu_model: H100}\n  - name: dc-east-2",
            "memory: 1TB, gpus: 8, gpu_model: H100}\n  - name: dc-east-2",
            "1TB",
            "clusters[0].node_pools[0].memory: invalid quantity \"1TB\"",
        ),
    ];
    for command in ["run", "validate"] {
        for (from, to, token, expected) in cases {
            let (code, stderr, scenario, _tmp) = refused(command, from, to);
            assert_eq!(code, Some(2), "{stderr}");
            let want = format!("error: {}: {expected}", position_of(&scenario, token));
            assert!(stderr.starts_with(&want), "got {stderr}want {want}");
        }
    }
}

/// The quickstart including `paste` (written beside it); `validate`'s exit code and stderr.
fn validate_including(paste: &str) -> (Option<i32>, String, PathBuf, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("paste.yaml");
    std::fs::write(&file, paste).unwrap();
    let mut text = std::fs::read_to_string(quickstart()).unwrap();
    text.push_str("policies: [{include: paste.yaml}]\n");
    let scenario = tmp.path().join("quickstart.yaml");
    std::fs::write(&scenario, text).unwrap();
    let output = fleetsim(&["validate", scenario.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stderr, file, tmp)
}

#[test]
fn a_karmada_paste_validates_with_warnings_and_a_misplaced_field_exits_2() {
    let paste = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {replicas: 2}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: web}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
  placement:
    workloadAffinity: {affinity: {groupByLabelKey: app.group}}
";
    let (code, stderr, file, _tmp) = validate_including(paste);
    assert_eq!(code, Some(0), "{stderr}");
    for warning in [
        format!(
            "warning: {}:2: skipped 1 object of kind Deployment (apps/v1)",
            file.display()
        ),
        format!(
            "warning: {}:12: PropagationPolicy default/web: spec.placement.workloadAffinity is not modelled",
            file.display()
        ),
    ] {
        assert!(stderr.contains(&warning), "{warning} not in {stderr}");
    }
    // clusterAffinity one level too high: Karmada's CRD has no spec.clusterAffinity, and
    // kubectl's strict field validation refuses it.
    let misplaced = paste.replace(
        "    workloadAffinity: {affinity: {groupByLabelKey: app.group}}\n",
        "  clusterAffinity: {clusterNames: [dc-east-1]}\n",
    );
    let (code, stderr, file, _tmp) = validate_including(&misplaced);
    assert_eq!(code, Some(2), "{stderr}");
    let want = format!(
        "error: {}:12:3: spec.clusterAffinity: unknown field `clusterAffinity`",
        file.display()
    );
    assert!(stderr.starts_with(&want), "got {stderr}want {want}");
}

#[test]
fn validate_accepts_the_quickstart() {
    let output = fleetsim(&["validate", quickstart().to_str().unwrap()]);
    assert!(output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("ok (3 clusters, 768 GPUs, 10000 jobs)")
    );
}

#[test]
fn usage_errors_exit_2_and_help_shows_an_example() {
    assert_eq!(fleetsim(&["run"]).status.code(), Some(2));
    assert_eq!(fleetsim(&["frobnicate"]).status.code(), Some(2));
    let help = fleetsim(&["run", "--help"]);
    assert!(help.status.success());
    assert!(
        String::from_utf8_lossy(&help.stdout)
            .contains("fleetsim run examples/scenarios/quickstart.yaml --out")
    );
}

/// A malformed row in any trace a scenario reads, as its fleet or as its workload, stops
/// `validate` and `run` with exit 2, naming the trace file, the line and the column.
#[test]
fn malformed_trace_rows_exit_2_naming_file_line_and_column() {
    let one_job = "namespaces: [{name: team}]
workload:
  jobs: [{name: j, submit: 0s, namespace: team, runtime: 1h}]
";
    let openb_fleet = "fleet_from_trace:
  format: openb-nodes
  file: nodes.csv
  split: {all: c0}
";
    let good_nodes = "sn,cpu_milli,memory_mib,gpu,model\nn0,96000,393216,8,A100\n";
    // (trace file, its text, the scenario's trace settings, expected line:column, message)
    let cases = [
        (
            "nodes.csv",
            format!("{good_nodes}n1,96000,39x216,8,A100\n"),
            format!("{openb_fleet}{one_job}"),
            "3:10",
            "`39x216` is not a whole number of MiB",
        ),
        (
            "machines.csv",
            "m0,T4,96,512,2\nm1,T4,96c,512,2\n".to_string(),
            format!(
                "fleet_from_trace: {{format: pai-machines, file: machines.csv, split: {{all: c0}}}}\n{one_job}"
            ),
            "2:7",
            "`96c` is not a whole number of CPU cores",
        ),
        (
            "philly.csv",
            "timestamp,duration,num_gpus,gpu_time,cluster\n\
             2017-10-09 07:01:55,66.0,1,66.0,vc\n\
             2017-10-09 07:01:56,66.0,two,66.0,vc\n"
                .to_string(),
            format!(
                "{openb_fleet}namespaces: [{{name: team}}]
workload:
  trace: {{format: philly, file: philly.csv, namespace: {{from: cluster, default: team}}}}
"
            ),
            "3:26",
            "`two` is not a whole number of GPUs",
        ),
    ];
    for (file, text, scenario, at, message) in cases {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("nodes.csv"), good_nodes).unwrap();
        std::fs::write(tmp.path().join(file), &text).unwrap();
        let path = tmp.path().join("scenario.yaml");
        std::fs::write(&path, format!("name: t\n{scenario}")).unwrap();
        let out = tmp.path().join("out");
        for args in [
            vec!["validate", path.to_str().unwrap()],
            vec![
                "run",
                path.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
        ] {
            let output = fleetsim(&args);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
            let expected = format!("{}:{at}: ", tmp.path().join(file).display());
            assert!(stderr.contains(&expected), "{args:?}: {stderr}");
            assert!(stderr.trim_end().ends_with(message), "{args:?}: {stderr}");
            assert!(!out.exists(), "no partial output");
        }
    }
}

/// Every bundled example is valid; those reading `../shared/traces` are skipped (with a
/// message) on a machine without them.
#[test]
fn every_example_scenario_validates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        if text.contains("shared/traces") && common::shared_or_skip("traces").is_none() {
            continue;
        }
        let output = fleetsim(&["validate", file.to_str().unwrap()]);
        assert!(
            output.status.success(),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The quickstart cut to `jobs` jobs, written into `dir`.
fn small_quickstart(dir: &Path, jobs: u32) -> PathBuf {
    let scenario = dir.join("small.yaml");
    let text = std::fs::read_to_string(quickstart())
        .unwrap()
        .replace("jobs: 10000", &format!("jobs: {jobs}"));
    std::fs::write(&scenario, text).unwrap();
    scenario
}

#[test]
fn progress_is_logged_off_a_terminal() {
    // The test's pipes are not a terminal: a bar would show nothing, so lines are printed.
    let tmp = tempfile::tempdir().unwrap();
    let scenario = small_quickstart(tmp.path(), 300);
    let out = tmp.path().join("run");
    let args = [
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--progress-every",
        "0s",
    ];
    let output = fleetsim(&args);
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("progress: "))
        .collect();
    assert!(!lines.is_empty(), "{stderr}");
    // The last line is the end of the run: every job arrived.
    let last = lines.last().unwrap();
    assert!(
        last.starts_with("progress: 300/300 jobs arrived (100.0 %), simulated "),
        "{last}"
    );
    assert!(last.contains(" jobs arrived/s"), "{last}");
    // --quiet prints none.
    let output = fleetsim(&[&args[..], &["--quiet"]].concat());
    assert!(output.status.success());
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // bench reports each variant's progress.
    let output = fleetsim(&[
        "bench",
        scenario.to_str().unwrap(),
        "--jobs",
        "200",
        "--nodes",
        "50",
        "--scratch",
        tmp.path().to_str().unwrap(),
        "--progress-every",
        "0s",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("progress: jobs=200: 200/200 jobs arrived (100.0 %)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("progress: nodes=50: 300/300 jobs arrived"),
        "{stderr}"
    );
    // A fleet larger than a scenario may have is an input error, before anything runs.
    let output = fleetsim(&[
        "bench",
        scenario.to_str().unwrap(),
        "--nodes",
        "50,33554433",
        "--scratch",
        tmp.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--nodes 33554433: expected at most 33554432 nodes in a fleet"),
        "{stderr}"
    );
    assert!(!stderr.contains("progress"), "{stderr}");
}

#[test]
fn flags_given_where_they_do_nothing_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let q = quickstart();
    let q = q.to_str().unwrap();
    let dir = tmp.path().to_str().unwrap();
    let cases: [&[&str]; 9] = [
        &["validate", q, "--seed", "1"],
        &["run", q, "--out", dir, "--threads", "2"],
        &["explain", q, "--job", "0", "--threads", "2"],
        &["bench", q, "--seed", "1"],
        &["compare", dir, dir, "--seed", "1"],
        &["report", dir, "--seed", "1"],
        &["merge", dir, "--out", dir, "--threads", "1"],
        &["conformance", dir, "--seed", "1"],
        &["--seed", "1", "run", q, "--out", dir],
    ];
    for args in cases {
        let output = fleetsim(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("unexpected argument '--"),
            "{args:?}: {stderr}"
        );
    }
    // Where they act, they are accepted.
    let output = fleetsim(&["validate", q]);
    assert!(output.status.success());
}

#[test]
fn quiet_conformance_prints_only_failures() {
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let output = fleetsim(&["conformance", cases.to_str().unwrap(), "--quiet"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let output = fleetsim(&["conformance", cases.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&output.stdout).contains(" passed, 0 failed"));
}

#[test]
fn an_internal_error_exits_3_with_one_line_naming_it_a_bug() {
    let output = Command::new(env!("CARGO_BIN_EXE_fleetsim"))
        .args(["validate", quickstart().to_str().unwrap()])
        .env("FLEETSIM_PANIC_FOR_TEST", "1")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("error: internal error at src/main.rs:"),
        "{stderr}"
    );
    assert!(lines[0].contains("This is a bug in fleetsim"), "{stderr}");
    assert!(lines[0].contains("please report it"), "{stderr}");
}

#[test]
fn required_shared_data_fails_a_test_instead_of_skipping_it() {
    let missing = "traces/no-such-trace.csv";
    assert_eq!(common::shared_or_skip_with(missing, false), None);
    let required = std::panic::catch_unwind(|| common::shared_or_skip_with(missing, true));
    let message = *required.unwrap_err().downcast::<String>().unwrap();
    assert!(
        message.ends_with("no-such-trace.csv is missing and FLEETSIM_REQUIRE_TRACES=1 requires it"),
        "{message}"
    );
}

#[test]
fn conformance_on_a_folder_without_cases_is_an_input_error() {
    let tmp = tempfile::tempdir().unwrap();
    let output = fleetsim(&["conformance", tmp.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no case files (*.yaml) in this folder: expected at least one"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}
