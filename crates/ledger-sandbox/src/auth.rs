//! Authentication and the token-level authorization checks, as a Canton participant with the
//! JSON API in front of it performs them (`docs/ledger-json-api.md` §1).
//!
//! The order follows the two real processes: for command and query endpoints the JSON API first
//! decodes the token without verifying it and checks its fields (§1.6); then the participant
//! verifies it (§1.2: `alg`, `kid`, signature, `exp`/`nbf`/`iat` against the injected clock)
//! and checks the claims against its own identity (§1.5). Party endpoints skip the JSON API
//! checks and need the admin right.
//!
//! Where the real participant answers a token it cannot authenticate with a redacted 500, the
//! sandbox answers 401 `UNAUTHENTICATED: <reason>`; the reason never contains the token.

use std::sync::Arc;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use chrono::DateTime;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use ledger_types::LedgerApiClaims;
use serde_json::Value;
use service_runtime::clock::Clock;

use crate::claims::{self, EndpointGroup, TokenPayload, USER_TOKEN_REFUSED};
use crate::envelope::{ApiError, new_correlation_id};
use crate::error::SandboxError;
use crate::jwks::JwksCache;
use crate::options::{AuthMode, SandboxOptions};

/// base64url without padding, tolerating padding the way lenient JWT decoders do.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// What a request needs from its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// create / exercise: §1.6 command checks, actAs rights.
    Command,
    /// query / fetch: §1.6 query checks, read rights.
    Query,
    /// `GET`/`POST /v1/parties`: admin (401 otherwise).
    PartyList,
    /// `POST /v1/parties/allocate`: admin (403 otherwise).
    PartyAllocate,
}

/// The authenticated caller's rights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    /// Parties the caller may act (and read) as.
    pub(crate) act_as: Vec<String>,
    /// Parties the caller may read as.
    pub(crate) read_as: Vec<String>,
}

impl Caller {
    /// Whether the caller may read as `party` (actAs grants read too).
    pub(crate) fn can_read_as(&self, party: &str) -> bool {
        self.act_as.iter().chain(&self.read_as).any(|p| p == party)
    }

    /// `actAs ∪ readAs`, without duplicates, in token order.
    pub(crate) fn readers(&self) -> Vec<String> {
        let mut readers: Vec<String> = Vec::new();
        for party in self.act_as.iter().chain(&self.read_as) {
            if !readers.contains(party) {
                readers.push(party.clone());
            }
        }
        readers
    }
}

/// Verifies tokens in the configured mode.
#[derive(Debug)]
pub(crate) struct Authenticator {
    verifier: Verifier,
    clock: Arc<dyn Clock>,
    leeway_seconds: i64,
    ledger_id: String,
    participant_id: String,
    application_id: Option<String>,
}

enum Verifier {
    Hs256(DecodingKey),
    Jwks(Box<JwksCache>),
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Hs256(_) => f.write_str("Hs256(<redacted>)"),
            Self::Jwks(cache) => f.debug_tuple("Jwks").field(cache).finish(),
        }
    }
}

/// A JWT split and decoded without verification.
struct DecodedJwt {
    alg: String,
    kid: Option<String>,
    payload: Value,
}

impl Authenticator {
    /// Builds the verifier for the configured mode.
    pub(crate) fn new(options: &SandboxOptions) -> Result<Self, SandboxError> {
        let verifier = match &options.auth {
            AuthMode::Hs256 { secret } => {
                Verifier::Hs256(DecodingKey::from_secret(secret.as_bytes()))
            }
            AuthMode::Jwks { url } => Verifier::Jwks(Box::new(JwksCache::new(
                url.clone(),
                options.jwks.clone(),
                options.clock.clone(),
            )?)),
        };
        Ok(Self {
            verifier,
            clock: options.clock.clone(),
            leeway_seconds: i64::try_from(options.leeway.as_secs()).unwrap_or(i64::MAX),
            ledger_id: options.ledger_id.clone(),
            participant_id: options.participant_id(),
            application_id: options.application_id.clone(),
        })
    }

