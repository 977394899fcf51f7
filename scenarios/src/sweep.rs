//! Sweep files: a base scenario and axes of changes to it; every combination of one value per
//! axis is a cell, and every cell runs a number of replications (`docs/sweeps.md`).
//!
//! An axis is a field path with a list or a range of values, a list of named variants (sets
//! of changes), or a list of conditions (nominal, clusters lost). Every value of every axis is
//! applied to the base and validated when the file is read, so a sweep never starts on a value
//! that cannot run.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use scheduler::registry::Registry;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_saphyr::Spanned;
use sim_core::model::WorldNames;

use crate::check::Checker;
use crate::error::{Error, Position};
use crate::metric::{Group, MetricKey, MetricKind};
use crate::patch::{FieldPath, Patch, PatchOp};
use crate::plan::{Constraint, ConstraintSpec, read_constraint};
use crate::spec::Text;
use crate::tree::{Node, NodeKind, Number};
use crate::validate::Scenario;
use crate::variant::{
    BaseScenario, Condition, PlacedPatch, StudyFile, load_base, parse_condition, patches_of,
    read_study_file, read_text, replications,
};

/// Most cells a sweep may have.
pub const MAX_CELLS: usize = 10_000_000;

/// Table columns that are not axes; an axis may not take these names (nor a metric's).
pub const RESERVED_COLUMNS: [&str; 9] = [
    "cell",
    "replication",
    "seed",
    "metric",
    "n",
    "mean",
    "sd",
    "ci95_low",
    "ci95_high",
];

/// Most values one range may give.
const MAX_RANGE_VALUES: usize = 100_000;

/// The sweep file as written; raw values (`values`, `set`) are read from the file's tree.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// The base scenario, relative to the sweep file.
    pub scenario: Text,
    /// The sweep's seed; replication seeds derive from it (default 0).
    #[serde(default)]
    pub seed: Option<Spanned<u64>>,
    /// Runs per cell (default 3).
    #[serde(default)]
    pub replications: Option<Spanned<u32>>,
    /// Changes made to the base for every cell: `{path: value}`.
    #[serde(default)]
    pub set: Option<IgnoredAny>,
    /// Metrics tabulated beyond the default ones.
    #[serde(default)]
    pub metrics: Vec<Text>,
    /// Metrics the report draws against each axis (default: p95 waiting time and GPU
    /// utilization).
    #[serde(default)]
    pub report: Vec<Text>,
    /// The axes.
    #[serde(default)]
    pub axes: Vec<AxisSpec>,
    /// What the sweep asks: constraints shaped as a plan's `objective` entries. The report
    /// opens with which cells meet them and draws each target on its metric's figures.
    #[serde(default)]
    pub target: Vec<ConstraintSpec>,
}

/// One axis as written: exactly one of `values`, `variants` or `conditions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AxisSpec {
    /// The axis name (default: its path, `variant` or `condition`).
    pub name: Option<Text>,
    /// The field the values go to.
    pub path: Option<Text>,
    /// Several fields that all take each value.
    #[serde(default)]
    pub paths: Vec<Text>,
    /// `set` (default), `add`, `scale` or `append`.
    pub op: Option<Text>,
    /// A list of values or a range `{from, to, step}`.
    pub values: Option<IgnoredAny>,
    /// Named sets of changes.
    pub variants: Option<Vec<VariantSpec>>,
    /// Conditions: `nominal`, `each_single_cluster_loss`, `lose NAME...`.
    pub conditions: Option<Vec<Text>>,
}

/// A named set of changes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantSpec {
    /// The variant's label.
    pub name: Text,
    /// `{path: value}` to set.
    pub set: Option<IgnoredAny>,
    /// `{path: number}` to add.
    pub add: Option<IgnoredAny>,
    /// `{path: factor}` to multiply by.
    pub scale: Option<IgnoredAny>,
    /// `{path: item}` to append.
    pub append: Option<IgnoredAny>,
}

