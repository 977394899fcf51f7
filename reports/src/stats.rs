//! Replication statistics: mean, sample standard deviation and the 95 % confidence interval
//! of the mean by Student's t, as sweep tables and plans report them.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// What the replications of one metric say about its mean.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Replications with a value.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1 in the denominator); `None` below two values.
    pub sd: Option<f64>,
    /// The 95 % confidence interval of the mean, `mean ± t(0.975, n − 1) · sd / √n`; `None`
    /// below two values.
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
        let sd = variance.sqrt();
        let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
            .map(|t| t.inverse_cdf(0.975))
            .unwrap_or(f64::NAN);
        let half = t * sd / (n as f64).sqrt();
        Some(Estimate {
            n,
            mean,
            sd: Some(sd),
            ci95: Some((mean - half, mean + half)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_uses_students_t() {
        // Values 1, 2, 3: mean 2, sd 1; t(0.975, 2) = 4.302653, so the half-width is
        // 4.302653 / √3 = 2.484138.
        let estimate = Estimate::of(&[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(estimate.n, 3);
        assert_eq!(estimate.mean, 2.0);
        assert_eq!(estimate.sd, Some(1.0));
        let (low, high) = estimate.ci95.unwrap();
        assert!((low - (2.0 - 2.484138)).abs() < 1e-6, "{low}");
        assert!((high - (2.0 + 2.484138)).abs() < 1e-6, "{high}");
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
