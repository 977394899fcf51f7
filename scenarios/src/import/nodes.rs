//! Nodes into pools: a node's allocatable resources, GPU model, kept labels and taints decide
//! which pool of identical nodes it joins.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Node;

/// Node labels kept on pools: those that place pods or name hardware. Any other label (host
/// names, feature-discovery flags, timestamps) would split identical nodes into pools of one.
pub const KEPT_NODE_LABELS: &[&str] = &[
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "node.kubernetes.io/instance-type",
    "nvidia.com/gpu.product",
    "nvidia.com/gpu.memory",
];

/// The GPU count a node offers, by the first of these allocatable resources it has.
pub(super) const GPU_RESOURCES: &[&str] = &["nvidia.com/gpu", "alibabacloud.com/gpu-count"];

/// The GPU model of a node, from the first of these labels it has.
pub(super) const GPU_MODEL_LABELS: &[&str] = &[
    "nvidia.com/gpu.product",
    "alibabacloud.com/gpu-card-model",
    "node.kubernetes.io/instance-type",
];

/// One pool of identical nodes of a member.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct PoolKey {
    pub(super) cpu: String,
    pub(super) memory: String,
    pub(super) pods: u32,
    pub(super) gpus: u32,
    pub(super) gpu_model: Option<String>,
    pub(super) labels: BTreeMap<String, String>,
    pub(super) taints: Vec<(String, String, String)>,
}

/// Why a node does not become part of a pool.
pub(super) enum Unusable {
    /// It says too little (no status: a node that never registered); skipped with a warning.
    Skipped(String),
    /// A value the API server would refuse: an input error.
    Invalid { field: String, message: String },
}

impl From<&str> for Unusable {
    fn from(reason: &str) -> Self {
        Unusable::Skipped(reason.to_owned())
    }
}

pub(super) fn invalid(field: &str, message: String) -> Unusable {
    Unusable::Invalid {
        field: field.to_owned(),
        message,
    }
}

/// A node's pool: its allocatable resources, GPU model, kept labels and taints (a cordoned
/// node carries Kubernetes' `node.kubernetes.io/unschedulable` taint).
pub(super) fn pool_key(node: &Node) -> Result<PoolKey, Unusable> {
    let spec = node.spec.as_ref();
    let mut taints: Vec<(String, String, String)> = Vec::new();
    for (idx, taint) in spec
        .and_then(|s| s.taints.as_deref())
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        if !matches!(
            taint.effect.as_str(),
            "NoSchedule" | "PreferNoSchedule" | "NoExecute"
        ) {
            return Err(invalid(
                &format!("spec.taints[{idx}].effect"),
                format!(
                    "expected NoSchedule, PreferNoSchedule or NoExecute, got {:?}",
                    taint.effect
                ),
            ));
        }
        taints.push((
            taint.key.clone(),
            taint.value.clone().unwrap_or_default(),
            taint.effect.clone(),
        ));
    }
    let status = node.status.as_ref().ok_or("no status")?;
    let allocatable = status.allocatable.as_ref().ok_or("no status.allocatable")?;
    let get = |name: &str| allocatable.get(name).map(|q| q.0.clone());
    let cpu = get("cpu").ok_or("no allocatable cpu")?;
    let memory = get("memory").ok_or("no allocatable memory")?;
    for (name, value) in [("cpu", &cpu), ("memory", &memory)] {
        if let Err(err) = sim_core::quantity::Quantity::parse(value) {
            return Err(invalid(
                &format!("status.allocatable.{name}"),
                format!("expected a Kubernetes quantity, got {value:?}: {err}"),
            ));
        }
    }
    let pods = match get("pods") {
        Some(p) => p.parse::<u32>().map_err(|_| {
            invalid(
                "status.allocatable.pods",
                format!("expected a count of pods, got {p:?}"),
            )
        })?,
        None => 110,
    };
    let mut gpus = 0;
    if let Some((resource, g)) = GPU_RESOURCES.iter().find_map(|r| get(r).map(|g| (*r, g))) {
        gpus = g.parse::<u32>().map_err(|_| {
            invalid(
                &format!("status.allocatable.{resource}"),
                format!("expected a count of GPUs, got {g:?}"),
            )
        })?;
    }
    let labels = node.metadata.labels.clone().unwrap_or_default();
    let gpu_model = (gpus > 0).then(|| {
        GPU_MODEL_LABELS
            .iter()
            .find_map(|l| labels.get(*l).cloned())
            .unwrap_or_else(|| "unknown".to_owned())
    });
    let kept = labels
        .iter()
        .filter(|(k, _)| KEPT_NODE_LABELS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let cordoned = spec.and_then(|s| s.unschedulable).unwrap_or(false);
    let unschedulable = "node.kubernetes.io/unschedulable";
    if cordoned && !taints.iter().any(|(k, _, _)| k == unschedulable) {
        taints.push((
            unschedulable.to_owned(),
            String::new(),
            "NoSchedule".to_owned(),
        ));
    }
    taints.sort();
    Ok(PoolKey {
        cpu,
        memory,
        pods,
        gpus,
        gpu_model,
        labels: kept,
        taints,
    })
}
