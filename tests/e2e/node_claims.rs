//! Node claims (node selector, tolerations) in member placement and the accurate estimator.

use crate::common;

use std::path::Path;
use std::process::Command;

#[test]
fn claims_steer_pods_and_the_accurate_estimate() {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/node-claims.yaml");
    let (_run, out) = common::run_quiet(&scenario);
    let jobs = std::fs::read_to_string(out.join("jobs.csv")).unwrap();
    let start = |name: &str| {
        jobs.lines()
            .find(|l| l.split(',').nth(1) == Some(name))
            .unwrap()
            .split(',')
            .nth(6)
            .unwrap()
            .to_owned()
    };
    // a takes the open node. b has no claim: the accurate estimator counts only the open pool
    // (full), so b waits in Karmada's queue, retried on the 30-s grid after 5 minutes (330,
    // 660, … s) until a ends at 3600 s: it starts at 3630 s. c tolerates the taint and selects
    // the reserved pool: it starts at once.
    assert_eq!(
        (start("a"), start("b"), start("c")),
        ("0.000".into(), "3630.000".into(), "20.000".into())
    );

    let explain = Command::new(env!("CARGO_BIN_EXE_fleetsim"))
        .args(["explain", scenario.to_str().unwrap(), "--job", "c"])
        .output()
        .unwrap();
    let text = String::from_utf8(explain.stdout).unwrap();
    assert!(text.contains("1 pod(s) on c/reserved-0"), "{text}");
    let explain_b = Command::new(env!("CARGO_BIN_EXE_fleetsim"))
        .args([
            "explain",
            scenario.to_str().unwrap(),
            "--job",
            "b",
            "--at",
            "1m",
        ])
        .output()
        .unwrap();
    let text_b = String::from_utf8(explain_b.stdout).unwrap();
    // General counts 8 free GPUs (the reserved node) → 1; accurate counts none for b → 0.
    assert!(text_b.contains("general=1 accurate=0"), "{text_b}");
}
