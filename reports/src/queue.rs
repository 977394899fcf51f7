//! The queue-length series: jobs waiting (submitted, not yet started) over time, overall and
//! per priority class, derived after the run from the job records.
//!
//! A job waits from its submission to its start, or to the end of the run if it never
//! started. The control plane's queue is one queue for the whole federation, not one per
//! cluster, which is why this is a table of its own rather than a timeline column.

use std::collections::BTreeMap;

use sim_core::record::JobRecord;

use crate::names::{NO_PRIORITY_CLASS, Names};
use crate::tables::Cell;

/// The series name for all jobs together.
pub(crate) const ALL_CLASSES: &str = "(all)";

/// What each job record contributes, kept until the run ends: 24 bytes a job.
#[derive(Default)]
pub(crate) struct QueueTracker {
    /// (submit ms, start ms if the job started, priority class index + 1, 0 for none).
    waits: Vec<(u64, Option<u64>, u32)>,
}

impl QueueTracker {
    pub fn job(&mut self, job: &JobRecord) {
        let class = job.priority_class.map_or(0, |c| c.0 + 1);
        self.waits.push((
            job.submit.as_millis(),
            job.start.map(|s| s.as_millis()),
            class,
        ));
    }

    /// The `queue` rows: for each series (`(all)` first, then the classes by name), a row at
    /// time 0 and one at every later time where the number of waiting jobs changed. A job that
    /// starts when it is submitted never counts as waiting.
    pub fn rows(&self, names: &Names) -> Vec<Vec<Cell>> {
        let class_name = |class: u32| match class {
            0 => NO_PRIORITY_CLASS.to_owned(),
            c => names.priority_classes[c as usize - 1].clone(),
        };
        // Series name → (time → net change).
        let mut changes: BTreeMap<String, BTreeMap<u64, i64>> = BTreeMap::new();
        let mut add = |series: String, submit: u64, start: Option<u64>| {
            let deltas = changes.entry(series).or_default();
            *deltas.entry(submit).or_default() += 1;
            if let Some(start) = start {
                *deltas.entry(start).or_default() -= 1;
            }
        };
        for &(submit, start, class) in &self.waits {
            add(ALL_CLASSES.to_owned(), submit, start);
            add(class_name(class), submit, start);
        }
        let mut series: Vec<(String, BTreeMap<u64, i64>)> = changes.into_iter().collect();
        // `(all)` sorts before the class names only by accident of ASCII; make it explicit.
        series.sort_by_key(|(name, _)| (name != ALL_CLASSES, name.clone()));
        let mut rows = Vec::new();
        for (name, deltas) in series {
            let mut waiting: i64 = 0;
            if !deltas.contains_key(&0) {
                rows.push(row(0, &name, 0));
            }
            for (time, delta) in deltas {
                if delta == 0 && time != 0 {
                    continue;
                }
                waiting += delta;
                rows.push(row(time, &name, waiting));
            }
        }
        rows
    }
}

fn row(time_ms: u64, series: &str, waiting: i64) -> Vec<Cell> {
    vec![
        Cell::Milli(time_ms),
        Cell::Text(series.to_owned()),
        Cell::Count(waiting.max(0) as u64),
    ]
}
