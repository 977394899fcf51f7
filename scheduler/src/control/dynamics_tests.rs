//! What happens between decisions, worked by hand from Karmada's source: FederatedResourceQuota
//! bookkeeping across evictions, Webster ties broken by the workload's UID, queue events.

use super::tests::{by_id, cluster, drive, job, pool, run_inputs, world};
use super::*;
use crate::divide::NameOrder;
use crate::faults::{FailoverConfig, FaultPlan, FaultTarget, Outage};
use crate::policy::{DivisionPreference, ReplicaScheduling};
use crate::quota::{FederatedResourceQuota, Limits};
use sim_core::model::{GpuModelSet, GpuRequest, NamespaceId, PodRequest};
use sim_core::record::VecSink;

const S: u64 = 1000;

/// Runs `jobs` with `quotas` and `plan`, invariants (FederatedResourceQuota usage equal to the
/// sum over bindings included) checked after every event.
fn run_with(
    world: World,
    placement: Placement,
    config: &SchedulerConfig,
    quotas: Quotas,
    plan: FaultPlan,
    jobs: Vec<Job>,
    seed: u64,
) -> VecSink {
    run_inputs(
        ControlInputs {
            check_invariants: true,
            quotas,
            faults: plan,
            seed,
            ..ControlInputs::new(world, PolicySet::single(placement), config)
        },
        jobs,
    )
}

/// Namespace 0 limited to `gpus` GPUs across the fleet by a FederatedResourceQuota.
fn federated_gpus(gpus: i64) -> Quotas {
    Quotas {
        federated: vec![FederatedResourceQuota {
            namespace: NamespaceId(0),
            overall: Limits {
                gpus: Some(gpus),
                ..Limits::default()
            },
        }],
        gpu_budgets: vec![None],
        ..Quotas::default()
    }
}

fn dynamic() -> Placement {
    Placement {
        replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::DynamicWeight),
        ..Placement::default()
    }
}

/// member-a: 3 nodes of 8 GPUs, member-b: 2.
fn a_and_b() -> World {
    let mut w = world();
    w.fleet.clusters = vec![
        cluster("member-a", vec![pool(3, 0)]),
        cluster("member-b", vec![pool(2, 0)]),
    ];
    w
}

/// NoExecute eviction and FederatedResourceQuota enforcement, with the gates both need
/// (Failover, FederatedQuotaEnforcement: off by default in v1.19).
fn no_execute() -> SchedulerConfig {
    SchedulerConfig {
        status_period: Duration::ZERO,
        failover: FailoverConfig {
            no_execute_eviction: true,
            ..FailoverConfig::default()
        },
        feature_gates: crate::FeatureGates {
            failover: true,
            federated_quota_enforcement: true,
            ..crate::FeatureGates::default()
        },
        ..SchedulerConfig::default()
    }
}

fn lose_a_at(down_s: u64) -> FaultPlan {
    FaultPlan {
        outages: vec![Outage {
            target: FaultTarget::Cluster(ClusterId(0)),
            down: SimTime(down_s * S),
            up: None,
            drain: false,
            label: "test".into(),
        }],
        random: Vec::new(),
        ..FaultPlan::default()
    }
}

#[test]
fn an_evicted_binding_gives_its_federated_usage_back() {
    // overall nvidia.com/gpu 16. j1 (1 × 8 GPUs) goes to member-a (weights 3:2). member-a is
    // lost at 600 s; with NoExecute eviction and no toleration the taint manager takes the
    // binding off it (`GracefulEvictCluster` lowers spec.clusters: usage 8 → 0 through the
    // webhook), and the scheduler puts it on member-b (usage 0 → 8). j2 (8 GPUs) arrives at
    // 3600 s: 8 + 8 = 16 ≤ 16 (`isAllowed`), so it is admitted and starts at once on
    // member-b's second node.
    let jobs = vec![job(1, 0, 1, 8, 36_000, true), job(2, 3600, 1, 8, 600, true)];
    let sink = run_with(
        a_and_b(),
        dynamic(),
        &no_execute(),
        federated_gpus(16),
        lose_a_at(600),
        jobs,
        0,
    );
    let j1 = by_id(&sink, 1);
    assert_eq!(j1.clusters, vec![(ClusterId(1), 1)]);
    assert_eq!(j1.faults.n_evictions, 1);
    let j2 = by_id(&sink, 2);
    assert_eq!(j2.start, Some(SimTime(3600 * S)));
    assert_eq!(j2.last_failure, None);
}

