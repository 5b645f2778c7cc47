//! Reading a token endpoint's answer (RFC 6749 §5.1 success, §5.2 error).
//!
//! Every way an answer can be unusable becomes a [`TokenError`] with a message that says what
//! is wrong; none of them panics and none quotes the body (it may hold a token). The lifetime
//! rules, where the RFC leaves room:
//!
//! - `expires_in` is required (the refresh schedule is a fraction of it), must be a positive
//!   whole number of seconds; a
//!   string of digits is accepted too, because some servers send one.
//! - A lifetime under [`MIN_LIFETIME`] is refused: a client refreshing at 80 % of it would
//!   send more than one request a second.
//! - A lifetime over [`MAX_LIFETIME`] (the longest `auth.builtin.tokenTtlSeconds` allows) is
//!   clamped to it, and the clamp is reported in the `service_token_*` event.
//! - When the token is a JWT carrying both `iat` and `exp`, the lifetime used is the smaller of
//!   `expires_in` and `exp − iat`. Both come from the issuer's clock, so clock skew between
//!   oracle and auth does not matter, and a server whose `expires_in` overstates the token's
//!   life cannot make the oracle hold a token the ledger already refuses.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use super::FetchedToken;
use crate::error::TokenError;
use crate::http::{BearerToken, short_server_text};

/// The shortest token lifetime accepted.
pub const MIN_LIFETIME: Duration = Duration::from_secs(5);
/// The longest token lifetime used; longer ones are clamped to it.
pub const MAX_LIFETIME: Duration = Duration::from_secs(86_400);
/// Bodies longer than this are refused without being read further.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// The longest token read as a JWT; a longer one is used as an opaque token (its `expires_in`
/// alone decides its life). Far above any real service token, and it bounds the work of
/// decoding what a server sent.
pub const MAX_JWT_BYTES: usize = 16 * 1024;

/// The `iat` and `exp` claims of a JWT, read without verifying it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JwtTimes {
    pub(crate) iat: Option<i64>,
    pub(crate) exp: Option<i64>,
}

/// Reads `iat`/`exp` from a JWT's payload; `None` when the token is not a JWT (not three
/// base64url segments whose middle one is a JSON object, or longer than [`MAX_JWT_BYTES`]).
/// A claim that is not a number is absent; a fractional one is rounded down, a huge one
/// saturates. The signature is not checked: this is only used to avoid holding a token past
/// its own stated expiry.
pub(crate) fn jwt_times(token: &str) -> Option<JwtTimes> {
    if token.len() > MAX_JWT_BYTES {
        return None;
    }
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Map<String, Value> = serde_json::from_slice(&bytes).ok()?;
    // `as` saturates at the ends of i64.
    let time = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_f64)
            .map(|t| t.floor() as i64)
    };
    Some(JwtTimes {
        iat: time("iat"),
        exp: time("exp"),
    })
}

/// The `exp` of a token that is a JWT, in seconds since the Unix epoch; `None` for a token that
/// is not a JWT or carries no numeric `exp`. Not verified.
pub fn jwt_exp(token: &str) -> Option<i64> {
    jwt_times(token)?.exp
}

/// The least time a token must have left by its own `exp`, counted from when the request was
/// sent: the 1 s safety margin plus a second of use. Shorter means this host's clock is ahead
/// of the issuer's (or the issuer's `exp` is wrong); the token is refused then.
pub const MIN_REMAINING_BY_EXP: Duration = Duration::from_secs(2);

/// The life of `token` counted from `sent` (the wall-clock time the request was sent): the
/// earlier of `lifetime` (from `expires_in`, already bounded) and the JWT's own `exp`, when the
/// token is a JWT carrying one. `Err` says why the token cannot be used.
pub(crate) fn effective_lifetime(
    token: &str,
    lifetime: Duration,
    sent: DateTime<Utc>,
) -> Result<Duration, String> {
    let Some(exp) = jwt_exp(token) else {
        return Ok(lifetime);
    };
    let remaining_ms = i128::from(exp) * 1000 - i128::from(sent.timestamp_millis());
    let least = MIN_REMAINING_BY_EXP.as_millis() as i128;
    if remaining_ms < least {
        let sent_at = sent.to_rfc3339_opts(SecondsFormat::Millis, true);
        return Err(format!(
            "the token's exp ({exp}) is {:.3} s after the request was sent ({sent_at} by this \
             host's clock); at least {} s are needed: is this host's clock ahead of the \
             issuer's?",
            remaining_ms as f64 / 1000.0,
            MIN_REMAINING_BY_EXP.as_secs()
        ));
    }
    let by_exp = u64::try_from(remaining_ms).map_or(Duration::MAX, Duration::from_millis);
    Ok(lifetime.min(by_exp))
}

/// Interprets one answer of the token endpoint.
pub fn interpret(
    endpoint: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    retry_after: Option<Duration>,
) -> Result<FetchedToken, TokenError> {
    match status {
        200..=299 => parse_success(endpoint, content_type, body),
        _ => Err(classify_error(endpoint, status, body, retry_after)),
    }
}

