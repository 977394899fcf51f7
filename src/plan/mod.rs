//! `fleetsim plan`: the cheapest change to a scenario (nodes added, quota set) that meets a
//! service objective under every condition, found by [`search`], and written out with the
//! evidence: the objective's value and interval at the recommendation and one step below it,
//! and every run behind them (`docs/sweeps.md`).

mod pareto;
pub mod search;

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use reports::Estimate;
use reports::{ColumnType, TableFormat, TableWriter, Value};
use scenarios::plan::{Bound, Constraint, DecideBy, DimensionKind, Minimize, Plan};
use scheduler::registry::Registry;
use serde_json::json;

pub use search::{Evaluation, Judgement, SearchResult, Status};

use crate::sweep::store::{output_error, to_json, write_atomically};
use crate::{OutputDir, RunError};

/// Everything `fleetsim plan` needs, resolved from the command line.
#[derive(Clone, Debug)]
pub struct PlanConfig {
    /// The plan file.
    pub file: PathBuf,
    /// Where results go; created whole or not at all.
    pub out: PathBuf,
    /// Overrides the plan's seed.
    pub seed: Option<u64>,
    /// Worker threads; `None`: all cores.
    pub threads: Option<usize>,
}

/// What a plan found.
pub struct PlanOutcome {
    /// How the search ended.
    pub status: Status,
    /// The recommended value per dimension, by name.
    pub recommendation: Vec<(String, u64)>,
    /// What the recommendation costs.
    pub cost: f64,
    /// The text printed and written to `recommendation.txt`.
    pub text: String,
    /// Points evaluated.
    pub n_points: usize,
    /// Runs behind them.
    pub n_runs: usize,
}

/// Loads the plan, searches, and writes `plan.json`, `recommendation.txt`, `report.html`
/// (the same text, its answer first), `points.csv`, `runs.parquet` and `run.json` into
/// `config.out`. `progress(points, runs)` is called as
/// runs finish.
pub fn run_plan(
    config: &PlanConfig,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<PlanOutcome, RunError> {
    run_plan_with(config, &Registry::shared_builtin(), progress)
}

/// [`run_plan`] with the plugins of `plugins`, which the plan's scenario may name.
pub fn run_plan_with(
    config: &PlanConfig,
    plugins: &Arc<Registry>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<PlanOutcome, RunError> {
    let started = Instant::now();
    let plan = scenarios::plan::load_plan_with(&config.file, config.seed, Arc::clone(plugins))?;
    let out = OutputDir::begin(&config.out)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads.unwrap_or(0))
        .build()
        .map_err(|e| RunError::Internal(e.to_string()))?;
    let result = search::search(&plan, &pool, progress)?;
    let n_runs: usize = result.evaluated.iter().map(|e| e.runs.len()).sum();
    let text = recommendation_text(&plan, &result);
    let dir = out.path();
    let figure = pareto::plan_figure(&plan, &result);
    let mut json = plan_json(&plan, &result);
    json["pareto_front"] = figure
        .as_ref()
        .map_or(serde_json::Value::Null, |f| pareto::front_json(&plan, f));
    write_atomically(&dir.join("plan.json"), &to_json(&json)?)?;
    write_atomically(&dir.join("recommendation.txt"), text.as_bytes())?;
    let (page, svg) = reports::plan_report(&file_name(&plan.file), &text, figure.as_ref())
        .map_err(|e| output_error(&dir.join("report.html"), e))?;
    if let Some((name, svg)) = svg {
        let figures = dir.join("figures");
        std::fs::create_dir_all(&figures).map_err(|e| output_error(&figures, e))?;
        write_atomically(&figures.join(name), svg.as_bytes())?;
    }
    write_atomically(&dir.join("report.html"), page.as_bytes())?;
    write_points(&dir.join("points.csv"), &plan, &result)?;
    write_runs(&dir.join("runs.parquet"), &plan, &result)?;
    let wall_seconds = started.elapsed().as_secs_f64();
    let log = json!({
        "threads": pool.current_num_threads(),
        "points": result.evaluated.len(),
        "runs": n_runs,
        "wall_seconds": (wall_seconds * 1000.0).round() / 1000.0,
    });
    write_atomically(&dir.join("run.json"), &to_json(&log)?)?;
    out.commit()?;
    Ok(PlanOutcome {
        status: result.status,
        recommendation: plan
            .dimensions
            .iter()
            .zip(&result.recommendation.values)
            .map(|(d, &v)| (d.name.clone(), v))
            .collect(),
        cost: result.recommendation.cost,
        text,
        n_points: result.evaluated.len(),
        n_runs,
    })
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Met => "met",
        Status::Unreachable => "unreachable",
        Status::Conflict => "conflict",
    }
}

