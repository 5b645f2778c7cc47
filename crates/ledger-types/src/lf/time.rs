//! [`Timestamp`] (Daml's `Time`) and [`Date`]: UTC instants to the microsecond and calendar
//! days, each within the years 0001 to 9999 (`docs/ledger-json-api.md` §3.3, §3.4).
//!
//! Both are read by a strict hand-written parser rather than a general RFC 3339 one, because
//! the JSON API's input language is narrower (no offsets, no space separator) and a little
//! wider (up to nine fraction digits, dropped below the microsecond, as the participant does).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{LfError, quote};

/// `0001-01-01T00:00:00Z` in microseconds since the epoch.
const MIN_MICROS: i64 = -62_135_596_800_000_000;
/// `9999-12-31T23:59:59.999999Z` in microseconds since the epoch.
const MAX_MICROS: i64 = 253_402_300_799_999_999;

/// A Daml-LF `Timestamp`: microseconds since the epoch, UTC, from `0001-01-01T00:00:00Z` to
/// `9999-12-31T23:59:59.999999Z`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The earliest Timestamp, `0001-01-01T00:00:00Z`.
    pub const MIN: Timestamp = Timestamp(MIN_MICROS);
    /// The latest Timestamp, `9999-12-31T23:59:59.999999Z`.
    pub const MAX: Timestamp = Timestamp(MAX_MICROS);

    /// Parses `YYYY-MM-DDThh:mm:ss[.f{1,9}]Z`; digits below the microsecond are dropped.
    pub fn parse(text: &str) -> Result<Self, LfError> {
        let error = |reason| LfError::Timestamp {
            input: quote(text),
            reason,
        };
        let bytes = text.as_bytes();
        if bytes.len() < 20 || bytes.len() > 40 || !bytes.is_ascii() {
            return Err(error(
                "not of the form YYYY-MM-DDThh:mm:ss[.ffffff]Z (UTC, `Z` required)",
            ));
        }
        let date = parse_date(&text[..10]).map_err(error)?;
        if !matches!(bytes[10], b'T' | b't') || bytes[13] != b':' || bytes[16] != b':' {
            return Err(error(
                "not of the form YYYY-MM-DDThh:mm:ss[.ffffff]Z (UTC, `Z` required)",
            ));
        }
        let [hour, minute, second] =
            [11, 14, 17].map(|at| two_digits(&bytes[at..at + 2]).unwrap_or(u32::MAX));
        if hour > 23 || minute > 59 || second > 60 {
            return Err(error(
                "the time of day is not hh:mm:ss from 00:00:00 to 23:59:59",
            ));
        }
        if second == 60 {
            return Err(error("a leap second (60) is not a valid second"));
        }
        let mut rest = &bytes[19..];
        let mut micros = 0_i64;
        if let Some((b'.', after)) = rest.split_first() {
            let digits = after.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 || digits > 9 {
                return Err(error("the fraction of a second has 1 to 9 digits"));
            }
            for (index, digit) in after[..digits].iter().enumerate() {
                if index < 6 {
                    micros += i64::from(digit - b'0') * 10_i64.pow(5 - index as u32);
                }
            }
            rest = &after[digits..];
        }
        match rest {
            [b'Z' | b'z'] => {}
            [b'+' | b'-', ..] => {
                return Err(error("the offset must be `Z`: a Timestamp is UTC"));
            }
            _ => {
                return Err(error(
                    "not of the form YYYY-MM-DDThh:mm:ss[.ffffff]Z (UTC, `Z` required)",
                ));
            }
        }
        let seconds = date
            .and_hms_opt(hour, minute, second)
            .map(|instant| instant.and_utc().timestamp())
            .ok_or_else(|| error("the time of day is not valid"))?;
        Ok(Self(seconds * 1_000_000 + micros))
    }

    /// The Timestamp `micros` microseconds after the epoch, if within the years 0001–9999.
    pub fn from_micros(micros: i64) -> Result<Self, LfError> {
        if (MIN_MICROS..=MAX_MICROS).contains(&micros) {
            Ok(Self(micros))
        } else {
            Err(LfError::Timestamp {
                input: format!("{micros} µs after the epoch"),
                reason: "outside 0001-01-01T00:00:00Z..=9999-12-31T23:59:59.999999Z",
            })
        }
    }

    /// `instant` truncated to the microsecond, if within the years 0001–9999.
    pub fn from_datetime(instant: DateTime<Utc>) -> Result<Self, LfError> {
        Self::from_micros(truncate_to_micros(instant).timestamp_micros())
    }

    /// Microseconds since the Unix epoch.
    pub fn micros(self) -> i64 {
        self.0
    }

    /// The same instant as a `chrono` value.
    pub fn to_datetime(self) -> DateTime<Utc> {
        // Every Timestamp lies in chrono's range; MIN is the fallback that cannot be reached.
        DateTime::from_timestamp_micros(self.0).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// `self` plus `micros` microseconds, if still a Timestamp.
    pub fn checked_add_micros(self, micros: i64) -> Option<Self> {
        self.0
            .checked_add(micros)
            .and_then(|sum| Self::from_micros(sum).ok())
    }
}

/// `instant` truncated to whole microseconds (toward the past), the precision of a Timestamp.
pub fn truncate_to_micros(instant: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = instant.nanosecond();
    instant
        .with_nanosecond(nanos - nanos % 1_000)
        .unwrap_or(instant)
}

impl fmt::Display for Timestamp {
    /// No fraction when it is zero, else 3 or 6 digits: chrono's `AutoSi` picks 0, 3, 6 or 9,
    /// and a whole number of microseconds rules out 9.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            &self
                .to_datetime()
                .to_rfc3339_opts(SecondsFormat::AutoSi, true),
        )
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl FromStr for Timestamp {
    type Err = LfError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A Daml-LF `Date`: a calendar day from `0001-01-01` to `9999-12-31`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(NaiveDate);

impl Date {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Self, LfError> {
        parse_date(text).map(Self).map_err(|reason| LfError::Date {
            input: quote(text),
            reason,
        })
    }

    /// `day`, if within the years 0001–9999.
    pub fn from_naive(day: NaiveDate) -> Result<Self, LfError> {
        if (1..=9999).contains(&day.year()) {
            Ok(Self(day))
        } else {
            Err(LfError::Date {
                input: day.to_string(),
                reason: "the year is outside 0001..=9999",
            })
        }
    }

    /// The day as a `chrono` value.
    pub fn to_naive(self) -> NaiveDate {
        self.0
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

impl FromStr for Date {
    type Err = LfError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// `YYYY-MM-DD` with a four-digit year from 0001 to 9999 and a real calendar day.
fn parse_date(text: &str) -> Result<NaiveDate, &'static str> {
    let bytes = text.as_bytes();
    let shape = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(index, b)| index == 4 || index == 7 || b.is_ascii_digit());
    if !shape {
        return Err("not of the form YYYY-MM-DD");
    }
    let number = |range: std::ops::Range<usize>| {
        bytes[range]
            .iter()
            .fold(0_u32, |value, digit| value * 10 + u32::from(digit - b'0'))
    };
    let year = number(0..4);
    if year == 0 {
        return Err("the year is outside 0001..=9999");
    }
    NaiveDate::from_ymd_opt(year as i32, number(5..7), number(8..10))
        .ok_or("not a calendar date (month 01–12, a day the month has)")
}

fn two_digits(bytes: &[u8]) -> Option<u32> {
    match bytes {
        [tens, units] if tens.is_ascii_digit() && units.is_ascii_digit() => {
            Some(u32::from(tens - b'0') * 10 + u32::from(units - b'0'))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
