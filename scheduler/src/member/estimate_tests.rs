//! Karmada's accurate estimator and ResourceQuota plugin with assumed workloads deducted, and
//! how GPU shares count in them, worked by hand.

use super::*;
use crate::estimator::AssumedWorkload;
use crate::quota::{Limits, ResourceQuota};
use sim_core::model::{GpuModelSet, GpuRequest, NamespaceId, NodePool};

const GI: u64 = 1 << 30;

/// `count` nodes of 16 cores, 64 GiB and 8 GPUs of model 0.
fn member(count: u32) -> MemberCluster {
    let cluster = Cluster {
        name: "c".into(),
        region: None,
        zones: Vec::new(),
        provider: None,
        labels: Default::default(),
        taints: Vec::new(),
        node_pools: vec![NodePool {
            name: "p".into(),
            count,
            shape: NodeShape {
                cpu_milli: 16_000,
                memory: 64 * GI,
                max_pods: 110,
                gpus: 8,
                gpu_model: Some(GpuModelId(0)),
            },
            labels: Default::default(),
            taints: Vec::new(),
        }],
    };
    MemberCluster::new(ClusterId(0), &cluster, 1)
}

fn pod(cores: u64, gpus: u32) -> PodRequest {
    PodRequest {
        cpu_milli: cores * 1000,
        memory: GI,
        gpu: GpuRequest::whole(gpus, GpuModelSet::ANY),
        node_claim: 0,
    }
}

fn share(cores: u64, milli: u32) -> PodRequest {
    PodRequest {
        cpu_milli: cores * 1000,
        memory: GI,
        gpu: GpuRequest {
            count: 1,
            milli_per_gpu: milli,
            models: GpuModelSet::ANY,
        },
        node_claim: 0,
    }
}

fn assumed(namespace: u32, components: Vec<(i64, PodRequest)>) -> AssumedWorkload {
    AssumedWorkload {
        namespace: NamespaceId(namespace),
        priority_class: None,
        components,
    }
}

#[test]
fn accurate_estimate_places_assumed_workloads_first() {
    // `noderesource.Estimate`: the assumed workloads go first-fit onto a copy of the nodes
    // (`SimulateScheduling` with bound 1), then per node `MaxDivided` is summed. Three idle
    // nodes of 8 GPUs; assumed: 3 × {4 GPUs}: node 0 takes 2 (0 left), node 1 takes 1 (4
    // left). 4-GPU pods then fit 0 + 1 + 2 = 3 (6 without the assumption).
    let m = member(3);
    let workload = assumed(0, vec![(3, pod(2, 4))]);
    assert_eq!(m.accurate_replicas(&pod(2, 4)), 6);
    assert_eq!(
        m.accurate_replicas_assumed(&pod(2, 4), std::slice::from_ref(&workload)),
        3
    );
    // A workload that does not fit whole keeps what it placed (no rollback): 7 × {4 GPUs} on
    // 3 nodes places 6 and leaves nothing for an 8-GPU pod.
    let too_big = assumed(0, vec![(7, pod(2, 4))]);
    assert_eq!(m.accurate_replicas_assumed(&pod(2, 8), &[too_big]), 0);
    // Components: a set of {1 core} + {8 GPUs}. Without assumptions 3 sets (one per node);
    // after the 3 × 4 GPUs above, only node 2 holds an 8-GPU worker: 1 set.
    let set = [(1, pod(1, 0)), (1, pod(2, 8))];
    assert_eq!(m.accurate_sets(&set), 3);
    assert_eq!(m.accurate_sets_assumed(&set, &[workload]), 1);
}

#[test]
fn the_quota_plugin_deducts_assumed_workloads_of_its_namespace() {
    // `evaluateReplicasAgainstQuota`: namespace 0 may use 16 GPUs, 4 are used. Assumed in
    // namespace 0: 2 × {4 GPUs} = 8, so 16 − 4 − 8 = 4 are left: one 4-GPU replica (3 without
    // the assumption). An assumption in namespace 1 is not deducted. One taking more than is
    // left drives the quota below zero: 0.
    let mut m = member(3);
    m.add_quota(ResourceQuota {
        cluster: ClusterId(0),
        namespace: NamespaceId(0),
        hard: Limits {
            gpus: Some(16),
            ..Limits::default()
        },
        scopes: Vec::new(),
    });
    m.charge_quota(NamespaceId(0), None, &pod(1, 4), 1);
    let per_replica = ResourceList::of_pods(&pod(1, 4), 1);
    let ns = NamespaceId(0);
    assert_eq!(m.quota_units_assumed(ns, None, &per_replica, &[]), Some(3));
    let ours = assumed(0, vec![(2, pod(1, 4))]);
    let theirs = assumed(1, vec![(2, pod(1, 4))]);
    assert_eq!(
        m.quota_units_assumed(ns, None, &per_replica, &[ours.clone(), theirs]),
        Some(1)
    );
    let greedy = assumed(0, vec![(4, pod(1, 4))]);
    assert_eq!(
        m.quota_units_assumed(ns, None, &per_replica, &[ours, greedy]),
        Some(0)
    );
}

#[test]
fn a_gpu_share_requests_no_nvidia_gpu() {
    // A pod with half a GPU cannot ask Kubernetes for 0.5 `nvidia.com/gpu` (extended
    // resources are integers); its share goes through the member's own scheduler and its
    // resource requests are cpu and memory. One node of 16 cores and 8 GPUs, 8 half-GPU pods
    // bound (4 devices full), each 1 core:
    let mut m = member(1);
    for device in 0..4u32 {
        for _ in 0..2 {
            m.bind(0, &share(1, 500), 1 << device);
        }
    }
    // The summary counts no GPU allocated; the node's unrequested `nvidia.com/gpu` stays 8.
    assert_eq!(m.summary().allocated.gpus, 0);
    assert_eq!(m.node_free(0).gpus, 8);
    // So an 8-GPU pod is estimated to fit (Kubernetes' accounting), though only 4 devices
    // are free; and another share is bounded by cpu alone: (16 − 8) / 1 = 8.
    assert_eq!(m.accurate_replicas(&pod(1, 8)), 1);
    assert_eq!(m.accurate_replicas(&share(1, 500)), 8);
    // Whole-GPU pods are counted as requested: a 3-GPU pod leaves 5.
    m.bind(0, &pod(1, 3), 0b111 << 4);
    assert_eq!(m.summary().allocated.gpus, 3);
    assert_eq!(m.node_free(0).gpus, 5);
}
