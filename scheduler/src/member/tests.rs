//! Member placement worked by hand on tiny clusters.

use super::*;
use sim_core::model::{GpuModelSet, GpuRequest, NamespaceId, NodePool};

const GI: u64 = 1 << 30;

fn cluster(pools: &[(u32, u64, u32, Option<u16>)]) -> MemberCluster {
    let cluster = Cluster {
        name: "c".into(),
        region: None,
        zones: Vec::new(),
        provider: None,
        labels: Default::default(),
        taints: Vec::new(),
        node_pools: pools
            .iter()
            .enumerate()
            .map(|(idx, (count, cpu_cores, gpus, model))| NodePool {
                name: format!("p{idx}"),
                count: *count,
                shape: NodeShape {
                    cpu_milli: cpu_cores * 1000,
                    memory: 64 * GI,
                    max_pods: 110,
                    gpus: *gpus,
                    gpu_model: model.map(GpuModelId),
                },
                labels: Default::default(),
                taints: Vec::new(),
            })
            .collect(),
    };
    MemberCluster::new(ClusterId(0), &cluster, 2)
}

fn gpu_pod(gpus: u32) -> PodRequest {
    PodRequest {
        cpu_milli: 8000,
        memory: 8 * GI,
        gpu: GpuRequest::whole(gpus, GpuModelSet::ANY),
        node_claim: 0,
    }
}

#[test]
fn least_allocated_spreads_and_most_allocated_packs() {
    // Two identical 8-GPU nodes; after one 2-GPU pod on node 0, least-allocated picks node 1,
    // most-allocated picks node 0 again.
    for (policy, expected) in [
        (&LeastAllocated as &dyn PlacementPolicy, 1),
        (&MostAllocated, 0),
    ] {
        let mut member = cluster(&[(2, 64, 8, Some(0))]);
        assert_eq!(
            member.choose_node(&gpu_pod(2), policy),
            Some(0),
            "{}",
            policy.name()
        );
        member.bind(0, &gpu_pod(2), 0b11);
        assert_eq!(
            member.choose_node(&gpu_pod(2), policy),
            Some(expected),
            "{}",
            policy.name()
        );
    }
}

#[test]
fn least_allocated_score_by_hand() {
    // Node 64 cores, 64Gi, 8 GPUs; pod 8 cores, 8Gi, 2 GPUs on an idle node:
    // cpu (64-8)*100/64 = 87, memory 87, gpu (8-2)*100/8 = 75 → (87+87+75)/3 = 83.
    let shape = NodeShape {
        cpu_milli: 64_000,
        memory: 64 * GI,
        max_pods: 110,
        gpus: 8,
        gpu_model: Some(GpuModelId(0)),
    };
    let free = NodeFree::of_shape(&shape);
    assert_eq!(LeastAllocated.score(&gpu_pod(2), &shape, &free), 83);
    // MostAllocated: 12, 12, 25 → 16.
    assert_eq!(MostAllocated.score(&gpu_pod(2), &shape, &free), 16);
}

#[test]
fn gpu_model_constraint_is_respected() {
    let mut member = cluster(&[(1, 64, 8, Some(0)), (1, 64, 8, Some(1))]);
    let mut pod = gpu_pod(1);
    pod.gpu.models = GpuModelSet::of([GpuModelId(1)]);
    assert_eq!(member.choose_node(&pod, &LeastAllocated), Some(1));
    member.bind(1, &gpu_pod(8), 0xff);
    assert_eq!(member.choose_node(&pod, &LeastAllocated), None);
}

#[test]
fn cpu_only_nodes_never_take_gpu_pods() {
    let mut member = cluster(&[(3, 128, 0, None)]);
    assert_eq!(member.choose_node(&gpu_pod(1), &LeastAllocated), None);
    let cpu_pod = PodRequest {
        cpu_milli: 1000,
        memory: GI,
        gpu: GpuRequest::NONE,
        node_claim: 0,
    };
    assert_eq!(member.choose_node(&cpu_pod, &LeastAllocated), Some(0));
}

#[test]
fn identical_idle_nodes_share_one_bucket() {
    let mut member = cluster(&[(1000, 64, 8, Some(0))]);
    assert_eq!(member.n_buckets(), 1);
    member.bind(5, &gpu_pod(8), 0xff);
    assert_eq!(member.n_buckets(), 2);
    member.release(5, &gpu_pod(8), 0xff);
    assert_eq!(member.n_buckets(), 1);
    member.check_invariants().unwrap();
}

