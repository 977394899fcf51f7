//! The figures of a sweep: each reported metric against each axis, the mean of the
//! replications with its 95 % confidence interval, one series per combination of the other
//! axes' values.

use std::collections::BTreeMap;
use std::path::Path;

use crate::answer::{Target, value_text};
use crate::error::Error;
use crate::figures::Figure;
use crate::figures::chart::{Chart, Interval, Line, Threshold};
use crate::figures::csv_input::CsvInput;
use crate::figures::style::time_unit;
use crate::figures::waits::LOG_SPAN;

/// Most series one figure draws; more would be unreadable.
pub(crate) const MAX_SERIES: usize = 8;

/// A sweep folder's description (`sweep.json`) and per-cell statistics (`stats.csv`).
pub(crate) struct SweepData {
    pub name: String,
    pub description: serde_json::Value,
    pub axes: Vec<AxisInfo>,
    pub report_metrics: Vec<String>,
    /// (cell, reported metric) → statistics.
    pub stats: BTreeMap<(usize, String), CellStat>,
    /// Labels per cell, one per axis, by cell index.
    pub cells: BTreeMap<usize, Vec<String>>,
    /// What the sweep asks, drawn as lines on its metrics' figures.
    pub targets: Vec<Target>,
}

/// One axis: name and value labels, with numbers when every value is one.
pub(crate) struct AxisInfo {
    pub name: String,
    pub labels: Vec<String>,
    pub numbers: Option<Vec<f64>>,
}

/// A metric's statistics in one cell.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CellStat {
    pub n: usize,
    pub mean: f64,
    pub ci95: Option<(f64, f64)>,
}

