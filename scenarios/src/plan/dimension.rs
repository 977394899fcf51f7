//! The dimensions of a plan: what a search may change (nodes of a shape, a namespace's
//! federated quota, a numeric field), read and checked against the base scenario.

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use sim_core::quantity::Quantity;

use super::{AddNodesSpec, DEFAULT_QUOTA_RESOURCE, DimensionSpec};
use crate::check::Checker;
use crate::error::{Error, Position};
use crate::patch::{FieldPath, Patch, PatchOp};
use crate::tree::{Entry, Node, NodeKind, Scalar};
use crate::variant::{BaseScenario, Condition, PlacedPatch};

/// One dimension of the search.
#[derive(Clone, Debug)]
pub struct Dimension {
    /// Its name.
    pub name: String,
    /// What it changes.
    pub kind: DimensionKind,
    /// Smallest value.
    pub min: u64,
    /// Largest value.
    pub max: u64,
    /// Distance between values searched.
    pub step: u64,
    /// Cost per unit of value.
    pub unit_cost: f64,
    /// For a quota dimension: what the namespace is given today in all clusters together
    /// (its duplicated quota times the clusters, its split quotas summed, or its federated
    /// quota), in whole units.
    pub today: Option<u64>,
    origin: Position,
}

/// What a dimension changes.
#[derive(Clone, Debug)]
pub enum DimensionKind {
    /// A pool of `count` nodes of a shape appended to each of the clusters.
    AddNodes {
        /// The shape's name.
        shape: String,
        /// The clusters.
        clusters: Vec<String>,
        /// The pool fields of the shape (without name and count).
        pool: Vec<Entry>,
    },
    /// A namespace's FederatedResourceQuota `overall` for one resource; the plan runs the
    /// scenario with `quota_mode: federated`.
    Quota {
        /// The namespace.
        namespace: String,
        /// The resource.
        resource: String,
    },
    /// A whole-number field.
    Path(FieldPath),
}

impl Dimension {
    /// The values searched, in order.
    pub fn n_steps(&self) -> u64 {
        (self.max - self.min) / self.step
    }

    /// The value at step `k`.
    pub fn value(&self, k: u64) -> u64 {
        self.min + k * self.step
    }

    /// What value `value` costs.
    pub fn cost(&self, value: u64) -> f64 {
        value as f64 * self.unit_cost
    }

    /// The changes that give the dimension `value`.
    pub fn patches(&self, value: u64) -> Vec<PlacedPatch> {
        let placed = |path: FieldPath, op, value| PlacedPatch {
            patch: Patch { path, op, value },
            origin: self.origin.clone(),
        };
        match &self.kind {
            DimensionKind::AddNodes {
                shape,
                clusters,
                pool,
            } => {
                if value == 0 {
                    return Vec::new();
                }
                let mut entries = vec![
                    entry("name", Node::quoted(format!("added-{shape}"))),
                    entry("count", Node::plain(value.to_string())),
                ];
                entries.extend(pool.iter().cloned());
                let pool = Node::new(NodeKind::Mapping(entries));
                clusters
                    .iter()
                    .map(|cluster| {
                        let path =
                            FieldPath::parse(&format!("clusters[name={cluster:?}].node_pools"))
                                .expect("a well-formed path");
                        placed(path, PatchOp::Append, pool.clone())
                    })
                    .collect()
            }
            DimensionKind::Quota {
                namespace,
                resource,
            } => {
                let path = FieldPath::parse(&format!(
                    "namespaces[name={namespace:?}].quota.federated.overall[{resource:?}]"
                ))
                .expect("a well-formed path");
                vec![placed(path, PatchOp::Set, Node::quoted(value.to_string()))]
            }
            DimensionKind::Path(path) => vec![placed(
                path.clone(),
                PatchOp::Set,
                Node::plain(value.to_string()),
            )],
        }
    }
}

fn entry(key: &str, value: Node) -> Entry {
    Entry {
        key: Scalar::plain(key),
        line: 0,
        column: 0,
        value,
    }
}

