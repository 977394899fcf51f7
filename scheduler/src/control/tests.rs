//! A tiny fleet and a handful of jobs whose placements, start and end times were worked out
//! by hand from Karmada's rules (general estimator, dynamic weights, Webster, the 5-minute
//! unschedulable flush on a 30-second grid) and Kubernetes' LeastAllocated scoring.

use super::job::scaled_runtime;
use super::*;
use crate::generic::fit_error;
use crate::policy::{DivisionPreference, ReplicaScheduling};
use sim_core::engine::{EngineConfig, run};
use sim_core::model::fixture::{self, WorldBuilder};
use sim_core::model::{
    Cluster, Component, GpuModelSet, GpuRequest, NamespaceId, NodePool, NodeShape, PodRequest,
};
use sim_core::record::{JobRecord, Preemptor, RescheduleReason, VecSink};
use std::collections::BTreeMap;

const GI: u64 = 1 << 30;
const S: u64 = 1000;

pub(super) fn pool(count: u32, model: u16) -> NodePool {
    fixture::pool(
        "gpu",
        count,
        NodeShape {
            cpu_milli: 64_000,
            memory: 512 * GI,
            max_pods: 110,
            gpus: 8,
            gpu_model: Some(GpuModelId(model)),
        },
    )
}

pub(super) fn cluster(name: &str, pools: Vec<NodePool>) -> Cluster {
    Cluster {
        node_pools: pools,
        ..fixture::cluster(name)
    }
}

/// alpha: 2 nodes of 8 A (reference speed); beta: 1 node of 8 B (twice as fast).
pub(super) fn world() -> World {
    WorldBuilder::new()
        .gpu_model("A", 80 * GI, 1000)
        .gpu_model("B", 80 * GI, 2000)
        .cluster(cluster("alpha", vec![pool(2, 0)]))
        .cluster(cluster("beta", vec![pool(1, 1)]))
        .namespace("team")
        .build()
}

pub(super) fn job(
    id: u64,
    submit_s: u64,
    replicas: u32,
    gpus: u32,
    runtime_s: u64,
    gang: bool,
) -> Job {
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
                node_claim: 0,
            },
        }],
        runtime: Duration(runtime_s * S),
        gang,
        checkpoint_interval: None,
        checkpoint_cost: None,
        max_restarts: None,
        max_unavailable: None,
        template: Default::default(),
    }
}

fn simulate(jobs: Vec<Job>) -> VecSink {
    let placement = Placement {
        replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::DynamicWeight),
        ..Placement::default()
    };
    run_full(
        world(),
        PolicySet::single(placement),
        &SchedulerConfig::default(),
        jobs,
        Default::default(),
        Vec::new(),
    )
}

/// Runs `jobs` through a control plane with faults and timeline changes; invariants checked
/// after every event.
fn run_full(
    world: World,
    policy_set: PolicySet,
    config: &SchedulerConfig,
    jobs: Vec<Job>,
    plan: crate::faults::FaultPlan,
    timeline: Vec<(SimTime, TimelineChange)>,
) -> VecSink {
    run_inputs(
        ControlInputs {
            check_invariants: true,
            faults: plan,
            timeline,
            ..ControlInputs::new(world, policy_set, config)
        },
        jobs,
    )
}

/// Runs `jobs` through a control plane built from `inputs`.
pub(super) fn run_inputs(inputs: ControlInputs<'_>, jobs: Vec<Job>) -> VecSink {
    drive(&mut ControlPlane::new(inputs).unwrap(), jobs, None).0
}

/// Runs `jobs` through `control` up to `horizon` (or until settled); the records and the
/// engine's totals.
pub(super) fn drive(
    control: &mut ControlPlane,
    jobs: Vec<Job>,
    horizon: Option<SimTime>,
) -> (VecSink, sim_core::engine::RunStats) {
    let mut sink = VecSink::default();
    let engine = EngineConfig {
        horizon,
        progress_every: 1000,
    };
    let stats = run::<_, std::convert::Infallible, _>(
        &engine,
        jobs.into_iter().map(Ok),
        control,
        &mut sink,
        &mut |_| {},
    )
    .unwrap();
    (sink, stats)
}

