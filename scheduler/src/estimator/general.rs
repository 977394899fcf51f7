use super::{ReplicaEstimator, ResourceSummary};
use crate::binding::{BindingView, ClusterView};

/// Karmada's general estimator (`pkg/estimator/client/general.go`, summary path): the cluster's
/// free resources from `resourceSummary` divided by the per-replica request, with pods counted
/// as a resource. Fast, and blind to how the free resources are spread over nodes.
pub struct GeneralEstimator;

impl GeneralEstimator {
    /// Registered name.
    pub const NAME: &'static str = "general";

    /// The estimate from a summary alone.
    pub fn from_summary(summary: &ResourceSummary, binding: &BindingView<'_>) -> i64 {
        let free = |allocatable: i64, allocated: i64, allocating: i64| {
            allocatable - allocated - allocating
        };
        let (a, b, c) = (
            &summary.allocatable,
            &summary.allocated,
            &summary.allocating,
        );
        if binding.binding.is_multi_component() {
            // `maxAvailableComponentSets`: pods and each resource divided by one set's total.
            let set = binding.binding.set_resources();
            let pods_free = free(a.pods, b.pods, c.pods);
            let bounds = [
                (set.cpu_milli, free(a.cpu_milli, b.cpu_milli, c.cpu_milli)),
                (set.memory, free(a.memory, b.memory, c.memory)),
                (set.gpus, free(a.gpus, b.gpus, c.gpus)),
            ];
            return replicas_by_resources(pods_free.max(0) / set.pods.max(1), bounds);
        }
        let request = &binding.binding.request;
        // cpu in milli-units; memory and devices in whole units (Kubernetes `Value()`).
        let bounds = [
            (
                request.cpu_milli as i64,
                free(a.cpu_milli, b.cpu_milli, c.cpu_milli),
            ),
            (request.memory as i64, free(a.memory, b.memory, c.memory)),
            (
                i64::from(request.gpu.devices()),
                free(a.gpus, b.gpus, c.gpus),
            ),
        ];
        replicas_by_resources(free(a.pods, b.pods, c.pods), bounds)
    }
}

/// The summary path's arithmetic: `min(pods_free, min over requested resources of free /
/// request)`, where a requested resource with nothing free gives 0. Pairs are
/// (per-replica request, free amount) in the same unit.
pub fn replicas_by_resources(pods_free: i64, bounds: impl IntoIterator<Item = (i64, i64)>) -> i64 {
    if pods_free <= 0 {
        return 0;
    }
    let mut answer = pods_free;
    for (per_replica, available) in bounds {
        if per_replica <= 0 {
            continue;
        }
        if available <= 0 {
            return 0;
        }
        answer = answer.min(available / per_replica);
    }
    answer
}

/// Karmada's default resource models (`SetDefaultClusterResourceModels`): nine grades on cpu
/// (0, 1, 2, 4, 8, 16, 32, 64, 128 cores) and memory (0, 4, 16, 32, 64, 128, 256, 512, 1024 GiB).
pub fn default_resource_models() -> Vec<ModelGrade> {
    let cores = [0i64, 1, 2, 4, 8, 16, 32, 64, 128];
    let gib = [0i64, 4, 16, 32, 64, 128, 256, 512, 1024];
    (0..9)
        .map(|g| ModelGrade {
            grade: g as u32,
            minimums: vec![
                ("cpu".to_owned(), cores[g] * 1000),
                ("memory".to_owned(), gib[g] << 30),
            ],
        })
        .collect()
}

/// One grade of a cluster's resource model: `[min, max)` per resource name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelGrade {
    /// Grade number.
    pub grade: u32,
    /// Lower bound of each resource in the grade (cpu milli, others in units).
    pub minimums: Vec<(String, i64)>,
}

/// Karmada's resource-model path (`getMaximumReplicasBasedOnResourceModels`): each of `count`
/// nodes of a grade is assumed to have just the grade's minimums and 110 pod slots; replicas are
/// packed node by node. A requested resource the model does not describe fits nothing.
pub fn replicas_by_models(
    grades: &[ModelGrade],
    counts: &[(u32, i64)],
    request: &[(String, i64)],
) -> i64 {
    const PODS_PER_MODEL_NODE: i64 = 110;
    let mut total = 0;
    for grade in grades {
        let count = counts
            .iter()
            .find(|(g, _)| *g == grade.grade)
            .map_or(0, |(_, c)| *c);
        if count <= 0 {
            continue;
        }
        let mut per_node = PODS_PER_MODEL_NODE;
        for (name, amount) in request.iter().filter(|(_, amount)| *amount > 0) {
            let minimum = grade
                .minimums
                .iter()
                .find(|(n, _)| n == name)
                .map_or(0, |(_, m)| *m);
            per_node = per_node.min(minimum / amount);
        }
        total += count * per_node;
    }
    total
}