    /// Authenticates a request and checks that its token allows `access`.
    pub(crate) async fn authenticate(
        &self,
        headers: &HeaderMap,
        access: Access,
    ) -> Result<Caller, ApiError> {
        let token = bearer_token(headers).ok_or_else(ApiError::missing_token)?;
        let group = match access {
            Access::Command => Some(EndpointGroup::Command),
            Access::Query => Some(EndpointGroup::Query),
            Access::PartyList | Access::PartyAllocate => None,
        };
        // The JSON API's checks, on the unverified token.
        if let Some(group) = group {
            let decoded = decode_unverified(token).map_err(|e| ApiError::jwt_decode(&e))?;
            let payload = claims::classify(&decoded.payload).map_err(|reason| {
                ApiError::token_claims(format!("Invalid access token: {reason}"))
            })?;
            claims::json_api_checks(&payload, group).map_err(ApiError::token_claims)?;
        }
        // The participant's checks.
        let claims = self.verify(token).await.map_err(|reason| {
            ApiError::unauthenticated(format_args!("Could not verify JWT token: {reason}"))
        })?;
        self.check_identity(&claims, access)?;
        match access {
            Access::PartyList if !claims.admin => Err(ApiError::permission_denied(
                "listing parties requires a participant-admin token (\"admin\": true)",
            )),
            Access::PartyAllocate if !claims.admin => Err(ApiError::permission_denied_forbidden(
                "allocating parties requires a participant-admin token (\"admin\": true)",
                &new_correlation_id(),
            )),
            _ => Ok(Caller {
                act_as: claims.act_as,
                read_as: claims.read_as,
            }),
        }
    }

    /// §1.2: algorithm, key, signature, time claims, then the payload codec.
    async fn verify(&self, token: &str) -> Result<LedgerApiClaims, String> {
        let decoded = decode_unverified(token)?;
        let (algorithm, key) = match &self.verifier {
            Verifier::Hs256(key) => {
                require_algorithm(&decoded.alg, "HS256")?;
                (Algorithm::HS256, key.clone())
            }
            Verifier::Jwks(cache) => {
                require_algorithm(&decoded.alg, "RS256")?;
                let kid = decoded
                    .kid
                    .as_deref()
                    .ok_or("No Key ID found: the JWT header has no `kid`")?;
                (Algorithm::RS256, cache.key_for(kid).await?)
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<Value>(token, &key, &validation).map_err(|error| {
            match error.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                    format!("the signature is invalid for {}", decoded.alg)
                }
                _ => format!("the token cannot be verified ({error})"),
            }
        })?;
        self.check_time_claims(&decoded.payload)?;
        match claims::classify(&decoded.payload)? {
            TokenPayload::Claims(claims) => Ok(claims),
            TokenPayload::User => Err(USER_TOKEN_REFUSED.into()),
        }
    }

    /// `exp`: valid strictly before `exp + leeway`; `nbf`/`iat`: not after `now + leeway`. Time
    /// is compared in whole seconds, as auth0 java-jwt does.
    fn check_time_claims(&self, payload: &Value) -> Result<(), String> {
        let now = self.clock.now().timestamp();
        let leeway = self.leeway_seconds;
        if let Some(exp) = numeric_date(payload, "exp")?
            && now >= exp.saturating_add(leeway)
        {
            return Err(format!("The Token has expired on {}", iso(exp)));
        }
        for claim in ["nbf", "iat"] {
            if let Some(not_before) = numeric_date(payload, claim)?
                && not_before > now.saturating_add(leeway)
            {
                return Err(format!(
                    "The Token can't be used before {} (`{claim}` is in the future)",
                    iso(not_before)
                ));
            }
        }
        Ok(())
    }

    /// §1.5: ledger id, participant id and (for commands and queries) application id.
    fn check_identity(&self, claims: &LedgerApiClaims, access: Access) -> Result<(), ApiError> {
        let mismatch = |what: &str, claimed: &str, actual: &str| {
            ApiError::permission_denied(format_args!(
                "Claims are only valid for {what} '{claimed}', actual {what} is '{actual}'"
            ))
        };
        if let Some(ledger_id) = &claims.ledger_id
            && *ledger_id != self.ledger_id
        {
            return Err(mismatch("ledgerId", ledger_id, &self.ledger_id));
        }
        if let Some(participant_id) = &claims.participant_id
            && *participant_id != self.participant_id
        {
            return Err(mismatch(
                "participantId",
                participant_id,
                &self.participant_id,
            ));
        }
        if matches!(access, Access::Command | Access::Query)
            && let (Some(expected), Some(claimed)) = (&self.application_id, &claims.application_id)
            && claimed != expected
        {
            return Err(mismatch("applicationId", claimed, expected));
        }
        Ok(())
    }
}

