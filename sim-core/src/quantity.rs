//! Kubernetes resource quantities ("500m", "64Gi", "1Ti", "1.5", "2e3"), parsed exactly.
//!
//! A [`Quantity`] keeps its value in nano-units (Kubernetes' finest precision) as an `i128`, so
//! every suffix and exponent Kubernetes accepts is represented without rounding; conversion to
//! the units fleetsim computes with (milli-cpu, bytes, device counts) rounds up, as
//! Kubernetes' `MilliValue()` and `Value()` do.

use std::fmt;

const NANO_PER_UNIT: i128 = 1_000_000_000;

/// An exact Kubernetes quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity {
    nanos: i128,
}

/// A quantity string that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid quantity {text:?}: {reason}")]
pub struct QuantityError {
    /// The text as given.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl Quantity {
    /// Zero.
    pub const ZERO: Quantity = Quantity { nanos: 0 };

    /// A quantity of whole units.
    pub fn from_units(units: i64) -> Quantity {
        Quantity {
            nanos: units as i128 * NANO_PER_UNIT,
        }
    }

    /// A quantity of milli-units.
    pub fn from_millis(millis: i64) -> Quantity {
        Quantity {
            nanos: millis as i128 * 1_000_000,
        }
    }

    /// Parses Kubernetes quantity syntax: a signed decimal number followed by nothing, a decimal
    /// SI suffix (`n u m k M G T P E`), a binary suffix (`Ki Mi Gi Ti Pi Ei`) or an exponent
    /// (`e3`, `E-2`).
    pub fn parse(text: &str) -> Result<Quantity, QuantityError> {
        let bad = |reason: &'static str| QuantityError {
            text: text.to_owned(),
            reason,
        };
        let s = text.trim();
        if s.is_empty() {
            return Err(bad("it is empty"));
        }
        let (negative, unsigned) = match s.as_bytes()[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let number_len = unsigned
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        let (number, suffix) = unsigned.split_at(number_len);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
            return Err(bad("expected a number such as 500m, 64Gi or 1.5"));
        }
        // Mantissa as an integer with `fraction.len()` implied decimal places.
        let digits: String = whole.chars().chain(fraction.chars()).collect();
        let digits = digits.trim_start_matches('0');
        if digits.len() > 30 {
            return Err(bad("too many digits"));
        }
        let mantissa: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| bad("too many digits"))?
        };
        let mut decimal_exponent: i32 = -(fraction.len() as i32);
        let mut binary_factor: i128 = 1;
        match suffix {
            "" => {}
            "n" => decimal_exponent -= 9,
            "u" => decimal_exponent -= 6,
            "m" => decimal_exponent -= 3,
            "k" => decimal_exponent += 3,
            "M" => decimal_exponent += 6,
            "G" => decimal_exponent += 9,
            "T" => decimal_exponent += 12,
            "P" => decimal_exponent += 15,
            "E" => decimal_exponent += 18,
            "Ki" => binary_factor = 1 << 10,
            "Mi" => binary_factor = 1 << 20,
            "Gi" => binary_factor = 1 << 30,
            "Ti" => binary_factor = 1 << 40,
            "Pi" => binary_factor = 1 << 50,
            "Ei" => binary_factor = 1 << 60,
            _ if suffix.starts_with(['e', 'E']) => {
                let exponent: i32 = suffix[1..].parse().map_err(|_| bad("malformed exponent"))?;
                if !(-40..=40).contains(&exponent) {
                    return Err(bad("exponent out of range"));
                }
                decimal_exponent += exponent;
            }
            _ => {
                return Err(bad(
                    "unknown suffix (use n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei)",
                ));
            }
        }
        let too_large = || bad("value too large");
        // nanos = mantissa * binary_factor * 10^(decimal_exponent + 9), rounded up (away from
        // zero) when precision finer than a nano-unit is asked for, as Kubernetes does.
        let scaled = mantissa.checked_mul(binary_factor).ok_or_else(too_large)?;
        let shift = decimal_exponent + 9;
        let nanos = if shift >= 0 {
            10i128
                .checked_pow(shift as u32)
                .and_then(|p| scaled.checked_mul(p))
                .ok_or_else(too_large)?
        } else {
            let divisor = 10i128.checked_pow((-shift) as u32).unwrap_or(i128::MAX);
            scaled / divisor + i128::from(scaled % divisor != 0)
        };
        if nanos > i128::from(i64::MAX) * NANO_PER_UNIT {
            return Err(too_large());
        }
        Ok(Quantity {
            nanos: if negative { -nanos } else { nanos },
        })
    }

    /// True when the value is below zero.
    pub fn is_negative(self) -> bool {
        self.nanos < 0
    }

    /// The value in milli-units, rounded up (Kubernetes `MilliValue()`); negative values clamp to 0.
    pub fn milli_value(self) -> u64 {
        ceil_div_clamped(self.nanos, 1_000_000)
    }

    /// The value in whole units, rounded up (Kubernetes `Value()`); negative values clamp to 0.
    pub fn value(self) -> u64 {
        ceil_div_clamped(self.nanos, NANO_PER_UNIT)
    }
}

