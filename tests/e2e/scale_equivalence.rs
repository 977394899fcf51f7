//! The fast paths change nothing: a debug build, checking every invariant after every event,
//! and a release build write the same summary.json and jobs table for a miniature of
//! fleet-1m (tests/scenarios/scale-small.yaml).
//!
//! The release binary comes from `FLEETSIM_RELEASE_BIN` (CI builds it once and sets this);
//! without it the test says so and skips, unless `FLEETSIM_REQUIRE_RELEASE=1`.

use crate::common;

use std::path::Path;
use std::process::Command;

#[test]
fn debug_with_invariants_and_release_agree() {
    if common::skip_slow() {
        return;
    }
    let Some(release) = common::release_bin() else {
        return;
    };
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/scale-small.yaml");
    let dir = tempfile::tempdir().unwrap();
    let run = |binary: &std::ffi::OsStr, out: &Path, extra: &[&str]| {
        let status = Command::new(binary)
            .arg("run")
            .arg(&scenario)
            .arg("--out")
            .arg(out)
            .args(["--quiet", "--format", "csv"])
            .args(extra)
            .status()
            .unwrap();
        assert!(status.success(), "{binary:?} failed: {status}");
    };
    let checked = dir.path().join("debug");
    let fast = dir.path().join("release");
    run(
        env!("CARGO_BIN_EXE_fleetsim").as_ref(),
        &checked,
        &["--check-invariants"],
    );
    run(&release, &fast, &[]);
    for file in [
        "summary.json",
        "jobs.csv",
        "timeline.csv",
        "queue.csv",
        "events.csv",
    ] {
        let (a, b) = (
            std::fs::read(checked.join(file)).unwrap(),
            std::fs::read(fast.join(file)).unwrap(),
        );
        assert!(
            a == b,
            "{file} differs between the debug and the release build"
        );
    }
    // Not a vacuous comparison: the run did what the scenario sets up.
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(checked.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["jobs"]["submitted"], 3000);
    assert_eq!(summary["jobs"]["completed"], 3000);
    assert!(summary["faults"]["restarts"].as_u64().unwrap() > 0);
}
