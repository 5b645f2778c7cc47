//! [`Numeric`]: a Daml-LF `Numeric 10` (Daml's `Decimal`), a fixed-point number with exactly ten
//! decimal places and at most 38 digits, held as an `i128` count of 10⁻¹⁰.
//!
//! The input language is the participant's (`docs/ledger-json-api.md` §3.1): `java.math.
//! BigDecimal`'s grammar, so `"10."`, `".5"`, `"+3"` and `"1e5"` are numbers, with no
//! whitespace. Where the participant rounds a value with more than ten decimal places half-even,
//! this type refuses it: an amount that changes on the way in is a bug the sender wants to hear
//! about. Output is the participant's: trailing zeros removed, one decimal kept (`"10.0"`).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{LfError, quote};

/// Decimal places of a `Numeric 10`.
const SCALE: u32 = 10;
/// 10^SCALE: the raw value of 1.
const UNIT: i128 = 10_i128.pow(SCALE);
/// Digits a `Numeric 10` may have before the point: 38 − 10.
const WHOLE_DIGITS: i64 = 28;
/// Exclusive bound on the raw value: 38 digits.
const BOUND: i128 = 10_i128.pow(38);
/// Longest text accepted: 28 + 10 digits, sign, point and exponent fit with room to spare.
const MAX_TEXT_LEN: usize = 128;
/// Significant digits every decimal keeps through an IEEE double (`DBL_DIG`).
const FLOAT_EXACT_DIGITS: usize = 15;

/// A Daml-LF `Numeric 10` value.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Numeric(i128);

impl Numeric {
    /// Zero.
    pub const ZERO: Numeric = Numeric(0);

    /// Parses the text form (`"-12.5"`, `"7"`, `"10."`, `"2.5e3"`). A value with a non-zero
    /// digit beyond the tenth decimal place, or with more than 28 digits before the point, is
    /// an error, never a silent rounding.
    pub fn parse(text: &str) -> Result<Self, LfError> {
        let error = |reason| LfError::Numeric {
            input: quote(text),
            reason,
        };
        if text.len() > MAX_TEXT_LEN {
            return Err(error("longer than 128 characters"));
        }
        let number = Syntax::read(text.as_bytes()).ok_or_else(|| {
            error("expected an optional sign, digits with an optional point, an optional exponent")
        })?;
        number.to_numeric().map_err(error)
    }

    /// `units` whole units (e.g. an amount of currency).
    pub fn from_units(units: i64) -> Self {
        Self(i128::from(units) * UNIT)
    }

    /// The nearest `Numeric 10` to `value`, halves rounded away from zero.
    pub fn from_f64(value: f64) -> Result<Self, LfError> {
        Self::from_f64_places(value, SCALE)
    }

    /// `value` rounded half away from zero to `places` (at most 10) decimal places, e.g. 2
    /// for cents.
    pub fn from_f64_places(value: f64, places: u32) -> Result<Self, LfError> {
        let places = places.min(SCALE);
        let error = |reason| LfError::Numeric {
            input: value.to_string(),
            reason,
        };
        let scaled = (value * 10_f64.powi(places as i32)).round();
        if !scaled.is_finite() {
            return Err(error("not a finite number"));
        }
        // 1e38 is below i128::MAX, so the cast cannot saturate.
        if scaled.abs() >= 1e38 {
            return Err(error("more than 28 digits before the decimal point"));
        }
        (scaled as i128)
            .checked_mul(10_i128.pow(SCALE - places))
            .filter(|raw| raw.abs() < BOUND)
            .map(Self)
            .ok_or_else(|| error("more than 28 digits before the decimal point"))
    }

    /// The nearest `f64`, for pricing arithmetic.
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / UNIT as f64
    }

    /// Whether the value is zero.
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Whether the value is strictly negative.
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// The absolute value.
    pub fn abs(self) -> Self {
        Self(self.0.abs())
    }

    /// The negation.
    pub fn negate(self) -> Self {
        Self(-self.0)
    }

    /// `self + other`, or `None` outside the `Numeric 10` range.
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0
            .checked_add(other.0)
            .filter(|raw| raw.abs() < BOUND)
            .map(Self)
    }

    /// `count · self`, or `None` outside the `Numeric 10` range.
    pub fn checked_times(self, count: i128) -> Option<Self> {
        self.0
            .checked_mul(count)
            .filter(|raw| raw.abs() < BOUND)
            .map(Self)
    }

    /// Whether `self` is a whole multiple of `unit` (always, for a zero unit): the exact
    /// check the ledger applies to calls and their rounding unit.
    pub fn is_multiple_of(self, unit: Self) -> bool {
        unit.0 == 0 || self.0 % unit.0 == 0
    }
}