pub(super) fn by_id(sink: &VecSink, id: u64) -> &JobRecord {
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
    let config = SchedulerConfig::default();
    let mut control = ControlPlane::new(ControlInputs::new(
        world(),
        PolicySet::single(placement),
        &config,
    ))
    .unwrap();
    let (sink, _) = drive(&mut control, jobs, Some(SimTime(100 * S)));
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

mod karmada_behaviour {
    //! Affinity fallback, the world before federation, and rescheduling after policy and
    //! label changes, worked by hand.

    use super::*;
    use crate::config::{DirectSubmission, Federation};
    use crate::control::{PolicyUpdate, TimelineChange};
    use crate::policy::{
        ClusterAffinity, ClusterAffinityTerm, LabelSelector, PlacementId, PropagationPolicy,
        ResourceSelector,
    };
    use sim_core::model::Taint;

    fn names(list: &[&str]) -> ClusterAffinity {
        ClusterAffinity {
            cluster_names: list.iter().map(|n| n.to_string()).collect(),
            ..Default::default()
        }
    }

    fn run_with(
        world: World,
        policy_set: PolicySet,
        config: SchedulerConfig,
        jobs: Vec<Job>,
        timeline: Vec<(SimTime, TimelineChange)>,
        explain: Option<u64>,
    ) -> (VecSink, ControlPlane) {
        let mut control = ControlPlane::new(ControlInputs {
            check_invariants: true,
            timeline,
            explain: explain.map(JobId),
            ..ControlInputs::new(world, policy_set, &config)
        })
        .unwrap();
        let (sink, _) = drive(&mut control, jobs, None);
        (sink, control)
    }

    fn dynamic(affinity: Option<ClusterAffinity>) -> Placement {
        Placement {
            cluster_affinity: affinity,
            replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::DynamicWeight),
            ..Placement::default()
        }
    }

    fn policy_set(placement: Placement) -> PolicySet {
        let selector = ResourceSelector {
            api_version: "batch/v1".into(),
            kind: "Job".into(),
            ..Default::default()
        };
        PolicySet {
            placements: vec![placement],
            policies: vec![PropagationPolicy {
                name: "p".into(),
                namespace: None,
                priority: 0,
                selectors: vec![selector],
                placement: PlacementId(0),
                schedule_priority: 0,
            }],
            fallback: None,
            overrides: Vec::new(),
        }
    }

    #[test]
    fn affinity_terms_fall_back_to_the_next_term() {
        // §2.2: terms [A: m1, B: m2 m3]; m1 has an untolerated taint → A is a FitError, B
        // schedules. est m2 = m3 = 1 → the one seat is a tie that the workload UID's parity
        // breaks (`tieBreakerByUID`): m2 when its FNV-1a hash is even, m3 when odd.
        let mut w = world();
        w.fleet.clusters = vec![
            cluster("m1", vec![pool(1, 0)]),
            cluster("m2", vec![pool(1, 0)]),
            cluster("m3", vec![pool(1, 0)]),
        ];
        w.fleet.clusters[0].taints = vec![Taint {
            key: "k".into(),
            value: "v".into(),
            effect: sim_core::model::TaintEffect::NoSchedule,
        }];
        let placement = Placement {
            cluster_affinities: vec![
                ClusterAffinityTerm {
                    name: "A".into(),
                    affinity: names(&["m1"]),
                    overflow: Vec::new(),
                },
                ClusterAffinityTerm {
                    name: "B".into(),
                    affinity: names(&["m2", "m3"]),
                    overflow: Vec::new(),
                },
            ],
            ..dynamic(None)
        };
        let (sink, control) = run_with(
            w,
            PolicySet::single(placement),
            SchedulerConfig::default(),
            vec![job(0, 0, 1, 8, 600, true)],
            Vec::new(),
            Some(0),
        );
        let uid = crate::binding::workload_uid(0, JobId(0));
        let winner = match crate::divide::NameOrder::for_uid(&uid) {
            crate::divide::NameOrder::SmallerFirst => 1,
            crate::divide::NameOrder::LargerFirst => 2,
        };
        assert_eq!(by_id(&sink, 0).clusters, vec![(ClusterId(winner), 1)]);
        let log = control.explanation().unwrap();
        let attempts: Vec<&Attempt> = log
            .entries
            .iter()
            .filter_map(|(_, e)| match e {
                crate::explain::Entry::Attempt(a) => Some(a),
                _ => None,
            })
            .collect();
        assert_eq!(attempts.len(), 1);
        assert_eq!(attempts[0].observed_affinity.as_deref(), Some("B"));
        let tried: Vec<Option<&str>> = attempts[0]
            .decisions
            .iter()
            .map(|(t, _)| t.as_deref())
            .collect();
        assert_eq!(tried, vec![Some("A"), Some("B")]);
        assert!(
            matches!(&attempts[0].decisions[0].1.outcome, Outcome::NoClusterFit(m) if m.contains("untolerated taint {k=v:NoSchedule}"))
        );
    }

    #[test]
    fn without_federation_teams_submit_round_robin_and_wait_in_the_cluster() {
        // alpha: 2 nodes of 8 A; beta: 1 node of 8 B (twice as fast). Round robin over
        // alpha, beta: j0 → alpha (0–3600 s), j1 → beta (10–1810 s), j2 → alpha (20–3620 s),
        // j3 → beta, which is full until j1 ends at 1810 s; then 1800 s on B → 3610 s.
        let config = SchedulerConfig {
            federation: Federation::Direct(DirectSubmission::RoundRobin),
            ..SchedulerConfig::default()
        };
        let jobs = vec![
            job(0, 0, 1, 8, 3600, true),
            job(1, 10, 1, 8, 3600, true),
            job(2, 20, 1, 8, 3600, true),
            job(3, 30, 1, 8, 3600, true),
        ];
        let (sink, _) = run_with(
            world(),
            PolicySet::single(dynamic(None)),
            config,
            jobs,
            Vec::new(),
            None,
        );
        let times = |id| {
            let j = by_id(&sink, id);
            (
                j.clusters[0].0,
                j.start.unwrap().0 / S,
                j.end.unwrap().0 / S,
            )
        };
        assert_eq!(times(0), (ClusterId(0), 0, 3600));
        assert_eq!(times(1), (ClusterId(1), 10, 1810));
        assert_eq!(times(2), (ClusterId(0), 20, 3620));
        assert_eq!(times(3), (ClusterId(1), 1810, 3610));
    }

    #[test]
    fn fixed_cluster_per_team_without_federation() {
        let config = SchedulerConfig {
            federation: Federation::Direct(DirectSubmission::PerNamespace(vec![ClusterId(1)])),
            ..SchedulerConfig::default()
        };
        let (sink, _) = run_with(
            world(),
            PolicySet::single(dynamic(None)),
            config,
            vec![job(0, 0, 1, 8, 3600, true), job(1, 0, 1, 8, 3600, true)],
            Vec::new(),
            None,
        );
        // Both go to beta; the second waits for the first (1800 s on B).
        assert_eq!(by_id(&sink, 1).start, Some(SimTime(1800 * S)));
    }

    #[test]
    fn a_policy_change_moves_replicas_off_clusters_that_leave_the_selection() {
        // v1: alpha and beta → one 4-GPU replica each at 0 s. At 100 s the policy keeps only
        // alpha: placement changed → Steady schedule; beta's replica is forgotten and re-placed
        // as a scale-up of 1 on alpha (est 12/4 = 3) → {alpha: 2}. The gang lost a replica, so
        // it restarts at 100 s and ends at 3700 s; its first start stays 0.
        let set = policy_set(dynamic(Some(names(&["alpha", "beta"]))));
        let update = PolicyUpdate {
            policy: set.policies[0].clone(),
            placement: dynamic(Some(names(&["alpha"]))),
        };
        let timeline = vec![(SimTime(100 * S), TimelineChange::Policies(vec![update]))];
        let (sink, _) = run_with(
            world(),
            set,
            SchedulerConfig::default(),
            vec![job(0, 0, 2, 4, 3600, true)],
            timeline,
            None,
        );
        let j = by_id(&sink, 0);
        assert_eq!(j.clusters, vec![(ClusterId(0), 2)]);
        assert_eq!(
            (j.start, j.end),
            (Some(SimTime(0)), Some(SimTime(3700 * S)))
        );
        assert_eq!(j.n_attempts, 2);
        // GPU time: 2 × 4 GPUs × 100 s before, 2 × 4 × 3600 s after.
        assert_eq!(j.gpu_milli_ms, (8 * 100 + 8 * 3600) * 1000 * 1000);
    }

    #[test]
    fn overrides_change_what_members_run_not_the_decision() {
        // Karmada divides the template (2 replicas × 4 GPUs) one each onto alpha and beta; a
        // ClusterOverridePolicy then makes alpha run 2 replicas and beta's replica ask 2 GPUs.
        // The gang of 3 pods starts at 0 and ends at 3600 s; GPU time (2 × 4 + 2) × 3600 s.
        let mut set = policy_set(dynamic(None));
        let rule = |cluster: &str, overrider| crate::policy::OverrideRule {
            target: Some(names(&[cluster])),
            overriders: vec![overrider],
        };
        set.overrides = vec![crate::policy::OverridePolicy {
            name: "o".into(),
            namespace: None,
            selectors: Vec::new(),
            rules: vec![
                rule("alpha", crate::policy::Overrider::Replicas(2)),
                rule("beta", crate::policy::Overrider::GpuRequest(2)),
            ],
        }];
        let (sink, _) = run_with(
            world(),
            set,
            SchedulerConfig::default(),
            vec![job(0, 0, 2, 4, 3600, true)],
            Vec::new(),
            None,
        );
        let j = by_id(&sink, 0);
        assert_eq!(j.clusters, vec![(ClusterId(0), 1), (ClusterId(1), 1)]);
        assert_eq!(
            (j.start, j.end),
            (Some(SimTime(0)), Some(SimTime(3600 * S)))
        );
        assert_eq!(j.gpu_milli_ms, (2 * 4 + 2) * 3600 * 1000 * 1000);
    }

    fn tier(value: &str) -> sim_core::model::Labels {
        [("tier".to_string(), value.to_string())].into()
    }

    fn prod_only(scheduling: ReplicaScheduling) -> Placement {
        let selector = LabelSelector {
            match_labels: tier("prod"),
            match_expressions: Vec::new(),
        };
        Placement {
            cluster_affinity: Some(ClusterAffinity {
                label_selector: Some(selector),
                ..Default::default()
            }),
            replica_scheduling: scheduling,
            ..Placement::default()
        }
    }

    fn labelled_world() -> World {
        let mut w = world();
        for c in &mut w.fleet.clusters {
            c.labels = tier("prod");
        }
        w
    }

    #[test]
    fn a_label_change_drops_a_cluster_from_a_duplicated_binding() {
        // Duplicated over both prod clusters: one 4-GPU pod in each. At 100 s beta becomes dev:
        // the binding is requeued and, being Duplicated, rescheduled; beta fails the affinity
        // (no exemption for clusters in use) → {alpha: 1}. The pod on alpha keeps running.
        let timeline = vec![(
            SimTime(100 * S),
            TimelineChange::ClusterLabels {
                cluster: ClusterId(1),
                labels: tier("dev"),
            },
        )];
        let (sink, _) = run_with(
            labelled_world(),
            PolicySet::single(prod_only(ReplicaScheduling::Duplicated)),
            SchedulerConfig::default(),
            vec![job(0, 0, 1, 4, 3600, true)],
            timeline,
            None,
        );
        let j = by_id(&sink, 0);
        assert_eq!(j.clusters, vec![(ClusterId(0), 1)]);
        assert_eq!(j.end, Some(SimTime(3600 * S)));
        assert_eq!(j.gpu_milli_ms, (4 * 100 + 4 * 3600) * 1000 * 1000);
    }

    #[test]
    fn a_label_change_does_not_rebalance_a_divided_binding() {
        // §3.1 rule 6: a Divided binding whose replicas match its assignment is left alone.
        let timeline = vec![(
            SimTime(100 * S),
            TimelineChange::ClusterLabels {
                cluster: ClusterId(1),
                labels: tier("dev"),
            },
        )];
        let placement = prod_only(ReplicaScheduling::Divided(
            DivisionPreference::DynamicWeight,
        ));
        let (sink, _) = run_with(
            labelled_world(),
            PolicySet::single(placement),
            SchedulerConfig::default(),
            vec![job(0, 0, 2, 4, 3600, true)],
            timeline,
            None,
        );
        let j = by_id(&sink, 0);
        assert_eq!(j.clusters, vec![(ClusterId(0), 1), (ClusterId(1), 1)]);
        assert_eq!((j.end, j.n_attempts), (Some(SimTime(3600 * S)), 1));
    }
}

