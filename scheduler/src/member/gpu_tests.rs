//! GPU-level placement worked by hand on one two-node example.
//!
//! Node 0: 4 GPUs of model A (id 0), 32 cores, 20 free; devices free `[1000, 400, 1000, 700]`
//! milli, running GPU-sharing pods (tag "share"). Node 1: 8 idle GPUs of model B (id 1), 64
//! idle cores. Free GPU milli F: node 0 3100, node 1 8000. Constants: Mc = 128000, Mg = 8000.

use std::sync::Arc;

use super::fgd::PodType;
use super::*;
use crate::registry::PlacementContext;
use sim_core::model::{GpuModelSet, GpuRequest};

const GI: u64 = 1 << 30;

// The hand-worked numbers below use the study's constants.
const DOT_PROD: DotProd = DotProd {
    norm: Normalization::STUDY,
};
const BEST_FIT: BestFit = BestFit {
    norm: Normalization::STUDY,
};
const GPU_CLUSTERING: GpuClustering = GpuClustering {
    norm: Normalization::STUDY,
};

fn nodes() -> Vec<(NodeShape, NodeFree)> {
    let shape0 = NodeShape {
        cpu_milli: 32_000,
        memory: 256 * GI,
        max_pods: 110,
        gpus: 4,
        gpu_model: Some(GpuModelId(0)),
    };
    let mut free0 = NodeFree::of_shape(&shape0);
    free0.cpu_milli = 20_000;
    free0.devices = Devices::from_free(&[1000, 400, 1000, 700]);
    free0.gpus = 2;
    free0.tags = devices::gpu_tag(&share(1));
    let shape1 = NodeShape {
        cpu_milli: 64_000,
        memory: 512 * GI,
        max_pods: 110,
        gpus: 8,
        gpu_model: Some(GpuModelId(1)),
    };
    vec![(shape0, free0), (shape1, NodeFree::of_shape(&shape1))]
}

fn share(milli: u32) -> GpuRequest {
    GpuRequest {
        count: 1,
        milli_per_gpu: milli,
        models: GpuModelSet::ANY,
    }
}

fn pod(cpu_milli: u64, gpu: GpuRequest) -> PodRequest {
    PodRequest {
        cpu_milli,
        memory: GI,
        gpu,
        node_claim: 0,
    }
}

/// A 300-milli share with 4 cores.
fn sharing() -> PodRequest {
    pod(4000, share(300))
}

/// Two whole GPUs with 8 cores.
fn two_gpus() -> PodRequest {
    pod(8000, GpuRequest::whole(2, GpuModelSet::ANY))
}

/// One whole GPU of model B.
fn model_b() -> PodRequest {
    pod(4000, GpuRequest::whole(1, GpuModelSet::of([GpuModelId(1)])))
}

fn scores(policy: &dyn PlacementPolicy, pod: &PodRequest) -> Vec<Option<i64>> {
    nodes()
        .iter()
        .map(|(shape, free)| fits(pod, shape, free).then(|| policy.score(pod, shape, free)))
        .collect()
}

/// (node, devices) the policy picks, as a member cluster would.
fn choice(policy: &dyn PlacementPolicy, pod: &PodRequest) -> Option<(u32, DeviceMask)> {
    let nodes = nodes();
    let candidates = nodes
        .iter()
        .enumerate()
        .filter(|(_, (shape, free))| fits(pod, shape, free))
        .map(|(idx, (shape, free))| (policy.score(pod, shape, free), idx as u32));
    let node = best_node(candidates, policy.choice() == Choice::Normalized)?;
    let (shape, free) = &nodes[node as usize];
    let device = (pod.gpu.count == 1 && pod.gpu.milli_per_gpu < 1000)
        .then(|| policy.share_device(pod, shape, free, &mut |_| 0));
    Some((node, free.devices.mask_for(&pod.gpu, device)))
}

#[test]
fn a_model_constraint_leaves_one_node_for_every_policy() {
    let target = Arc::new(TargetWorkload::default());
    let registry = crate::Registry::builtin();
    for name in registry.placement_names() {
        let policy = registry
            .placement(
                name,
                &PlacementContext {
                    target: &target,
                    norm: Normalization::NodeCapacity,
                    seed: 0,
                },
            )
            .unwrap();
        assert_eq!(
            choice(policy.as_ref(), &model_b()),
            Some((1, 0b1)),
            "{name}"
        );
    }
}

