//! Canton party ids: `<hint>::<namespace fingerprint>`.
//!
//! The rules follow Canton 2.x (`docs/ledger-json-api.md` §2.2): the hint is 1 to 185
//! characters from `[A-Za-z0-9:_ -]` and never contains `::`; the fingerprint is `1220` followed
//! by 64 lowercase hex digits (a multihash SHA-256). The whole id is at most 255 characters.

use std::fmt;
use std::str::FromStr;

pub use crate::error::PartyIdError;

/// Length of a namespace fingerprint: the `1220` multihash prefix plus 64 hex digits.
const FINGERPRINT_LEN: usize = 68;
/// Longest hint Canton accepts.
const MAX_HINT_LEN: usize = 185;

/// An exact, qualified Canton party id such as `Operator::1220ab…`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct PartyId(String);

impl PartyId {
    /// Parses an exact party id, refusing bare hints and malformed fingerprints.
    pub fn parse(id: &str) -> Result<Self, PartyIdError> {
        if id.is_empty() {
            return Err(PartyIdError::Empty);
        }
        let Some((hint, fingerprint)) = id.rsplit_once("::") else {
            return Err(PartyIdError::BareHint(id.to_owned()));
        };
        let bad_hint = |reason| PartyIdError::BadHint {
            id: id.to_owned(),
            reason,
        };
        if hint.is_empty() {
            return Err(bad_hint("the hint before `::` is empty"));
        }
        if hint.len() > MAX_HINT_LEN {
            return Err(bad_hint("the hint is longer than 185 characters"));
        }
        if hint.contains("::") {
            return Err(bad_hint("the hint contains `::`"));
        }
        if !hint
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | ' ' | '-'))
        {
            return Err(bad_hint(
                "only letters, digits, `:`, `_`, `-` and spaces are allowed",
            ));
        }
        let well_formed = fingerprint.len() == FINGERPRINT_LEN
            && fingerprint.starts_with("1220")
            && fingerprint
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !well_formed {
            return Err(PartyIdError::BadFingerprint(id.to_owned()));
        }
        Ok(Self(id.to_owned()))
    }

    /// Builds a party id from a hint and a fingerprint, validating both.
    pub fn from_parts(hint: &str, fingerprint: &str) -> Result<Self, PartyIdError> {
        Self::parse(&format!("{hint}::{fingerprint}"))
    }

    /// The hint: the part before `::`, e.g. `Operator`.
    pub fn hint(&self) -> &str {
        self.0.rsplit_once("::").map_or(&self.0, |(hint, _)| hint)
    }

    /// The namespace fingerprint: the part after `::`.
    pub fn fingerprint(&self) -> &str {
        self.0.rsplit_once("::").map_or("", |(_, fp)| fp)
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for PartyId {
    type Err = PartyIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PartyId({})", self.0)
    }
}

impl AsRef<str> for PartyId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for PartyId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
