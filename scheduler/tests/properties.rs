//! Properties that hold for any fleet, workload, placement and fault timeline: every job ends
//! in exactly one state, no node or quota is over-allocated (checked after every event), GPU
//! time on the timeline equals GPU time over jobs, each job's held GPU time is used + lost +
//! idle, and a run is deterministic; with checkpoint costs, job failures and spot revocations
//! among the faults.
//!
//! Each run checks every invariant after every event, which is slow in a debug build: 48 cases
//! per property with `FLEETSIM_SLOW=1` (as CI sets), 4 otherwise.

use proptest::prelude::*;
use scheduler::ControlPlane;
use scheduler::SchedulerConfig;
use scheduler::control::{ControlInputs, PolicySet};
use scheduler::faults::{
    DurationDist, FailoverConfig, FaultPlan, FaultTarget, Outage, RandomFailures,
};
use scheduler::job_failures::{FailureDraw, FailureHazard, JobFailures};
use scheduler::policy::{
    ApplicationFailover, DivisionPreference, Placement, PurgeMode, ReplicaScheduling,
    SpreadConstraint, SpreadField, Toleration, TolerationOperator,
};
use scheduler::quota::{Limits, Quotas, ResourceQuota};
use scheduler::spot::{RevocationTimes, SpotRevocations};
use sim_core::engine::{EngineConfig, run};
use sim_core::model::fixture::{WorldBuilder, cluster, pool};
use sim_core::model::{
    Cluster, ClusterId, Component, GpuModelId, GpuModelSet, GpuRequest, Job, JobId, NamespaceId,
    NodeShape, PodRequest, PriorityClassId, TaintEffect, World,
};
use sim_core::record::{JobState, VecSink};
use sim_core::{Duration, SimTime};

const GI: u64 = 1 << 30;

fn world(pools: &[Vec<(u32, u32)>]) -> World {
    let mut builder =
        WorldBuilder::new()
            .gpu_model("A", 80 * GI, 1000)
            .gpu_model("B", 80 * GI, 1500);
    for (c, pools) in pools.iter().enumerate() {
        let node_pools = pools
            .iter()
            .enumerate()
            .map(|(p, (count, gpus))| {
                let shape = NodeShape {
                    cpu_milli: 64_000,
                    memory: 512 * GI,
                    max_pods: 110,
                    gpus: *gpus,
                    gpu_model: (*gpus > 0).then_some(GpuModelId((p % 2) as u16)),
                };
                pool(&format!("p{p}"), *count, shape)
            })
            .collect();
        builder = builder.cluster(Cluster {
            region: Some(format!("r{}", c % 2)),
            node_pools,
            ..cluster(&format!("c{c}"))
        });
    }
    builder
        .namespace("a")
        .namespace("b")
        .priority_class("low", 0, false)
        .priority_class("high", 10, false)
        .build()
}