/// Reads `sweep.json` and `stats.csv` of a sweep folder.
pub(crate) fn load_sweep(dir: &Path, description: serde_json::Value) -> Result<SweepData, Error> {
    let json_path = dir.join("sweep.json");
    let bad = |message: String| Error::Input {
        path: json_path.clone(),
        message,
    };
    let axes = description["axes"]
        .as_array()
        .ok_or_else(|| bad("no axes list".into()))?
        .iter()
        .map(|axis| {
            let values = axis["values"].as_array().cloned().unwrap_or_default();
            let labels: Vec<String> = values
                .iter()
                .map(|v| v["label"].as_str().unwrap_or_default().to_owned())
                .collect();
            let numbers: Option<Vec<f64>> = values.iter().map(|v| v["number"].as_f64()).collect();
            AxisInfo {
                name: axis["name"].as_str().unwrap_or_default().to_owned(),
                labels,
                numbers,
            }
        })
        .collect::<Vec<_>>();
    let report_metrics: Vec<String> = description["report_metrics"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|m| m.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut input = CsvInput::open(&dir.join("stats.csv"))?;
    let (cell_idx, metric_idx, n_idx, mean_idx, low_idx, high_idx) = (
        input.column("cell")?,
        input.column("metric")?,
        input.column("n")?,
        input.column("mean")?,
        input.column("ci95_low")?,
        input.column("ci95_high")?,
    );
    let axis_columns = axes
        .iter()
        .map(|a| input.column(&a.name))
        .collect::<Result<Vec<_>, _>>()?;
    let mut stats = BTreeMap::new();
    let mut cells = BTreeMap::new();
    input.for_each_row(|row| {
        let cell = row.number(cell_idx)?.unwrap_or(0.0) as usize;
        cells.entry(cell).or_insert_with(|| {
            axis_columns
                .iter()
                .map(|&c| row.text(c).to_owned())
                .collect()
        });
        // Only what the report shows is kept: memory grows with the cells, not with every
        // metric of every cell.
        let metric = row.text(metric_idx);
        if !report_metrics.iter().any(|m| m.as_str() == metric) {
            return Ok(());
        }
        let Some(mean) = row.number(mean_idx)? else {
            return Ok(());
        };
        let ci95 = match (row.number(low_idx)?, row.number(high_idx)?) {
            (Some(low), Some(high)) => Some((low, high)),
            _ => None,
        };
        stats.insert(
            (cell, metric.to_owned()),
            CellStat {
                n: row.number(n_idx)?.unwrap_or(0.0) as usize,
                mean,
                ci95,
            },
        );
        Ok(())
    })?;
    Ok(SweepData {
        name: description["sweep"].as_str().unwrap_or("sweep").to_owned(),
        targets: Target::list(&description),
        description,
        axes,
        report_metrics,
        stats,
        cells,
    })
}

/// One figure per reported metric and axis.
pub(crate) fn sweep_figures(data: &SweepData) -> Result<Vec<Figure>, Error> {
    let mut figures = Vec::new();
    for metric in &data.report_metrics {
        for (axis_idx, axis) in data.axes.iter().enumerate() {
            figures.push(metric_against_axis(data, metric, axis_idx, axis)?);
        }
    }
    Ok(figures)
}

fn metric_against_axis(
    data: &SweepData,
    metric: &str,
    axis_idx: usize,
    axis: &AxisInfo,
) -> Result<Figure, Error> {
    let (chart, title) = metric_chart(data, metric, axis_idx, axis);
    Ok(Figure {
        stem: format!(
            "{}-by-{}",
            super::experiment::file_safe(metric),
            super::experiment::file_safe(&axis.name)
        ),
        title,
        svg: chart.render()?,
    })
}

/// The chart of `metric` against one axis, and its caption.
fn metric_chart(
    data: &SweepData,
    metric: &str,
    axis_idx: usize,
    axis: &AxisInfo,
) -> (Chart, String) {
    let (series, order) = series_along(data, metric, axis_idx, axis);
    let n_series = order.len();
    let shown = &order[..n_series.min(MAX_SERIES)];
    let other_names: Vec<&str> = data
        .axes
        .iter()
        .enumerate()
        .filter(|(idx, _)| *idx != axis_idx)
        .map(|(_, a)| a.name.as_str())
        .collect();
    // Seconds are drawn in the largest unit that keeps the numbers readable.
    let is_seconds = metric.split('{').next().is_some_and(|n| n.ends_with("_s"));
    let highest_value = shown
        .iter()
        .flat_map(|others| series[others].values())
        .map(|stat| stat.ci95.map_or(stat.mean, |c| c.1))
        .fold(0.0, f64::max);
    let (scale, unit) = if is_seconds {
        let unit = time_unit(highest_value);
        (unit.secs, format!(" ({})", unit.name))
    } else {
        (1.0, String::new())
    };
    let mut chart = Chart::new(
        &format!("{metric} against {}", axis.name),
        &axis.name,
        &format!("{metric}{unit}, mean and 95 % interval"),
    );
    chart.dash_by_series = false;
    let x_of = |value_idx: usize| -> f64 {
        axis.numbers
            .as_ref()
            .map_or(value_idx as f64, |numbers| numbers[value_idx])
    };
    if axis.numbers.is_none() {
        chart.x_categories = Some(axis.labels.clone());
    }
    let xs: Vec<f64> = (0..axis.labels.len()).map(x_of).collect();
    let dodge = fit_x(&mut chart, &xs);
    let mut lowest: f64 = 0.0;
    let mut highest: f64 = 0.0;
    for (series_idx, others) in shown.iter().enumerate() {
        let offset = (series_idx as f64 - (shown.len() - 1) as f64 / 2.0) * dodge;
        let points = &series[others];
        let name = if other_names.is_empty() {
            metric.to_owned()
        } else {
            other_names
                .iter()
                .zip(others)
                .map(|(name, label)| format!("{name}={label}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut line: Vec<(f64, f64)> = points
            .iter()
            .map(|(&value_idx, stat)| (x_of(value_idx) + offset, stat.mean / scale))
            .collect();
        if axis.numbers.is_none() {
            // Categories have no order to draw a line along; one point keeps the legend entry.
            line.truncate(1);
        }
        chart.lines.push(Line {
            name,
            points: line,
            series_idx,
        });
        for (&value_idx, stat) in points {
            let mean = stat.mean / scale;
            let (low, high) = stat
                .ci95
                .map_or((mean, mean), |(low, high)| (low / scale, high / scale));
            lowest = lowest.min(low);
            highest = highest.max(high);
            chart.intervals.push(Interval {
                x: x_of(value_idx) + offset,
                mean,
                low,
                high,
                series_idx,
            });
        }
    }
    for target in data.targets.iter().filter(|t| t.metric == metric) {
        let sense = if target.at_most { "≤" } else { "≥" };
        let y = target.effective / scale;
        highest = highest.max(y);
        chart.thresholds.push(Threshold {
            y,
            label: format!("target {sense} {}", value_text(metric, target.effective)),
        });
    }
    chart.fit_y(highest.max(1e-9));
    chart.y_range.0 = lowest.min(0.0);
    if is_share(metric) && highest <= 1.0 {
        // A share cannot exceed 1: the axis stops there.
        chart.y_range.1 = 1.0;
    }
    if is_seconds {
        log_y_if_wide(&mut chart);
    }
    let mut title = chart.title.clone();
    if n_series > shown.len() {
        title.push_str(&format!(
            " (the first {} of {n_series} combinations of the other axes)",
            shown.len()
        ));
    }
    (chart, title)
}

/// Metrics that are shares of something, in [0, 1].
fn is_share(metric: &str) -> bool {
    let name = metric.split('{').next().unwrap_or(metric);
    name == "gpu_utilization" || name.ends_with("_share")
}

/// Draws y on a log axis when the positive values drawn span more than [`LOG_SPAN`] (a
/// linear axis would flatten all but the largest to 0). The axis starts at the power of ten
/// at or below the smallest positive value; values below it (zeros) are drawn on its bottom
/// edge, and the axis label says so.
fn log_y_if_wide(chart: &mut Chart) {
    let values = chart
        .intervals
        .iter()
        .flat_map(|i| [i.mean, i.low, i.high])
        .chain(chart.thresholds.iter().map(|t| t.y));
    let (lowest, highest) = values
        .filter(|v| *v > 0.0)
        .fold((f64::INFINITY, 0.0_f64), |(a, b), v| (a.min(v), b.max(v)));
    if highest <= 0.0 || highest / lowest <= LOG_SPAN {
        return;
    }
    let floor = lowest.log10().floor();
    let to_log = |v: f64| if v > 0.0 { v.log10().max(floor) } else { floor };
    let mut clipped = false;
    for interval in &mut chart.intervals {
        clipped |= interval.low < 10f64.powf(floor);
        interval.mean = to_log(interval.mean);
        interval.low = to_log(interval.low);
        interval.high = to_log(interval.high);
    }
    for line in &mut chart.lines {
        for point in &mut line.points {
            point.1 = to_log(point.1);
        }
    }
    for threshold in &mut chart.thresholds {
        threshold.y = to_log(threshold.y);
    }
    chart.y_log = true;
    chart.y_range = (floor, highest.log10() + 0.1);
    chart.y_label.push_str(", log scale");
    if clipped {
        chart.y_label.push_str(&format!(
            "; below {} (0 included) drawn at the bottom",
            super::chart::power_of_ten(floor)
        ));
    }
}

/// Per series (the other axes' labels), this axis's value index → statistics.
type SeriesPoints = BTreeMap<Vec<String>, BTreeMap<usize, CellStat>>;

/// Points along one axis, one series per combination of the other axes' labels (in the order
/// cells first show them): series → this axis's value index → statistics.
fn series_along(
    data: &SweepData,
    metric: &str,
    axis_idx: usize,
    axis: &AxisInfo,
) -> (SeriesPoints, Vec<Vec<String>>) {
    let mut series = SeriesPoints::new();
    let mut order: Vec<Vec<String>> = Vec::new();
    for (&cell, labels) in &data.cells {
        let Some(stat) = data.stats.get(&(cell, metric.to_owned())) else {
            continue;
        };
        let Some(value_idx) = axis.labels.iter().position(|l| *l == labels[axis_idx]) else {
            continue;
        };
        let mut others = labels.clone();
        others.remove(axis_idx);
        if !series.contains_key(&others) {
            order.push(others.clone());
        }
        series.entry(others).or_default().insert(value_idx, *stat);
    }
    (series, order)
}

/// Sets the x range around `xs` with a margin, and returns how far apart series are drawn at
/// one x, so their bars do not hide each other.
fn fit_x(chart: &mut Chart, xs: &[f64]) -> f64 {
    let (x_min, x_max) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    let pad = ((x_max - x_min) * 0.06).max(0.5);
    chart.x_range = (x_min - pad, x_max + pad);
    let spacing = if xs.len() > 1 {
        (x_max - x_min) / (xs.len() - 1) as f64
    } else {
        1.0
    };
    spacing * 0.06
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sweep over `added` (0, 4, 8) of one metric, with the given means and intervals.
    fn sweep(metric: &str, stats: &[(f64, Option<(f64, f64)>)], targets: Vec<Target>) -> SweepData {
        let labels = ["0", "4", "8"];
        SweepData {
            name: "s.yaml".into(),
            description: serde_json::Value::Null,
            axes: vec![AxisInfo {
                name: "added".into(),
                labels: labels.iter().map(|l| l.to_string()).collect(),
                numbers: Some(vec![0.0, 4.0, 8.0]),
            }],
            report_metrics: vec![metric.into()],
            stats: stats
                .iter()
                .enumerate()
                .map(|(cell, &(mean, ci95))| {
                    ((cell, metric.to_owned()), CellStat { n: 3, mean, ci95 })
                })
                .collect(),
            cells: (0..stats.len())
                .map(|c| (c, vec![labels[c].to_owned()]))
                .collect(),
            targets,
        }
    }

    fn chart_of(data: &SweepData) -> Chart {
        metric_chart(data, &data.report_metrics[0], 0, &data.axes[0]).0
    }

    #[test]
    fn waits_spanning_orders_of_magnitude_are_drawn_on_a_log_axis() {
        // Means 100,000 s, 1,000 s and 0 s; the smallest positive value drawn is 10 s (a lower
        // bound), 12,000 times below the largest (120,000 s): a log axis. The largest is 33 h,
        // so the axis is in hours, and 10 s = 0.0028 h: it starts at 10^-3 h.
        let data = sweep(
            "wait_p95_s",
            &[
                (100_000.0, Some((80_000.0, 120_000.0))),
                (1_000.0, Some((10.0, 3_000.0))),
                (0.0, Some((0.0, 0.0))),
            ],
            Vec::new(),
        );
        let chart = chart_of(&data);
        assert!(chart.y_log);
        assert!(chart.y_label.contains("log scale"), "{}", chart.y_label);
        assert!(
            chart.y_label.contains("drawn at the bottom"),
            "{}",
            chart.y_label
        );
        assert_eq!(chart.y_range.0, -3.0);
        // The zero mean sits on the bottom edge; 100,000 s = 27.8 h at log10(27.78) = 1.44.
        assert_eq!(chart.intervals[2].mean, -3.0);
        assert!((chart.intervals[0].mean - (100_000.0f64 / 3_600.0).log10()).abs() < 1e-12);
    }

    #[test]
    fn waits_of_one_order_of_magnitude_stay_linear() {
        let data = sweep(
            "wait_p95_s",
            &[(600.0, None), (300.0, None), (100.0, None)],
            Vec::new(),
        );
        assert!(!chart_of(&data).y_log);
    }

    #[test]
    fn a_utilization_axis_stops_at_one() {
        let data = sweep(
            "gpu_utilization",
            &[(0.9, Some((0.85, 0.95))), (0.7, None), (0.5, None)],
            Vec::new(),
        );
        assert_eq!(chart_of(&data).y_range, (0.0, 1.0));
    }

    #[test]
    fn the_target_is_a_labelled_line_on_its_metric() {
        // at most 2 h = 7200 s; the values are at most 3 h, so the axis is in hours.
        let target = Target {
            metric: "wait_p95_s".into(),
            at_most: true,
            effective: 7_200.0,
        };
        let data = sweep(
            "wait_p95_s",
            &[(10_800.0, None), (7_000.0, None), (3_600.0, None)],
            vec![target],
        );
        let chart = chart_of(&data);
        assert_eq!(chart.thresholds.len(), 1);
        assert_eq!(chart.thresholds[0].y, 2.0);
        let svg = chart.render().unwrap();
        assert!(svg.contains(">\ntarget ≤ 2.0 h\n</text>"), "{svg}");
    }
}