#[test]
fn dot_prod_by_hand() {
    // Share: node 0: 4000·20000/Mc² = 0.0048828, 300·3100/Mg² = 0.0145313 → 100·(1 − 0.0097070)
    // = 99.03 → 99; node 1: 0.015625 + 0.0375 → 100·(1 − 0.0265625) = 97.3 → 97.
    assert_eq!(scores(&DOT_PROD, &sharing()), vec![Some(99), Some(97)]);
    // The tightest device for 300 milli is device 1 (400 free).
    assert_eq!(choice(&DOT_PROD, &sharing()), Some((0, 0b10)));
    // Two GPUs: node 0: 0.0097656 + 0.096875 → 94.67 → 94; node 1: 0.03125 + 0.25 → 85.9 → 85.
    // Whole devices are the lowest-index free ones: 0 and 2.
    assert_eq!(scores(&DOT_PROD, &two_gpus()), vec![Some(94), Some(85)]);
    assert_eq!(choice(&DOT_PROD, &two_gpus()), Some((0, 0b101)));
}

#[test]
fn gpu_clustering_by_hand() {
    // base = 25·(8000 − F) div 8000: node 0 25·4900 div 8000 = 15, node 1 0.
    // Share: node 0 runs only shares → 15 + 75 = 90; node 1 is idle → 0 + 25.
    assert_eq!(
        scores(&GPU_CLUSTERING, &sharing()),
        vec![Some(90), Some(25)]
    );
    // Two GPUs: node 0 runs only other kinds → 15; node 1 idle → 25.
    assert_eq!(
        scores(&GPU_CLUSTERING, &two_gpus()),
        vec![Some(15), Some(25)]
    );
    assert_eq!(choice(&GPU_CLUSTERING, &two_gpus()), Some((1, 0b11)));
}

#[test]
fn gpu_packing_by_hand() {
    // Share: node 0 is in use; the tightest device that fits has 400 free, not whole →
    // 100 − (400·100 div 1000) div 10 = 96. Node 1 is idle with 8 GPUs → max(33 − 8, 8) = 25.
    assert_eq!(scores(&GpuPacking, &sharing()), vec![Some(96), Some(25)]);
    assert_eq!(choice(&GpuPacking, &sharing()), Some((0, 0b10)));
    // Two GPUs on node 0 take two whole devices → max(50 − 2, 33) = 48.
    assert_eq!(scores(&GpuPacking, &two_gpus()), vec![Some(48), Some(25)]);
    // CPU-only pods score 0 everywhere: the tie goes to node 0.
    assert_eq!(
        scores(&GpuPacking, &pod(1000, GpuRequest::NONE)),
        vec![Some(0), Some(0)]
    );
}

#[test]
fn best_fit_by_hand() {
    // Share: node 0: 0.5·16000/Mc + 0.5·2800/Mg = 0.0625 + 0.175 → 76; node 1:
    // 0.5·60000/Mc + 0.5·7700/Mg = 0.234375 + 0.48125 → 28. Normalised: 100 and 0.
    assert_eq!(scores(&BEST_FIT, &sharing()), vec![Some(76), Some(28)]);
    assert_eq!(choice(&BEST_FIT, &sharing()), Some((0, 0b10)));
    // Two GPUs: node 0: 0.046875 + 0.06875 → 88; node 1: 0.21875 + 0.375 → 40.
    assert_eq!(scores(&BEST_FIT, &two_gpus()), vec![Some(88), Some(40)]);
}

#[test]
fn min_max_normalisation_maps_equal_scores_to_zero() {
    assert_eq!(best_node([(40, 3), (40, 1)].into_iter(), true), Some(1));
    assert_eq!(best_node([(28, 0), (76, 1)].into_iter(), true), Some(1));
    assert_eq!(best_node(std::iter::empty(), true), None);
}

/// Target workload: half 500-milli shares, half whole GPUs, 4 cores each, any model.
fn target() -> Arc<TargetWorkload> {
    let kind = |gpu_milli| PodType {
        cpu_milli: 4000,
        gpu_milli,
        num_gpu: 1,
        models: GpuModelSet::ANY,
        popularity: 1.0,
    };
    Arc::new(TargetWorkload::new(vec![kind(500), kind(1000)]))
}