/// Node shapes: pool fields and a cost per node.
pub(super) fn read_shapes(
    ck: &Checker<'_>,
    tree: &Node,
    spec: &BTreeMap<String, IgnoredAny>,
) -> Result<BTreeMap<String, (Vec<Entry>, f64)>, Error> {
    let mut shapes = BTreeMap::new();
    let Some(NodeKind::Mapping(entries)) = tree.get("shapes").map(|n| &n.kind) else {
        return Ok(shapes);
    };
    for shape in entries {
        debug_assert!(spec.contains_key(&shape.key.text));
        let path = format!("shapes.{}", shape.key.text);
        let NodeKind::Mapping(fields) = &shape.value.kind else {
            return ck.error(shape.line, shape.column, path, "expected pool fields and cost, e.g. {cpu: \"96\", memory: 1Ti, gpus: 8, gpu_model: H100, cost: 1}");
        };
        let mut cost = None;
        let mut pool = Vec::new();
        for field in fields {
            match field.key.text.as_str() {
                "cost" => {
                    let number = field.value.scalar().and_then(Scalar::number);
                    match number.map(|n| n.as_f64()) {
                        Some(value) if value >= 0.0 => cost = Some(value),
                        _ => {
                            return ck.error(
                                field.value.line,
                                field.value.column,
                                format!("{path}.cost"),
                                "expected a number ≥ 0",
                            );
                        }
                    }
                }
                "name" | "count" => {
                    return ck.error(
                        field.line,
                        field.column,
                        format!("{path}.{}", field.key.text),
                        "a shape has no name or count: the plan names the pool added-SHAPE and searches the count",
                    );
                }
                _ => pool.push(field.clone()),
            }
        }
        let Some(cost) = cost else {
            return ck.error(
                shape.line,
                shape.column,
                path,
                "a shape needs a cost per node",
            );
        };
        shapes.insert(shape.key.text.clone(), (pool, cost));
    }
    Ok(shapes)
}

pub(super) fn read_dimension(
    ck: &Checker<'_>,
    base: &BaseScenario,
    shapes: &BTreeMap<String, (Vec<Entry>, f64)>,
    spec: &DimensionSpec,
    node: &Node,
    idx: usize,
) -> Result<Dimension, Error> {
    let field = format!("dimensions[{idx}]");
    let origin = Position {
        file: ck.file.to_owned(),
        line: node.line,
        column: node.column,
        path: field.clone(),
    };
    let n_kinds = usize::from(spec.add_nodes.is_some())
        + usize::from(spec.quota.is_some())
        + usize::from(spec.path.is_some());
    if n_kinds != 1 {
        return ck.error(
            node.line,
            node.column,
            field,
            "give exactly one of add_nodes, quota or path",
        );
    }
    let (kind, default_cost) = if let Some(add) = &spec.add_nodes {
        add_nodes(ck, base, shapes, add, node, &field)?
    } else if let Some(quota) = &spec.quota {
        if !base.names.namespaces.contains(&quota.namespace.value) {
            return ck.at(
                &quota.namespace,
                format!("{field}.quota.namespace"),
                format!(
                    "no namespace {:?} in the scenario; it has {}",
                    quota.namespace.value,
                    base.names.namespaces.join(", ")
                ),
            );
        }
        let resource = quota
            .resource
            .as_ref()
            .map_or(DEFAULT_QUOTA_RESOURCE.to_owned(), |r| r.value.clone());
        (
            DimensionKind::Quota {
                namespace: quota.namespace.value.clone(),
                resource,
            },
            1.0,
        )
    } else {
        let text = spec.path.as_ref().expect("one kind");
        let path =
            FieldPath::parse(&text.value).or_else(|e| ck.at(text, format!("{field}.path"), e))?;
        (DimensionKind::Path(path), 1.0)
    };
    let min = spec.min.as_ref().map_or(0, |m| m.value);
    let step = match &spec.step {
        Some(s) if s.value == 0 => return ck.at(s, format!("{field}.step"), "expected at least 1"),
        Some(s) => s.value,
        None => 1,
    };
    if spec.max.value < min {
        return ck.at(
            &spec.max,
            format!("{field}.max"),
            format!("below min ({min})"),
        );
    }
    let unit_cost = match &spec.cost {
        Some(c) if !(c.value >= 0.0 && c.value.is_finite()) => {
            return ck.at(c, format!("{field}.cost"), "expected a number ≥ 0");
        }
        Some(c) => match kind {
            DimensionKind::AddNodes { ref clusters, .. } => c.value * clusters.len() as f64,
            _ => c.value,
        },
        None => default_cost,
    };
    let dimension = Dimension {
        name: spec.name.value.clone(),
        kind,
        min,
        // The largest value on the grid.
        max: min + (spec.max.value - min) / step * step,
        step,
        unit_cost,
        today: None,
        origin,
    };
    // The dimension alone at its largest value must make a valid scenario.
    let patches = dimension.patches(dimension.max);
    let refs: Vec<&PlacedPatch> = patches.iter().collect();
    base.variant(&refs, &Condition::Nominal, &dimension.origin)?;
    Ok(dimension)
}

