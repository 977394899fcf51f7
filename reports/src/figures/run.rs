//! The figures of one run: utilization, allocation per GPU model, allocation against capacity
//! with outages, the queue, waiting times, quota use, fragmentation and balance.

use std::collections::BTreeMap;

use crate::error::Error;
use crate::figures::Figure;
use crate::figures::chart::{Area, Chart, Line, PLOT_COLUMNS};
use crate::figures::steps::{Steps, polyline};
use crate::figures::style::{TimeUnit, time_unit};
use crate::names::NO_PRIORITY_CLASS;
use crate::report::RunData;

/// Series derived from the timeline in one pass over its rows.
#[derive(Default)]
struct TimelineSeries {
    /// Per cluster: allocated, capacity and fragmented GPUs, and utilization in %.
    allocated: BTreeMap<String, Steps>,
    utilization: BTreeMap<String, Steps>,
    fragment: BTreeMap<String, Steps>,
    /// Per GPU model (in name order), allocated GPUs summed with the models before it: the top
    /// edges of a stacked area chart.
    stacked: Vec<(String, Steps)>,
    fleet_allocated: Steps,
    fleet_capacity: Steps,
    /// Per balance group: highest − lowest cluster utilization, in percentage points.
    spread: BTreeMap<String, Steps>,
}

fn timeline_series(data: &RunData) -> TimelineSeries {
    let frame = &data.timeline;
    let times = frame.numbers("time_s");
    let clusters = frame.texts("cluster");
    let models = frame.texts("gpu_model");
    let allocated = frame.numbers("allocated_gpus");
    let capacity = frame.numbers("capacity_gpus");
    let fragment = frame.numbers("fragment_gpus");
    let name = |v: &Option<String>| v.clone().unwrap_or_default();
    let model_names: Vec<String> = {
        let set: std::collections::BTreeSet<String> = models.iter().map(name).collect();
        set.into_iter().collect()
    };
    let groups: Vec<(String, Vec<String>)> = data
        .summary
        .balance
        .iter()
        .map(|(group, balance)| (group.clone(), balance.clusters.clone()))
        .collect();
    // Current (allocated, capacity, fragment) per (cluster, model), and sums per cluster.
    let mut pairs: BTreeMap<(String, String), (f64, f64, f64)> = BTreeMap::new();
    let mut per_cluster: BTreeMap<String, (f64, f64, f64)> = BTreeMap::new();
    let mut per_model: BTreeMap<String, f64> = BTreeMap::new();
    let mut series = TimelineSeries {
        stacked: model_names
            .iter()
            .map(|m| (m.clone(), Steps::default()))
            .collect(),
        ..TimelineSeries::default()
    };
    let (mut fleet_allocated, mut fleet_capacity) = (0.0, 0.0);
    for row in 0..frame.n_rows {
        let time = times[row].unwrap_or(0.0);
        let (cluster, model) = (name(&clusters[row]), name(&models[row]));
        let now = (
            allocated[row].unwrap_or(0.0),
            capacity[row].unwrap_or(0.0),
            fragment[row].unwrap_or(0.0),
        );
        let before = pairs
            .insert((cluster.clone(), model.clone()), now)
            .unwrap_or_default();
        let sums = per_cluster.entry(cluster.clone()).or_default();
        sums.0 += now.0 - before.0;
        sums.1 += now.1 - before.1;
        sums.2 += now.2 - before.2;
        let sums = *sums;
        *per_model.entry(model).or_default() += now.0 - before.0;
        fleet_allocated += now.0 - before.0;
        fleet_capacity += now.1 - before.1;

        series
            .allocated
            .entry(cluster.clone())
            .or_default()
            .set(time, sums.0);
        let utilization = if sums.1 > 0.0 {
            100.0 * sums.0 / sums.1
        } else {
            0.0
        };
        series
            .utilization
            .entry(cluster.clone())
            .or_default()
            .set(time, utilization);
        series
            .fragment
            .entry(cluster.clone())
            .or_default()
            .set(time, sums.2);
        let mut cumulative = 0.0;
        for (model, steps) in &mut series.stacked {
            cumulative += per_model.get(model.as_str()).copied().unwrap_or(0.0);
            steps.set(time, cumulative);
        }
        series.fleet_allocated.set(time, fleet_allocated);
        series.fleet_capacity.set(time, fleet_capacity);
        for (group, members) in &groups {
            if !members.contains(&cluster) {
                continue;
            }
            let utilizations: Vec<f64> = members
                .iter()
                .filter_map(|m| per_cluster.get(m))
                .filter(|s| s.1 > 0.0)
                .map(|s| 100.0 * s.0 / s.1)
                .collect();
            let spread = if utilizations.len() < 2 {
                0.0
            } else {
                let high = utilizations.iter().copied().fold(f64::MIN, f64::max);
                let low = utilizations.iter().copied().fold(f64::MAX, f64::min);
                high - low
            };
            series
                .spread
                .entry(group.clone())
                .or_default()
                .set(time, spread);
        }
    }
    series
}

