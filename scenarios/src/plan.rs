//! Plan files: a base scenario, what may change (nodes of a shape added to clusters, a
//! namespace's federated quota, any numeric field) with a cost, the objective (constraints on
//! metrics) and the conditions it must hold under. `fleetsim plan` searches for the cheapest
//! change that meets the objective (`docs/sweeps.md`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_saphyr::Spanned;
use sim_core::Duration;
use sim_core::quantity::Quantity;

use crate::check::Checker;
use crate::error::{Error, Position};
use crate::metric::{MetricKey, Trend};
use crate::patch::{FieldPath, Patch, PatchOp};
use crate::spec::Text;
use crate::sweep::{check_metric_names, default_metrics};
use crate::tree::{Entry, Node, NodeKind, Scalar};
use crate::validate::Scenario;
use crate::variant::{
    BaseScenario, Condition, PlacedPatch, StudyFile, load_base, parse_condition, read_study_file,
    read_text, replications,
};

/// The quota resource a quota dimension sets unless it names another.
pub const DEFAULT_QUOTA_RESOURCE: &str = "requests.nvidia.com/gpu";

/// The plan file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSpec {
    /// The base scenario, relative to the plan file.
    pub scenario: Text,
    /// Seed of the replication seeds (default 0).
    #[serde(default)]
    pub seed: Option<Spanned<u64>>,
    /// Runs per condition at every point evaluated (default 5).
    #[serde(default)]
    pub replications: Option<Spanned<u32>>,
    /// Changes made to the base before anything else: `{path: value}`.
    #[serde(default)]
    pub set: Option<IgnoredAny>,
    /// Node shapes that may be added: pool fields plus `cost` per node.
    #[serde(default)]
    pub shapes: BTreeMap<String, IgnoredAny>,
    /// What may change.
    pub dimensions: Vec<DimensionSpec>,
    /// What must hold.
    pub objective: Vec<ConstraintSpec>,
    /// Conditions the objective must hold under (default `[nominal]`).
    #[serde(default)]
    pub conditions: Vec<Text>,
    /// `ci95` (default): the pessimistic end of the 95 % confidence interval must meet each
    /// target; `mean`: the mean must.
    pub decide_by: Option<Text>,
}

/// One dimension as written: exactly one of `add_nodes`, `quota` or `path`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionSpec {
    /// Its name.
    pub name: Text,
    /// Nodes of a shape added to each of some clusters.
    pub add_nodes: Option<AddNodesSpec>,
    /// A namespace's FederatedResourceQuota.
    pub quota: Option<QuotaSpec>,
    /// Any whole-number field.
    pub path: Option<Text>,
    /// Smallest value (default 0).
    #[serde(default)]
    pub min: Option<Spanned<u64>>,
    /// Largest value.
    pub max: Spanned<u64>,
    /// Values searched: min, min + step, ... (default 1).
    #[serde(default)]
    pub step: Option<Spanned<u64>>,
    /// Cost per unit (default: the shape's cost for nodes, 1 otherwise).
    #[serde(default)]
    pub cost: Option<Spanned<f64>>,
}

/// Nodes of `shape` added to each of `clusters`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddNodesSpec {
    /// A key of `shapes`.
    pub shape: Text,
    /// Clusters that each get the nodes.
    pub clusters: Vec<Text>,
}

/// A namespace's overall federated quota of one resource.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaSpec {
    /// The namespace.
    pub namespace: Text,
    /// The resource (default `requests.nvidia.com/gpu`).
    pub resource: Option<Text>,
}

/// One constraint as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstraintSpec {
    /// The metric.
    pub metric: Text,
    /// Upper bound (a number, or a duration for `_s` metrics).
    pub at_most: Option<Text>,
    /// Lower bound.
    pub at_least: Option<Text>,
    /// Safety margin: the target is tightened by this much.
    pub margin: Option<Text>,
}

