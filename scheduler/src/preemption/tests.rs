//! Binding preemption worked by hand on a few clusters.

use super::*;
use rand::RngExt;
use rand::seq::SliceRandom;
use sim_core::rng::RngStreams;

/// Per-replica request of `gpus` devices and one pod.
fn gpus(gpus: i64) -> ResourceList {
    ResourceList {
        gpus,
        pods: 1,
        ..ResourceList::default()
    }
}

fn pending(priority: i32, replicas: i64, request: ResourceList) -> PendingBinding {
    PendingBinding {
        priority,
        request,
        replicas,
    }
}

fn running(job: u64, priority: i32, replicas: i64, request: ResourceList) -> BindingOnCluster {
    BindingOnCluster {
        job: JobId(job),
        priority,
        replicas,
        request,
    }
}

fn cluster(id: u32, available: i64, running: Vec<BindingOnCluster>) -> ClusterCandidate {
    ClusterCandidate {
        cluster: ClusterId(id),
        available_replicas: available,
        running,
    }
}

fn check(pending: PendingBinding, clusters: &[ClusterCandidate], expected: Option<(u32, &[u64])>) {
    let expected = expected.map(|(cluster, victims)| BindingPreemption {
        cluster: ClusterId(cluster),
        victims: victims.iter().map(|job| JobId(*job)).collect(),
    });
    assert_eq!(select_binding_preemption(&pending, clusters), expected);
}

#[test]
fn proposal_example_preempts_only_p2() {
    // Pending priority 10 needs 5 replicas of 1 GPU; the cluster offers 0, so the gap is 5.
    // Running (1 GPU per replica): p0 ×1 (job 100), p1 ×2 (101), p2 ×5 (102), p3 ×2 (103).
    // Worth order: 102 (5), 101 (2, priority 1), 103 (2, priority 3), 100 (1).
    // One victim, thresholds ascending: ≤ 0 → {100} frees 1; ≤ 1 → {101} frees 2;
    // ≤ 2 → {102} frees 5 ≥ 5. Only p2.
    let clusters = [cluster(
        0,
        0,
        vec![
            running(100, 0, 1, gpus(1)),
            running(101, 1, 2, gpus(1)),
            running(102, 2, 5, gpus(1)),
            running(103, 3, 2, gpus(1)),
        ],
    )];
    check(pending(10, 5, gpus(1)), &clusters, Some((0, &[102])));
}

#[test]
fn equal_or_higher_priority_is_never_a_victim() {
    // Gap 2. Job 1 (priority 10, equal) and job 2 (priority 11, higher) could free 8 but may not
    // be touched; job 3 (priority 5) frees 1 < 2: nothing.
    let clusters = [cluster(
        0,
        0,
        vec![
            running(1, 10, 4, gpus(1)),
            running(2, 11, 4, gpus(1)),
            running(3, 5, 1, gpus(1)),
        ],
    )];
    check(pending(10, 2, gpus(1)), &clusters, None);
    // With a gap of 1, job 3 alone suffices.
    check(pending(10, 1, gpus(1)), &clusters, Some((0, &[3])));
}

#[test]
fn nothing_when_every_victim_together_is_not_enough() {
    // Gap 5 − 0 = 5; the two lower bindings free 2 + 2 = 4 GPUs, 4 replicas: preempt nothing.
    let clusters = [cluster(
        0,
        0,
        vec![running(1, 1, 2, gpus(1)), running(2, 2, 2, gpus(1))],
    )];
    check(pending(10, 5, gpus(1)), &clusters, None);
}

#[test]
fn cluster_needing_one_victim_beats_cluster_needing_two() {
    // Cluster 0: gap 4 − 1 = 3; jobs 1 (×2) and 2 (×1) must both go: 2 victims, highest 2.
    // Cluster 1: gap 4 − 0 = 4; job 3 (priority 5, ×4) alone: 1 victim. Count comes first.
    let clusters = [
        cluster(
            0,
            1,
            vec![running(1, 1, 2, gpus(1)), running(2, 2, 1, gpus(1))],
        ),
        cluster(1, 0, vec![running(3, 5, 4, gpus(1))]),
    ];
    check(pending(10, 4, gpus(1)), &clusters, Some((1, &[3])));
}