mod status_and_assumptions {
    //! Stale status and scheduling overcommit protection, worked by hand.

    use super::*;

    fn burst(overcommit_protection: bool) -> VecSink {
        // One 8-GPU node; three 4-GPU jobs at 1, 2 and 3 s, within one 10-s status period.
        let mut w = world();
        w.fleet.clusters = vec![cluster("solo", vec![pool(1, 0)])];
        let placement = Placement {
            replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::DynamicWeight),
            ..Placement::default()
        };
        let config = SchedulerConfig {
            feature_gates: crate::FeatureGates {
                scheduling_overcommit_protection: overcommit_protection,
                ..crate::FeatureGates::default()
            },
            ..SchedulerConfig::default()
        };
        let mut control = ControlPlane::new(ControlInputs {
            check_invariants: true,
            ..ControlInputs::new(w, PolicySet::single(placement), &config)
        })
        .unwrap();
        let jobs = vec![
            job(0, 1, 1, 4, 3600, true),
            job(1, 2, 1, 4, 3600, true),
            job(2, 3, 1, 4, 3600, true),
        ];
        drive(&mut control, jobs, Some(SimTime(60 * S))).0
    }

    #[test]
    fn without_protection_a_burst_oversubscribes_the_stale_cluster() {
        // The status published at 1 s shows 8 free GPUs until 10 s: each job is estimated at
        // 8 / 4 = 2 and sent; the third finds no node and waits in the member.
        let sink = burst(false);
        let waited: Vec<u64> = sink.jobs().map(|j| j.n_pods_waited).collect();
        assert_eq!(waited, vec![0, 0, 1]);
        // The horizon is 60 s: j2's pod is still waiting, so no member wait is charged yet.
        assert!(sink.jobs().all(|j| j.member_wait_ms == 0));
        assert!(sink.jobs().all(|j| j.n_pods_sent == 1));
    }

    #[test]
    fn with_protection_assumed_replicas_are_deducted() {
        // j0 is assumed (4 GPUs): j1 sees 8 − 4 = 4 free → 1; with both assumed j2 sees 0 and
        // stays in Karmada's queue, so nothing waits in the member.
        let sink = burst(true);
        let by_job: Vec<(u64, u64, JobState)> = sink
            .jobs()
            .map(|j| (j.n_pods_sent, j.n_pods_waited, j.state))
            .collect();
        assert_eq!(
            by_job,
            vec![
                (1, 0, JobState::Running),
                (1, 0, JobState::Running),
                (0, 0, JobState::Unschedulable)
            ]
        );
    }
}

/// Faults and failover, worked by hand. The times follow from Karmada's defaults (status
/// grace 40 s, graceful eviction timeout 10 min, the 5-minute unschedulable flush on a 30 s
/// grid) and the jobs' checkpoints.
mod faults {
    use super::*;
    use crate::config::{DirectSubmission, Federation};
    use crate::control::{InitialPlacement, RunningPods};
    use crate::faults::{FailoverConfig, FaultPlan, FaultTarget, Outage};
    use crate::policy::{ApplicationFailover, Failover, PurgeMode, Toleration, TolerationOperator};
    use sim_core::model::TaintEffect;
    use sim_core::record::{EventKind, EventRecord};

    const MILLI_GPUS_8: u128 = 8000;

    fn run_faults(
        world: World,
        placement: Placement,
        config: SchedulerConfig,
        jobs: Vec<Job>,
        plan: FaultPlan,
    ) -> VecSink {
        run_full(
            world,
            PolicySet::single(placement),
            &config,
            jobs,
            plan,
            Vec::new(),
        )
    }

    pub(super) fn outage(target: FaultTarget, down_s: u64, up_s: u64, drain: bool) -> Outage {
        Outage {
            target,
            down: SimTime(down_s * S),
            up: Some(SimTime(up_s * S)),
            drain,
            label: "test".into(),
        }
    }

    fn events(sink: &VecSink, kind: EventKind) -> Vec<&EventRecord> {
        sink.events().filter(|e| e.kind == kind).collect()
    }

    fn checkpointed(mut job: Job, every_s: u64) -> Job {
        job.checkpoint_interval = Some(Duration(every_s * S));
        job
    }

    /// The (time s, allocated GPUs) steps of one cluster's first GPU model.
    fn allocation(sink: &VecSink, cluster: u32) -> Vec<(u64, u64)> {
        sink.allocations()
            .filter(|a| a.cluster == ClusterId(cluster))
            .map(|a| (a.time.as_millis() / S, a.allocated_milli / 1000))
            .collect()
    }

