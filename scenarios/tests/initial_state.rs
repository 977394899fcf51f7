//! `initial_state`: a run that starts from a fleet as a snapshot shows it. Running replicas
//! hold their nodes from time 0, pods Karmada had already sent wait in their member, and the
//! node a waiting pod gets is the one whose pods end first, as worked out by hand below.

use std::path::Path;

use scenarios::Scenario;
use sim_core::SimTime;
use sim_core::record::{JobRecord, Record};

/// One cluster of two 8-GPU nodes, a team and a high priority class; `INITIAL` is replaced by
/// the `initial_state` section, `JOBS` by the workload's job list.
const BASE: &str = r#"name: initial
seed: 3
gpu_models: [{name: H100, memory: 80Gi}]
clusters:
  - name: c1
    node_pools: [{name: gpu, count: 2, cpu: "96", memory: 1Ti, gpus: 8, gpu_model: H100}]
priority_classes: [{name: high, value: 1000}]
namespaces: [{name: team}]
scheduler:
  estimators: [general, accurate]
  feature_gates: {CustomizedClusterResourceModeling: false}
workload:
  jobs: JOBS
INITIAL
"#;

fn text(initial: &str, jobs: &str) -> String {
    BASE.replace("INITIAL", initial).replace("JOBS", jobs)
}

fn load(initial: &str, jobs: &str) -> Scenario {
    scenarios::load_str(&text(initial, jobs), Path::new("initial.yaml")).unwrap()
}

fn error(initial: &str) -> String {
    scenarios::load_str(&text(initial, "[]"), Path::new("initial.yaml"))
        .unwrap_err()
        .to_string()
}

fn records(scenario: &Scenario) -> Vec<JobRecord> {
    let outcome = scenarios::simulate::run(scenario, None).unwrap();
    let mut jobs: Vec<JobRecord> = outcome
        .records
        .into_iter()
        .filter_map(|r| match r {
            Record::Job(job) => Some(job),
            _ => None,
        })
        .collect();
    jobs.sort_by_key(|j| j.id);
    jobs
}

const H: u64 = 3_600_000;

/// Node 0 holds `a` (8 GPUs, 5 h left); node 1 holds `b` (4 GPUs, 1 h left) and `d` (4 GPUs,
/// 3 h left). `p`, already sent to c1, needs a whole node: `b` ending frees only half of
/// node 1, so `p` starts when `d` ends, at 3 h, not at 1 h, and not at 5 h on node 0.
const SNAPSHOT: &str = r#"initial_state:
  jobs:
    - {name: a, namespace: team, gpus: 8, cpu: "8", memory: 64Gi, runtime: 5h, cluster: c1,
       running: [{pool: gpu, node: 0}]}
    - {name: b, namespace: team, gpus: 4, cpu: "4", memory: 32Gi, runtime: 1h, cluster: c1,
       running: [{pool: gpu, node: 1}]}
    - {name: d, namespace: team, gpus: 4, cpu: "4", memory: 32Gi, runtime: 3h, cluster: c1,
       running: [{pool: gpu, node: 1}]}
    - {name: p, namespace: team, gpus: 8, cpu: "8", memory: 64Gi, runtime: 2h, cluster: c1}
"#;

#[test]
fn running_replicas_hold_their_nodes_and_a_pending_job_waits_for_the_right_one() {
    let scenario = load(SNAPSHOT, "[]");
    assert_eq!(scenario.n_jobs(), 4);
    let jobs = records(&scenario);
    let by_name = |name: &str| jobs.iter().find(|j| j.name == name).unwrap();
    for (name, end) in [("a", 5 * H), ("b", H), ("d", 3 * H)] {
        let job = by_name(name);
        assert_eq!(job.submit, SimTime::ZERO, "{name}");
        assert_eq!(job.start, Some(SimTime::ZERO), "{name} runs from time 0");
        assert_eq!(
            job.end,
            Some(SimTime(end)),
            "{name} ends when its time is up"
        );
        // Scheduled before the run began: no attempt of the run's scheduler.
        assert_eq!(job.n_attempts, 0, "{name}");
    }
    let p = by_name("p");
    assert_eq!(p.start, Some(SimTime(3 * H)), "p waits for node 1 to empty");
    assert_eq!(p.end, Some(SimTime(5 * H)));
    assert_eq!(p.n_pods_waited, 1);
}

#[test]
fn new_work_competes_with_the_occupied_fleet() {
    // `n` arrives at 10 min for 8 GPUs: nothing is free until node 1 empties at 3 h, and
    // `p`, waiting in the member since time 0, takes it first. `n` gets node 0 when `a` ends
    // at 5 h (Karmada retries unschedulable bindings every few minutes, so within 5 min).
    let scenario = load(
        SNAPSHOT,
        r#"[{name: n, submit: 10m, namespace: team, gpus: 8, cpu: "8", memory: 64Gi, runtime: 1h}]"#,
    );
    let jobs = records(&scenario);
    let n = jobs.iter().find(|j| j.name == "n").unwrap();
    assert_eq!(
        n.id.0, 4,
        "workload jobs are numbered after the initial state's"
    );
    let start = n.start.unwrap().0;
    assert!(
        (5 * H..=5 * H + 5 * 60_000 + 60_000).contains(&start),
        "{start}"
    );
}