/// A validated plan.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The plan file.
    pub file: PathBuf,
    /// The base scenario with the plan's common changes.
    pub base: BaseScenario,
    /// Seed of the replication seeds.
    pub seed: u64,
    /// Runs per condition and point.
    pub replications: u32,
    /// What may change.
    pub dimensions: Vec<Dimension>,
    /// What must hold.
    pub constraints: Vec<Constraint>,
    /// Under which conditions.
    pub conditions: Vec<Condition>,
    /// How a constraint is judged.
    pub decide_by: DecideBy,
    /// Metrics recorded per run: the defaults and the constrained ones.
    pub metrics: Vec<MetricKey>,
}

/// How a constraint is judged from its replications.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecideBy {
    /// The pessimistic end of the 95 % confidence interval of the mean.
    Ci95,
    /// The mean.
    Mean,
}

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

/// One constraint of the objective.
#[derive(Clone, Debug)]
pub struct Constraint {
    /// The metric.
    pub metric: MetricKey,
    /// The bound.
    pub bound: Bound,
    /// How much the target is tightened.
    pub margin: f64,
    /// Whether more capacity helps meet it; the search steers by these only.
    pub steers: bool,
}

/// A target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    /// The metric must be at most this.
    AtMost(f64),
    /// The metric must be at least this.
    AtLeast(f64),
}

impl Constraint {
    /// The target once the margin is applied.
    pub fn effective_target(&self) -> f64 {
        match self.bound {
            Bound::AtMost(target) => target - self.margin,
            Bound::AtLeast(target) => target + self.margin,
        }
    }

    /// Whether `value` meets the (tightened) target.
    pub fn met_by(&self, value: f64) -> bool {
        match self.bound {
            Bound::AtMost(_) => value <= self.effective_target(),
            Bound::AtLeast(_) => value >= self.effective_target(),
        }
    }

    /// The constraint as text: `wait_p95_s{namespace=llm} ≤ 7200`.
    pub fn describe(&self) -> String {
        let (sign, target) = match self.bound {
            Bound::AtMost(t) => ("≤", t),
            Bound::AtLeast(t) => ("≥", t),
        };
        let margin = if self.margin == 0.0 {
            String::new()
        } else {
            format!(" (margin {})", self.margin)
        };
        format!("{} {sign} {target}{margin}", self.metric)
    }
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

impl Plan {
    /// The validated scenario with each dimension at `values` (one per dimension), under
    /// `condition`.
    pub fn scenario(&self, values: &[u64], condition: &Condition) -> Result<Scenario, Error> {
        let patches: Vec<PlacedPatch> = self
            .dimensions
            .iter()
            .zip(values)
            .flat_map(|(dimension, &value)| dimension.patches(value))
            .collect();
        let refs: Vec<&PlacedPatch> = patches.iter().collect();
        let origin = Position {
            file: self.file.clone(),
            line: 0,
            column: 0,
            path: format!("dimensions at {values:?} under {}", condition.label()),
        };
        self.base.variant(&refs, condition, &origin)
    }

