//! The Daml-LF JSON values the jobs read and write (`shared/docs/ledger-json-api.md` §3.5,
//! `crates/ledger-sandbox/WORLD.md`): [`Decimal`] (`Numeric 10`) and `Time`.
//!
//! Pricing runs in `f64`, but the amounts the ledger re-checks exactly (a call must be a whole
//! multiple of the CSA's rounding unit and at least its minimum transfer amount) are built
//! here in fixed point, so a mark can never be refused because `0.1 + 0.2` is not `0.3`.
//! Decimals are written as the JSON API writes them: a string with trailing zeros removed and
//! at least one decimal digit (`"-1630000.0"`). Times are written as ISO-8601 UTC with `Z` and
//! 0, 3 or 6 fraction digits, truncated to the microsecond, the precision of a Daml `Time`.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Timelike, Utc};
use serde_json::Value;

/// Decimal places of a Daml `Numeric 10`.
const SCALE: u32 = 10;
/// 10^SCALE: the raw value of 1.
const UNIT: i128 = 10_i128.pow(SCALE);
/// Exclusive bound on the raw value: 38 significant digits.
const BOUND: i128 = 10_i128.pow(38);

/// A Daml `Numeric 10` value: exactly 10 decimal places, at most 38 significant digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Decimal(i128);

impl Decimal {
    /// Zero.
    pub const ZERO: Decimal = Decimal(0);

    /// Parses the text form (`"-12.5"`, `"7"`, `"0.0001"`). More than 10 decimal places, an
    /// exponent or a value out of range is an error, never a silent rounding.
    pub fn parse(text: &str) -> Result<Self, String> {
        let invalid = || format!("`{text}` is not a Decimal (a decimal such as \"10.0\")");
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
            return Err(invalid());
        }
        let fraction = fraction.trim_end_matches('0');
        if fraction.len() > SCALE as usize {
            return Err(format!("`{text}` has more than {SCALE} decimal places"));
        }
        let whole = whole.trim_start_matches('0');
        let out_of_range = || format!("`{text}` is out of the range of a Daml Numeric 10");
        if whole.len() > 28 {
            return Err(out_of_range());
        }
        let whole: i128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| invalid())?
        };
        let fraction_raw: i128 = if fraction.is_empty() {
            0
        } else {
            let digits: i128 = fraction.parse().map_err(|_| invalid())?;
            digits * 10_i128.pow(SCALE - fraction.len() as u32)
        };
        let raw = whole * UNIT + fraction_raw;
        if raw >= BOUND {
            return Err(out_of_range());
        }
        Ok(Self(if negative { -raw } else { raw }))
    }

    /// Reads a JSON value: the string form, or a JSON number (which the JSON API also accepts).
    pub fn from_json(value: &Value) -> Result<Self, String> {
        match value {
            Value::String(text) => Self::parse(text),
            Value::Number(number) => Self::parse(&number.to_string()),
            other => Err(format!("expected a Decimal string, found {other}")),
        }
    }

    /// The nearest `Numeric 10` to `value` (half away from zero), or `None` when it is not
    /// finite or out of range.
    pub fn from_f64(value: f64) -> Option<Self> {
        Self::from_f64_places(value, SCALE)
    }

    /// `value` rounded half away from zero to `places` (≤ 10) decimal places, e.g. 2 for cents.
    pub fn from_f64_places(value: f64, places: u32) -> Option<Self> {
        let places = places.min(SCALE);
        let scaled = (value * 10_f64.powi(places as i32)).round();
        if !scaled.is_finite() || scaled.abs() >= 1e37 {
            return None;
        }
        let raw = (scaled as i128).checked_mul(10_i128.pow(SCALE - places))?;
        (raw.abs() < BOUND).then_some(Self(raw))
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

    /// `count · self`, or `None` out of range.
    pub fn checked_times(self, count: i128) -> Option<Self> {
        self.0
            .checked_mul(count)
            .filter(|raw| raw.abs() < BOUND)
            .map(Self)
    }

    /// Whether `self` is a whole multiple of `unit` (always, for a zero unit): the ledger's
    /// rounding check.
    pub fn is_multiple_of(self, unit: Self) -> bool {
        unit.0 == 0 || self.0 % unit.0 == 0
    }
}

