//! The estimator gap (examples/scenarios/estimator-gap.yaml): the general estimator promises
//! room that no node has; the accurate estimator does not.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios/estimator-gap.yaml")
}

/// Runs the example with `estimators` and returns (summary, jobs.csv).
fn run(estimators: &str) -> (serde_json::Value, String) {
    let text = std::fs::read_to_string(example()).unwrap();
    assert!(text.contains("estimators: [general, accurate]"));
    let scenario = example().with_file_name(format!(
        ".estimator-gap-{}-{}.yaml",
        estimators.len(),
        std::process::id()
    ));
    std::fs::write(
        &scenario,
        text.replace(
            "estimators: [general, accurate]",
            &format!("estimators: {estimators}"),
        ),
    )
    .unwrap();
    let (_run, out) = common::run_quiet(&scenario);
    std::fs::remove_file(&scenario).unwrap();
    let summary =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    (
        summary,
        std::fs::read_to_string(out.join("jobs.csv")).unwrap(),
    )
}

fn row<'a>(jobs: &'a str, name: &str) -> Vec<&'a str> {
    jobs.lines()
        .find(|l| l.split(',').nth(1) == Some(name))
        .unwrap()
        .split(',')
        .collect()
}

#[test]
fn general_alone_sends_the_pod_where_no_node_fits() {
    let (summary, jobs) = run("[general]");
    // frag: 12 free GPUs / 4 = 3, roomy: 8 / 4 = 2; the one seat goes to frag (Webster,
    // weights 3:2), where every node has 2 free GPUs. The pod waits until the filler ends at
    // 1 day.
    let needs = row(&jobs, "needs-4");
    assert_eq!(
        (needs[13], needs[6], needs[8]),
        ("frag:1", "86400.000", "86340.000")
    );
    assert_eq!(summary["member_pods"]["sent"], 7);
    assert_eq!(summary["member_pods"]["waited"], 1);
    assert_eq!(summary["member_pods"]["waited_share"], 0.142857);
    // It waited in frag from 60 s until the filler's replicas ended at 86,400 s.
    assert_eq!(summary["member_pods"]["extra_wait_s"], 86340.0);
}

#[test]
fn accurate_estimator_sends_it_where_it_runs() {
    let (summary, jobs) = run("[general, accurate]");
    let needs = row(&jobs, "needs-4");
    assert_eq!(
        (needs[13], needs[6], needs[8]),
        ("roomy:1", "60.000", "0.000")
    );
    assert_eq!(summary["member_pods"]["waited"], 0);
}

#[test]
fn explain_shows_both_estimators_answers() {
    let output = Command::new(env!("CARGO_BIN_EXE_fleetsim"))
        .args(["explain", example().to_str().unwrap(), "--job", "needs-4"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("frag     passed        0  general=3 accurate=0"),
        "{stdout}"
    );
    assert!(
        stdout.contains("roomy    passed        0  general=2 accurate=2"),
        "{stdout}"
    );
}

/// Runs the hand-worked scenario with both clusters given `models` (none: the clusters
/// declare none) and returns jobs.csv.
fn hand_worked_with_models(models: Option<&str>) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let original = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/hand-worked.yaml");
    let text = std::fs::read_to_string(original).unwrap();
    // The file opts out of resource models; these cases turn the gate back on.
    let mut edited = text.replace(
        "CustomizedClusterResourceModeling: false",
        "CustomizedClusterResourceModeling: true",
    );
    if let Some(models) = models {
        edited = edited
            .replace(
                "  - name: alpha\n",
                &format!("  - name: alpha\n    resource_models: {models}\n"),
            )
            .replace(
                "  - name: beta\n",
                &format!("  - name: beta\n    resource_models: {models}\n"),
            );
    }
    let scenario = tmp.path().join("models.yaml");
    std::fs::write(&scenario, edited).unwrap();
    let (_run, out) = common::run_quiet(&scenario);
    std::fs::read_to_string(out.join("jobs.csv")).unwrap()
}

#[test]
fn default_resource_models_know_no_gpus() {
    // Karmada's default grades describe cpu and memory only: a GPU request fits no model node,
    // so the general estimator answers 0 everywhere and every job stays unschedulable.
    let jobs = hand_worked_with_models(Some("default"));
    assert_eq!(
        jobs.lines()
            .skip(1)
            .filter(|l| l.contains(",unschedulable,"))
            .count(),
        4,
        "{jobs}"
    );
}

#[test]
fn clusters_without_models_get_the_defaults_under_v1_19s_gates() {
    // With CustomizedClusterResourceModeling on (v1.19's default) a Cluster without models
    // gets the default grades at creation (pkg/registry/cluster/strategy.go
    // `PrepareForCreate`), so the hand-worked jobs, all GPU jobs, estimate 0 on the model path
    // (general.go `getMaximumReplicasBasedOnResourceModels`) and none ever runs.
    let jobs = hand_worked_with_models(None);
    assert_eq!(
        jobs.lines()
            .skip(1)
            .filter(|l| l.contains(",unschedulable,"))
            .count(),
        4,
        "{jobs}"
    );
}

#[test]
fn resource_models_with_a_gpu_range_schedule_by_grade() {
    // Grades {cpu, memory, gpu} ≥ {0, 0, 0}, {32, 256Gi, 4}, {64, 512Gi, 8}: idle nodes
    // (64 cores, 512Gi, 8 GPUs) are grade 2. Every resource the pods request must be in the
    // model, or model nodes hold nothing. j0 (one replica of 8 cores, 8Gi, 8 GPUs) sees alpha
    // 2 × min(64/8, 512/8, 8/8) = 2 and beta 1, as the summary would; it lands on alpha at 0 s.
    let grade = |g: u32, cpu: &str, mem: &str, gpu: &str| {
        format!(
            "{{grade: {g}, ranges: [{{name: cpu, min: '{cpu}'}}, {{name: memory, min: {mem}}}, {{name: nvidia.com/gpu, min: '{gpu}'}}]}}"
        )
    };
    let grades = format!(
        "[{}, {}, {}]",
        grade(0, "0", "0", "0"),
        grade(1, "32", "256Gi", "4"),
        grade(2, "64", "512Gi", "8")
    );
    let grades = grades.as_str();
    let jobs = hand_worked_with_models(Some(grades));
    let j0 = jobs.lines().find(|l| l.contains(",j0,")).unwrap();
    assert!(j0.contains(",completed,0.000,0.000,3600.000,"), "{j0}");
    assert!(j0.contains(",alpha:1,"), "{j0}");
}
