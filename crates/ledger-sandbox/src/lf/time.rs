//! Daml-LF `Timestamp`: microseconds since the epoch, UTC.
//!
//! Written as ISO-8601 with `Z` and no fraction when it is zero, otherwise 3 or 6 digits
//! (`2024-05-01T10:00:00Z`, `…:00.123Z`, `…:00.123456Z`); read from any RFC 3339 form whose
//! offset is `Z` (`ledger-json-api.md` §3.5). Sub-microsecond digits must be zero.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A Daml `Time` value.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct LfTime(DateTime<Utc>);

impl LfTime {
    /// Wraps an instant, truncating it to microseconds.
    pub(crate) fn new(instant: DateTime<Utc>) -> Self {
        Self(truncate_to_micros(instant))
    }

    /// Parses the JSON text form.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let invalid = || {
            format!(
                "`{text}` is not a Timestamp: expected ISO-8601 UTC such as 2024-05-01T10:00:00Z"
            )
        };
        if !text.ends_with('Z') {
            return Err(invalid());
        }
        let instant = DateTime::parse_from_rfc3339(text)
            .map_err(|_| invalid())?
            .with_timezone(&Utc);
        if instant.nanosecond() % 1_000 != 0 {
            return Err(format!(
                "`{text}` is more precise than a microsecond, the precision of a Daml Timestamp"
            ));
        }
        Ok(Self(instant))
    }

    /// Microseconds since the Unix epoch.
    pub(crate) fn micros(self) -> i64 {
        self.0.timestamp_micros()
    }

    /// The instant `micros` microseconds after the epoch, if representable.
    pub(crate) fn from_micros(micros: i64) -> Option<Self> {
        DateTime::from_timestamp_micros(micros).map(Self)
    }
}

/// Truncates an instant to whole microseconds.
pub(crate) fn truncate_to_micros(instant: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = instant.nanosecond();
    instant
        .with_nanosecond(nanos - nanos % 1_000)
        .unwrap_or(instant)
}

impl fmt::Display for LfTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // AutoSi picks 0, 3, 6 or 9 digits; microsecond truncation rules out 9.
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl fmt::Debug for LfTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LfTime({self})")
    }
}

impl Serialize for LfTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LfTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        LfTime::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_zero_three_or_six_fraction_digits() {
        for (input, output) in [
            ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"),
            ("2024-05-01T10:00:00.000Z", "2024-05-01T10:00:00Z"),
            ("2024-05-01T10:00:00.1Z", "2024-05-01T10:00:00.100Z"),
            ("2024-05-01T10:00:00.123456Z", "2024-05-01T10:00:00.123456Z"),
            ("2024-05-01T10:00:00.1234Z", "2024-05-01T10:00:00.123400Z"),
        ] {
            assert_eq!(LfTime::parse(input).unwrap().to_string(), output, "{input}");
        }
    }

    #[test]
    fn requires_utc_and_microsecond_precision() {
        assert!(LfTime::parse("2024-05-01T10:00:00+01:00").is_err());
        assert!(LfTime::parse("2024-05-01").is_err());
        assert!(LfTime::parse("2024-05-01T10:00:00.1234567Z").is_err());
        assert!(LfTime::parse("2024-05-01T10:00:00.1234560Z").is_ok());
    }

    #[test]
    fn new_truncates_to_micros() {
        let instant = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
        assert_eq!(
            LfTime::new(instant).to_string(),
            "2023-11-14T22:13:20.123456Z"
        );
        let time = LfTime::new(instant);
        assert_eq!(LfTime::from_micros(time.micros()), Some(time));
    }
}
