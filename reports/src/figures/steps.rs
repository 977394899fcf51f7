//! Piecewise-constant series, reduced for drawing as their changes arrive.
//!
//! A 1M-job run changes allocation millions of times; a figure is under a thousand pixels wide.
//! [`Steps`] keeps, per pixel column, the value entering it, its lowest and highest value and
//! the value leaving it, so every step and spike still shows, in at most four vertices per
//! column. The changes are reduced as they are read, so a series costs the same memory
//! whatever the length of the table it comes from.

/// A piecewise-constant series over `[first change, end]`: `(time, value)` changes in time
/// order, each value holding until the next change, the last one until the end of the run.
///
/// Up to `n_columns` changes are kept as they are and drawn exactly as a staircase; past that
/// the changes are folded into pixel columns as they come.
#[derive(Clone, Debug)]
pub(crate) struct Steps {
    end: f64,
    n_columns: usize,
    /// The latest change: a change at the same time still replaces it.
    latest: Option<(f64, f64)>,
    /// The changes before it, while there are at most `n_columns` in all.
    exact: Vec<(f64, f64)>,
    /// The columns, once there are more changes than `n_columns`.
    columns: Option<Columns>,
    /// The highest value of the changes before the latest, and 0.
    highest: f64,
}

/// Changes folded into pixel columns of equal width from the first change to the end.
#[derive(Clone, Debug)]
struct Columns {
    start: f64,
    width: f64,
    n_columns: usize,
    /// The column being filled.
    open: Option<OpenColumn>,
    /// The value leaving the last closed column.
    previous: Option<f64>,
    vertices: Vec<(f64, f64)>,
}

#[derive(Clone, Copy, Debug)]
struct OpenColumn {
    column: usize,
    first_time: f64,
    low: f64,
    high: f64,
    last: f64,
}

impl Columns {
    fn new(start: f64, end: f64, n_columns: usize) -> Columns {
        Columns {
            start,
            width: (end - start).max(f64::MIN_POSITIVE) / n_columns as f64,
            n_columns,
            open: None,
            previous: None,
            vertices: Vec::new(),
        }
    }

    fn push(&mut self, time: f64, value: f64) {
        let column = (((time - self.start) / self.width) as usize).min(self.n_columns - 1);
        match &mut self.open {
            Some(open) if open.column == column => {
                open.low = open.low.min(value);
                open.high = open.high.max(value);
                open.last = value;
            }
            _ => {
                self.close();
                // Folded from ±∞ rather than started at `value`: the same lowest and highest
                // for any value, NaN included.
                self.open = Some(OpenColumn {
                    column,
                    first_time: time,
                    low: f64::INFINITY.min(value),
                    high: f64::NEG_INFINITY.max(value),
                    last: value,
                });
            }
        }
    }

    /// Emits the open column's vertices, joined to the previous column's level.
    fn close(&mut self) {
        let Some(open) = self.open.take() else {
            return;
        };
        if let Some(previous) = self.previous {
            self.vertices.push((open.first_time, previous));
        }
        self.vertices.push((open.first_time, open.low));
        self.vertices.push((open.first_time, open.high));
        self.vertices.push((open.first_time, open.last));
        self.previous = Some(open.last);
    }
}

impl Steps {
    /// An empty series drawn up to `end` over `n_columns` pixel columns.
    pub fn new(end: f64, n_columns: usize) -> Steps {
        Steps {
            end,
            n_columns: n_columns.max(1),
            latest: None,
            exact: Vec::new(),
            columns: None,
            highest: 0.0,
        }
    }

    /// Records that the value is `value` from `time` on; a change at the same time as the
    /// previous one replaces it.
    pub fn set(&mut self, time: f64, value: f64) {
        match &mut self.latest {
            Some(latest) if latest.0 == time => latest.1 = value,
            latest => {
                if let Some(done) = latest.replace((time, value)) {
                    self.commit(done);
                }
            }
        }
    }