fn judgements_json(plan: &Plan, evaluation: &Evaluation) -> serde_json::Value {
    evaluation
        .judgements
        .iter()
        .map(|j| {
            let constraint = &plan.constraints[j.constraint];
            json!({
                "constraint": constraint.describe(),
                "metric": constraint.metric.to_string(),
                "condition": plan.conditions[j.condition].label(),
                "n": j.estimate.map_or(0, |e| e.n),
                "mean": j.estimate.map(|e| e.mean),
                "sd": j.estimate.and_then(|e| e.sd),
                "ci95_low": j.estimate.and_then(|e| e.ci95).map(|c| c.0),
                "ci95_high": j.estimate.and_then(|e| e.ci95).map(|c| c.1),
                "judged": j.judged,
                "target": constraint.effective_target(),
                "met": j.met,
            })
        })
        .collect()
}

fn values_json(plan: &Plan, values: &[u64]) -> serde_json::Value {
    plan.dimensions
        .iter()
        .zip(values)
        .map(|(d, &v)| (d.name.clone(), json!(v)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// `plan.json`: the recommendation and the evidence, with no wall-clock value.
fn plan_json(plan: &Plan, result: &SearchResult) -> serde_json::Value {
    let recommendation = &result.recommendation;
    let dimensions: Vec<serde_json::Value> = plan
        .dimensions
        .iter()
        .zip(&recommendation.values)
        .map(|(d, &value)| {
            let kind = match &d.kind {
                DimensionKind::AddNodes {
                    shape, clusters, ..
                } => json!({"add_nodes": {"shape": shape, "clusters": clusters}}),
                DimensionKind::Quota {
                    namespace,
                    resource,
                } => json!({"quota": {"namespace": namespace, "resource": resource}}),
                DimensionKind::Path(path) => json!({"path": path.as_str()}),
            };
            json!({
                "name": d.name,
                "change": kind,
                "min": d.min,
                "max": d.max,
                "step": d.step,
                "unit_cost": d.unit_cost,
                "recommended": value,
                "cost": d.cost(value),
                "today": d.today,
                "saving": d.today.map(|today| today as i64 - value as i64),
            })
        })
        .collect();
    let below: Vec<serde_json::Value> = plan
        .dimensions
        .iter()
        .zip(&result.below)
        .filter_map(|(d, evaluation)| {
            let evaluation = evaluation.as_ref()?;
            Some(json!({
                "dimension": d.name,
                "values": values_json(plan, &evaluation.values),
                "cost": evaluation.cost,
                "meets_objective": evaluation.all_met,
                "objective": judgements_json(plan, evaluation),
            }))
        })
        .collect();
    json!({
        "plan": file_name(&plan.file),
        "scenario": file_name(&plan.base.file),
        "fleetsim_version": env!("CARGO_PKG_VERSION"),
        "seed": plan.seed,
        "replications": plan.replications,
        "minimize": match &plan.minimize {
            Minimize::UnitCost => "cost".to_owned(),
            Minimize::Metric(metric) => metric.to_string(),
        },
        "decide_by": match plan.decide_by {
            scenarios::plan::DecideBy::Ci95 => "ci95",
            scenarios::plan::DecideBy::Mean => "mean",
        },
        "conditions": plan.conditions.iter().map(|c| c.label()).collect::<Vec<_>>(),
        "objective": plan.constraints.iter().map(|c| c.describe()).collect::<Vec<_>>(),
        "status": status_name(result.status),
        "recommendation": {
            "values": values_json(plan, &recommendation.values),
            "cost": recommendation.cost,
            "meets_objective": recommendation.all_met,
            "objective": judgements_json(plan, recommendation),
        },
        "dimensions": dimensions,
        "one_step_below": below,
        "points_evaluated": result.evaluated.len(),
        "runs": result.evaluated.iter().map(|e| e.runs.len()).sum::<usize>(),
    })
}

/// A number for people: integers without decimals, others with one decimal (four below 10).
fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.4}")
    }
}