/// An `add_nodes` dimension: its kind and its cost per unit of value.
fn add_nodes(
    ck: &Checker<'_>,
    base: &BaseScenario,
    shapes: &BTreeMap<String, (Vec<Entry>, f64)>,
    add: &AddNodesSpec,
    node: &Node,
    field: &str,
) -> Result<(DimensionKind, f64), Error> {
    let Some((pool, cost)) = shapes.get(&add.shape.value) else {
        return ck.at(
            &add.shape,
            format!("{field}.add_nodes.shape"),
            format!(
                "no shape {:?}; shapes declares {}",
                add.shape.value,
                shapes.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        );
    };
    if add.clusters.is_empty() {
        return ck.error(
            node.line,
            node.column,
            format!("{field}.add_nodes.clusters"),
            "expected at least one cluster",
        );
    }
    for (cluster_idx, cluster) in add.clusters.iter().enumerate() {
        if !base.names.clusters.contains(&cluster.value) {
            return ck.at(
                cluster,
                format!("{field}.add_nodes.clusters[{cluster_idx}]"),
                format!(
                    "no cluster {:?} in the scenario; it has {}",
                    cluster.value,
                    base.names.clusters.join(", ")
                ),
            );
        }
    }
    let clusters: Vec<String> = add.clusters.iter().map(|c| c.value.clone()).collect();
    let per_value = cost * clusters.len() as f64;
    Ok((
        DimensionKind::AddNodes {
            shape: add.shape.value.clone(),
            clusters,
            pool: pool.clone(),
        },
        per_value,
    ))
}

/// What `namespace` is given of `resource` today in all clusters together, under the
/// scenario's quota mode (or the one form it gives): its duplicated quota times
/// `n_clusters`, its split quotas summed, or its federated overall quota.
pub(super) fn quota_today(
    tree: &Node,
    namespace: &str,
    resource: &str,
    n_clusters: u64,
) -> Option<u64> {
    let quota = tree
        .get("namespaces")?
        .items()?
        .iter()
        .find(|n| {
            n.get("name")
                .and_then(Node::scalar)
                .is_some_and(|s| s.text == namespace)
        })?
        .get("quota")?;
    let amount_of = |node: &Node, key: &str| -> Option<u64> {
        let text = &node.get(key)?.scalar()?.text;
        Quantity::parse(text).ok().map(Quantity::value)
    };
    // A member ResourceQuota limits an extended resource as `requests.<name>`; a
    // FederatedResourceQuota's overall names it plainly.
    let prefixed = format!("requests.{resource}");
    let amount = |node: &Node| -> Option<u64> {
        amount_of(node, resource).or_else(|| amount_of(node, &prefixed))
    };
    let mode = tree
        .get("quota_mode")
        .and_then(Node::scalar)
        .map(|s| s.text.clone());
    let given: Vec<&str> = ["duplicated", "split", "federated"]
        .into_iter()
        .filter(|form| quota.get(form).is_some())
        .collect();
    let form = match (mode.as_deref(), given.as_slice()) {
        (Some(mode), _) => mode.to_owned(),
        (None, [only]) => (*only).to_owned(),
        _ => return None,
    };
    let node = quota.get(&form)?;
    match form.as_str() {
        "duplicated" => amount(node).map(|per_cluster| per_cluster * n_clusters),
        "split" => {
            let NodeKind::Mapping(clusters) = &node.kind else {
                return None;
            };
            Some(clusters.iter().filter_map(|c| amount(&c.value)).sum())
        }
        "federated" => amount_of(node.get("overall")?, resource),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today(text: &str) -> Option<u64> {
        let tree = crate::tree::parse(text, std::path::Path::new("s.yaml")).unwrap();
        quota_today(&tree, "llm", DEFAULT_QUOTA_RESOURCE, 3)
    }

    #[test]
    fn today_is_the_quota_summed_over_clusters() {
        let forms = "namespaces:\n  - name: llm\n    quota:\n      duplicated: {requests.nvidia.com/gpu: \"160\"}\n      split: {a: {requests.nvidia.com/gpu: \"64\"}, b: {requests.nvidia.com/gpu: \"48\"}}\n      federated: {overall: {nvidia.com/gpu: \"100\"}}\n";
        assert_eq!(
            today(&format!("{forms}quota_mode: duplicated\n")),
            Some(480)
        );
        assert_eq!(today(&format!("{forms}quota_mode: split\n")), Some(112));
        assert_eq!(today(&format!("{forms}quota_mode: federated\n")), Some(100));
        // A federated overall keyed `requests.` is one Karmada never counts: no quota today.
        let uncounted = forms.replace(
            "overall: {nvidia.com/gpu",
            "overall: {requests.nvidia.com/gpu",
        );
        assert_eq!(today(&format!("{uncounted}quota_mode: federated\n")), None);
        // Several forms and no mode: ambiguous.
        assert_eq!(today(forms), None);
        let only =
            "namespaces: [{name: llm, quota: {duplicated: {requests.nvidia.com/gpu: \"8\"}}}]\n";
        assert_eq!(today(only), Some(24));
    }
}