#[test]
fn a_node_list_keeps_its_order_and_pools_runs_of_identical_nodes() {
    let [small, large] = [(16, 2), (64, 8)].map(|(cpu_cores, gpus)| NodeShape {
        cpu_milli: cpu_cores * 1000,
        memory: 64 * GI,
        max_pods: 110,
        gpus,
        gpu_model: Some(GpuModelId(1)),
    });
    let member = MemberCluster::of_nodes(
        &[small, small, large, small],
        RngStreams::new(1).stream("nodes"),
    );
    assert_eq!(member.n_nodes(), 4);
    assert_eq!(member.node_shape(2), &large);
    // Runs: nodes 0–1, node 2, node 3; idle nodes of one run share a bucket.
    assert_eq!(member.pool_nodes(0), 0..2);
    assert_eq!(member.pool_nodes(2), 3..4);
    assert_eq!(member.n_buckets(), 3);
    assert_eq!(member.gpu_capacity_milli(GpuModelId(1)), 14_000);
    member.check_invariants().unwrap();
}

#[test]
fn memoised_scores_stand_for_the_policy() {
    // Two idle 8-GPU nodes are one bucket: one candidate, scored once.
    let mut member = cluster(&[(2, 64, 8, Some(0))]);
    let mut asked = Vec::new();
    let placed = member.place_scored(&gpu_pod(2), &MostAllocated, |nodes, _, scores| {
        asked.extend_from_slice(nodes);
        scores.fill(0);
    });
    assert_eq!(placed, Some((0, 0b11)));
    assert_eq!(asked, [0]);
    // Node 0 has 6 free GPUs now, node 1 all 8: two states, both candidates in one call.
    // MostAllocated would pack onto node 0; the caller's scores, higher for node 1, decide.
    let mut batches = Vec::new();
    let placed = member.place_scored(&gpu_pod(2), &MostAllocated, |nodes, candidates, scores| {
        let mut free: Vec<(u32, u32)> = nodes
            .iter()
            .zip(candidates)
            .map(|(node, (_, free))| (*node, free.devices.total_free()))
            .collect();
        free.sort();
        batches.push(free);
        for (score, node) in scores.iter_mut().zip(nodes) {
            *score = i64::from(*node);
        }
    });
    assert_eq!(placed, Some((1, 0b11)));
    assert_eq!(batches, [vec![(0, 6000), (1, 8000)]]);
}

#[test]
fn waiting_pods_bind_when_capacity_frees() {
    let mut member = cluster(&[(1, 64, 8, Some(0))]);
    let mut bound = Vec::new();
    member.submit(
        PendingPods {
            job: JobId(1),
            namespace: NamespaceId(0),
            priority_class: None,
            n_pods: 1,
            request: gpu_pod(6),
            component: 0,
        },
        0,
        &LeastAllocated,
        &mut bound,
    );
    member.submit(
        PendingPods {
            job: JobId(2),
            namespace: NamespaceId(0),
            priority_class: None,
            n_pods: 2,
            request: gpu_pod(2),
            component: 0,
        },
        0,
        &LeastAllocated,
        &mut bound,
    );
    assert_eq!(
        bound,
        vec![
            Binding {
                job: JobId(1),
                node: 0,
                devices: 0b11_1111,
                request: gpu_pod(6),
                component: 0,
            },
            Binding {
                job: JobId(2),
                node: 0,
                devices: 0b1100_0000,
                request: gpu_pod(2),
                component: 0,
            }
        ]
    );
    assert_eq!(member.n_pending_pods(), 1);
    assert_eq!(member.summary().allocating.gpus, 2);
    bound.clear();
    member.release(0, &gpu_pod(6), 0b11_1111);
    member.retry_pending(&LeastAllocated, &mut bound);
    assert_eq!(
        bound,
        vec![Binding {
            job: JobId(2),
            node: 0,
            devices: 0b11,
            request: gpu_pod(2),
            component: 0,
        }]
    );
    assert_eq!(member.n_pending_pods(), 0);
    assert_eq!(member.summary().allocating, ResourceList::default());
    assert_eq!(member.summary().allocated.gpus, 4);
    member.check_invariants().unwrap();
}

#[test]
fn higher_priority_waiting_pods_go_first() {
    let mut member = cluster(&[(1, 64, 8, Some(0))]);
    let mut bound = Vec::new();
    member.submit(
        PendingPods {
            job: JobId(0),
            namespace: NamespaceId(0),
            priority_class: None,
            n_pods: 1,
            request: gpu_pod(8),
            component: 0,
        },
        0,
        &LeastAllocated,
        &mut bound,
    );
    member.submit(
        PendingPods {
            job: JobId(1),
            namespace: NamespaceId(0),
            priority_class: None,
            n_pods: 1,
            request: gpu_pod(8),
            component: 0,
        },
        0,
        &LeastAllocated,
        &mut bound,
    );
    member.submit(
        PendingPods {
            job: JobId(2),
            namespace: NamespaceId(0),
            priority_class: None,
            n_pods: 1,
            request: gpu_pod(8),
            component: 0,
        },
        100,
        &LeastAllocated,
        &mut bound,
    );
    bound.clear();
    member.release(0, &gpu_pod(8), 0xff);
    member.retry_pending(&LeastAllocated, &mut bound);
    assert_eq!(
        bound,
        vec![Binding {
            job: JobId(2),
            node: 0,
            devices: 0xff,
            request: gpu_pod(8),
            component: 0,
        }]
    );
}

