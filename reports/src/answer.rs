//! The one sentence a sweep's report opens with: which cells meet the sweep's `target`.
//!
//! A cell meets a target when the pessimistic end of its metric's 95 % interval does (the
//! upper bound for `at_most`, the lower for `at_least`; the mean with one replication), as a
//! plan judges with `decide_by: ci95`. With a numeric axis (the first one), the answer is the
//! smallest value of it at which every cell (every value of the other axes) meets every target.

use std::collections::BTreeMap;

use crate::figures::{CellStat, SweepData};

/// One target of a sweep, from `sweep.json`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Target {
    /// The metric, as in `stats.csv`.
    pub metric: String,
    /// `true`: at most; `false`: at least.
    pub at_most: bool,
    /// What a cell is judged against (the target tightened by its margin).
    pub effective: f64,
}

impl Target {
    /// The targets listed in `sweep.json`'s `target`.
    pub fn list(description: &serde_json::Value) -> Vec<Target> {
        description["target"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|t| {
                        Some(Target {
                            metric: t["metric"].as_str()?.to_owned(),
                            at_most: t["bound"].as_str()? == "at_most",
                            effective: t["effective"].as_f64()?,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The value judged: the pessimistic end of the interval, or the mean without one.
    pub fn judged(&self, stat: &CellStat) -> f64 {
        match (stat.ci95, self.at_most) {
            (Some((_, high)), true) => high,
            (Some((low, _)), false) => low,
            (None, _) => stat.mean,
        }
    }

    fn met(&self, stat: &CellStat) -> bool {
        let value = self.judged(stat);
        if self.at_most {
            value <= self.effective
        } else {
            value >= self.effective
        }
    }

    /// `wait_p95_s at most 2.0 h`.
    pub fn describe(&self) -> String {
        let sense = if self.at_most { "at most" } else { "at least" };
        format!(
            "{} {sense} {}",
            self.metric,
            value_text(&self.metric, self.effective)
        )
    }

    /// `upper 95 % bound 1.6 h` (or `mean 1.6 h` without an interval).
    fn evidence(&self, stat: &CellStat) -> String {
        let what = match (stat.ci95.is_some(), self.at_most) {
            (false, _) => "mean",
            (true, true) => "upper 95 % bound",
            (true, false) => "lower 95 % bound",
        };
        let judged = self.judged(stat);
        let text = match duration_unit(&self.metric, self.effective) {
            // In the target's unit, so the two read side by side.
            Some((secs, name)) => format!("{:.1} {name}", judged / secs),
            None => value_text(&self.metric, judged),
        };
        format!("{what} {text}")
    }
}

/// For `_s` metrics, the unit `html::duration` writes `reference` in: seconds per unit, name.
fn duration_unit(metric: &str, reference: f64) -> Option<(f64, &'static str)> {
    if !metric.split('{').next().is_some_and(|n| n.ends_with("_s")) {
        return None;
    }
    Some(crate::html::duration_unit(reference))
}

/// A metric's value for people: durations for `_s` metrics, else up to three decimals.
pub(crate) fn value_text(metric: &str, value: f64) -> String {
    if metric.split('{').next().is_some_and(|n| n.ends_with("_s")) {
        crate::html::duration(value)
    } else {
        let text = format!("{value:.3}");
        let text = text.trim_end_matches('0').trim_end_matches('.');
        text.to_owned()
    }
}

/// Whether a cell meets every target; the first it fails (or has no value for) otherwise.
fn first_failure<'a>(data: &SweepData, targets: &'a [Target], cell: usize) -> Option<&'a Target> {
    targets.iter().find(|t| {
        data.stats
            .get(&(cell, t.metric.clone()))
            .is_none_or(|stat| !t.met(stat))
    })
}

/// `cell labels` as `a = x, b = y` over every axis but `skip`.
fn others(data: &SweepData, labels: &[String], skip: Option<usize>) -> String {
    data.axes
        .iter()
        .zip(labels)
        .enumerate()
        .filter(|(idx, _)| Some(*idx) != skip)
        .map(|(_, (axis, label))| format!("{} = {label}", axis.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The answer sentence; `None` when the sweep states no target.
pub(crate) fn sweep_answer(data: &SweepData, targets: &[Target]) -> Option<String> {
    if targets.is_empty() {
        return None;
    }
    let asked = targets
        .iter()
        .map(Target::describe)
        .collect::<Vec<_>>()
        .join(" and ");
    let Some(axis_idx) = data.axes.iter().position(|a| a.numbers.is_some()) else {
        return Some(cells_answer(data, targets, &asked));
    };
    let axis = &data.axes[axis_idx];
    let every = match data.axes.len() {
        1 => "in every cell".to_owned(),
        _ => format!("for every {}", others_names(data, axis_idx)),
    };
    // Value index → cells with it, in cell order.
    let mut by_value: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (&cell, labels) in &data.cells {
        if let Some(idx) = axis.labels.iter().position(|l| *l == labels[axis_idx]) {
            by_value.entry(idx).or_default().push(cell);
        }
    }
    // Smallest number first, whatever order the file listed them in.
    let numbers = axis.numbers.as_ref().expect("a numeric axis");
    let mut order: Vec<usize> = by_value.keys().copied().collect();
    order.sort_by(|a, b| numbers[*a].total_cmp(&numbers[*b]));
    let meets = |idx: usize| {
        by_value[&idx]
            .iter()
            .all(|&cell| first_failure(data, targets, cell).is_none())
    };
    match order.iter().position(|&idx| meets(idx)) {
        Some(pos) => {
            let idx = order[pos];
            let worst = targets
                .iter()
                .map(|t| worst_evidence(data, t, &by_value[&idx], axis_idx))
                .collect::<Vec<_>>()
                .join("; ");
            let mut sentence = format!(
                "{} = {} is the smallest value that keeps {asked} {every}: {worst}.",
                axis.name, axis.labels[idx]
            );
            if let Some(&below) = pos.checked_sub(1).map(|p| &order[p]) {
                sentence.push_str(&format!(
                    " At {} = {} it fails ({}).",
                    axis.name,
                    axis.labels[below],
                    failing_cell(data, targets, &by_value[&below], axis_idx)
                ));
            }
            Some(sentence)
        }
        None => {
            let largest = *order.last()?;
            Some(format!(
                "No value of {} keeps {asked} {every}: even at {} = {} it fails ({}).",
                axis.name,
                axis.name,
                axis.labels[largest],
                failing_cell(data, targets, &by_value[&largest], axis_idx)
            ))
        }
    }
}

fn others_names(data: &SweepData, skip: usize) -> String {
    data.axes
        .iter()
        .enumerate()
        .filter(|(idx, _)| *idx != skip)
        .map(|(_, a)| a.name.as_str())
        .collect::<Vec<_>>()
        .join(" and ")
}

/// The least favourable judged value of `target` over `cells`, with the cell it is in.
fn worst_evidence(data: &SweepData, target: &Target, cells: &[usize], skip: usize) -> String {
    let worst = cells
        .iter()
        .filter_map(|&cell| Some((cell, data.stats.get(&(cell, target.metric.clone()))?)))
        .reduce(|a, b| {
            let (ja, jb) = (target.judged(a.1), target.judged(b.1));
            let b_worse = if target.at_most { jb > ja } else { jb < ja };
            if b_worse { b } else { a }
        });
    match worst {
        Some((cell, stat)) => {
            let place = others(data, &data.cells[&cell], Some(skip));
            let place = if place.is_empty() {
                String::new()
            } else {
                format!(" at {place}")
            };
            format!("{} {}{place}", target.metric, target.evidence(stat))
        }
        None => format!("{} has no value", target.metric),
    }
}

/// The first cell of `cells` that fails, and why.
fn failing_cell(data: &SweepData, targets: &[Target], cells: &[usize], skip: usize) -> String {
    for &cell in cells {
        if let Some(target) = first_failure(data, targets, cell) {
            let place = others(data, &data.cells[&cell], Some(skip));
            let place = if place.is_empty() {
                String::new()
            } else {
                format!("{place}: ")
            };
            return match data.stats.get(&(cell, target.metric.clone())) {
                Some(stat) => format!("{place}{} {}", target.metric, target.evidence(stat)),
                None => format!("{place}{} has no value", target.metric),
            };
        }
    }
    String::new()
}

/// Without a numeric axis: how many cells meet the targets, and which.
fn cells_answer(data: &SweepData, targets: &[Target], asked: &str) -> String {
    let meeting: Vec<String> = data
        .cells
        .iter()
        .filter(|(cell, _)| first_failure(data, targets, **cell).is_none())
        .map(|(_, labels)| others(data, labels, None))
        .collect();
    let total = data.cells.len();
    match meeting.len() {
        0 => format!("No cell keeps {asked}."),
        n if n == total => format!("Every cell keeps {asked}."),
        n => {
            let shown: Vec<&str> = meeting.iter().take(5).map(String::as_str).collect();
            let more = if n > shown.len() { ", …" } else { "" };
            format!(
                "{n} of {total} cells keep {asked}: {}{more}.",
                shown.join("; ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::AxisInfo;

    const HOUR: f64 = 3_600.0;

    /// `added` (0, 4, 8) × `condition` (nominal, lose dc-1), cells in that order, with the
    /// given (mean, upper bound) of wait_p95_s in hours; lower bounds are half the mean.
    fn two_axes(values: [(f64, f64); 6]) -> SweepData {
        let added = ["0", "4", "8"];
        let condition = ["nominal", "lose dc-1"];
        SweepData {
            name: "s.yaml".into(),
            description: serde_json::Value::Null,
            axes: vec![
                AxisInfo {
                    name: "added".into(),
                    labels: added.iter().map(|l| l.to_string()).collect(),
                    numbers: Some(vec![0.0, 4.0, 8.0]),
                },
                AxisInfo {
                    name: "condition".into(),
                    labels: condition.iter().map(|l| l.to_string()).collect(),
                    numbers: None,
                },
            ],
            report_metrics: vec!["wait_p95_s".into()],
            stats: values
                .iter()
                .enumerate()
                .map(|(cell, &(mean, high))| {
                    let stat = CellStat {
                        n: 3,
                        mean: mean * HOUR,
                        ci95: Some((mean * HOUR / 2.0, high * HOUR)),
                    };
                    ((cell, "wait_p95_s".to_owned()), stat)
                })
                .collect(),
            cells: (0..6)
                .map(|c| {
                    (
                        c,
                        vec![added[c / 2].to_owned(), condition[c % 2].to_owned()],
                    )
                })
                .collect(),
            targets: Vec::new(),
        }
    }

    /// Upper bounds within 2 h only for nominal at 4 and 8 added; losing dc-1 at 8 added
    /// leaves 3 h.
    const FAILS_AT_8: [(f64, f64); 6] = [
        (3.0, 4.0),
        (5.0, 6.0),
        (0.5, 1.0),
        (2.0, 2.5),
        (0.1, 0.2),
        (1.5, 3.0),
    ];

    fn two_hours() -> Vec<Target> {
        vec![Target {
            metric: "wait_p95_s".into(),
            at_most: true,
            effective: 2.0 * HOUR,
        }]
    }

    #[test]
    fn the_smallest_value_meeting_the_target_in_every_condition_is_named() {
        // At 4 added, nominal's upper bound is 1 h but losing dc-1 gives 2.5 h > 2 h; at 8
        // both are within 2 h, the larger 1.6 h.
        let data = two_axes([
            (3.0, 4.0),
            (5.0, 6.0),
            (0.5, 1.0),
            (2.0, 2.5),
            (0.1, 0.2),
            (1.2, 1.6),
        ]);
        assert_eq!(
            sweep_answer(&data, &two_hours()).unwrap(),
            "added = 8 is the smallest value that keeps wait_p95_s at most 2.0 h for every \
             condition: wait_p95_s upper 95 % bound 1.6 h at condition = lose dc-1. At added = 4 \
             it fails (condition = lose dc-1: wait_p95_s upper 95 % bound 2.5 h)."
        );
    }

    #[test]
    fn no_value_meeting_the_target_is_said_plainly() {
        // Even at 8 added, losing dc-1 leaves an upper bound of 3 h: the mean (1.5 h) alone
        // would pass, the interval does not.
        let data = two_axes(FAILS_AT_8);
        assert_eq!(
            sweep_answer(&data, &two_hours()).unwrap(),
            "No value of added keeps wait_p95_s at most 2.0 h for every condition: even at \
             added = 8 it fails (condition = lose dc-1: wait_p95_s upper 95 % bound 3.0 h)."
        );
    }

    #[test]
    fn without_a_numeric_axis_the_cells_meeting_the_target_are_listed() {
        let mut data = two_axes(FAILS_AT_8);
        data.axes[0].numbers = None;
        // Within 2 h: (4, nominal) at 1 h and (8, nominal) at 0.2 h.
        assert_eq!(
            sweep_answer(&data, &two_hours()).unwrap(),
            "2 of 6 cells keep wait_p95_s at most 2.0 h: added = 4, condition = nominal; \
             added = 8, condition = nominal."
        );
        assert_eq!(sweep_answer(&data, &[]), None);
    }
}
