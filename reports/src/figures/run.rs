//! The figures of one run: utilization, allocation per GPU model, allocation against capacity
//! with outages, the queue, waiting times, quota use, fragmentation and balance.
//!
//! Each table is read once, row by row, into series already reduced for drawing (the jobs
//! table twice: once for the longest wait, which sets the x axis, then for the counts per
//! pixel column), so drawing a run takes memory bounded by the number of series and the
//! figures' width, not by the length of the tables.

use std::collections::BTreeMap;
use std::path::Path;

use crate::balance::Balance;
use crate::error::Error;
use crate::figures::Figure;
use crate::figures::cdf::PixelCounts;
use crate::figures::chart::{Area, Chart, Line, PLOT_COLUMNS};
use crate::figures::steps::Steps;
use crate::figures::style::{TimeUnit, time_unit};
use crate::figures::waits::WaitRange;
use crate::load::{Row, Table, open_table};
use crate::names::NO_PRIORITY_CLASS;
use crate::summary::Summary;
use crate::tables::{self, TableFormat};

/// What is drawn from a run's tables, besides the summary.
pub(crate) struct RunFigures {
    /// The figures, in report order.
    pub figures: Vec<Figure>,
    /// Unschedulable jobs grouped by their last failure: (reason, count), most common first.
    pub unschedulable: Vec<(String, u64)>,
}

/// Reads the tables of run folder `dir` (in `format`) and draws every figure of the run that
/// has something to show.
pub(crate) fn run_figures(
    dir: &Path,
    format: TableFormat,
    summary: &Summary,
) -> Result<RunFigures, Error> {
    let end_s = summary.end_s.max(1e-3);
    let blank = Steps::new(end_s, PLOT_COLUMNS);
    let open = |stem, schema, wanted: &[&str]| open_table(dir, stem, schema, wanted, format);

    // The tables in a fixed order, so the first bad one is the one reported.
    let timeline = timeline_series(
        &open("timeline", &tables::TIMELINE, &TIMELINE_COLUMNS)?,
        &summary.balance,
        &blank,
    )?;
    let quota = quota_series(&open("quota", &tables::QUOTA, &QUOTA_COLUMNS)?, &blank)?;
    let outages = outages(&open("events", &tables::EVENTS, &EVENTS_COLUMNS)?, end_s)?;
    let queue = queue_series(&open("queue", &tables::QUEUE, &QUEUE_COLUMNS)?, &blank)?;
    let jobs = read_jobs(&open("jobs", &tables::JOBS, &JOBS_COLUMNS)?)?;
    let cost = crate::figures::cost::cost_chart(dir, format, &blank, end_s, time_unit(end_s))?;

    let unit = time_unit(end_s);
    let mut figures = Vec::new();
    let mut add = |stem: &str, chart: Chart| -> Result<(), Error> {
        figures.push(Figure {
            stem: stem.to_owned(),
            title: chart.title.clone(),
            svg: chart.render()?,
        });
        Ok(())
    };

    let TimelineSeries {
        utilization,
        fragment,
        stacked,
        fleet_allocated,
        fleet_capacity,
        spread,
    } = timeline;
    let fragmented = fragment.values().any(|s| s.max() > 0.0);
    if !utilization.is_empty() {
        let capacity = Capacity {
            utilization,
            stacked,
            fleet_allocated,
            fleet_capacity,
            outages,
        };
        for (stem, chart) in capacity_charts(capacity, end_s, unit) {
            add(stem, chart)?;
        }
    }

    if !queue.is_empty() {
        let chart = lines_over_time(
            LinesOverTime {
                title: "Jobs waiting",
                y_label: "waiting jobs",
                percent: false,
            },
            queue,
            end_s,
            unit,
        );
        add("queue", chart)?;
    }

    if let Some(chart) = jobs.waiting_cdf {
        add("waiting-cdf", chart)?;
    }

    if let Some(chart) = quota_chart(quota, end_s, unit) {
        add("quota", chart)?;
    }

    if fragmented {
        let chart = lines_over_time(
            LinesOverTime {
                title: "Fragmented GPUs per cluster",
                y_label: "GPUs the target workload cannot use",
                percent: false,
            },
            fragment,
            end_s,
            unit,
        );
        add("fragmentation", chart)?;
    }

    if let Some(chart) = cost {
        add("cost", chart)?;
    }

    if !spread.is_empty() {
        let chart = lines_over_time(
            LinesOverTime {
                title: "Balance: spread of cluster utilization per group",
                y_label: "highest − lowest utilization (points)",
                percent: true,
            },
            spread,
            end_s,
            unit,
        );
        add("balance", chart)?;
    }
    Ok(RunFigures {
        figures,
        unschedulable: jobs.unschedulable,
    })
}

