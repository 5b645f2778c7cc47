//! The LF types written as plain JSON strings with a syntax of their own: [`Party`] and
//! [`ContractId`] (`docs/ledger-json-api.md` §3.5). Text needs no type: it is a `String`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{LfError, quote};

/// Longest party string or contract id accepted.
const MAX_LEN: usize = 255;

/// A Daml-LF `Party`: 1 to 255 characters from `[A-Za-z0-9:_ -]`.
///
/// This is the LF syntax only: a bare hint such as `Operator` is a valid `Party`. Whether the
/// party is allocated, and the stricter form of an allocated Canton id, are
/// [`crate::PartyId`]'s business.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Party(String);

impl Party {
    /// Checks the LF party syntax.
    pub fn parse(text: &str) -> Result<Self, LfError> {
        let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | ' ' | '-');
        if text.is_empty() || text.len() > MAX_LEN || !text.chars().all(valid_char) {
            return Err(LfError::Party { input: quote(text) });
        }
        Ok(Self(text.to_owned()))
    }

    /// The party as a string.
    pub fn as_str(&self) -> &str {
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

impl std::str::FromStr for Party {
    type Err = LfError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl<'de> Deserialize<'de> for Party {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Party::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A Daml-LF `ContractId`: an opaque string of 1 to 255 characters, as the ledger issued it.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
#[serde(transparent)]
pub struct ContractId(String);

impl ContractId {
    /// Checks that `id` could be a contract id: not empty, at most 255 characters.
    pub fn parse(id: impl Into<String>) -> Result<Self, LfError> {
        let id = id.into();
        if id.is_empty() || id.len() > MAX_LEN {
            return Err(LfError::ContractId { input: quote(&id) });
        }
        Ok(Self(id))
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContractId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ContractId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ContractId::parse(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn party_syntax_follows_daml_lf() {
        assert!(Party::parse("Operator::1220ab").is_ok());
        assert!(Party::parse("Bare hint-1_x").is_ok());
        assert!(Party::parse(&"a".repeat(255)).is_ok());
        assert!(Party::parse("").is_err());
        assert!(Party::parse("Alice!").is_err());
        assert!(Party::parse("Zoë").is_err());
        assert!(Party::parse(&"a".repeat(256)).is_err());
        let error = Party::parse("Alice!").unwrap_err().to_string();
        assert!(error.contains("found `Alice!`"), "{error}");
        assert!(serde_json::from_value::<Party>(json!(["Alice"])).is_err());
        let party: Party = serde_json::from_value(json!("Alice::1220")).unwrap();
        assert_eq!(serde_json::to_value(&party).unwrap(), json!("Alice::1220"));
    }

    #[test]
    fn contract_ids_are_opaque_but_bounded() {
        let id: ContractId = serde_json::from_value(json!("00abc#0:1")).unwrap();
        assert_eq!(id.as_str(), "00abc#0:1");
        assert_eq!(serde_json::to_value(&id).unwrap(), json!("00abc#0:1"));
        assert!(serde_json::from_value::<ContractId>(json!("")).is_err());
        assert!(ContractId::parse("0".repeat(256)).is_err());
        assert!(serde_json::from_value::<ContractId>(json!(7)).is_err());
    }
}