#[test]
fn a_third_binding_past_the_overall_limit_is_refused_until_one_ends() {
    // The same fleet without faults: j1 and j2 (at 60 s) hold 16 GPUs; j3 (8 GPUs) at 460 s
    // would make 24 > 16 and is refused until j2 ends at 660 s and its binding is deleted.
    // A refused patch is an error, retried through the backoff queue (1 s, 2 s, ... capped
    // at 10 s, flushed every second), so j3 starts within 11 s of 660 s.
    let jobs = vec![
        job(1, 0, 1, 8, 36_000, true),
        job(2, 60, 1, 8, 600, true),
        job(3, 460, 1, 8, 600, true),
    ];
    let sink = run_with(
        a_and_b(),
        dynamic(),
        &no_execute(),
        federated_gpus(16),
        FaultPlan::default(),
        jobs,
        0,
    );
    let j3 = by_id(&sink, 3);
    let start = j3.start.expect("j3 runs").as_millis() / S;
    assert!((660..=671).contains(&start), "j3 started at {start} s");
    assert_eq!(by_id(&sink, 2).start, Some(SimTime(60 * S)));
}

#[test]
fn karmada_keys_it_does_not_count_limit_nothing() {
    // A limit on cpu only: the binding usage's nvidia.com/gpu is filtered out
    // (`filterResourceListByKeys`), and 3 × 8 GPUs = 24 GPUs run at once under a quota
    // whose cpu (3 × 8 cores = 24 cores) fits its 64 cores.
    let quotas = Quotas {
        federated: vec![FederatedResourceQuota {
            namespace: NamespaceId(0),
            overall: Limits {
                cpu_milli: Some(64_000),
                ..Limits::default()
            },
        }],
        gpu_budgets: vec![None],
        ..Quotas::default()
    };
    let jobs = (1..=3).map(|id| job(id, 0, 1, 8, 600, true)).collect();
    let sink = run_with(
        a_and_b(),
        dynamic(),
        &no_execute(),
        quotas,
        FaultPlan::default(),
        jobs,
        0,
    );
    for id in 1..=3 {
        assert_eq!(by_id(&sink, id).start, Some(SimTime::ZERO), "job {id}");
    }
}

/// Karmada's `tieBreakerByUID` on the UID fleetsim gives job `id` under `seed`.
fn larger_name_wins(seed: u64, id: u64) -> bool {
    NameOrder::for_uid(&crate::binding::workload_uid(seed, JobId(id))) == NameOrder::LargerFirst
}

