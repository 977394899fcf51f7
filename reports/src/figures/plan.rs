//! A plan's figure: every point it evaluated, its cost against the objective's first metric
//! (mean and 95 % interval under the first condition), the cost/metric Pareto front, the
//! target and the recommendation.

use crate::error::Error;
use crate::figures::Figure;
use crate::figures::chart::{Chart, Interval, Line, Threshold};

/// One point a plan evaluated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlanPoint {
    /// What the point costs (the plan's objective: unit costs or a run metric's mean).
    pub cost: f64,
    /// The metric's mean over the replications.
    pub mean: f64,
    /// Its 95 % interval, when there were replications enough.
    pub ci95: Option<(f64, f64)>,
}

/// What the figure shows.
#[derive(Clone, Debug)]
pub struct PlanFigure {
    /// The metric on the y axis (`wait_p95_s`).
    pub metric: String,
    /// What the x axis counts (`cost (unit costs)`, `cost_total`).
    pub cost_label: String,
    /// The target the metric must meet, if it is the objective's.
    pub target: Option<(f64, String)>,
    /// Every point evaluated.
    pub points: Vec<PlanPoint>,
    /// Indices into `points` of the Pareto front, cheapest first.
    pub front: Vec<usize>,
    /// Index of the recommendation.
    pub recommended: Option<usize>,
}

/// The points of `points` no other point beats on both cost and metric (lower is better for
/// both when `lower_is_better`, else a higher metric is better), cheapest first; ties in cost
/// keep the better metric, ties in both the first.
pub fn pareto_front(points: &[PlanPoint], lower_is_better: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    let better = |a: f64, b: f64| if lower_is_better { a < b } else { a > b };
    order.sort_by(|&a, &b| {
        let (pa, pb) = (points[a], points[b]);
        pa.cost.total_cmp(&pb.cost).then_with(|| {
            if better(pa.mean, pb.mean) {
                std::cmp::Ordering::Less
            } else if better(pb.mean, pa.mean) {
                std::cmp::Ordering::Greater
            } else {
                a.cmp(&b)
            }
        })
    });
    let mut front: Vec<usize> = Vec::new();
    for idx in order {
        let point = points[idx];
        if !point.cost.is_finite() || !point.mean.is_finite() {
            continue;
        }
        if front
            .last()
            .is_none_or(|&last| better(point.mean, points[last].mean))
        {
            front.push(idx);
        }
    }
    front
}

/// The figure, as `figures/plan.svg` and the report's only figure.
pub(crate) fn plan_figure(input: &PlanFigure) -> Result<Figure, Error> {
    let title = format!("{} against {}", input.metric, input.cost_label);
    let mut chart = Chart::new(&title, &input.cost_label, &input.metric);
    let finite: Vec<&PlanPoint> = input
        .points
        .iter()
        .filter(|p| p.cost.is_finite() && p.mean.is_finite())
        .collect();
    let (low, high) = finite.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p.cost), hi.max(p.cost))
    });
    let pad = if high > low { (high - low) * 0.05 } else { 1.0 };
    chart.x_range = if finite.is_empty() {
        (0.0, 1.0)
    } else {
        ((low - pad).max(0.0), high + pad)
    };
    chart.lines.push(Line {
        name: "Pareto front".into(),
        points: input
            .front
            .iter()
            .map(|&idx| (input.points[idx].cost, input.points[idx].mean))
            .collect(),
        series_idx: 0,
    });
    // Legend rows for the points drawn as intervals, which the legend does not list.
    chart.lines.push(Line {
        name: "points (mean, 95 % CI)".into(),
        points: Vec::new(),
        series_idx: 1,
    });
    for (idx, point) in input.points.iter().enumerate() {
        if !point.cost.is_finite() || !point.mean.is_finite() {
            continue;
        }
        let (low, high) = point.ci95.unwrap_or((point.mean, point.mean));
        let series_idx = if Some(idx) == input.recommended { 2 } else { 1 };
        chart.intervals.push(Interval {
            x: point.cost,
            mean: point.mean,
            low: low.max(0.0),
            high,
            series_idx,
        });
    }
    if input.recommended.is_some() {
        chart.lines.push(Line {
            name: "recommendation".into(),
            points: Vec::new(),
            series_idx: 2,
        });
    }
    if let Some((y, label)) = &input.target {
        chart.thresholds.push(Threshold {
            y: *y,
            label: label.clone(),
        });
    }
    let highest_interval = chart.intervals.iter().map(|i| i.high).fold(0.0, f64::max);
    chart.fit_y(highest_interval.max(1e-9));
    Ok(Figure {
        stem: "plan".into(),
        title,
        svg: chart.render()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(cost: f64, mean: f64) -> PlanPoint {
        PlanPoint {
            cost,
            mean,
            ci95: None,
        }
    }

    #[test]
    fn the_front_keeps_points_no_cheaper_point_beats() {
        // (10, 500) is beaten by (8, 400); (12, 400) by (8, 400); (15, 100) and (20, 50)
        // improve on every cheaper point; (20, 60) ties (20, 50) in cost but waits longer.
        let points = [
            point(10.0, 500.0),
            point(8.0, 400.0),
            point(12.0, 400.0),
            point(15.0, 100.0),
            point(20.0, 60.0),
            point(20.0, 50.0),
            point(5.0, f64::NAN),
        ];
        assert_eq!(pareto_front(&points, true), vec![1, 3, 5]);
        // Higher is better (a started share): the cheapest point leads, then only gains.
        let shares = [point(1.0, 0.5), point(2.0, 0.4), point(3.0, 0.9)];
        assert_eq!(pareto_front(&shares, false), vec![0, 2]);
    }

    #[test]
    fn the_figure_draws_the_target_and_names_the_recommendation() {
        let figure = plan_figure(&PlanFigure {
            metric: "wait_p95_s".into(),
            cost_label: "cost_total".into(),
            target: Some((7200.0, "target ≤ 7200".into())),
            points: vec![point(1.0, 9000.0), point(2.0, 3000.0)],
            front: vec![0, 1],
            recommended: Some(1),
        })
        .unwrap();
        assert!(figure.svg.contains("target ≤ 7200"));
        assert!(figure.svg.contains("recommendation"));
        assert!(figure.svg.contains("Pareto front"));
    }
}
