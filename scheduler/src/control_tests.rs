//! A tiny fleet and a handful of jobs whose placements, start and end times were worked out
//! by hand from Karmada's rules (general estimator, dynamic weights, Webster, the 5-minute
//! unschedulable flush on a 30-second grid) and Kubernetes' LeastAllocated scoring.

use super::*;
use crate::generic::fit_error;
use crate::policy::{DivisionPreference, ReplicaScheduling};
use sim_core::engine::{EngineConfig, run};
use sim_core::model::{
    Cluster, Component, Fleet, GpuModel, GpuModelSet, GpuRequest, NamespaceId, NodePool, NodeShape,
    PodRequest,
};
use sim_core::record::VecSink;
use std::collections::BTreeMap;

const GI: u64 = 1 << 30;
const S: u64 = 1000;

fn pool(count: u32, model: u16) -> NodePool {
    NodePool {
        name: "gpu".into(),
        count,
        shape: NodeShape {
            cpu_milli: 64_000,
            memory: 512 * GI,
            max_pods: 110,
            gpus: 8,
            gpu_model: Some(GpuModelId(model)),
        },
        labels: Default::default(),
        taints: Vec::new(),
    }
}

fn cluster(name: &str, pools: Vec<NodePool>) -> Cluster {
    Cluster {
        name: name.into(),
        region: None,
        zone: None,
        provider: None,
        labels: Default::default(),
        taints: Vec::new(),
        node_pools: pools,
    }
}

/// alpha: 2 nodes of 8 A (reference speed); beta: 1 node of 8 B (twice as fast).
fn world() -> World {
    World {
        fleet: Fleet {
            gpu_models: vec![
                GpuModel {
                    name: "A".into(),
                    memory: 80 * GI,
                    speed_milli: 1000,
                },
                GpuModel {
                    name: "B".into(),
                    memory: 80 * GI,
                    speed_milli: 2000,
                },
            ],
            clusters: vec![
                cluster("alpha", vec![pool(2, 0)]),
                cluster("beta", vec![pool(1, 1)]),
            ],
        },
        namespaces: vec![sim_core::model::Namespace {
            name: "team".into(),
        }],
        priority_classes: Vec::new(),
    }
}

fn job(id: u64, submit_s: u64, replicas: u32, gpus: u32, runtime_s: u64, gang: bool) -> Job {
    Job {
        id: JobId(id),
        name: format!("j{id}"),
        namespace: NamespaceId(0),
        priority_class: None,
        submit: SimTime(submit_s * S),
        components: vec![Component {
            name: "worker".into(),
            replicas,
            request: PodRequest {
                cpu_milli: 8000,
                memory: 8 * GI,
                gpu: GpuRequest::whole(gpus, GpuModelSet::ANY),
            },
        }],
        runtime: Duration(runtime_s * S),
        gang,
        checkpoint_interval: None,
        template: Default::default(),
    }
}

fn simulate(jobs: Vec<Job>) -> VecSink {
    let placement = Placement {
        replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::DynamicWeight),
        ..Placement::default()
    };
    let mut control = ControlPlane::new(
        world(),
        PolicySet::single(placement),
        &SchedulerConfig::default(),
    )
    .unwrap();
    control.set_invariant_checks(true);
    let mut sink = VecSink::default();
    let config = EngineConfig {
        horizon: None,
        progress_every: 1000,
    };
    run::<_, std::convert::Infallible, _>(
        &config,
        jobs.into_iter().map(Ok),
        &mut control,
        &mut sink,
        &mut |_| {},
    )
    .unwrap();
    sink
}

fn by_id(sink: &VecSink, id: u64) -> &JobRecord {
    sink.jobs().find(|j| j.id == JobId(id)).unwrap()
}

fn hand_worked_jobs() -> Vec<Job> {
    vec![
        job(0, 0, 1, 8, 3600, true),
        job(1, 10, 2, 4, 3600, true),
        job(2, 20, 1, 8, 1800, true),
        job(3, 30, 2, 2, 7200, false),
    ]
}

#[test]
fn placements_and_times_match_hand_calculation() {
    let sink = simulate(hand_worked_jobs());
    let (alpha, beta) = (ClusterId(0), ClusterId(1));
    // j0: est alpha 2, beta 1 → Webster gives the seat to alpha; lowest idle node.
    let j0 = by_id(&sink, 0);
    assert_eq!(
        (j0.start, j0.end, j0.clusters.clone()),
        (Some(SimTime(0)), Some(SimTime(3600 * S)), vec![(alpha, 1)])
    );
    // j1: est 2 and 2 → one each (tie to the smaller name first); gang at the slower model A.
    let j1 = by_id(&sink, 1);
    assert_eq!(
        (j1.start, j1.end),
        (Some(SimTime(10 * S)), Some(SimTime(3610 * S)))
    );
    assert_eq!(j1.clusters, vec![(alpha, 1), (beta, 1)]);
    // j3: non-gang, one replica each; the beta replica runs twice as fast (1 h), alpha's 2 h.
    let j3 = by_id(&sink, 3);
    assert_eq!(
        (j3.start, j3.end),
        (Some(SimTime(30 * S)), Some(SimTime(7230 * S)))
    );
    assert_eq!(j3.clusters, vec![(alpha, 1), (beta, 1)]);
    // j2: unschedulable at 20 s (4 free GPUs in alpha, 2 in beta after j3), retried on the
    // 30-s grid once 5 min have passed: 330, 660, …, 3300 s; at 3630 s alpha has room.
    let j2 = by_id(&sink, 2);
    assert_eq!(
        (j2.start, j2.end),
        (Some(SimTime(3630 * S)), Some(SimTime(5430 * S)))
    );
    assert_eq!(j2.clusters, vec![(alpha, 1)]);
    assert_eq!(j2.n_attempts, 12);
    assert!(sink.jobs().all(|j| j.state == JobState::Completed));
}

