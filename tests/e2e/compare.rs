//! `fleetsim compare`: a run against itself, against a worse placement policy, replications,
//! the Markdown and JUnit it writes, and bad input.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use reports::compare::{ThresholdsFile, compare, render_junit, render_markdown};

fn fleetsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fleetsim"))
        .args(args)
        .output()
        .unwrap()
}

fn compare_dirs(base: &Path, new: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "compare",
        base.to_str().unwrap(),
        new.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    fleetsim(&args)
}

/// The quickstart with another member placement policy, written beside the temporary folder.
fn quickstart_with(dir: &Path, policy: &str) -> PathBuf {
    let quickstart =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios/quickstart.yaml");
    let text = std::fs::read_to_string(quickstart).unwrap();
    let from = "member_placement: least-allocated";
    assert!(text.contains(from));
    let path = dir.join(format!("quickstart-{policy}.yaml"));
    std::fs::write(
        &path,
        text.replace(from, &format!("member_placement: {policy}")),
    )
    .unwrap();
    path
}

/// Checks the JUnit XML has what the schema requires: a `testsuite` with `name`, `tests` and
/// `failures`, `testcase`s with `name` and `classname`, and a `failure` with a `message` per
/// failed case; returns the names of the failed cases.
fn junit_failures(xml: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .expect("a testsuite");
    for attribute in ["name", "tests", "failures"] {
        assert!(
            suite.attribute(attribute).is_some(),
            "testsuite lacks {attribute}"
        );
    }
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(suite.attribute("tests").unwrap(), cases.len().to_string());
    let mut failed = Vec::new();
    for case in &cases {
        assert!(case.attribute("name").is_some() && case.attribute("classname").is_some());
        if let Some(failure) = case.children().find(|n| n.has_tag_name("failure")) {
            assert!(failure.attribute("message").is_some());
            failed.push(case.attribute("name").unwrap().to_owned());
        }
    }
    assert_eq!(
        suite.attribute("failures").unwrap(),
        failed.len().to_string()
    );
    failed
}

