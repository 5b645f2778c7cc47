//! The Daml-LF JSON value encoding (`ledger-json-api.md` §3.5) for the types the world uses.
//!
//! Each type reads the lenient input forms the JSON API accepts and writes the canonical output
//! form, so a payload decoded into a template struct and serialised again is exactly what the
//! real JSON API would return. Records use serde's derive: a JSON object in field order, or an
//! array of the field values, with an absent `Optional` field meaning `None`.

mod numeric;
mod time;

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub(crate) use numeric::Numeric;
pub(crate) use time::{LfTime, truncate_to_micros};

/// A Daml `Int64`: written as a string (`"42"`), read from a string or a JSON number.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Default)]
pub(crate) struct Int64(pub(crate) i64);

impl Serialize for Int64 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Int64 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Int64Visitor;
        impl Visitor<'_> for Int64Visitor {
            type Value = Int64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an Int64: a string such as \"42\" or a JSON integer")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Int64, E> {
                text.parse()
                    .map(Int64)
                    .map_err(|_| E::custom(format!("`{text}` is not an Int64")))
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Int64, E> {
                Ok(Int64(value))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Int64, E> {
                i64::try_from(value)
                    .map(Int64)
                    .map_err(|_| E::custom("number out of the Int64 range"))
            }
        }
        deserializer.deserialize_any(Int64Visitor)
    }
}

/// A Daml `Party`: 1 to 255 characters from `[A-Za-z0-9:_ -]` (Canton's party string rule).
///
/// This is the LF syntax only; whether the party is allocated is the ledger's business.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub(crate) struct Party(String);

impl Party {
    /// Checks the LF party syntax.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | ' ' | '-');
        if text.is_empty() || text.len() > 255 || !text.chars().all(valid_char) {
            return Err(format!(
                "`{}` is not a party: expected 1 to 255 characters from [A-Za-z0-9:_ -]",
                text.chars().take(80).collect::<String>()
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// The party id as a string.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Party({})", self.0)
    }
}

impl<'de> Deserialize<'de> for Party {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Party::parse(&text).map_err(de::Error::custom)
    }
}

/// A Daml `ContractId`: an opaque, non-empty string.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize)]
#[serde(transparent)]
pub(crate) struct ContractId(String);

impl ContractId {
    /// Wraps a contract id the ledger issued.
    pub(crate) fn new(id: String) -> Self {
        Self(id)
    }
}

impl<'de> Deserialize<'de> for ContractId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.is_empty() {
            return Err(de::Error::custom("a ContractId must not be empty"));
        }
        Ok(Self(text))
    }
}

/// The Daml `Unit` value, written `{}`; also the argument record of a choice with no fields.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Unit {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int64_reads_strings_and_numbers_and_writes_strings() {
        assert_eq!(serde_json::from_str::<Int64>(r#""42""#).unwrap(), Int64(42));
        assert_eq!(serde_json::from_str::<Int64>("-3").unwrap(), Int64(-3));
        assert_eq!(serde_json::to_string(&Int64(7)).unwrap(), r#""7""#);
        assert!(serde_json::from_str::<Int64>("1.5").is_err());
        assert!(serde_json::from_str::<Int64>(r#""x""#).is_err());
    }

    #[test]
    fn party_syntax_follows_canton() {
        assert!(Party::parse("Operator::1220ab").is_ok());
        assert!(Party::parse("Bare hint-1_x").is_ok());
        assert!(Party::parse("").is_err());
        assert!(Party::parse("Alice!").is_err());
        assert!(Party::parse(&"a".repeat(256)).is_err());
    }

    #[test]
    fn unit_is_an_empty_record() {
        assert_eq!(serde_json::to_string(&Unit {}).unwrap(), "{}");
        assert!(serde_json::from_str::<Unit>(r#"{"x":1}"#).is_err());
    }
}