#[test]
fn webster_ties_follow_each_workloads_uid() {
    // 400 one-replica jobs over two identical clusters with equal static weights: the one
    // seat is a tie on priority and on seats, so the workload UID's FNV-1a parity picks the
    // name order (odd: member-b, the larger name). Each job lands where its UID says, and
    // about half go each way.
    let mut w = world();
    w.fleet.clusters = vec![
        cluster("member-a", vec![pool(2, 0)]),
        cluster("member-b", vec![pool(2, 0)]),
    ];
    let placement = Placement {
        replica_scheduling: ReplicaScheduling::Divided(
            DivisionPreference::StaticWeight(Vec::new()),
        ),
        ..Placement::default()
    };
    let jobs: Vec<Job> = (0..400)
        .map(|id| {
            let mut j = job(id, 0, 1, 0, 60, false);
            j.components[0].request = PodRequest {
                cpu_milli: 100,
                memory: 1 << 20,
                gpu: GpuRequest::whole(0, GpuModelSet::ANY),
                node_claim: 0,
            };
            j
        })
        .collect();
    let seed = 7;
    let sink = run_with(
        w,
        placement,
        &SchedulerConfig::default(),
        Quotas::default(),
        FaultPlan::default(),
        jobs,
        seed,
    );
    let mut on_b = 0;
    for id in 0..400 {
        let expected = if larger_name_wins(seed, id) { 1 } else { 0 };
        assert_eq!(
            by_id(&sink, id).clusters,
            vec![(ClusterId(expected), 1)],
            "job {id}"
        );
        on_b += expected;
    }
    assert!((140..=260).contains(&on_b), "{on_b} of 400 on member-b");
}

#[test]
fn workload_uids_are_kubernetes_shaped_distinct_and_seeded() {
    let uid = crate::binding::workload_uid(0, JobId(0));
    let parts: Vec<&str> = uid.split('-').collect();
    assert_eq!(
        parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12]
    );
    assert!(parts[2].starts_with('4'), "version 4: {uid}");
    assert!("89ab".contains(&parts[3][..1]), "RFC 4122 variant: {uid}");
    assert_eq!(uid, crate::binding::workload_uid(0, JobId(0)));
    assert_ne!(uid, crate::binding::workload_uid(1, JobId(0)));
    let mut all: Vec<String> = (0..10_000)
        .map(|id| crate::binding::workload_uid(3, JobId(id)))
        .collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 10_000);
}

mod quota_property {
    use super::*;
    use crate::control::DeschedulerConfig;
    use crate::policy::{ApplicationFailover, ClusterFailover, Failover, PurgeMode};
    use proptest::prelude::*;

    fn purge(idx: u8) -> PurgeMode {
        [PurgeMode::Directly, PurgeMode::Gracefully, PurgeMode::Never][idx as usize % 3]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Evictions (cluster loss with NoExecute, application failover), the descheduler,
        /// FitError clearing and job ends all change bindings' clusters; the run's
        /// invariant check asserts after every event that each FederatedResourceQuota counts
        /// exactly the sum over the namespace's bindings, and every job is recorded. Reusing
        /// refusals gives the same records as deciding every retry again.
        #[test]
        fn federated_usage_is_the_sum_over_bindings(
            specs in prop::collection::vec((0u64..3600, 1u32..4, 0usize..4, 60u64..4000), 1..14),
            limit in 8i64..48,
            lost in 0u32..2,
            down_s in 1u64..3000,
            back_after_s in prop::option::of(60u64..5000),
            purge_idx in 0u8..3,
            deployments in any::<bool>(),
        ) {
            let placement = Placement {
                failover: Failover {
                    cluster: Some(ClusterFailover { purge_mode: purge(purge_idx) }),
                    application: Some(ApplicationFailover {
                        toleration_seconds: 120,
                        purge_mode: purge(purge_idx + 1),
                        grace_period_seconds: 600,
                    }),
                },
                ..dynamic()
            };
            let mut config = no_execute();
            config.descheduler = Some(DeschedulerConfig::default());
            config.estimators.push("accurate".into());
            let plan = FaultPlan {
                outages: vec![Outage {
                    target: FaultTarget::Cluster(ClusterId(lost)),
                    down: SimTime(down_s * S),
                    up: back_after_s.map(|after| SimTime((down_s + after) * S)),
                    drain: false,
                    label: "test".into(),
                }],
                random: Vec::new(),
                ..FaultPlan::default()
            };
            let n_jobs = specs.len();
            let jobs: Vec<Job> = specs
                .into_iter()
                .enumerate()
                .map(|(id, (submit_s, replicas, gpu_idx, runtime_s))| {
                    let gpus = [1, 2, 4, 8][gpu_idx];
                    let mut j = job(id as u64, submit_s, replicas, gpus, runtime_s, false);
                    if deployments {
                        j.template.kind = std::sync::Arc::from("Deployment");
                        j.template.api_version = std::sync::Arc::from("apps/v1");
                    }
                    j
                })
                .collect();
            let mut jobs = jobs;
            jobs.sort_by_key(|j| j.submit);
            let [(reused, _), (decided, _)] = reused_and_decided(
                a_and_b(),
                placement.clone(),
                &config,
                federated_gpus(limit),
                plan.clone(),
                jobs.clone(),
            );
            // Reused refusals change nothing: the same records and attempts, with no more
            // events (retries that can only repeat a refusal are replayed, not simulated).
            prop_assert_eq!((&reused.0, reused.1), (&decided.0, decided.1));
            prop_assert!(reused.2 <= decided.2, "{} events > {}", reused.2, decided.2);
            let sink = run_with(
                a_and_b(),
                placement,
                &config,
                federated_gpus(limit),
                plan,
                jobs,
                1,
            );
            prop_assert_eq!(sink.jobs().count(), n_jobs);
        }
    }
}