/// Lines for `series`, reduced for drawing and in `unit`.
fn lines<'a>(
    series: impl IntoIterator<Item = (&'a String, &'a Steps)>,
    end_s: f64,
    unit: TimeUnit,
) -> Vec<Line> {
    series
        .into_iter()
        .enumerate()
        .map(|(idx, (name, steps))| Line {
            name: name.clone(),
            points: scaled(polyline(steps, end_s, PLOT_COLUMNS), unit),
            series_idx: idx,
        })
        .collect()
}

fn scaled(points: Vec<(f64, f64)>, unit: TimeUnit) -> Vec<(f64, f64)> {
    points
        .into_iter()
        .map(|(t, v)| (t / unit.secs, v))
        .collect()
}

/// A time chart over the whole run.
fn time_chart(title: &str, y_label: &str, end_s: f64, unit: TimeUnit) -> Chart {
    let mut chart = Chart::new(title, &format!("simulated time ({})", unit.name), y_label);
    chart.x_range = (0.0, end_s / unit.secs);
    chart
}

/// What a chart of one line per series over time shows.
struct LinesOverTime {
    title: &'static str,
    y_label: &'static str,
    /// The values are percentages: the y axis is fixed, with room for the legend above 100.
    percent: bool,
}

fn lines_over_time(
    what: LinesOverTime,
    series: &BTreeMap<String, Steps>,
    end_s: f64,
    unit: TimeUnit,
) -> Chart {
    let mut chart = time_chart(what.title, what.y_label, end_s, unit);
    chart.lines = lines(series, end_s, unit);
    if what.percent {
        chart.y_range = (0.0, 130.0);
    } else {
        chart.fit_y(1.0);
    }
    chart
}

