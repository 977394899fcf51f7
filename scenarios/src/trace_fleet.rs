//! `fleet_from_trace`: member clusters built from a trace's node list.
//!
//! The nodes are read, sent to clusters by one split rule, and aggregated into node pools of
//! identical nodes (count × shape), so a fleet of thousands of nodes is a handful of pools per
//! cluster. The result is a list of ordinary [`ClusterSpec`]s that the scenario's own cluster
//! validation then checks like hand-written ones, so both paths obey the same rules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_saphyr::{Location, Spanned};

use crate::check::Checker;
use crate::error::Error;
use crate::spec::{
    ByHashSpec, ByPhillyVcSpec, ClusterSpec, FleetFromTraceSpec, NodePoolSpec, SplitSpec, Text,
};
use crate::traces::philly::PhillyVcs;
use crate::traces::{self, NodeList, TraceNode};

/// Clusters generated from a trace, ready to append to the scenario's `clusters`.
pub(crate) struct TraceFleet {
    /// The clusters, ordered by name.
    pub(crate) clusters: Vec<ClusterSpec>,
    /// GPU models met, in order of first appearance, with device memory in bytes when the
    /// trace gives it.
    pub(crate) models: Vec<(String, Option<u64>)>,
    /// Things a user should know (nodes left out, clusters left empty), one line each.
    pub(crate) warnings: Vec<String>,
}

/// FNV-1a (64-bit) of the node name: a stable hash, the same on every machine and release,
/// so `by_hash` puts a node in the same cluster every time.
pub(crate) fn fnv1a(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Shares of `n` nodes by percent, rounded by largest remainder (ties to the earlier cluster),
/// so the counts add up to `n` exactly.
pub(crate) fn largest_remainder(n: u64, percents: &[u32]) -> Vec<u64> {
    let mut counts: Vec<u64> = percents.iter().map(|p| n * u64::from(*p) / 100).collect();
    let mut order: Vec<usize> = (0..percents.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(n * u64::from(percents[i]) % 100), i));
    let left = n.saturating_sub(counts.iter().sum());
    for &i in order.iter().take(left as usize) {
        counts[i] += 1;
    }
    counts
}

const BY_MODEL_CPU_ONLY: &str = "cpu-only";
const BY_MODEL_DEFAULT: &str = "default";