fn judgement_lines(out: &mut String, plan: &Plan, evaluation: &Evaluation, indent: &str) {
    for j in &evaluation.judgements {
        let constraint = &plan.constraints[j.constraint];
        let condition = plan.conditions[j.condition].label();
        let verdict = if j.met { "met" } else { "NOT met" };
        let Some(estimate) = j.estimate else {
            let _ = writeln!(
                out,
                "{indent}{} under {condition}: no value (no job of the group) → {verdict}",
                constraint.describe()
            );
            continue;
        };
        let interval = estimate.ci95.map_or_else(
            || "no interval (one replication)".to_owned(),
            |(low, high)| format!("95 % CI {} – {}", number(low), number(high)),
        );
        let _ = writeln!(
            out,
            "{indent}{} under {condition}: mean {}, {interval}; {} → {verdict}",
            constraint.describe(),
            number(estimate.mean),
            tested(plan, constraint, estimate, j)
        );
    }
}

/// What was compared with the target: `tested: upper 95 % bound 3400 ≤ 3600`.
fn tested(plan: &Plan, constraint: &Constraint, estimate: Estimate, j: &Judgement) -> String {
    let judged = j.judged.unwrap_or(estimate.mean);
    let what = match (plan.decide_by, estimate.ci95, constraint.bound) {
        (DecideBy::Ci95, Some(_), Bound::AtMost(_)) => "upper 95 % bound",
        (DecideBy::Ci95, Some(_), Bound::AtLeast(_)) => "lower 95 % bound",
        _ => "mean",
    };
    let sign = match (constraint.bound, j.met) {
        (Bound::AtMost(_), true) => "≤",
        (Bound::AtMost(_), false) => ">",
        (Bound::AtLeast(_), true) => "≥",
        (Bound::AtLeast(_), false) => "<",
    };
    format!(
        "tested: {what} {} {sign} {}",
        number(judged),
        number(constraint.effective_target())
    )
}

/// A point's cost as the answer states it: `cost 21`, or `cost_total 1234.5` when the plan
/// minimises a measured metric.
fn cost_text(plan: &Plan, cost: f64) -> String {
    match &plan.minimize {
        Minimize::UnitCost => format!("cost {}", number(cost)),
        Minimize::Metric(metric) => format!("{metric} {}", number(cost)),
    }
}

