//! Daml-LF `Numeric 10` (the default `Decimal`): a fixed-point number with exactly 10 decimal
//! places and at most 38 significant digits, held as an `i128` count of 10⁻¹⁰ units.
//!
//! JSON encoding (`ledger-json-api.md` §3.5): written as a string with trailing zeros removed and
//! at least one decimal digit (`"10.0"`, `"999.99"`); read from such a string or from a JSON
//! number. Exponent forms and more than 10 decimal places are refused, not rounded, because a
//! ledger that silently changes an amount is worse than one that says no.

use std::cmp::Ordering;
use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Number of decimal places.
const SCALE: u32 = 10;
/// 10^SCALE.
const UNIT: i128 = 10_i128.pow(SCALE);
/// Exclusive bound on the raw value: 38 significant digits.
const BOUND: i128 = 10_i128.pow(38);

/// A Daml `Numeric 10` value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub(crate) struct Numeric(i128);

impl Numeric {
    /// Zero.
    pub(crate) const ZERO: Numeric = Numeric(0);

    /// Parses the decimal text form (`-12.5`, `7`, `0.0001`).
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let invalid = || format!("`{text}` is not a Numeric (a decimal such as \"10.0\")");
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
            return Err(invalid());
        }
        if digits.contains('.') && fraction.is_empty() {
            return Err(invalid());
        }
        let fraction = fraction.trim_end_matches('0');
        if fraction.len() > SCALE as usize {
            return Err(format!(
                "`{text}` has more than {SCALE} decimal places, the precision of a Daml Numeric"
            ));
        }
        let too_large = || format!("`{text}` is too large for a Daml Numeric 10");
        let whole = whole.trim_start_matches('0');
        if whole.len() > 28 {
            return Err(too_large());
        }
        let whole_value: i128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| invalid())?
        };
        let mut fraction_value: i128 = if fraction.is_empty() {
            0
        } else {
            fraction.parse().map_err(|_| invalid())?
        };
        fraction_value *= 10_i128.pow(SCALE - fraction.len() as u32);
        let raw = whole_value * UNIT + fraction_value;
        if raw >= BOUND {
            return Err(too_large());
        }
        Ok(Self(if negative { -raw } else { raw }))
    }

    /// Converts a float, rounding half away from zero to 10 decimal places.
    pub(crate) fn from_f64(value: f64) -> Result<Self, String> {
        let scaled = (value * UNIT as f64).round();
        if !scaled.is_finite() || scaled.abs() >= BOUND as f64 {
            return Err(format!(
                "{value} cannot be represented as a Daml Numeric 10"
            ));
        }
        Ok(Self(scaled as i128))
    }

    /// Builds a value from whole units (e.g. an amount of currency).
    pub(crate) fn from_units(units: i64) -> Self {
        Self(i128::from(units) * UNIT)
    }

    /// The nearest float, for pricing arithmetic.
    pub(crate) fn to_f64(self) -> f64 {
        self.0 as f64 / UNIT as f64
    }

    /// `self + other`, or `None` when the result leaves the Numeric range.
    pub(crate) fn checked_add(self, other: Self) -> Option<Self> {
        self.0
            .checked_add(other.0)
            .filter(|raw| raw.abs() < BOUND)
            .map(Self)
    }

    /// The absolute value.
    pub(crate) fn abs(self) -> Self {
        Self(self.0.abs())
    }

    /// Whether the value is zero.
    pub(crate) fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Whether the value is strictly negative.
    pub(crate) fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Whether `self` is an exact multiple of `unit` (always true for a zero unit).
    pub(crate) fn is_multiple_of(self, unit: Self) -> bool {
        unit.0 == 0 || self.0 % unit.0 == 0
    }
}

impl fmt::Display for Numeric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        let unit = UNIT as u128;
        let fraction = format!("{:010}", magnitude % unit);
        let fraction = fraction.trim_end_matches('0');
        let fraction = if fraction.is_empty() { "0" } else { fraction };
        write!(f, "{sign}{}.{fraction}", magnitude / unit)
    }
}

