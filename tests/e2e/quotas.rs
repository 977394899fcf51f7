//! Quotas: the ResourceQuota estimator plugin, and budgets under duplicated, split and
//! federated quota, against hand calculations.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Runs `scenario` with each (from, to) edit applied; returns summary.json, jobs.csv, quota.csv.
fn run(scenario: &str, edits: &[(&str, &str)]) -> (serde_json::Value, String, String) {
    let original = path(scenario);
    let mut text = std::fs::read_to_string(&original).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, to);
    }
    // Beside the original, so its relative includes still resolve.
    let stem = original.file_stem().unwrap().to_string_lossy().into_owned();
    let edited = original.with_file_name(format!(
        ".{stem}-{}-{}.yaml",
        std::process::id(),
        edits.iter().map(|(_, to)| to.len()).sum::<usize>()
    ));
    std::fs::write(&edited, text).unwrap();
    let (_run, out) = common::run_quiet(&edited);
    std::fs::remove_file(&edited).unwrap();
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
    (
        serde_json::from_str(&read("summary.json")).unwrap(),
        read("jobs.csv"),
        read("quota.csv"),
    )
}

fn column<'a>(csv: &'a str, name: &str, column: usize) -> &'a str {
    csv.lines()
        .find(|l| l.split(',').nth(1) == Some(name))
        .unwrap()
        .split(',')
        .nth(column)
        .unwrap()
}

#[test]
fn the_quota_plugin_keeps_jobs_away_from_a_cluster_without_quota() {
    // dc-01 (32 GPUs, 8 used by long-run) estimates 24 / 4 = 6, dc-02 16 / 4 = 4: without the
    // plugin every 4-GPU job goes to dc-01, where the team's 8-GPU quota is used up; two start
    // when long-run ends at 1 d, the third 2 h later. With it, dc-01 answers 0: all run at once.
    let (with_plugin, jobs, _) = run("examples/scenarios/quota-plugin.yaml", &[]);
    let (without, jobs_without, _) = run(
        "examples/scenarios/quota-plugin.yaml",
        &[(
            "ResourceQuotaEstimate: true",
            "ResourceQuotaEstimate: false",
        )],
    );
    for name in ["train-1", "train-2", "train-3"] {
        assert_eq!(column(&jobs, name, 13), "dc-02:1");
        assert_eq!(column(&jobs, name, 8), "0.000");
        assert_eq!(column(&jobs_without, name, 13), "dc-01:1");
    }
    assert_eq!(column(&jobs_without, "train-1", 6), "86400.000");
    assert_eq!(column(&jobs_without, "train-3", 6), "93600.000");
    assert!(
        without["waiting_s"]["mean"].as_f64().unwrap()
            > with_plugin["waiting_s"]["mean"].as_f64().unwrap()
    );
}