/// The jobs; with `launchers`, every other job of two or more replicas also gets a CPU-only
/// launcher component (a multi-component job).
fn jobs(specs: &[(u64, u32, u32, u64, bool, u32)], launchers: bool) -> Vec<Job> {
    let mut submit = 0;
    specs
        .iter()
        .enumerate()
        .map(|(idx, (gap_s, replicas, gpus, runtime_s, gang, ns))| {
            submit += gap_s * 1000;
            let mut components = vec![Component {
                name: "w".into(),
                replicas: *replicas,
                request: PodRequest {
                    cpu_milli: 4000,
                    memory: 16 * GI,
                    gpu: GpuRequest::whole(*gpus, GpuModelSet::ANY),
                    node_claim: 0,
                },
            }];
            if launchers && *replicas >= 2 && idx % 2 == 0 {
                components.insert(
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
            }
            Job {
                id: JobId(idx as u64),
                name: format!("j{idx}"),
                namespace: NamespaceId(*ns),
                // Namespace b's jobs are of the higher class (preemption has something to do).
                priority_class: Some(PriorityClassId(*ns)),
                submit: SimTime(submit),
                components,
                runtime: Duration::from_secs(*runtime_s),
                gang: *gang,
                checkpoint_interval: None,
                checkpoint_cost: None,
                max_restarts: None,
                max_unavailable: None,
                template: Default::default(),
            }
        })
        .collect()
}

fn placement(kind: u8) -> Placement {
    let replica_scheduling = match kind % 4 {
        0 => ReplicaScheduling::Duplicated,
        1 => ReplicaScheduling::Divided(DivisionPreference::StaticWeight(Vec::new())),
        2 => ReplicaScheduling::Divided(DivisionPreference::DynamicWeight),
        _ => ReplicaScheduling::Divided(DivisionPreference::Aggregated),
    };
    // Half the placements keep each job in one cluster (Karmada's path for components).
    let spread_constraints = if kind & 0x08 != 0 {
        vec![SpreadConstraint {
            field: SpreadField::Cluster,
            min_groups: 1,
            max_groups: 1,
        }]
    } else {
        Vec::new()
    };
    Placement {
        replica_scheduling,
        spread_constraints,
        ..Placement::default()
    }
}

#[derive(Debug)]
struct Input {
    pools: Vec<Vec<(u32, u32)>>,
    jobs: Vec<(u64, u32, u32, u64, bool, u32)>,
    placement: u8,
    config: (bool, u8, bool),
    quota_gpus: Option<i64>,
    /// (cluster, down s, down for s, what: 0 the cluster, 1 a node, 2 a drain of a pool).
    outages: Vec<(u8, u64, u64, u8)>,
    /// Mean time between failures of every node (s), if nodes fail at random.
    mtbf_s: Option<u64>,
    /// (checkpoint every s, no-execute eviction, application failover purge mode 0..3).
    failover: (Option<u64>, bool, u8),
    /// (checkpoint cost s, job MTTF at 8 GPUs s, spot revocations of cluster 0's first pool:
    /// (mean time between s, notice s)).
    fleet_costs: (Option<u64>, Option<u64>, Option<(u64, u64)>),
}

fn simulate(input: &Input, horizon: Option<SimTime>) -> VecSink {
    let world = world(&input.pools);
    let (accurate, status_s, overcommit) = input.config;
    let (_, no_execute_eviction, _) = input.failover;
    let mut config = SchedulerConfig {
        status_period: Duration::from_secs(u64::from(status_s)),
        feature_gates: scheduler::FeatureGates {
            scheduling_overcommit_protection: overcommit,
            failover: no_execute_eviction,
            ..scheduler::FeatureGates::default()
        },
        failover: FailoverConfig {
            no_execute_eviction,
            ..FailoverConfig::default()
        },
        // Member and binding preemption in half the cases each (bits of the placement draw).
        preemption: scheduler::control::PreemptionConfig {
            member: input.placement & 0x10 != 0,
            control_plane: input.placement & 0x20 != 0,
        },
        gang_timeout: (input.placement & 0x40 != 0).then(|| Duration::from_mins(2)),
        ..SchedulerConfig::default()
    };
    if accurate {
        config.estimators.push("accurate".into());
    }
    if input.quota_gpus.is_some() {
        config.estimators.push("resource-quota".into());
    }
    let n_clusters = world.fleet.clusters.len();
    let mut placement = placement(input.placement);
    let (_, _, app) = input.failover;
    placement.cluster_tolerations = vec![Toleration {
        key: scheduler::faults::UNREACHABLE_TAINT.into(),
        operator: TolerationOperator::Exists,
        value: String::new(),
        effect: Some(TaintEffect::NoExecute),
        toleration_seconds: Some(120),
    }];
    placement.failover.application = [PurgeMode::Directly, PurgeMode::Gracefully, PurgeMode::Never]
        .get(usize::from(app))
        .map(|&purge_mode| ApplicationFailover {
            toleration_seconds: 60,
            purge_mode,
            grace_period_seconds: 300,
        });
    let (checkpoint_s, _, _) = input.failover;
    let quotas = match input.quota_gpus {
        Some(gpus) => {
            let resource_quotas = (0..n_clusters)
                .map(|c| ResourceQuota {
                    cluster: ClusterId(c as u32),
                    namespace: NamespaceId(0),
                    hard: Limits {
                        gpus: Some(gpus),
                        ..Limits::default()
                    },
                    scopes: Vec::new(),
                })
                .collect();
            Quotas {
                resource_quotas,
                federated: Vec::new(),
                gpu_budgets: vec![Some(gpus), None],
            }
        }
        None => Quotas::default(),
    };
    let mut control = ControlPlane::new(ControlInputs {
        check_invariants: true,
        faults: fault_plan(input, n_clusters),
        job_defaults: vec![
            scheduler::control::JobDefaults {
                checkpoint_interval: checkpoint_s.map(Duration::from_secs),
                checkpoint_cost: input.fleet_costs.0.map(Duration::from_secs),
                max_restarts: Some(3),
                max_unavailable: Some(1),
                node_claims: Vec::new(),
            };
            2
        ],
        quotas,
        ..ControlInputs::new(world, PolicySet::single(placement), &config)
    })
    .unwrap();
    let mut sink = VecSink::default();
    let engine = EngineConfig {
        horizon,
        progress_every: 10_000,
    };
    // A run that never ends is a failure, not a hang. Bindings Karmada retries forever (a
    // spread selection that always fails goes back every 10 s; application failover moving a
    // job that fits nowhere) run for a simulated day of no progress before the run ends: a few
    // hundred thousand events at most.
    let mut guard =
        |p: sim_core::engine::Progress| assert!(p.n_events < 400_000, "runaway run at {}", p.now);
    run::<_, std::convert::Infallible, _>(
        &engine,
        jobs(&input.jobs, input.placement & 0x80 != 0)
            .into_iter()
            .map(Ok),
        &mut control,
        &mut sink,
        &mut guard,
    )
    .unwrap();
    sink
}

fn fault_plan(input: &Input, n_clusters: usize) -> FaultPlan {
    let outages = input
        .outages
        .iter()
        .map(|&(cluster, down_s, for_s, what)| {
            let cluster = ClusterId(u32::from(cluster) % n_clusters as u32);
            let n_nodes: u32 = input.pools[cluster.0 as usize].iter().map(|(n, _)| n).sum();
            let target = match what % 3 {
                0 => FaultTarget::Cluster(cluster),
                _ => FaultTarget::Nodes {
                    cluster,
                    nodes: 0..n_nodes.min(1),
                },
            };
            Outage {
                target,
                down: SimTime(down_s * 1000),
                up: Some(SimTime((down_s + for_s) * 1000)),
                drain: what % 3 == 2,
                label: "p".into(),
            }
        })
        .collect();
    let random = input
        .mtbf_s
        .map(|mean| RandomFailures {
            clusters: (0..n_clusters as u32).map(ClusterId).collect(),
            between_failures: DurationDist::Exponential {
                mean: Duration::from_secs(mean),
            },
            repair: DurationDist::Constant(Duration::from_mins(20)),
        })
        .into_iter()
        .collect();
    let (_, mttf_s, spot) = input.fleet_costs;
    let job_failures = mttf_s.map(|mttf_s| JobFailures {
        hazard: FailureHazard::PerGpuMtbf(Duration::from_secs(8 * mttf_s)),
        draw: FailureDraw::Exponential,
        namespaces: None,
    });
    let spot = spot
        .map(|(mean_s, notice_s)| SpotRevocations {
            cluster: ClusterId(0),
            nodes: 0..input.pools[0][0].0,
            label: "c0/p0".into(),
            times: RevocationTimes::Between(DurationDist::Exponential {
                mean: Duration::from_secs(mean_s),
            }),
            notice: Duration::from_secs(notice_s),
            back_after: Some(DurationDist::Constant(Duration::from_mins(30))),
        })
        .into_iter()
        .collect();
    FaultPlan {
        outages,
        random,
        job_failures,
        spot,
    }
}

fn input() -> impl Strategy<Value = Input> {
    let pools = prop::collection::vec(
        prop::collection::vec(
            (0u32..4, prop::sample::select(vec![0u32, 1, 2, 4, 8])),
            1..3,
        ),
        1..4,
    );
    let jobs = prop::collection::vec(
        (
            0u64..600,
            1u32..4,
            prop::sample::select(vec![0u32, 1, 2, 4, 8]),
            60u64..7200,
            any::<bool>(),
            0u32..2,
        ),
        1..25,
    );
    (
        pools,
        jobs,
        any::<u8>(),
        (
            any::<bool>(),
            prop::sample::select(vec![0u8, 10, 30]),
            any::<bool>(),
        ),
        prop::option::of(0i64..24),
        prop::collection::vec((0u8..4, 0u64..7200, 60u64..7200, 0u8..3), 0..4),
        prop::option::of(3600u64..40_000),
        (
            prop::option::of(prop::sample::select(vec![60u64, 600, 1800])),
            any::<bool>(),
            0u8..4,
        ),
        // Drawn last, so the fields above keep their values for a seed.
        (
            prop::option::of(prop::sample::select(vec![5u64, 60, 300])),
            prop::option::of(prop::sample::select(vec![1800u64, 7200])),
            prop::option::of((600u64..7200, prop::sample::select(vec![0u64, 30, 120]))),
        ),
    )
        .prop_map(
            |(
                pools,
                jobs,
                placement,
                config,
                quota_gpus,
                outages,
                mtbf_s,
                failover,
                fleet_costs,
            )| {
                Input {
                    pools,
                    jobs,
                    placement,
                    config,
                    quota_gpus,
                    outages,
                    mtbf_s,
                    failover,
                    fleet_costs,
                }
            },
        )
}

fn gpu_time_on_timeline(sink: &VecSink, end: SimTime) -> u128 {
    let mut last: std::collections::BTreeMap<(u32, u16), (SimTime, u64)> = Default::default();
    let mut total: u128 = 0;
    for a in sink.allocations() {
        if let Some((since, milli)) =
            last.insert((a.cluster.0, a.gpu_model.0), (a.time, a.allocated_milli))
        {
            total += u128::from(milli) * u128::from(a.time.since(since).as_millis());
        }
    }
    for (since, milli) in last.values() {
        total += u128::from(*milli) * u128::from(end.since(*since).as_millis());
    }
    total
}

/// Cases per property: the full count only with `FLEETSIM_SLOW=1`.
fn cases() -> u32 {
    if std::env::var_os("FLEETSIM_SLOW").is_some_and(|v| v == "1") {
        48
    } else {
        eprintln!("slow: set FLEETSIM_SLOW=1 to run 48 cases instead of 4");
        4
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn every_job_ends_once_and_gpu_time_adds_up(input in input()) {
        let horizon = SimTime(6 * 3_600_000);
        let sink = simulate(&input, Some(horizon));
        let mut ids: Vec<u64> = sink.jobs().map(|j| j.id.0).collect();
        ids.sort();
        prop_assert_eq!(ids, (0..input.jobs.len() as u64).collect::<Vec<_>>());
        let jobs_total: u128 = sink.jobs().map(|j| j.gpu_milli_ms).sum();
        prop_assert_eq!(gpu_time_on_timeline(&sink, horizon), jobs_total);
        // GPU time held = used + lost + idle, job by job.
        for job in sink.jobs() {
            let f = job.faults;
            prop_assert_eq!(
                job.gpu_milli_ms,
                f.used_gpu_milli_ms + f.lost_gpu_milli_ms + f.idle_gpu_milli_ms
            );
        }
        for job in sink.jobs() {
            match job.state {
                JobState::Completed => prop_assert!(job.start.is_some() && job.end.is_some()),
                JobState::Running => prop_assert!(job.start.is_some() && job.end.is_none()),
                _ => prop_assert!(job.end.is_none()),
            }
        }
    }

    #[test]
    fn runs_are_deterministic_and_end_without_a_horizon(input in input()) {
        let first = simulate(&input, None);
        let second = simulate(&input, None);
        prop_assert_eq!(first.records, second.records);
    }
}
