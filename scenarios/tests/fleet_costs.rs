//! What the fleet costs: job failures by job size, checkpoint cost, spot capacity. The
//! examples run, namespace tolerations keep jobs off spot pools, and bad values are refused
//! with their place in the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use scheduler::explain::Entry;
use sim_core::SimTime;
use sim_core::model::JobId;
use sim_core::record::{JobRecord, Record};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/scenarios")
        .join(name)
}

fn job_records(records: &[Record]) -> Vec<&JobRecord> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Job(j) => Some(j),
            _ => None,
        })
        .collect()
}

/// Per namespace name: (job time start to end in ms, restarts, used and held milli-GPU × ms).
fn per_namespace(
    scenario: &scenarios::Scenario,
    records: &[Record],
) -> BTreeMap<String, (u64, u64, u128, u128, u128)> {
    let mut out: BTreeMap<String, (u64, u64, u128, u128, u128)> = BTreeMap::new();
    for job in job_records(records) {
        let name = scenario.world.namespaces[job.namespace.0 as usize]
            .name
            .clone();
        let entry = out.entry(name).or_default();
        if let (Some(start), Some(end)) = (job.start, job.end) {
            entry.0 += end.since(start).as_millis();
        }
        entry.1 += u64::from(job.faults.n_restarts);
        entry.2 += job.faults.used_gpu_milli_ms;
        entry.3 += job.gpu_milli_ms;
        entry.4 += job.faults.lost_gpu_milli_ms;
    }
    out
}

#[test]
fn the_job_failures_example_fails_more_often_at_scale() {
    // Jobs restart in place at once, so each job's time from start to end is its exposure,
    // and the maximum-likelihood MTTF is the exposure over the failures. With n failures
    // its relative standard error is 1/√n; the measured value must fall within 4 of them of
    // the table's MTTF (7.9 h at 1,024 GPUs, 1.8 h at 16,384).
    let scenario = scenarios::load(&example("job-failures.yaml")).unwrap();
    let outcome = scenarios::simulate::run(&scenario, None).unwrap();
    let costs = per_namespace(&scenario, &outcome.records);
    let hour = 3_600_000.0;
    let mut goodput = BTreeMap::new();
    for (namespace, mttf_h) in [("small", 7.9), ("big", 1.8)] {
        let (exposure, n_failures, used, held, _) = costs[namespace];
        assert!(n_failures >= 10, "{namespace}: {n_failures} failures");
        let measured_h = exposure as f64 / hour / n_failures as f64;
        let bound = 4.0 / (n_failures as f64).sqrt();
        eprintln!(
            "{namespace}: {n_failures} failures, measured MTTF {measured_h:.2} h, goodput {:.3}",
            used as f64 / held as f64
        );
        assert!(
            (measured_h / mttf_h - 1.0).abs() <= bound,
            "{namespace}: measured {measured_h} h against {mttf_h} h"
        );
        goodput.insert(namespace, used as f64 / held as f64);
    }
    // Checkpoint writing alone caps goodput at 30 / 32; failures take more at scale.
    assert!(goodput["small"] < 30.0 / 32.0);
    assert!(goodput["big"] < goodput["small"]);
}

#[test]
fn the_spot_example_costs_only_the_teams_on_spot() {
    let scenario = scenarios::load(&example("spot.yaml")).unwrap();
    let outcome = scenarios::simulate::run(&scenario, None).unwrap();
    let costs = per_namespace(&scenario, &outcome.records);
    let (_, prod_restarts, _, _, prod_lost) = costs["production"];
    let (_, fast_restarts, _, _, fast_lost) = costs["batch-fast"];
    let (_, slow_restarts, _, _, slow_lost) = costs["batch-slow"];
    eprintln!("restarts: {prod_restarts} {fast_restarts} {slow_restarts}");
    // Production does not tolerate the spot taint: nothing of it is ever revoked.
    assert_eq!((prod_restarts, prod_lost), (0, 0));
    // A 10 s checkpoint fits in the 30 s notice; a 2-minute one does not.
    assert!(fast_restarts > 0 && slow_restarts > 0);
    assert_eq!(fast_lost, 0);
    assert!(slow_lost > 0);
}