#[test]
fn cluster_ties_break_by_highest_then_sum_then_id() {
    // Gap 2 everywhere, one victim each: cluster 0's has priority 3, cluster 1's priority 2.
    let one_each = [
        cluster(0, 0, vec![running(1, 3, 2, gpus(1))]),
        cluster(1, 0, vec![running(2, 2, 2, gpus(1))]),
    ];
    check(pending(10, 2, gpus(1)), &one_each, Some((1, &[2])));
    // Two victims each (1 replica apiece, gap 2), highest 4 on both: sums 1 + 4 = 5 on
    // cluster 0 and 2 + 4 = 6 on cluster 1: cluster 0.
    let two_each = [
        cluster(
            0,
            0,
            vec![running(1, 1, 1, gpus(1)), running(2, 4, 1, gpus(1))],
        ),
        cluster(
            1,
            0,
            vec![running(3, 2, 1, gpus(1)), running(4, 4, 1, gpus(1))],
        ),
    ];
    check(pending(10, 2, gpus(1)), &two_each, Some((0, &[1, 2])));
    // Identical clusters 3 and 2: the lower id, whatever the input order.
    let twins = [
        cluster(3, 0, vec![running(1, 1, 2, gpus(1))]),
        cluster(2, 0, vec![running(1, 1, 2, gpus(1))]),
    ];
    check(pending(10, 2, gpus(1)), &twins, Some((2, &[1])));
}

#[test]
fn lowest_priority_set_wins_among_equally_small_ones() {
    // Gap 3. Job 1 (priority 5) frees 4, job 2 (priority 1) frees 3: either alone closes the
    // gap; threshold ≤ 1 is tried first and {2} suffices, so the lower priority goes.
    let clusters = [cluster(
        0,
        0,
        vec![running(1, 5, 4, gpus(1)), running(2, 1, 3, gpus(1))],
    )];
    check(pending(10, 3, gpus(1)), &clusters, Some((0, &[2])));
}

#[test]
fn gap_arithmetic_with_a_multi_resource_request() {
    // Per replica: 2 GPUs, 8 CPU, 1 pod. The victim (1 replica of 3 GPUs, 40 CPU, 1 pod) frees
    // gpus 3/2 = 1, cpu 40/8 = 5, pods 1/1 = 1 → min 1 extra replica (memory not requested).
    let request = ResourceList {
        cpu_milli: 8000,
        gpus: 2,
        pods: 1,
        memory: 0,
    };
    let victim_request = ResourceList {
        cpu_milli: 40_000,
        gpus: 3,
        pods: 1,
        memory: 1 << 30,
    };
    let victim = running(7, 0, 1, victim_request);
    assert_eq!(extra_replicas(&freed_by(&victim), &request), Some(1));
    // Needed 3, available 2: gap 1, closed by the victim.
    check(
        pending(10, 3, request),
        &[cluster(0, 2, vec![victim])],
        Some((0, &[7])),
    );
    // Needed 4, available 2: gap 2 > 1: nothing.
    check(
        pending(10, 4, request),
        &[cluster(0, 2, vec![victim])],
        None,
    );
}

#[test]
fn victims_freeing_different_resources_combine() {
    // Per replica: 1 GPU and 4 CPU. Job 1 frees 2 GPUs and no CPU, job 2 frees 8 CPU and no
    // GPU: alone each gives min(…, 0) = 0 replicas, together min(2/1, 8000/4000) = 2 = gap.
    let request = ResourceList {
        cpu_milli: 4000,
        gpus: 1,
        ..ResourceList::default()
    };
    let gpu_only = ResourceList {
        gpus: 2,
        ..ResourceList::default()
    };
    let cpu_only = ResourceList {
        cpu_milli: 8000,
        ..ResourceList::default()
    };
    let clusters = [cluster(
        0,
        0,
        vec![running(1, 0, 1, gpu_only), running(2, 0, 1, cpu_only)],
    )];
    check(pending(10, 2, request), &clusters, Some((0, &[1, 2])));
}

#[test]
fn bindings_without_requirements_are_never_victims() {
    // Job 1 requests nothing, so evicting it frees nothing; job 2 (1 GPU) closes the gap of 1.
    let clusters = [cluster(
        0,
        0,
        vec![
            running(1, 0, 5, ResourceList::default()),
            running(2, 3, 1, gpus(1)),
        ],
    )];
    check(pending(10, 1, gpus(1)), &clusters, Some((0, &[2])));
}

#[test]
fn no_preemption_when_a_cluster_already_fits() {
    // Cluster 1 offers the 2 replicas: scheduling, not preemption.
    let clusters = [
        cluster(0, 0, vec![running(1, 0, 4, gpus(1))]),
        cluster(1, 2, Vec::new()),
    ];
    check(pending(10, 2, gpus(1)), &clusters, None);
}

fn random_request(rng: &mut impl RngExt, single_resource: bool) -> ResourceList {
    if single_resource {
        return ResourceList {
            gpus: rng.random_range(1..3),
            ..ResourceList::default()
        };
    }
    ResourceList {
        cpu_milli: 1000 * rng.random_range(0..5),
        memory: (1 << 30) * rng.random_range(0..3),
        pods: 1,
        gpus: rng.random_range(0..3),
    }
}

