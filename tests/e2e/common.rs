//! What the end-to-end tests share: running the binary on a scenario.

use std::path::{Path, PathBuf};
use std::process::Command;

pub use crate::slow::skip_slow;

/// Runs `fleetsim run SCENARIO --out DIR --quiet --format csv` into a fresh temporary folder
/// and asserts it succeeded; returns the folder (kept alive by the caller) and the output
/// folder inside it. CSV, so tests can read rows as text.
pub fn run_quiet(scenario: &Path) -> (tempfile::TempDir, PathBuf) {
    run_quiet_with(scenario, &["--format", "csv"])
}

/// As [`run_quiet`], with `extra` arguments instead of `--format csv`.
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
pub fn rows(file: &Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(file)
        .unwrap()
        .records()
        .map(|r| r.unwrap())
        .collect()
}

/// A scenario of one cluster of `n_nodes` 8-GPU nodes and a constant stream of `n_jobs`
/// one-GPU jobs, one every 60 s, each running 5,000 s; status is published continuously
/// (`status_period: 0`), so the control plane never decides on a stale view.
///
/// At the arrival of job k the jobs still running are those with 60·j + 5000 > 60·k, that is
/// j > k − 83.3: jobs k − 83 to k, 84 of them. So 84 GPUs (11 nodes, 88 GPUs) are enough for
/// no job ever to wait, and with 10 nodes (80 GPUs) job k ≥ 80 cannot start before job k − 80
/// ends, at 60·(k − 80) + 5000 = 60·k + 200 at the earliest: it waits at least 200 s.
pub fn constant_stream_scenario(n_jobs: u32, n_nodes: u32) -> String {
    let mut text = format!(
        "name: constant-stream\nseed: 1\ngpu_models: [{{name: H100}}]\nclusters:\n  - name: c1\n    node_pools: [{{name: gpu, count: {n_nodes}, cpu: \"96\", memory: 1Ti, gpus: 8, gpu_model: H100}}]\nnamespaces: [{{name: team}}]\nscheduler: {{status_period: 0, feature_gates: {{CustomizedClusterResourceModeling: false}}}}\nworkload:\n  jobs:\n"
    );
    for k in 0..n_jobs {
        text.push_str(&format!(
            "    - {{name: j{k}, submit: {}s, namespace: team, gpus: 1, cpu: \"1\", memory: 1Gi, runtime: 5000s}}\n",
            60 * k
        ));
    }
    text
}

/// A plan on `stream.yaml` (a [`constant_stream_scenario`] with 4 nodes): 8-GPU nodes at 3
/// a node added to c1, up to `max`, until p95 waiting is at most 60 s.
pub fn stream_plan(replications: u32, decide_by: &str, max: u32) -> String {
    format!(
        "scenario: stream.yaml
replications: {replications}
decide_by: {decide_by}
shapes:
  gpu8: {{cpu: \"96\", memory: 1Ti, gpus: 8, gpu_model: H100, cost: 3}}
dimensions:
  - {{name: added, add_nodes: {{shape: gpu8, clusters: [c1]}}, max: {max}}}
objective:
  - {{metric: wait_p95_s, at_most: 60s}}
"
    )
}

/// Runs the binary with `args`.
pub fn fleetsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fleetsim"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs the binary with `args` and asserts it succeeded.
pub fn fleetsim_ok(args: &[&str]) -> std::process::Output {
    let output = fleetsim(args);
    assert!(
        output.status.success(),
        "fleetsim {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A Parquet file read back with polars.
pub fn read_parquet(path: &Path) -> reports::polars::prelude::DataFrame {
    use reports::polars::prelude::{ParquetReader, SerReader};
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetReader::new(file).finish().unwrap()
}

/// Runs `fleetsim COMMAND FILE --out OUT` on a bad input file and asserts it exits with code 2,
/// names `position` and says `message` on stderr, and writes no `out`.
pub fn assert_bad_input(command: &str, file: &Path, position: &str, message: &str) {
    let out = file.with_file_name("out");
    let output = fleetsim(&[
        command,
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(file).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{text}: {stderr}");
    assert!(
        stderr.contains(position),
        "{text}: expected {position:?} in {stderr}"
    );
    assert!(
        stderr.contains(message),
        "{text}: expected {message:?} in {stderr}"
    );
    assert!(!out.exists(), "{text}: output written");
}

/// `../shared/<relative>` (traces, shared conformance cases), or `None` with a message on a
/// user's machine without it. With `FLEETSIM_REQUIRE_TRACES=1` (as `.ci/run` sets) a missing
/// file fails the test instead: CI must never pass by skipping.
pub fn shared_or_skip(relative: &str) -> Option<PathBuf> {
    let require = std::env::var_os("FLEETSIM_REQUIRE_TRACES").is_some_and(|v| v == "1");
    shared_or_skip_with(relative, require)
}

/// [`shared_or_skip`] with the requirement given, for testing it.
pub fn shared_or_skip_with(relative: &str, require: bool) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(relative);
    if path.exists() {
        return Some(path);
    }
    assert!(
        !require,
        "{} is missing and FLEETSIM_REQUIRE_TRACES=1 requires it",
        path.display()
    );
    eprintln!("skipped: {} not found", path.display());
    None
}

/// The release build of fleetsim, from `FLEETSIM_RELEASE_BIN` (CI builds it once and sets
/// this), for tests too slow for a debug build; `None` with a message without it, unless
/// `FLEETSIM_REQUIRE_RELEASE=1`, which fails the test instead.
pub fn release_bin() -> Option<std::ffi::OsString> {
    let Some(release) = std::env::var_os("FLEETSIM_RELEASE_BIN") else {
        assert!(
            std::env::var_os("FLEETSIM_REQUIRE_RELEASE").is_none(),
            "FLEETSIM_REQUIRE_RELEASE is set but FLEETSIM_RELEASE_BIN is not"
        );
        eprintln!(
            "skipped: set FLEETSIM_RELEASE_BIN to a release build of fleetsim \
             (cargo build --release; target/release/fleetsim) to run this test"
        );
        return None;
    };
    Some(release)
}
