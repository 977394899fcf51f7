use super::{AssumedWorkload, ReplicaEstimator, ResourceSummary};
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
            (super::gpu_request(request), free(a.gpus, b.gpus, c.gpus)),
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
        ("nvidia.com/gpu", super::gpu_request(r)),
    ]
}

/// What one model node has left: cpu (milli), memory, `nvidia.com/gpu`, pod slots.
type ModelNode = [i64; 4];

/// Karmada's `buildModelNodes`, as runs of identical nodes: for each grade in ascending order
/// that has a published count, `count` nodes holding the grade's minimums and 110 pod slots
/// (a resource the model does not describe is 0 on them).
pub struct ModelNodes {
    runs: Vec<(i64, ModelNode)>,
}

impl ModelNodes {
    /// The virtual nodes of `grades` with the published `counts`.
    pub fn new(grades: &[ModelGrade], counts: &[(u32, i64)]) -> ModelNodes {
        const PODS_PER_MODEL_NODE: i64 = 110;
        let mut sorted: Vec<&ModelGrade> = grades.iter().collect();
        sorted.sort_by_key(|g| g.grade);
        let mut runs = Vec::new();
        for grade in sorted {
            let count: i64 = counts
                .iter()
                .filter(|(g, _)| *g == grade.grade)
                .map(|(_, c)| *c)
                .sum();
            if count <= 0 {
                continue;
            }
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
            runs.push((count, node));
        }
        ModelNodes { runs }
    }

    /// Karmada's `MaxDivided`: how many pods of `request` (cpu, memory, `nvidia.com/gpu`) one
    /// node still takes; resources not requested do not bound it, pod slots always do.
    fn fits(node: &ModelNode, request: &[i64; 3]) -> i64 {
        let mut fit = node[3];
        for r in 0..3 {
            if request[r] > 0 {
                fit = fit.min(node[r].max(0) / request[r]);
            }
        }
        fit.max(0)
    }

    /// Karmada's `scheduleComponent`: over the nodes in order, each takes as many of the
    /// `replicas` as fit; whether all found a node. Nothing is rolled back on failure.
    fn place(&mut self, replicas: i64, request: &[i64; 3]) -> bool {
        let mut remaining = replicas;
        let mut idx = 0;
        while remaining > 0 && idx < self.runs.len() {
            let (count, node) = self.runs[idx];
            let fit = Self::fits(&node, request);
            if fit == 0 {
                idx += 1;
                continue;
            }
            let taken = |n: i64| -> ModelNode {
                [
                    node[0] - n * request[0],
                    node[1] - n * request[1],
                    node[2] - n * request[2],
                    node[3] - n,
                ]
            };
            let full = count.min(remaining / fit);
            let mut parts: Vec<(i64, ModelNode)> = Vec::with_capacity(3);
            if full > 0 {
                parts.push((full, taken(fit)));
            }
            remaining -= full * fit;
            if remaining > 0 && full < count {
                parts.push((1, taken(remaining)));
                remaining = 0;
            }
            let used: i64 = parts.iter().map(|(c, _)| c).sum();
            if used < count {
                parts.push((count - used, node));
            }
            let n_parts = parts.len();
            self.runs.splice(idx..=idx, parts);
            idx += n_parts;
        }
        self.merge();
        remaining == 0
    }

    /// Joins neighbouring runs in the same state, so filled nodes do not multiply runs.
    fn merge(&mut self) {
        let mut merged: Vec<(i64, ModelNode)> = Vec::with_capacity(self.runs.len());
        for &(count, node) in &self.runs {
            match merged.last_mut() {
                Some((c, n)) if *n == node => *c += count,
                _ => merged.push((count, node)),
            }
        }
        self.runs = merged;
    }

    /// Karmada's `SimulateScheduling`: complete sets of `components` (replicas, request), each
    /// component placed in turn in the order given, until one does not fit or `cap` sets are
    /// placed; the sets placed.
    pub fn simulate(&mut self, components: &[(i64, [i64; 3])], cap: i64) -> i64 {
        let mut sets = 0;
        while sets < cap {
            for (replicas, request) in components {
                if !self.place(*replicas, request) {
                    return sets;
                }
            }
            sets += 1;
        }
        sets
    }

    /// Pre-places one set of each assumed workload, in the order given (Karmada's deduction of
    /// assumed workloads on model nodes); a workload that does not fit keeps what it placed.
    pub fn deduct(&mut self, assumed: &[AssumedWorkload]) {
        for workload in assumed {
            let components: Vec<(i64, [i64; 3])> = workload
                .components
                .iter()
                .map(|(replicas, request)| (*replicas, triple(request)))
                .collect();
            self.simulate(&components, 1);
        }
    }

