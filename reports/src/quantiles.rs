//! Durations gathered for percentiles, in memory that stops growing with the number of jobs.
//!
//! Up to [`EXACT_LIMIT`] values are kept as they are and percentiles are exact (nearest rank).
//! Past that, every value goes into a log-linear histogram with three significant digits: a
//! percentile is then the largest value of the bucket holding its rank, within 0.1% of the
//! exact one, and memory is a few hundred kilobytes whatever the count. The count, mean and
//! maximum stay exact.

use hdrhistogram::Histogram;

/// Values kept exactly before switching to the histogram: 8 MiB of `u64`.
pub(crate) const EXACT_LIMIT: usize = 1 << 20;

/// Durations in milliseconds.
#[derive(Clone, Default)]
pub(crate) struct Quantiles {
    count: u64,
    total_ms: u128,
    max_ms: u64,
    exact: Vec<u64>,
    histogram: Option<Histogram<u64>>,
    /// `exact` is sorted (percentiles were asked for since the last value came).
    sorted: bool,
}

impl Quantiles {
    /// Adds one duration.
    pub fn push(&mut self, ms: u64) {
        self.count += 1;
        self.total_ms += u128::from(ms);
        self.max_ms = self.max_ms.max(ms);
        if let Some(histogram) = &mut self.histogram {
            record(histogram, ms);
            return;
        }
        self.exact.push(ms);
        self.sorted = false;
        if self.exact.len() > EXACT_LIMIT {
            let mut histogram =
                Histogram::<u64>::new(3).expect("three significant digits are supported");
            for &value in &self.exact {
                record(&mut histogram, value);
            }
            self.exact = Vec::new();
            self.histogram = Some(histogram);
        }
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Mean in milliseconds (0 without values).
    pub fn mean_ms(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.total_ms as f64 / self.count as f64
        }
    }

    /// The largest value.
    pub fn max_ms(&self) -> u64 {
        self.max_ms
    }

    /// The value at rank ⌈p/100 · n⌉ (nearest rank); 0 without values.
    pub fn percentile_ms(&mut self, percent: u64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        if let Some(histogram) = &self.histogram {
            // The histogram's own rank rule is ⌈q · n⌉ in floats; computing the rank in
            // integers and asking for it keeps 95 % from skipping a rank.
            let rank = (percent * self.count).div_ceil(100).max(1);
            let quantile = (rank as f64 - 0.5) / self.count as f64;
            return histogram.value_at_quantile(quantile).min(self.max_ms);
        }
        if !self.sorted {
            self.exact.sort_unstable();
            self.sorted = true;
        }
        crate::summary::nearest_rank(&self.exact, percent)
    }
}

/// Records `ms`, growing the histogram's range as needed (it starts small and resizes).
fn record(histogram: &mut Histogram<u64>, ms: u64) {
    if histogram.record(ms).is_err() {
        // Only a value beyond what any histogram can track: counted at the top instead.
        histogram.saturating_record(ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_below_the_limit() {
        let mut q = Quantiles::default();
        for ms in [40_000, 10_000, 30_000, 20_000] {
            q.push(ms);
        }
        assert_eq!((q.count(), q.mean_ms(), q.max_ms()), (4, 25_000.0, 40_000));
        // Ranks ⌈0.5·4⌉ = 2, ⌈0.95·4⌉ = 4.
        assert_eq!(q.percentile_ms(50), 20_000);
        assert_eq!(q.percentile_ms(95), 40_000);
    }

    #[test]
    fn within_a_thousandth_past_the_limit() {
        // 0, 1, 2, … ms: the value at rank r is r − 1, so p50 of n values is ⌈n/2⌉ − 1.
        let n = EXACT_LIMIT as u64 + 1000;
        let mut q = Quantiles::default();
        for ms in 0..n {
            q.push(ms);
        }
        assert!(q.histogram.is_some() && q.exact.is_empty());
        assert_eq!(q.count(), n);
        assert_eq!(q.max_ms(), n - 1);
        assert_eq!(q.mean_ms(), (n - 1) as f64 / 2.0);
        for percent in [50, 95, 99] {
            let exact = (percent * n).div_ceil(100) - 1;
            let got = q.percentile_ms(percent);
            assert!(
                got.abs_diff(exact) as f64 <= exact as f64 / 1000.0,
                "p{percent}: {got} against {exact}"
            );
        }
        assert_eq!(q.percentile_ms(100), n - 1);
    }
}
