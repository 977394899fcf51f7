//! Piecewise-constant series and their reduction for drawing.
//!
//! A 1M-job run changes allocation millions of times; a figure is under a thousand pixels wide.
//! [`polyline`] keeps, per pixel column, the value entering it, its lowest and highest value
//! and the value leaving it, so every step and spike still shows, in at most four vertices per
//! column.

/// A piecewise-constant series: `(time, value)` changes in time order; each value holds until
/// the next change, the last one until the end of the run.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Steps {
    pub points: Vec<(f64, f64)>,
}

impl Steps {
    /// Records that the value is `value` from `time` on; a change at the same time as the
    /// previous one replaces it.
    pub fn set(&mut self, time: f64, value: f64) {
        match self.points.last_mut() {
            Some(last) if last.0 == time => last.1 = value,
            _ => self.points.push((time, value)),
        }
    }

    /// The value in force at `time` (0 before the first change).
    pub fn at(&self, time: f64) -> f64 {
        let idx = self.points.partition_point(|&(t, _)| t <= time);
        if idx == 0 {
            0.0
        } else {
            self.points[idx - 1].1
        }
    }

    pub fn max(&self) -> f64 {
        self.points.iter().map(|p| p.1).fold(0.0, f64::max)
    }
}

/// The vertices of `steps` drawn as a staircase up to `end`, reduced to at most four per
/// column when there are more changes than `n_columns`.
pub(crate) fn polyline(steps: &Steps, end: f64, n_columns: usize) -> Vec<(f64, f64)> {
    let points = &steps.points;
    let Some(&(start, _)) = points.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if points.len() <= n_columns.max(1) {
        for (idx, &(time, value)) in points.iter().enumerate() {
            if idx > 0 {
                out.push((time, points[idx - 1].1));
            }
            out.push((time, value));
        }
    } else {
        let width = (end - start).max(f64::MIN_POSITIVE) / n_columns as f64;
        let column = |time: f64| (((time - start) / width) as usize).min(n_columns - 1);
        let mut previous: Option<f64> = None;
        let mut idx = 0;
        while idx < points.len() {
            let col = column(points[idx].0);
            let first_time = points[idx].0;
            let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
            let mut last = points[idx].1;
            while idx < points.len() && column(points[idx].0) == col {
                let value = points[idx].1;
                low = low.min(value);
                high = high.max(value);
                last = value;
                idx += 1;
            }
            if let Some(previous) = previous {
                out.push((first_time, previous));
            }
            out.push((first_time, low));
            out.push((first_time, high));
            out.push((first_time, last));
            previous = Some(last);
        }
    }
    let last_value = points[points.len() - 1].1;
    out.push((end.max(points[points.len() - 1].0), last_value));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(points: &[(f64, f64)]) -> Steps {
        Steps {
            points: points.to_vec(),
        }
    }

    #[test]
    fn few_changes_are_drawn_exactly_as_a_staircase() {
        let series = steps(&[(0.0, 1.0), (2.0, 3.0)]);
        assert_eq!(
            polyline(&series, 5.0, 100),
            [(0.0, 1.0), (2.0, 1.0), (2.0, 3.0), (5.0, 3.0)]
        );
    }

    #[test]
    fn a_spike_inside_one_column_survives_reduction() {
        // Ten columns over 0–10 s; a spike to 9 between 4.2 and 4.3 s, in column 4.
        let mut points: Vec<(f64, f64)> = (0..10).map(|t| (t as f64, 1.0)).collect();
        points.insert(5, (4.2, 9.0));
        points.insert(6, (4.3, 1.0));
        let drawn = polyline(&steps(&points), 10.0, 10);
        assert!(drawn.contains(&(4.0, 9.0)), "{drawn:?}");
        assert!(drawn.iter().all(|&(_, v)| v == 1.0 || v == 9.0));
        assert_eq!(drawn.last(), Some(&(10.0, 1.0)));
    }

    #[test]
    fn a_million_changes_reduce_to_four_vertices_per_column() {
        let points: Vec<(f64, f64)> = (0..1_000_000).map(|i| (i as f64, (i % 7) as f64)).collect();
        let drawn = polyline(&steps(&points), 1_000_000.0, 800);
        assert!(drawn.len() <= 4 * 800 + 1, "{}", drawn.len());
        assert_eq!(drawn.iter().map(|p| p.1).fold(0.0, f64::max), 6.0);
    }

    #[test]
    fn a_change_at_the_same_time_replaces_the_previous_one() {
        let mut series = Steps::default();
        series.set(0.0, 1.0);
        series.set(0.0, 2.0);
        series.set(3.0, 4.0);
        assert_eq!(series, steps(&[(0.0, 2.0), (3.0, 4.0)]));
        assert_eq!(
            (series.at(-1.0), series.at(1.0), series.at(3.0)),
            (0.0, 2.0, 4.0)
        );
    }
}
