//! Utilization of installed and of available capacity, GPU-hours down, and per-team figures
//! for every namespace, on a scenario worked by hand.

use crate::common;

use std::path::Path;

#[test]
fn installed_available_and_down_capacity_and_every_team() {
    // Installed: 16 GPUs × 1 h = 16 GPU-h. c2 is down for 0.5 h: 8 × 0.5 = 4 GPU-h down,
    // 12 available. j0 holds 8 GPU-h: 8 / 12 = 0.666667 of the capacity up, 8 / 16 = 0.5 of
    // the capacity installed.
    let scenario =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/capacity-small.yaml");
    let (_tmp, out) = common::run_quiet(&scenario);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["end_s"], 3600.0);
    assert_eq!(summary["gpu_utilization"]["overall"], 0.666667);
    assert_eq!(summary["gpu_utilization"]["of_installed"], 0.5);
    let hours = &summary["gpu_hours"];
    assert_eq!(
        [
            &hours["allocated"],
            &hours["installed"],
            &hours["available"],
            &hours["down"]
        ],
        [8.0, 16.0, 12.0, 4.0]
    );
    // Every namespace has its figures, with or without a budget; `idle` ran nothing.
    let team = &summary["teams"]["team"];
    assert_eq!(team["jobs"]["completed"], 1);
    assert_eq!(team["gpu_hours"], 8.0);
    // Nothing lost or held idle: all of it was work kept.
    assert_eq!(team["goodput"], 1.0);
    assert_eq!(team["waiting_s"]["p95"], 0.0);
    assert_eq!(team["jct_s"]["mean"], 3600.0);
    assert_eq!(summary["teams"]["idle"]["jobs"]["submitted"], 0);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("GPU utilization of the capacity installed"));
    assert!(html.contains("Each team&#39;s jobs") || html.contains("Each team's jobs"));
}
