//! The whole path (scenario file → control plane → reports) on a fleet small enough to work
//! out by hand. The control plane's own test (scheduler/src/control_tests.rs) derives the
//! placements and times; here the summary is checked against the same hand calculation:
//!
//! alpha (16 GPUs of A) holds 8 GPUs for 0–10 s, 12 for 10–30 s, 14 for 30–3600 s, 6 for
//! 3600–3610 s, 2 for 3610–3630 s, 10 for 3630–5430 s and 2 for 5430–7230 s: 72,000 GPU·s of
//! 16 × 7230 = 115,680 → 0.622407. beta (8 GPUs of B) holds 4 for 10–30 s, 6 for 30–3610 s
//! and 2 for 3610–3630 s: 21,600 of 57,840 → 0.373444. Overall 93,600 of 173,520 → 0.539419.
//! Waits: j0 0, j1 0, j3 0, j2 3610 s (retried on the 30-s grid after 5 minutes until 3630 s).

use crate::common;

use std::path::Path;

#[test]
fn summary_matches_the_hand_calculation() {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/hand-worked.yaml");
    let (_run, out) = common::run_quiet(&scenario);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["end_s"], 7230.0);
    assert_eq!(summary["gpu_utilization"]["overall"], 0.539419);
    assert_eq!(summary["gpu_utilization"]["per_cluster"]["alpha"], 0.622407);
    assert_eq!(summary["gpu_utilization"]["per_cluster"]["beta"], 0.373444);
    assert_eq!(summary["gpu_utilization"]["per_gpu_model"]["A"], 0.622407);
    assert_eq!(summary["jobs"]["completed"], 4);
    assert_eq!(summary["waiting_s"]["p50"], 0.0);
    assert_eq!(summary["waiting_s"]["p99"], 3610.0);
    assert_eq!(summary["waiting_s"]["mean"], 902.5);
    // j0 3600, j1 3600, j3 7200, j2 5410 s; nearest rank p50 = 2nd of [3600, 3600, 5410, 7200].
    assert_eq!(summary["jct_s"]["p50"], 3600.0);
    assert_eq!(summary["jct_s"]["p95"], 7200.0);
    assert_eq!(summary["gpu_hours"]["allocated"], 26.0);
    let jobs = std::fs::read_to_string(out.join("jobs.csv")).unwrap();
    let j2 = jobs.lines().find(|l| l.contains(",j2,")).unwrap();
    assert_eq!(
        j2,
        "2,j2,team,,completed,20.000,3630.000,5430.000,3610.000,5410.000,1,8,4.000000,alpha:1,12,,\
         0,0,0,0.000000,0,"
    );
}

/// Target workload: the typical pods of the two jobs, a 1-GPU and a 2-GPU pod, half each. The
/// idle 2-GPU node hosts both kinds: no fragment. With the 1-GPU job on device 0 the node has
/// one free device: the 2-GPU kind cannot run, so its 1,000 free milli are fragment for half
/// the target, 0.5 GPU; the 1-GPU kind can, and no device is too small for it. With both
/// devices busy nothing is free, so nothing is fragment.
#[test]
fn the_timeline_reports_fragmentation_worked_by_hand() {
    let scenario =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/fragment-small.yaml");
    let (_tmp, out) = common::run_quiet(&scenario);
    let timeline = std::fs::read_to_string(out.join("timeline.csv")).unwrap();
    let rows: Vec<&str> = timeline.lines().collect();
    assert_eq!(
        rows[..3],
        [
            "time_s,cluster,gpu_model,allocated_gpus,capacity_gpus,fragment_gpus,power_watts",
            "0.000,solo,A,0.000,2.000,0.000,",
            "0.000,solo,A,1.000,2.000,0.500,",
        ]
    );
    for row in &rows[3..] {
        let fields: Vec<&str> = row.split(',').collect();
        let expected = match fields[3] {
            "0.000" | "2.000" => "0.000",
            "1.000" => "0.500",
            other => panic!("unexpected allocation {other}: {row}"),
        };
        assert_eq!(fields[5], expected, "{row}");
    }
    assert!(
        rows.iter().any(|r| r.contains(",2.000,2.000,")),
        "{timeline}"
    );
}
