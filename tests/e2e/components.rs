//! Multi-component jobs through a scenario file: a launcher and workers scheduled as one set
//! (Karmada's `spec.components` with a single-cluster spread constraint).

use crate::common;

use std::path::Path;

fn scenario(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scenarios")
        .join(name)
}

/// mpi-0 runs 0–3600 s on alpha (all 3 pods). mpi-1 (10 s) finds no cluster with a whole set:
/// cluster selection fails, a plain error retried from the backoff queue after 1, 2, 4, 8 s and
/// then every 10 s (10, 11, 13, 17, 25, 35, …, 3605, 3615 s). The status alpha published at
/// 3600 s was taken as mpi-0 ended, before its pods left (the general estimator reads the
/// published status, every 10 s), so the attempt at 3605 s still sees alpha full; the one at
/// 3615 s, on the 3610 s status, places the set: mpi-1 runs 3615–7215 s, on its 5 + 359 = 364th
/// attempt.
#[test]
fn a_launcher_and_workers_run_as_one_set_in_one_cluster() {
    let (_tmp, out) = common::run_quiet(&scenario("components.yaml"));
    let file = out.join("jobs.csv");
    let header = csv::Reader::from_path(&file)
        .unwrap()
        .headers()
        .unwrap()
        .clone();
    let jobs = common::rows(&file);
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let field = |row: &csv::StringRecord, name: &str| row[column(name)].to_owned();
    let mpi0 = jobs.iter().find(|r| field(r, "name") == "mpi-0").unwrap();
    let mpi1 = jobs.iter().find(|r| field(r, "name") == "mpi-1").unwrap();
    assert_eq!(field(mpi0, "clusters"), "alpha:3");
    assert_eq!(field(mpi0, "start_s"), "0.000");
    assert_eq!(field(mpi0, "end_s"), "3600.000");
    // Three pods, sixteen GPUs.
    assert_eq!(field(mpi0, "replicas"), "3");
    assert_eq!(field(mpi0, "gpus"), "16");
    assert_eq!(field(mpi1, "clusters"), "alpha:3");
    assert_eq!(field(mpi1, "start_s"), "3615.000");
    assert_eq!(field(mpi1, "end_s"), "7215.000");
    assert_eq!(field(mpi1, "attempts"), "364");
}

/// Per-replica fields next to `components` are refused with the job's position.
#[test]
fn a_job_with_components_and_job_level_requests_is_refused() {
    let text = std::fs::read_to_string(scenario("components.yaml"))
        .unwrap()
        .replacen(
            "      runtime: 1h\n",
            "      runtime: 1h\n      gpus: 8\n",
            1,
        );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    std::fs::write(&file, text).unwrap();
    let err = scenarios::load(&file).unwrap_err().to_string();
    assert!(
        err.contains("workload.jobs[0].components")
            && err.contains("per component, not for the whole job"),
        "{err}"
    );
}
