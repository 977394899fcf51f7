//! The ResourceBinding a job becomes, and the views plugins get of it and of clusters.

use std::sync::{Arc, LazyLock};

use sim_core::model::{Cluster, ClusterId, JobId, NamespaceId, PodRequest, PriorityClassId};

use crate::estimator::{ResourceList, ResourceSummary};
use crate::policy::{Placement, PlacementId};

/// Most jobs are `batch/v1` `Job`s; one shared string saves an allocation per binding.
static DEFAULT_API_RESOURCE: LazyLock<Arc<str>> = LazyLock::new(|| Arc::from("batch/v1/Job"));

/// A job as the Karmada scheduler sees it (`work.karmada.io/v1alpha2 ResourceBinding`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceBinding {
    /// The job behind the binding.
    pub job: JobId,
    /// `spec.resource.uid`, the workload's UID: its FNV hash picks the name order of Webster
    /// ties (`tieBreakerByUID`). Empty breaks every tie toward the smaller name.
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
    /// `spec.components`: a multi-component workload (a launcher and workers), scheduled as
    /// one set. Empty for a single-template workload; when set, `replicas` is 0 and `request`
    /// unused, as Karmada's detector leaves them.
    pub components: Vec<BindingComponent>,
}

/// One entry of `spec.components`: replicas of one pod template in a set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BindingComponent {
    /// Replicas of this component in one set.
    pub replicas: i64,
    /// What each of them requests.
    pub request: PodRequest,
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
            components: Vec::new(),
        }
    }

    /// A multi-component binding: one set of `components`, `spec.replicas` 0.
    pub fn with_components(
        job: JobId,
        components: Vec<BindingComponent>,
        namespace: NamespaceId,
    ) -> ResourceBinding {
        ResourceBinding {
            components,
            ..ResourceBinding::new(job, 0, PodRequest::default(), namespace)
        }
    }

    /// Whether the binding carries `spec.components` rather than one replica template.
    pub fn is_multi_component(&self) -> bool {
        !self.components.is_empty()
    }

    /// What one complete set of the components requests.
    pub fn set_resources(&self) -> ResourceList {
        let mut total = ResourceList::default();
        for component in &self.components {
            total.add(&ResourceList::of_pods(
                &component.request,
                component.replicas,
            ));
        }
        total
    }

    /// What the binding counts against a FederatedResourceQuota with `clusters` as its
    /// `spec.clusters` (Karmada's `CalculateResourceUsage`): replicas × request, or for
    /// components one set per listed cluster, whatever replica counts the list carries.
    pub fn usage(&self, clusters: &[(ClusterId, i64)]) -> ResourceList {
        if self.is_multi_component() {
            let set = self.set_resources();
            let n = clusters.len() as i64;
            ResourceList {
                cpu_milli: set.cpu_milli * n,
                memory: set.memory * n,
                pods: set.pods * n,
                gpus: set.gpus * n,
            }
        } else {
            ResourceList::of_pods(&self.request, clusters.iter().map(|(_, r)| r).sum())
        }
    }

    /// Karmada's `IsWorkload`: it has replicas to place or `spec.components`.
    pub fn is_workload(&self) -> bool {
        self.replicas > 0 || self.is_multi_component()
    }

    /// Whether `cluster` is among `spec.clusters` (Karmada's `TargetContains`): a binding with
    /// components lists its clusters with 0 replicas.
    pub fn targets(&self, cluster: ClusterId) -> bool {
        self.clusters.iter().any(|(id, _)| *id == cluster)
    }

    /// Replicas the current assignment puts on `cluster`.
    pub fn previous_replicas(&self, cluster: ClusterId) -> i64 {
        self.clusters
            .iter()
            .find(|(id, _)| *id == cluster)
            .map_or(0, |(_, replicas)| *replicas)
    }
}

/// The UID Kubernetes would give the workload of `job`: 128 bits in the RFC 4122 version 4
/// layout Kubernetes uses, drawn from the run seed and the job id alone, so a run is
/// reproducible, whatever the thread count, and Webster ties split as real UIDs split them.
pub fn workload_uid(seed: u64, job: JobId) -> String {
    // SplitMix64 (Steele, Lea and Flood): a bijective mixer, so distinct (seed, job, half)
    // inputs never share a stream position.
    fn mix(mut z: u64) -> u64 {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    let base = mix(seed ^ 0x9e37_79b9_7f4a_7c15).wrapping_add(job.0.wrapping_mul(2));
    let hi = mix(base.wrapping_add(0x9e37_79b9_7f4a_7c15));
    let lo = mix(base.wrapping_add(0x3c6e_f372_fe94_f82a));
    // Version 4 in the 13th hex digit, variant 10xx in the 17th.
    let hi = (hi & !0xf000) | 0x4000;
    let lo = (lo & !(0xc << 60)) | (0x8 << 60);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

/// What a plugin may read about the binding being scheduled.
#[derive(Clone, Copy, Debug)]
pub struct BindingView<'a> {
    /// The binding.
    pub binding: &'a ResourceBinding,
    /// Its placement (from the matched policy, defaults applied).
    pub placement: &'a Placement,
}

impl BindingView<'_> {
    /// Whether estimators count complete component sets for this binding: it has components
    /// and the placement puts them in one cluster (Karmada's `isMultiTemplateSchedulingApplicable`,
    /// whatever the replica scheduling type).
    pub fn estimates_sets(&self) -> bool {
        self.binding.is_multi_component() && self.placement.is_multi_template_applicable()
    }

    /// Whether estimators see no replica requirements: a binding with components off the
    /// multi-template path is estimated as a single template with `replicaRequirements` nil.
    pub fn no_requirements(&self) -> bool {
        self.binding.is_multi_component() && !self.placement.is_multi_template_applicable()
    }
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
    /// Unexpired workloads assumed onto the cluster (overcommit protection on), in job order;
    /// estimators deduct them. Empty when the protection is off.
    pub assumed: &'a [crate::estimator::AssumedWorkload],
}