#[test]
fn fgd_node_fragmentation_by_hand() {
    let [(shape0, free0), (shape1, free1)] = nodes().try_into().unwrap();
    let target = target();
    // Node 0: shares of 500 fit on 1000, 1000, 700 → the 400 device is fragment: 400.
    // Whole GPUs fit (two free) → 400 + 700 are fragment: 1100. 0.5·400 + 0.5·1100 = 750.
    assert_eq!(
        target.fragmentation(free0.cpu_milli, &free0.devices, shape0.gpu_model),
        750.0
    );
    // Node 1 is idle: nothing is fragment.
    assert_eq!(
        target.fragmentation(free1.cpu_milli, &free1.devices, shape1.gpu_model),
        0.0
    );
    // With 2 cores left no type fits: all 3100 free milli are fragment.
    assert_eq!(
        target.fragmentation(2000, &free0.devices, shape0.gpu_model),
        3100.0
    );
    // A type restricted to another model counts all free milli.
    let restricted = TargetWorkload::new(vec![PodType {
        cpu_milli: 1000,
        gpu_milli: 500,
        num_gpu: 1,
        models: GpuModelSet::of([GpuModelId(1)]),
        popularity: 1.0,
    }]);
    assert_eq!(
        restricted.fragmentation(20_000, &free0.devices, shape0.gpu_model),
        3100.0
    );
}

#[test]
fn fgd_scores_by_hand() {
    let fgd = Fgd::new(target());
    // Share of 300 on node 0 (before 750), per device:
    //   dev 0 → [700,400,1000,700]: shares 400, whole 1800 → 1100, Δ −350, 100·σ(−0.35) = 41.3
    //   dev 1 → [1000,100,1000,700]: 100 and 800 → 450, Δ +300, 100·σ(0.3) = 57.4
    //   dev 3 → [1000,400,1000,400]: 800 and 800 → 800, Δ −50, 100·σ(−0.05) = 48.8
    // Node 1: any device → [700, 1000×7]: 0 and 700 → 350, Δ −350 → 41.
    assert_eq!(scores(&fgd, &sharing()), vec![Some(57), Some(41)]);
    assert_eq!(choice(&fgd, &sharing()), Some((0, 0b10)));
    // Two whole GPUs: node 0 → [0,400,0,700]: shares fit on 700 → 400; whole GPUs no longer
    // fit → 1100; after 750, Δ 0 → 50. Node 1 → Δ 0 → 50. The tie goes to node 0.
    assert_eq!(scores(&fgd, &two_gpus()), vec![Some(50), Some(50)]);
    assert_eq!(choice(&fgd, &two_gpus()), Some((0, 0b101)));
    // A CPU-only pod of 18 cores leaves node 0 2 cores: everything becomes fragment, Δ −2350 →
    // 100·σ(−2.35) = 8.7; node 1 stays clean → 50.
    let cpu_only = pod(18_000, GpuRequest::NONE);
    assert_eq!(scores(&fgd, &cpu_only), vec![Some(8), Some(50)]);
}

#[test]
fn typical_pods_keep_the_most_common_types() {
    use super::fgd::TypeKey;
    let key = |cpu_milli, gpu_milli, spec: &str| TypeKey {
        cpu_milli,
        gpu_milli,
        num_gpu: u32::from(gpu_milli > 0),
        spec: spec.into(),
        models: GpuModelSet::ANY,
    };
    // 10 pods: 5 of A, 3 of B, 1 of C, 1 of D. 80 % coverage keeps A and B (8 pods); the C/D
    // tie is broken by key, descending: D (cpu 9000) before C.
    let mut keys = vec![key(4000, 500, ""); 5];
    keys.extend(vec![key(2000, 1000, ""); 3]);
    keys.push(key(1000, 0, ""));
    keys.push(key(9000, 0, ""));
    let target = TargetWorkload::typical(keys.clone(), 80);
    let kept: Vec<(u64, f64)> = target
        .types()
        .iter()
        .map(|t| (t.cpu_milli, t.popularity))
        .collect();
    assert_eq!(kept, vec![(4000, 5.0 / 8.0), (2000, 3.0 / 8.0)]);
    let target = TargetWorkload::typical(keys, 85);
    let kept: Vec<u64> = target.types().iter().map(|t| t.cpu_milli).collect();
    assert_eq!(kept, vec![4000, 2000, 9000]);
}

#[test]
fn random_draws_only_among_nodes_that_fit() {
    let mut member = MemberCluster::new(
        sim_core::model::ClusterId(0),
        &sim_core::model::Cluster {
            name: "c".into(),
            region: None,
            zones: Vec::new(),
            provider: None,
            labels: Default::default(),
            taints: Vec::new(),
            node_pools: nodes()
                .into_iter()
                .enumerate()
                .map(|(idx, (shape, _))| sim_core::model::NodePool {
                    name: format!("p{idx}"),
                    count: 2,
                    shape,
                    labels: Default::default(),
                    taints: Vec::new(),
                })
                .collect(),
        },
        2,
    );
    let mut seen = [0u32; 4];
    for _ in 0..200 {
        seen[member.choose_node(&sharing(), &Random).unwrap() as usize] += 1;
        // Only the model-B nodes (2 and 3) take a model-B pod.
        assert!(member.choose_node(&model_b(), &Random).unwrap() >= 2);
    }
    assert!(seen.iter().all(|n| *n > 20), "{seen:?}");
}