#[test]
fn explain_shows_the_plugins_zero_for_the_cluster_without_quota() {
    let output = Command::new(env!("CARGO_BIN_EXE_fleetsim"))
        .args([
            "explain",
            path("examples/scenarios/quota-plugin.yaml")
                .to_str()
                .unwrap(),
            "--job",
            "train-1",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("dc-01    passed        0  general=6 resource-quota=0"),
        "{stdout}"
    );
    assert!(
        stdout.contains("dc-02    passed        0  general=4 resource-quota=4"),
        "{stdout}"
    );
}

#[test]
fn duplicated_quota_lets_a_team_run_over_budget() {
    // The scenario's status is always current (status_period 0s), so j1 sees j0 on c1.
    // Budget 8 GPUs, 8 per cluster in both clusters: j0 and j1 (8 GPUs each) run side by side
    // for an hour, 16 GPUs: 8 GPU-hours over budget, peak 8; granted 16, all used.
    let (summary, _, quota) = run("tests/scenarios/budget-small.yaml", &[]);
    let team = &summary["namespaces"]["team"];
    assert_eq!(team["budget_gpus"], 8);
    assert_eq!(team["quota_granted_gpus"], 16);
    assert_eq!(team["gpu_hours_used"], 16.0);
    assert_eq!(team["over_budget_gpu_hours"], 8.0);
    assert_eq!(team["peak_over_budget_gpus"], 8.0);
    assert_eq!(team["reserved_idle_gpu_hours"], 0.0);
    assert_eq!(summary["jobs"]["completed"], 2);
    assert!(
        quota.lines().any(|l| l == "0.000,team,16.000,8,16,8.000"),
        "{quota}"
    );
}

#[test]
fn federated_quota_keeps_the_team_within_budget() {
    // Overall 8: j0 is admitted, j1's assignment is denied (8 + 8 > 8) and retried on the
    // backoff schedule 0, 1, 3, 7, 15, 25, … s (doubling to the 10-s cap, flushed on the 1-s
    // grid); j0 ends at 3600 s and j1 is admitted at the next retry, 3605 s, running to 7205 s.
    // Never over budget; 16 GPU-hours used; 8 GPUs idle for 5 s = 0.011111 GPU-h.
    let (summary, jobs, quota) = run(
        "tests/scenarios/budget-small.yaml",
        &[("quota_mode: duplicated", "quota_mode: federated")],
    );
    let team = &summary["namespaces"]["team"];
    assert_eq!(team["quota_granted_gpus"], 8);
    assert_eq!(team["over_budget_gpu_hours"], 0.0);
    assert_eq!(team["peak_over_budget_gpus"], 0.0);
    assert_eq!(team["gpu_hours_used"], 16.0);
    assert_eq!(team["reserved_idle_gpu_hours"], 0.011111);
    assert_eq!(column(&jobs, "j1", 6), "3605.000");
    assert!(
        column(&jobs, "j1", 15).is_empty(),
        "the admitted retry clears the failure"
    );
    // At no change does the team use more than its overall limit.
    for line in quota.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        assert!(fields[2].parse::<f64>().unwrap() <= 8.0, "{line}");
    }
}

#[test]
fn split_quota_caps_each_cluster() {
    // 4 GPUs per cluster: an 8-GPU pod is refused by either member's quota admission forever.
    let (summary, _, _) = run(
        "tests/scenarios/budget-small.yaml",
        &[("quota_mode: duplicated", "quota_mode: split")],
    );
    let team = &summary["namespaces"]["team"];
    assert_eq!(team["quota_granted_gpus"], 8);
    assert_eq!(team["gpu_hours_used"], 0.0);
    assert_eq!(summary["jobs"]["queued"], 2);
}

#[test]
fn the_budget_example_is_over_budget_only_with_duplicated_quota() {
    // A smaller share of the workload keeps the debug build quick; over-budget use appears
    // within the first day.
    let fewer = ("jobs: 3000", "jobs: 400");
    let shorter = ("horizon: 3d", "horizon: 1d");
    let (duplicated, _, _) = run("examples/scenarios/quota-budget.yaml", &[fewer, shorter]);
    let federated_mode = ("quota_mode: duplicated", "quota_mode: federated");
    let (federated, _, _) = run(
        "examples/scenarios/quota-budget.yaml",
        &[fewer, shorter, federated_mode],
    );
    for summary in [&duplicated, &federated] {
        let jobs = &summary["jobs"];
        let ended: u64 = [
            "completed",
            "running",
            "queued",
            "unschedulable",
            "unmatched",
        ]
        .iter()
        .map(|k| jobs[k].as_u64().unwrap())
        .sum();
        assert_eq!(ended, jobs["submitted"].as_u64().unwrap());
    }
    for team in ["llm", "vision", "research"] {
        assert!(
            duplicated["namespaces"][team]["over_budget_gpu_hours"]
                .as_f64()
                .unwrap()
                > 0.0,
            "{team}"
        );
        assert_eq!(
            federated["namespaces"][team]["over_budget_gpu_hours"], 0.0,
            "{team}"
        );
    }
}
