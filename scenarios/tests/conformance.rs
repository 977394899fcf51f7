//! The bundled conformance cases (`tests/conformance` at the workspace root: decision cases,
//! and timeline cases in `timeline/`), run through the library as `fleetsim conformance` runs
//! them, so `cargo test -p scenarios` checks them without building the binary.

use std::path::{Path, PathBuf};

use scenarios::conformance::{self, CaseResult};

fn bundled(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/conformance")
        .join(sub)
}

fn failures(results: &[CaseResult]) -> String {
    results
        .iter()
        .filter(|r| !r.passed())
        .map(CaseResult::line)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn decision_cases_pass() {
    let results = conformance::run_dir(&bundled("")).unwrap();
    assert!(results.len() >= 100, "{}", results.len());
    assert_eq!(failures(&results), "");
}

#[test]
fn timeline_cases_pass() {
    let results = conformance::run_dir(&bundled("timeline")).unwrap();
    assert!(results.len() >= 15, "{}", results.len());
    assert_eq!(failures(&results), "");
}

#[test]
fn shared_cases_pass() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance");
    if !shared.is_dir() {
        // A user's checkout has no ../shared; the root crate's test requires it under CI.
        return;
    }
    let results = conformance::run_dir(&shared).unwrap();
    assert_eq!(failures(&results), "");
}

/// A timeline case of one cluster and one job, with `expect` as given.
fn timeline_case(expect: &str) -> String {
    format!(
        "kind: timeline
name: t
scenario:
  name: s
  clusters: [{{name: member-a, node_pools: [{{name: cpu, count: 1, cpu: \"8\", memory: 8Gi}}]}}]
  namespaces: [{{name: team}}]
  workload:
    jobs:
      - {{name: j1, submit: 1m, namespace: team, cpu: \"1\", memory: 1Gi, runtime: 1h}}
expect:
{expect}"
    )
}

fn run_text(text: &str) -> Result<CaseResult, String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("case.yaml");
    std::fs::write(&file, text).unwrap();
    conformance::run_file(&file).map_err(|e| e.to_string())
}

#[test]
fn a_timeline_case_matches_events_in_order_per_job() {
    let ok = run_text(&timeline_case(
        "  events:
    - {job: j1, event: submitted, at: 1m}
    - {job: j1, event: scheduled, cluster: member-a, replicas: 1, at: 1m}
    - {job: j1, event: completed, between: [1h, 1h1m1s]}
  absent:
    - {job: j1, event: eviction}
  counts:
    - {event: scheduled, min: 1, max: 1}
",
    ))
    .unwrap();
    assert!(ok.passed(), "{}", ok.line());
    // Out of order: completion before arrival.
    let late = run_text(&timeline_case(
        "  events:
    - {job: j1, event: completed}
    - {job: j1, event: submitted}
",
    ))
    .unwrap();
    assert_eq!(
        late.line(),
        "FAIL t: expected event {job j1, submitted} at or after 1h1m, got j1: [1m submitted]"
    );
    let absent = run_text(&timeline_case(
        "  absent:
    - {job: j1, event: started}
",
    ))
    .unwrap();
    assert_eq!(
        absent.line(),
        "FAIL t: expected no event {job j1, started}, got j1 1m started"
    );
    let counted = run_text(&timeline_case(
        "  counts:
    - {event: scheduled, cluster: member-a, min: 2}
",
    ))
    .unwrap();
    assert_eq!(
        counted.line(),
        "FAIL t: expected at least 2 events {scheduled, cluster member-a}, got 1"
    );
}

#[test]
fn a_bad_timeline_case_names_file_line_and_field() {
    let cases = [
        (
            "  events:\n    - {job: j1, event: launched}\n",
            "case.yaml:12:",
            "expect.events[0].event: unknown event \"launched\"",
        ),
        (
            "  events:\n    - {job: j9, event: started}\n",
            "case.yaml:12:",
            "expect.events[0].job: no job \"j9\"",
        ),
        (
            "  absent:\n    - {event: started, cluster: member-z}\n",
            "case.yaml:12:",
            "expect.absent[0].cluster: no cluster \"member-z\"; the scenario declares: member-a",
        ),
        (
            "  events:\n    - {event: started, at: 1m, between: [1m, 2m]}\n",
            "case.yaml:12:",
            "expect.events[0].between: give at or between, not both",
        ),
        (
            "  events:\n    - {event: started, at: soon}\n",
            "case.yaml:12:",
            "expect.events[0].at:",
        ),
        (
            "  events:\n    - {event: started, min: 1}\n",
            "case.yaml:12:",
            "min and max belong in expect.counts",
        ),
        (
            "  counts:\n    - {event: started}\n",
            "case.yaml:12:",
            "a count needs min, max or both",
        ),
        (
            "  events: []\n",
            "case.yaml",
            "a timeline case expects something",
        ),
    ];
    for (expect, at, message) in cases {
        let err = run_text(&timeline_case(expect)).unwrap_err();
        assert!(err.contains(at) && err.contains(message), "{err}");
    }
    // The scenario is checked as a scenario file, with lines in the case file.
    let err = run_text(&timeline_case("  events: []\n").replace("runtime: 1h", "runtime: long"))
        .unwrap_err();
    assert!(
        err.contains("case.yaml:9:") && err.contains("scenario.workload.jobs[0].runtime")
            || err.contains("workload.jobs[0].runtime"),
        "{err}"
    );
    let err = run_text("kind: timeline\nname: t\nexpect: {events: []}\n").unwrap_err();
    assert!(err.contains("scenario"), "{err}");
    let err = run_text("name: t\n").unwrap_err();
    assert!(err.contains("kind"), "{err}");
    let err = run_text(&timeline_case("  events: []\n").replace("kind: timeline", "kind: timline"))
        .unwrap_err();
    assert!(
        err.contains("case.yaml:1:7: kind: unknown kind \"timline\"; expected divide, select, estimate or timeline"),
        "{err}"
    );
}

#[test]
fn an_estimate_case_refuses_what_the_member_cannot_hold() {
    let case = |nodes: &str, requests: &str| {
        format!(
            "kind: estimate
name: e
clusters:
  - name: member1
    nodes:
      - {nodes}
binding: {{replicas: 1, requests: {requests}}}
expect: {{max_replicas: {{member1: 1}}}}
"
        )
    };
    let node =
        "{allocatable: {cpu: '8', memory: 16Gi, pods: '10'}, requested: {cpu: '2'}, pods: 1}";
    let ok = run_text(&case(node, "{cpu: '6'}")).unwrap();
    assert!(ok.passed(), "{}", ok.line());
    let err = run_text(&case(node, "{cpu: '1', example.com/fpga: '1'}")).unwrap_err();
    assert!(
        err.contains("binding.requests.example.com/fpga") && err.contains("cannot be estimated"),
        "{err}"
    );
    let err = run_text(&case(
        "{allocatable: {cpu: '8', memory: 16Gi, pods: '10'}, requested: {cpu: '2'}, pods: 0}",
        "{cpu: '1'}",
    ))
    .unwrap_err();
    assert!(
        err.contains("clusters[0].nodes[0].requested") && err.contains("pods ≥ 1"),
        "{err}"
    );
    let err = run_text(&case(
        "{allocatable: {cpu: '8', memory: 16Gi, pods: '10'}, requested: {cpu: '9'}, pods: 1}",
        "{cpu: '1'}",
    ))
    .unwrap_err();
    assert!(err.contains("more than its allocatable"), "{err}");
}
