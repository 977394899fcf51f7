//! The ResourceBinding a job becomes, and the views plugins get of it and of clusters.

use std::sync::{Arc, LazyLock};

use sim_core::model::{Cluster, ClusterId, JobId, NamespaceId, PodRequest, PriorityClassId};

use crate::estimator::ResourceSummary;
use crate::policy::{Placement, PlacementId};

/// Most jobs are `batch/v1` `Job`s; one shared string saves an allocation per binding.
static DEFAULT_API_RESOURCE: LazyLock<Arc<str>> = LazyLock::new(|| Arc::from("batch/v1/Job"));

/// A job as the Karmada scheduler sees it (`work.karmada.io/v1alpha2 ResourceBinding`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceBinding {
    /// The job behind the binding.
    pub job: JobId,
    /// `spec.resource.uid`; empty when the job has none (breaks Webster ties by smaller name).
    pub uid: String,
    /// `spec.replicas`.
    pub replicas: i64,
    /// `spec.replicaRequirements.resourceRequest`, per replica.
    pub request: PodRequest,
    /// `spec.replicaRequirements.namespace`.
    pub namespace: NamespaceId,
    /// `spec.replicaRequirements.priorityClassName`.
    pub priority_class: Option<PriorityClassId>,
    /// `spec.schedulePriority.priority`: orders the scheduling queue.
    pub priority: i32,
    /// `spec.clusters`: the current assignment, in cluster order.
    pub clusters: Vec<(ClusterId, i64)>,
    /// `spec.placement`, copied from the matched policy.
    pub placement: PlacementId,
    /// The template's API, `group/version/Kind` (e.g. `batch/v1/Job`), for APIEnablement.
    pub api_resource: Arc<str>,
    /// `status.schedulerObservedAffinityName`: the `clusterAffinities` term in use.
    pub observed_affinity: Option<String>,
    /// Clusters named by the binding's graceful eviction tasks (`fromCluster`).
    pub evicting_from: Vec<ClusterId>,
}

impl ResourceBinding {
    /// A binding for `job` with no assignment yet.
    pub fn new(
        job: JobId,
        replicas: i64,
        request: PodRequest,
        namespace: NamespaceId,
    ) -> ResourceBinding {
        ResourceBinding {
            job,
            uid: String::new(),
            replicas,
            request,
            namespace,
            priority_class: None,
            priority: 0,
            clusters: Vec::new(),
            placement: PlacementId(0),
            api_resource: Arc::clone(&DEFAULT_API_RESOURCE),
            observed_affinity: None,
            evicting_from: Vec::new(),
        }
    }

    /// Karmada's `IsWorkload`: it has replicas to place.
    pub fn is_workload(&self) -> bool {
        self.replicas > 0
    }

    /// Replicas the current assignment puts on `cluster`.
    pub fn previous_replicas(&self, cluster: ClusterId) -> i64 {
        self.clusters
            .iter()
            .find(|(id, _)| *id == cluster)
            .map_or(0, |(_, replicas)| *replicas)
    }
}

/// What a plugin may read about the binding being scheduled.
#[derive(Clone, Copy, Debug)]
pub struct BindingView<'a> {
    /// The binding.
    pub binding: &'a ResourceBinding,
    /// Its placement (from the matched policy, defaults applied).
    pub placement: &'a Placement,
}

/// A cluster's resource model grades and the node count published for each grade.
pub type ResourceModels<'a> = (&'a [crate::estimator::ModelGrade], &'a [(u32, i64)]);

/// What a plugin may read about one member cluster.
#[derive(Clone, Copy, Debug)]
pub struct ClusterView<'a> {
    /// Id.
    pub id: ClusterId,
    /// Static description: name, location, labels, taints, pools.
    pub cluster: &'a Cluster,
    /// `status.resourceSummary` as the control plane currently sees it.
    pub summary: &'a ResourceSummary,
    /// `status.apiEnablements` as `group/version/Kind` keys; `None` when every API is served.
    pub api_enablements: Option<&'a [String]>,
    /// The member's live nodes, as its scheduler-estimator sees them; `None` when the cluster
    /// runs no estimator (the accurate estimator then has no opinion).
    pub member: Option<&'a crate::member::MemberCluster>,
    /// `spec.resourceModels` and the published `allocatableModelings` (grade, node count).
    pub resource_models: Option<ResourceModels<'a>>,
}