/// The pieces of a number in `BigDecimal` syntax: `[+-]? (d+ (. d*)? | . d+) ([eE] [+-]? d+)?`.
struct Syntax {
    negative: bool,
    /// Every mantissa digit's value, the whole part then the fraction.
    digits: Vec<u8>,
    /// How many of `digits` come after the point.
    fraction_len: usize,
    exponent: i64,
}

impl Syntax {
    fn read(text: &[u8]) -> Option<Self> {
        let (negative, bytes) = match text.split_first() {
            Some((b'-', rest)) => (true, rest),
            Some((b'+', rest)) => (false, rest),
            _ => (false, text),
        };
        let whole_len = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        let (whole, mut rest) = bytes.split_at(whole_len);
        let mut fraction: &[u8] = &[];
        if let Some((b'.', after)) = rest.split_first() {
            let fraction_len = after.iter().take_while(|b| b.is_ascii_digit()).count();
            (fraction, rest) = after.split_at(fraction_len);
        }
        if whole.is_empty() && fraction.is_empty() {
            return None;
        }
        let mut exponent = 0_i64;
        if let Some((b'e' | b'E', after)) = rest.split_first() {
            let (exponent_negative, digits) = match after.split_first() {
                Some((b'-', digits)) => (true, digits),
                Some((b'+', digits)) => (false, digits),
                _ => (false, after),
            };
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            // Saturates far beyond any exponent a Numeric can use; the range checks refuse it.
            for digit in digits {
                exponent = (exponent * 10 + i64::from(digit - b'0')).min(1_000_000);
            }
            if exponent_negative {
                exponent = -exponent;
            }
            rest = &[];
        }
        if !rest.is_empty() {
            return None;
        }
        Some(Self {
            negative,
            digits: whole.iter().chain(fraction).map(|b| b - b'0').collect(),
            fraction_len: fraction.len(),
            exponent,
        })
    }

    fn to_numeric(&self) -> Result<Numeric, &'static str> {
        // value = significant · 10^power
        let start = self.digits.iter().take_while(|d| **d == 0).count();
        let end = self.digits.len() - self.digits.iter().rev().take_while(|d| **d == 0).count();
        if start >= end {
            return Ok(Numeric::ZERO);
        }
        let significant = &self.digits[start..end];
        let trailing_zeros = (self.digits.len() - end) as i64;
        let power = self.exponent - self.fraction_len as i64 + trailing_zeros;
        if power < -(SCALE as i64) {
            return Err("more than 10 decimal places");
        }
        if significant.len() as i64 + power > WHOLE_DIGITS {
            return Err("more than 28 digits before the decimal point");
        }
        // At most 38 digits in all, so neither step overflows.
        let mantissa = significant
            .iter()
            .fold(0_i128, |value, digit| value * 10 + i128::from(*digit));
        let raw = mantissa * 10_i128.pow((power + SCALE as i64) as u32);
        Ok(Numeric(if self.negative { -raw } else { raw }))
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

impl FromStr for Numeric {
    type Err = LfError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl PartialEq<i64> for Numeric {
    fn eq(&self, other: &i64) -> bool {
        *self == Numeric::from_units(*other)
    }
}

impl PartialOrd<i64> for Numeric {
    fn partial_cmp(&self, other: &i64) -> Option<Ordering> {
        Some(self.cmp(&Numeric::from_units(*other)))
    }
}

impl Serialize for Numeric {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Numeric {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NumericVisitor)
    }
}

struct NumericVisitor;

impl Visitor<'_> for NumericVisitor {
    type Value = Numeric;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Numeric: a decimal string such as \"10.0\", or a JSON number")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Numeric, E> {
        Numeric::parse(text).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Numeric, E> {
        Ok(Numeric::from_units(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Numeric, E> {
        // u64::MAX has 20 digits, well within 28.
        Ok(Numeric(i128::from(value) * UNIT))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Numeric, E> {
        // The shortest text that reads back as this float. With more than 15 significant
        // digits the sender's text may not be what arrived; a string would have been exact.
        let text = value.to_string();
        if value.abs() < 1e28 && significant_digits(&text) > FLOAT_EXACT_DIGITS {
            return Err(E::custom(LfError::Numeric {
                input: quote(&text),
                reason: "a JSON number with more than 15 significant digits may have lost \
                         digits in transit; send the Numeric as a string",
            }));
        }
        Numeric::parse(&text).map_err(E::custom)
    }
}

/// Significant digits of a plain decimal text (no exponent).
fn significant_digits(text: &str) -> usize {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    digits.trim_start_matches('0').trim_end_matches('0').len()
}

#[cfg(test)]
mod tests;
