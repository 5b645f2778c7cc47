//! Reading a token request: content type, size limit, form body (at most
//! [`MAX_PARAMETERS`](super::form::MAX_PARAMETERS) parameters, none repeated), client
//! authentication.
//!
//! Every way a request can be malformed ends here as an [`AuthError`] with an OAuth2 code;
//! nothing reaches bcrypt unless the request is well formed and names exactly one client by
//! exactly one method (RFC 6749 §2.3).

use std::collections::HashSet;
use std::pin::Pin;

use axum::body::{Body, HttpBody};
use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::form::{FormError, decode_component, parse_pairs};
use crate::error::AuthError;

/// Bodies larger than this are refused with 413 `invalid_request`; a real request is under
/// 200 bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// RFC 7617 §2 uses standard base64; padding is accepted whether present or not because
/// clients differ and it carries no meaning.
const BASIC_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A well-formed token request.
pub(crate) struct TokenRequest {
    /// `grant_type`, if sent with a value.
    pub(crate) grant_type: Option<String>,
    /// The client's credentials, if it sent any.
    pub(crate) credentials: Option<ClientCredentials>,
    /// Whether the client used the Authorization header (for `WWW-Authenticate`).
    pub(crate) used_basic: bool,
}

/// A client id and its presented secret.
pub(crate) struct ClientCredentials {
    pub(crate) client_id: String,
    pub(crate) secret: String,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// The parameters the token endpoint reads. Others are ignored (RFC 6749 §3.2), but still
/// counted towards the form's parameter limit and still refused when repeated: §3.2 says
/// request parameters "MUST NOT be included more than once", whichever they are, and a client
/// that repeats one has a bug worth hearing about.
const GRANT_TYPE: &str = "grant_type";
const CLIENT_ID: &str = "client_id";
const CLIENT_SECRET: &str = "client_secret";

/// Reads and checks the whole request.
pub(crate) async fn read_token_request(
    headers: &HeaderMap,
    body: Body,
) -> Result<TokenRequest, AuthError> {
    check_content_type(headers)?;
    let body = read_body(headers, body).await?;
    let pairs = parse_pairs(&body)
        .map_err(|error| AuthError::InvalidRequest(FormError::description(error)))?;
    let mut grant_type = None;
    let mut body_id = None;
    let mut body_secret = None;
    // One pass, one set lookup per parameter: the check is linear in the body's size.
    let mut seen = HashSet::with_capacity(pairs.len());
    for (name, value) in &pairs {
        // RFC 6749 §3.2: "Request and response parameters MUST NOT be included more than once."
        if !seen.insert(name.as_str()) {
            return Err(AuthError::InvalidRequest(repeated_description(name)));
        }
        // §3.2: "Parameters sent without a value MUST be treated as if they were omitted."
        let value = Some(value.clone()).filter(|value| !value.is_empty());
        match name.as_str() {
            GRANT_TYPE => grant_type = value,
            CLIENT_ID => body_id = value,
            CLIENT_SECRET => body_secret = value,
            _ => {}
        }
    }
    let basic = basic_credentials(headers)?;
    let used_basic = basic.is_some();
    let credentials = match basic {
        Some(basic) => {
            // §2.3: "The client MUST NOT use more than one authentication method in each
            // request." A body client_id equal to the Basic one is harmless (some clients send
            // both); a different one or any body secret is a second method.
            if body_secret.is_some() || body_id.as_ref().is_some_and(|id| *id != basic.client_id) {
                return Err(AuthError::InvalidRequest(
                    "use exactly one client authentication method: HTTP Basic or client_id/client_secret in the body",
                ));
            }
            Some(basic)
        }
        None => match (body_id, body_secret) {
            (Some(client_id), Some(secret)) => Some(ClientCredentials { client_id, secret }),
            _ => None,
        },
    };
    Ok(TokenRequest {
        grant_type,
        credentials,
        used_basic,
    })
}

fn repeated_description(name: &str) -> &'static str {
    match name {
        GRANT_TYPE => "parameter grant_type is repeated",
        CLIENT_ID => "parameter client_id is repeated",
        CLIENT_SECRET => "parameter client_secret is repeated",
        "scope" => "parameter scope is repeated",
        _ => "a parameter is repeated",
    }
}

/// RFC 6749 §4.4.2: the body is `application/x-www-form-urlencoded`; a charset parameter is
/// allowed and must then be UTF-8 (Appendix B).
fn check_content_type(headers: &HeaderMap) -> Result<(), AuthError> {
    const WRONG_TYPE: AuthError =
        AuthError::InvalidRequest("the body must be application/x-www-form-urlencoded");
    let mut values = headers.get_all(header::CONTENT_TYPE).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(WRONG_TYPE);
    };
    let value = value.to_str().map_err(|_| WRONG_TYPE)?;
    let mut parts = value.split(';');
    let media_type = parts.next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(WRONG_TYPE);
    }
    for parameter in parts {
        let Some((name, value)) = parameter.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"');
        if name.trim().eq_ignore_ascii_case("charset") && !value.eq_ignore_ascii_case("utf-8") {
            return Err(AuthError::InvalidRequest("the form body must be UTF-8"));
        }
    }
    Ok(())
}

/// Collects the body up to [`MAX_BODY_BYTES`]; a declared or actual larger body is refused
/// without reading the rest.
async fn read_body(headers: &HeaderMap, mut body: Body) -> Result<Vec<u8>, AuthError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return Err(AuthError::BodyTooLarge);
    }
    let mut collected = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame =
            frame.map_err(|_| AuthError::InvalidRequest("the request body could not be read"))?;
        if let Ok(data) = frame.into_data() {
            if collected.len() + data.len() > MAX_BODY_BYTES {
                return Err(AuthError::BodyTooLarge);
            }
            collected.extend_from_slice(&data);
        }
    }
    Ok(collected)
}

/// `client_secret_basic` (RFC 6749 §2.3.1, RFC 7617): `Basic base64(id ":" secret)`, where id
/// and secret are each form-urlencoded first. `Ok(None)` without an Authorization header; a
/// malformed or non-Basic header is a failed client authentication.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<ClientCredentials>, AuthError> {
    const FAILED: AuthError = AuthError::InvalidClient { challenge: true };
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(AuthError::InvalidRequest(
            "more than one Authorization header",
        ));
    }
    let value = value.to_str().map_err(|_| FAILED)?.trim();
    let (scheme, encoded) = value.split_once(' ').ok_or(FAILED)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(FAILED);
    }
    let decoded = BASIC_BASE64.decode(encoded.trim()).map_err(|_| FAILED)?;
    let colon = decoded
        .iter()
        .position(|byte| *byte == b':')
        .ok_or(FAILED)?;
    let client_id = decode_component(&decoded[..colon]).map_err(|_| FAILED)?;
    let secret = decode_component(&decoded[colon + 1..]).map_err(|_| FAILED)?;
    if client_id.is_empty() || secret.is_empty() {
        return Err(FAILED);
    }
    Ok(Some(ClientCredentials { client_id, secret }))
}

#[cfg(test)]
mod tests;
