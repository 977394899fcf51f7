//! The cost/objective trade-off a plan saw: every point evaluated, the objective's first
//! constraint against the point's cost, and the points no cheaper point beats (the Pareto
//! front), for `plan.json` and the report's figure.

use reports::{PlanFigure, PlanPoint};
use scenarios::plan::{Bound, Minimize, Plan};

use super::SearchResult;

/// The figure's data: the first constraint's mean and 95 % interval under the first
/// condition at each point, against the point's cost.
pub(super) fn plan_figure(plan: &Plan, result: &SearchResult) -> Option<PlanFigure> {
    let constraint = plan.constraints.first()?;
    let points: Vec<PlanPoint> = result
        .evaluated
        .iter()
        .map(|evaluation| {
            let estimate = evaluation
                .judgements
                .iter()
                .find(|j| j.constraint == 0 && j.condition == 0)
                .and_then(|j| j.estimate);
            PlanPoint {
                cost: evaluation.cost,
                mean: estimate.map_or(f64::NAN, |e| e.mean),
                ci95: estimate.and_then(|e| e.ci95),
            }
        })
        .collect();
    let lower_is_better = matches!(constraint.bound, Bound::AtMost(_));
    let front = reports::pareto_front(&points, lower_is_better);
    let cost_label = match &plan.minimize {
        Minimize::UnitCost => "cost (unit costs)".to_owned(),
        Minimize::Metric(metric) => metric.to_string(),
    };
    let condition = plan.conditions[0].label();
    Some(PlanFigure {
        metric: format!("{} ({condition})", constraint.metric),
        cost_label,
        target: Some((
            constraint.effective_target(),
            format!("target: {}", constraint.describe()),
        )),
        points,
        front,
        recommended: Some(result.recommendation.point),
    })
}

/// `plan.json`'s `pareto_front`: the front's points, cheapest first.
pub(super) fn front_json(plan: &Plan, figure: &PlanFigure) -> serde_json::Value {
    let metric = plan
        .constraints
        .first()
        .map(|c| c.metric.to_string())
        .unwrap_or_default();
    serde_json::Value::Array(
        figure
            .front
            .iter()
            .map(|&idx| {
                let point = figure.points[idx];
                serde_json::json!({
                    "point": idx,
                    "cost": point.cost,
                    "metric": metric,
                    "mean": point.mean,
                    "ci95": point.ci95.map(|(low, high)| [low, high]),
                })
            })
            .collect(),
    )
}
