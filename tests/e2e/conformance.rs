//! `fleetsim conformance` over the bundled cases, the shared cases, and broken copies.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn conformance(dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fleetsim"))
        .args(["conformance", dir.to_str().unwrap()])
        .output()
        .unwrap()
}

fn bundled() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

fn assert_all_pass(dir: &Path, at_least: usize) {
    let output = conformance(dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let last = stdout.lines().last().unwrap();
    let passed: usize = last.split(' ').next().unwrap().parse().unwrap();
    assert_eq!(last, format!("{passed} passed, 0 failed"));
    assert!(passed >= at_least, "{last}");
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("ok ")).count(),
        passed
    );
}

#[test]
fn bundled_cases_from_karmadas_tables_pass() {
    assert_all_pass(&bundled(), 40);
}

#[test]
fn shared_cases_pass() {
    let Some(shared) = common::shared_or_skip("conformance") else {
        return;
    };
    assert_all_pass(&shared, 18);
}

fn copy_of(case: &str, from: &str, to: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(bundled().join(case)).unwrap();
    assert!(text.contains(from), "{from}");
    std::fs::write(tmp.path().join(case), text.replacen(from, to, 1)).unwrap();
    tmp
}

#[test]
fn an_altered_expectation_fails_with_exit_1() {
    let tmp = copy_of(
        "dynamic-first-schedule-6-8-10.yaml",
        "{name: member3, replicas: 5}",
        "{name: member3, replicas: 6}",
    );
    let output = conformance(tmp.path());
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("FAIL dynamic-first-schedule-6-8-10: expected assignment {member1: 3, member2: 4, member3: 6}, got assignment {member1: 3, member2: 4, member3: 5}"),
        "{stdout}"
    );
    assert!(stdout.ends_with("0 passed, 1 failed\n"), "{stdout}");
}

#[test]
fn a_malformed_case_exits_2_naming_file_and_field() {
    let tmp = copy_of(
        "dynamic-first-schedule-6-8-10.yaml",
        "replicas: 12",
        "replicas: twelve",
    );
    let output = conformance(tmp.path());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("dynamic-first-schedule-6-8-10.yaml:"),
        "{stderr}"
    );
    assert!(stderr.contains("binding.replicas"), "{stderr}");
}

#[test]
fn bundled_timeline_cases_pass() {
    assert_all_pass(&bundled().join("timeline"), 15);
}

#[test]
fn a_malformed_timeline_case_exits_2_naming_file_line_and_field() {
    let case = "frq-denial-backs-off-until-usage-frees.yaml";
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(bundled().join("timeline").join(case)).unwrap();
    let from = "{job: j2, event: quota_denied, at: 1h}";
    assert!(text.contains(from));
    let line = text.lines().position(|l| l.contains(from)).unwrap() + 1;
    std::fs::write(
        tmp.path().join(case),
        text.replacen(from, "{job: j2, event: quota_refused, at: 1h}", 1),
    )
    .unwrap();
    let output = conformance(tmp.path());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("{case}:{line}:")), "{stderr}");
    assert!(stderr.contains("expect.events[2].event"), "{stderr}");
    assert!(stderr.contains("quota_denied"), "{stderr}");
}

#[test]
fn a_timeline_expectation_not_met_fails_with_the_jobs_events() {
    let case = "unschedulable-flush-after-five-minutes.yaml";
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(bundled().join("timeline").join(case)).unwrap();
    let from = "cluster: member-a, replicas: 1, at: 6m30s}";
    assert!(text.contains(from));
    std::fs::write(
        tmp.path().join(case),
        text.replacen(from, "cluster: member-a, replicas: 1, at: 6m}", 1),
    )
    .unwrap();
    let output = conformance(tmp.path());
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("FAIL unschedulable-flush-after-five-minutes: expected event {job j1, scheduled, cluster member-a, replicas 1, at 6m} at or after 1m, got j1: [6m30s scheduled member-a ×1]"),
        "{stdout}"
    );
}
