//! Replication statistics: mean, sample standard deviation and the 95 % confidence interval
//! of the mean by a percentile bootstrap, as sweep tables and plans report them.
//!
//! The bootstrap interval is made of means of the replications' own values, so it never
//! leaves their range: a non-negative metric never gets a negative bound, a share never one
//! above 1. It is deterministic: the resamples come from a fixed seed.

/// Bootstrap resamples per interval.
pub const RESAMPLES: usize = 10_000;
/// Seed of the resampling stream, the same for every interval.
const SEED: u64 = 0x5EED_B007_57A7_0001;

/// The method, as reports and docs state it.
pub const INTERVAL_METHOD: &str = "percentile bootstrap of the mean, 10,000 resamples, fixed seed";

/// What the replications of one metric say about its mean.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Replications with a value.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1 in the denominator); `None` below two values.
    pub sd: Option<f64>,
    /// The 95 % confidence interval of the mean: the 2.5th and 97.5th percentiles of the
    /// means of [`RESAMPLES`] resamples with replacement; `None` below two values.
    pub ci95: Option<(f64, f64)>,
}

impl Estimate {
    /// The estimate from `values`; `None` when there are none.
    pub fn of(values: &[f64]) -> Option<Estimate> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Some(Estimate {
                n,
                mean,
                sd: None,
                ci95: None,
            });
        }
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        Some(Estimate {
            n,
            mean,
            sd: Some(variance.sqrt()),
            ci95: Some(bootstrap_interval(values)),
        })
    }
}

/// The 2.5th and 97.5th percentiles (nearest rank) of the resampled means.
fn bootstrap_interval(values: &[f64]) -> (f64, f64) {
    let n = values.len();
    let (lowest, highest) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if lowest == highest {
        return (lowest, highest);
    }
    let mut state = SEED;
    let mut means: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            let sum: f64 = (0..n)
                .map(|_| values[(split_mix(&mut state) % n as u64) as usize])
                .sum();
            sum / n as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    let rank = |p: f64| ((p * RESAMPLES as f64).ceil() as usize).clamp(1, RESAMPLES) - 1;
    // Sums in another order can round a hair outside the values; the bounds stay within.
    (
        means[rank(0.025)].clamp(lowest, highest),
        means[rank(0.975)].clamp(lowest, highest),
    )
}

/// SplitMix64: a small, fixed generator, so intervals never change with a library's version.
fn split_mix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_values_give_their_range() {
        // Values 1, 2, 3: mean 2, sd 1. A resample of three equal values has probability
        // 1/27 = 3.7 % > 2.5 %, so the 2.5th percentile of the resampled means is 1 and the
        // 97.5th is 3. (Student's t gave 2 ± 2.484, below the smallest value.)
        let estimate = Estimate::of(&[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(estimate.n, 3);
        assert_eq!(estimate.mean, 2.0);
        assert_eq!(estimate.sd, Some(1.0));
        assert_eq!(estimate.ci95, Some((1.0, 3.0)));
    }

    #[test]
    fn a_non_negative_metric_keeps_a_non_negative_interval() {
        // 0, 0, 0, 0, 1000: mean 200, and Student's t gave 200 ± 555 (t(0.975, 4) = 2.776,
        // sd 447.2), below 0. A resample's mean is 200 k with k ~ Binomial(5, 1/5) copies of
        // 1000: P(k = 0) = 0.328, so the 2.5th percentile is 0; P(k ≥ 3) = 0.058 and
        // P(k ≥ 4) = 0.0067, so the 97.5th percentile is 600.
        let estimate = Estimate::of(&[0.0, 0.0, 0.0, 0.0, 1000.0]).unwrap();
        assert_eq!(estimate.mean, 200.0);
        assert_eq!(estimate.ci95, Some((0.0, 600.0)));
    }

    #[test]
    fn a_share_stays_within_zero_and_one() {
        // Shares 1, 1, 1, 0.5: P(no 0.5 in a resample) = (3/4)^4 = 0.316, so the upper
        // bound is 1 exactly, never above.
        let estimate = Estimate::of(&[1.0, 1.0, 1.0, 0.5]).unwrap();
        let (low, high) = estimate.ci95.unwrap();
        assert_eq!(high, 1.0);
        assert!((0.5..1.0).contains(&low), "{low}");
    }

    #[test]
    fn the_interval_is_the_same_every_time() {
        let values = [3.5, 9.25, 1.0, 7.75, 4.0, 12.5];
        assert_eq!(Estimate::of(&values), Estimate::of(&values));
    }

    #[test]
    fn one_value_has_no_spread_and_none_has_no_estimate() {
        let estimate = Estimate::of(&[5.0]).unwrap();
        assert_eq!(
            (estimate.mean, estimate.sd, estimate.ci95),
            (5.0, None, None)
        );
        assert_eq!(Estimate::of(&[]), None);
    }

    #[test]
    fn equal_values_give_a_zero_width_interval() {
        let estimate = Estimate::of(&[4.0, 4.0, 4.0, 4.0]).unwrap();
        assert_eq!(estimate.ci95, Some((4.0, 4.0)));
    }
}