/// The answer in one sentence, the first line of the recommendation.
fn answer_sentence(plan: &Plan, result: &SearchResult, values: &[String]) -> String {
    let recommendation = &result.recommendation;
    let objective: Vec<String> = plan.constraints.iter().map(|c| c.describe()).collect();
    let objective = objective.join(" and ");
    let conditions: Vec<String> = plan.conditions.iter().map(|c| c.label()).collect();
    let judged_by = match plan.decide_by {
        DecideBy::Ci95 => {
            "the pessimistic end of each 95 % interval (upper for at most, lower for at least)"
        }
        DecideBy::Mean => "the mean",
    };
    let first_failure = || {
        recommendation
            .judgements
            .iter()
            .find(|j| !j.met)
            .map_or_else(String::new, |j| {
                let constraint = &plan.constraints[j.constraint];
                let condition = plan.conditions[j.condition].label();
                match j.estimate {
                    Some(estimate) => format!(
                        " ({} under {condition}: {})",
                        constraint.metric,
                        tested(plan, constraint, estimate, j).trim_start_matches("tested: ")
                    ),
                    None => format!(" ({} under {condition}: no value)", constraint.metric),
                }
            })
    };
    match result.status {
        Status::Met => format!(
            "Answer: {} ({}) is the cheapest change that meets {objective} under every condition ({}), judged by {judged_by}.",
            values.join(", "),
            cost_text(plan, recommendation.cost),
            conditions.join(", ")
        ),
        Status::Unreachable => format!(
            "Answer: nothing within the dimensions' ranges meets {objective} under every condition: even {} ({}) does not{}.",
            values.join(", "),
            cost_text(plan, recommendation.cost),
            first_failure()
        ),
        Status::Conflict => format!(
            "Answer: no point meets {objective} together: {} ({}) meets those more capacity helps with and fails another{}.",
            values.join(", "),
            cost_text(plan, recommendation.cost),
            first_failure()
        ),
    }
}

/// The text `fleetsim plan` prints.
fn recommendation_text(plan: &Plan, result: &SearchResult) -> String {
    let mut out = String::new();
    let recommendation = &result.recommendation;
    let conditions: Vec<String> = plan.conditions.iter().map(|c| c.label()).collect();
    let values: Vec<String> = plan
        .dimensions
        .iter()
        .zip(&recommendation.values)
        .map(|(d, v)| format!("{} = {v}", d.name))
        .collect();
    let _ = writeln!(out, "{}", answer_sentence(plan, result, &values));
    let _ = writeln!(
        out,
        "plan {} on {}: {} replications per condition, conditions: {}",
        file_name(&plan.file),
        file_name(&plan.base.file),
        plan.replications,
        conditions.join(", ")
    );
    match result.status {
        Status::Met => {
            let _ = writeln!(
                out,
                "recommendation ({}): {}",
                cost_text(plan, recommendation.cost),
                values.join(", ")
            );
        }
        Status::Unreachable => {
            let _ = writeln!(
                out,
                "no point meets the objective: even {} ({}) does not",
                values.join(", "),
                cost_text(plan, recommendation.cost)
            );
        }
        Status::Conflict => {
            let _ = writeln!(
                out,
                "no point meets every constraint: {} ({}) is the cheapest that meets those more capacity helps with, and fails the others, which more capacity cannot fix",
                values.join(", "),
                cost_text(plan, recommendation.cost)
            );
        }
    }
    if let Minimize::Metric(metric) = &plan.minimize {
        let _ = writeln!(
            out,
            "cost: {metric}, the mean of the runs under {}; search: the frontier walk (for every combination of the other dimensions, the lowest {} that meets the objective, by bisection), cheapest frontier point recommended",
            conditions[0],
            plan.dimensions.last().map_or("", |d| d.name.as_str()),
        );
    }
    let quota_rows: Vec<(&str, u64, u64)> = plan
        .dimensions
        .iter()
        .zip(&recommendation.values)
        .filter_map(|(d, &value)| match (&d.kind, d.today) {
            (DimensionKind::Quota { namespace, .. }, Some(today)) => {
                Some((namespace.as_str(), value, today))
            }
            _ => None,
        })
        .collect();
    if !quota_rows.is_empty() {
        let _ = writeln!(out, "quota needed against what each namespace has today:");
        let _ = writeln!(out, "  namespace      needed    today   saving");
        let (mut needed_total, mut today_total) = (0, 0);
        for (namespace, needed, today) in &quota_rows {
            let _ = writeln!(
                out,
                "  {namespace:<12} {needed:>8} {today:>8} {:>8}",
                *today as i64 - *needed as i64
            );
            needed_total += needed;
            today_total += today;
        }
        let _ = writeln!(
            out,
            "  {:<12} {needed_total:>8} {today_total:>8} {:>8}",
            "total",
            today_total as i64 - needed_total as i64
        );
    }
    let _ = writeln!(out, "objective at the recommendation:");
    judgement_lines(&mut out, plan, recommendation, "  ");
    for (dimension, below) in plan.dimensions.iter().zip(&result.below) {
        let Some(below) = below else {
            continue;
        };
        let value = below.values[plan
            .dimensions
            .iter()
            .position(|d| d.name == dimension.name)
            .expect("a dimension of the plan")];
        let _ = writeln!(
            out,
            "one step below, {} = {value} ({}):",
            dimension.name,
            if below.all_met {
                "also meets the objective"
            } else {
                "does not meet the objective"
            }
        );
        judgement_lines(&mut out, plan, below, "  ");
    }
    let _ = writeln!(
        out,
        "{} points evaluated, {} runs",
        result.evaluated.len(),
        result.evaluated.iter().map(|e| e.runs.len()).sum::<usize>()
    );
    out
}

