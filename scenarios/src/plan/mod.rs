//! Plan files: a base scenario, what may change (nodes of a shape added to clusters, a
//! namespace's federated quota, any numeric field) with a cost, the objective (constraints on
//! metrics) and the conditions it must hold under. `fleetsim plan` searches for the cheapest
//! change that meets the objective (`docs/sweeps.md`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use scheduler::registry::Registry;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_saphyr::Spanned;
use sim_core::Duration;
use sim_core::model::WorldNames;

use crate::check::Checker;
use crate::error::{Error, Position};
use crate::metric::{MetricKey, Trend};
use crate::patch::{FieldPath, Patch, PatchOp};
use crate::spec::Text;
use crate::sweep::{check_metric_names, default_metrics};
use crate::tree::{Entry, Node};
use crate::validate::Scenario;
mod dimension;

pub use dimension::{Dimension, DimensionKind};
use dimension::{quota_today, read_dimension, read_shapes};

use crate::variant::{
    BaseScenario, Condition, PlacedPatch, StudyFile, load_base, parse_condition, read_study_file,
    read_text, replications,
};

/// Most combinations of the dimensions other than the last that a plan minimising a measured
/// cost may have: its search evaluates the frontier over all of them.
pub const MAX_FRONTIER_COMBINATIONS: u64 = 4096;

/// The quota resource a quota dimension sets unless it names another.
pub const DEFAULT_QUOTA_RESOURCE: &str = "nvidia.com/gpu";

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
    /// What the recommendation minimises: `cost` (default: the dimensions' unit costs), or a
    /// metric measured by the runs, such as the run's total cost.
    pub minimize: Option<Text>,
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
    /// The resource, as a FederatedResourceQuota names it (default `nvidia.com/gpu`).
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
    /// Metrics recorded per run: the defaults, the constrained ones and the minimised one.
    pub metrics: Vec<MetricKey>,
    /// What the recommendation minimises.
    pub minimize: Minimize,
}

/// What a plan minimises.
#[derive(Clone, Debug, PartialEq)]
pub enum Minimize {
    /// The sum over dimensions of value × unit cost, known before any run.
    UnitCost,
    /// A metric's mean over the replications under the first condition, measured at each
    /// point (the run's total cost, say): the search walks the whole frontier of points that
    /// meet the objective, since which is cheapest is known only once they ran.
    Metric(MetricKey),
}

/// How a constraint is judged from its replications.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecideBy {
    /// The pessimistic end of the 95 % confidence interval of the mean.
    Ci95,
    /// The mean.
    Mean,
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
    load_plan_with(file, seed, Registry::shared_builtin())
}

/// [`load_plan`] with plugin names checked against `plugins`, which its runs then use.
pub fn load_plan_with(
    file: &Path,
    seed: Option<u64>,
    plugins: Arc<Registry>,
) -> Result<Plan, Error> {
    let text = read_text(file)?;
    load_plan_str_with(&text, file, seed, plugins)
}

/// Parses and checks plan text as if read from `file`: `file` names it in errors, and the base
/// scenario is resolved against its folder; `seed` overrides the file's.
pub fn load_plan_str(text: &str, file: &Path, seed: Option<u64>) -> Result<Plan, Error> {
    load_plan_str_with(text, file, seed, Registry::shared_builtin())
}

/// [`load_plan_str`] against `plugins`, as [`load_plan_with`].
pub fn load_plan_str_with(
    text: &str,
    file: &Path,
    seed: Option<u64>,
    plugins: Arc<Registry>,
) -> Result<Plan, Error> {
    let StudyFile { spec, tree, .. } = read_study_file::<PlanSpec>(text, file)?;
    let ck = Checker {
        file,
        line_offset: 0,
    };
    let mut base = load_base(&ck, file, &spec.scenario, &tree, &plugins)?;
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
    let dimensions = read_dimensions(&ck, &mut base, &shapes, &spec.dimensions, &tree)?;
    if spec.objective.is_empty() {
        return ck.error(0, 0, "objective", "expected at least one constraint");
    }
    let constraints = spec
        .objective
        .iter()
        .enumerate()
        .map(|(idx, c)| read_constraint(&ck, &base.names, c, format!("objective[{idx}]")))
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
    let minimize = match &spec.minimize {
        None => Minimize::UnitCost,
        Some(text) if text.value == "cost" => Minimize::UnitCost,
        Some(text) => {
            let metric = MetricKey::parse(&text.value).or_else(|e| {
                ck.at(
                    text,
                    "minimize",
                    format!("{e}; expected cost (the dimensions' unit costs) or a metric"),
                )
            })?;
            check_metric_names(&metric, &base.names).or_else(|e| ck.at(text, "minimize", e))?;
            Minimize::Metric(metric)
        }
    };
    if let (Some(text), Minimize::Metric(_)) = (&spec.minimize, &minimize) {
        let (_, others) = dimensions.split_last().expect("at least one dimension");
        let n_combinations: u64 = others.iter().map(|d| d.n_steps() + 1).product();
        if n_combinations > MAX_FRONTIER_COMBINATIONS {
            return ck.at(
                text,
                "minimize",
                format!(
                    "a measured cost walks every combination of the dimensions but the last \
                     ({n_combinations} here, at most {MAX_FRONTIER_COMBINATIONS}): use larger \
                     steps or narrower ranges, or put the widest dimension last"
                ),
            );
        }
    }
    let mut metrics = default_metrics(&base.names);
    let minimized = match &minimize {
        Minimize::Metric(metric) => Some(metric),
        Minimize::UnitCost => None,
    };
    for metric in constraints.iter().map(|c| &c.metric).chain(minimized) {
        if !metrics.contains(metric) {
            metrics.push(metric.clone());
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
        minimize,
    };
    // Every dimension at its largest value together must make a valid scenario under every
    // condition: the search starts there.
    let top: Vec<u64> = plan.dimensions.iter().map(|d| d.max).collect();
    for condition in &plan.conditions {
        plan.scenario(&top, condition)?;
    }
    Ok(plan)
}

/// The dimensions, checked one by one against the base; with a quota dimension, the base is
/// switched to federated quota (after each quota dimension has read what it is given today).
fn read_dimensions(
    ck: &Checker<'_>,
    base: &mut BaseScenario,
    shapes: &BTreeMap<String, (Vec<Entry>, f64)>,
    specs: &[DimensionSpec],
    tree: &Node,
) -> Result<Vec<Dimension>, Error> {
    if specs.is_empty() {
        return ck.error(0, 0, "dimensions", "expected at least one dimension");
    }
    let dimension_nodes = tree
        .get("dimensions")
        .and_then(Node::items)
        .unwrap_or_default();
    let mut dimensions: Vec<Dimension> = Vec::new();
    for (idx, (dimension, node)) in specs.iter().zip(dimension_nodes).enumerate() {
        let read = read_dimension(ck, base, shapes, dimension, node, idx)?;
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
                file: ck.file.to_owned(),
                line: 0,
                column: 0,
                path: "dimensions".into(),
            },
            message,
        })?;
    }
    Ok(dimensions)
}

/// One constraint of a plan's objective or a sweep's target, checked against the base's
/// names; `field` names it in errors (`objective[0]`).
pub(crate) fn read_constraint(
    ck: &Checker<'_>,
    names: &WorldNames,
    spec: &ConstraintSpec,
    field: String,
) -> Result<Constraint, Error> {
    let metric = MetricKey::parse(&spec.metric.value)
        .or_else(|e| ck.at(&spec.metric, format!("{field}.metric"), e))?;
    check_metric_names(&metric, names)
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