/// The token after `Bearer ` (the first match of `Bearer (.+)`, as the participant reads it).
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let start = value.find("Bearer ")? + "Bearer ".len();
    Some(&value[start..]).filter(|token| !token.is_empty())
}

fn decode_unverified(token: &str) -> Result<DecodedJwt, String> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, _signature] = parts.as_slice() else {
        return Err(format!(
            "the token has {} dot-separated parts, a JWT has 3",
            parts.len()
        ));
    };
    let decode_json = |part: &str, name: &str| -> Result<Value, String> {
        let bytes = BASE64URL
            .decode(part)
            .map_err(|_| format!("the JWT {name} is not base64url"))?;
        serde_json::from_slice(&bytes).map_err(|_| format!("the JWT {name} is not JSON"))
    };
    let header = decode_json(header, "header")?;
    let payload = decode_json(payload, "payload")?;
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or("the JWT header has no string `alg`")?
        .to_owned();
    let kid = match header.get("kid") {
        None | Some(Value::Null) => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err("the JWT header's `kid` is not a string".into()),
    };
    Ok(DecodedJwt { alg, kid, payload })
}

fn require_algorithm(alg: &str, expected: &str) -> Result<(), String> {
    if alg == expected {
        return Ok(());
    }
    let shown: String = alg.chars().take(16).filter(|c| !c.is_control()).collect();
    Err(format!(
        "the token's algorithm \"{shown}\" is not accepted; this participant accepts only {expected}"
    ))
}

/// Reads a NumericDate claim (RFC 7519 §2): absent or null is `None`, a non-number is an error.
fn numeric_date(payload: &Value, claim: &str) -> Result<Option<i64>, String> {
    match payload.get(claim) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => number
            .as_i64()
            .or_else(|| {
                number
                    .as_f64()
                    .filter(|f| f.is_finite())
                    .map(|f| f.floor() as i64)
            })
            .map(Some)
            .ok_or_else(|| format!("`{claim}` is not a valid NumericDate")),
        Some(_) => Err(format!("`{claim}` is not a number")),
    }
}

fn iso(seconds: i64) -> String {
    DateTime::from_timestamp(seconds, 0)
        .map_or_else(|| seconds.to_string(), |instant| instant.to_rfc3339())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn bearer_token_takes_everything_after_bearer() {
        assert_eq!(bearer_token(&headers("Bearer a.b.c")), Some("a.b.c"));
        assert_eq!(bearer_token(&headers("Bearer ")), None);
        assert_eq!(bearer_token(&headers("Basic abc")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }

    #[test]
    fn numeric_dates_accept_integers_and_floats_and_refuse_strings() {
        let payload = serde_json::json!({"exp": 10, "nbf": 5.7, "iat": "3"});
        assert_eq!(numeric_date(&payload, "exp"), Ok(Some(10)));
        assert_eq!(numeric_date(&payload, "nbf"), Ok(Some(5)));
        assert!(numeric_date(&payload, "iat").is_err());
        assert_eq!(numeric_date(&payload, "missing"), Ok(None));
    }

    #[test]
    fn undecodable_tokens_are_described() {
        for (token, fragment) in [
            ("abc", "3"),
            ("a.b.c.d", "3"),
            ("!!.e30.x", "header is not base64url"),
            ("e30.e30.x", "no string `alg`"),
            ("eyJhbGciOiJIUzI1NiJ9.bm90anNvbg.x", "payload is not JSON"),
        ] {
            let error = decode_unverified(token).err().unwrap();
            assert!(error.contains(fragment), "{token}: {error}");
        }
    }

    #[test]
    fn caller_readers_are_act_as_then_read_as_without_duplicates() {
        let caller = Caller {
            act_as: vec!["A".into(), "B".into()],
            read_as: vec!["B".into(), "C".into()],
        };
        assert_eq!(caller.readers(), ["A", "B", "C"]);
        assert!(caller.can_read_as("C") && !caller.can_read_as("D"));
    }
}