    /// A placement tolerating the unreachable NoExecute taint for 300 s, and a control plane
    /// whose taint manager evicts (NoExecute eviction and the Failover gate on).
    fn taint_manager() -> (Placement, SchedulerConfig) {
        let placement = Placement {
            replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::DynamicWeight),
            cluster_tolerations: vec![Toleration {
                key: crate::faults::UNREACHABLE_TAINT.into(),
                operator: TolerationOperator::Exists,
                value: String::new(),
                effect: Some(TaintEffect::NoExecute),
                toleration_seconds: Some(300),
            }],
            ..Placement::default()
        };
        let config = SchedulerConfig {
            status_period: Duration::ZERO,
            failover: FailoverConfig {
                no_execute_eviction: true,
                ..FailoverConfig::default()
            },
            // The taint manager runs only with the Failover gate.
            feature_gates: crate::FeatureGates {
                failover: true,
                ..crate::FeatureGates::default()
            },
            ..SchedulerConfig::default()
        };
        (placement, config)
    }

    /// alpha (cluster 0) lost from 1000 s to `up_s`.
    fn alpha_lost(up_s: u64) -> FaultPlan {
        FaultPlan {
            outages: vec![outage(
                FaultTarget::Cluster(ClusterId(0)),
                1000,
                up_s,
                false,
            )],
            random: Vec::new(),
            ..FaultPlan::default()
        }
    }

    #[test]
    fn a_lost_cluster_is_left_after_grace_plus_toleration_seconds() {
        // One 8-GPU gang (runtime 3600 s, checkpoint every 600 s) goes to alpha (dynamic
        // weights 2:1). alpha is lost at 1000 s: 600 s are saved, 400 s × 8 GPUs lost. The
        // control plane marks alpha unreachable at 1040 s (grace 40 s) with a NoExecute taint
        // the job tolerates for 300 s: it is evicted at 1340 s, not before, and rescheduled on
        // beta (twice as fast): the 3000 s left take 1500 s there, so it ends at 2840 s.
        let (placement, config) = taint_manager();
        let jobs = vec![checkpointed(job(0, 0, 1, 8, 3600, true), 600)];
        let sink = run_faults(world(), placement, config, jobs, alpha_lost(10_000));
        let j = by_id(&sink, 0);
        assert_eq!(j.state, JobState::Completed);
        assert_eq!(j.end, Some(SimTime(2840 * S)));
        assert_eq!(j.clusters, vec![(ClusterId(1), 1)]);
        let f = j.faults;
        assert_eq!((f.n_evictions, f.n_restarts), (1, 1));
        assert_eq!(f.lost_gpu_milli_ms, MILLI_GPUS_8 * 400_000);
        assert_eq!(f.used_gpu_milli_ms, MILLI_GPUS_8 * (600_000 + 1_500_000));
        assert_eq!(f.idle_gpu_milli_ms, 0);
        assert_eq!(j.gpu_milli_ms, MILLI_GPUS_8 * (1_000_000 + 1_500_000));
        assert_eq!((f.recovery_ms, f.n_recoveries), (340_000, 1));
        let at = |kind| {
            events(&sink, kind)
                .iter()
                .map(|e| e.time.as_millis() / S)
                .collect::<Vec<_>>()
        };
        assert_eq!(at(EventKind::ClusterDown), [1000]);
        assert_eq!(at(EventKind::ClusterNotReady), [1040]);
        assert_eq!(at(EventKind::Eviction), [1340]);
        assert_eq!(at(EventKind::Recovered), [1340]);
        // The run ends with its last job, before alpha returns.
        assert!(at(EventKind::ClusterUp).is_empty());
        assert_eq!(
            events(&sink, EventKind::PodsLost)[0].lost_gpu_milli_ms,
            MILLI_GPUS_8 * 400_000
        );
        // Nothing ran on beta before the eviction.
        assert_eq!(allocation(&sink, 1), [(0, 0), (1340, 8), (2840, 0)]);
    }

    #[test]
    fn without_no_execute_eviction_jobs_wait_for_their_cluster() {
        // Karmada's default: an unreachable cluster only gets a NoSchedule taint, so the job
        // keeps its assignment and resumes from its checkpoint when alpha returns at 5000 s:
        // 3000 s left on A GPUs, it ends at 8000 s.
        let placement = Placement {
            replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::DynamicWeight),
            ..Placement::default()
        };
        let config = SchedulerConfig {
            status_period: Duration::ZERO,
            ..SchedulerConfig::default()
        };
        let plan = FaultPlan {
            outages: vec![outage(
                FaultTarget::Cluster(ClusterId(0)),
                1000,
                5000,
                false,
            )],
            random: Vec::new(),
            ..FaultPlan::default()
        };
        let jobs = vec![checkpointed(job(0, 0, 1, 8, 3600, true), 600)];
        let sink = run_faults(world(), placement, config, jobs, plan);
        let j = by_id(&sink, 0);
        assert_eq!(j.end, Some(SimTime(8000 * S)));
        assert_eq!(j.clusters, vec![(ClusterId(0), 1)]);
        assert_eq!(j.faults.n_evictions, 0);
        assert_eq!(j.faults.recovery_ms, 4_000_000);
        assert!(events(&sink, EventKind::Eviction).is_empty());
    }

    /// Checks the job of `a_lost_cluster_is_left_after_grace_plus_toleration_seconds` when
    /// nothing moves it: it keeps alpha and resumes from its checkpoint when alpha returns at
    /// 5000 s, its 3000 s left on A GPUs ending at 8000 s (400 s × 8 GPUs lost at 1000 s).
    fn assert_waited_for_alpha(sink: &VecSink) {
        let j = by_id(sink, 0);
        assert_eq!(j.state, JobState::Completed);
        assert_eq!(j.clusters, vec![(ClusterId(0), 1)]);
        assert_eq!(j.end, Some(SimTime(8000 * S)));
        assert_eq!((j.faults.n_evictions, j.faults.n_restarts), (0, 1));
        assert_eq!(j.faults.lost_gpu_milli_ms, MILLI_GPUS_8 * 400_000);
        assert_eq!(j.faults.recovery_ms, 4_000_000);
        assert!(events(sink, EventKind::Eviction).is_empty());
        // alpha was marked unreachable all the same: only the taint manager's eviction is
        // Karmada's alone.
        assert_eq!(events(sink, EventKind::ClusterNotReady).len(), 1);
    }

    #[test]
    fn without_federation_a_lost_cluster_keeps_its_jobs_until_it_returns() {
        // The same fleet, policy and taint manager as above, but teams submit to clusters
        // themselves (round robin: alpha first). No Karmada binding exists, so no taint
        // manager evicts the job and nothing reschedules it elsewhere.
        let (placement, mut config) = taint_manager();
        config.federation = Federation::Direct(DirectSubmission::RoundRobin);
        let jobs = vec![checkpointed(job(0, 0, 1, 8, 3600, true), 600)];
        let sink = run_faults(world(), placement, config, jobs, alpha_lost(5000));
        assert_waited_for_alpha(&sink);
    }

    #[test]
    fn a_job_the_snapshot_runs_that_no_policy_selects_is_not_evicted() {
        // The job was running on alpha's node 0 before time 0 and no policy selects it: it was
        // created in the member directly. Karmada's taint manager evicts bindings, and this job
        // has none, so it waits for alpha as above: whether the scenario has no policy or
        // placement at all, or a policy for Deployments whose placement tolerates nothing
        // (its bindings would be evicted at once, at 1040 s).
        let (_, config) = taint_manager();
        let none = PolicySet {
            placements: Vec::new(),
            policies: Vec::new(),
            fallback: None,
            overrides: Vec::new(),
        };
        let deployments = PolicySet {
            placements: vec![Placement::default()],
            policies: vec![crate::policy::PropagationPolicy {
                name: "deployments".into(),
                namespace: None,
                priority: 0,
                selectors: vec![crate::policy::ResourceSelector {
                    api_version: "apps/v1".into(),
                    kind: "Deployment".into(),
                    ..Default::default()
                }],
                placement: crate::policy::PlacementId(0),
                schedule_priority: 0,
            }],
            fallback: None,
            overrides: Vec::new(),
        };
        for policies in [none, deployments] {
            let sink = run_inputs(
                ControlInputs {
                    check_invariants: true,
                    faults: alpha_lost(5000),
                    initial: vec![InitialPlacement {
                        cluster: Some(ClusterId(0)),
                        running: vec![RunningPods {
                            component: 0,
                            node: 0,
                            n_pods: 1,
                        }],
                    }],
                    ..ControlInputs::new(world(), policies, &config)
                },
                vec![checkpointed(job(0, 0, 1, 8, 3600, true), 600)],
            );
            assert_waited_for_alpha(&sink);
        }
    }

    #[test]
    fn without_federation_application_failover_does_not_move_a_job() {
        // The fleet and jobs of `failover_case` (application failover after 120 s), submitted
        // round robin: J to alpha, B to gamma. Node 1 of alpha fails at 100 s: J loses 40 s
        // since its checkpoint at 60 s, and its recreated pod waits on alpha, where node 0
        // holds J's other pod. Nothing evicts J, so it waits for node 1 to return at 10,000 s
        // and runs its 3540 s left there, ending at 13,540 s.
        let config = SchedulerConfig {
            status_period: Duration::ZERO,
            federation: Federation::Direct(DirectSubmission::RoundRobin),
            ..SchedulerConfig::default()
        };
        let sink = failover_run(PurgeMode::Gracefully, config);
        let j = by_id(&sink, 0);
        assert_eq!(j.clusters, vec![(ClusterId(0), 2)]);
        assert_eq!(j.end, Some(SimTime(13_540 * S)));
        assert_eq!(j.faults.n_evictions, 0);
        assert_eq!(j.faults.lost_gpu_milli_ms, 2 * MILLI_GPUS_8 * 40_000);
        assert!(events(&sink, EventKind::Eviction).is_empty());
        assert_eq!(by_id(&sink, 1).clusters, vec![(ClusterId(1), 2)]);
    }

    /// alpha: 2 nodes of 8 A; gamma: 2 nodes of 8 A.
    fn two_twins() -> World {
        let mut w = world();
        w.fleet.clusters = vec![
            cluster("alpha", vec![pool(2, 0)]),
            cluster("gamma", vec![pool(2, 0)]),
        ];
        w
    }

    /// J (2 × 8 GPUs, gang, 3600 s, checkpoint 60 s) packs onto alpha (Aggregated, alpha
    /// first by name); B (2 × 8 GPUs, 500 s) then fills gamma from 1 s to 501 s. Node 1 of
    /// alpha fails at 100 s: J's pod there is lost (60 s saved, 40 s × 16 GPUs lost), the
    /// recreated pod waits and the application is unhealthy; 120 s later (220 s) application
    /// failover evicts alpha. gamma is full, so J waits in the unschedulable queue until the
    /// flush at 540 s (220 + 300 on the 30 s grid), then runs its 3540 s left on gamma.
    fn failover_case(purge: PurgeMode) -> VecSink {
        failover_case_with(purge, crate::FeatureGates::default())
    }

    /// The same, with `feature_gates`.
    pub(super) fn failover_case_with(
        purge: PurgeMode,
        feature_gates: crate::FeatureGates,
    ) -> VecSink {
        let config = SchedulerConfig {
            status_period: Duration::ZERO,
            feature_gates,
            ..SchedulerConfig::default()
        };
        failover_run(purge, config)
    }

    /// The fleet, policy, jobs and node failure of [`failover_case`] under `config`.
    fn failover_run(purge: PurgeMode, config: SchedulerConfig) -> VecSink {
        let placement = Placement {
            replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::Aggregated),
            failover: Failover {
                cluster: None,
                application: Some(ApplicationFailover {
                    toleration_seconds: 120,
                    purge_mode: purge,
                    grace_period_seconds: 600,
                }),
            },
            ..Placement::default()
        };
        let plan = FaultPlan {
            outages: vec![outage(
                FaultTarget::Nodes {
                    cluster: ClusterId(0),
                    nodes: 1..2,
                },
                100,
                10_000,
                false,
            )],
            random: Vec::new(),
            ..FaultPlan::default()
        };
        let jobs = vec![
            checkpointed(job(0, 0, 2, 8, 3600, true), 60),
            job(1, 1, 2, 8, 500, true),
        ];
        run_faults(two_twins(), placement, config, jobs, plan)
    }

    #[test]
    fn graceful_eviction_keeps_the_old_replicas_until_the_new_ones_run() {
        let sink = failover_case(PurgeMode::Gracefully);
        let j = by_id(&sink, 0);
        assert_eq!(j.end, Some(SimTime((540 + 3540) * S)));
        assert_eq!(j.clusters, vec![(ClusterId(1), 2)]);
        // The surviving pod on alpha node 0 is held, idle, until the new replicas run at 540 s.
        // (The run ends with the last job, before node 1 returns.)
        assert_eq!(allocation(&sink, 0), [(0, 0), (0, 16), (100, 8), (540, 0)]);
        let f = j.faults;
        assert_eq!(f.lost_gpu_milli_ms, 2 * MILLI_GPUS_8 * 40_000);
        assert_eq!(f.idle_gpu_milli_ms, MILLI_GPUS_8 * (540_000 - 100_000));
        assert_eq!(f.used_gpu_milli_ms, 2 * MILLI_GPUS_8 * (60_000 + 3_540_000));
        assert_eq!((f.recovery_ms, f.n_recoveries), (440_000, 1));
        let eviction = events(&sink, EventKind::Eviction);
        assert_eq!(eviction.len(), 1);
        assert_eq!(eviction[0].time, SimTime(220 * S));
        assert_eq!(eviction[0].reason, "ApplicationFailure");
    }

    #[test]
    fn purge_mode_never_keeps_the_old_replicas_until_the_job_ends() {
        let sink = failover_case(PurgeMode::Never);
        let j = by_id(&sink, 0);
        assert_eq!(j.end, Some(SimTime(4080 * S)));
        assert_eq!(allocation(&sink, 0), [(0, 0), (0, 16), (100, 8), (4080, 0)]);
        assert_eq!(
            j.faults.idle_gpu_milli_ms,
            MILLI_GPUS_8 * (4_080_000 - 100_000)
        );
    }

    #[test]
    fn purge_mode_directly_removes_the_old_replicas_at_once() {
        let sink = failover_case(PurgeMode::Directly);
        assert_eq!(by_id(&sink, 0).end, Some(SimTime(4080 * S)));
        assert_eq!(allocation(&sink, 0), [(0, 0), (0, 16), (100, 8), (220, 0)]);
    }

    #[test]
    fn a_gang_never_runs_with_a_replica_missing() {
        // In the failover case J's surviving replica holds its GPUs from 100 s to 540 s but
        // the gang only runs again once both replicas run (one recovery, at 540 s).
        let sink = failover_case(PurgeMode::Gracefully);
        let recovered = events(&sink, EventKind::Recovered);
        assert_eq!(recovered.len(), 1);
        assert_eq!(recovered[0].time, SimTime(540 * S));
        assert_eq!(recovered[0].recovery_ms, Some(440_000));
    }

    /// A job (1 × 8 GPUs, 3600 s) on alpha node 0; node 0 is lost (or drained) at 1000 s
    /// and the member recreates the pod on node 1 at once.
    fn node_loss(checkpoint_s: Option<u64>, drain: bool) -> JobRecord {
        let placement = Placement {
            replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::DynamicWeight),
            ..Placement::default()
        };
        let mut j = job(0, 0, 1, 8, 3600, true);
        j.checkpoint_interval = checkpoint_s.map(|s| Duration(s * S));
        let plan = FaultPlan {
            outages: vec![outage(
                FaultTarget::Nodes {
                    cluster: ClusterId(0),
                    nodes: 0..1,
                },
                1000,
                20_000,
                drain,
            )],
            random: Vec::new(),
            ..FaultPlan::default()
        };
        let sink = run_faults(
            world(),
            placement,
            SchedulerConfig::default(),
            vec![j],
            plan,
        );
        by_id(&sink, 0).clone()
    }

    #[test]
    fn a_checkpointed_job_loses_exactly_the_work_since_its_last_checkpoint() {
        // Checkpoints at 600 s: 400 s lost, 3000 s left → ends at 4000 s.
        let j = node_loss(Some(600), false);
        assert_eq!(j.end, Some(SimTime(4000 * S)));
        assert_eq!(j.faults.lost_gpu_milli_ms, MILLI_GPUS_8 * 400_000);
        assert_eq!(j.faults.n_restarts, 1);
        // No checkpoint: all 1000 s lost, the whole run again → ends at 4600 s.
        let j = node_loss(None, false);
        assert_eq!(j.end, Some(SimTime(4600 * S)));
        assert_eq!(j.faults.lost_gpu_milli_ms, MILLI_GPUS_8 * 1_000_000);
        // A drain checkpoints first: nothing lost, ends at 3600 s.
        let j = node_loss(None, true);
        assert_eq!(j.end, Some(SimTime(3600 * S)));
        assert_eq!(j.faults.lost_gpu_milli_ms, 0);
    }

    #[test]
    fn a_job_restarting_more_than_allowed_fails_for_good() {
        let placement = Placement {
            replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::DynamicWeight),
            ..Placement::default()
        };
        let mut j = job(0, 0, 1, 8, 3600, true);
        j.max_restarts = Some(0);
        let plan = FaultPlan {
            outages: vec![outage(
                FaultTarget::Nodes {
                    cluster: ClusterId(0),
                    nodes: 0..1,
                },
                1000,
                2000,
                false,
            )],
            random: Vec::new(),
            ..FaultPlan::default()
        };
        let sink = run_faults(
            world(),
            placement,
            SchedulerConfig::default(),
            vec![j],
            plan,
        );
        let j = by_id(&sink, 0);
        assert_eq!(j.state, JobState::Failed);
        assert_eq!(j.faults.lost_gpu_milli_ms, MILLI_GPUS_8 * 1_000_000);
        assert_eq!(events(&sink, EventKind::JobFailed).len(), 1);
    }
}

