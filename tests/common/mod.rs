//! What the end-to-end tests share: running the binary on a scenario.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `fleetsim run SCENARIO --out DIR --quiet --format csv` into a fresh temporary folder
/// and asserts it succeeded; returns the folder (kept alive by the caller) and the output
/// folder inside it. CSV, so tests can read rows as text.
#[allow(dead_code)]
pub fn run_quiet(scenario: &Path) -> (tempfile::TempDir, PathBuf) {
    run_quiet_with(scenario, &["--format", "csv"])
}

/// As [`run_quiet`], with `extra` arguments instead of `--format csv`.
#[allow(dead_code)]
pub fn run_quiet_with(scenario: &Path, extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_fleetsim"))
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (tmp, out)
}

/// The rows of a CSV file with a header.
#[allow(dead_code)]
pub fn rows(file: &Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(file)
        .unwrap()
        .records()
        .map(|r| r.unwrap())
        .collect()
}