impl fmt::Display for Decimal {
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

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({self})")
    }
}

/// Reads a Daml `Time`: RFC 3339 with a `Z` offset.
pub fn parse_time(value: &Value) -> Result<DateTime<Utc>, String> {
    let Value::String(text) = value else {
        return Err(format!("expected a Time string, found {value}"));
    };
    if !text.ends_with('Z') {
        return Err(format!("`{text}` is not an ISO-8601 UTC time ending in Z"));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|instant| instant.with_timezone(&Utc))
        .map_err(|_| format!("`{text}` is not an ISO-8601 UTC time"))
}

/// `instant` truncated to whole microseconds, the precision of a Daml `Time`.
pub fn to_ledger_precision(instant: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = instant.nanosecond();
    instant
        .with_nanosecond(nanos - nanos % 1_000)
        .unwrap_or(instant)
}

/// Writes a Daml `Time` (truncated to the microsecond): `2026-01-05T09:00:00Z`,
/// `…:00.250Z`, `…:00.000001Z`.
pub fn format_time(instant: DateTime<Utc>) -> String {
    to_ledger_precision(instant).to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    #[test]
    fn decimals_round_trip_in_the_json_api_form() {
        for (input, output) in [
            ("10", "10.0"),
            ("10.000", "10.0"),
            ("-1630000.0", "-1630000.0"),
            ("0.0425", "0.0425"),
            ("-0", "0.0"),
            ("0.0000000001", "0.0000000001"),
        ] {
            assert_eq!(
                Decimal::parse(input).unwrap().to_string(),
                output,
                "{input}"
            );
        }
        assert_eq!(
            Decimal::from_json(&json!(250000)).unwrap(),
            Decimal::parse("250000").unwrap()
        );
        assert_eq!(Decimal::from_json(&json!("0.5")).unwrap().to_f64(), 0.5);
    }

    #[test]
    fn malformed_or_too_precise_decimals_are_refused() {
        for bad in ["", "1e5", "abc", ".5", "1.2.3", "0.00000000001", "--1"] {
            assert!(Decimal::parse(bad).is_err(), "{bad}");
        }
        assert!(Decimal::parse(&"9".repeat(29)).is_err());
        assert!(Decimal::from_json(&json!(null)).is_err());
    }

    #[test]
    fn floats_round_half_away_from_zero_to_the_requested_places() {
        let cents = |value| Decimal::from_f64_places(value, 2).unwrap().to_string();
        assert_eq!(cents(-1_873_740.854_9), "-1873740.85");
        assert_eq!(cents(-0.125), "-0.13");
        assert_eq!(cents(0.125), "0.13");
        assert_eq!(cents(-0.001), "0.0");
        assert!(Decimal::from_f64(f64::NAN).is_none());
        assert!(Decimal::from_f64(1e40).is_none());
    }

    #[test]
    fn multiples_are_exact() {
        let unit = Decimal::parse("0.01").unwrap();
        let three_tenths = unit.checked_times(30).unwrap();
        assert_eq!(three_tenths.to_string(), "0.3");
        assert!(three_tenths.is_multiple_of(unit));
        assert!(!Decimal::parse("0.305").unwrap().is_multiple_of(unit));
        assert!(Decimal::parse("7").unwrap().is_multiple_of(Decimal::ZERO));
    }

    #[test]
    fn times_are_read_in_utc_and_written_to_the_microsecond() {
        let instant = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
        assert_eq!(parse_time(&json!("2026-01-05T09:00:00Z")).unwrap(), instant);
        assert!(parse_time(&json!("2026-01-05T09:00:00+01:00")).is_err());
        assert!(parse_time(&json!(12)).is_err());
        assert_eq!(format_time(instant), "2026-01-05T09:00:00Z");
        let fine = instant + chrono::Duration::nanoseconds(1_234_567);
        assert_eq!(format_time(fine), "2026-01-05T09:00:00.001234Z");
    }
}