#[test]
fn timeline_follows_hand_calculation() {
    let sink = simulate(hand_worked_jobs());
    let series = |cluster: u32| -> Vec<(u64, u64)> {
        let mut points: Vec<(u64, u64)> = Vec::new();
        for a in sink
            .allocations()
            .filter(|a| a.cluster == ClusterId(cluster))
        {
            match points.last_mut() {
                Some(last) if last.0 == a.time.0 / S => last.1 = a.allocated_milli / 1000,
                _ => points.push((a.time.0 / S, a.allocated_milli / 1000)),
            }
        }
        points
    };
    assert_eq!(
        series(0),
        vec![
            (0, 8),
            (10, 12),
            (30, 14),
            (3600, 6),
            (3610, 2),
            (3630, 10),
            (5430, 2),
            (7230, 0)
        ]
    );
    assert_eq!(
        series(1),
        vec![(0, 0), (10, 4), (30, 6), (3610, 2), (3630, 0)]
    );
}

#[test]
fn gpu_time_in_timeline_equals_sum_over_jobs() {
    let sink = simulate(hand_worked_jobs());
    let end = SimTime(7230 * S);
    let mut timeline_total: u128 = 0;
    for cluster in 0..2 {
        let points: Vec<_> = sink
            .allocations()
            .filter(|a| a.cluster.0 == cluster)
            .collect();
        for (idx, point) in points.iter().enumerate() {
            let until = points.get(idx + 1).map_or(end, |next| next.time);
            timeline_total +=
                u128::from(point.allocated_milli) * u128::from(until.since(point.time).as_millis());
        }
    }
    let jobs_total: u128 = sink.jobs().map(|j| j.gpu_milli_ms).sum();
    assert_eq!(timeline_total, jobs_total);
    // By hand: j0 8×3600, j1 8×3600, j2 8×1800, j3 2×7200 + 2×3600 GPU-seconds.
    let by_hand: u128 = (8 * 3600 + 8 * 3600 + 8 * 1800 + 2 * 7200 + 2 * 3600) * 1000 * 1000;
    assert_eq!(jobs_total, by_hand);
}

#[test]
fn horizon_leaves_jobs_running_queued_or_unschedulable() {
    let mut jobs = hand_worked_jobs();
    // A job no cluster can ever hold: 3 replicas of 8 GPUs exceeds the fleet's free estimate.
    jobs.push(job(4, 40, 4, 8, 60, true));
    let placement = Placement {
        replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::DynamicWeight),
        ..Placement::default()
    };
    let mut control = ControlPlane::new(
        world(),
        PolicySet::single(placement),
        &SchedulerConfig::default(),
    )
    .unwrap();
    let mut sink = VecSink::default();
    let config = EngineConfig {
        horizon: Some(SimTime(100 * S)),
        progress_every: 1000,
    };
    run::<_, std::convert::Infallible, _>(
        &config,
        jobs.into_iter().map(Ok),
        &mut control,
        &mut sink,
        &mut |_| {},
    )
    .unwrap();
    let states: Vec<(u64, JobState)> = sink.jobs().map(|j| (j.id.0, j.state)).collect();
    assert_eq!(
        states,
        vec![
            (0, JobState::Running),
            (1, JobState::Running),
            (2, JobState::Unschedulable),
            (3, JobState::Running),
            (4, JobState::Unschedulable),
        ]
    );
    // Running pods are charged up to the horizon: j0 8 GPUs × 100 s.
    assert_eq!(by_id(&sink, 0).gpu_milli_ms, 8 * 1000 * 100 * 1000);
}

#[test]
fn fit_error_names_each_reason() {
    let mut reasons = BTreeMap::new();
    reasons.insert(
        "cluster(s) had untolerated taint {a=b:NoSchedule}".to_owned(),
        2,
    );
    reasons.insert(
        "cluster(s) did not match the placement cluster affinity constraint".to_owned(),
        3,
    );
    assert_eq!(
        fit_error(5, &reasons),
        "0/5 clusters are available: 2 cluster(s) had untolerated taint {a=b:NoSchedule}, \
         3 cluster(s) did not match the placement cluster affinity constraint."
    );
    assert_eq!(
        fit_error(0, &BTreeMap::new()),
        "0/0 clusters are available: no cluster exists."
    );
}

#[test]
fn scaled_runtime_rounds_up() {
    assert_eq!(scaled_runtime(Duration(1000), 3000), Duration(334));
    assert_eq!(
        scaled_runtime(Duration(3_600_000), 2000),
        Duration(1_800_000)
    );
}