/// WorkloadRebalancer and the karmada-descheduler, worked by hand.
mod rebalancing {
    use super::*;
    use crate::control::{DeschedulerConfig, WorkloadRef};
    use crate::faults::{FailoverConfig, FaultPlan, FaultTarget, Outage};
    use crate::policy::{Toleration, TolerationOperator};
    use sim_core::model::TaintEffect;
    use sim_core::record::EventKind;

    fn run_plan(
        world: World,
        placement: Placement,
        config: SchedulerConfig,
        jobs: Vec<Job>,
        plan: FaultPlan,
        timeline: Vec<(SimTime, TimelineChange)>,
    ) -> VecSink {
        run_full(
            world,
            PolicySet::single(placement),
            &config,
            jobs,
            plan,
            timeline,
        )
    }

    fn allocation(sink: &VecSink, cluster: u32) -> Vec<(u64, u64)> {
        sink.allocations()
            .filter(|a| a.cluster == ClusterId(cluster))
            .map(|a| (a.time.as_millis() / S, a.allocated_milli / 1000))
            .collect()
    }

    fn dynamic() -> Placement {
        Placement {
            replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::DynamicWeight),
            cluster_tolerations: vec![Toleration {
                key: crate::faults::UNREACHABLE_TAINT.into(),
                operator: TolerationOperator::Exists,
                value: String::new(),
                effect: Some(TaintEffect::NoExecute),
                toleration_seconds: Some(0),
            }],
            ..Placement::default()
        }
    }

    #[test]
    fn a_workload_rebalancer_spreads_replicas_back_after_a_cluster_returns() {
        // alpha and gamma: 2 nodes of 8 GPUs each. A 2 × 8-GPU job (5000 s) gets weights 2:2
        // → {alpha: 1, gamma: 1}. alpha is lost from 100 s to 1000 s: unreachable at 140 s,
        // evicted at once (toleration 0), its replica rescheduled on gamma → {gamma: 2}.
        // alpha is Ready again at 1030 s; a Steady schedule leaves the binding alone. The
        // rebalancer at 2000 s asks for a fresh schedule: weights est + previous = alpha
        // 2 + 0, gamma 0 + 2 → Webster, tie to the name → {alpha: 1, gamma: 1}: gamma's newer
        // pod moves to alpha.
        let mut w = world();
        w.fleet.clusters = vec![
            cluster("alpha", vec![pool(2, 0)]),
            cluster("gamma", vec![pool(2, 0)]),
        ];
        let config = SchedulerConfig {
            status_period: Duration::ZERO,
            failover: FailoverConfig {
                no_execute_eviction: true,
                ..FailoverConfig::default()
            },
            // The taint manager runs only with the Failover gate.
            feature_gates: crate::FeatureGates {
                failover: true,
                ..crate::FeatureGates::default()
            },
            ..SchedulerConfig::default()
        };
        let plan = FaultPlan {
            outages: vec![Outage {
                target: FaultTarget::Cluster(ClusterId(0)),
                down: SimTime(100 * S),
                up: Some(SimTime(1000 * S)),
                drain: false,
                label: "test".into(),
            }],
            random: Vec::new(),
            ..FaultPlan::default()
        };
        let timeline = vec![(
            SimTime(2000 * S),
            TimelineChange::Rebalance(vec![WorkloadRef {
                namespace: NamespaceId(0),
                name: Some("j0".into()),
            }]),
        )];
        let jobs = vec![job(0, 0, 2, 8, 5000, false)];
        let sink = run_plan(w, dynamic(), config, jobs, plan, timeline);
        // (alpha's return at 1000 s changes only its capacity.)
        assert_eq!(
            allocation(&sink, 0)[..5],
            [(0, 0), (0, 8), (100, 0), (1000, 0), (2000, 8)]
        );
        assert_eq!(
            allocation(&sink, 1)[..4],
            [(0, 0), (0, 8), (140, 16), (2000, 8)]
        );
        let rebalances: Vec<_> = sink
            .events()
            .filter(|e| e.kind == EventKind::Reschedule(RescheduleReason::Rebalance))
            .collect();
        assert_eq!(rebalances.len(), 1);
        assert_eq!(rebalances[0].reason, "Successful");
        assert_eq!(
            by_id(&sink, 0).clusters,
            vec![(ClusterId(0), 1), (ClusterId(1), 1)]
        );
    }

    #[test]
    fn the_descheduler_moves_replicas_stuck_pending_after_a_node_loss() {
        // alpha: 2 nodes, gamma: 1 node. A 2 × 8-GPU Deployment gets weights 2:1 →
        // {alpha: 1, gamma: 1}. gamma's only node fails at 100 s: the pod waits. The
        // descheduler runs every 2 min (120, 240, ... s); the pod has been unschedulable for
        // 5 min at 400 s, so the pass at 480 s takes the replica off gamma (spec 1, ready 0,
        // unschedulable 1 → 0) and the scale-up puts it on alpha (est alpha 1, gamma 0).
        let mut w = world();
        w.fleet.clusters = vec![
            cluster("alpha", vec![pool(2, 0)]),
            cluster("gamma", vec![pool(1, 0)]),
        ];
        let mut config = SchedulerConfig {
            status_period: Duration::ZERO,
            descheduler: Some(DeschedulerConfig::default()),
            ..SchedulerConfig::default()
        };
        config.estimators.push("accurate".into());
        let plan = FaultPlan {
            outages: vec![Outage {
                target: FaultTarget::Nodes {
                    cluster: ClusterId(1),
                    nodes: 0..1,
                },
                down: SimTime(100 * S),
                up: Some(SimTime(100_000 * S)),
                drain: false,
                label: "test".into(),
            }],
            random: Vec::new(),
            ..FaultPlan::default()
        };
        let mut deployment = job(0, 0, 2, 8, 20_000, false);
        deployment.template.kind = std::sync::Arc::from("Deployment");
        deployment.template.api_version = std::sync::Arc::from("apps/v1");
        let sink = run_plan(w, dynamic(), config, vec![deployment], plan, Vec::new());
        assert_eq!(allocation(&sink, 0)[..3], [(0, 0), (0, 8), (480, 16)]);
        let descheduled: Vec<_> = sink
            .events()
            .filter(|e| e.kind == EventKind::Eviction)
            .map(|e| (e.time.as_millis() / S, e.pods))
            .collect();
        assert_eq!(descheduled, [(480, 1)]);
        // The descheduler leaves gamma at 0; the scale-up's result drops the empty entry.
        assert_eq!(by_id(&sink, 0).clusters, vec![(ClusterId(0), 2)]);
    }
}

