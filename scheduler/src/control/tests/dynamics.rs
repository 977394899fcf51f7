//! Multi-component bindings on requeue and under Duplicated, the taint manager's choice of
//! toleration, and overcommit protection on the accurate estimator, worked by hand from
//! Karmada's source.

use super::*;
use crate::control::failover::toleration_wait;
use crate::policy::{SpreadConstraint, SpreadField, Toleration, TolerationOperator};
use sim_core::model::{Taint, TaintEffect};

fn toleration(seconds: Option<u64>) -> Toleration {
    Toleration {
        key: "cluster.karmada.io/not-ready".into(),
        operator: TolerationOperator::Exists,
        value: String::new(),
        effect: Some(TaintEffect::NoExecute),
        toleration_seconds: seconds,
    }
}

#[test]
fn the_first_matching_toleration_sets_the_eviction_time() {
    // `GetMatchingTolerations` takes, per taint, the first toleration in list order that
    // tolerates it; `GetMinTolerationTimeWithCurrentTime` the smallest seconds among those
    // used. Tolerations [60 s, 1200 s] of the same taint: 60 s (not the longest, 1200 s).
    let taint = Taint {
        key: "cluster.karmada.io/not-ready".into(),
        value: String::new(),
        effect: TaintEffect::NoExecute,
    };
    let taints = [taint.clone()];
    let both = [toleration(Some(60)), toleration(Some(1200))];
    assert_eq!(toleration_wait(&both, &taints), Some(60));
    // [forever, 60 s]: the first is used, the binding stays.
    let forever_first = [toleration(None), toleration(Some(60))];
    assert_eq!(toleration_wait(&forever_first, &taints), None);
    // A second taint nobody tolerates: evicted at once.
    let other = Taint {
        key: "other".into(),
        ..taint
    };
    let mut specific = toleration(Some(60));
    specific.operator = TolerationOperator::Equal;
    assert_eq!(
        toleration_wait(&[specific], &[taints[0].clone(), other]),
        Some(0)
    );
}

/// A launcher {2 cores} and one 8-GPU worker as `spec.components`.
fn small_set(id: u64) -> Job {
    let mut j = job(id, 0, 1, 8, 3600, true);
    j.components.insert(
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
    j
}

#[test]
fn duplicated_components_go_to_the_cluster_with_most_sets() {
    // `isMultiTemplateSchedulingApplicable` does not look at the scheduling type, so a
    // Duplicated binding with components and a one-cluster spread constraint is estimated
    // in sets (`calculateMultiTemplateAvailableSets`): alpha (1 node) holds 1, beta (2 nodes)
    // 2. `sortClusters` puts beta first (scores tie at 0); the cluster path takes the first
    // min(2, maxGroups 1) = 1 without checking resources (Duplicated): beta, both pods.
    // Without set estimates both clusters tie and alpha would win by name.
    let mut w = world();
    w.fleet.clusters = vec![
        cluster("alpha", vec![pool(1, 0)]),
        cluster("beta", vec![pool(2, 0)]),
    ];
    let placement = Placement {
        replica_scheduling: ReplicaScheduling::Duplicated,
        spread_constraints: vec![SpreadConstraint {
            field: SpreadField::Cluster,
            min_groups: 1,
            max_groups: 1,
        }],
        ..Placement::default()
    };
    let config = SchedulerConfig {
        status_period: Duration::ZERO,
        ..SchedulerConfig::default()
    };
    let sink = run_full(
        w,
        PolicySet::single(placement),
        &config,
        vec![small_set(0)],
        Default::default(),
        Vec::new(),
    );
    let j = by_id(&sink, 0);
    assert_eq!(j.clusters, vec![(ClusterId(1), 2)]);
    assert_eq!(j.start, Some(SimTime(0)));
}

#[test]
fn the_accurate_estimator_deducts_assumed_workloads_until_the_status_confirms_them() {
    // One 8-GPU node; 4-GPU jobs at 1 and 2 s; status every 10 s; estimators general and
    // accurate; protection on. j0 is sent at 1 s and assumed (4 GPUs); its pod binds at once.
    // At 2 s the general estimator sees the stale status (8 free) minus the assumption: 1.
    // The accurate estimator sees the node's live 4 free GPUs and, as Karmada's
    // `noderesource` does, first places the assumed 4-GPU pod on them: 0. So j1 waits in
    // Karmada's queue (Unschedulable) instead of being sent; without the deduction it would
    // have been estimated 1 and sent. (Karmada counts j0 twice until its status is Healthy.)
    let mut w = world();
    w.fleet.clusters = vec![cluster("solo", vec![pool(1, 0)])];
    let placement = Placement {
        replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::DynamicWeight),
        ..Placement::default()
    };
    let config = SchedulerConfig {
        feature_gates: crate::FeatureGates {
            scheduling_overcommit_protection: true,
            ..crate::FeatureGates::default()
        },
        estimators: vec!["general".into(), "accurate".into()],
        ..SchedulerConfig::default()
    };
    let mut control = ControlPlane::new(ControlInputs {
        check_invariants: true,
        ..ControlInputs::new(w, PolicySet::single(placement), &config)
    })
    .unwrap();
    let jobs = vec![job(0, 1, 1, 4, 3600, true), job(1, 2, 1, 4, 3600, true)];
    let (sink, _) = super::drive(&mut control, jobs, Some(SimTime(5 * S)));
    let by_job: Vec<(u64, JobState)> = sink.jobs().map(|j| (j.n_pods_sent, j.state)).collect();
    assert_eq!(
        by_job,
        vec![(1, JobState::Running), (0, JobState::Unschedulable)]
    );
}
