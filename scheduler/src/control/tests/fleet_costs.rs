//! What faults cost at scale, worked by hand: checkpoint writing time, job failures that
//! restart in place, and spot revocations with their notice.

use super::*;
use crate::faults::{DurationDist, FaultPlan};
use crate::job_failures::{FailureDraw, FailureHazard, JobFailures};
use crate::spot::{RevocationTimes, SpotRevocations};
use sim_core::record::{EventKind, JobState};

const MIN: u64 = 60 * S;
/// Milli-GPU of one 8-GPU replica.
const G8: u128 = 8000;

/// alpha alone: `n_nodes` nodes of 8 A (reference speed).
fn alpha(n_nodes: u32) -> World {
    let mut w = world();
    w.fleet.clusters = vec![cluster("alpha", vec![pool(n_nodes, 0)])];
    w
}

fn gang(runtime_s: u64, interval_s: Option<u64>, cost_s: Option<u64>) -> Job {
    let mut j = job(0, 0, 1, 8, runtime_s, true);
    j.checkpoint_interval = interval_s.map(|s| Duration(s * S));
    j.checkpoint_cost = cost_s.map(|s| Duration(s * S));
    j
}

fn run_plan(world: World, jobs: Vec<Job>, plan: FaultPlan) -> VecSink {
    let placement = Placement {
        replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::DynamicWeight),
        ..Placement::default()
    };
    let config = SchedulerConfig {
        status_period: Duration::ZERO,
        ..SchedulerConfig::default()
    };
    run_full(
        world,
        PolicySet::single(placement),
        &config,
        jobs,
        plan,
        Vec::new(),
    )
}

/// Every job of 8 GPUs fails exactly `mttf_s` into each run.
fn failing_every(mttf_s: u64) -> FaultPlan {
    FaultPlan {
        job_failures: Some(JobFailures {
            hazard: FailureHazard::PerGpuMtbf(Duration(8 * mttf_s * S)),
            draw: FailureDraw::Mean,
            namespaces: None,
        }),
        ..FaultPlan::default()
    }
}

#[test]
fn checkpoints_lengthen_a_run_by_their_writing_time() {
    // 3 h of work, a checkpoint every hour taking 6 min: written after the first and second
    // hour, none at the end, so the job ends at 3 h 12 min; the 12 min are idle.
    let sink = run_plan(
        alpha(1),
        vec![gang(3 * 3600, Some(3600), Some(360))],
        FaultPlan::default(),
    );
    let j = by_id(&sink, 0);
    assert_eq!(j.end, Some(SimTime(192 * MIN)));
    assert_eq!(j.faults.used_gpu_milli_ms, G8 * u128::from(180 * MIN));
    assert_eq!(j.faults.idle_gpu_milli_ms, G8 * u128::from(12 * MIN));
    assert_eq!(j.faults.lost_gpu_milli_ms, 0);
    assert_eq!(j.gpu_milli_ms, G8 * u128::from(192 * MIN));
}

#[test]
fn a_job_failure_loses_the_work_since_the_last_checkpoint() {
    // The job fails 150 min into its run. Cycles of 60 + 6 min: two done by 132 min, so
    // 120 min of work are saved, 12 min were writing and the 18 min since are lost. It
    // restarts at once on its pods with 60 min left (no checkpoint inside 60 min); the next
    // failure, 150 min on, comes after its end at 210 min.
    let sink = run_plan(
        alpha(1),
        vec![gang(3 * 3600, Some(3600), Some(360))],
        failing_every(150 * 60),
    );
    let j = by_id(&sink, 0);
    assert_eq!(j.state, JobState::Completed);
    assert_eq!(j.end, Some(SimTime(210 * MIN)));
    assert_eq!(j.faults.n_restarts, 1);
    assert_eq!(j.faults.lost_gpu_milli_ms, G8 * u128::from(18 * MIN));
    assert_eq!(j.faults.idle_gpu_milli_ms, G8 * u128::from(12 * MIN));
    assert_eq!(j.faults.used_gpu_milli_ms, G8 * u128::from(180 * MIN));
    assert_eq!(j.gpu_milli_ms, G8 * u128::from(210 * MIN));
    let restarts: Vec<_> = sink
        .events()
        .filter(|e| e.kind == EventKind::Restart)
        .map(|e| (e.time, e.lost_gpu_milli_ms))
        .collect();
    assert_eq!(
        restarts,
        vec![(SimTime(150 * MIN), G8 * u128::from(18 * MIN))]
    );
    // The pods stayed: nothing was lost with a node.
    assert!(sink.events().all(|e| e.kind != EventKind::PodsLost));
}

#[test]
fn a_job_failing_more_often_than_allowed_fails_for_good() {
    // Fails 30 min into each 60-min run, no checkpoints: restarts at 30, 60 and 90 min; the
    // third is one more than max_restarts 2, so the job fails at 90 min, all 90 min lost.
    let mut j = gang(3600, None, None);
    j.max_restarts = Some(2);
    let sink = run_plan(alpha(1), vec![j], failing_every(30 * 60));
    let j = by_id(&sink, 0);
    assert_eq!(j.state, JobState::Failed);
    assert_eq!(j.faults.n_restarts, 3);
    assert_eq!(j.faults.lost_gpu_milli_ms, G8 * u128::from(90 * MIN));
    assert_eq!(j.gpu_milli_ms, G8 * u128::from(90 * MIN));
}