/// Member preemption (Kubernetes' DefaultPreemption), worked by hand.
mod preemption {
    use super::*;
    use crate::control::PreemptionConfig;
    use sim_core::model::PriorityClassId;
    use sim_core::record::EventKind;

    /// One cluster of 2 nodes × 8 GPUs; classes low (0), high (100), high-never (100,
    /// preemptionPolicy Never).
    fn small_world() -> World {
        WorldBuilder::new()
            .gpu_model("A", 80 * GI, 1000)
            .gpu_model("B", 80 * GI, 2000)
            .cluster(cluster("alpha", vec![pool(2, 0)]))
            .namespace("team")
            .priority_class("low", 0, false)
            .priority_class("high", 100, false)
            .priority_class("high-never", 100, true)
            .build()
    }

    fn classed(mut job: Job, class: u32) -> Job {
        job.priority_class = Some(PriorityClassId(class));
        job
    }

    /// A (low, 8 GPUs) fills node 0 at 0 s; B (low, 4) and C (low, 2) go to node 1 at 1 s and
    /// 2 s (LeastAllocated). At 10 s a 4-GPU job of class `class` arrives; Duplicated, so
    /// Karmada sends it whatever the estimate and it waits in the member.
    fn run_case(class: u32) -> VecSink {
        let placement = Placement {
            replica_scheduling: ReplicaScheduling::Duplicated,
            ..Placement::default()
        };
        let config = SchedulerConfig {
            status_period: Duration::ZERO,
            preemption: PreemptionConfig {
                member: true,
                control_plane: false,
            },
            ..SchedulerConfig::default()
        };
        let jobs = vec![
            classed(job(0, 0, 1, 8, 3600, true), 0),
            classed(job(1, 1, 1, 4, 3600, true), 0),
            classed(job(2, 2, 1, 2, 3600, true), 0),
            classed(job(3, 10, 1, 4, 600, true), class),
        ];
        run_full(
            small_world(),
            PolicySet::single(placement),
            &config,
            jobs,
            Default::default(),
            Vec::new(),
        )
    }

    fn preemptions(sink: &VecSink) -> Vec<(u64, u64)> {
        sink.events()
            .filter(|e| e.kind == EventKind::Preemption(Preemptor::Cluster))
            .map(|e| (e.time.as_millis() / S, e.job.unwrap().0))
            .collect()
    }

    #[test]
    fn a_high_priority_job_preempts_the_minimal_lower_priority_set() {
        // Node 0 would need A (one victim), node 1 only C (one victim: B is reprieved, since
        // B back leaves 4 GPUs). Same count, same priorities: the node whose victims started
        // last wins, node 1 (C at 2 s against A at 0 s). The job starts at 10 s; C waits and
        // starts over (no checkpoint) when the job ends at 610 s, ending at 4210 s.
        let sink = run_case(1);
        assert_eq!(preemptions(&sink), [(10, 2)]);
        assert_eq!(by_id(&sink, 3).start, Some(SimTime(10 * S)));
        let c = by_id(&sink, 2);
        assert_eq!(c.faults.n_preemptions, 1);
        assert_eq!(c.end, Some(SimTime(4210 * S)));
        assert_eq!(c.faults.lost_gpu_milli_ms, 2000 * 8000);
        assert_eq!(by_id(&sink, 0).faults.n_preemptions, 0);
        assert_eq!(by_id(&sink, 1).faults.n_preemptions, 0);
    }