#[test]
fn accurate_estimate_counts_what_each_node_can_hold() {
    // 3 nodes of 64 cores, 8 GPUs. Node 0 holds a 6-GPU pod, node 1 a 2-GPU pod.
    // 4-GPU pods: node 0 has 2 free → 0, node 1 has 6 → 1, node 2 has 8 → 2; total 3.
    // The general view (14 free GPUs / 4) would say 3 as well, but for 8-GPU pods the nodes say
    // 1 (only node 2) where the summary says 14 / 8 = 1; for 5-GPU pods nodes say 2, summary 2.
    let mut member = cluster(&[(3, 64, 8, Some(0))]);
    member.bind(0, &gpu_pod(6), 0b11_1111);
    member.bind(1, &gpu_pod(2), 0b11);
    assert_eq!(member.accurate_replicas(&gpu_pod(4)), 3);
    assert_eq!(member.accurate_replicas(&gpu_pod(8)), 1);
    assert_eq!(member.accurate_replicas(&gpu_pod(7)), 1);
    // cpu bounds per node: 64 cores / 8 per pod = 8, but GPUs bound first for GPU pods.
    let cpu_pod = PodRequest {
        cpu_milli: 8000,
        memory: GI,
        gpu: GpuRequest::NONE,
        node_claim: 0,
    };
    // Node 0 used 8 cores, node 1 8 cores: (56 / 8) + (56 / 8) + (64 / 8) = 7 + 7 + 8 = 22.
    assert_eq!(member.accurate_replicas(&cpu_pod), 22);
    // A model the cluster lacks fits nowhere.
    let mut other_model = gpu_pod(1);
    other_model.gpu.models = GpuModelSet::of([GpuModelId(1)]);
    assert_eq!(member.accurate_replicas(&other_model), 0);
}

#[test]
fn quota_admission_refuses_pods_until_quota_frees() {
    // Namespace 0 may hold 8 GPUs in this cluster (two idle 8-GPU nodes). Three 4-GPU pods:
    // two are created and bound, the third is refused, holds nothing, and is created and bound
    // when a pod of the namespace ends.
    use crate::quota::{Limits, ResourceQuota};
    let mut member = cluster(&[(2, 64, 8, Some(0))]);
    member.add_quota(ResourceQuota {
        cluster: ClusterId(0),
        namespace: NamespaceId(0),
        hard: Limits {
            gpus: Some(8),
            ..Limits::default()
        },
        scopes: Vec::new(),
    });
    let pods = PendingPods {
        job: JobId(1),
        namespace: NamespaceId(0),
        priority_class: None,
        n_pods: 3,
        request: gpu_pod(4),
        component: 0,
    };
    let mut bound = Vec::new();
    member.submit(pods, 0, &LeastAllocated, &mut bound);
    assert_eq!(bound.len(), 2);
    assert_eq!((member.n_pending_pods(), member.n_refused_pods()), (0, 1));
    assert_eq!(member.summary().allocating, ResourceList::default());
    assert_eq!(member.quota_gpus(NamespaceId(0)), (8, 8));
    // The quota plugin sees no room for another 1-GPU replica.
    assert_eq!(
        member.quota_replicas(NamespaceId(0), None, &gpu_pod(1)),
        Some(0)
    );
    member.check_invariants().unwrap();
    let Binding { node, devices, .. } = bound[0];
    member.release_owned(node, &gpu_pod(4), devices, NamespaceId(0), None);
    bound.clear();
    member.retry_pending(&LeastAllocated, &mut bound);
    assert_eq!(bound.len(), 1);
    assert_eq!((member.n_pending_pods(), member.n_refused_pods()), (0, 0));
    assert_eq!(member.quota_gpus(NamespaceId(0)), (8, 8));
    member.check_invariants().unwrap();
}