    /// The cost of `values`.
    pub fn cost(&self, values: &[u64]) -> f64 {
        self.dimensions
            .iter()
            .zip(values)
            .map(|(d, &v)| d.cost(v))
            .sum()
    }
}

/// Reads and checks a plan file; `seed` overrides the file's.
pub fn load_plan(file: &Path, seed: Option<u64>) -> Result<Plan, Error> {
    let text = read_text(file)?;
    load_plan_str(&text, file, seed)
}

/// Parses and checks plan text as if read from `file`: `file` names it in errors, and the base
/// scenario is resolved against its folder; `seed` overrides the file's.
pub fn load_plan_str(text: &str, file: &Path, seed: Option<u64>) -> Result<Plan, Error> {
    let StudyFile { spec, tree, .. } = read_study_file::<PlanSpec>(text, file)?;
    let ck = Checker {
        file,
        line_offset: 0,
    };
    let mut base = load_base(&ck, file, &spec.scenario, &tree)?;
    let replications = replications(&ck, spec.replications.as_ref(), 5)?;
    let decide_by = match spec.decide_by.as_ref().map(|t| (t, t.value.as_str())) {
        None | Some((_, "ci95")) => DecideBy::Ci95,
        Some((_, "mean")) => DecideBy::Mean,
        Some((text, other)) => {
            return ck.at(
                text,
                "decide_by",
                format!("unknown {other:?}; expected ci95 or mean"),
            );
        }
    };
    if decide_by == DecideBy::Ci95 && replications < 2 {
        return ck.error(
            0,
            0,
            "replications",
            "decide_by: ci95 needs at least 2 replications (or use decide_by: mean)",
        );
    }
    let shapes = read_shapes(&ck, &tree, &spec.shapes)?;
    if spec.dimensions.is_empty() {
        return ck.error(0, 0, "dimensions", "expected at least one dimension");
    }
    let dimension_nodes = tree
        .get("dimensions")
        .and_then(Node::items)
        .unwrap_or_default();
    let mut dimensions: Vec<Dimension> = Vec::new();
    for (idx, (dimension, node)) in spec.dimensions.iter().zip(dimension_nodes).enumerate() {
        let read = read_dimension(&ck, &base, &shapes, dimension, node, idx)?;
        if dimensions.iter().any(|d| d.name == read.name) {
            return ck.at(
                &dimension.name,
                format!("dimensions[{idx}].name"),
                format!("two dimensions are called {:?}", read.name),
            );
        }
        dimensions.push(read);
    }
    let has_quota = dimensions
        .iter()
        .any(|d| matches!(d.kind, DimensionKind::Quota { .. }));
    for dimension in &mut dimensions {
        if let DimensionKind::Quota {
            namespace,
            resource,
        } = &dimension.kind
        {
            // Before the plan switches the scenario to federated quota.
            let n_clusters = base.names.clusters.len() as u64;
            dimension.today = quota_today(&base.tree, namespace, resource, n_clusters);
        }
    }
    if has_quota {
        // Quota dimensions set FederatedResourceQuotas, which apply only in federated mode.
        let mode = Patch {
            path: FieldPath::of_keys(&["quota_mode"]),
            op: PatchOp::Set,
            value: Node::plain("federated"),
        };
        mode.apply(&mut base.tree).map_err(|message| Error::Input {
            position: Position {
                file: file.to_owned(),
                line: 0,
                column: 0,
                path: "dimensions".into(),
            },
            message,
        })?;
    }
    if spec.objective.is_empty() {
        return ck.error(0, 0, "objective", "expected at least one constraint");
    }
    let constraints = spec
        .objective
        .iter()
        .enumerate()
        .map(|(idx, c)| read_constraint(&ck, &base, c, idx))
        .collect::<Result<Vec<_>, _>>()?;
    let mut conditions = Vec::new();
    for (idx, text) in spec.conditions.iter().enumerate() {
        for condition in parse_condition(&text.value, &base.names)
            .or_else(|e| ck.at(text, format!("conditions[{idx}]"), e))?
        {
            if !conditions.contains(&condition) {
                conditions.push(condition);
            }
        }
    }
    if conditions.is_empty() {
        conditions.push(Condition::Nominal);
    }
    let mut metrics = default_metrics(&base.names);
    for constraint in &constraints {
        if !metrics.contains(&constraint.metric) {
            metrics.push(constraint.metric.clone());
        }
    }
    let plan = Plan {
        file: file.to_owned(),
        base,
        seed: seed.unwrap_or_else(|| spec.seed.as_ref().map_or(0, |s| s.value)),
        replications,
        dimensions,
        constraints,
        conditions,
        decide_by,
        metrics,
    };
    // Every dimension at its largest value together must make a valid scenario under every
    // condition: the search starts there.
    let top: Vec<u64> = plan.dimensions.iter().map(|d| d.max).collect();
    for condition in &plan.conditions {
        plan.scenario(&top, condition)?;
    }
    Ok(plan)
}

/// Node shapes: pool fields and a cost per node.
fn read_shapes(
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

fn read_dimension(
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
        (
            DimensionKind::AddNodes {
                shape: add.shape.value.clone(),
                clusters,
                pool: pool.clone(),
            },
            per_value,
        )
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

fn read_constraint(
    ck: &Checker<'_>,
    base: &BaseScenario,
    spec: &ConstraintSpec,
    idx: usize,
) -> Result<Constraint, Error> {
    let field = format!("objective[{idx}]");
    let metric = MetricKey::parse(&spec.metric.value)
        .or_else(|e| ck.at(&spec.metric, format!("{field}.metric"), e))?;
    check_metric_names(&metric, &base.names)
        .or_else(|e| ck.at(&spec.metric, format!("{field}.metric"), e))?;
    let number = |text: &Text, key: &str| -> Result<f64, Error> {
        let path = format!("{field}.{key}");
        if let Ok(value) = text.value.trim().parse::<f64>() {
            if value.is_finite() {
                return Ok(value);
            }
        }
        if metric.is_seconds() {
            return Duration::parse(&text.value)
                .map(Duration::as_secs_f64)
                .or_else(|e| {
                    ck.at(
                        text,
                        path,
                        format!("{e}: expected seconds or a duration such as 2h"),
                    )
                });
        }
        ck.at(text, path, format!("{:?} is not a number", text.value))
    };
    let bound = match (&spec.at_most, &spec.at_least) {
        (Some(most), None) => Bound::AtMost(number(most, "at_most")?),
        (None, Some(least)) => Bound::AtLeast(number(least, "at_least")?),
        _ => {
            return ck.at(
                &spec.metric,
                field,
                "give exactly one of at_most or at_least",
            );
        }
    };
    let margin = match &spec.margin {
        Some(text) => {
            let margin = number(text, "margin")?;
            if margin < 0.0 {
                return ck.at(text, format!("{field}.margin"), "expected a margin ≥ 0");
            }
            margin
        }
        None => 0.0,
    };
    let steers = matches!(
        (metric.trend(), bound),
        (Trend::FallsWithCapacity, Bound::AtMost(_))
            | (Trend::RisesWithCapacity, Bound::AtLeast(_))
    );
    Ok(Constraint {
        metric,
        bound,
        margin,
        steers,
    })
}

/// What `namespace` is given of `resource` today in all clusters together, under the
/// scenario's quota mode (or the one form it gives): its duplicated quota times
/// `n_clusters`, its split quotas summed, or its federated overall quota.
fn quota_today(tree: &Node, namespace: &str, resource: &str, n_clusters: u64) -> Option<u64> {
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
    let amount = |node: &Node| -> Option<u64> {
        let text = &node.get(resource)?.scalar()?.text;
        Quantity::parse(text).ok().map(Quantity::value)
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
        "federated" => amount(node.get("overall")?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today(text: &str) -> Option<u64> {
        let tree = crate::tree::parse(text, Path::new("s.yaml")).unwrap();
        quota_today(&tree, "llm", DEFAULT_QUOTA_RESOURCE, 3)
    }

    #[test]
    fn today_is_the_quota_summed_over_clusters() {
        let forms = "namespaces:\n  - name: llm\n    quota:\n      duplicated: {requests.nvidia.com/gpu: \"160\"}\n      split: {a: {requests.nvidia.com/gpu: \"64\"}, b: {requests.nvidia.com/gpu: \"48\"}}\n      federated: {overall: {requests.nvidia.com/gpu: \"100\"}}\n";
        assert_eq!(
            today(&format!("{forms}quota_mode: duplicated\n")),
            Some(480)
        );
        assert_eq!(today(&format!("{forms}quota_mode: split\n")), Some(112));
        assert_eq!(today(&format!("{forms}quota_mode: federated\n")), Some(100));
        // Several forms and no mode: ambiguous.
        assert_eq!(today(forms), None);
        let only =
            "namespaces: [{name: llm, quota: {duplicated: {requests.nvidia.com/gpu: \"8\"}}}]\n";
        assert_eq!(today(only), Some(24));
    }
}
