//! Spot capacity: node pools whose nodes the provider takes back. A pool's revocations come
//! one node at a time, at times from a distribution between revocations or from a rate that
//! varies with the hour of day. Each revocation gives a notice (Kubernetes' graceful
//! termination, `terminationGracePeriodSeconds`): the node is cordoned, then goes down with
//! its pods; it may come back later. The control plane acts on it (`control/spot.rs`).

use std::ops::Range;

use rand_distr::{Distribution, Exp1};
use sim_core::model::ClusterId;
use sim_core::rng::StreamRng;
use sim_core::{Duration, SimTime};

use crate::faults::DurationDist;

const HOUR_MS: u64 = 3_600_000;

/// When a pool's revocations come.
#[derive(Clone, Debug, PartialEq)]
pub enum RevocationTimes {
    /// Time from one revocation (or the start) to the next.
    Between(DurationDist),
    /// Revocations per hour during each hour of the day (index 0 = the first hour of the run,
    /// repeating every 24 h): a Poisson process whose rate is constant within each hour.
    HourlyRate([f64; 24]),
}

impl RevocationTimes {
    /// The first revocation after `now`; `None` when none ever comes (every rate 0).
    pub fn next_after(&self, now: SimTime, rng: &mut StreamRng) -> Option<SimTime> {
        match self {
            RevocationTimes::Between(dist) => Some(now.after(dist.sample(rng))),
            RevocationTimes::HourlyRate(rates) => {
                if rates.iter().all(|r| *r <= 0.0) {
                    return None;
                }
                let target: f64 = Exp1.sample(rng);
                Some(next_by_integral(rates, now, target))
            }
        }
    }
}

/// The moment after `now` when the integral of the hour-of-day rate (per hour) reaches
/// `target`: the next arrival of the non-homogeneous Poisson process, by inversion (a unit
/// exponential of cumulative intensity). Rounded to the nearest ms, at least 1 ms after `now`.
pub fn next_by_integral(rates: &[f64; 24], now: SimTime, mut target: f64) -> SimTime {
    let mut t = now.as_millis();
    loop {
        let hour = t / HOUR_MS;
        let end = (hour + 1) * HOUR_MS;
        let rate_per_ms = rates[(hour % 24) as usize].max(0.0) / HOUR_MS as f64;
        let mass = rate_per_ms * (end - t) as f64;
        if rate_per_ms > 0.0 && target <= mass {
            let at = t + (target / rate_per_ms).round() as u64;
            return SimTime(at.clamp(now.as_millis() + 1, end));
        }
        target -= mass;
        t = end;
    }
}

/// Revocations of one spot pool.
#[derive(Clone, Debug, PartialEq)]
pub struct SpotRevocations {
    /// The cluster.
    pub cluster: ClusterId,
    /// The pool's nodes (node indices in the cluster).
    pub nodes: Range<u32>,
    /// `cluster/pool`, for records.
    pub label: String,
    /// When revocations come.
    pub times: RevocationTimes,
    /// From the notice to the node going down.
    pub notice: Duration,
    /// From the node going down to its return; `None` = never.
    pub back_after: Option<DurationDist>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::rng::RngStreams;

    #[test]
    fn a_constant_rate_gives_the_exponential_inverse() {
        // 2 per hour everywhere: a unit of intensity takes 30 min.
        let rates = [2.0; 24];
        assert_eq!(
            next_by_integral(&rates, SimTime(0), 1.0),
            SimTime(HOUR_MS / 2)
        );
    }

    #[test]
    fn empty_hours_are_skipped() {
        // Nothing until hour 3, then 4 per hour: intensity 1 is reached 15 min into hour 3.
        let mut rates = [0.0; 24];
        rates[3] = 4.0;
        assert_eq!(
            next_by_integral(&rates, SimTime(0), 1.0),
            SimTime(3 * HOUR_MS + HOUR_MS / 4)
        );
        // From hour 4 on, the next such hour is a day later.
        assert_eq!(
            next_by_integral(&rates, SimTime(4 * HOUR_MS), 1.0),
            SimTime(27 * HOUR_MS + HOUR_MS / 4)
        );
    }

    #[test]
    fn the_mean_count_per_day_is_the_integral_of_the_rate() {
        // Rates 0.5 per hour at night (hours 0–7), 3 by day (8–19), 1 in the evening (20–23):
        // 8 × 0.5 + 12 × 3 + 4 × 1 = 44 revocations per day. Over 1,000 days the count is
        // Poisson with mean 44,000 and sd √44,000 ≈ 210: within 4 sd (840) of the mean.
        let mut rates = [0.0; 24];
        for (hour, rate) in rates.iter_mut().enumerate() {
            *rate = match hour {
                0..=7 => 0.5,
                8..=19 => 3.0,
                _ => 1.0,
            };
        }
        let times = RevocationTimes::HourlyRate(rates);
        let mut rng = RngStreams::new(11).stream("spot");
        let end = SimTime(1000 * 24 * HOUR_MS);
        let mut now = SimTime(0);
        let mut n = 0u64;
        while let Some(next) = times.next_after(now, &mut rng) {
            if next >= end {
                break;
            }
            n += 1;
            now = next;
        }
        assert!(n.abs_diff(44_000) <= 840, "{n}");
    }

    #[test]
    fn no_rate_means_no_revocation() {
        let times = RevocationTimes::HourlyRate([0.0; 24]);
        let mut rng = RngStreams::new(1).stream("spot");
        assert_eq!(times.next_after(SimTime(0), &mut rng), None);
    }
}