/// The columns that name a point: its order of evaluation and the dimensions' values.
fn point_columns(plan: &Plan) -> Vec<(String, ColumnType)> {
    let mut columns = vec![("point".to_owned(), ColumnType::Count)];
    columns.extend(
        plan.dimensions
            .iter()
            .map(|d| (d.name.clone(), ColumnType::Count)),
    );
    columns
}

fn table_error(path: &Path) -> impl Fn(reports::Error) -> RunError + '_ {
    move |e| output_error(path, e)
}

/// `points.csv`: every point evaluated, with the judged value of each constraint under each
/// condition.
fn write_points(path: &Path, plan: &Plan, result: &SearchResult) -> Result<(), RunError> {
    let mut columns = point_columns(plan);
    columns.push(("cost".to_owned(), ColumnType::Float));
    columns.push(("meets_objective".to_owned(), ColumnType::Text));
    for constraint in &plan.constraints {
        for condition in &plan.conditions {
            columns.push((
                format!("{} [{}]", constraint.metric, condition.label()),
                ColumnType::Float,
            ));
        }
    }
    let mut table =
        TableWriter::create(path, &columns, TableFormat::Csv).map_err(table_error(path))?;
    for evaluation in &result.evaluated {
        let mut row = vec![Value::Count(evaluation.point as u64)];
        row.extend(evaluation.values.iter().map(|&v| Value::Count(v)));
        row.push(Value::Float(evaluation.cost));
        row.push(Value::Text(evaluation.all_met.to_string()));
        row.extend(
            evaluation
                .judgements
                .iter()
                .map(|j| j.judged.map_or(Value::Null, Value::Float)),
        );
        table.write(&row).map_err(table_error(path))?;
    }
    table.finish().map_err(table_error(path))
}

/// `runs.parquet`: every run behind every point.
fn write_runs(path: &Path, plan: &Plan, result: &SearchResult) -> Result<(), RunError> {
    let mut columns = point_columns(plan);
    columns.push(("condition".to_owned(), ColumnType::Text));
    columns.push(("replication".to_owned(), ColumnType::Count));
    columns.push(("seed".to_owned(), ColumnType::Count));
    columns.extend(
        plan.metrics
            .iter()
            .map(|m| (m.to_string(), ColumnType::Float)),
    );
    let mut table =
        TableWriter::create(path, &columns, TableFormat::Parquet).map_err(table_error(path))?;
    for evaluation in &result.evaluated {
        for run in &evaluation.runs {
            let mut row = vec![Value::Count(evaluation.point as u64)];
            row.extend(evaluation.values.iter().map(|&v| Value::Count(v)));
            row.push(Value::Text(plan.conditions[run.condition].label()));
            row.push(Value::Count(u64::from(run.replication)));
            row.push(Value::Count(run.seed));
            row.extend(
                run.metrics
                    .iter()
                    .map(|v| v.map_or(Value::Null, Value::Float)),
            );
            table.write(&row).map_err(table_error(path))?;
        }
    }
    table.finish().map_err(table_error(path))
}