fn ceil_div_clamped(nanos: i128, divisor: i128) -> u64 {
    if nanos <= 0 {
        return 0;
    }
    let rounded = (nanos + divisor - 1) / divisor;
    u64::try_from(rounded).unwrap_or(u64::MAX)
}

impl fmt::Display for Quantity {
    /// Prints the value in the plainest exact form: whole units, else milli-units, else nano-units.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos % NANO_PER_UNIT == 0 {
            write!(f, "{}", self.nanos / NANO_PER_UNIT)
        } else if self.nanos % 1_000_000 == 0 {
            write!(f, "{}m", self.nanos / 1_000_000)
        } else {
            write!(f, "{}n", self.nanos)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn milli(text: &str) -> u64 {
        Quantity::parse(text).unwrap().milli_value()
    }

    fn units(text: &str) -> u64 {
        Quantity::parse(text).unwrap().value()
    }

    #[test]
    fn cpu_forms() {
        assert_eq!(milli("500m"), 500);
        assert_eq!(milli("1.5"), 1500);
        assert_eq!(milli("96"), 96_000);
        assert_eq!(milli("0.1"), 100);
        assert_eq!(milli("2e3"), 2_000_000);
        assert_eq!(milli("1E-3"), 1);
        assert_eq!(milli("+2"), 2000);
    }

    #[test]
    fn memory_forms() {
        assert_eq!(units("64Gi"), 64 * 1024 * 1024 * 1024);
        assert_eq!(units("1Ti"), 1 << 40);
        assert_eq!(units("1.5Gi"), 1_610_612_736);
        assert_eq!(units("128974848"), 128_974_848);
        assert_eq!(units("129e6"), 129_000_000);
        assert_eq!(units("129M"), 129_000_000);
        assert_eq!(units("123Mi"), 128_974_848);
        assert_eq!(units("1k"), 1000);
        assert_eq!(units("1Ki"), 1024);
    }

    #[test]
    fn rounding_up_like_kubernetes() {
        // Value() rounds up: 500m is one whole unit, 1.2 is two.
        assert_eq!(units("500m"), 1);
        assert_eq!(units("1.2"), 2);
        // MilliValue() rounds up below a milli-unit.
        assert_eq!(milli("1u"), 1);
        assert_eq!(milli("0"), 0);
        // Finer than a nano-unit rounds up to one nano-unit.
        assert_eq!(Quantity::parse("0.1n").unwrap(), Quantity { nanos: 1 });
    }

    #[test]
    fn negatives_parse_and_clamp() {
        let q = Quantity::parse("-1").unwrap();
        assert!(q.is_negative());
        assert_eq!(q.value(), 0);
    }

    #[test]
    fn display_is_exact() {
        assert_eq!(Quantity::parse("1.5").unwrap().to_string(), "1500m");
        assert_eq!(Quantity::parse("2Ki").unwrap().to_string(), "2048");
        assert_eq!(Quantity::parse("3").unwrap().to_string(), "3");
    }

    #[test]
    fn bad_values_are_refused() {
        for (text, reason) in [
            ("", "empty"),
            ("abc", "expected a number"),
            ("1.2.3", "expected a number"),
            ("12Gb", "unknown suffix"),
            ("5 Gi", "unknown suffix"),
            ("1ee3", "malformed exponent"),
            ("1e99", "exponent out of range"),
            ("99999999999Ei", "too large"),
            (".", "expected a number"),
        ] {
            let err = Quantity::parse(text).unwrap_err();
            assert!(err.reason.contains(reason), "{text}: {err}");
        }
    }
}
