//! The crate's errors: [`PartyIdError`] for Canton party ids and [`LfError`] for Daml-LF JSON
//! values. They are separate because callers handle them apart: a party id comes from
//! configuration and is fixed by an operator, an LF value comes from a payload and is reported
//! with the field it sits in.

/// Why a string is not a qualified Canton party id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartyIdError {
    /// The string is empty.
    #[error("is empty; expected a Canton party id such as `Operator::1220…`")]
    Empty,
    /// A bare hint with no `::fingerprint` part.
    #[error(
        "`{0}` is a bare party hint, not a Canton party id; use the exact id `{0}::1220…` \
         as the participant reports it (GET /v1/parties)"
    )]
    BareHint(String),
    /// The hint part breaks Canton's rules.
    #[error("`{id}` has an invalid hint: {reason}")]
    BadHint {
        /// The offending id.
        id: String,
        /// What is wrong with the hint.
        reason: &'static str,
    },
    /// The fingerprint part is not `1220` + 64 lowercase hex digits.
    #[error(
        "`{0}` has an invalid namespace fingerprint; expected `1220` followed by 64 lowercase hex digits"
    )]
    BadFingerprint(String),
}

/// Why a JSON value is not the Daml-LF value its field needs (`docs/ledger-json-api.md` §3).
///
/// `input` is the offending text, cut to 64 characters with control characters replaced, so an
/// error never echoes a whole request body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LfError {
    /// Not a `Numeric 10`.
    #[error("expected a Numeric (a decimal such as \"10.0\"), found `{input}`: {reason}")]
    Numeric {
        /// The offending text.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Not an `Int64`.
    #[error("expected an Int64 (a whole number such as \"42\"), found `{input}`: {reason}")]
    Int64 {
        /// The offending text.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Not a `Timestamp`.
    #[error(
        "expected a Timestamp (UTC such as \"2024-05-01T10:00:00Z\"), found `{input}`: {reason}"
    )]
    Timestamp {
        /// The offending text.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Not a `Date`.
    #[error("expected a Date (such as \"2024-05-01\"), found `{input}`: {reason}")]
    Date {
        /// The offending text.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Not an LF `Party`.
    #[error("expected a Party (1 to 255 characters from [A-Za-z0-9:_ -]), found `{input}`")]
    Party {
        /// The offending text.
        input: String,
    },
    /// Not a `ContractId`.
    #[error("expected a ContractId (1 to 255 characters), found `{input}`")]
    ContractId {
        /// The offending text.
        input: String,
    },
}

/// `text` as an error may quote it: at most 64 characters, control characters as `?`.
pub(crate) fn quote(text: &str) -> String {
    const LIMIT: usize = 64;
    let mut quoted: String = text
        .chars()
        .take(LIMIT)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().nth(LIMIT).is_some() {
        quoted.push('…');
    }
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_quote_at_most_64_characters_without_control_characters() {
        assert_eq!(quote("10.0"), "10.0");
        assert_eq!(quote("a\nb\u{1b}[31m"), "a?b?[31m");
        let long = "9".repeat(1_000);
        let quoted = quote(&long);
        assert_eq!(quoted.chars().count(), 65);
        assert!(quoted.ends_with('…'));
        assert_eq!(
            quote(&"é".repeat(64)),
            "é".repeat(64),
            "characters, not bytes"
        );
        let error = crate::lf::Numeric::parse(&format!("1{}", "x".repeat(200))).unwrap_err();
        assert!(error.to_string().len() < 200, "{error}");
    }
}
