//! Feature gates, each worked by hand from where Karmada v1.19 checks it.

use super::*;
use crate::FeatureGates;
use crate::estimator::default_resource_models;
use crate::faults::{FailoverConfig, FaultPlan, FaultTarget};
use crate::policy::{Toleration, TolerationOperator};
use crate::quota::{FederatedResourceQuota, Limits, Quotas};
use sim_core::model::TaintEffect;
use sim_core::record::{EventKind, Preemptor};

fn dynamic() -> Placement {
    Placement {
        replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::DynamicWeight),
        ..Placement::default()
    }
}

fn run_inputs(inputs: ControlInputs<'_>, jobs: Vec<Job>) -> VecSink {
    super::run_inputs(
        ControlInputs {
            check_invariants: true,
            ..inputs
        },
        jobs,
    )
}

/// alpha alone (2 nodes of 8 GPUs); the namespace's FederatedResourceQuota allows 8 GPUs
/// overall. j0 (8 GPUs, 3600 s) at 0 s, j1 (8 GPUs, 600 s) at 10 s.
fn federated_case(enforce: bool) -> VecSink {
    let mut w = world();
    w.fleet.clusters = vec![cluster("alpha", vec![pool(2, 0)])];
    let config = SchedulerConfig {
        status_period: Duration::ZERO,
        feature_gates: FeatureGates {
            federated_quota_enforcement: enforce,
            ..FeatureGates::default()
        },
        ..SchedulerConfig::default()
    };
    let quotas = Quotas {
        federated: vec![FederatedResourceQuota {
            namespace: NamespaceId(0),
            overall: Limits {
                gpus: Some(8),
                ..Limits::default()
            },
        }],
        ..Quotas::default()
    };
    let jobs = vec![job(0, 0, 1, 8, 3600, true), job(1, 10, 1, 8, 600, true)];
    run_inputs(
        ControlInputs {
            quotas,
            ..ControlInputs::new(w, PolicySet::single(dynamic()), &config)
        },
        jobs,
    )
}

#[test]
fn federated_quota_is_enforced_only_with_its_gate() {
    // pkg/webhook/resourcebinding/validating.go `validateFederatedResourceQuota` returns nil
    // at once when FederatedQuotaEnforcement is off (v1.19's default): j1's 8 GPUs are
    // admitted though j0 already uses the 8 the quota allows, and alpha's second node takes it
    // at 10 s; it ends at 610 s.
    let off = federated_case(false);
    assert_eq!(by_id(&off, 1).start, Some(SimTime(10 * S)));
    assert_eq!(by_id(&off, 1).end, Some(SimTime(610 * S)));
    // With the gate, used 8 + delta 8 = 16 > 8: denied until j0's binding is deleted at
    // 3600 s, however free alpha is.
    let on = federated_case(true);
    let start = by_id(&on, 1).start.unwrap();
    assert!(start >= SimTime(3600 * S), "{start:?}");
    assert_eq!(by_id(&on, 0).end, Some(SimTime(3600 * S)));
}

#[test]
fn without_priority_based_scheduling_no_binding_outranks_another() {
    // pkg/detector/detector.go `BuildResourceBinding` copies the policy's schedulePriority
    // only with PriorityBasedScheduling: off, every binding has priority 0, so the proposal
    // example's j4 (schedulePriority 10) preempts nobody and waits for the 10 one-GPU nodes
    // that j0..j3 hold until 3600 s.
    let gates = FeatureGates {
        priority_based_scheduling: false,
        ..FeatureGates::default()
    };
    let sink = super::binding_preemption::run_case_with(true, gates);
    assert!(
        sink.events()
            .all(|e| e.kind != EventKind::Preemption(Preemptor::Federation))
    );
    let start = by_id(&sink, 4).start.unwrap();
    assert!(start >= SimTime(3600 * S), "{start:?}");
    // The default (on, v1.19) preempts j2 and starts j4 at 11 s.
    let sink = super::binding_preemption::run_case_with(true, FeatureGates::default());
    assert_eq!(by_id(&sink, 4).start, Some(SimTime(11 * S)));
}

