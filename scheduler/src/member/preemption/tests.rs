//! Default preemption worked by hand on nodes of a few pods.

use super::*;
use rand::RngExt;
use rand::seq::SliceRandom;
use sim_core::model::{GpuModelSet, GpuRequest};
use sim_core::rng::RngStreams;

use crate::member::Devices;

const GI: u64 = 1 << 30;

/// A node of 32 cores, 128 GiB, 110 pods and `gpus` devices of no particular model.
fn shape(gpus: u32) -> NodeShape {
    NodeShape {
        cpu_milli: 32_000,
        memory: 128 * GI,
        max_pods: 110,
        gpus,
        gpu_model: None,
    }
}

fn request(gpu: GpuRequest) -> PodRequest {
    PodRequest {
        cpu_milli: 1000,
        memory: GI,
        gpu,
        node_claim: 0,
    }
}

fn whole(count: u32) -> GpuRequest {
    GpuRequest::whole(count, GpuModelSet::ANY)
}

fn share(milli: u32) -> GpuRequest {
    GpuRequest {
        count: 1,
        milli_per_gpu: milli,
        models: GpuModelSet::ANY,
    }
}

fn pod(id: u64, gpu: GpuRequest, devices: DeviceMask, priority: i32, start: u64) -> VictimPod {
    VictimPod {
        id,
        request: request(gpu),
        devices,
        priority,
        start: SimTime(start),
        pdb_violating: false,
    }
}

fn violating(pod: VictimPod) -> VictimPod {
    VictimPod {
        pdb_violating: true,
        ..pod
    }
}

/// A node of `shape` holding `pods`; its free state is the shape minus what they hold.
fn node(idx: u32, shape: NodeShape, pods: Vec<VictimPod>) -> NodeCandidate {
    let mut free = NodeFree::of_shape(&shape);
    for pod in &pods {
        take_again(&mut free, pod);
    }
    NodeCandidate {
        node: idx,
        shape,
        free,
        pods,
    }
}

fn preemptor(priority: i32, gpu: GpuRequest) -> Preemptor {
    Preemptor {
        request: request(gpu),
        priority,
        policy: PreemptionPolicy::PreemptLowerPriority,
    }
}

fn check(preemptor: Preemptor, nodes: &[NodeCandidate], expected: Option<(u32, &[u64])>) {
    let expected = expected.map(|(node, victims)| Preemption {
        node,
        victims: victims.to_vec(),
    });
    assert_eq!(select_preemption(&preemptor, nodes), expected);
}

#[test]
fn node_needing_one_low_priority_victim_beats_node_needing_two() {
    // The preemptor (priority 10) wants 2 whole GPUs; both nodes have 4, all taken.
    // Node 0: pod 1 (priority 1, devices 0–1) and pod 2 (priority 2, devices 2–3). Removing both
    // frees 4; reprieve pod 2 first (more important): 2 free, fits, kept; then pod 1: 0 free,
    // no fit, victim. Victims [1]: highest priority 1, offset sum 2^31 + 1.
    // Node 1: pods 3 and 4 (priority 1, one device each, 3 older) and pod 5 (priority 20,
    // devices 2–3, never a victim). Removing 3 and 4 frees 2, fits; reprieving 3 leaves 1, so 3
    // is a victim, and likewise 4. Victims [3, 4]: highest priority 1 too, offset sum
    // 2 × (2^31 + 1), larger. No PDBs on either, equal highest priority, so the sum decides:
    // node 0.
    let nodes = [
        node(
            0,
            shape(4),
            vec![
                pod(1, whole(2), 0b0011, 1, 0),
                pod(2, whole(2), 0b1100, 2, 0),
            ],
        ),
        node(
            1,
            shape(4),
            vec![
                pod(3, whole(1), 0b0001, 1, 10),
                pod(4, whole(1), 0b0010, 1, 20),
                pod(5, whole(2), 0b1100, 20, 0),
            ],
        ),
    ];
    check(preemptor(10, whole(2)), &nodes, Some((0, &[1])));
    // Alone, node 1 gives its two victims, most important (older) first.
    check(preemptor(10, whole(2)), &nodes[1..], Some((1, &[3, 4])));
}