/// The series of the capacity charts.
struct Capacity {
    utilization: BTreeMap<String, Steps>,
    stacked: Vec<(String, Steps)>,
    fleet_allocated: Steps,
    fleet_capacity: Steps,
    /// Cluster outages, (from, to) in seconds.
    outages: Vec<(f64, f64)>,
}

/// The fleet's capacity charts, in report order: utilization per cluster, allocation stacked per
/// GPU model, allocation against capacity with the outages shaded.
fn capacity_charts(capacity: Capacity, end_s: f64, unit: TimeUnit) -> Vec<(&'static str, Chart)> {
    let Capacity {
        utilization,
        stacked,
        fleet_allocated,
        fleet_capacity,
        outages,
    } = capacity;
    let mut charts = Vec::new();
    let chart = lines_over_time(
        LinesOverTime {
            title: "GPU utilization per cluster",
            y_label: "allocated / capacity (%)",
            percent: true,
        },
        utilization,
        end_s,
        unit,
    );
    charts.push(("utilization-per-cluster", chart));

    let mut chart = time_chart(
        "Allocated GPUs per GPU model (stacked)",
        "allocated GPUs",
        end_s,
        unit,
    );
    // Painter's order: the highest edge first, each filled down to 0, so every model's
    // band shows between its edge and the one below.
    for (idx, (model, steps)) in stacked.into_iter().enumerate().rev() {
        let mut polygon = scaled(steps.polyline(), unit);
        if let (Some(&(first, _)), Some(&(last, _))) = (polygon.first(), polygon.last()) {
            polygon.push((last, 0.0));
            polygon.push((first, 0.0));
        }
        chart.areas.push(Area {
            name: Some(model),
            polygon,
            series_idx: idx,
            opacity: 1.0,
        });
    }
    chart.fit_y(1.0);
    charts.push(("allocated-per-gpu-model", chart));

    let mut chart = time_chart(
        "Allocated GPUs against capacity, outages shaded",
        "GPUs",
        end_s,
        unit,
    );
    chart.lines = lines(
        [
            ("capacity".to_owned(), fleet_capacity),
            ("allocated".to_owned(), fleet_allocated),
        ],
        unit,
    );
    chart.bands = outages
        .into_iter()
        .map(|(a, b)| (a / unit.secs, b / unit.secs))
        .collect();
    chart.band_label = "cluster down".to_owned();
    chart.fit_y(1.0);
    charts.push(("allocated-vs-capacity", chart));
    charts
}

const TIMELINE_COLUMNS: [&str; 6] = [
    "time_s",
    "cluster",
    "gpu_model",
    "allocated_gpus",
    "capacity_gpus",
    "fragment_gpus",
];