#[test]
fn jobs_of_other_namespaces_do_not_fail() {
    let mut plan = failing_every(30 * 60);
    plan.job_failures.as_mut().unwrap().namespaces = Some(vec![NamespaceId(1)]);
    let sink = run_plan(alpha(1), vec![gang(3600, None, None)], plan);
    let j = by_id(&sink, 0);
    assert_eq!((j.end, j.faults.n_restarts), (Some(SimTime(60 * MIN)), 0));
}

/// alpha: node 0 in pool `spot`, node 1 in pool `gpu`; node 0 is revoked at 1000 s (notice
/// 30 s) and never comes back. The job (one 8-GPU replica, 3600 s, checkpoint every 600 s)
/// starts on node 0, the lowest index.
fn revoked_at_1000s(cost_s: u64) -> VecSink {
    let (w, plan) = spot_node_revoked_at_1000s(30);
    run_plan(w, vec![gang(3600, Some(600), Some(cost_s))], plan)
}

/// alpha with node 0 in pool `spot` (revoked at 1000 s after a notice of `notice_s`, never
/// back) and node 1 in pool `gpu`.
fn spot_node_revoked_at_1000s(notice_s: u64) -> (World, FaultPlan) {
    let mut w = world();
    let mut spot = pool(1, 0);
    spot.name = "spot".into();
    w.fleet.clusters = vec![cluster("alpha", vec![spot, pool(1, 0)])];
    let plan = FaultPlan {
        spot: vec![SpotRevocations {
            cluster: ClusterId(0),
            nodes: 0..1,
            label: "alpha/spot".into(),
            times: RevocationTimes::Between(DurationDist::Constant(Duration(1000 * S))),
            notice: Duration(notice_s * S),
            back_after: None,
        }],
        ..FaultPlan::default()
    };
    (w, plan)
}

#[test]
fn a_checkpoint_inside_the_notice_loses_nothing() {
    // Cost 10 s ≤ notice 30 s: the node goes at 1030 s; the job writes a checkpoint over its
    // last 10 s. Of the 1020 s before, one cycle (600 + 10 s) and 410 s of running: 1010 s of
    // work kept, 10 + 10 s writing. It resumes at once on node 1 with 2590 s left, writing 4
    // checkpoints on the way (after 600, 1200, 1800, 2400 s): 2630 s, ending at 3660 s.
    let sink = revoked_at_1000s(10);
    let j = by_id(&sink, 0);
    assert_eq!(j.end, Some(SimTime(3660 * S)));
    assert_eq!(j.faults.lost_gpu_milli_ms, 0);
    assert_eq!(j.faults.idle_gpu_milli_ms, G8 * u128::from(60 * S));
    assert_eq!(j.faults.used_gpu_milli_ms, G8 * u128::from(3600 * S));
    assert_eq!(j.faults.n_restarts, 1);
    let down: Vec<_> = sink
        .events()
        .filter(|e| e.kind == EventKind::NodeDown)
        .map(|e| (e.time, e.node))
        .collect();
    assert_eq!(down, vec![(SimTime(1030 * S), Some(0))]);
}

#[test]
fn a_checkpoint_longer_than_the_notice_loses_the_work_since_the_last() {
    // Cost 60 s > notice 30 s: at 1030 s one cycle (600 + 60 s) is saved, the 370 s since
    // are lost. 3000 s are left on node 1, with 4 checkpoints of 60 s: 3240 s, so the job
    // ends at 4270 s.
    let sink = revoked_at_1000s(60);
    let j = by_id(&sink, 0);
    assert_eq!(j.end, Some(SimTime(4270 * S)));
    assert_eq!(j.faults.lost_gpu_milli_ms, G8 * u128::from(370 * S));
    assert_eq!(j.faults.idle_gpu_milli_ms, G8 * u128::from(300 * S));
    assert_eq!(j.faults.used_gpu_milli_ms, G8 * u128::from(3600 * S));
}

#[test]
fn a_node_under_notice_takes_no_new_pod() {
    // Node 0 (spot) is revoked at 1000 s with a 600 s notice; j0 holds node 1 until 3000 s.
    // j1 arrives at 1100 s, while node 0 is idle but cordoned: it waits for node 1 and
    // starts at 3000 s, although node 0 is free until it goes at 1600 s.
    let (w, plan) = spot_node_revoked_at_1000s(600);
    // j0 starts on node 0 and finishes at 500 s; jb holds node 1 until 3000 s.
    let j0 = job(0, 0, 1, 8, 500, true);
    let jb = job(1, 0, 1, 8, 3000, true);
    let j1 = job(2, 1100, 1, 8, 100, true);
    let sink = run_plan(w, vec![j0, jb, j1], plan);
    assert_eq!(by_id(&sink, 2).start, Some(SimTime(3000 * S)));
    assert_eq!(by_id(&sink, 2).end, Some(SimTime(3100 * S)));
}