#[test]
fn nodes_are_graded_by_their_free_resources() {
    // Karmada's default-style grades on cpu: [0, 16), [16, 32), [32, ∞) cores. Two 64-core
    // nodes: one idle (grade 2), one with 40 cores used (24 free: grade 1).
    use crate::estimator::ModelGrade;
    let grades: Vec<ModelGrade> = [0, 16, 32]
        .iter()
        .enumerate()
        .map(|(g, cores)| ModelGrade {
            grade: g as u32,
            minimums: vec![("cpu".into(), cores * 1000)],
        })
        .collect();
    let mut member = cluster(&[(2, 64, 8, Some(0))]);
    let busy = PodRequest {
        cpu_milli: 40_000,
        memory: GI,
        gpu: GpuRequest::NONE,
        node_claim: 0,
    };
    member.bind(1, &busy, 0);
    assert_eq!(member.grade_counts(&grades), vec![(0, 0), (1, 1), (2, 1)]);
}

#[test]
fn a_per_node_limit_spreads_pods_that_would_pack() {
    // Three identical nodes; claim 1 allows one pod per node. MostAllocated would stack every
    // pod on node 0; the limit sends them to nodes 0, 1 and 2, and the fourth waits.
    use crate::estimator::{NodeClaim, PerNodeLimit};
    let mut member = cluster(&[(3, 64, 8, Some(0))]);
    member.set_node_claims(&[
        NodeClaim::default(),
        NodeClaim {
            per_node_limit: Some(PerNodeLimit {
                group: "app-0".into(),
                max: 1,
            }),
            ..NodeClaim::default()
        },
    ]);
    let pod = PodRequest {
        node_claim: 1,
        ..gpu_pod(1)
    };
    let mut bound = Vec::new();
    member.submit(
        PendingPods {
            job: JobId(0),
            namespace: NamespaceId(0),
            priority_class: None,
            n_pods: 4,
            request: pod,
            component: 0,
        },
        0,
        &MostAllocated,
        &mut bound,
    );
    let nodes: Vec<u32> = bound.iter().map(|b| b.node).collect();
    assert_eq!(nodes, [0, 1, 2]);
    assert_eq!(member.n_pending_pods(), 1);
    // Pods of other claims are not counted.
    assert_eq!(member.choose_node(&gpu_pod(1), &MostAllocated), Some(0));
    member.release(1, &pod, bound[1].devices);
    let mut more = Vec::new();
    member.retry_pending(&MostAllocated, &mut more);
    assert_eq!(more.iter().map(|b| b.node).collect::<Vec<_>>(), [1]);
    member.check_invariants().unwrap();
}

/// The multi-component example of Karmada's component estimators: a JobManager 1 × {1 cpu,
/// 2Gi} and TaskManagers 3 × {2 cpu, 4Gi} on nodes with 3, 3 and 1 free cores. The summary
/// has 7 cores for a 7-core set, so the general estimator says 1 set; first-fit places the
/// JobManager and one TaskManager on node 0, one on node 1, and finds no room for the third
/// (1 core left on nodes 1 and 2): 0 sets.
#[test]
fn component_sets_general_says_one_accurate_says_none() {
    use crate::binding::{BindingComponent, BindingView, ResourceBinding};
    use crate::estimator::GeneralEstimator;
    use crate::policy::Placement;
    let member = cluster(&[(2, 3, 0, None), (1, 1, 0, None)]);
    let pod = |cores: u64, gib: u64| PodRequest {
        cpu_milli: cores * 1000,
        memory: gib * GI,
        gpu: GpuRequest::NONE,
        node_claim: 0,
    };
    let components = [(1, pod(1, 2)), (3, pod(2, 4))];
    assert_eq!(member.accurate_sets(&components), 0);
    let binding = ResourceBinding::with_components(
        JobId(0),
        components
            .iter()
            .map(|&(replicas, request)| BindingComponent { replicas, request })
            .collect(),
        NamespaceId(0),
    );
    let set = binding.set_resources();
    assert_eq!(
        (set.cpu_milli, set.memory, set.pods),
        (7000, 14 * GI as i64, 4)
    );
    let placement = Placement::default();
    let view = BindingView {
        binding: &binding,
        placement: &placement,
    };
    assert_eq!(GeneralEstimator::from_summary(member.summary(), &view), 1);
    // With a fourth core on node 2 the third TaskManager fits there: one set, and no second.
    let roomier = cluster(&[(2, 3, 0, None), (1, 2, 0, None)]);
    assert_eq!(roomier.accurate_sets(&components), 1);
    // A FederatedResourceQuota counts one set per cluster listed, whatever replica counts
    // the list carries: 7 cores on one cluster, 21 when copied to three.
    let one = binding.usage(&[(ClusterId(0), 0)]);
    assert_eq!((one.cpu_milli, one.memory), (7000, 14 * GI as i64));
    let three = binding.usage(&[(ClusterId(0), 0), (ClusterId(1), 0), (ClusterId(2), 0)]);
    assert_eq!(three.cpu_milli, 21_000);
}
