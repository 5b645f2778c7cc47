//! The ledger JWT payload (RFC 7519 registered claims plus Daml's custom claims object).
//!
//! The auth service serialises [`LedgerJwtClaims`] when it mints a token; the oracle's demo branch
//! does the same with HS256; the ledger sandbox deserialises it when it verifies one. Field names
//! are the ones Canton 2.x reads (`docs/ledger-json-api.md` §1.3).

use serde::{Deserialize, Deserializer, Serialize};

/// The name of the custom claims object, a literal namespace, not a URL anything fetches.
pub const DAML_LEDGER_API_CLAIM: &str = "https://daml.com/ledger-api";

/// The `https://daml.com/ledger-api` object of a custom-claims ledger token.
///
/// Every field is optional to a participant; `null` counts as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerApiClaims {
    /// Must equal the participant's ledger id when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger_id: Option<String>,
    /// Must equal the participant id when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_id: Option<String>,
    /// The application id commands are submitted under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    /// Participant-admin right (party management). Omitted when false.
    #[serde(
        default,
        skip_serializing_if = "is_false",
        deserialize_with = "null_as_default"
    )]
    pub admin: bool,
    /// Parties the bearer may act (and read) as, matched by exact string.
    #[serde(default, deserialize_with = "null_as_default")]
    pub act_as: Vec<String>,
    /// Parties the bearer may read as.
    #[serde(default, deserialize_with = "null_as_default")]
    pub read_as: Vec<String>,
}

/// A complete ledger JWT payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerJwtClaims {
    /// Issuer (RFC 7519 §4.1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Subject (§4.1.2); the auth service uses `service:<account id>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Issued-at, seconds since the Unix epoch (§4.1.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Expiry, seconds since the Unix epoch (§4.1.4). A participant treats a token as valid only
    /// strictly before this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Unique token id (§4.1.7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Daml's custom claims.
    #[serde(rename = "https://daml.com/ledger-api")]
    pub ledger_api: LedgerApiClaims,
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_with_the_literal_namespace_and_omits_unset_fields() {
        let claims = LedgerJwtClaims {
            iss: Some("https://auth.example".into()),
            sub: Some("service:scheduler".into()),
            iat: Some(10),
            exp: Some(910),
            jti: Some("j".into()),
            ledger_api: LedgerApiClaims {
                ledger_id: Some("sandbox".into()),
                application_id: Some("IRSForge".into()),
                act_as: vec!["Scheduler::1220ab".into()],
                ..LedgerApiClaims::default()
            },
        };
        let json = serde_json::to_value(&claims).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "iss": "https://auth.example", "sub": "service:scheduler", "iat": 10, "exp": 910,
                "jti": "j",
                "https://daml.com/ledger-api": {
                    "ledgerId": "sandbox", "applicationId": "IRSForge",
                    "actAs": ["Scheduler::1220ab"], "readAs": []
                }
            })
        );
        assert_eq!(
            serde_json::from_value::<LedgerJwtClaims>(json).unwrap(),
            claims
        );
    }

    #[test]
    fn nulls_count_as_absent() {
        let claims: LedgerApiClaims = serde_json::from_str(
            r#"{"ledgerId":null,"participantId":null,"admin":null,"actAs":null,"readAs":null}"#,
        )
        .unwrap();
        assert_eq!(claims, LedgerApiClaims::default());
    }
}
