//! Replica estimators (`pkg/estimator`): how many more replicas of a binding a cluster can take.
//! The scheduler takes the minimum over the enabled estimators, ignoring "no opinion".

mod accurate;
mod accurate_live;
mod general;
mod resource_quota_live;

pub use accurate::{NodeClaim, PerNodeLimit};
pub use accurate_live::AccurateEstimator;
pub use general::{
    GeneralEstimator, ModelGrade, ModelNodes, default_resource_models, replicas_by_models,
    replicas_by_resources, sets_by_models,
};
pub use resource_quota_live::ResourceQuotaEstimator;

use sim_core::model::{NamespaceId, PodRequest, PriorityClassId};

use crate::binding::{BindingView, ClusterView};

/// Resource amounts as Karmada's `ResourceList` carries them for the four resources fleetsim
/// models; signed, because differences of summaries may go below zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResourceList {
    /// `cpu`, in milli-cores.
    pub cpu_milli: i64,
    /// `memory`, in bytes.
    pub memory: i64,
    /// `pods`.
    pub pods: i64,
    /// `nvidia.com/gpu`, in devices.
    pub gpus: i64,
}

impl ResourceList {
    /// What `n_pods` pods of `request` consume.
    pub fn of_pods(request: &PodRequest, n_pods: i64) -> ResourceList {
        ResourceList {
            cpu_milli: request.cpu_milli as i64 * n_pods,
            memory: request.memory as i64 * n_pods,
            pods: n_pods,
            gpus: gpu_request(request) * n_pods,
        }
    }

    /// What one node of `shape` offers.
    pub fn of_shape(shape: &sim_core::model::NodeShape) -> ResourceList {
        ResourceList {
            cpu_milli: shape.cpu_milli as i64,
            memory: shape.memory as i64,
            pods: i64::from(shape.max_pods),
            gpus: i64::from(shape.gpus),
        }
    }

    /// Adds `other` to `self`.
    pub fn add(&mut self, other: &ResourceList) {
        self.cpu_milli += other.cpu_milli;
        self.memory += other.memory;
        self.pods += other.pods;
        self.gpus += other.gpus;
    }

    /// Subtracts `other` from `self`.
    pub fn sub(&mut self, other: &ResourceList) {
        self.cpu_milli -= other.cpu_milli;
        self.memory -= other.memory;
        self.pods -= other.pods;
        self.gpus -= other.gpus;
    }
}

/// `cluster.status.resourceSummary`: totals over the cluster's nodes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResourceSummary {
    /// Σ node allocatable.
    pub allocatable: ResourceList,
    /// Σ requests of pods bound to nodes.
    pub allocated: ResourceList,
    /// Σ requests of pods waiting to be bound.
    pub allocating: ResourceList,
}

/// Answers how many replicas of a binding a cluster can still take.
pub trait ReplicaEstimator {
    /// The estimator's registered name.
    fn name(&self) -> &'static str;
    /// Max replicas, or `None` for "no opinion" (Karmada's -1).
    fn max_replicas(&self, binding: &BindingView<'_>, cluster: &ClusterView<'_>) -> Option<i64>;
}

/// The `nvidia.com/gpu` a pod requests as Kubernetes sees it, which every estimator, quota
/// and summary counts: whole devices for a pod asking for whole GPUs, and **0 for a share of
/// one** (`milli_per_gpu` below 1000). An extended resource only takes integers, so a pod
/// cannot ask Kubernetes for half an `nvidia.com/gpu`; GPU sharing as in the openb trace's
/// cluster carries the share in pod annotations (`alibabacloud.com/gpu-milli`), leaving cpu and
/// memory as the pod's only resource requests, and the share is placed by the member's own
/// scheduler.
pub fn gpu_request(request: &PodRequest) -> i64 {
    if request.gpu.milli_per_gpu >= 1000 {
        i64::from(request.gpu.count)
    } else {
        0
    }
}

/// A workload the scheduler assumed onto a cluster and the cluster has not confirmed yet
/// (overcommit protection, Karmada's `AssumedWorkload`): its whole footprint there as
/// components, each (replicas, per-replica request). A single-template binding is one
/// component of the replicas assigned to the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssumedWorkload {
    /// The binding's namespace.
    pub namespace: NamespaceId,
    /// The binding's priority class (ResourceQuota scopes match on it).
    pub priority_class: Option<PriorityClassId>,
    /// (replicas, request) per component, in component order.
    pub components: Vec<(i64, PodRequest)>,
}
