//! Empirical cumulative distributions drawn from counts per pixel column.
//!
//! The waiting-time figure draws, per priority class, the sorted waiting times at up to
//! [`CDF_POINTS`] + 1 evenly spaced ranks. Where a point lands along x depends only on the pixel
//! column its value falls in, so counting values per pixel column, and keeping one value of
//! each, gives the same drawing as sorting them all, in memory bounded by the figure's width
//! rather than by the number of jobs.

use std::collections::BTreeMap;

/// Ranks of the empirical CDF drawn: points beyond these are closer than a pixel.
pub(crate) const CDF_POINTS: usize = 1000;

/// Values counted per pixel column.
#[derive(Clone, Debug, Default)]
pub(crate) struct PixelCounts {
    /// Per pixel column, in order: how many values fall in it, and the first of them.
    columns: BTreeMap<i32, (usize, f64)>,
    total: usize,
}

impl PixelCounts {
    /// Counts `value`, which falls in pixel column `pixel`.
    pub fn add(&mut self, pixel: i32, value: f64) {
        self.columns.entry(pixel).or_insert((0, value)).0 += 1;
        self.total += 1;
    }

    /// How many values were counted.
    pub fn len(&self) -> usize {
        self.total
    }

    /// The staircase of the cumulative share in % at up to [`CDF_POINTS`] + 1 evenly spaced
    /// ranks, from (`x_start`, 0) to (`x_end`, 100), each value drawn at `to_x(value)`. Every x
    /// is drawn from a value of the pixel column where the value of that rank in sorted order
    /// falls.
    pub fn staircase(
        &self,
        to_x: impl Fn(f64) -> f64,
        (x_start, x_end): (f64, f64),
    ) -> Vec<(f64, f64)> {
        let n = self.total;
        let mut points = vec![(x_start, 0.0)];
        if n == 0 {
            return points;
        }
        let steps = CDF_POINTS.min(n - 1);
        let mut columns = self.columns.values();
        // The column holding ranks `below..below + count`, ranks rising with k.
        let (mut below, mut column) = (0, columns.next().copied().unwrap_or((n, 0.0)));
        for k in 0..=steps {
            let rank = k * (n - 1) / steps.max(1);
            while below + column.0 <= rank {
                below += column.0;
                match columns.next() {
                    Some(&next) => column = next,
                    None => break,
                }
            }
            let x = to_x(column.1);
            points.push((x, points.last().map_or(0.0, |p| p.1)));
            points.push((x, 100.0 * (rank + 1) as f64 / n as f64));
        }
        points.push((x_end, 100.0));
        points
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::chart::Chart;

    /// Pixel columns 10 s wide.
    fn counted(values: &[f64]) -> PixelCounts {
        let mut counts = PixelCounts::default();
        for &value in values {
            counts.add((value / 10.0) as i32, value);
        }
        counts
    }

    #[test]
    fn few_values_step_at_each_of_them() {
        // Four jobs waited 0, 12, 12 and 35 s; in minutes, over an axis ending at 1 min.
        let points = counted(&[12.0, 0.0, 35.0, 12.0]).staircase(|v| v / 60.0, (0.0, 1.0));
        assert_eq!(
            points,
            [
                (0.0, 0.0),
                (0.0, 0.0),
                (0.0, 25.0),
                (0.2, 25.0),
                (0.2, 50.0),
                (0.2, 50.0),
                (0.2, 75.0),
                (35.0 / 60.0, 75.0),
                (35.0 / 60.0, 100.0),
                (1.0, 100.0),
            ]
        );
    }

    #[test]
    fn values_of_one_pixel_column_are_drawn_at_its_first_value() {
        // 17 and 13 s share the column 10–20 s: both ranks are drawn at 17 s, counted first.
        let points = counted(&[17.0, 13.0, 25.0]).staircase(|v| v, (0.0, 30.0));
        let xs: Vec<f64> = points.iter().map(|p| p.0).collect();
        assert_eq!(xs, [0.0, 17.0, 17.0, 17.0, 17.0, 25.0, 25.0, 30.0]);
        assert_eq!(counted(&[]).staircase(|v| v, (0.0, 30.0)), [(0.0, 0.0)]);
    }

    #[test]
    fn counted_per_pixel_the_points_land_where_the_sorted_values_do() {
        let mut chart = Chart::new("waits", "x", "y");
        chart.x_range = (0.0, 7.3);
        let x_pixel = chart.x_pixels().unwrap();
        // 5003 pseudo-random values on [0, 7.3], many of them in the same pixel column.
        let values: Vec<f64> = (0..5003u64)
            .map(|i| (i * 7919 % 5003) as f64 * 7.3 / 5002.0)
            .collect();
        let mut counts = PixelCounts::default();
        for &value in &values {
            counts.add(x_pixel(value), value);
        }
        let drawn = counts.staircase(|v| v, (0.0, 7.3));
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        for k in 0..=CDF_POINTS {
            let rank = k * (n - 1) / CDF_POINTS;
            let (x, share) = drawn[2 + 2 * k];
            assert_eq!(x_pixel(x), x_pixel(sorted[rank]), "rank {rank}");
            assert_eq!(share, 100.0 * (rank + 1) as f64 / n as f64);
        }
    }

    #[test]
    fn many_values_are_drawn_at_a_thousand_and_one_ranks() {
        // 100,001 jobs waiting 0..=100,000 s: rank k·100 holds k·100 s, in column k·10.
        let values: Vec<f64> = (0..=100_000).map(f64::from).collect();
        let points = counted(&values).staircase(|v| v, (0.0, 100_000.0));
        assert_eq!(points.len(), 2 + 2 * (CDF_POINTS + 1));
        for k in 0..=CDF_POINTS {
            let (x, share) = points[2 + 2 * k];
            assert_eq!(x, (k * 100) as f64, "rank {}", k * 100);
            assert_eq!(share, 100.0 * (k * 100 + 1) as f64 / 100_001.0);
        }
    }
}