    /// B (low, 8 GPUs) takes node 0 at 0 s, A (low, 8 GPUs) node 1 at 1 s; at 10 s a
    /// high-priority 4-GPU job needs one of them gone.
    fn pdb_case(a_budget: Option<u32>) -> Vec<(u64, u64)> {
        let placement = Placement {
            replica_scheduling: ReplicaScheduling::Duplicated,
            ..Placement::default()
        };
        let config = SchedulerConfig {
            status_period: Duration::ZERO,
            preemption: PreemptionConfig {
                member: true,
                control_plane: false,
            },
            ..SchedulerConfig::default()
        };
        let mut a = classed(job(1, 1, 1, 8, 3600, true), 0);
        a.max_unavailable = a_budget;
        let jobs = vec![
            classed(job(0, 0, 1, 8, 3600, true), 0),
            a,
            classed(job(2, 10, 1, 4, 600, true), 1),
        ];
        let sink = run_full(
            small_world(),
            PolicySet::single(placement),
            &config,
            jobs,
            Default::default(),
            Vec::new(),
        );
        preemptions(&sink)
    }

    #[test]
    fn a_disruption_budget_steers_preemption_to_another_node() {
        // One victim either way; without a budget the most recently started victim's node
        // wins (A, 1 s); with A's maxUnavailable 0, evicting A breaks its budget, so B goes.
        assert_eq!(pdb_case(None), [(10, 1)]);
        assert_eq!(pdb_case(Some(0)), [(10, 0)]);
    }

    #[test]
    fn equal_priority_never_preempts() {
        let sink = run_case(0);
        assert!(preemptions(&sink).is_empty());
        // It waits until A or B ends at 3600 s / 3601 s.
        assert_eq!(by_id(&sink, 3).start, Some(SimTime(3600 * S)));
    }

    #[test]
    fn preemption_policy_never_never_preempts() {
        let sink = run_case(2);
        assert!(preemptions(&sink).is_empty());
        assert_eq!(by_id(&sink, 3).start, Some(SimTime(3600 * S)));
    }
}

/// Binding preemption as Karmada's proposal describes it, worked by hand from its example.
mod binding_preemption {
    use super::*;
    use crate::control::PreemptionConfig;
    use crate::policy::{PropagationPolicy, ResourceSelector};
    use sim_core::record::EventKind;

    /// One cluster of 10 nodes × 1 GPU. Jobs j0..j3 (1, 2, 5 and 2 one-GPU replicas, schedule
    /// priorities 0..3) fill it; j4 (5 replicas, priority 10) arrives at 10 s. Each job has
    /// its own policy giving its priority.
    fn run_case(control_plane: bool) -> VecSink {
        run_case_with(control_plane, crate::FeatureGates::default())
    }

    /// The same, with `feature_gates`.
    pub(super) fn run_case_with(
        control_plane: bool,
        feature_gates: crate::FeatureGates,
    ) -> VecSink {
        let mut w = world();
        let mut one_gpu = pool(10, 0);
        one_gpu.shape.gpus = 1;
        w.fleet.clusters = vec![cluster("alpha", vec![one_gpu])];
        let placement = Placement {
            replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::DynamicWeight),
            ..Placement::default()
        };
        let priorities = [0, 1, 2, 3, 10];
        let policies = priorities
            .iter()
            .enumerate()
            .map(|(idx, &schedule_priority)| PropagationPolicy {
                name: format!("p{idx}"),
                namespace: None,
                priority: 0,
                selectors: vec![ResourceSelector {
                    api_version: "batch/v1".into(),
                    kind: "Job".into(),
                    name: format!("j{idx}"),
                    ..Default::default()
                }],
                placement: PlacementId(0),
                schedule_priority,
            })
            .collect();
        let policy_set = PolicySet {
            placements: vec![placement],
            policies,
            fallback: None,
            overrides: Vec::new(),
        };
        let config = SchedulerConfig {
            status_period: Duration::ZERO,
            preemption: PreemptionConfig {
                member: false,
                control_plane,
            },
            feature_gates,
            ..SchedulerConfig::default()
        };
        let jobs = vec![
            job(0, 0, 1, 1, 3600, false),
            job(1, 0, 2, 1, 3600, false),
            job(2, 0, 5, 1, 3600, false),
            job(3, 0, 2, 1, 3600, false),
            job(4, 10, 5, 1, 600, false),
        ];
        run_full(w, policy_set, &config, jobs, Default::default(), Vec::new())
    }

    #[test]
    fn the_proposal_example_preempts_only_the_five_replica_binding() {
        // The cluster offers 0 replicas and j4 needs 5: one victim suffices only if it frees
        // 5 (j2, priority 2), so j2 alone is preempted, not j0 + j1 + j2 from the bottom up.
        let sink = run_case(true);
        let victims: Vec<(u64, u64)> = sink
            .events()
            .filter(|e| e.kind == EventKind::Preemption(Preemptor::Federation))
            .map(|e| (e.time.as_millis() / S, e.job.unwrap().0))
            .collect();
        assert_eq!(victims, [(10, 2)]);
        // Woken from the unschedulable set, it still serves its 1 s backoff (one attempt).
        assert_eq!(by_id(&sink, 4).start, Some(SimTime(11 * S)));
        assert_eq!(by_id(&sink, 2).faults.n_preemptions, 1);
        for other in [0, 1, 3] {
            assert_eq!(by_id(&sink, other).faults.n_preemptions, 0);
        }
    }

    #[test]
    fn without_the_switch_the_binding_waits() {
        let sink = run_case(false);
        assert!(
            sink.events()
                .all(|e| e.kind != EventKind::Preemption(Preemptor::Federation))
        );
        // It waits until the others end at 3600 s; the queue retries it on the 30 s grid.
        assert!(by_id(&sink, 4).start.unwrap() >= SimTime(3600 * S));
    }
}

/// Gang timeouts, worked by hand.
mod gang_timeout {
    use super::*;
    use sim_core::record::EventKind;

    /// alpha: 2 nodes × 8 GPUs. G (3 × 8 GPUs, gang) is Duplicated onto it at 0 s: two pods
    /// bind, the third waits. J (1 × 8 GPUs, 600 s) arrives at 10 s and waits too.
    fn run_case(timeout_s: Option<u64>) -> VecSink {
        let mut w = world();
        w.fleet.clusters = vec![cluster("alpha", vec![pool(2, 0)])];
        let placement = Placement {
            replica_scheduling: ReplicaScheduling::Duplicated,
            ..Placement::default()
        };
        let config = SchedulerConfig {
            status_period: Duration::ZERO,
            gang_timeout: timeout_s.map(|s| Duration(s * S)),
            ..SchedulerConfig::default()
        };
        let jobs = vec![job(0, 0, 3, 8, 3600, true), job(1, 10, 1, 8, 600, false)];
        run_full(
            w,
            PolicySet::single(placement),
            &config,
            jobs,
            Default::default(),
            Vec::new(),
        )
    }

    #[test]
    fn a_partly_placed_gang_gives_its_pods_back_after_the_timeout() {
        // With a 60 s timeout G gives back its two nodes at 60 s: J starts then.
        let sink = run_case(Some(60));
        let timeouts: Vec<u64> = sink
            .events()
            .filter(|e| e.kind == EventKind::GangTimeout)
            .map(|e| e.time.as_millis() / S)
            .collect();
        assert_eq!(timeouts.first(), Some(&60));
        assert_eq!(by_id(&sink, 1).start, Some(SimTime(60 * S)));
        assert_eq!(by_id(&sink, 1).end, Some(SimTime(660 * S)));
        // G never fits: it never runs, and it never ran partly.
        assert_eq!(by_id(&sink, 0).start, None);
    }

    #[test]
    fn without_a_timeout_the_partial_gang_holds_its_pods() {
        let sink = run_case(None);
        assert_eq!(by_id(&sink, 1).start, None);
        assert_eq!(by_id(&sink, 0).start, None);
    }
}

mod components {
    use super::*;
    use crate::faults::{FaultPlan, FaultTarget};
    use crate::policy::{SpreadConstraint, SpreadField};