    /// Takes a change that can no longer be replaced.
    fn commit(&mut self, (time, value): (f64, f64)) {
        self.highest = self.highest.max(value);
        if let Some(columns) = &mut self.columns {
            columns.push(time, value);
            return;
        }
        self.exact.push((time, value));
        // With the latest change, there are now more changes than columns: reduce from here on.
        if self.exact.len() + 1 > self.n_columns {
            let mut columns = Columns::new(self.exact[0].0, self.end, self.n_columns);
            for (time, value) in self.exact.drain(..) {
                columns.push(time, value);
            }
            self.exact = Vec::new();
            self.columns = Some(columns);
        }
    }

    /// The highest value taken, or 0 if none was higher.
    pub fn max(&self) -> f64 {
        self.latest
            .map_or(self.highest, |(_, value)| self.highest.max(value))
    }

    /// The vertices to draw: the staircase up to the end, reduced to at most four per column
    /// when there were more changes than columns.
    pub fn polyline(mut self) -> Vec<(f64, f64)> {
        let Some((last_time, last_value)) = self.latest else {
            return Vec::new();
        };
        let mut out = match self.columns.take() {
            Some(mut columns) => {
                columns.push(last_time, last_value);
                columns.close();
                columns.vertices
            }
            None => {
                self.exact.push((last_time, last_value));
                let mut out = Vec::with_capacity(2 * self.exact.len() + 1);
                for (idx, &(time, value)) in self.exact.iter().enumerate() {
                    if idx > 0 {
                        out.push((time, self.exact[idx - 1].1));
                    }
                    out.push((time, value));
                }
                out
            }
        };
        out.push((self.end.max(last_time), last_value));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drawn(points: &[(f64, f64)], end: f64, n_columns: usize) -> Vec<(f64, f64)> {
        let mut series = Steps::new(end, n_columns);
        for &(time, value) in points {
            series.set(time, value);
        }
        series.polyline()
    }

    #[test]
    fn few_changes_are_drawn_exactly_as_a_staircase() {
        assert_eq!(
            drawn(&[(0.0, 1.0), (2.0, 3.0)], 5.0, 100),
            [(0.0, 1.0), (2.0, 1.0), (2.0, 3.0), (5.0, 3.0)]
        );
        assert_eq!(drawn(&[], 5.0, 100), []);
    }

    #[test]
    fn a_spike_inside_one_column_survives_reduction() {
        // Ten columns over 0–10 s; a spike to 9 between 4.2 and 4.3 s, in column 4.
        let mut points: Vec<(f64, f64)> = (0..10).map(|t| (t as f64, 1.0)).collect();
        points.insert(5, (4.2, 9.0));
        points.insert(6, (4.3, 1.0));
        let drawn = drawn(&points, 10.0, 10);
        assert!(drawn.contains(&(4.0, 9.0)), "{drawn:?}");
        assert!(drawn.iter().all(|&(_, v)| v == 1.0 || v == 9.0));
        assert_eq!(drawn.last(), Some(&(10.0, 1.0)));
    }

    #[test]
    fn columns_keep_entering_lowest_highest_and_leaving_values() {
        // Four columns of 1 s over 0–4 s, five changes: more than columns, so reduced.
        // Column 0 holds 0 s → 5 and 0.5 s → 2; column 2 holds 2 s → 7, 2.5 s → 1, 2.9 s → 4.
        let points = [(0.0, 5.0), (0.5, 2.0), (2.0, 7.0), (2.5, 1.0), (2.9, 4.0)];
        assert_eq!(
            drawn(&points, 4.0, 4),
            [
                (0.0, 2.0),
                (0.0, 5.0),
                (0.0, 2.0),
                (2.0, 2.0),
                (2.0, 1.0),
                (2.0, 7.0),
                (2.0, 4.0),
                (4.0, 4.0),
            ]
        );
    }

    #[test]
    fn exactly_as_many_changes_as_columns_are_not_reduced() {
        let points = [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)];
        assert_eq!(drawn(&points, 3.0, 3).len(), 2 * 3);
        // One more change, replaced at its own time, still counts once.
        let mut series = Steps::new(3.0, 3);
        for (time, value) in [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0), (2.0, 4.0)] {
            series.set(time, value);
        }
        assert_eq!(series.polyline().last(), Some(&(3.0, 4.0)));
    }

    /// The drawing worked out from every change kept in memory, the way it was done before
    /// series were reduced as they streamed: the staircase, or the changes grouped per column.
    fn drawn_from_all(changes: &[(f64, f64)], end: f64, n_columns: usize) -> Vec<(f64, f64)> {
        let mut kept: Vec<(f64, f64)> = Vec::new();
        for &(time, value) in changes {
            match kept.last_mut() {
                Some(last) if last.0 == time => last.1 = value,
                _ => kept.push((time, value)),
            }
        }
        let (Some(&(start, _)), Some(&(last_time, last_value))) = (kept.first(), kept.last())
        else {
            return Vec::new();
        };
        let mut out = vec![kept[0]];
        if kept.len() <= n_columns {
            for pair in kept.windows(2) {
                out.extend([(pair[1].0, pair[0].1), pair[1]]);
            }
        } else {
            out.clear();
            let width = (end - start) / n_columns as f64;
            let column = |time: f64| (((time - start) / width) as usize).min(n_columns - 1);
            for group in kept.chunk_by(|a, b| column(a.0) == column(b.0)) {
                let at = group[0].0;
                if let Some(&(_, previous)) = out.last() {
                    out.push((at, previous));
                }
                let values = group.iter().map(|p| p.1);
                out.push((at, values.clone().fold(f64::INFINITY, f64::min)));
                out.push((at, values.fold(f64::NEG_INFINITY, f64::max)));
                out.push((at, group[group.len() - 1].1));
            }
        }
        out.push((end.max(last_time), last_value));
        out
    }

    #[test]
    fn streamed_reduction_draws_what_all_changes_kept_would() {
        // Pseudo-random series (a fixed linear congruential sequence): times that often repeat
        // (replacements, also across the switch to columns), small values, 1 to 12 columns.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |below: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % below
        };
        for _ in 0..2000 {
            let n_columns = 1 + next(12) as usize;
            let mut time = next(3) as f64;
            let changes: Vec<(f64, f64)> = (0..next(40))
                .map(|_| {
                    time += [0.0, 0.0, 0.5, 1.0, 7.0][next(5) as usize];
                    (time, next(6) as f64)
                })
                .collect();
            let end = time + next(4) as f64;
            assert_eq!(
                drawn(&changes, end, n_columns),
                drawn_from_all(&changes, end, n_columns),
                "{changes:?} up to {end} over {n_columns} columns"
            );
        }
    }

    #[test]
    fn a_million_changes_reduce_to_four_vertices_per_column() {
        let points: Vec<(f64, f64)> = (0..1_000_000).map(|i| (i as f64, (i % 7) as f64)).collect();
        let drawn = drawn(&points, 1_000_000.0, 800);
        assert!(drawn.len() <= 4 * 800 + 1, "{}", drawn.len());
        assert_eq!(drawn.iter().map(|p| p.1).fold(0.0, f64::max), 6.0);
    }

    #[test]
    fn a_change_at_the_same_time_replaces_the_previous_one() {
        let mut series = Steps::new(5.0, 100);
        series.set(0.0, 9.0);
        series.set(0.0, 2.0);
        series.set(3.0, 4.0);
        // The replaced 9 was never in force: it is neither the highest value nor drawn.
        assert_eq!(series.max(), 4.0);
        assert_eq!(
            series.polyline(),
            [(0.0, 2.0), (3.0, 2.0), (3.0, 4.0), (5.0, 4.0)]
        );
        let mut below_zero = Steps::new(1.0, 10);
        below_zero.set(0.0, -1.0);
        assert_eq!(below_zero.max(), 0.0);
    }
}