#[test]
fn equal_priority_is_never_preempted() {
    // The only pod has the preemptor's priority: nothing is lower, so no node is a candidate.
    let nodes = [node(0, shape(2), vec![pod(1, whole(2), 0b11, 10, 0)])];
    check(preemptor(10, whole(1)), &nodes, None);
    // One step lower and it is the victim.
    check(preemptor(11, whole(1)), &nodes, Some((0, &[1])));
}

#[test]
fn higher_priority_pods_stay_even_when_lower_ones_are_not_enough() {
    // Pod 1 (priority 1) holds device 0, pod 2 (priority 50) device 1; the preemptor wants both
    // devices. Evicting pod 1 frees only one, so the node is no candidate.
    let nodes = [node(
        0,
        shape(2),
        vec![pod(1, whole(1), 0b01, 1, 0), pod(2, whole(1), 0b10, 50, 0)],
    )];
    check(preemptor(10, whole(2)), &nodes, None);
}

#[test]
fn preemption_policy_never_never_preempts() {
    let nodes = [node(0, shape(2), vec![pod(1, whole(2), 0b11, 0, 0)])];
    let never = Preemptor {
        policy: PreemptionPolicy::Never,
        ..preemptor(100, whole(1))
    };
    check(never, &nodes, None);
}

#[test]
fn pdb_violating_pods_are_reprieved_first() {
    // Two devices: pod 1 (priority 5) on device 0, pod 2 (priority 1, PDB-violating) on device 1;
    // the preemptor wants one device. Both are removed (2 free). The PDB group goes first: pod 2
    // back leaves device 0 free, fits, kept. Then pod 1: nothing free, victim. By priority
    // alone pod 1 would have been kept and pod 2 evicted.
    let nodes = [node(
        0,
        shape(2),
        vec![
            pod(1, whole(1), 0b01, 5, 0),
            violating(pod(2, whole(1), 0b10, 1, 0)),
        ],
    )];
    check(preemptor(10, whole(1)), &nodes, Some((0, &[1])));
}

#[test]
fn fewer_pdb_violations_wins_over_lower_priority() {
    // Node 0's only pod (priority 1) is PDB-violating: 1 violation. Node 1's (priority 5) is
    // not: 0 violations. Violations are compared first, so node 1 wins despite priority 5 > 1.
    let nodes = [
        node(0, shape(2), vec![violating(pod(1, whole(2), 0b11, 1, 0))]),
        node(1, shape(2), vec![pod(2, whole(2), 0b11, 5, 0)]),
    ];
    check(preemptor(10, whole(2)), &nodes, Some((1, &[2])));
}

#[test]
fn lower_highest_priority_wins_over_fewer_victims() {
    // Node 0: one victim of priority 5. Node 1: two victims of priority 3 (one device each).
    // No PDBs; highest victim priority 3 < 5, so node 1 wins with more victims.
    let nodes = [
        node(0, shape(2), vec![pod(1, whole(2), 0b11, 5, 0)]),
        node(
            1,
            shape(2),
            vec![pod(2, whole(1), 0b01, 3, 0), pod(3, whole(1), 0b10, 3, 0)],
        ),
    ];
    check(preemptor(10, whole(2)), &nodes, Some((1, &[2, 3])));
}