    /// A launcher (1 × 2 cores, no GPU) and two 8-GPU workers, gang, 3600 s.
    fn launcher_and_workers(id: u64, submit_s: u64) -> Job {
        let mut job = job(id, submit_s, 2, 8, 3600, true);
        job.components.insert(
            0,
            Component {
                name: "launcher".into(),
                replicas: 1,
                request: PodRequest {
                    cpu_milli: 2000,
                    memory: 4 * GI,
                    gpu: GpuRequest::NONE,
                    node_claim: 0,
                },
            },
        );
        job
    }

    fn one_cluster_placement() -> Placement {
        Placement {
            replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::DynamicWeight),
            spread_constraints: vec![SpreadConstraint {
                field: SpreadField::Cluster,
                min_groups: 1,
                max_groups: 1,
            }],
            ..Placement::default()
        }
    }

    fn run_case(placement: Placement, jobs: Vec<Job>, plan: FaultPlan) -> VecSink {
        let config = SchedulerConfig {
            status_period: Duration::ZERO,
            estimators: vec!["general".into(), "accurate".into()],
            ..SchedulerConfig::default()
        };
        run_full(
            world(),
            PolicySet::single(placement),
            &config,
            jobs,
            plan,
            Vec::new(),
        )
    }

    #[test]
    fn a_set_goes_whole_to_the_one_cluster_that_holds_it() {
        // A set needs 16 GPUs: alpha (2 × 8) holds one, beta (1 × 8) none, so alpha takes all
        // three pods even though beta's GPUs are twice as fast. The gang starts at 0 s with
        // every component placed and ends at 3600 s.
        let sink = run_case(
            one_cluster_placement(),
            vec![launcher_and_workers(0, 0)],
            FaultPlan::default(),
        );
        let j = by_id(&sink, 0);
        assert_eq!(j.clusters, vec![(ClusterId(0), 3)]);
        assert_eq!(
            (j.start, j.end),
            (Some(SimTime(0)), Some(SimTime(3600 * S)))
        );
        assert_eq!(j.n_pods_sent, 3);
        // 16 GPUs for 3600 s; the launcher holds none.
        assert_eq!(j.gpu_milli_ms, 16_000 * 3600 * u128::from(S));
        assert_eq!(j.state, JobState::Completed);
    }

    #[test]
    fn a_second_set_waits_for_the_first_rather_than_splitting() {
        // Two such jobs: the second (at 10 s) finds 0 sets anywhere (alpha full, beta too
        // small) and is never split across clusters. Cluster selection fails ("no enough
        // resource"), a plain error, so Karmada retries it from the backoff queue: after
        // 1, 2, 4, 8 s, then every 10 s: 10, 11, 13, 17, 25, 35, 45, …, 3595, 3605 s. The first
        // ends at 3600 s, so the second starts at 3605 s, on its 5 + 358 = 363rd attempt.
        let sink = run_case(
            one_cluster_placement(),
            vec![launcher_and_workers(0, 0), launcher_and_workers(1, 10)],
            FaultPlan::default(),
        );
        let second = by_id(&sink, 1);
        assert_eq!(second.clusters, vec![(ClusterId(0), 3)]);
        assert_eq!(second.start, Some(SimTime(3605 * S)));
        assert_eq!(second.n_attempts, 363);
        assert_eq!(
            second.end.zip(second.start).map(|(e, s)| e.since(s)),
            Some(Duration(3600 * S))
        );
    }

    #[test]
    fn without_the_single_cluster_spread_a_set_is_copied_to_every_cluster() {
        // Karmada copies a multi-component binding that is not on the component path to every
        // selected cluster (Duplicated here): a set each in alpha and beta. Beta cannot hold
        // its second worker, so the gang never runs.
        let sink = run_case(
            Placement::default(),
            vec![launcher_and_workers(0, 0)],
            FaultPlan::default(),
        );
        let j = by_id(&sink, 0);
        assert_eq!(j.clusters, vec![(ClusterId(0), 3), (ClusterId(1), 3)]);
        assert_eq!(j.n_pods_sent, 6);
        assert_eq!(j.start, None);
    }

    #[test]
    fn lost_pods_of_each_component_come_back_as_that_component() {
        // LeastAllocated puts the launcher on node 0, worker 1 on node 1 (emptier), worker 2
        // on node 0. Node 0 fails at 1000 s, taking the launcher and a worker: the gang stops
        // (no checkpoint: all 1000 s lost). Both pods are recreated with their own requests
        // and bind when node 0 returns at 1500 s; the gang restarts and ends at 5100 s.
        let node_0 = FaultTarget::Nodes {
            cluster: ClusterId(0),
            nodes: 0..1,
        };
        let plan = FaultPlan {
            outages: vec![super::faults::outage(node_0, 1000, 1500, false)],
            random: Vec::new(),
            ..FaultPlan::default()
        };
        let sink = run_case(
            one_cluster_placement(),
            vec![launcher_and_workers(0, 0)],
            plan,
        );
        let j = by_id(&sink, 0);
        assert_eq!(j.end, Some(SimTime(5100 * S)));
        assert_eq!(j.faults.n_restarts, 1);
        // 16 GPUs × 1000 s of work thrown away; the worker on node 1 then idles 500 s.
        assert_eq!(j.faults.lost_gpu_milli_ms, 16_000 * 1000 * u128::from(S));
        assert_eq!(j.faults.idle_gpu_milli_ms, 8_000 * 500 * u128::from(S));
        assert_eq!(j.state, JobState::Completed);
    }

    #[test]
    fn a_lost_cluster_loses_the_whole_set_to_the_other() {
        // A launcher and one 8-GPU worker: alpha (2 sets) is chosen over beta (1). alpha is
        // lost at 1000 s (its pods with it: no checkpoint, 1000 s × 8 GPUs lost) and marked
        // unreachable at 1040 s. The taint requeues the bindings on alpha, but one with
        // components is a workload (`IsWorkload` counts components) whose replicas did not
        // change (`IsBindingReplicasChanged`: it still lists alpha), so `doScheduleBinding`
        // leaves it alone. The NoExecute eviction is due 300 s after the taint, at 1340 s: it
        // empties `spec.clusters`, which does count as a change for components, and the set
        // moves whole to beta (alpha is refused by ClusterEviction). Twice as fast there, it
        // ends at 1340 + 1800 = 3140 s.
        use crate::faults::FailoverConfig;
        use crate::policy::{Toleration, TolerationOperator};
        let mut small = launcher_and_workers(0, 0);
        small.components[1].replicas = 1;
        let placement = Placement {
            cluster_tolerations: vec![Toleration {
                key: crate::faults::UNREACHABLE_TAINT.into(),
                operator: TolerationOperator::Exists,
                value: String::new(),
                effect: Some(sim_core::model::TaintEffect::NoExecute),
                toleration_seconds: Some(300),
            }],
            ..one_cluster_placement()
        };
        let config = SchedulerConfig {
            status_period: Duration::ZERO,
            estimators: vec!["general".into(), "accurate".into()],
            failover: FailoverConfig {
                no_execute_eviction: true,
                ..FailoverConfig::default()
            },
            // The taint manager runs only with the Failover gate.
            feature_gates: crate::FeatureGates {
                failover: true,
                ..crate::FeatureGates::default()
            },
            ..SchedulerConfig::default()
        };
        let plan = FaultPlan {
            outages: vec![super::faults::outage(
                FaultTarget::Cluster(ClusterId(0)),
                1000,
                10_000,
                false,
            )],
            random: Vec::new(),
            ..FaultPlan::default()
        };
        let sink = run_full(
            world(),
            PolicySet::single(placement),
            &config,
            vec![small],
            plan,
            Vec::new(),
        );
        let j = by_id(&sink, 0);
        assert_eq!(j.faults.n_evictions, 1);
        assert_eq!(j.faults.n_restarts, 1);
        assert_eq!(j.faults.lost_gpu_milli_ms, 8_000 * 1000 * u128::from(S));
        assert_eq!(j.faults.recovery_ms, 340 * S);
        assert_eq!(j.clusters, vec![(ClusterId(1), 2)]);
        assert_eq!(j.end, Some(SimTime(3140 * S)));
    }
}

mod dynamics;
mod fleet_costs;
mod gates;
mod power_down;