/// j0 may use beta only (policy p0); j1 any cluster (policy p1). One node each.
fn pinned_and_free() -> (World, PolicySet) {
    use crate::policy::{ClusterAffinity, PlacementId, PropagationPolicy, ResourceSelector};
    let mut w = world();
    w.fleet.clusters = vec![
        cluster("alpha", vec![pool(1, 0)]),
        cluster("beta", vec![pool(1, 0)]),
    ];
    let to_beta = Placement {
        cluster_affinity: Some(ClusterAffinity {
            cluster_names: vec!["beta".into()],
            ..Default::default()
        }),
        ..dynamic()
    };
    let policy = |idx: u32| PropagationPolicy {
        name: format!("p{idx}"),
        namespace: None,
        priority: 0,
        selectors: vec![ResourceSelector {
            api_version: "batch/v1".into(),
            kind: "Job".into(),
            name: format!("j{idx}"),
            ..Default::default()
        }],
        placement: PlacementId(idx),
        schedule_priority: 0,
    };
    let policies = PolicySet {
        placements: vec![to_beta, dynamic()],
        policies: vec![policy(0), policy(1)],
        fallback: None,
        overrides: Vec::new(),
    };
    (w, policies)
}

#[test]
fn a_cluster_coming_back_requeues_an_unschedulable_binding_at_once() {
    // alpha is unreachable from 100 s to 2000 s. j0 holds beta's only node. j1 (8 GPUs)
    // arrives at 200 s: alpha fails the taint filter, beta estimates 0 → Unschedulable, and
    // j1 is parked; the 5-minute flush retries it in vain every 330 s. When the control
    // plane sees alpha Ready again it removes the taint — a cluster spec change, so
    // `enqueueAffectedBindings` pushes j1 (no affinity) to the active queue
    // (`moveToActiveQ`), and it starts on alpha right then instead of at the next flush.
    let (w, policies) = pinned_and_free();
    let plan = FaultPlan {
        outages: vec![Outage {
            target: FaultTarget::Cluster(ClusterId(0)),
            down: SimTime(100 * S),
            up: Some(SimTime(2000 * S)),
            drain: false,
            label: "test".into(),
        }],
        random: Vec::new(),
        ..FaultPlan::default()
    };
    let config = SchedulerConfig {
        status_period: Duration::ZERO,
        ..SchedulerConfig::default()
    };
    let sink = run_inputs(
        ControlInputs {
            check_invariants: true,
            faults: plan,
            ..ControlInputs::new(w, policies, &config)
        },
        vec![job(0, 0, 1, 8, 100_000, true), job(1, 200, 1, 8, 600, true)],
    );
    let ready: Vec<SimTime> = sink
        .events()
        .filter(|e| e.kind == sim_core::record::EventKind::ClusterReady)
        .map(|e| e.time)
        .collect();
    assert_eq!(ready.len(), 1);
    assert!(ready[0] > SimTime(2000 * S) && ready[0] < SimTime(2100 * S));
    let j1 = by_id(&sink, 1);
    assert_eq!(j1.start, Some(ready[0]));
    assert_eq!(j1.clusters, vec![(ClusterId(0), 1)]);
}