const TOLERATION_SCENARIO: &str = "
name: tolerations
gpu_models: [{name: A100}]
clusters:
  - name: dc-1
    node_pools:
      - name: spot
        count: 1
        cpu: '64'
        memory: 512Gi
        gpus: 8
        gpu_model: A100
        taints: [{key: spot, value: 'true', effect: NoSchedule}]
      - {name: on-demand, count: 1, cpu: '64', memory: 512Gi, gpus: 8, gpu_model: A100}
namespaces:
  - name: batch
    tolerations: [{key: spot, operator: Exists, effect: NoSchedule}]
  - {name: production}
scheduler:
  estimators: [accurate]
workload:
  jobs:
    - {name: p1, namespace: production, submit: 0s, gpus: 8, runtime: 1h}
    - {name: p2, namespace: production, submit: 1m, gpus: 8, runtime: 30m}
    - {name: b1, namespace: batch, submit: 2m, gpus: 8, runtime: 10m}
";

/// Where the job was bound, and when it started and ended.
fn bound_on(scenario: &scenarios::Scenario, job: u64) -> (Vec<u32>, Option<SimTime>) {
    let outcome = scenarios::simulate::run(scenario, Some(JobId(job))).unwrap();
    let log = outcome.explained.unwrap();
    let nodes = log
        .entries
        .iter()
        .filter_map(|(_, e)| match e {
            Entry::Bound { node, .. } => Some(*node),
            _ => None,
        })
        .collect();
    let start = job_records(&outcome.records)
        .iter()
        .find(|j| j.id == JobId(job))
        .and_then(|j| j.start);
    (nodes, start)
}

#[test]
fn only_namespaces_tolerating_the_spot_taint_run_there() {
    // Node 0 is the tainted spot node, node 1 on-demand. p1 (production) takes node 1 at 0 s
    // for an hour; p2 (production) arrives at 60 s and waits for node 1 although node 0 is
    // idle, starting once p1 is done (at 3600 s, or the scheduler's next retry after it); b1 (batch, tolerating the taint) arrives at 120 s and runs at
    // once on node 0.
    let scenario = scenarios::load_str(TOLERATION_SCENARIO, Path::new("tolerations.yaml")).unwrap();
    assert_eq!(bound_on(&scenario, 0), (vec![1], Some(SimTime(0))));
    let (nodes, start) = bound_on(&scenario, 1);
    assert_eq!(nodes, vec![1]);
    assert!(start >= Some(SimTime(3_600_000)), "{start:?}");
    assert_eq!(bound_on(&scenario, 2), (vec![0], Some(SimTime(120_000))));
}

fn line_of(text: &str, needle: &str) -> u64 {
    text.lines().position(|l| l.contains(needle)).unwrap() as u64 + 1
}

/// Loads `file` with `from` replaced by `to` and checks the error's line (of `to`'s first
/// line holding `at`), field path and message.
fn check_error(file: &str, from: &str, to: &str, at: &str, path: &str, fragment: &str) {
    let text = std::fs::read_to_string(example(file)).unwrap();
    assert!(text.contains(from), "{from}");
    let edited = text.replacen(from, to, 1);
    let err = scenarios::load_str(&edited, Path::new("edited.yaml")).unwrap_err();
    let position = err
        .position()
        .unwrap_or_else(|| panic!("no position: {err}"));
    assert_eq!(
        (position.line, position.path.as_str()),
        (line_of(&edited, at), path),
        "{err}"
    );
    assert!(
        err.to_string().contains(fragment),
        "{fragment:?} not in: {err}"
    );
}