#[test]
fn no_execute_eviction_needs_the_failover_gate() {
    // cmd/controller-manager/app/controllermanager.go `startClusterController` starts the
    // taint manager only with the Failover gate (off in v1.19): with
    // `no_execute_eviction` alone, alpha lost from 1000 s to 5000 s keeps j0 (8 GPUs,
    // checkpoint every 600 s): it resumes from 600 s when alpha returns, 3000 s left on A
    // GPUs → ends at 8000 s, never evicted.
    let placement = Placement {
        cluster_tolerations: vec![Toleration {
            key: crate::faults::UNREACHABLE_TAINT.into(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: Some(TaintEffect::NoExecute),
            toleration_seconds: Some(300),
        }],
        ..dynamic()
    };
    let config = SchedulerConfig {
        status_period: Duration::ZERO,
        failover: FailoverConfig {
            no_execute_eviction: true,
            ..FailoverConfig::default()
        },
        ..SchedulerConfig::default()
    };
    let plan = FaultPlan {
        outages: vec![super::faults::outage(
            FaultTarget::Cluster(ClusterId(0)),
            1000,
            5000,
            false,
        )],
        random: Vec::new(),
        ..FaultPlan::default()
    };
    let mut j0 = job(0, 0, 1, 8, 3600, true);
    j0.checkpoint_interval = Some(Duration(600 * S));
    let sink = run_full(
        world(),
        PolicySet::single(placement),
        &config,
        vec![j0],
        plan,
        Vec::new(),
    );
    let j = by_id(&sink, 0);
    assert_eq!(j.end, Some(SimTime(8000 * S)));
    assert_eq!(j.faults.n_evictions, 0);
    assert!(sink.events().all(|e| e.kind != EventKind::Eviction));
}

/// One 8-GPU job on alpha and beta, both with Karmada's default resource models.
fn models_case(modelling: bool) -> VecSink {
    let config = SchedulerConfig {
        status_period: Duration::ZERO,
        feature_gates: FeatureGates {
            customized_cluster_resource_modeling: modelling,
            ..FeatureGates::default()
        },
        ..SchedulerConfig::default()
    };
    run_inputs(
        ControlInputs {
            resource_models: vec![default_resource_models(), default_resource_models()],
            ..ControlInputs::new(world(), PolicySet::single(dynamic()), &config)
        },
        vec![job(0, 0, 1, 8, 3600, true)],
    )
}

#[test]
fn default_resource_models_estimate_no_gpu_job_only_with_their_gate() {
    // pkg/estimator/client/general.go `maxAvailableReplicas` takes the model path only with
    // CustomizedClusterResourceModeling and published grade counts; `buildModelNodes` gives
    // the default grades' nodes cpu and memory only, so `MaxDivided` finds 0 nvidia.com/gpu
    // on each and the answer is 0 on both clusters: j0 never schedules.
    let on = models_case(true);
    assert_eq!(by_id(&on, 0).start, None);
    assert_eq!(by_id(&on, 0).state, JobState::Unschedulable);
    // Off, members publish no grade counts and the summary path divides 16 free GPUs on alpha
    // and 8 on beta by 8: dynamic weights 2:1 send the one replica to alpha at 0 s.
    let off = models_case(false);
    assert_eq!(by_id(&off, 0).start, Some(SimTime::ZERO));
    assert_eq!(by_id(&off, 0).clusters, vec![(ClusterId(0), 1)]);
}

#[test]
fn graceful_application_failover_needs_graceful_eviction() {
    // pkg/controllers/applicationfailover/common.go `buildTaskOptions` refuses purgeMode
    // Gracefully without GracefulEviction (on in v1.19), so the controller never evicts: in
    // the failover case J keeps alpha, its lost pod waits for node 1's return at 10,000 s,
    // and the gang runs its 3540 s left from then: it ends at 13,540 s.
    let gates = FeatureGates {
        graceful_eviction: false,
        ..FeatureGates::default()
    };
    let sink = super::faults::failover_case_with(crate::policy::PurgeMode::Gracefully, gates);
    let j = by_id(&sink, 0);
    assert_eq!(j.faults.n_evictions, 0);
    assert!(sink.events().all(|e| e.kind != EventKind::Eviction));
    assert_eq!(j.end, Some(SimTime(13_540 * S)));
    // Directly needs no task options the gate governs: alpha is left at 220 s as before.
    let sink = super::faults::failover_case_with(crate::policy::PurgeMode::Directly, gates);
    assert_eq!(by_id(&sink, 0).faults.n_evictions, 1);
}