#[test]
fn fewer_victims_wins_when_offset_sums_tie() {
    // With Kubernetes' offset each victim adds priority + 2^31, so the sums tie across different
    // victim counts only through a victim of priority i32::MIN (which adds 0).
    // Node 0: victims priority 0 (2^31) and i32::MIN (0): sum 2^31, 2 victims.
    // Node 1: one victim of priority 0: sum 2^31, 1 victim.
    // No PDBs, highest priority 0 on both, sums equal: fewer victims wins, node 1, although
    // node 0 has the lower index.
    let nodes = [
        node(
            0,
            shape(2),
            vec![
                pod(1, whole(1), 0b01, 0, 0),
                pod(2, whole(1), 0b10, i32::MIN, 0),
            ],
        ),
        node(1, shape(2), vec![pod(3, whole(2), 0b11, 0, 0)]),
    ];
    check(preemptor(10, whole(2)), &nodes, Some((1, &[3])));
}

#[test]
fn most_recently_started_victims_win_then_lowest_index() {
    // One victim of priority 1 on each node; everything ties but the start: node 1's victim
    // started later (200 ms > 100 ms), so evicting it loses less work.
    let nodes = [
        node(0, shape(2), vec![pod(1, whole(2), 0b11, 1, 100)]),
        node(1, shape(2), vec![pod(2, whole(2), 0b11, 1, 200)]),
        node(2, shape(2), vec![pod(3, whole(2), 0b11, 1, 200)]),
    ];
    // Nodes 1 and 2 tie on everything: the lower index, 1.
    check(preemptor(10, whole(2)), &nodes, Some((1, &[2])));
}

#[test]
fn evicting_a_share_frees_room_on_its_own_device() {
    // Two devices. Device 0: pod 1 (500 milli, priority 1) and pod 2 (500 milli, priority 20):
    // 0 free. Device 1: pod 3 (700 milli, priority 2): 300 free. The preemptor wants a
    // 500-milli share. Lower pods 1 and 3 removed: device 0 has 500, device 1 1000, fits.
    // Reprieve pod 3 first (priority 2): device 1 back to 300, device 0 still 500, fits, kept.
    // Pod 1: device 0 back to 0, no device with 500, victim.
    let nodes = [node(
        0,
        shape(2),
        vec![
            pod(1, share(500), 0b01, 1, 0),
            pod(2, share(500), 0b01, 20, 0),
            pod(3, share(700), 0b10, 2, 0),
        ],
    )];
    assert_eq!(nodes[0].free.devices.free(), &[0, 300]);
    check(preemptor(10, share(500)), &nodes, Some((0, &[1])));
}

#[test]
fn cpu_and_pod_slots_count_too() {
    // A CPU-only preemptor of 1 core on a node with 1 pod slot, taken by pod 1 (priority 0,
    // 1 core of 32): CPU is free but the slot is not, so pod 1 is the victim.
    let mut one_slot = shape(0);
    one_slot.max_pods = 1;
    let nodes = [node(0, one_slot, vec![pod(1, GpuRequest::NONE, 0, 0, 0)])];
    check(preemptor(10, GpuRequest::NONE), &nodes, Some((0, &[1])));
}

/// A random pod request: CPU-only, a share, or one or two whole devices.
fn random_request(rng: &mut impl RngExt) -> PodRequest {
    let gpu = match rng.random_range(0..4) {
        0 => GpuRequest::NONE,
        1 => share(250 * rng.random_range(1..4)),
        _ => whole(rng.random_range(1..3)),
    };
    PodRequest {
        cpu_milli: 1000 * rng.random_range(1..5),
        memory: GI * rng.random_range(1..9),
        gpu,
        node_claim: 0,
    }
}