#[test]
fn a_day_of_rates_needs_24_values() {
    check_error(
        "spot.yaml",
        "rate_per_hour: [1, 1, 1, 1, 1, 1, 1, 1, ",
        "rate_per_hour: [1, 1, 1, 1, 1, 1, 1, ",
        "rate_per_hour:",
        "faults.spot_revocations[0].rate_per_hour",
        "expected 24 values",
    );
}

#[test]
fn a_negative_rate_is_refused() {
    check_error(
        "spot.yaml",
        "rate_per_hour: [1, 1,",
        "rate_per_hour: [1, -1,",
        "rate_per_hour:",
        "faults.spot_revocations[0].rate_per_hour[1]",
        "0 or more",
    );
}

#[test]
fn revocations_name_a_pool_of_the_cluster() {
    check_error(
        "spot.yaml",
        "      pool: a10-spot",
        "      pool: a10",
        "pool: a10",
        "faults.spot_revocations[0].pool",
        "has no node pool \"a10\"",
    );
}

#[test]
fn a_bad_checkpoint_cost_names_its_namespace() {
    check_error(
        "spot.yaml",
        "checkpoint_cost: 10s",
        "checkpoint_cost: ten",
        "checkpoint_cost: ten",
        "namespaces[1].checkpoint_cost",
        "e.g. 45s",
    );
}

#[test]
fn mttf_rows_go_up_in_size() {
    check_error(
        "job-failures.yaml",
        "{gpus: 16384, mttf: 1h48m}",
        "{gpus: 512, mttf: 1h48m}",
        "gpus: 512",
        "faults.job_failures.mttf_by_size[1].gpus",
        "increasing order",
    );
}

#[test]
fn one_hazard_model_at_a_time() {
    check_error(
        "job-failures.yaml",
        "    mttf_by_size:",
        "    per_gpu_mtbf: 8000h\n    mttf_by_size:",
        "per_gpu_mtbf",
        "faults.job_failures",
        "exactly one of per_gpu_mtbf or mttf_by_size",
    );
}

#[test]
fn an_unknown_draw_is_refused() {
    check_error(
        "job-failures.yaml",
        "    mttf_by_size:",
        "    draw: median\n    mttf_by_size:",
        "draw: median",
        "faults.job_failures.draw",
        "expected exponential or mean",
    );
}

#[test]
fn the_gfs_fleet_marks_its_a10_nodes_spot() {
    // docs/scenario.md, "Spot capacity": the GFS node list's 2,494 A10 nodes (2,492 of 128
    // vCPUs, 2 of 126) go to spot-a10, whose 128-vCPU pool the revocations name.
    let Some(nodes) =
        crate::common::shared_or_skip("traces/alibaba-spot-gpu-v2026/node_info_df.csv")
    else {
        return;
    };
    let text = "
name: gfs-spot
fleet_from_trace:
  format: spot-nodes
  file: node_info_df.csv
  node_memory: 1Ti
  split:
    by_model: {A10: spot-a10, default: reserved}
  clusters:
    spot-a10: {labels: {lifecycle: spot}, taints: [{key: spot, value: 'true', effect: NoSchedule}]}
namespaces: [{name: batch}]
faults:
  spot_revocations:
    - {cluster: spot-a10, pool: A10x1-128cpu-1024Gi, time_between: {exponential: {mean: 1h}}, notice: 30s}
workload:
  jobs: [{name: j, namespace: batch, submit: 0s, gpus: 1, runtime: 1h}]
";
    let file = nodes.parent().unwrap().join("gfs-spot.yaml");
    let scenario = scenarios::load_str(text, &file).unwrap();
    let spot = &scenario.faults.spot[0];
    assert_eq!(spot.nodes.len(), 2492);
    let fleet = &scenario.world.fleet;
    let a10 = fleet.cluster_id("spot-a10").unwrap();
    let n_a10: u32 = fleet.cluster(a10).node_pools.iter().map(|p| p.count).sum();
    assert_eq!(n_a10, 2494);
}
