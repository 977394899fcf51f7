//! The queue-length series: jobs waiting (submitted, not yet started) over time, overall and
//! per priority class, streamed from the control plane's queue records.
//!
//! A job waits from its submission to its first start, or to the end of the run if it never
//! started. The control plane's queue is one queue for the whole federation, not one per
//! cluster, which is why this is a table of its own rather than a timeline column.
//!
//! Memory holds one count per series and the changes of the current instant, whatever the
//! number of jobs.

use std::collections::BTreeMap;

use sim_core::model::PriorityClassId;
use sim_core::record::QueueRecord;

use crate::names::{NO_PRIORITY_CLASS, Names};
use crate::tables::Cell;

/// The series name for all jobs together.
pub(crate) const ALL_CLASSES: &str = "(all)";

/// A series: every job, or the jobs of one priority class (`None`: without one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Series {
    All,
    Class(Option<PriorityClassId>),
}

/// Turns queue records into `queue` rows as they come.
#[derive(Default)]
pub(crate) struct QueueTracker {
    /// The instant whose changes are being gathered.
    now: u64,
    /// Jobs waiting per series as of the rows written so far.
    waiting: BTreeMap<Series, i64>,
    /// Net change per series at `now`, not yet written.
    pending: BTreeMap<Series, i64>,
}

impl QueueTracker {
    /// Takes one record; returns the rows that became final (those of earlier instants).
    pub fn record(&mut self, record: &QueueRecord, names: &Names) -> Vec<Vec<Cell>> {
        let time = record.time.as_millis();
        debug_assert!(time >= self.now, "queue records out of time order");
        let mut rows = Vec::new();
        if time > self.now {
            rows = self.flush(names);
            self.now = time;
        }
        let delta = if record.started { -1 } else { 1 };
        for series in [Series::All, Series::Class(record.priority_class)] {
            if let std::collections::btree_map::Entry::Vacant(entry) = self.waiting.entry(series) {
                // Each series starts with a row at time 0 (with the value after the changes at
                // 0, when it has any).
                entry.insert(0);
                if time > 0 {
                    rows.push(row(0, &series_name(series, names), 0));
                } else {
                    self.pending.entry(series).or_insert(0);
                }
            }
            *self.pending.entry(series).or_insert(0) += delta;
        }
        rows
    }

    /// The rows still pending at the end of the run.
    pub fn finish(&mut self, names: &Names) -> Vec<Vec<Cell>> {
        self.flush(names)
    }

    /// Rows for the changes gathered at `now`: one per series whose value changed (at time 0,
    /// one per series seen then), `(all)` first, then the classes by name.
    fn flush(&mut self, names: &Names) -> Vec<Vec<Cell>> {
        let mut changed: Vec<(Series, i64)> = std::mem::take(&mut self.pending)
            .into_iter()
            .filter(|&(_, delta)| delta != 0 || self.now == 0)
            .collect();
        changed
            .sort_by_cached_key(|&(series, _)| (series != Series::All, series_name(series, names)));
        changed
            .into_iter()
            .map(|(series, delta)| {
                let waiting = self.waiting.entry(series).or_insert(0);
                *waiting += delta;
                row(self.now, &series_name(series, names), *waiting)
            })
            .collect()
    }
}

fn series_name(series: Series, names: &Names) -> String {
    match series {
        Series::All => ALL_CLASSES.to_owned(),
        Series::Class(class) => names
            .priority_class(class)
            .unwrap_or(NO_PRIORITY_CLASS)
            .to_owned(),
    }
}

fn row(time_ms: u64, series: &str, waiting: i64) -> Vec<Cell> {
    vec![
        Cell::Milli(time_ms),
        Cell::Text(series.to_owned()),
        Cell::Count(waiting.max(0) as u64),
    ]
}