    /// Pods of `request` the nodes still take in all: a one-pod component placed until it
    /// fails, which on identical pods is the sum over nodes.
    pub fn replicas(&self, request: &[i64; 3]) -> i64 {
        self.runs
            .iter()
            .map(|(count, node)| count.saturating_mul(Self::fits(node, request)))
            .fold(0i64, i64::saturating_add)
    }
}

/// (cpu milli, memory bytes, `nvidia.com/gpu`) of a pod, as resource models name them.
fn triple(request: &sim_core::model::PodRequest) -> [i64; 3] {
    let r = model_request(request);
    [r[0].1, r[1].1, r[2].1]
}

/// The resource-model bound on complete component sets (`getMaximumSetsBasedOnResourceModels`):
/// the assumed workloads pre-placed, then sets placed on the model nodes, each component
/// first-fit in component order, until one does not fit or `cap` (the summary bound, which
/// the answer cannot exceed) is reached.
pub fn sets_by_models(
    grades: &[ModelGrade],
    counts: &[(u32, i64)],
    components: &[(i64, [(&str, i64); 3])],
    assumed: &[AssumedWorkload],
    cap: i64,
) -> i64 {
    let mut nodes = ModelNodes::new(grades, counts);
    nodes.deduct(assumed);
    let components: Vec<(i64, [i64; 3])> = components
        .iter()
        .map(|(replicas, r)| (*replicas, [r[0].1, r[1].1, r[2].1]))
        .collect();
    nodes.simulate(&components, cap)
}

impl ReplicaEstimator for GeneralEstimator {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn max_replicas(&self, binding: &BindingView<'_>, cluster: &ClusterView<'_>) -> Option<i64> {
        let s = cluster.summary;
        let pods_free = s.allocatable.pods - s.allocated.pods - s.allocating.pods;
        // Components off the multi-template path reach the estimator without requirements:
        // the free pod slots (`maxAvailableReplicas` with `replicaRequirements` nil).
        if binding.no_requirements() {
            return Some(pods_free.max(0));
        }
        // With resource models and published grade counts, Karmada packs replicas onto virtual
        // nodes of each grade's minimums instead of dividing the summary; assumed workloads
        // are placed on them first. (The summary already counts them as allocating.)
        if let Some((grades, counts)) = cluster
            .resource_models
            .filter(|(_, counts)| !counts.is_empty())
        {
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
                return Some(sets_by_models(
                    grades,
                    counts,
                    &components,
                    cluster.assumed,
                    by_summary,
                ));
            }
            let mut nodes = ModelNodes::new(grades, counts);
            nodes.deduct(cluster.assumed);
            return Some(pods_free.min(nodes.replicas(&triple(&binding.binding.request))));
        }
        Some(Self::from_summary(cluster.summary, binding))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binding::{BindingComponent, ResourceBinding};
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

    fn cpu_grades(cores: &[(u32, i64)]) -> Vec<ModelGrade> {
        cores
            .iter()
            .map(|&(grade, c)| ModelGrade {
                grade,
                minimums: vec![("cpu".to_owned(), c * 1000), ("memory".to_owned(), 64 * GI)],
            })
            .collect()
    }

    #[test]
    fn component_sets_on_resource_models_in_component_order() {
        // `SchedulingSimulator.scheduleComponentSet` places the components in their order,
        // each first-fit over the model nodes in grade order. Nodes: grade 1 (2 cores), then
        // grade 2 (3 cores). A set of a launcher {1 core} and two workers {2 cores}: the
        // launcher takes node 1 (1 core left); the workers find 0 there and 1 on node 2, the
        // second one nothing: 0 sets. (Largest first would have fitted one.)
        let grades = cpu_grades(&[(1, 2), (2, 3)]);
        let launcher = [("cpu", 1000), ("memory", GI), ("nvidia.com/gpu", 0)];
        let worker = [("cpu", 2000), ("memory", GI), ("nvidia.com/gpu", 0)];
        let components = [(1, launcher), (2, worker)];
        assert_eq!(
            sets_by_models(&grades, &[(1, 1), (2, 1)], &components, &[], 10),
            0
        );
        // Three 4-core nodes: set 1 = launcher n1 (3 left), workers n1 (1 left) and n2 (2
        // left); set 2 = launcher n1 (0), workers n2 (0) and n3 (2); set 3's launcher takes n3
        // (1 left) and its workers find nothing: 2 sets.
        let grades = cpu_grades(&[(1, 4)]);
        assert_eq!(sets_by_models(&grades, &[(1, 3)], &components, &[], 10), 2);
        // The summary bound caps the answer.
        assert_eq!(sets_by_models(&grades, &[(1, 3)], &components, &[], 1), 1);
        // A GPU request fits no model that does not describe GPUs.
        let gpu_worker = [("cpu", 2000), ("memory", GI), ("nvidia.com/gpu", 1)];
        assert_eq!(
            sets_by_models(&grades, &[(1, 3)], &[(1, gpu_worker)], &[], 10),
            0
        );
    }