#[test]
fn tags_follow_the_pods_on_a_node() {
    let mut member = MemberCluster::new(
        sim_core::model::ClusterId(0),
        &sim_core::model::Cluster {
            name: "c".into(),
            region: None,
            zones: Vec::new(),
            provider: None,
            labels: Default::default(),
            taints: Vec::new(),
            node_pools: vec![sim_core::model::NodePool {
                name: "p".into(),
                count: 1,
                shape: nodes()[1].0,
                labels: Default::default(),
                taints: Vec::new(),
            }],
        },
        2,
    );
    let (node, first) = member.place(&sharing(), &GpuPacking).unwrap();
    let (_, second) = member.place(&sharing(), &GpuPacking).unwrap();
    // GpuPacking fills the partly used device first.
    assert_eq!((first, second), (0b1, 0b1));
    assert_eq!(member.node_free(node).tags, 1);
    assert_eq!(member.node_free(node).devices.free()[0], 400);
    member.release(node, &sharing(), first);
    assert_eq!(member.node_free(node).tags, 1);
    member.release(node, &sharing(), second);
    assert_eq!(member.node_free(node).tags, 0);
    assert_eq!(
        *member.node_free(node),
        NodeFree::of_shape(member.node_shape(node))
    );
    member.check_invariants().unwrap();
}

/// A 16-GPU, 256-core node, all free, and its shape.
fn big_node() -> (NodeShape, NodeFree) {
    let shape = NodeShape {
        cpu_milli: 256_000,
        memory: 2048 * GI,
        max_pods: 110,
        gpus: 16,
        gpu_model: Some(GpuModelId(0)),
    };
    (shape, NodeFree::of_shape(&shape))
}

#[test]
fn scores_stay_in_range_on_nodes_larger_than_the_studys() {
    let (shape, free) = big_node();
    let whole = |n: u32| GpuRequest {
        count: n,
        milli_per_gpu: 1000,
        models: GpuModelSet::ANY,
    };
    let node = Normalization::NodeCapacity;
    // DotProd, 128 cores and 16 GPUs on the idle node: by its own capacity
    // 128·256/256² + 16000·16000/16000² = 0.5 + 1 → 100·(1 − 0.75) = 25; by the study's
    // constants 128·256/128² + 16000·16000/8000² = 2 + 4 → 100·(1 − 3) = −200.
    let big = pod(128_000, whole(16));
    assert_eq!(DotProd { norm: node }.score(&big, &shape, &free), 25);
    assert_eq!(DOT_PROD.score(&big, &shape, &free), -200);
    // BestFit, 8 cores and 1 GPU: leftover 0.5·248/256 + 0.5·15/16 = 0.953125 → 4; by the
    // study's constants 0.5·248/128 + 0.5·15/8 = 1.90625 → −90.
    let small = pod(8_000, whole(1));
    assert_eq!(BestFit { norm: node }.score(&small, &shape, &free), 4);
    assert_eq!(BEST_FIT.score(&small, &shape, &free), -90);
    // GpuClustering's fullness term: 25·(16000 − 16000) div 16000 = 0 for the idle node and
    // 25·(16000 − 4000) div 16000 = 18 with 12 of 16 GPUs taken; by the study's 8 GPUs the
    // busy node counts as half full, 25·(8000 − 4000) div 8000 = 12. The idle node's share
    // bonus is 25 either way.
    let mut busy = free;
    busy.devices =
        Devices::from_free(&[1000, 1000, 1000, 1000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let share = pod(1000, share(500));
    assert_eq!(
        GpuClustering { norm: node }.score(&share, &shape, &free),
        25
    );
    assert_eq!(
        GpuClustering { norm: node }.score(&share, &shape, &busy),
        18 + 25
    );
    assert_eq!(GPU_CLUSTERING.score(&share, &shape, &busy), 12 + 25);
    // A node without GPUs: a CPU pod's score stays finite (nothing divided by zero).
    let cpu_only = NodeShape {
        gpus: 0,
        gpu_model: None,
        ..shape
    };
    let cpu_pod = pod(64_000, GpuRequest::NONE);
    // 64·256/256² = 0.25 → 100·(1 − 0.125) = 87.
    assert_eq!(
        DotProd { norm: node }.score(&cpu_pod, &cpu_only, &NodeFree::of_shape(&cpu_only)),
        87
    );
}