#[test]
fn remaining_run_times_are_drawn_when_not_given() {
    // sigma 0: every draw is the median, 2 h.
    let scenario = load(
        r#"initial_state:
  remaining_runtime: {lognormal: {median: 2h, sigma: 0}}
  jobs:
    - {name: a, namespace: team, gpus: 8, cpu: "8", memory: 64Gi, cluster: c1,
       running: [{pool: gpu, node: 1}]}
    - {name: b, namespace: team, gpus: 8, cpu: "8", memory: 64Gi, runtime: 30m, cluster: c1,
       running: [{pool: gpu, node: 0}]}
"#,
        "[]",
    );
    let jobs = records(&scenario);
    assert_eq!(jobs[0].end, Some(SimTime(2 * H)));
    assert_eq!(jobs[1].end, Some(SimTime(H / 2)), "a given runtime is kept");
}

#[test]
fn an_unscheduled_initial_job_is_scheduled_by_karmada_at_time_0() {
    let scenario = load(
        r#"initial_state:
  jobs:
    - {name: u, namespace: team, gpus: 8, cpu: "8", memory: 64Gi, runtime: 1h}
"#,
        "[]",
    );
    let jobs = records(&scenario);
    assert_eq!(jobs[0].n_attempts, 1);
    assert_eq!(jobs[0].start, Some(SimTime::ZERO));
}

#[test]
fn bad_initial_states_name_the_field() {
    let job = r#"{name: a, namespace: team, gpus: 8, cpu: "8", memory: 64Gi, runtime: 1h"#;
    for (jobs, field, message) in [
        (
            format!("{job}, running: [{{pool: gpu, node: 0}}]}}"),
            "initial_state.jobs[0].running[0]",
            "need the job's `cluster`",
        ),
        (
            format!("{job}, cluster: c9}}"),
            "initial_state.jobs[0].cluster",
            "unknown cluster \"c9\"",
        ),
        (
            format!("{job}, cluster: c1, running: [{{pool: cpu, node: 0}}]}}"),
            "initial_state.jobs[0].running[0].pool",
            "cluster \"c1\" has no node pool \"cpu\"; it has gpu",
        ),
        (
            format!("{job}, cluster: c1, running: [{{pool: gpu, node: 2}}]}}"),
            "initial_state.jobs[0].running[0].node",
            "pool \"gpu\" has 2 nodes",
        ),
        (
            format!("{job}, cluster: c1, running: [{{pool: gpu, node: 0, replicas: 2}}]}}"),
            "initial_state.jobs[0].running[0].replicas",
            "more replicas running than the job has (1",
        ),
        (
            format!("{job}, submit: 1h}}"),
            "initial_state.jobs[0].submit",
            "has no `submit`",
        ),
        (
            r#"{name: a, namespace: team, gpus: 8}"#.to_owned(),
            "initial_state.jobs[0].runtime",
            "remaining_runtime",
        ),
    ] {
        let err = error(&format!("initial_state:\n  jobs:\n    - {jobs}\n"));
        assert!(err.contains(field) && err.contains(message), "{err}");
        assert!(err.contains("initial.yaml:"), "{err}");
    }
    // Two 8-GPU replicas cannot share one 8-GPU node.
    let err = error(&format!(
        "initial_state:\n  jobs:\n    - {job}, cluster: c1, running: [{{pool: gpu, node: 0}}]}}\n    - {job}, cluster: c1, running: [{{pool: gpu, node: 0}}]}}\n"
    ));
    assert!(
        err.contains("initial_state.jobs[1].running[0]") && err.contains("more GPUs than it has"),
        "{err}"
    );
}

/// A member's own ResourceQuota (`clusters[].resource_quotas`, what `fleetsim import` writes
/// from a member's quotas) holds in that member only, beside the namespace's quota forms: with
/// 8 GPUs for `team` in c1, the second of two 8-GPU jobs Karmada sends there is refused by
/// quota admission until the first ends at 1 h, although a node is free.
#[test]
fn a_members_own_quota_holds_there() {
    let text = text("", r#"[{name: a, submit: 0s, namespace: team, gpus: 8, cpu: "8", memory: 64Gi, runtime: 1h},
        {name: b, submit: 0s, namespace: team, gpus: 8, cpu: "8", memory: 64Gi, runtime: 1h}]"#)
    .replace(
        "gpu_model: H100}]\n",
        "gpu_model: H100}]\n    resource_quotas: [{namespace: team, hard: {requests.nvidia.com/gpu: \"8\"}}]\n",
    );
    let scenario = scenarios::load_str(&text, Path::new("initial.yaml")).unwrap();
    assert_eq!(scenario.quotas.resource_quotas.len(), 1);
    let jobs = records(&scenario);
    assert_eq!(jobs[0].start, Some(SimTime::ZERO));
    let b = jobs[1].start.unwrap().0;
    assert!((H..=H + 60_000).contains(&b), "{b}");
    // An unknown namespace names the field.
    let err = scenarios::load_str(
        &text.replace("{namespace: team,", "{namespace: nobody,"),
        Path::new("initial.yaml"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("clusters[0].resource_quotas[0].namespace"),
        "{err}"
    );
}
