//! [`Int64`]: a Daml-LF `Int64` (Daml's `Int`), written as a string (`"42"`) and read from a
//! string or a JSON number (`docs/ledger-json-api.md` §3.2).

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{LfError, quote};

/// Longest text read: `-9223372036854775808` has 20 characters; leading zeros get some room.
const MAX_TEXT_LEN: usize = 64;
/// Floats are exact integers up to 2⁵³.
const FLOAT_EXACT_BOUND: f64 = 9_007_199_254_740_992.0;

/// A Daml-LF `Int64`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Int64(pub i64);

impl Int64 {
    /// Parses `[+-]?[0-9]+` within the `i64` range; no whitespace.
    pub fn parse(text: &str) -> Result<Self, LfError> {
        let error = |reason| LfError::Int64 {
            input: quote(text),
            reason,
        };
        if text.len() > MAX_TEXT_LEN {
            return Err(error("longer than 64 characters"));
        }
        let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error("expected an optional sign and digits"));
        }
        text.parse()
            .map(Self)
            .map_err(|_| error("outside the Int64 range"))
    }
}

impl fmt::Display for Int64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Int64 {
    type Err = LfError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl Serialize for Int64 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Int64 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Int64Visitor)
    }
}

struct Int64Visitor;

impl Visitor<'_> for Int64Visitor {
    type Value = Int64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an Int64: a string such as \"42\", or a JSON integer")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Int64, E> {
        Int64::parse(text).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Int64, E> {
        Ok(Int64(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Int64, E> {
        i64::try_from(value).map(Int64).map_err(|_| {
            E::custom(LfError::Int64 {
                input: value.to_string(),
                reason: "outside the Int64 range",
            })
        })
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Int64, E> {
        let error = |reason| {
            E::custom(LfError::Int64 {
                input: value.to_string(),
                reason,
            })
        };
        if value.fract() != 0.0 || !value.is_finite() {
            return Err(error("has a fractional part"));
        }
        if value.abs() >= FLOAT_EXACT_BOUND {
            return Err(error(
                "a JSON number beyond 2^53 may have lost digits in transit; send it as a string",
            ));
        }
        Ok(Int64(value as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_strings_and_integers_and_writes_strings() {
        assert_eq!(serde_json::from_str::<Int64>(r#""42""#).unwrap(), Int64(42));
        assert_eq!(
            serde_json::from_str::<Int64>(r#""+42""#).unwrap(),
            Int64(42)
        );
        assert_eq!(serde_json::from_str::<Int64>(r#""-0""#).unwrap(), Int64(0));
        assert_eq!(serde_json::from_str::<Int64>("-3").unwrap(), Int64(-3));
        assert_eq!(serde_json::to_string(&Int64(7)).unwrap(), r#""7""#);
        assert_eq!(
            serde_json::from_str::<Int64>(r#""-9223372036854775808""#).unwrap(),
            Int64(i64::MIN)
        );
        assert_eq!(
            serde_json::from_str::<Int64>("9223372036854775807").unwrap(),
            Int64(i64::MAX)
        );
        // A whole number written as a float is still a whole number.
        assert_eq!(serde_json::from_str::<Int64>("42.0").unwrap(), Int64(42));
        assert_eq!(serde_json::from_str::<Int64>("1e3").unwrap(), Int64(1000));
    }

    #[test]
    fn refuses_fractions_whitespace_and_the_out_of_range() {
        for input in [
            "1.5",
            r#""1.5""#,
            r#""x""#,
            r#""""#,
            r#""+""#,
            r#"" 42""#,
            r#""42 ""#,
            "true",
            "null",
            r#""9223372036854775808""#,
            "9223372036854775808",
            "1e300",
        ] {
            assert!(serde_json::from_str::<Int64>(input).is_err(), "{input}");
        }
        let error = serde_json::from_str::<Int64>(r#""twenty""#).unwrap_err();
        assert!(error.to_string().contains("expected an Int64"), "{error}");
        let error = serde_json::from_str::<Int64>("1.5").unwrap_err();
        assert!(error.to_string().contains("fractional part"), "{error}");
        assert!(Int64::parse(&"1".repeat(65)).is_err());
    }
}