#[test]
fn a_worse_policy_fails_and_the_same_run_passes() {
    if common::skip_slow() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (_a, best_fit) = common::run_quiet(&quickstart_with(tmp.path(), "BestFit"));
    let (_b, random) = common::run_quiet(&quickstart_with(tmp.path(), "Random"));

    let out = tmp.path().join("same");
    let output = compare_dirs(&best_fit, &best_fit, &out, &[]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let xml = std::fs::read_to_string(out.join("comparison.xml")).unwrap();
    assert!(junit_failures(&xml).is_empty());
    let markdown = std::fs::read_to_string(out.join("comparison.md")).unwrap();
    assert!(markdown.contains("**No regression.**"), "{markdown}");

    // Random placement fragments the nodes: jobs wait longer than with BestFit.
    // The two scenario files differ in their policy: comparing them is asked for.
    let out = tmp.path().join("worse");
    let output = compare_dirs(&best_fit, &random, &out, &["--allow-different-scenarios"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let failing: Vec<&str> = stdout
        .lines()
        .filter(|l| l.ends_with("FAIL"))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert!(failing.contains(&"waiting_s.p95"), "{stdout}");
    let xml = std::fs::read_to_string(out.join("comparison.xml")).unwrap();
    assert_eq!(
        junit_failures(&xml),
        failing.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    );
    let markdown = std::fs::read_to_string(out.join("comparison.md")).unwrap();
    assert!(markdown.contains("**Regression** in"), "{markdown}");
    assert!(markdown.contains("`waiting_s.p95`"), "{markdown}");

    // A threshold file can loosen a limit: p95 waiting may now grow by 1000 %.
    let thresholds = tmp.path().join("thresholds.yaml");
    std::fs::write(
        &thresholds,
        "metrics:\n  waiting_s.p95: {max_worse_pct: 1000}\n  waiting_s.mean: {max_worse_pct: 1000}\n  jct_s.mean: {max_worse_pct: 1000}\n",
    )
    .unwrap();
    let output = compare_dirs(
        &best_fit,
        &random,
        &tmp.path().join("loose"),
        &[
            "--thresholds",
            thresholds.to_str().unwrap(),
            "--allow-different-scenarios",
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn unreadable_input_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let output = compare_dirs(&empty, &empty, &tmp.path().join("out"), &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no summary.json"));
    let broken = tmp.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(broken.join("summary.json"), "{\"scenario\": 1}").unwrap();
    let output = compare_dirs(&broken, &broken, &tmp.path().join("out"), &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("not a fleetsim summary"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A summary with the given p95 waiting time and utilization, everything else fixed.
fn summary(p95: f64, utilization: f64) -> reports::Summary {
    let text = format!(
        r#"{{"scenario":"s","seed":1,"fleetsim_version":"0","horizon_s":null,"end_s":100.0,
        "gpu_utilization":{{"overall":{utilization},"per_cluster":{{"a":{utilization}}},"per_gpu_model":{{}}}},
        "jobs":{{"submitted":10,"completed":10,"running":0,"queued":0,"unschedulable":0,"unmatched":0}},
        "waiting_s":{{"count":10,"mean":50.0,"p50":40.0,"p95":{p95},"p99":{p95}}},
        "waiting_s_per_priority_class":{{}},
        "jct_s":{{"count":10,"mean":500.0,"p50":400.0,"p95":900.0,"p99":990.0}},
        "gpu_hours":{{"allocated":1.0}},
        "member_pods":{{"sent":10,"waited":0,"waited_share":0.0,"extra_wait_s":0.0}},
        "namespaces":{{}}}}"#
    );
    serde_json::from_str(&text).unwrap()
}

fn verdict(base: &[reports::Summary], new: &[reports::Summary], name: &str) -> bool {
    compare(base, new, &ThresholdsFile::default())
        .into_iter()
        .find(|m| m.name == name)
        .unwrap()
        .failed
}

#[test]
fn replications_fail_only_on_a_significant_regression() {
    let base = [summary(100.0, 0.8), summary(101.0, 0.8), summary(99.0, 0.8)];
    // +6 % on every seed: significant and over the 5 % threshold.
    let steady = [
        summary(106.0, 0.8),
        summary(107.0, 0.8),
        summary(105.0, 0.8),
    ];
    assert!(verdict(&base, &steady, "waiting_s.p95"));
    // The same +6 % mean, but so noisy that the change is within the confidence interval.
    let noisy = [summary(80.0, 0.8), summary(130.0, 0.8), summary(108.0, 0.8)];
    assert!(!verdict(&base, &noisy, "waiting_s.p95"));
    // One run each: the threshold alone decides.
    assert!(verdict(&base[..1], &noisy[2..], "waiting_s.p95"));
    // Utilization down 1.5 points fails; down 0.5 does not.
    assert!(verdict(
        &[summary(100.0, 0.8)],
        &[summary(100.0, 0.785)],
        "gpu_utilization.overall"
    ));
    assert!(!verdict(
        &[summary(100.0, 0.8)],
        &[summary(100.0, 0.795)],
        "gpu_utilization.overall"
    ));
}

#[test]
fn markdown_and_junit_snapshots() {
    let base = [summary(100.0, 0.8)];
    let new = [summary(120.0, 0.81)];
    let comparisons = compare(&base, &new, &ThresholdsFile::default());
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let markdown = render_markdown(&comparisons, 1, 1, 0.95);
    if std::env::var_os("FLEETSIM_WRITE_SNAPSHOTS").is_some() {
        std::fs::write(snapshots.join("compare.md"), &markdown).unwrap();
        std::fs::write(snapshots.join("compare.xml"), render_junit(&comparisons)).unwrap();
    }
    let expected = std::fs::read_to_string(snapshots.join("compare.md")).unwrap();
    assert_eq!(markdown, expected, "\n{markdown}");
    let junit = render_junit(&comparisons);
    let expected = std::fs::read_to_string(snapshots.join("compare.xml")).unwrap();
    assert_eq!(junit, expected, "\n{junit}");
    assert_eq!(junit_failures(&junit), ["waiting_s.p95"]);
}

/// Replications of `summary(p95, 0.8)`, one sub-folder each, in a new folder `name`.
fn replications(dir: &Path, name: &str, p95s: &[f64]) -> PathBuf {
    let folder = dir.join(name);
    for (idx, p95) in p95s.iter().enumerate() {
        let run = folder.join(format!("seed-{idx}"));
        std::fs::create_dir_all(&run).unwrap();
        let text = serde_json::to_string(&summary(*p95, 0.8)).unwrap();
        std::fs::write(run.join("summary.json"), text).unwrap();
    }
    folder
}

/// `compare` with a thresholds file of `text`; the exit code and stderr.
fn with_thresholds(text: &str) -> (Option<i32>, String, PathBuf, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let base = replications(tmp.path(), "base", &[100.0, 101.0, 99.0]);
    let new = replications(tmp.path(), "new", &[100.0, 102.0, 98.0]);
    let thresholds = tmp.path().join("thresholds.yaml");
    std::fs::write(&thresholds, text).unwrap();
    let out = tmp.path().join("out");
    let output = compare_dirs(
        &base,
        &new,
        &out,
        &["--thresholds", thresholds.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stderr, out, tmp)
}

#[test]
fn a_misspelt_metric_is_refused_with_the_closest_name() {
    let (code, stderr, out, _tmp) = with_thresholds(
        "metrics:\n  waiting_s.p95: {max_worse_pct: 5}\n  waiting_s.p59: {max_worse_pct: 1}\n",
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr
            .contains("thresholds.yaml:3:3: metrics.waiting_s.p59: unknown metric `waiting_s.p59`"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `waiting_s.p95`?"), "{stderr}");
    // Nothing is written for a gate that cannot be trusted.
    assert!(!out.exists());
}

#[test]
fn confidence_and_threshold_signs_are_checked() {
    let (code, stderr, _, _tmp) = with_thresholds("confidence: 95\n");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("thresholds.yaml:1:13: confidence: expected a fraction strictly between 0 and 1, got 95 (for 95 %, write 0.95)"),
        "{stderr}"
    );
    let (code, stderr, _, _tmp) = with_thresholds("metrics:\n  jct_s.mean: {max_worse_pct: -5}\n");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("metrics.jct_s.mean.max_worse_pct: expected a finite number ≥ 0"),
        "{stderr}"
    );
}

#[test]
fn the_markdown_states_the_confidence_used() {
    let (code, stderr, out, _tmp) = with_thresholds("confidence: 0.9\n");
    assert_eq!(code, Some(0), "{stderr}");
    let markdown = std::fs::read_to_string(out.join("comparison.md")).unwrap();
    assert!(
        markdown.contains("means with 90 % confidence intervals of the change"),
        "{markdown}"
    );
    assert!(!markdown.contains("95 %"), "{markdown}");
}

#[test]
fn list_metrics_prints_what_a_thresholds_file_may_name() {
    let tmp = tempfile::tempdir().unwrap();
    let base = replications(tmp.path(), "base", &[100.0, 101.0]);
    let output = fleetsim(&["compare", "--list-metrics", base.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let names: Vec<&str> = stdout.lines().collect();
    // The summary has one cluster, `a`, no priority classes, no balance groups, no budgets.
    for name in [
        "gpu_utilization.overall",
        "waiting_s.p95",
        "jct_s.mean",
        "gpu_utilization.per_cluster.a",
    ] {
        assert!(names.contains(&name), "{name} missing from\n{stdout}");
    }
    assert_eq!(
        names
            .iter()
            .filter(|n| n.starts_with("waiting_s_per_priority_class"))
            .count(),
        0
    );
    // Base and new are not needed with --list-metrics, and not allowed with it.
    let both = fleetsim(&[
        "compare",
        base.to_str().unwrap(),
        base.to_str().unwrap(),
        "--list-metrics",
        base.to_str().unwrap(),
    ]);
    assert_eq!(both.status.code(), Some(2));
}