fn total_freed(set: &[BindingOnCluster]) -> ResourceList {
    let mut freed = ResourceList::default();
    for victim in set {
        freed.add(&freed_by(victim));
    }
    freed
}

/// The fewest victims, and then the lowest highest priority, over every subset of the
/// lower-priority bindings that closes the gap; by brute force.
fn brute_force(pending: &PendingBinding, candidate: &ClusterCandidate) -> Option<(usize, i32)> {
    let gap = pending.replicas - candidate.available_replicas;
    let lower: Vec<BindingOnCluster> = candidate
        .running
        .iter()
        .filter(|r| r.priority < pending.priority)
        .copied()
        .collect();
    (1..1u32 << lower.len())
        .filter_map(|mask| {
            let set: Vec<BindingOnCluster> = (0..lower.len())
                .filter(|idx| mask & (1 << idx) != 0)
                .map(|idx| lower[idx])
                .collect();
            let extra = extra_replicas(&total_freed(&set), &pending.request)?;
            let highest = set.iter().map(|v| v.priority).max()?;
            (extra >= gap).then_some((set.len(), highest))
        })
        .min()
}

#[test]
fn property_victims_are_lower_close_the_gap_and_are_order_free() {
    let mut rng = RngStreams::new(20_240_611).stream("test/binding-preemption");
    let (mut n_some, mut n_none) = (0, 0);
    let mut next_job = 0;
    for _ in 0..400 {
        let single_resource = rng.random_bool(0.5);
        let pending = PendingBinding {
            priority: rng.random_range(-1..6),
            request: random_request(&mut rng, single_resource),
            replicas: rng.random_range(1..9),
        };
        let n_clusters = rng.random_range(1..5);
        let clusters: Vec<ClusterCandidate> = (0..n_clusters)
            .map(|cluster_idx| {
                let n_running = rng.random_range(0..7);
                ClusterCandidate {
                    cluster: ClusterId(cluster_idx),
                    available_replicas: rng.random_range(0..pending.replicas),
                    running: (0..n_running)
                        .map(|_| {
                            next_job += 1;
                            BindingOnCluster {
                                job: JobId(next_job),
                                priority: rng.random_range(-2..6),
                                replicas: rng.random_range(1..5),
                                request: random_request(&mut rng, false),
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        let decision = select_binding_preemption(&pending, &clusters);
        match &decision {
            Some(preemption) => {
                n_some += 1;
                let chosen = clusters
                    .iter()
                    .find(|c| c.cluster == preemption.cluster)
                    .expect("a listed cluster");
                let victims: Vec<BindingOnCluster> = preemption
                    .victims
                    .iter()
                    .map(|job| *chosen.running.iter().find(|r| r.job == *job).expect("ran"))
                    .collect();
                assert!(victims.iter().all(|v| v.priority < pending.priority));
                let gap = pending.replicas - chosen.available_replicas;
                let extra = extra_replicas(&total_freed(&victims), &pending.request);
                assert!(extra.is_some_and(|extra| extra >= gap));
                if single_resource {
                    // Exact for one resource: the fewest victims, then the lowest threshold,
                    // on the chosen cluster, and no cluster needs fewer.
                    let highest = victims.iter().map(|v| v.priority).max().expect("victims");
                    assert_eq!(
                        brute_force(&pending, chosen),
                        Some((victims.len(), highest))
                    );
                    for other in &clusters {
                        if let Some((n_victims, _)) = brute_force(&pending, other) {
                            assert!(n_victims >= victims.len());
                        }
                    }
                }
            }
            None => {
                n_none += 1;
                for candidate in &clusters {
                    assert_eq!(brute_force(&pending, candidate), None);
                }
            }
        }
        for _ in 0..3 {
            let mut shuffled = clusters.clone();
            shuffled.shuffle(&mut rng);
            for candidate in &mut shuffled {
                candidate.running.shuffle(&mut rng);
            }
            assert_eq!(select_binding_preemption(&pending, &shuffled), decision);
        }
    }
    // The generator exercises both outcomes.
    assert!(
        n_some > 0 && n_none > 0,
        "{n_some} preemptions, {n_none} none"
    );
}

#[test]
fn worth_compares_fractions_exactly() {
    // 3/2 > 4/3 > 1/1, and 2/4 = 1/2.
    let worth = |freed, asked| Worth { freed, asked };
    assert!(worth(3, 2) > worth(4, 3));
    assert!(worth(4, 3) > worth(1, 1));
    assert_eq!(worth(2, 4), worth(1, 2));
}
