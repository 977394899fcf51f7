//! The waiting-time axis of a run's CDF: linear when the waits are of one order of
//! magnitude, logarithmic when they span more than [`LOG_SPAN`], where a linear axis would
//! crush all but the longest waits against 0.

use crate::figures::chart::power_of_ten;
use crate::figures::style::time_unit;

/// How many times the longest positive value must exceed the shortest for a log axis.
pub(crate) const LOG_SPAN: f64 = 100.0;

/// The waits seen, which choose the waiting-time axis.
#[derive(Default)]
pub(crate) struct WaitRange {
    any: bool,
    longest: f64,
    /// The shortest wait above 0.
    shortest_positive: Option<f64>,
}

/// A waiting-time axis: linear in a readable unit, or log₁₀ of seconds.
pub(crate) struct WaitAxis {
    pub log: bool,
    /// Seconds per unit (linear).
    pub secs: f64,
    /// First and last wait on the axis, in seconds.
    pub start: f64,
    pub end: f64,
    pub label: String,
}

impl WaitRange {
    pub fn add(&mut self, wait: f64) {
        self.any = true;
        self.longest = self.longest.max(wait);
        if wait > 0.0 {
            self.shortest_positive = Some(self.shortest_positive.map_or(wait, |s| s.min(wait)));
        }
    }

    /// Linear in the longest wait's unit, unless the positive waits span more than
    /// [`LOG_SPAN`]: then log seconds from the power of ten at or below the shortest (1 s at
    /// least), shorter waits (0 s among them) counted at the left edge, as the label says.
    pub fn axis(&self) -> Option<WaitAxis> {
        if !self.any {
            return None;
        }
        let longest = self.longest.max(1.0);
        match self.shortest_positive {
            Some(shortest) if longest / shortest > LOG_SPAN => {
                let start = 10f64.powf(shortest.max(1.0).log10().floor());
                Some(WaitAxis {
                    log: true,
                    secs: 1.0,
                    start,
                    end: longest,
                    label: format!(
                        "waiting time (s, log scale; waits under {} s, 0 s among them, are counted at the left edge)",
                        power_of_ten(start.log10())
                    ),
                })
            }
            _ => {
                let unit = time_unit(longest);
                Some(WaitAxis {
                    log: false,
                    secs: unit.secs,
                    start: 0.0,
                    end: longest,
                    label: format!("waiting time ({})", unit.name),
                })
            }
        }
    }
}

impl WaitAxis {
    /// Where a wait of `secs` seconds is drawn along x.
    pub fn to_x(&self, secs: f64) -> f64 {
        if self.log {
            secs.max(self.start).log10()
        } else {
            secs / self.secs
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis_of(waits: &[f64]) -> WaitAxis {
        let mut range = WaitRange::default();
        for &wait in waits {
            range.add(wait);
        }
        range.axis().unwrap()
    }

    #[test]
    fn waits_from_seconds_to_days_get_a_log_axis_from_one_second() {
        // Two jobs started at once, others waited 5 s, 50 s and 500,000 s (5.8 days): the
        // positive waits span 100,000×. The axis starts at 10^0 = 1 s (the power of ten below
        // 5 s) and ends at log10(500,000) = 5.699; the zeros are counted at its left edge.
        let axis = axis_of(&[0.0, 0.0, 5.0, 50.0, 500_000.0]);
        assert!(axis.log);
        assert_eq!(axis.to_x(axis.start), 0.0);
        assert_eq!(axis.to_x(0.0), 0.0);
        assert!((axis.to_x(500_000.0) - 5.698_97).abs() < 1e-5);
        assert!(axis.label.contains("log scale"), "{}", axis.label);
        assert!(axis.label.contains("under 1 s"), "{}", axis.label);
    }

    #[test]
    fn sub_second_waits_still_start_the_axis_at_one_second() {
        let axis = axis_of(&[0.25, 1_000.0]);
        assert!(axis.log);
        assert_eq!(axis.start, 1.0);
    }

    #[test]
    fn waits_of_one_order_of_magnitude_stay_linear() {
        // 30 s to 600 s: 20×, linear, in minutes (600 s is 10 min).
        let axis = axis_of(&[0.0, 30.0, 600.0]);
        assert!(!axis.log);
        assert_eq!(axis.to_x(600.0), 10.0);
        assert_eq!(axis.label, "waiting time (min)");
    }
}