/// Every figure of the run that has something to show, in report order.
pub(crate) fn run_figures(data: &RunData) -> Result<Vec<Figure>, Error> {
    let end_s = data.summary.end_s.max(1e-3);
    let unit = time_unit(end_s);
    let timeline = timeline_series(data);
    let mut figures = Vec::new();
    let mut add = |stem: &str, chart: Chart| -> Result<(), Error> {
        figures.push(Figure {
            stem: stem.to_owned(),
            title: chart.title.clone(),
            svg: chart.render()?,
        });
        Ok(())
    };

    if !timeline.utilization.is_empty() {
        let chart = lines_over_time(
            LinesOverTime {
                title: "GPU utilization per cluster",
                y_label: "allocated / capacity (%)",
                percent: true,
            },
            &timeline.utilization,
            end_s,
            unit,
        );
        add("utilization-per-cluster", chart)?;

        let mut chart = time_chart(
            "Allocated GPUs per GPU model (stacked)",
            "allocated GPUs",
            end_s,
            unit,
        );
        // Painter's order: the highest edge first, each filled down to 0, so every model's
        // band shows between its edge and the one below.
        for (idx, (model, steps)) in timeline.stacked.iter().enumerate().rev() {
            let mut polygon = scaled(polyline(steps, end_s, PLOT_COLUMNS), unit);
            if let (Some(&(first, _)), Some(&(last, _))) = (polygon.first(), polygon.last()) {
                polygon.push((last, 0.0));
                polygon.push((first, 0.0));
            }
            chart.areas.push(Area {
                name: Some(model.clone()),
                polygon,
                series_idx: idx,
                opacity: 1.0,
            });
        }
        chart.fit_y(1.0);
        add("allocated-per-gpu-model", chart)?;

        let mut chart = time_chart(
            "Allocated GPUs against capacity, outages shaded",
            "GPUs",
            end_s,
            unit,
        );
        let fleet = [
            ("capacity".to_owned(), timeline.fleet_capacity.clone()),
            ("allocated".to_owned(), timeline.fleet_allocated.clone()),
        ];
        chart.lines = lines(fleet.iter().map(|(n, s)| (n, s)), end_s, unit);
        chart.bands = outages(data, end_s)
            .into_iter()
            .map(|(a, b)| (a / unit.secs, b / unit.secs))
            .collect();
        chart.band_label = "cluster down".to_owned();
        chart.fit_y(1.0);
        add("allocated-vs-capacity", chart)?;
    }

    let queue = queue_series(data);
    if !queue.is_empty() {
        let chart = lines_over_time(
            LinesOverTime {
                title: "Jobs waiting",
                y_label: "waiting jobs",
                percent: false,
            },
            &queue,
            end_s,
            unit,
        );
        add("queue", chart)?;
    }

    if let Some(chart) = waiting_cdf(data) {
        add("waiting-cdf", chart)?;
    }

    if let Some(chart) = quota_chart(data, end_s, unit) {
        add("quota", chart)?;
    }

    if timeline.fragment.values().any(|s| s.max() > 0.0) {
        let chart = lines_over_time(
            LinesOverTime {
                title: "Fragmented GPUs per cluster",
                y_label: "GPUs the target workload cannot use",
                percent: false,
            },
            &timeline.fragment,
            end_s,
            unit,
        );
        add("fragmentation", chart)?;
    }

    if !timeline.spread.is_empty() {
        let chart = lines_over_time(
            LinesOverTime {
                title: "Balance: spread of cluster utilization per group",
                y_label: "highest − lowest utilization (points)",
                percent: true,
            },
            &timeline.spread,
            end_s,
            unit,
        );
        add("balance", chart)?;
    }
    Ok(figures)
}

/// Outage windows: each `cluster_down` event to the next `cluster_up` of the same cluster, or
/// the end of the run.
fn outages(data: &RunData, end_s: f64) -> Vec<(f64, f64)> {
    let frame = &data.events;
    let (times, kinds, clusters) = (
        frame.numbers("time_s"),
        frame.texts("kind"),
        frame.texts("cluster"),
    );
    let mut down_since: BTreeMap<String, f64> = BTreeMap::new();
    let mut windows = Vec::new();
    for row in 0..frame.n_rows {
        let cluster = clusters[row].clone().unwrap_or_default();
        let time = times[row].unwrap_or(0.0);
        match kinds[row].as_deref() {
            Some("cluster_down") => {
                down_since.entry(cluster).or_insert(time);
            }
            Some("cluster_up") => {
                if let Some(since) = down_since.remove(&cluster) {
                    windows.push((since, time));
                }
            }
            _ => {}
        }
    }
    windows.extend(down_since.into_values().map(|since| (since, end_s)));
    windows.sort_by(|a, b| a.0.total_cmp(&b.0));
    windows
}

fn queue_series(data: &RunData) -> BTreeMap<String, Steps> {
    let frame = &data.queue;
    let (times, classes, waiting) = (
        frame.numbers("time_s"),
        frame.texts("priority_class"),
        frame.numbers("waiting_jobs"),
    );
    let mut series: BTreeMap<String, Steps> = BTreeMap::new();
    for row in 0..frame.n_rows {
        series
            .entry(classes[row].clone().unwrap_or_default())
            .or_default()
            .set(times[row].unwrap_or(0.0), waiting[row].unwrap_or(0.0));
    }
    series
}

/// Points of the empirical CDF kept for drawing.
const CDF_POINTS: usize = 1000;

