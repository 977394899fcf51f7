use sim_core::model::{Cluster, Job, PodRequest, World};

use super::{ClusterAffinity, ImplicitPriority, ResourceSelector};

/// What an overrider changes in the member manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overrider {
    /// `/spec/replicas` (or a Job's `/spec/parallelism`): the replicas the member runs.
    Replicas(i64),
    /// A container's CPU request, in milli-cores.
    CpuRequest(u64),
    /// A container's memory request, in bytes.
    MemoryRequest(u64),
    /// A container's `nvidia.com/gpu` request, in devices.
    GpuRequest(u32),
}

/// One `overrideRules` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverrideRule {
    /// `targetCluster`; `None` matches every cluster.
    pub target: Option<ClusterAffinity>,
    /// The overriders fleetsim models, in order.
    pub overriders: Vec<Overrider>,
}

/// An OverridePolicy or ClusterOverridePolicy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverridePolicy {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`; `None` for a ClusterOverridePolicy.
    pub namespace: Option<String>,
    /// `resourceSelectors`; empty selects every resource.
    pub selectors: Vec<ResourceSelector>,
    /// `overrideRules`.
    pub rules: Vec<OverrideRule>,
}

/// The Work a member cluster receives for a job after overrides: its replicas and requests.
/// Karmada schedules on the template; overrides change only what the member then runs.
pub fn member_manifest(
    overrides: &[OverridePolicy],
    job: &Job,
    world: &World,
    cluster: &Cluster,
    replicas: i64,
    request: PodRequest,
) -> (i64, PodRequest) {
    let namespace = &world.namespace(job.namespace).name;
    // ClusterOverridePolicies first, then the namespace's OverridePolicies; within each, the
    // less specific first so the more specific wins, then by name (Karmada's override manager).
    let mut matched: Vec<(bool, ImplicitPriority, &str, &OverridePolicy)> = overrides
        .iter()
        .filter(|p| p.namespace.as_deref().is_none_or(|ns| ns == namespace))
        .filter_map(|p| {
            let implicit = if p.selectors.is_empty() {
                ImplicitPriority::MatchAll
            } else {
                p.selectors
                    .iter()
                    .map(|s| s.priority(job, namespace))
                    .max()?
            };
            (implicit > ImplicitPriority::Mismatch).then_some((
                p.namespace.is_some(),
                implicit,
                p.name.as_str(),
                p,
            ))
        })
        .collect();
    matched.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
    let (mut replicas, mut request) = (replicas, request);
    for (_, _, _, policy) in matched {
        for rule in policy
            .rules
            .iter()
            .filter(|r| r.target.as_ref().is_none_or(|t| t.matches(cluster)))
        {
            for overrider in &rule.overriders {
                match *overrider {
                    Overrider::Replicas(value) => replicas = value,
                    Overrider::CpuRequest(value) => request.cpu_milli = value,
                    Overrider::MemoryRequest(value) => request.memory = value,
                    Overrider::GpuRequest(value) => request.gpu.count = value,
                }
            }
        }
    }
    (replicas, request)
}