impl fmt::Debug for Numeric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Numeric({self})")
    }
}

impl PartialOrd<i64> for Numeric {
    fn partial_cmp(&self, other: &i64) -> Option<Ordering> {
        Some(self.cmp(&Numeric::from_units(*other)))
    }
}

impl PartialEq<i64> for Numeric {
    fn eq(&self, other: &i64) -> bool {
        *self == Numeric::from_units(*other)
    }
}

impl Serialize for Numeric {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Numeric {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumericVisitor;
        impl Visitor<'_> for NumericVisitor {
            type Value = Numeric;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Numeric: a decimal string such as \"10.0\" or a JSON number")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Numeric, E> {
                Numeric::parse(text).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Numeric, E> {
                Ok(Numeric::from_units(value))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Numeric, E> {
                i64::try_from(value)
                    .map(Numeric::from_units)
                    .map_err(|_| E::custom("number too large for a Daml Numeric 10"))
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Numeric, E> {
                // The shortest text that round-trips the float is what the client wrote.
                Numeric::parse(&value.to_string()).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(NumericVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_trailing_zeros_removed_and_one_decimal_kept() {
        for (input, output) in [
            ("10", "10.0"),
            ("10.000", "10.0"),
            ("999.99", "999.99"),
            ("-0.5", "-0.5"),
            ("0", "0.0"),
            ("-0", "0.0"),
            ("0.0000000001", "0.0000000001"),
            ("+3.25", "3.25"),
        ] {
            assert_eq!(
                Numeric::parse(input).unwrap().to_string(),
                output,
                "{input}"
            );
        }
    }

    #[test]
    fn refuses_malformed_and_overprecise_text() {
        for input in ["", "-", "1.", ".5", "1e5", "abc", "1.2.3", "1,5", " 1"] {
            assert!(Numeric::parse(input).is_err(), "{input} accepted");
        }
        let error = Numeric::parse("0.00000000001").unwrap_err();
        assert!(error.contains("more than 10 decimal places"), "{error}");
        assert!(Numeric::parse(&"9".repeat(29)).is_err());
        assert!(Numeric::parse(&"9".repeat(28)).is_ok());
    }

    #[test]
    fn reads_json_numbers_and_strings_and_writes_strings() {
        let value: Numeric = serde_json::from_str("12.5").unwrap();
        assert_eq!(serde_json::to_string(&value).unwrap(), r#""12.5""#);
        let value: Numeric = serde_json::from_str("42").unwrap();
        assert_eq!(value.to_string(), "42.0");
        let value: Numeric = serde_json::from_str(r#""-7.25""#).unwrap();
        assert_eq!(value, Numeric::parse("-7.25").unwrap());
        assert!(serde_json::from_str::<Numeric>("true").is_err());
    }

    #[test]
    fn float_conversion_rounds_half_away_from_zero_at_ten_places() {
        assert_eq!(Numeric::from_f64(1.5).unwrap().to_string(), "1.5");
        assert_eq!(
            Numeric::from_f64(-0.123456789012).unwrap().to_string(),
            "-0.123456789"
        );
        assert!(Numeric::from_f64(f64::NAN).is_err());
        assert!(Numeric::from_f64(1e30).is_err());
    }

    #[test]
    fn arithmetic_and_predicates() {
        let a = Numeric::parse("100000").unwrap();
        let b = Numeric::parse("-250000.5").unwrap();
        assert_eq!(a.checked_add(b).unwrap().to_string(), "-150000.5");
        assert!(b.is_negative() && !a.is_negative());
        assert_eq!(b.abs().to_string(), "250000.5");
        assert!(
            Numeric::parse("30000")
                .unwrap()
                .is_multiple_of(Numeric::from_units(10_000))
        );
        assert!(
            !Numeric::parse("30000.5")
                .unwrap()
                .is_multiple_of(Numeric::from_units(10_000))
        );
        assert!(a > 99_999 && a == 100_000);
    }
}