#[test]
fn a_dropped_eviction_task_requeues_the_binding_it_kept_out() {
    // One cluster, alpha, of two nodes. J (2 × 8 GPUs, gang, 3600 s, checkpoint every 60 s)
    // runs there from 0 s. Node 1 fails at 100 s (back at 900 s): the recreated pod waits,
    // and after 120 s unhealthy (220 s) application failover evicts alpha, Gracefully with
    // a 600-s grace period. alpha is then filtered out (ClusterEviction): a FitError, retried
    // on the backoff schedule in vain while the task lasts. At 820 s the task times out and is
    // removed — a spec change, so J is queued again at once: alpha has one free node (the other is down), J is Unschedulable, parked,
    // and the 5-minute flush (due after 1120 s, on the 30-s grid: 1140 s) finds node 1 back.
    // J resumes from its 60-s checkpoint: 3540 s left, it ends at 1140 + 3540 = 4680 s.
    use crate::policy::{ApplicationFailover, Failover, PurgeMode};
    let mut w = world();
    w.fleet.clusters = vec![cluster("alpha", vec![pool(2, 0)])];
    let placement = Placement {
        replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::Aggregated),
        failover: Failover {
            cluster: None,
            application: Some(ApplicationFailover {
                toleration_seconds: 120,
                purge_mode: PurgeMode::Gracefully,
                grace_period_seconds: 600,
            }),
        },
        ..Placement::default()
    };
    let config = SchedulerConfig {
        status_period: Duration::ZERO,
        ..SchedulerConfig::default()
    };
    let plan = FaultPlan {
        outages: vec![Outage {
            target: FaultTarget::Nodes {
                cluster: ClusterId(0),
                nodes: 1..2,
            },
            down: SimTime(100 * S),
            up: Some(SimTime(900 * S)),
            drain: false,
            label: "test".into(),
        }],
        random: Vec::new(),
        ..FaultPlan::default()
    };
    let mut j = job(0, 0, 2, 8, 3600, true);
    j.checkpoint_interval = Some(Duration(60 * S));
    let sink = run_with(w, placement, &config, Quotas::default(), plan, vec![j], 0);
    let record = by_id(&sink, 0);
    assert_eq!(record.state, sim_core::record::JobState::Completed);
    assert_eq!(record.end, Some(SimTime(4680 * S)));
}

/// Runs with refusals reused (as always) and with every retry decided again; returns both
/// record lists, attempt totals and event counts, and the attempts that reused a refusal.
fn reused_and_decided(
    world: World,
    placement: Placement,
    config: &SchedulerConfig,
    quotas: Quotas,
    plan: FaultPlan,
    jobs: Vec<Job>,
) -> [((String, u64, u64), u64); 2] {
    [true, false].map(|reuse| {
        let mut control = ControlPlane::new(ControlInputs {
            check_invariants: true,
            quotas: quotas.clone(),
            faults: plan.clone(),
            ..ControlInputs::new(world.clone(), PolicySet::single(placement.clone()), config)
        })
        .unwrap();
        if !reuse {
            control.decide_every_retry();
        }
        let (sink, stats) = drive(&mut control, jobs.clone(), None);
        let reused = control.stats().n_refusals_reused;
        assert!(reuse || reused == 0);
        (
            (
                format!("{:?}", sink.records),
                control.stats().n_attempts,
                stats.n_events,
            ),
            reused,
        )
    })
}

