//! `fleetsim explain`: a snapshot of a job blocked by a taint and by a spread constraint.

use std::path::Path;
use std::process::Command;

fn explain(scenario: &str, job: &str, extra: &[&str]) -> (Option<i32>, String, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(scenario);
    let mut args = vec!["explain", path.to_str().unwrap(), "--job", job];
    args.extend_from_slice(extra);
    let output = Command::new(env!("CARGO_BIN_EXE_fleetsim"))
        .args(&args)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn blocked_job_names_the_taint_and_the_spread_constraint() {
    let (code, stdout, stderr) = explain("tests/scenarios/explain-blocked.yaml", "blocked", &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let snapshot = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/explain-blocked.txt"),
    )
    .unwrap();
    // The workload's UID comes from the scenario's seed (default 0) and the job id.
    let uid = scheduler::binding::workload_uid(0, sim_core::model::JobId(0));
    assert_eq!(stdout, snapshot.replace("{uid}", &uid));
    // The reasons themselves, as Karmada words them, whatever the layout.
    assert!(stdout.contains(
        "0/2 clusters are available: 1 cluster(s) did not have region property, \
         1 cluster(s) had untolerated taint {gpu=reserved:NoSchedule}."
    ));
}

#[test]
fn a_scheduled_job_shows_estimates_division_and_nodes() {
    let (code, stdout, stderr) = explain("tests/scenarios/hand-worked.yaml", "j1", &[]);
    assert_eq!(code, Some(0), "{stderr}");
    // j1 (2 × 4 GPUs at 10 s): general estimates alpha 8/4 = 2, beta 8/4 = 2; one replica each.
    assert!(
        stdout.contains("alpha    passed        0  general=2"),
        "{stdout}"
    );
    assert!(
        stdout.contains("beta     passed        0  general=2"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Scheduled         replicas divided {alpha: 1, beta: 1}"),
        "{stdout}"
    );
    assert!(stdout.contains("1 pod(s) on alpha/a-1"), "{stdout}");
    assert!(stdout.contains("1 pod(s) on beta/b-0"), "{stdout}");
    assert!(stdout.contains("1h10s  Normal   Completed"), "{stdout}");
}

#[test]
fn unknown_job_exits_2() {
    let (code, _, stderr) = explain("tests/scenarios/hand-worked.yaml", "nope", &[]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("no job \"nope\""), "{stderr}");
}

#[test]
fn explain_stops_once_the_job_has_ended() {
    // j0 completes at 1h; j3, the last to end, runs 2h from its start: explaining j0 needs
    // only the first hour of the run, explaining j3 the whole of it.
    let explain = |job: &str| {
        let config = fleetsim::ExplainConfig {
            scenario: Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/scenarios/hand-worked.yaml"),
            job: job.to_owned(),
            at: None,
            seed: None,
        };
        let mut last = None;
        let explained = fleetsim::explain_job(&config, &mut |p| last = Some(p)).unwrap();
        (explained, last.expect("progress reported"))
    };
    let (j0, j0_progress) = explain("j0");
    let (j3, j3_progress) = explain("j3");
    assert!(j0.text.contains("Completed"), "{}", j0.text);
    assert!(j3.text.contains("Completed"), "{}", j3.text);
    assert!(
        j0.n_events < j3.n_events,
        "{} vs {}",
        j0.n_events,
        j3.n_events
    );
    assert_eq!(j0_progress.now, sim_core::SimTime(3_600_000));
    assert!(
        j3_progress.now > sim_core::SimTime(7_200_000),
        "{:?}",
        j3_progress.now
    );
}