/// A validated sweep.
#[derive(Clone, Debug)]
pub struct Sweep {
    /// The sweep file.
    pub file: PathBuf,
    /// Its text, for the fingerprint.
    pub text: String,
    /// The base scenario with the common changes.
    pub base: BaseScenario,
    /// Seed of the replication seeds.
    pub seed: u64,
    /// Runs per cell.
    pub replications: u32,
    /// The axes, in file order; the first varies slowest in cell order.
    pub axes: Vec<Axis>,
    /// Metrics tabulated, in column order.
    pub metrics: Vec<MetricKey>,
    /// Metrics the report draws.
    pub report_metrics: Vec<MetricKey>,
    /// What the sweep asks (its `target`); the report answers it.
    pub targets: Vec<Constraint>,
}

/// One axis.
#[derive(Clone, Debug)]
pub struct Axis {
    /// Its name (a column of the tables).
    pub name: String,
    /// Its values, in file order.
    pub values: Vec<AxisValue>,
}

/// One value of an axis: a label, the changes it makes and the condition it runs under.
#[derive(Clone, Debug)]
pub struct AxisValue {
    /// The value's label in tables and figures.
    pub label: String,
    /// The value as a number, when it is one (for figures).
    pub number: Option<f64>,
    /// The changes.
    pub patches: Vec<PlacedPatch>,
    /// A condition axis's condition.
    pub condition: Option<Condition>,
    /// Where the value was written.
    pub origin: Position,
}

