//! Simulated time: integer milliseconds since the scenario starts, and human durations.
//!
//! Time is never a float, so two runs with the same inputs order every event identically.

use std::fmt;

/// Milliseconds since the scenario started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub u64);

impl SimTime {
    /// The start of every scenario.
    pub const ZERO: SimTime = SimTime(0);
    /// A time later than any event; used as "never".
    pub const NEVER: SimTime = SimTime(u64::MAX);

    /// Milliseconds since the start.
    pub fn as_millis(self) -> u64 {
        self.0
    }

    /// Seconds since the start, for reports.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// `self + duration`, saturating at [`SimTime::NEVER`].
    pub fn after(self, duration: Duration) -> SimTime {
        SimTime(self.0.saturating_add(duration.0))
    }

    /// The time elapsed since `earlier` (zero when `earlier` is later).
    pub fn since(self, earlier: SimTime) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration(0);

    /// A duration of whole milliseconds.
    pub const fn from_millis(ms: u64) -> Duration {
        Duration(ms)
    }

    /// A duration of whole seconds.
    pub const fn from_secs(secs: u64) -> Duration {
        Duration(secs * 1000)
    }

    /// A duration of whole minutes.
    pub const fn from_mins(mins: u64) -> Duration {
        Duration(mins * 60_000)
    }

    /// Milliseconds.
    pub fn as_millis(self) -> u64 {
        self.0
    }

    /// Seconds, for reports.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// Parses a human duration such as `45s`, `1h30m`, `30d`, `1.5h`, `250ms` or `0`.
    ///
    /// Units: `d`, `h`, `m`, `s`, `ms`. Several terms add up. A fraction is allowed as long as
    /// the total is a whole number of milliseconds, so the result is always exact.
    pub fn parse(text: &str) -> Result<Duration, DurationError> {
        let bad = |reason: &'static str| DurationError {
            text: text.to_owned(),
            reason,
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(bad("it is empty"));
        }
        if trimmed == "0" {
            return Ok(Duration::ZERO);
        }
        let bytes = trimmed.as_bytes();
        let mut idx = 0;
        // Sum in millionths of a millisecond so fractions stay exact until the end.
        let mut total_nano_ms: u128 = 0;
        while idx < bytes.len() {
            let number_start = idx;
            while idx < bytes.len() && (bytes[idx].is_ascii_digit() || bytes[idx] == b'.') {
                idx += 1;
            }
            let number = &trimmed[number_start..idx];
            if number.is_empty() {
                return Err(bad(if bytes[idx] == b'-' {
                    "durations cannot be negative"
                } else {
                    "expected a number before each unit"
                }));
            }
            let unit_start = idx;
            while idx < bytes.len() && bytes[idx].is_ascii_alphabetic() {
                idx += 1;
            }
            let unit_ms: u128 = match &trimmed[unit_start..idx] {
                "d" => 86_400_000,
                "h" => 3_600_000,
                "m" => 60_000,
                "s" => 1_000,
                "ms" => 1,
                "" => return Err(bad("a unit is missing (use d, h, m, s or ms)")),
                _ => return Err(bad("unknown unit (use d, h, m, s or ms)")),
            };
            let (whole, fraction) = match number.split_once('.') {
                Some((w, f)) => (w, f),
                None => (number, ""),
            };
            if fraction.contains('.') || (whole.is_empty() && fraction.is_empty()) {
                return Err(bad("malformed number"));
            }
            if fraction.len() > 9 {
                return Err(bad("too many decimal places"));
            }
            let whole_value: u128 = if whole.is_empty() {
                0
            } else {
                whole.parse().map_err(|_| bad("number too large"))?
            };
            let fraction_value: u128 = if fraction.is_empty() {
                0
            } else {
                fraction
                    .parse::<u128>()
                    .map_err(|_| bad("malformed number"))?
                    * 10u128.pow(9 - fraction.len() as u32)
            };
            let term = whole_value
                .checked_mul(unit_ms * 1_000_000_000)
                .and_then(|w| w.checked_add(fraction_value * unit_ms))
                .ok_or_else(|| bad("number too large"))?;
            total_nano_ms = total_nano_ms
                .checked_add(term)
                .ok_or_else(|| bad("number too large"))?;
        }
        if total_nano_ms % 1_000_000_000 != 0 {
            return Err(bad("not a whole number of milliseconds"));
        }
        let ms = total_nano_ms / 1_000_000_000;
        u64::try_from(ms)
            .map(Duration)
            .map_err(|_| bad("number too large"))
    }
}

/// A duration string that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration {text:?}: {reason}")]
pub struct DurationError {
    /// The text as given.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl fmt::Display for Duration {
    /// Prints the shortest exact human form, e.g. `1h30m` or `250ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.0;
        for (unit_ms, unit) in [
            (86_400_000, "d"),
            (3_600_000, "h"),
            (60_000, "m"),
            (1_000, "s"),
            (1, "ms"),
        ] {
            let n_units = rest / unit_ms;
            if n_units > 0 {
                write!(f, "{n_units}{unit}")?;
                rest -= n_units * unit_ms;
            }
        }
        Ok(())
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Duration(self.0).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected_ms: u64) {
        assert_eq!(Duration::parse(text), Ok(Duration(expected_ms)), "{text}");
    }

    fn check_err(text: &str, reason: &str) {
        let err = Duration::parse(text).unwrap_err();
        assert!(err.reason.contains(reason), "{text}: {err}");
    }

    #[test]
    fn single_units() {
        check("45s", 45_000);
        check("90s", 90_000);
        check("6h", 21_600_000);
        check("30d", 2_592_000_000);
        check("250ms", 250);
        check("2m", 120_000);
        check("0", 0);
    }

    #[test]
    fn compound_and_fractional() {
        check("1h30m", 5_400_000);
        check("5d6h", 453_600_000);
        check("1.5h", 5_400_000);
        check("0.25s", 250);
        check(".5s", 500);
        check("1m0.5s", 60_500);
    }

    #[test]
    fn bad_values_are_refused() {
        check_err("", "empty");
        check_err("10", "unit is missing");
        check_err("10x", "unknown unit");
        check_err("-5s", "negative");
        check_err("h", "expected a number");
        check_err("1.2.3s", "malformed");
        check_err("0.0001s", "whole number of milliseconds");
        check_err("99999999999999999999999d", "too large");
    }

    #[test]
    fn display_round_trips() {
        for text in ["1h30m", "45s", "30d", "250ms", "1d2h3m4s5ms"] {
            assert_eq!(Duration::parse(text).unwrap().to_string(), text);
        }
    }
}
