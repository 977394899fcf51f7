//! The control plane's `Cluster` objects and the members' own ResourceQuotas, as far as
//! fleetsim models them.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::nodes::PoolKey;

/// A Karmada `Cluster` object, as far as fleetsim models it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ClusterObject {
    #[serde(default)]
    pub(super) metadata: ClusterMeta,
    #[serde(default)]
    pub(super) spec: ClusterObjectSpec,
    /// `status.resourceSummary.allocatable`, checked against the member's nodes.
    #[serde(default)]
    pub(super) status: serde_json::Value,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ClusterMeta {
    pub(super) name: Option<String>,
    #[serde(default)]
    pub(super) labels: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ClusterObjectSpec {
    pub(super) region: Option<String>,
    pub(super) zone: Option<String>,
    #[serde(default)]
    pub(super) zones: Vec<String>,
    pub(super) provider: Option<String>,
    #[serde(default)]
    pub(super) taints: Vec<ClusterTaint>,
    /// `spec.resourceModels`, Karmada's grades, in the scenario's own shape.
    #[serde(default)]
    pub(super) resource_models: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ClusterTaint {
    pub(super) key: String,
    #[serde(default)]
    pub(super) value: String,
    pub(super) effect: String,
}

/// A warning when a Cluster's `status.resourceSummary.allocatable` GPUs or pods differ from
/// the sum over the member's nodes in the snapshot: nodes missing from it, or a summary
/// published before nodes joined or left.
pub(super) fn summary_mismatch(
    member: &str,
    cluster: &ClusterObject,
    pools: &BTreeMap<PoolKey, Vec<String>>,
) -> Option<String> {
    let allocatable = cluster.status.pointer("/resourceSummary/allocatable")?;
    let published = |name: &str| {
        allocatable
            .get(name)
            .and_then(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .or_else(|| Some(v.to_string()))
            })
            .and_then(|v| sim_core::quantity::Quantity::parse(&v).ok())
            .map(|q| q.value())
    };
    let gpus: u64 = pools
        .iter()
        .map(|(k, names)| u64::from(k.gpus) * names.len() as u64)
        .sum();
    let pods: u64 = pools
        .iter()
        .map(|(k, names)| u64::from(k.pods) * names.len() as u64)
        .sum();
    let mut differ = Vec::new();
    for (name, ours) in [("nvidia.com/gpu", gpus), ("pods", pods)] {
        if let Some(theirs) = published(name)
            && theirs != ours
        {
            differ.push(format!(
                "{name} {theirs} published, {ours} in the snapshot's nodes"
            ));
        }
    }
    (!differ.is_empty()).then(|| {
        format!(
            "Cluster {member}: status.resourceSummary.allocatable differs from the nodes read \
             ({}); the scenario has the nodes read",
            differ.join("; ")
        )
    })
}

/// A member's own ResourceQuota, as far as fleetsim counts it.
pub(super) struct MemberQuota {
    pub(super) namespace: String,
    pub(super) hard: BTreeMap<String, String>,
    /// Its PriorityClass scope; empty: none.
    pub(super) priority_classes: Vec<String>,
}

/// A ResourceQuota's counted part, and the `hard` keys left out; an error for scopes fleetsim
/// cannot apply.
pub(super) fn member_quota(
    quota: &k8s_openapi::api::core::v1::ResourceQuota,
) -> Result<(MemberQuota, Vec<String>), String> {
    let spec = quota.spec.clone().unwrap_or_default();
    if let Some(scopes) = spec.scopes.as_ref().filter(|s| !s.is_empty()) {
        return Err(format!("scopes {scopes:?} are not modelled"));
    }
    let mut priority_classes = Vec::new();
    for expr in spec
        .scope_selector
        .and_then(|s| s.match_expressions)
        .unwrap_or_default()
    {
        if expr.scope_name != "PriorityClass" || expr.operator != "In" {
            return Err(format!(
                "scope {} {} is not modelled (only PriorityClass In)",
                expr.scope_name, expr.operator
            ));
        }
        priority_classes.extend(expr.values.unwrap_or_default());
    }
    let mut hard = BTreeMap::new();
    let mut dropped = Vec::new();
    for (key, value) in spec.hard.unwrap_or_default() {
        let counted = matches!(
            key.trim_start_matches("requests."),
            "cpu" | "memory" | "nvidia.com/gpu"
        ) || key == "pods";
        if counted {
            hard.insert(key, value.0);
        } else {
            dropped.push(key);
        }
    }
    Ok((
        MemberQuota {
            namespace: quota
                .metadata
                .namespace
                .clone()
                .unwrap_or_else(|| "default".to_owned()),
            hard,
            priority_classes,
        },
        dropped,
    ))
}

/// A Karmada `ResourceBinding` (work.karmada.io/v1alpha2), as far as import reads it: which
/// workload it binds and whether it names clusters (the workload is scheduled already).
#[derive(Debug, Deserialize)]
pub(super) struct ResourceBinding {
    #[serde(default)]
    pub(super) metadata: BindingMeta,
    pub(super) spec: BindingSpec,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct BindingMeta {
    pub(super) namespace: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct BindingSpec {
    /// `spec.resource`: the workload.
    pub(super) resource: ObjectReference,
    /// `spec.clusters`: the scheduling result.
    #[serde(default)]
    pub(super) clusters: Vec<TargetCluster>,
}

/// Karmada's `ObjectReference`.
#[derive(Debug, Deserialize)]
pub(super) struct ObjectReference {
    pub(super) kind: String,
    pub(super) name: String,
    pub(super) namespace: Option<String>,
}

/// Karmada's `TargetCluster` (its `replicas` are not needed: the pods are read).
#[derive(Debug, Deserialize)]
pub(super) struct TargetCluster {
    pub(super) name: String,
}