    fn pod(cores: u64) -> PodRequest {
        PodRequest {
            cpu_milli: cores * 1000,
            memory: GI as u64,
            gpu: GpuRequest::NONE,
            node_claim: 0,
        }
    }

    fn plain_cluster() -> sim_core::model::Cluster {
        sim_core::model::Cluster {
            name: "m1".into(),
            region: None,
            zones: Vec::new(),
            provider: None,
            labels: Default::default(),
            taints: Vec::new(),
            node_pools: Vec::new(),
        }
    }

    #[test]
    fn assumed_workloads_are_placed_on_model_nodes_first() {
        // `getMaximumReplicasBasedOnResourceModels`: two model nodes of 4 cores (grade 1).
        // An assumed workload of 3 × {2 cores}, placed first (`SimulateScheduling` bound 1):
        // node 1 takes 2 (0 left), node 2 takes 1 (2 left). A request of {2 cores} then fits
        // 0 + 1 = 1 replica (4 without the assumption). The summary has room (100 pods, 94
        // cores), so the model nodes decide.
        let grades = cpu_grades(&[(1, 4)]);
        let counts = [(1, 2)];
        let summary = ResourceSummary {
            allocatable: ResourceList {
                cpu_milli: 100_000,
                memory: 128 * GI,
                pods: 103,
                gpus: 0,
            },
            allocated: ResourceList::default(),
            // What the control plane adds for the assumption: 3 pods, 6 cores.
            allocating: ResourceList {
                cpu_milli: 6000,
                memory: 3 * GI,
                pods: 3,
                gpus: 0,
            },
        };
        let assumed = [AssumedWorkload {
            namespace: NamespaceId(0),
            priority_class: None,
            components: vec![(3, pod(2))],
        }];
        let binding = ResourceBinding::new(JobId(1), 4, pod(2), NamespaceId(0));
        let placement = Placement::default();
        let view = BindingView {
            binding: &binding,
            placement: &placement,
        };
        let cluster = plain_cluster();
        let mut cluster_view = ClusterView {
            id: sim_core::model::ClusterId(0),
            cluster: &cluster,
            summary: &summary,
            api_enablements: None,
            member: None,
            resource_models: Some((&grades, &counts)),
            assumed: &assumed,
        };
        assert_eq!(GeneralEstimator.max_replicas(&view, &cluster_view), Some(1));
        cluster_view.assumed = &[];
        assert_eq!(GeneralEstimator.max_replicas(&view, &cluster_view), Some(4));
        // Components on the same nodes: a set of {1 core} + {2 cores} after the assumption:
        // n1 is full; n2 takes the first (1 core left) and not the second: 0 sets.
        let components = vec![
            BindingComponent {
                replicas: 1,
                request: pod(1),
            },
            BindingComponent {
                replicas: 1,
                request: pod(2),
            },
        ];
        let multi = ResourceBinding::with_components(JobId(2), components, NamespaceId(0));
        let one_cluster = Placement {
            spread_constraints: vec![crate::policy::SpreadConstraint {
                field: crate::policy::SpreadField::Cluster,
                min_groups: 1,
                max_groups: 1,
            }],
            ..Placement::default()
        };
        let view = BindingView {
            binding: &multi,
            placement: &one_cluster,
        };
        cluster_view.assumed = &assumed;
        assert_eq!(GeneralEstimator.max_replicas(&view, &cluster_view), Some(0));
        cluster_view.assumed = &[];
        assert_eq!(GeneralEstimator.max_replicas(&view, &cluster_view), Some(2));
    }

    #[test]
    fn components_off_the_multi_template_path_have_no_requirements() {
        // Without a cluster spread constraint of exactly one group, Karmada estimates the
        // binding as a single template with `replicaRequirements` nil: the free pod slots,
        // here 110 − 20 − 5 = 85, however large the components.
        let components = vec![BindingComponent {
            replicas: 2,
            request: pod(64),
        }];
        let multi = ResourceBinding::with_components(JobId(2), components, NamespaceId(0));
        let placement = Placement::default();
        let view = BindingView {
            binding: &multi,
            placement: &placement,
        };
        let cluster = plain_cluster();
        let summary = e5_summary();
        let cluster_view = ClusterView {
            id: sim_core::model::ClusterId(0),
            cluster: &cluster,
            summary: &summary,
            api_enablements: None,
            member: None,
            resource_models: None,
            assumed: &[],
        };
        assert_eq!(
            GeneralEstimator.max_replicas(&view, &cluster_view),
            Some(85)
        );
    }
}
