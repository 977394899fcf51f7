//! The cost/objective trade-off a plan saw: every point evaluated, the objective's first
//! constraint under its worst condition against the point's cost, and the points no cheaper
//! point beats (the Pareto front), for `plan.json` and the report's figure.

use reports::{PlanFigure, PlanPoint};
use scenarios::plan::{Bound, Minimize, Plan};

use super::{Judgement, SearchResult};

/// The figure's data: at each point, the first constraint's mean and 95 % interval under the
/// condition that decides it (the one whose judged value is worst: highest for an upper bound,
/// lowest for a lower one), against the point's cost.
pub(super) fn plan_figure(plan: &Plan, result: &SearchResult) -> Option<PlanFigure> {
    let constraint = plan.constraints.first()?;
    let lower_is_better = matches!(constraint.bound, Bound::AtMost(_));
    let points: Vec<PlanPoint> = result
        .evaluated
        .iter()
        .map(|evaluation| {
            let judged = |j: &&Judgement| j.judged.unwrap_or(f64::NAN);
            let worst = evaluation
                .judgements
                .iter()
                .filter(|j| j.constraint == 0 && j.judged.is_some())
                .max_by(|a, b| {
                    let order = judged(a).total_cmp(&judged(b));
                    if lower_is_better {
                        order
                    } else {
                        order.reverse()
                    }
                });
            let estimate = worst.and_then(|j| j.estimate);
            PlanPoint {
                cost: evaluation.cost,
                mean: estimate.map_or(f64::NAN, |e| e.mean),
                ci95: estimate.and_then(|e| e.ci95),
            }
        })
        .collect();
    let front = reports::pareto_front(&points, lower_is_better);
    let cost_label = match &plan.minimize {
        Minimize::UnitCost => "cost (unit costs)".to_owned(),
        Minimize::Metric(metric) => metric.to_string(),
    };
    let condition = if plan.conditions.len() > 1 {
        "worst condition".to_owned()
    } else {
        plan.conditions[0].label()
    };
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