#[test]
fn reused_refusals_change_no_result() {
    // j1 holds the namespace's 16 GPUs for 10 hours; j2 and j3 (8 GPUs each) are refused from
    // 60 s on and retried every 10 s for ten hours (about 3,600 retries each) with nothing
    // changing. Reusing the refusal keeps every retry, record and attempt count.
    let jobs = vec![
        job(1, 0, 2, 8, 36_000, true),
        job(2, 60, 1, 8, 600, true),
        job(3, 70, 1, 8, 600, true),
    ];
    let [(reused, n_reused), (decided, _)] = reused_and_decided(
        a_and_b(),
        dynamic(),
        &no_execute(),
        federated_gpus(16),
        FaultPlan::default(),
        jobs,
    );
    assert_eq!((&reused.0, reused.1), (&decided.0, decided.1));
    assert!(decided.1 > 7000, "{} attempts", decided.1);
    // Nothing happens between 130 s (the last fresh refusal) and 36,000 s (j1 ends) but
    // retries of j2 and j3 every 10 s: replayed, not simulated (under 50 events in all).
    assert!(reused.2 < 50, "{} events", reused.2);
    assert!(decided.2 > 7000, "{} events", decided.2);
    // All but the first refusal of each and the admissions were reused: none decided again.
    assert!(
        n_reused + 10 > reused.1,
        "{n_reused} of {} attempts reused",
        reused.1
    );
}

#[test]
fn a_fit_error_is_retried_on_the_backoff_schedule() {
    // `handleErr` sends every error but UnschedulableError to the backoff queue, a FitError
    // included. alpha, the only cluster, is unreachable from 100 s to 2000 s (NotReady taint
    // from 140 s). j1 arrives at 200 s: 0/1 clusters fit (attempt 1). Retries at 201, 203,
    // 207, 215 s (backoff 1, 2, 4, 8 s), then every 10 s from 225 s: 225 + 10k < 2030 for
    // k = 0 … 180, 181 more. At 2030 s the control plane sees alpha Ready, removes the taint
    // (a cluster event) and j1 is scheduled: 1 + 4 + 181 + 1 = 187 attempts.
    let mut w = world();
    w.fleet.clusters = vec![cluster("alpha", vec![pool(1, 0)])];
    let config = SchedulerConfig {
        status_period: Duration::ZERO,
        ..SchedulerConfig::default()
    };
    let plan = FaultPlan {
        outages: vec![Outage {
            target: FaultTarget::Cluster(ClusterId(0)),
            down: SimTime(100 * S),
            up: Some(SimTime(2000 * S)),
            drain: false,
            label: "test".into(),
        }],
        random: Vec::new(),
        ..FaultPlan::default()
    };
    let jobs = vec![job(1, 200, 1, 8, 600, true)];
    let sink = run_with(w, dynamic(), &config, Quotas::default(), plan, jobs, 0);
    let j1 = by_id(&sink, 1);
    assert_eq!(j1.start, Some(SimTime(2030 * S)));
    assert_eq!(j1.n_attempts, 187);
}

#[test]
fn dormant_retries_under_random_failures_match_every_retry_decided() {
    // No horizon, random node failures on member-b (pods lost, restarts, repairs: changes that
    // wake dormant bindings at arbitrary moments). j1 holds 16 of the namespace's 24 GPUs;
    // j2 asks for 16 and is refused (16 + 16 > 24) while j1 holds them; j3 asks for 32, more
    // than the limit, and is refused for ever. Records and attempts must match deciding every
    // retry, with a tenth of the events.
    use crate::faults::{DurationDist, RandomFailures};
    let plan = FaultPlan {
        outages: Vec::new(),
        random: vec![RandomFailures {
            clusters: vec![ClusterId(1)],
            between_failures: DurationDist::Exponential {
                mean: Duration(20 * 3600 * S),
            },
            repair: DurationDist::Constant(Duration(3600 * S)),
        }],
        ..FaultPlan::default()
    };
    let jobs = vec![
        job(1, 0, 2, 8, 48 * 3600, true),
        job(2, 30, 2, 8, 600, true),
        job(3, 45, 4, 8, 600, true),
    ];
    let [(reused, n_reused), (decided, _)] = reused_and_decided(
        a_and_b(),
        dynamic(),
        &no_execute(),
        federated_gpus(24),
        plan,
        jobs,
    );
    assert_eq!((&reused.0, reused.1), (&decided.0, decided.1));
    assert!(n_reused > 10_000, "{n_reused} reused");
    assert!(
        reused.2 * 10 < decided.2,
        "{} events of {}",
        reused.2,
        decided.2
    );
}

