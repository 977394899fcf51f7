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
        let pods_free = free(a.pods, b.pods, c.pods);
        if pods_free <= 0 {
            return 0;
        }
        let request = &binding.binding.request;
        let mut answer = pods_free;
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
}

impl ReplicaEstimator for GeneralEstimator {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn max_replicas(&self, binding: &BindingView<'_>, cluster: &ClusterView<'_>) -> Option<i64> {
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
        let binding = ResourceBinding {
            job: JobId(0),
            uid: String::new(),
            replicas: 1,
            request,
            namespace: NamespaceId(0),
            priority_class: None,
            priority: 0,
            clusters: Vec::new(),
        };
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
        };
        check(e5_summary(), request, 10);
    }

    #[test]
    fn missing_gpu_resource_gives_zero_e5_2() {
        let request = PodRequest {
            cpu_milli: 0,
            memory: 0,
            gpu: GpuRequest::whole(1, GpuModelSet::ANY),
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
            },
            2,
        );
    }

    #[test]
    fn no_free_pod_slots_gives_zero() {
        let mut summary = e5_summary();
        summary.allocated.pods = 105;
        check(summary, PodRequest::default(), 0);
    }
}