/// Series derived from the timeline in one pass over its rows.
struct TimelineSeries {
    /// Per cluster: utilization in % and fragmented GPUs.
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

/// A cluster seen in the timeline.
struct ClusterState {
    name: String,
    /// Current (allocated, capacity, fragment) per GPU model, by model number.
    pairs: Vec<(f64, f64, f64)>,
    /// Their sums.
    sums: (f64, f64, f64),
    utilization: Steps,
    fragment: Steps,
    /// The balance groups it belongs to.
    groups: Vec<usize>,
}

/// A GPU model's edge of the stacked chart.
struct StackedModel {
    name: String,
    /// Allocated GPUs of the model over the fleet.
    allocated: f64,
    steps: Steps,
}

struct BalanceGroup {
    name: String,
    /// The group's clusters in the summary's order, by cluster number once seen.
    members: Vec<(String, Option<usize>)>,
    spread: Option<Steps>,
}

/// The timeline's state as its rows are read: names numbered as they first appear, the values
/// in force and the series so far.
struct TimelineReader<'a> {
    blank: &'a Steps,
    cluster_numbers: BTreeMap<String, usize>,
    clusters: Vec<ClusterState>,
    /// Per model, by model number: its position in `stacked`.
    model_numbers: BTreeMap<String, usize>,
    stacked_at: Vec<usize>,
    /// In model name order.
    stacked: Vec<StackedModel>,
    /// The edge below the first model: 0 throughout, the start of a model that appears later
    /// and sorts first.
    floor: Steps,
    fleet: (f64, f64),
    fleet_allocated: Steps,
    fleet_capacity: Steps,
    groups: Vec<BalanceGroup>,
}

impl TimelineReader<'_> {
    fn cluster(&mut self, name: &str) -> usize {
        if let Some(&number) = self.cluster_numbers.get(name) {
            return number;
        }
        let number = self.clusters.len();
        let mut groups = Vec::new();
        for (idx, group) in self.groups.iter_mut().enumerate() {
            let mut member = false;
            for (cluster, seen) in &mut group.members {
                if cluster == name {
                    *seen = Some(number);
                    member = true;
                }
            }
            if member {
                groups.push(idx);
            }
        }
        self.cluster_numbers.insert(name.to_owned(), number);
        self.clusters.push(ClusterState {
            name: name.to_owned(),
            pairs: Vec::new(),
            sums: (0.0, 0.0, 0.0),
            utilization: self.blank.clone(),
            fragment: self.blank.clone(),
            groups,
        });
        number
    }

    /// A model's number; a model first seen takes its place in name order, its edge so far
    /// the one below it (it added nothing yet).
    fn model(&mut self, name: &str) -> usize {
        if let Some(&number) = self.model_numbers.get(name) {
            return number;
        }
        let position = self.stacked.partition_point(|m| m.name.as_str() < name);
        let below = match position {
            0 => &self.floor,
            _ => &self.stacked[position - 1].steps,
        };
        let model = StackedModel {
            name: name.to_owned(),
            allocated: 0.0,
            steps: below.clone(),
        };
        self.stacked.insert(position, model);
        for at in &mut self.stacked_at {
            if *at >= position {
                *at += 1;
            }
        }
        let number = self.stacked_at.len();
        self.stacked_at.push(position);
        self.model_numbers.insert(name.to_owned(), number);
        number
    }

    fn read(&mut self, row: &Row<'_, '_>) {
        let time = row.number(0).unwrap_or(0.0);
        let cluster = self.cluster(row.text(1).unwrap_or_default());
        let model = self.model(row.text(2).unwrap_or_default());
        let now = (
            row.number(3).unwrap_or(0.0),
            row.number(4).unwrap_or(0.0),
            row.number(5).unwrap_or(0.0),
        );
        let state = &mut self.clusters[cluster];
        if state.pairs.len() <= model {
            state.pairs.resize(model + 1, (0.0, 0.0, 0.0));
        }
        let before = std::mem::replace(&mut state.pairs[model], now);
        state.sums.0 += now.0 - before.0;
        state.sums.1 += now.1 - before.1;
        state.sums.2 += now.2 - before.2;
        let sums = state.sums;
        self.stacked[self.stacked_at[model]].allocated += now.0 - before.0;
        self.fleet.0 += now.0 - before.0;
        self.fleet.1 += now.1 - before.1;

        let utilization = if sums.1 > 0.0 {
            100.0 * sums.0 / sums.1
        } else {
            0.0
        };
        state.utilization.set(time, utilization);
        state.fragment.set(time, sums.2);
        self.floor.set(time, 0.0);
        let mut cumulative = 0.0;
        for model in &mut self.stacked {
            cumulative += model.allocated;
            model.steps.set(time, cumulative);
        }
        self.fleet_allocated.set(time, self.fleet.0);
        self.fleet_capacity.set(time, self.fleet.1);
        let clusters = &self.clusters;
        for &group in &clusters[cluster].groups {
            let group = &mut self.groups[group];
            let (mut n, mut high, mut low) = (0, f64::MIN, f64::MAX);
            for sums in group
                .members
                .iter()
                .filter_map(|(_, seen)| seen.map(|c| clusters[c].sums))
                .filter(|s| s.1 > 0.0)
            {
                let utilization = 100.0 * sums.0 / sums.1;
                n += 1;
                high = high.max(utilization);
                low = low.min(utilization);
            }
            let spread = if n < 2 { 0.0 } else { high - low };
            group
                .spread
                .get_or_insert_with(|| self.blank.clone())
                .set(time, spread);
        }
    }

    fn finish(self) -> TimelineSeries {
        let mut utilization = BTreeMap::new();
        let mut fragment = BTreeMap::new();
        for cluster in self.clusters {
            utilization.insert(cluster.name.clone(), cluster.utilization);
            fragment.insert(cluster.name, cluster.fragment);
        }
        TimelineSeries {
            utilization,
            fragment,
            stacked: self
                .stacked
                .into_iter()
                .map(|m| (m.name, m.steps))
                .collect(),
            fleet_allocated: self.fleet_allocated,
            fleet_capacity: self.fleet_capacity,
            spread: self
                .groups
                .into_iter()
                .filter_map(|g| Some((g.name, g.spread?)))
                .collect(),
        }
    }
}