#[test]
fn a_saturated_federated_fleet_counts_retries_as_deciding_every_one() {
    // 40 jobs (1 or 2 replicas of 4 or 8 GPUs, 30 to 120 minutes) arrive every 30 s at a
    // 40-GPU fleet whose namespace may hold 32: dozens wait at once, refused by the quota or
    // short of room, and member-b is down from 1 h to 2 h. Bindings refused again and again
    // back off dormant, most of their retries counted in cohorts. Records and attempts must
    // be those of deciding every retry.
    let plan = FaultPlan {
        outages: vec![Outage {
            target: FaultTarget::Cluster(ClusterId(1)),
            down: SimTime(3600 * S),
            up: Some(SimTime(7200 * S)),
            drain: false,
            label: "test".into(),
        }],
        ..FaultPlan::default()
    };
    let jobs: Vec<Job> = (0..40)
        .map(|i| {
            let replicas = 1 + (i % 2) as u32;
            let gpus = if i % 3 == 0 { 4 } else { 8 };
            job(i, 30 * i, replicas, gpus, 1800 + 600 * (i % 10), true)
        })
        .collect();
    let [(reused, n_reused), (decided, _)] = reused_and_decided(
        a_and_b(),
        dynamic(),
        &no_execute(),
        federated_gpus(32),
        plan,
        jobs,
    );
    assert_eq!((&reused.0, reused.1), (&decided.0, decided.1));
    assert!(n_reused > 5_000, "{n_reused} reused of {}", reused.1);
    assert!(
        reused.2 * 5 < decided.2,
        "{} events of {}",
        reused.2,
        decided.2
    );
}

#[test]
fn a_full_fleet_shares_shortages_as_deciding_every_one() {
    // 60 jobs of 2 or 3 replicas of 8 GPUs (1 to 4 hours) arrive every 20 s at a 40-GPU fleet
    // with no quota: most park Unschedulable (the division falls short of replicas), are
    // flushed back at the same ticks and fail alike, sharing one decision. Two more ask for
    // 6 × 8 GPUs, more than the fleet has, and end the run with their last failure in their
    // records. Records and attempts must be those of deciding every retry.
    let jobs: Vec<Job> = (0..60)
        .map(|i| job(i, 20 * i, 2 + (i % 2) as u32, 8, 3600 * (1 + i % 4), true))
        .chain([
            job(60, 1200, 6, 8, 3600, true),
            job(61, 1210, 6, 8, 3600, true),
        ])
        .collect();
    let results = [true, false].map(|reuse| {
        let mut control = ControlPlane::new(ControlInputs::new(
            a_and_b(),
            PolicySet::single(dynamic()),
            &no_execute(),
        ))
        .unwrap();
        if !reuse {
            control.decide_every_retry();
        }
        let (sink, _) = drive(&mut control, jobs.clone(), None);
        (
            format!("{:?}", sink.records),
            control.stats().n_attempts,
            control.stats().n_failures_shared,
        )
    });
    let [(reused, n_reused, n_shared), (decided, n_decided, _)] = results;
    assert_eq!((reused, n_reused), (decided, n_decided));
    assert!(n_shared > 500, "{n_shared} shared of {n_reused} attempts");
}