fn parse_success(
    endpoint: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<FetchedToken, TokenError> {
    let malformed = |detail: String| TokenError::MalformedResponse {
        endpoint: endpoint.to_owned(),
        detail,
    };
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        malformed(format!(
            "the body is not JSON (content-type {}, {} bytes); is platform.authPublicUrl the auth \
             service?",
            content_type.map_or_else(|| "none".to_owned(), short_server_text),
            body.len()
        ))
    })?;
    let Value::Object(object) = value else {
        return Err(malformed("the body is JSON but not an object".into()));
    };
    let token = match object.get("access_token") {
        None | Some(Value::Null) => return Err(malformed("access_token is missing".into())),
        Some(Value::String(token)) if token.is_empty() => {
            return Err(malformed("access_token is empty".into()));
        }
        Some(Value::String(token)) if !is_b64token(token) => {
            return Err(malformed(
                "access_token holds characters a bearer token cannot carry (RFC 6750 §2.1)".into(),
            ));
        }
        Some(Value::String(token)) => token.clone(),
        Some(_) => return Err(malformed("access_token is not a string".into())),
    };
    match object.get("token_type") {
        None | Some(Value::Null) => {
            return Err(malformed(
                "token_type is missing (RFC 6749 §5.1 requires it)".into(),
            ));
        }
        // RFC 6749 §5.1: the type is case-insensitive.
        Some(Value::String(kind)) if kind.eq_ignore_ascii_case("bearer") => {}
        Some(Value::String(kind)) => {
            return Err(malformed(format!(
                "token_type {:?} is not Bearer",
                short_server_text(kind)
            )));
        }
        Some(_) => return Err(malformed("token_type is not a string".into())),
    }
    let expires_in = expires_in_seconds(object.get("expires_in")).map_err(malformed)?;
    let mut seconds = expires_in;
    if let Some(JwtTimes {
        iat: Some(iat),
        exp: Some(exp),
    }) = jwt_times(&token)
    {
        if exp <= iat {
            return Err(malformed(format!(
                "the token's own exp ({exp}) is not after its iat ({iat})"
            )));
        }
        seconds = seconds.min((exp - iat) as u64);
    }
    if seconds < MIN_LIFETIME.as_secs() {
        return Err(malformed(format!(
            "the token lives {seconds} s; at least {} s are needed to use and refresh it",
            MIN_LIFETIME.as_secs()
        )));
    }
    let clamped_from = (seconds > MAX_LIFETIME.as_secs()).then_some(seconds);
    Ok(FetchedToken {
        token: BearerToken::new(token),
        lifetime: Duration::from_secs(seconds).min(MAX_LIFETIME),
        clamped_from,
    })
}

/// `expires_in` as whole seconds, or what is wrong with it.
fn expires_in_seconds(value: Option<&Value>) -> Result<u64, String> {
    let not_positive = |shown: &dyn std::fmt::Display| {
        format!("expires_in is {shown}; a token lifetime must be a positive number of seconds")
    };
    match value {
        None | Some(Value::Null) => Err("expires_in is missing".into()),
        Some(Value::Number(number)) => {
            if let Some(seconds) = number.as_u64() {
                if seconds == 0 {
                    return Err(not_positive(&0));
                }
                return Ok(seconds);
            }
            if let Some(negative) = number.as_i64() {
                return Err(not_positive(&negative));
            }
            let float = number.as_f64().unwrap_or(f64::NAN);
            if float <= 0.0 {
                Err(not_positive(&float))
            } else if float.fract() != 0.0 {
                Err(format!(
                    "expires_in is {float}, not a whole number of seconds"
                ))
            } else {
                // Saturating: anything this large is clamped to MAX_LIFETIME anyway.
                Ok(float.min(u64::MAX as f64) as u64)
            }
        }
        Some(Value::String(text))
            if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) =>
        {
            match text.parse::<u64>() {
                Ok(0) => Err(not_positive(&0)),
                Ok(seconds) => Ok(seconds),
                Err(_) => Ok(u64::MAX),
            }
        }
        Some(Value::String(text)) => Err(format!(
            "expires_in {:?} is not a number of seconds",
            short_server_text(text)
        )),
        Some(_) => Err("expires_in is not a number".into()),
    }
}

fn classify_error(
    endpoint: &str,
    status: u16,
    body: &[u8],
    retry_after: Option<Duration>,
) -> TokenError {
    let (code, description) = oauth_error(body);
    let shown = match &code {
        Some(code) => format!("HTTP {status} {code}"),
        None => format!("HTTP {status}"),
    };
    let endpoint = endpoint.to_owned();
    if status == 401 || code.as_deref() == Some("invalid_client") {
        return TokenError::InvalidClient {
            endpoint,
            description,
        };
    }
    match status {
        408 | 429 | 500..=599 => TokenError::Network {
            endpoint,
            detail: shown,
            retry_after,
        },
        300..=399 => TokenError::Rejected {
            endpoint,
            detail: format!(
                "{shown}: redirects are not followed; platform.authPublicUrl must point at the \
                 auth service itself"
            ),
        },
        _ => TokenError::Rejected {
            endpoint,
            detail: match description {
                Some(description) => format!("{shown}: {description}"),
                None => shown,
            },
        },
    }
}

/// The RFC 6749 §5.2 `error` and `error_description` of a body, sanitised.
fn oauth_error(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
        return (None, None);
    };
    let text = |name: &str| {
        object
            .get(name)
            .and_then(Value::as_str)
            .map(short_server_text)
    };
    (text("error"), text("error_description"))
}

/// RFC 6750 §2.1 `b64token`: the characters a bearer token may contain.
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

#[cfg(test)]
mod tests;