/// The timeline's series; `groups` are the balance groups of the summary.
fn timeline_series(
    table: &Table,
    groups: &BTreeMap<String, Balance>,
    blank: &Steps,
) -> Result<TimelineSeries, Error> {
    let mut reader = TimelineReader {
        blank,
        cluster_numbers: BTreeMap::new(),
        clusters: Vec::new(),
        model_numbers: BTreeMap::new(),
        stacked_at: Vec::new(),
        stacked: Vec::new(),
        floor: blank.clone(),
        fleet: (0.0, 0.0),
        fleet_allocated: blank.clone(),
        fleet_capacity: blank.clone(),
        groups: groups
            .iter()
            .map(|(group, balance)| BalanceGroup {
                name: group.clone(),
                members: balance.clusters.iter().map(|c| (c.clone(), None)).collect(),
                spread: None,
            })
            .collect(),
    };
    table.for_each_row(&TIMELINE_COLUMNS, |row| reader.read(row))?;
    Ok(reader.finish())
}

/// Lines for `series`, reduced for drawing and in `unit`.
fn lines(series: impl IntoIterator<Item = (String, Steps)>, unit: TimeUnit) -> Vec<Line> {
    series
        .into_iter()
        .enumerate()
        .map(|(idx, (name, steps))| Line {
            name,
            points: scaled(steps.polyline(), unit),
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
    /// The values are percentages: the y axis runs from 0 to 100.
    percent: bool,
}

fn lines_over_time(
    what: LinesOverTime,
    series: BTreeMap<String, Steps>,
    end_s: f64,
    unit: TimeUnit,
) -> Chart {
    let mut chart = time_chart(what.title, what.y_label, end_s, unit);
    chart.lines = lines(series, unit);
    if what.percent {
        chart.y_range = (0.0, 100.0);
    } else {
        chart.fit_y(1.0);
    }
    chart
}

const EVENTS_COLUMNS: [&str; 3] = ["time_s", "kind", "cluster"];

/// Outage windows: each `cluster_down` event to the next `cluster_up` of the same cluster, or
/// the end of the run.
fn outages(table: &Table, end_s: f64) -> Result<Vec<(f64, f64)>, Error> {
    let mut down_since: BTreeMap<String, f64> = BTreeMap::new();
    let mut windows = Vec::new();
    table.for_each_row(&EVENTS_COLUMNS, |row| {
        let time = row.number(0).unwrap_or(0.0);
        let cluster = row.text(2).unwrap_or_default();
        match row.text(1) {
            Some("cluster_down") if !down_since.contains_key(cluster) => {
                down_since.insert(cluster.to_owned(), time);
            }
            Some("cluster_up") => {
                if let Some(since) = down_since.remove(cluster) {
                    windows.push((since, time));
                }
            }
            _ => {}
        }
    })?;
    windows.extend(down_since.into_values().map(|since| (since, end_s)));
    windows.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(windows)
}

const QUEUE_COLUMNS: [&str; 3] = ["time_s", "priority_class", "waiting_jobs"];

/// Jobs waiting over time, per series of the queue table: each series' rows in time order,
/// whichever way the series are interleaved.
fn queue_series(table: &Table, blank: &Steps) -> Result<BTreeMap<String, Steps>, Error> {
    let mut series: BTreeMap<String, Steps> = BTreeMap::new();
    table.for_each_row(&QUEUE_COLUMNS, |row| {
        let class = row.text(1).unwrap_or_default();
        let (time, waiting) = (row.number(0).unwrap_or(0.0), row.number(2).unwrap_or(0.0));
        match series.get_mut(class) {
            Some(steps) => steps.set(time, waiting),
            None => {
                let mut steps = blank.clone();
                steps.set(time, waiting);
                series.insert(class.to_owned(), steps);
            }
        }
    })?;
    Ok(series)
}

const JOBS_COLUMNS: [&str; 4] = ["priority_class", "wait_s", "state", "last_failure"];

/// What the jobs table gives the figures and the report.
struct Jobs {
    waiting_cdf: Option<Chart>,
    unschedulable: Vec<(String, u64)>,
}

/// Reads the jobs table twice: the longest wait first, which sets the waiting-time axis, then
/// the waits per priority class counted per pixel column of that axis, and the last failures
/// of the jobs still unschedulable.
fn read_jobs(table: &Table) -> Result<Jobs, Error> {
    let mut waits = WaitRange::default();
    table.for_each_row(&["wait_s"], |row| {
        if let Some(wait) = row.number(0) {
            waits.add(wait);
        }
    })?;
    let waiting = match waits.axis() {
        Some(axis) => {
            let mut chart = Chart::new(
                "Waiting time (submit to start), cumulative share per priority class",
                &axis.label,
                "jobs that waited at most this long (%)",
            );
            chart.x_range = (axis.to_x(axis.start), axis.to_x(axis.end));
            chart.x_log = axis.log;
            chart.y_range = (0.0, 100.0);
            Some((chart.x_pixels()?, chart, axis))
        }
        None => None,
    };

    let mut per_class: BTreeMap<String, PixelCounts> = BTreeMap::new();
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    table.for_each_row(&JOBS_COLUMNS, |row| {
        if let (Some(wait), Some((x_pixel, _, axis))) = (row.number(1), &waiting) {
            let class = row.text(0).unwrap_or(NO_PRIORITY_CLASS);
            let pixel = x_pixel(axis.to_x(wait));
            match per_class.get_mut(class) {
                Some(counts) => counts.add(pixel, wait),
                None => {
                    let mut counts = PixelCounts::default();
                    counts.add(pixel, wait);
                    per_class.insert(class.to_owned(), counts);
                }
            }
        }
        if row.text(2) == Some("unschedulable") {
            let reason = row.text(3).unwrap_or("(no reason given)");
            match reasons.get_mut(reason) {
                Some(count) => *count += 1,
                None => {
                    reasons.insert(reason.to_owned(), 1);
                }
            }
        }
    })?;

    let waiting_cdf = waiting.map(|(_, mut chart, axis)| {
        for (idx, (class, counts)) in per_class.iter().enumerate() {
            chart.lines.push(Line {
                name: format!("{class} ({} jobs)", counts.len()),
                points: counts.staircase(|v| axis.to_x(v), chart.x_range),
                series_idx: idx,
            });
        }
        chart
    });
    let mut unschedulable: Vec<(String, u64)> = reasons.into_iter().collect();
    unschedulable.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(Jobs {
        waiting_cdf,
        unschedulable,
    })
}

const QUOTA_COLUMNS: [&str; 4] = ["time_s", "namespace", "gpus_in_use", "budget_gpus"];

/// A namespace's use and budget as the quota table's rows arrive, in time order.
struct NamespaceQuota {
    used: Steps,
    budget: Option<Steps>,
    /// max(use, budget) at each time either changed: the top of the over-budget area.
    over: Steps,
    /// The time of the latest row, and the use and budget (0 before the first) in force.
    latest: Option<f64>,
    used_now: f64,
    budget_now: f64,
    /// Use was above the budget at some change.
    exceeded: bool,
}

impl NamespaceQuota {
    fn new(blank: &Steps) -> NamespaceQuota {
        NamespaceQuota {
            used: blank.clone(),
            budget: None,
            over: blank.clone(),
            latest: None,
            used_now: 0.0,
            budget_now: 0.0,
            exceeded: false,
        }
    }

    fn read(&mut self, time: f64, used: f64, budget: Option<f64>, blank: &Steps) {
        if self.latest.is_some_and(|latest| latest != time) {
            self.settle();
        }
        self.latest = Some(time);
        self.used_now = used;
        self.used.set(time, used);
        if let Some(budget) = budget {
            self.budget_now = budget;
            self.budget
                .get_or_insert_with(|| blank.clone())
                .set(time, budget);
        }
    }

    /// Takes the values in force at the latest time, now that no row can change them.
    fn settle(&mut self) {
        if let Some(time) = self.latest {
            self.over.set(time, self.used_now.max(self.budget_now));
            self.exceeded |= self.used_now > self.budget_now;
        }
    }
}

fn quota_series(table: &Table, blank: &Steps) -> Result<BTreeMap<String, NamespaceQuota>, Error> {
    let mut series: BTreeMap<String, NamespaceQuota> = BTreeMap::new();
    table.for_each_row(&QUOTA_COLUMNS, |row| {
        let namespace = row.text(1).unwrap_or_default();
        let (time, used, budget) = (
            row.number(0).unwrap_or(0.0),
            row.number(2).unwrap_or(0.0),
            row.number(3),
        );
        match series.get_mut(namespace) {
            Some(quota) => quota.read(time, used, budget, blank),
            None => {
                let mut quota = NamespaceQuota::new(blank);
                quota.read(time, used, budget, blank);
                series.insert(namespace.to_owned(), quota);
            }
        }
    })?;
    for quota in series.values_mut() {
        quota.settle();
    }
    Ok(series)
}

fn quota_chart(
    quota: BTreeMap<String, NamespaceQuota>,
    end_s: f64,
    unit: TimeUnit,
) -> Option<Chart> {
    if quota.is_empty() {
        return None;
    }
    let mut chart = time_chart(
        "GPU use against budget per namespace, use above budget filled",
        "GPUs",
        end_s,
        unit,
    );
    chart.dash_by_series = false;
    for (idx, (namespace, quota)) in quota.into_iter().enumerate() {
        chart.lines.push(Line {
            name: format!("{namespace} use"),
            points: scaled(quota.used.polyline(), unit),
            series_idx: idx,
        });
        let Some(budget) = quota.budget else {
            continue;
        };
        let budget_line = scaled(budget.polyline(), unit);
        // Over budget: between max(use, budget) and the budget.
        if quota.exceeded {
            let mut polygon = scaled(quota.over.polyline(), unit);
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

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