/// A pod's request under the resource names resource models use.
fn model_request(r: &sim_core::model::PodRequest) -> [(&'static str, i64); 3] {
    [
        ("cpu", r.cpu_milli as i64),
        ("memory", r.memory as i64),
        ("nvidia.com/gpu", i64::from(r.gpu.devices())),
    ]
}

/// The resource-model bound on complete component sets: every model node of each grade holds
/// the grade's minimums and 110 pod slots; each set's pods, largest first, go first-fit onto
/// the model nodes in grade order; sets are added until one does not fit or `cap` (the summary
/// bound, which the answer cannot exceed) is reached. A requested resource the model does not
/// describe fits nothing.
pub fn sets_by_models(
    grades: &[ModelGrade],
    counts: &[(u32, i64)],
    components: &[(i64, [(&str, i64); 3])],
    cap: i64,
) -> i64 {
    const PODS_PER_MODEL_NODE: i64 = 110;
    let mut pods: Vec<[i64; 3]> = Vec::new();
    for (replicas, request) in components {
        for _ in 0..*replicas {
            pods.push([request[0].1, request[1].1, request[2].1]);
        }
    }
    // Largest first: by cpu, then memory, then devices.
    pods.sort_by(|a, b| b.cmp(a));
    let mut nodes: Vec<[i64; 4]> = Vec::new();
    for grade in grades {
        let count = counts
            .iter()
            .find(|(g, _)| *g == grade.grade)
            .map_or(0, |(_, c)| *c);
        let amount = |name: &str| {
            grade
                .minimums
                .iter()
                .find(|(n, _)| n == name)
                .map_or(0, |(_, m)| *m)
        };
        let node = [
            amount("cpu"),
            amount("memory"),
            amount("nvidia.com/gpu"),
            PODS_PER_MODEL_NODE,
        ];
        // Never more model nodes than the pods the cap could place.
        let bounded = count.clamp(0, cap.saturating_mul(pods.len() as i64));
        nodes.extend(std::iter::repeat_n(node, bounded as usize));
    }
    let mut sets = 0;
    while sets < cap {
        for pod in &pods {
            let Some(node) = nodes
                .iter_mut()
                .find(|n| n[3] >= 1 && (0..3).all(|r| n[r] >= pod[r]))
            else {
                return sets;
            };
            for r in 0..3 {
                node[r] -= pod[r];
            }
            node[3] -= 1;
        }
        sets += 1;
    }
    sets
}

impl ReplicaEstimator for GeneralEstimator {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn max_replicas(&self, binding: &BindingView<'_>, cluster: &ClusterView<'_>) -> Option<i64> {
        // With resource models and published grade counts, Karmada packs replicas onto virtual
        // nodes of each grade's minimums instead of dividing the summary.
        if let Some((grades, counts)) = cluster
            .resource_models
            .filter(|(_, counts)| !counts.is_empty())
        {
            let s = cluster.summary;
            let pods_free = s.allocatable.pods - s.allocated.pods - s.allocating.pods;
            if pods_free <= 0 {
                return Some(0);
            }
            if binding.binding.is_multi_component() {
                let by_summary = Self::from_summary(cluster.summary, binding);
                let components: Vec<(i64, [(&str, i64); 3])> = binding
                    .binding
                    .components
                    .iter()
                    .map(|c| (c.replicas, model_request(&c.request)))
                    .collect();
                return Some(sets_by_models(grades, counts, &components, by_summary));
            }
            let r = &binding.binding.request;
            let request = [
                ("cpu".to_owned(), r.cpu_milli as i64),
                ("memory".to_owned(), r.memory as i64),
                ("nvidia.com/gpu".to_owned(), i64::from(r.gpu.devices())),
            ];
            return Some(pods_free.min(replicas_by_models(grades, counts, &request)));
        }
        Some(Self::from_summary(cluster.summary, binding))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binding::ResourceBinding;
    use crate::estimator::ResourceList;
    use crate::policy::Placement;
    use sim_core::model::{GpuModelSet, GpuRequest, JobId, NamespaceId, PodRequest};

    const GI: i64 = 1 << 30;

    fn check(summary: ResourceSummary, request: PodRequest, expected: i64) {
        let binding = ResourceBinding::new(JobId(0), 1, request, NamespaceId(0));
        let placement = Placement::default();
        let view = BindingView {
            binding: &binding,
            placement: &placement,
        };
        assert_eq!(GeneralEstimator::from_summary(&summary, &view), expected);
    }

    fn e5_summary() -> ResourceSummary {
        ResourceSummary {
            allocatable: ResourceList {
                cpu_milli: 10_000,
                memory: 40 * GI,
                pods: 110,
                gpus: 0,
            },
            allocated: ResourceList {
                cpu_milli: 4000,
                memory: 10 * GI,
                pods: 20,
                gpus: 0,
            },
            allocating: ResourceList {
                cpu_milli: 1000,
                memory: 0,
                pods: 5,
                gpus: 0,
            },
        }
    }

    #[test]
    fn cpu_bound_example_e5_1() {
        // cpu 5000m / 500m = 10, memory 30Gi / 2Gi = 15, pods 85 → 10.
        let request = PodRequest {
            cpu_milli: 500,
            memory: 2 * GI as u64,
            gpu: GpuRequest::NONE,
            node_claim: 0,
        };
        check(e5_summary(), request, 10);
    }

    #[test]
    fn missing_gpu_resource_gives_zero_e5_2() {
        let request = PodRequest {
            cpu_milli: 0,
            memory: 0,
            gpu: GpuRequest::whole(1, GpuModelSet::ANY),
            node_claim: 0,
        };
        check(e5_summary(), request, 0);
    }

    #[test]
    fn no_requests_gives_free_pods_e5_3() {
        check(e5_summary(), PodRequest::default(), 85);
    }

    #[test]
    fn general_test_single_cluster_with_resources() {
        // general_test.go: cpu 3 free / 0.5 = 6, memory 6Gi / 1Gi = 6, pods 80 → 6.
        let summary = ResourceSummary {
            allocatable: ResourceList {
                cpu_milli: 4000,
                memory: 8 * GI,
                pods: 100,
                gpus: 0,
            },
            allocated: ResourceList {
                cpu_milli: 1000,
                memory: 2 * GI,
                pods: 20,
                gpus: 0,
            },
            allocating: ResourceList::default(),
        };
        check(
            summary,
            PodRequest {
                cpu_milli: 500,
                memory: GI as u64,
                gpu: GpuRequest::NONE,
                node_claim: 0,
            },
            6,
        );
    }

    #[test]
    fn gpus_divide_in_whole_devices() {
        let summary = ResourceSummary {
            allocatable: ResourceList {
                cpu_milli: 192_000,
                memory: 2048 * GI,
                pods: 220,
                gpus: 16,
            },
            allocated: ResourceList {
                cpu_milli: 0,
                memory: 0,
                pods: 1,
                gpus: 3,
            },
            allocating: ResourceList {
                cpu_milli: 0,
                memory: 0,
                pods: 1,
                gpus: 4,
            },
        };
        // 9 free devices / 4 per replica = 2.
        check(
            summary,
            PodRequest {
                cpu_milli: 1000,
                memory: GI as u64,
                gpu: GpuRequest::whole(4, GpuModelSet::ANY),
                node_claim: 0,
            },
            2,
        );
    }

    #[test]
    fn resource_models_e5_4() {
        // Grades g0 {cpu 0, mem 0}, g1 {cpu 1, mem 4Gi}, g2 {cpu 2, mem 16Gi}; counts 10, 5, 2;
        // request {cpu 1, mem 2Gi}: g0 → 0, g1 → min(1, 2) × 5 = 5, g2 → min(2, 8) × 2 = 4 → 9.
        let grade = |g: u32, cpu: i64, mem: i64| ModelGrade {
            grade: g,
            minimums: vec![("cpu".into(), cpu * 1000), ("memory".into(), mem * GI)],
        };
        let grades = [grade(0, 0, 0), grade(1, 1, 4), grade(2, 2, 16)];
        let request = [("cpu".to_owned(), 1000), ("memory".to_owned(), 2 * GI)];
        assert_eq!(
            replicas_by_models(&grades, &[(0, 10), (1, 5), (2, 2)], &request),
            9
        );
        // A resource the model does not describe fits nothing.
        let gpu = [("nvidia.com/gpu".to_owned(), 1)];
        assert_eq!(replicas_by_models(&grades, &[(2, 2)], &gpu), 0);
    }

    #[test]
    fn no_free_pod_slots_gives_zero() {
        let mut summary = e5_summary();
        summary.allocated.pods = 105;
        check(summary, PodRequest::default(), 0);
    }

    #[test]
    fn component_sets_on_resource_models_pack_largest_first() {
        // Two model nodes of 4 cores and 16 GiB. A set of a launcher {1 core, 2Gi} and two
        // workers {2 cores, 4Gi}: largest first, the workers fill node 1 and the launcher goes
        // to node 2 (3 cores left); the next set's first worker takes 2 of them, its second
        // finds 1 core: one set, though the cores (8) would cover 5 + 3 of a second.
        let grades = vec![ModelGrade {
            grade: 1,
            minimums: vec![("cpu".to_owned(), 4000), ("memory".to_owned(), 16 * GI)],
        }];
        let launcher = [("cpu", 1000), ("memory", 2 * GI), ("nvidia.com/gpu", 0)];
        let worker = [("cpu", 2000), ("memory", 4 * GI), ("nvidia.com/gpu", 0)];
        let components = [(1, launcher), (2, worker)];
        assert_eq!(sets_by_models(&grades, &[(1, 2)], &components, 10), 1);
        // Three nodes: the second set fits (workers on nodes 2 and 3, the launcher in node
        // 2's last core); a third set's second worker does not.
        assert_eq!(sets_by_models(&grades, &[(1, 3)], &components, 10), 2);
        // The summary bound caps the answer.
        assert_eq!(sets_by_models(&grades, &[(1, 3)], &components, 1), 1);
        // A GPU request fits no model that does not describe GPUs.
        let gpu_worker = [("cpu", 2000), ("memory", 4 * GI), ("nvidia.com/gpu", 1)];
        assert_eq!(
            sets_by_models(&grades, &[(1, 3)], &[(1, gpu_worker)], 10),
            0
        );
    }
}