impl Sweep {
    /// Number of cells: the product of the axes' lengths (1 without axes).
    pub fn n_cells(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    /// Number of runs: cells × replications.
    pub fn n_runs(&self) -> usize {
        self.n_cells() * self.replications as usize
    }

    /// The value index per axis of cell `cell_idx`; the last axis varies fastest.
    pub fn cell_values(&self, cell_idx: usize) -> Vec<usize> {
        let mut rest = cell_idx;
        let mut values = vec![0; self.axes.len()];
        for (axis_idx, axis) in self.axes.iter().enumerate().rev() {
            values[axis_idx] = rest % axis.values.len();
            rest /= axis.values.len();
        }
        values
    }

    /// The labels of cell `cell_idx`, one per axis.
    pub fn cell_labels(&self, cell_idx: usize) -> Vec<String> {
        self.cell_values(cell_idx)
            .iter()
            .zip(&self.axes)
            .map(|(&value_idx, axis)| axis.values[value_idx].label.clone())
            .collect()
    }

    /// The validated scenario of cell `cell_idx`. Each value was checked alone when the sweep
    /// was read; a combination can still be invalid, and the error then names the cell.
    pub fn cell_scenario(&self, cell_idx: usize) -> Result<Scenario, Error> {
        let values: Vec<&AxisValue> = self
            .cell_values(cell_idx)
            .iter()
            .zip(&self.axes)
            .map(|(&value_idx, axis)| &axis.values[value_idx])
            .collect();
        let patches: Vec<&PlacedPatch> = values.iter().flat_map(|v| &v.patches).collect();
        let mut conditions = values.iter().filter_map(|v| v.condition.as_ref());
        let condition = match (conditions.next(), conditions.next()) {
            (Some(first), None) => first.clone(),
            (None, _) => Condition::Nominal,
            (Some(first), Some(second)) => merge_conditions(first, second),
        };
        let origin = Position {
            file: self.file.clone(),
            line: 0,
            column: 0,
            path: format!(
                "cell {cell_idx} ({})",
                self.cell_labels(cell_idx).join(", ")
            ),
        };
        self.base.variant(&patches, &condition, &origin)
    }
}

fn merge_conditions(first: &Condition, second: &Condition) -> Condition {
    match (first, second) {
        (Condition::Loss(a), Condition::Loss(b)) => {
            let mut lost: Vec<String> = a.iter().chain(b).cloned().collect();
            lost.sort();
            lost.dedup();
            Condition::Loss(lost)
        }
        (Condition::Nominal, other) | (other, Condition::Nominal) => other.clone(),
    }
}

/// The metrics every sweep tabulates, before any the file adds: overall ones, then p95 waiting
/// per priority class and per namespace of the base.
pub fn default_metrics(names: &WorldNames) -> Vec<MetricKey> {
    let overall = [
        MetricKind::GpuUtilization,
        MetricKind::JobsSubmitted,
        MetricKind::JobsCompleted,
        MetricKind::JobsNotStarted,
        MetricKind::WaitMean,
        MetricKind::WaitP50,
        MetricKind::WaitP95,
        MetricKind::WaitP99,
        MetricKind::JctMean,
        MetricKind::GpuHours,
        MetricKind::LostGpuHours,
        MetricKind::Evictions,
        MetricKind::Preemptions,
    ];
    let mut metrics: Vec<MetricKey> = overall
        .iter()
        .map(|&kind| MetricKey::new(kind, Group::All, None))
        .collect();
    for class in &names.priority_classes {
        metrics.push(MetricKey::new(
            MetricKind::WaitP95,
            Group::PriorityClass(class.clone()),
            None,
        ));
    }
    for namespace in &names.namespaces {
        metrics.push(MetricKey::new(
            MetricKind::WaitP95,
            Group::Namespace(namespace.clone()),
            None,
        ));
    }
    metrics
}

/// Checks that a metric's group names something the base declares.
pub(crate) fn check_metric_names(key: &MetricKey, names: &WorldNames) -> Result<(), String> {
    let (what, name, known) = match &key.group {
        Group::All => return Ok(()),
        Group::PriorityClass(n) => ("priority class", n, &names.priority_classes),
        Group::Namespace(n) => ("namespace", n, &names.namespaces),
        Group::Cluster(n) => ("cluster", n, &names.clusters),
        Group::GpuModel(n) => ("GPU model", n, &names.gpu_models),
    };
    if known.contains(name) {
        Ok(())
    } else {
        Err(format!(
            "no {what} {name:?} in the scenario; it has {}",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        ))
    }
}

/// Reads metric names, checked against the base.
pub(crate) fn metric_list(
    ck: &Checker<'_>,
    texts: &[Text],
    field: &str,
    names: &WorldNames,
) -> Result<Vec<MetricKey>, Error> {
    texts
        .iter()
        .enumerate()
        .map(|(idx, text)| {
            let path = format!("{field}[{idx}]");
            let key = MetricKey::parse(&text.value).or_else(|e| ck.at(text, &path, e))?;
            check_metric_names(&key, names).or_else(|e| ck.at(text, &path, e))?;
            Ok(key)
        })
        .collect()
}

/// Reads and checks a sweep file; `seed` overrides the file's.
pub fn load_sweep(file: &Path, seed: Option<u64>) -> Result<Sweep, Error> {
    load_sweep_with(file, seed, Registry::shared_builtin())
}

/// [`load_sweep`] with plugin names checked against `plugins`, which its runs then use.
pub fn load_sweep_with(
    file: &Path,
    seed: Option<u64>,
    plugins: Arc<Registry>,
) -> Result<Sweep, Error> {
    let text = read_text(file)?;
    load_sweep_str_with(&text, file, seed, plugins)
}

/// Parses and checks sweep text as if read from `file`: `file` names it in errors, and the
/// base scenario is resolved against its folder; `seed` overrides the file's.
pub fn load_sweep_str(text: &str, file: &Path, seed: Option<u64>) -> Result<Sweep, Error> {
    load_sweep_str_with(text, file, seed, Registry::shared_builtin())
}

/// [`load_sweep_str`] against `plugins`, as [`load_sweep_with`].
pub fn load_sweep_str_with(
    text: &str,
    file: &Path,
    seed: Option<u64>,
    plugins: Arc<Registry>,
) -> Result<Sweep, Error> {
    let StudyFile { text, spec, tree } = read_study_file::<SweepSpec>(text, file)?;
    let ck = Checker {
        file,
        line_offset: 0,
    };
    let base = load_base(&ck, file, &spec.scenario, &tree, &plugins)?;
    let replications = replications(&ck, spec.replications.as_ref(), 3)?;
    let mut metrics = default_metrics(&base.names);
    for key in metric_list(&ck, &spec.metrics, "metrics", &base.names)? {
        if !metrics.contains(&key) {
            metrics.push(key);
        }
    }
    let mut report_metrics = metric_list(&ck, &spec.report, "report", &base.names)?;
    if report_metrics.is_empty() {
        report_metrics = vec![
            MetricKey::new(MetricKind::WaitP95, Group::All, None),
            MetricKey::new(MetricKind::GpuUtilization, Group::All, None),
        ];
    }
    let targets = spec
        .target
        .iter()
        .enumerate()
        .map(|(idx, c)| read_constraint(&ck, &base.names, c, format!("target[{idx}]")))
        .collect::<Result<Vec<_>, _>>()?;
    for target in &targets {
        if !report_metrics.contains(&target.metric) {
            report_metrics.push(target.metric.clone());
        }
    }
    for key in &report_metrics {
        if !metrics.contains(key) {
            metrics.push(key.clone());
        }
    }
    let axis_nodes = tree.get("axes").and_then(Node::items).unwrap_or_default();
    let mut axes: Vec<Axis> = Vec::new();
    for (axis_idx, (axis_spec, axis_node)) in spec.axes.iter().zip(axis_nodes).enumerate() {
        let axis = read_axis(&ck, &base, axis_spec, axis_node, axis_idx)?;
        let taken = RESERVED_COLUMNS.contains(&axis.name.as_str())
            || metrics.iter().any(|m| m.to_string() == axis.name);
        if taken {
            return ck.error(
                axis_node.line,
                axis_node.column,
                format!("axes[{axis_idx}].name"),
                format!(
                    "{:?} is a column of the tables already; give the axis another name",
                    axis.name
                ),
            );
        }
        if let Some(other) = axes.iter().find(|a| a.name == axis.name) {
            return ck.error(
                axis_node.line,
                axis_node.column,
                format!("axes[{axis_idx}].name"),
                format!("two axes are called {:?}; give one a name", other.name),
            );
        }
        axes.push(axis);
    }
    let n_cells = axes
        .iter()
        .try_fold(1usize, |n, a| n.checked_mul(a.values.len()))
        .filter(|&n| n <= MAX_CELLS);
    if n_cells.is_none() {
        return ck.error(0, 0, "axes", format!("more than {MAX_CELLS} cells"));
    }
    Ok(Sweep {
        file: file.to_owned(),
        text,
        base,
        seed: seed.unwrap_or_else(|| spec.seed.as_ref().map_or(0, |s| s.value)),
        replications,
        axes,
        metrics,
        report_metrics,
        targets,
    })
}

fn read_axis(
    ck: &Checker<'_>,
    base: &BaseScenario,
    spec: &AxisSpec,
    node: &Node,
    axis_idx: usize,
) -> Result<Axis, Error> {
    let field = format!("axes[{axis_idx}]");
    let mut paths: Vec<&Text> = spec.paths.iter().collect();
    if let Some(path) = &spec.path {
        paths.insert(0, path);
    }
    let kinds = [
        spec.values.is_some(),
        spec.variants.is_some(),
        spec.conditions.is_some(),
    ];
    if kinds.iter().filter(|&&k| k).count() != 1 {
        return ck.error(
            node.line,
            node.column,
            field,
            "give exactly one of values (with path), variants or conditions",
        );
    }
    if spec.values.is_some() == paths.is_empty() {
        return ck.error(
            node.line,
            node.column,
            field,
            "values go with path (or paths), and path only with values",
        );
    }
    let op = match &spec.op {
        None => PatchOp::Set,
        Some(text) if spec.values.is_none() => {
            return ck.at(text, format!("{field}.op"), "op goes with path and values");
        }
        Some(text) => PatchOp::by_name(&text.value).map_or_else(
            || {
                ck.at(
                    text,
                    format!("{field}.op"),
                    format!(
                        "unknown op {:?}; expected {}",
                        text.value,
                        PatchOp::NAMES.join(", ")
                    ),
                )
            },
            Ok,
        )?,
    };
    let (default_name, values) = if let Some(values_node) = node.get("values") {
        patched_values(ck, spec, values_node, &paths, op, &field)?
    } else if let Some(variants) = &spec.variants {
        variant_values(ck, node, variants, &field)?
    } else {
        condition_values(ck, base, spec, &field)?
    };
    if values.is_empty() {
        return ck.error(node.line, node.column, field, "the axis has no values");
    }
    for (idx, value) in values.iter().enumerate() {
        if values[..idx].iter().any(|v| v.label == value.label) {
            return Err(Error::Input {
                position: value.origin.clone(),
                message: format!("the axis has two values labelled {:?}", value.label),
            });
        }
        // Each value alone must make a valid scenario: this catches a wrong type or a bad
        // path before anything runs. A value that changes nothing is the base, valid already.
        let patches: Vec<&PlacedPatch> = value.patches.iter().collect();
        let condition = value.condition.clone().unwrap_or(Condition::Nominal);
        if !patches.is_empty() || condition != Condition::Nominal {
            base.variant(&patches, &condition, &value.origin)?;
        }
    }
    let name = spec.name.as_ref().map_or(default_name, |n| n.value.clone());
    Ok(Axis { name, values })
}

/// The values of a `values` axis, each setting the axis's paths.
fn patched_values(
    ck: &Checker<'_>,
    spec: &AxisSpec,
    values_node: &Node,
    paths: &[&Text],
    op: PatchOp,
    field: &str,
) -> Result<(String, Vec<AxisValue>), Error> {
    let mut field_paths = Vec::new();
    for (idx, text) in paths.iter().enumerate() {
        let at = if spec.path.is_some() && idx == 0 {
            format!("{field}.path")
        } else {
            format!("{field}.paths[{}]", idx - usize::from(spec.path.is_some()))
        };
        let path = FieldPath::parse(&text.value).or_else(|e| ck.at(text, &at, e))?;
        // A path that selects nothing is the path's fault, whatever the value.
        let path_origin = Position {
            file: ck.file.to_owned(),
            line: text.referenced.line(),
            column: text.referenced.column(),
            path: at,
        };
        field_paths.push((path, path_origin));
    }
    let values = raw_values(ck, values_node, &format!("{field}.values"))?;
    let values = values
        .into_iter()
        .map(|(value, origin)| {
            let patches = field_paths
                .iter()
                .map(|(path, path_origin)| PlacedPatch {
                    patch: Patch {
                        path: path.clone(),
                        op,
                        value: value.clone(),
                    },
                    origin: path_origin.clone(),
                })
                .collect();
            let number = value.scalar().and_then(|s| s.number()).map(Number::as_f64);
            AxisValue {
                label: label_of(&value),
                number,
                patches,
                condition: None,
                origin,
            }
        })
        .collect();
    Ok((paths[0].value.clone(), values))
}

/// The values of a `variants` axis, each a named set of changes.
fn variant_values(
    ck: &Checker<'_>,
    node: &Node,
    variants: &[VariantSpec],
    field: &str,
) -> Result<(String, Vec<AxisValue>), Error> {
    let position = |node: &Node, path: String| Position {
        file: ck.file.to_owned(),
        line: node.line,
        column: node.column,
        path,
    };
    let variant_nodes = node
        .get("variants")
        .and_then(Node::items)
        .unwrap_or_default();
    let mut values = Vec::new();
    for (idx, (variant, variant_node)) in variants.iter().zip(variant_nodes).enumerate() {
        let path = format!("{field}.variants[{idx}]");
        let mut patches = Vec::new();
        for (key, op) in [
            ("set", PatchOp::Set),
            ("add", PatchOp::Add),
            ("scale", PatchOp::Scale),
            ("append", PatchOp::Append),
        ] {
            if let Some(changes) = variant_node.get(key) {
                patches.extend(patches_of(changes, op, ck.file, &format!("{path}.{key}"))?);
            }
        }
        values.push(AxisValue {
            label: variant.name.value.clone(),
            number: None,
            patches,
            condition: None,
            origin: position(variant_node, path),
        });
    }
    Ok(("variant".to_owned(), values))
}

/// The values of a `conditions` axis, each condition expanded.
fn condition_values(
    ck: &Checker<'_>,
    base: &BaseScenario,
    spec: &AxisSpec,
    field: &str,
) -> Result<(String, Vec<AxisValue>), Error> {
    let conditions = spec.conditions.as_deref().unwrap_or_default();
    let mut values = Vec::new();
    for (idx, text) in conditions.iter().enumerate() {
        let path = format!("{field}.conditions[{idx}]");
        let expanded =
            parse_condition(&text.value, &base.names).or_else(|e| ck.at(text, &path, e))?;
        for condition in expanded {
            values.push(AxisValue {
                label: condition.label(),
                number: None,
                patches: Vec::new(),
                condition: Some(condition),
                origin: Position {
                    file: ck.file.to_owned(),
                    line: text.referenced.line(),
                    column: text.referenced.column(),
                    path: path.clone(),
                },
            });
        }
    }
    Ok(("condition".to_owned(), values))
}

/// A value's label: a scalar's text, anything else in one-line flow YAML.
fn label_of(value: &Node) -> String {
    match value.scalar() {
        Some(scalar) => scalar.text.clone(),
        None => value.flow_text(),
    }
}

/// The values of a `values:` node: a list, or a range `{from, to, step}`.
fn raw_values(ck: &Checker<'_>, node: &Node, field: &str) -> Result<Vec<(Node, Position)>, Error> {
    let position = |node: &Node, path: String| Position {
        file: ck.file.to_owned(),
        line: node.line,
        column: node.column,
        path,
    };
    match &node.kind {
        NodeKind::Sequence(items) => Ok(items
            .iter()
            .enumerate()
            .map(|(idx, item)| (item.clone(), position(item, format!("{field}[{idx}]"))))
            .collect()),
        NodeKind::Mapping(entries) => {
            let bound = |key: &str| -> Result<Option<Number>, Error> {
                let Some(value) = node.get(key) else {
                    return Ok(None);
                };
                match value.scalar().and_then(|s| s.number()) {
                    Some(number) => Ok(Some(number)),
                    None => ck.error(
                        value.line,
                        value.column,
                        format!("{field}.{key}"),
                        format!("expected a number, got {}", value.flow_text()),
                    ),
                }
            };
            if let Some(entry) = entries
                .iter()
                .find(|e| !matches!(e.key.text.as_str(), "from" | "to" | "step"))
            {
                return ck.error(
                    entry.line,
                    entry.column,
                    format!("{field}.{}", entry.key.text),
                    "unknown field; a range has from, to and step",
                );
            }
            let (Some(from), Some(to)) = (bound("from")?, bound("to")?) else {
                return ck.error(
                    node.line,
                    node.column,
                    field,
                    "a range needs from and to (and optionally step, default 1)",
                );
            };
            let step = bound("step")?.unwrap_or(Number::Int(1));
            let numbers = range(from, to, step).map_err(|message| Error::Input {
                position: position(node, field.to_owned()),
                message,
            })?;
            Ok(numbers
                .into_iter()
                .map(|n| {
                    let mut value = Node::plain(n.text());
                    value.line = node.line;
                    value.column = node.column;
                    (value, position(node, field.to_owned()))
                })
                .collect())
        }
        NodeKind::Scalar(_) => ck.error(
            node.line,
            node.column,
            field,
            "expected a list of values or a range {from, to, step}",
        ),
    }
}

/// The numbers from `from` to `to` (inclusive, when a step lands on it) by `step`.
fn range(from: Number, to: Number, step: Number) -> Result<Vec<Number>, String> {
    if [from, to, step].iter().any(|n| !n.as_f64().is_finite()) {
        return Err("from, to and step must be finite numbers".into());
    }
    if step.as_f64() <= 0.0 {
        return Err("step must be greater than 0".into());
    }
    if to.as_f64() < from.as_f64() {
        return Err("to must not be below from".into());
    }
    match (from, to, step) {
        (Number::Int(from), Number::Int(to), Number::Int(step)) => {
            // In i128: the span of two i64 can pass i64::MAX.
            let n_values = (i128::from(to) - i128::from(from)) / i128::from(step) + 1;
            if n_values > MAX_RANGE_VALUES as i128 {
                return Err(format!("more than {MAX_RANGE_VALUES} values"));
            }
            let n_values = n_values as usize;
            Ok((0..n_values as i64)
                .map(|k| Number::Int(from + k * step))
                .collect())
        }
        _ => {
            let (from, to, step) = (from.as_f64(), to.as_f64(), step.as_f64());
            // A hair of slack, so 0.1 to 0.3 by 0.1 includes 0.3.
            let steps = ((to - from) / step + 1e-9).floor();
            // Also catches a span too wide for f64 (infinite) before the cast.
            if steps >= MAX_RANGE_VALUES as f64 {
                return Err(format!("more than {MAX_RANGE_VALUES} values"));
            }
            let n_values = steps as usize + 1;
            Ok((0..n_values)
                .map(|k| Number::Float(((from + k as f64 * step) * 1e9).round() / 1e9))
                .collect())
        }
    }
}

#[cfg(test)]
#[path = "sweep_tests.rs"]
mod tests;
