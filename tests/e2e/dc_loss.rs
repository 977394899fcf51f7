//! Losing a data centre (examples/scenarios/dc-loss.yaml): dc-2 is down from 58 h to 64 h.
//! What must hold follows from the scenario, not from fleetsim's output: Karmada marks dc-2
//! unreachable 40 s after it goes silent, the jobs tolerate the NoExecute taint for 300 s, so
//! every eviction happens at 58 h + 340 s; nothing runs on dc-2 while it is down; the summary
//! reports the cost; and a rerun is byte-identical.

use crate::common;

use std::path::{Path, PathBuf};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios/dc-loss.yaml")
}

const DOWN_S: f64 = 58.0 * 3600.0;
const UP_S: f64 = 64.0 * 3600.0;

#[test]
fn losing_a_data_centre_for_six_hours() {
    if common::skip_slow() {
        return;
    }
    let (_tmp, out) = common::run_quiet(&example());
    let events = common::rows(&out.join("events.csv"));
    let at = |kind: &str| -> Vec<f64> {
        events
            .iter()
            .filter(|e| &e[1] == kind)
            .map(|e| e[0].parse().unwrap())
            .collect()
    };
    assert_eq!(at("cluster_down"), [DOWN_S]);
    assert_eq!(at("cluster_not_ready"), [DOWN_S + 40.0]);
    assert_eq!(at("cluster_up"), [UP_S]);
    assert_eq!(at("cluster_ready"), [UP_S + 30.0]);
    let evictions = at("eviction");
    assert!(!evictions.is_empty());
    assert!(
        evictions.iter().all(|t| *t == DOWN_S + 340.0),
        "{evictions:?}"
    );
    // Every job that lost pods with dc-2 was evicted from it.
    let lost_jobs: std::collections::BTreeSet<&str> = events
        .iter()
        .filter(|e| &e[1] == "pods_lost")
        .map(|e| e.get(4).unwrap())
        .collect();
    let evicted_jobs: std::collections::BTreeSet<&str> = events
        .iter()
        .filter(|e| &e[1] == "eviction")
        .map(|e| e.get(4).unwrap())
        .collect();
    assert_eq!(lost_jobs, evicted_jobs);

    // Nothing is allocated on dc-2 while it is down.
    for row in common::rows(&out.join("timeline.csv")) {
        let time: f64 = row[0].parse().unwrap();
        if &row[1] == "dc-2" && (DOWN_S..UP_S).contains(&time) {
            assert_eq!(&row[3], "0.000", "{row:?}");
            assert_eq!(&row[4], "0.000", "{row:?}");
        }
    }

    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let faults = &summary["faults"];
    assert_eq!(
        faults["evictions"].as_u64().unwrap(),
        evictions.len() as u64
    );
    assert!(faults["lost_gpu_hours"].as_f64().unwrap() > 0.0);
    assert!(faults["recovery_s"]["count"].as_u64().unwrap() > 0);
    // Recovery starts at the loss and cannot end before the eviction.
    assert!(faults["recovery_s"]["p50"].as_f64().unwrap() >= 340.0);
}

#[test]
fn losing_a_data_centre_is_deterministic() {
    if common::skip_slow() {
        return;
    }
    let (_a, first) = common::run_quiet_with(&example(), &[]);
    let (_b, second) = common::run_quiet_with(&example(), &[]);
    for file in [
        "summary.json",
        "jobs.parquet",
        "events.parquet",
        "timeline.parquet",
        "report.html",
    ] {
        assert_eq!(
            std::fs::read(first.join(file)).unwrap(),
            std::fs::read(second.join(file)).unwrap(),
            "{file}"
        );
    }
}