/// Reads the node list of `spec` (relative to `base`) and builds its clusters.
pub(crate) fn expand(
    ck: &Checker<'_>,
    base: &Path,
    spec: FleetFromTraceSpec,
) -> Result<TraceFleet, Error> {
    let path = "fleet_from_trace";
    let Some(format) = traces::node_list(&spec.format.value) else {
        return ck.at(
            &spec.format,
            format!("{path}.format"),
            format!(
                "unknown node-list format {:?}; expected {}",
                spec.format.value,
                traces::node_list_names()
            ),
        );
    };
    let cpu = node_default(
        ck,
        format.gives_cpu,
        spec.node_cpu.as_ref(),
        "node_cpu",
        format,
    )?
    .map(|q| q.milli_value());
    let memory = node_default(
        ck,
        format.gives_memory,
        spec.node_memory.as_ref(),
        "node_memory",
        format,
    )?
    .map(|q| q.value());
    let max_pods = spec.max_pods.as_ref().map_or(110, |m| m.value);
    let file = base.join(&spec.file.value);
    let nodes = (format.read)(&file)?;
    let mut warnings = Vec::new();
    let (targets, named) = split(ck, base, &spec.split, &nodes, &mut warnings)?;
    for name in spec.clusters.keys() {
        if !named.contains(name) {
            return ck.at(
                &spec.split,
                format!("{path}.clusters.{name}"),
                format!(
                    "cluster {name:?} is not one the split rule names: {}",
                    named.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }

    // Aggregate identical nodes into pools, per cluster, in order of first appearance.
    let mut pools: BTreeMap<&str, Vec<(Shape, u32)>> = named
        .iter()
        .map(|name| (name.as_str(), Vec::new()))
        .collect();
    let mut models: Vec<(String, Option<u64>)> = Vec::new();
    for (node, target) in nodes.iter().zip(&targets) {
        if let Some(model) = &node.model {
            if !models.iter().any(|(name, _)| name == model) {
                models.push((model.clone(), node.model_memory));
            }
        }
        let Some(cluster) = target else { continue };
        let shape = Shape {
            cpu_milli: node.cpu_milli.or(cpu).unwrap_or(0),
            memory: node.memory.or(memory).unwrap_or(0),
            gpus: node.gpus,
            model: node.model.clone(),
        };
        let cluster_pools = pools.get_mut(cluster.as_str()).expect("named cluster");
        match cluster_pools.iter_mut().find(|(s, _)| *s == shape) {
            Some((_, count)) => *count += 1,
            None => cluster_pools.push((shape, 1)),
        }
    }

    let at = spec.file.referenced;
    let mut attributes = spec.clusters;
    let mut clusters = Vec::new();
    for (name, cluster_pools) in pools {
        if cluster_pools.is_empty() {
            warnings.push(format!(
                "fleet_from_trace: cluster {name:?} gets no nodes from {}",
                file.display()
            ));
        }
        let node_pools = node_pools(cluster_pools, at, max_pods);
        let attrs = attributes.remove(name).unwrap_or_default();
        clusters.push(ClusterSpec {
            name: spanned(name.to_owned(), at),
            region: attrs.region,
            zone: attrs.zone,
            zones: attrs.zones,
            provider: attrs.provider,
            labels: attrs.labels,
            taints: attrs.taints,
            node_pools,
            resource_models: attrs.resource_models,
            member_placement: attrs.member_placement,
            resource_quotas: Vec::new(),
            pue: None,
            power_down: None,
        });
    }
    Ok(TraceFleet {
        clusters,
        models,
        warnings,
    })
}

/// Pool specs for a cluster's shapes, named after their shape (numbered where two names meet).
fn node_pools(shapes: Vec<(Shape, u32)>, at: Location, max_pods: u32) -> Vec<NodePoolSpec> {
    let mut pool_names = BTreeSet::new();
    shapes
        .into_iter()
        .map(|(shape, count)| {
            let mut pool_name = shape.pool_name();
            let stem = pool_name.clone();
            let mut n = 1;
            while !pool_names.insert(pool_name.clone()) {
                n += 1;
                pool_name = format!("{stem}-{n}");
            }
            NodePoolSpec {
                name: spanned(pool_name, at),
                count,
                cpu: spanned(format!("{}m", shape.cpu_milli), at),
                memory: spanned(shape.memory.to_string(), at),
                gpus: shape.gpus,
                gpu_model: shape.model.map(|m| spanned(m, at)),
                max_pods,
                labels: BTreeMap::new(),
                taints: Vec::new(),
                pricing: None,
                price_per_node_hour: None,
                base_watts: None,
            }
        })
        .collect()
}

/// The shape of identical nodes.
#[derive(PartialEq, Eq)]
struct Shape {
    cpu_milli: u64,
    memory: u64,
    gpus: u32,
    model: Option<String>,
}

impl Shape {
    /// A readable pool name that tells the shape: `T4x2-96cpu-512Gi`, `cpu-32cpu-256Gi`.
    fn pool_name(&self) -> String {
        let kind = match &self.model {
            Some(model) => format!("{model}x{}", self.gpus),
            None => "cpu".to_owned(),
        };
        let cpu = if self.cpu_milli % 1000 == 0 {
            format!("{}cpu", self.cpu_milli / 1000)
        } else {
            format!("{}mcpu", self.cpu_milli)
        };
        let memory = match self.memory {
            m if m % (1 << 30) == 0 => format!("{}Gi", m >> 30),
            m if m % (1 << 20) == 0 => format!("{}Mi", m >> 20),
            m => format!("{m}B"),
        };
        format!("{kind}-{cpu}-{memory}")
    }
}

fn spanned(value: String, at: Location) -> Text {
    Spanned::new(value, at, at)
}

/// `node_cpu` or `node_memory`: required exactly when the format does not give the value.
fn node_default(
    ck: &Checker<'_>,
    format_gives: bool,
    text: Option<&Text>,
    field: &str,
    format: NodeList,
) -> Result<Option<sim_core::quantity::Quantity>, Error> {
    let path = format!("fleet_from_trace.{field}");
    let what = if field == "node_cpu" { "CPU" } else { "memory" };
    match (format_gives, text) {
        (true, None) => Ok(None),
        (true, Some(text)) => ck.at(
            text,
            path,
            format!(
                "{} gives each node's {what}; {field} is only for formats that do not",
                format.name
            ),
        ),
        (false, Some(text)) => ck.quantity(text, &path).map(Some),
        (false, None) => ck.error(
            0,
            0,
            path,
            format!(
                "{} gives no {what} per node: set fleet_from_trace.{field} (a quantity)",
                format.name
            ),
        ),
    }
}

/// Each node's cluster (`None`: left out), and the set of clusters a split rule names.
type Targets = (Vec<Option<String>>, BTreeSet<String>);

/// Applies the split rule: each node's cluster (`None`: left out) and the set of clusters the
/// rule names.
fn split(
    ck: &Checker<'_>,
    base: &Path,
    split: &Spanned<SplitSpec>,
    nodes: &[TraceNode],
    warnings: &mut Vec<String>,
) -> Result<Targets, Error> {
    let path = "fleet_from_trace.split";
    let rule = &split.value;
    let given = [
        rule.all.is_some(),
        rule.by_model.is_some(),
        rule.by_hash.is_some(),
        rule.by_share.is_some(),
        rule.by_philly_vc.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return ck.at(
            split,
            path,
            "give exactly one of all, by_model, by_hash, by_share or by_philly_vc",
        );
    }
    let mut named = BTreeSet::new();
    if let Some(cluster) = &rule.all {
        named.insert(cluster.value.clone());
        return Ok((vec![Some(cluster.value.clone()); nodes.len()], named));
    }
    if let Some(map) = &rule.by_model {
        return by_model(ck, split, map, nodes, warnings);
    }
    if let Some(by_hash) = &rule.by_hash {
        return by_hash_rule(ck, split, by_hash, nodes);
    }
    if let Some(shares) = &rule.by_share {
        return by_share(ck, split, shares, nodes);
    }
    let by_vc = rule.by_philly_vc.as_ref().expect("exactly one rule");
    by_philly_vc(ck, base, by_vc, nodes, warnings)
}

/// `split.by_model`.
fn by_model(
    ck: &Checker<'_>,
    split: &Spanned<SplitSpec>,
    map: &BTreeMap<String, Text>,
    nodes: &[TraceNode],
    warnings: &mut Vec<String>,
) -> Result<Targets, Error> {
    let path = "fleet_from_trace.split";
    let mut named = BTreeSet::new();
    named.extend(map.values().map(|t| t.value.clone()));
    let mut used = BTreeSet::new();
    let mut targets = Vec::with_capacity(nodes.len());
    for node in nodes {
        let key = node.model.as_deref().unwrap_or(BY_MODEL_CPU_ONLY);
        let key = if map.contains_key(key) {
            key
        } else {
            BY_MODEL_DEFAULT
        };
        let Some(cluster) = map.get(key) else {
            let what = node
                .model
                .as_ref()
                .map_or("no GPUs".to_owned(), |m| format!("GPU model {m:?}"));
            let key = node.model.as_deref().unwrap_or(BY_MODEL_CPU_ONLY);
            return ck.at(
                split,
                format!("{path}.by_model"),
                format!(
                    "node {:?} has {what}, which by_model does not list: add {key:?} or {BY_MODEL_DEFAULT:?}",
                    node.name
                ),
            );
        };
        used.insert(key);
        targets.push(Some(cluster.value.clone()));
    }
    for key in map.keys() {
        if !used.contains(key.as_str()) {
            warnings.push(format!(
                "fleet_from_trace.split.by_model: no node matches {key:?}"
            ));
        }
    }
    Ok((targets, named))
}

/// `split.by_hash`.
fn by_hash_rule(
    ck: &Checker<'_>,
    split: &Spanned<SplitSpec>,
    by_hash: &ByHashSpec,
    nodes: &[TraceNode],
) -> Result<Targets, Error> {
    let path = "fleet_from_trace.split";
    let mut named = BTreeSet::new();
    let list = &by_hash.clusters;
    if list.is_empty() {
        return ck.at(
            split,
            format!("{path}.by_hash.clusters"),
            "list at least one cluster",
        );
    }
    for (idx, cluster) in list.iter().enumerate() {
        if !named.insert(cluster.value.clone()) {
            return ck.at(
                cluster,
                format!("{path}.by_hash.clusters[{idx}]"),
                format!("cluster {:?} is listed twice", cluster.value),
            );
        }
    }
    let targets = nodes
        .iter()
        .map(|node| {
            Some(
                list[(fnv1a(&node.name) % list.len() as u64) as usize]
                    .value
                    .clone(),
            )
        })
        .collect();
    Ok((targets, named))
}

/// `split.by_share`.
fn by_share(
    ck: &Checker<'_>,
    split: &Spanned<SplitSpec>,
    shares: &BTreeMap<String, Spanned<u32>>,
    nodes: &[TraceNode],
) -> Result<Targets, Error> {
    let path = "fleet_from_trace.split";
    let mut named = BTreeSet::new();
    let mut total = 0u64;
    for (cluster, percent) in shares {
        if percent.value > 100 {
            return ck.at(
                percent,
                format!("{path}.by_share.{cluster}"),
                format!("{}% of the nodes: expected at most 100", percent.value),
            );
        }
        total += u64::from(percent.value);
    }
    if total != 100 {
        return ck.at(
            split,
            format!("{path}.by_share"),
            format!("the shares add up to {total}%, not 100%"),
        );
    }
    named.extend(shares.keys().cloned());
    let percents: Vec<u32> = shares.values().map(|p| p.value).collect();
    let counts = largest_remainder(nodes.len() as u64, &percents);
    let targets = shares
        .keys()
        .zip(counts)
        .flat_map(|(cluster, count)| std::iter::repeat_n(Some(cluster.clone()), count as usize))
        .collect();
    Ok((targets, named))
}

/// `split.by_philly_vc`.
fn by_philly_vc(
    ck: &Checker<'_>,
    base: &Path,
    by_vc: &ByPhillyVcSpec,
    nodes: &[TraceNode],
    warnings: &mut Vec<String>,
) -> Result<Targets, Error> {
    let path = "fleet_from_trace.split";
    let mut named = BTreeSet::new();
    let vc_file = base.join(&by_vc.file.value);
    let vcs = PhillyVcs::open(&vc_file)?.collect::<Result<Vec<_>, Error>>()?;
    let owned: u64 = vcs.iter().map(|vc| u64::from(vc.nodes)).sum();
    if owned > nodes.len() as u64 {
        return ck.at(
            &by_vc.file,
            format!("{path}.by_philly_vc.file"),
            format!(
                "the VCs of {} own {owned} nodes, but the node list has only {}",
                vc_file.display(),
                nodes.len()
            ),
        );
    }
    let mut targets: Vec<Option<String>> = Vec::with_capacity(nodes.len());
    for vc in vcs {
        if !named.insert(vc.name.clone()) {
            return ck.at(
                &by_vc.file,
                format!("{path}.by_philly_vc.file"),
                format!("{} lists VC {:?} twice", vc_file.display(), vc.name),
            );
        }
        targets.extend(std::iter::repeat_n(Some(vc.name), vc.nodes as usize));
    }
    let left = nodes.len() - targets.len();
    match &by_vc.rest {
        Some(rest) => {
            if !named.insert(rest.value.clone()) {
                return ck.at(
                    rest,
                    format!("{path}.by_philly_vc.rest"),
                    format!("{:?} is already a VC", rest.value),
                );
            }
            targets.resize(nodes.len(), Some(rest.value.clone()));
        }
        None => {
            if left > 0 {
                warnings.push(format!(
                    "fleet_from_trace: {left} of {} nodes belong to no VC of {} and are left out (set split.by_philly_vc.rest to keep them)",
                    nodes.len(),
                    vc_file.display()
                ));
            }
            targets.resize(nodes.len(), None);
        }
    }
    Ok((targets, named))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        // From the FNV reference test suite (64-bit FNV-1a).
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn largest_remainder_rounding() {
        assert_eq!(largest_remainder(10, &[50, 30, 20]), vec![5, 3, 2]);
        // 3.5, 2.1, 1.4: floors 3, 2, 1; the one left goes to the largest remainder (0.5).
        assert_eq!(largest_remainder(7, &[50, 30, 20]), vec![4, 2, 1]);
        // 0.68, 0.66, 0.66: floors 0; the two left go to the largest remainder, then to the
        // earlier of the two that tie.
        assert_eq!(largest_remainder(2, &[34, 33, 33]), vec![1, 1, 0]);
        assert_eq!(largest_remainder(0, &[50, 50]), vec![0, 0]);
        assert_eq!(largest_remainder(5, &[100, 0]), vec![5, 0]);
    }

    #[test]
    fn pool_names_tell_the_shape() {
        let shape = |cpu_milli, memory, gpus, model: Option<&str>| Shape {
            cpu_milli,
            memory,
            gpus,
            model: model.map(str::to_owned),
        };
        assert_eq!(
            shape(96_000, 512 << 30, 2, Some("T4")).pool_name(),
            "T4x2-96cpu-512Gi"
        );
        assert_eq!(
            shape(32_500, 122_880 << 20, 0, None).pool_name(),
            "cpu-32500mcpu-120Gi"
        );
        assert_eq!(shape(1, 1_000, 0, None).pool_name(), "cpu-1mcpu-1000B");
    }
}