fn waiting_cdf(data: &RunData) -> Option<Chart> {
    let frame = &data.jobs;
    let (classes, waits) = (frame.texts("priority_class"), frame.numbers("wait_s"));
    let mut per_class: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for row in 0..frame.n_rows {
        if let Some(wait) = waits[row] {
            let class = classes[row]
                .clone()
                .unwrap_or_else(|| NO_PRIORITY_CLASS.to_owned());
            per_class.entry(class).or_default().push(wait);
        }
    }
    if per_class.is_empty() {
        return None;
    }
    let longest = per_class
        .values()
        .flatten()
        .copied()
        .fold(0.0, f64::max)
        .max(1.0);
    let unit = time_unit(longest);
    let mut chart = Chart::new(
        "Waiting time (submit to start), cumulative share per priority class",
        &format!("waiting time ({})", unit.name),
        "jobs that waited at most this long (%)",
    );
    chart.x_range = (0.0, longest / unit.secs);
    chart.y_range = (0.0, 130.0);
    for (idx, (class, waits)) in per_class.iter_mut().enumerate() {
        waits.sort_by(f64::total_cmp);
        let n = waits.len();
        let mut points = vec![(0.0, 0.0)];
        for k in 0..=CDF_POINTS.min(n - 1) {
            let rank = k * (n - 1) / CDF_POINTS.min(n - 1).max(1);
            let x = waits[rank] / unit.secs;
            points.push((x, points.last().map_or(0.0, |p| p.1)));
            points.push((x, 100.0 * (rank + 1) as f64 / n as f64));
        }
        points.push((chart.x_range.1, 100.0));
        chart.lines.push(Line {
            name: format!("{class} ({n} jobs)"),
            points,
            series_idx: idx,
        });
    }
    Some(chart)
}

fn quota_chart(data: &RunData, end_s: f64, unit: TimeUnit) -> Option<Chart> {
    let frame = &data.quota;
    let (times, namespaces, in_use, budgets) = (
        frame.numbers("time_s"),
        frame.texts("namespace"),
        frame.numbers("gpus_in_use"),
        frame.numbers("budget_gpus"),
    );
    let mut use_series: BTreeMap<String, Steps> = BTreeMap::new();
    let mut budget_series: BTreeMap<String, Steps> = BTreeMap::new();
    for row in 0..frame.n_rows {
        let namespace = namespaces[row].clone().unwrap_or_default();
        let time = times[row].unwrap_or(0.0);
        use_series
            .entry(namespace.clone())
            .or_default()
            .set(time, in_use[row].unwrap_or(0.0));
        if let Some(budget) = budgets[row] {
            budget_series
                .entry(namespace)
                .or_default()
                .set(time, budget);
        }
    }
    if use_series.is_empty() {
        return None;
    }
    let mut chart = time_chart(
        "GPU use against budget per namespace, use above budget filled",
        "GPUs",
        end_s,
        unit,
    );
    chart.dash_by_series = false;
    for (idx, (namespace, used)) in use_series.iter().enumerate() {
        chart.lines.push(Line {
            name: format!("{namespace} use"),
            points: scaled(polyline(used, end_s, PLOT_COLUMNS), unit),
            series_idx: idx,
        });
        let Some(budget) = budget_series.get(namespace) else {
            continue;
        };
        let budget_line = scaled(polyline(budget, end_s, PLOT_COLUMNS), unit);
        // Over budget: between max(use, budget) and the budget, on the union of change times.
        let mut over = Steps::default();
        let mut times: Vec<f64> = used
            .points
            .iter()
            .chain(&budget.points)
            .map(|p| p.0)
            .collect();
        times.sort_by(f64::total_cmp);
        times.dedup();
        for &t in &times {
            over.set(t, used.at(t).max(budget.at(t)));
        }
        if times.iter().any(|&t| used.at(t) > budget.at(t)) {
            let top = scaled(polyline(&over, end_s, PLOT_COLUMNS), unit);
            let mut polygon = top;
            polygon.extend(budget_line.iter().rev().copied());
            chart.areas.push(Area {
                name: Some(format!("{namespace} over budget")),
                polygon,
                series_idx: idx,
                opacity: 0.35,
            });
        }
        chart.dashed_lines.push(Line {
            name: format!("{namespace} budget"),
            points: budget_line,
            series_idx: idx,
        });
    }
    chart.fit_y(1.0);
    Some(chart)
}