/// Nodes of random shapes filled with random pods placed as the member places them.
fn random_nodes(rng: &mut impl RngExt, next_id: &mut u64) -> Vec<NodeCandidate> {
    let n_nodes = rng.random_range(1..5);
    (0..n_nodes)
        .map(|node_idx| {
            let shape = NodeShape {
                cpu_milli: 1000 * rng.random_range(4..13),
                memory: GI * rng.random_range(8..33),
                max_pods: rng.random_range(2..11),
                gpus: [0, 2, 4][rng.random_range(0..3)],
                gpu_model: None,
            };
            let mut free = NodeFree::of_shape(&shape);
            let mut pods = Vec::new();
            let n_attempts = rng.random_range(0..9);
            for _ in 0..n_attempts {
                let request = random_request(rng);
                if !fits(&request, &shape, &free) {
                    continue;
                }
                let share_device = free.devices.tightest(request.gpu.milli_per_gpu);
                let devices = free.devices.mask_for(&request.gpu, share_device);
                let pod = VictimPod {
                    id: *next_id,
                    request,
                    devices,
                    priority: rng.random_range(-3..4),
                    start: SimTime(rng.random_range(0..4)),
                    pdb_violating: rng.random_range(0..5) == 0,
                };
                *next_id += 1;
                take_again(&mut free, &pod);
                pods.push(pod);
            }
            NodeCandidate {
                node: node_idx,
                shape,
                free,
                pods,
            }
        })
        .collect()
}

#[test]
fn property_victims_are_lower_minimal_and_order_free() {
    let mut rng = RngStreams::new(20_240_611).stream("test/member-preemption");
    let mut next_id = 0;
    let (mut n_some, mut n_none) = (0, 0);
    for _ in 0..800 {
        let nodes = random_nodes(&mut rng, &mut next_id);
        let preemptor = Preemptor {
            request: random_request(&mut rng),
            priority: rng.random_range(-2..5),
            policy: PreemptionPolicy::PreemptLowerPriority,
        };
        if nodes
            .iter()
            .any(|n| fits(&preemptor.request, &n.shape, &n.free))
        {
            continue;
        }
        let decision = select_preemption(&preemptor, &nodes);
        match &decision {
            Some(preemption) => {
                n_some += 1;
                let chosen = nodes
                    .iter()
                    .find(|n| n.node == preemption.node)
                    .expect("a listed node");
                let victims: Vec<&VictimPod> = preemption
                    .victims
                    .iter()
                    .map(|id| chosen.pods.iter().find(|p| p.id == *id).expect("its pod"))
                    .collect();
                assert!(victims.iter().all(|v| v.priority < preemptor.priority));
                let mut free = chosen.free;
                for victim in &victims {
                    give_back(&mut free, victim);
                }
                assert!(fits(&preemptor.request, &chosen.shape, &free));
                // Minimal: putting any one victim back leaves no room (fit only shrinks as
                // pods are added, so a pod refused during the reprieve stays refused).
                for victim in &victims {
                    let mut with_victim = free;
                    take_again(&mut with_victim, victim);
                    assert!(!fits(&preemptor.request, &chosen.shape, &with_victim));
                }
            }
            None => {
                n_none += 1;
                // No node has room even with every lower-priority pod gone.
                for candidate in &nodes {
                    let mut free = candidate.free;
                    for pod in &candidate.pods {
                        if pod.priority < preemptor.priority {
                            give_back(&mut free, pod);
                        }
                    }
                    assert!(!fits(&preemptor.request, &candidate.shape, &free));
                }
            }
        }
        for _ in 0..3 {
            let mut shuffled = nodes.clone();
            shuffled.shuffle(&mut rng);
            for candidate in &mut shuffled {
                candidate.pods.shuffle(&mut rng);
            }
            assert_eq!(select_preemption(&preemptor, &shuffled), decision);
        }
    }
    // The generator exercises both outcomes.
    assert!(
        n_some > 0 && n_none > 0,
        "{n_some} preemptions, {n_none} none"
    );
}

#[test]
fn property_helpers_invert() {
    // give_back and take_again are inverse on the device model, so reprieves restore the state.
    let shape = shape(2);
    let pod = pod(1, share(300), 0b10, 0, 0);
    let mut free = NodeFree::of_shape(&shape);
    take_again(&mut free, &pod);
    assert_eq!(free.devices, Devices::from_free(&[1000, 700]));
    // A share requests no `nvidia.com/gpu`: Kubernetes still counts both unrequested.
    assert_eq!(free.gpus, 2);
    give_back(&mut free, &pod);
    assert_eq!(free, NodeFree::of_shape(&shape));
}
