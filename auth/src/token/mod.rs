//! `POST /auth/oauth/token`: the OAuth2 client-credentials grant (RFC 6749 §4.4).
//!
//! The handler reads as a list of named checks, each of which can end the request:
//! read the request ([`request`]: content type, size, form, client authentication), check the
//! grant type, require credentials, check the throttle, then verify the secret and mint the
//! token together on the bcrypt pool (shedding when its queue is full). Minting happens on
//! the pool too because an RSA signature is still a fraction of a millisecond of CPU that the
//! async workers should not spend.

mod form;
mod mint;
mod request;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use service_runtime::report::Chain;

pub(crate) use mint::TokenSettings;
pub use request::MAX_BODY_BYTES;

use crate::error::AuthError;
use crate::metrics::InFlight;
use crate::state::ServiceState;
use mint::MintedToken;
use request::{ClientCredentials, TokenRequest, read_token_request};

/// What the throttle and the log know about a request, filled in as the checks proceed.
#[derive(Default)]
struct RequestFacts {
    client_id: Option<String>,
}

/// The handler.
pub(crate) async fn token_endpoint(
    State(shared): State<Arc<ServiceState>>,
    request: Request,
) -> Response {
    let _in_flight = InFlight::enter(&shared.metrics.in_flight);
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    let (parts, body) = request.into_parts();
    let source = shared.trusted_proxies.source_address(peer, &parts.headers);
    let mut facts = RequestFacts::default();
    let outcome = async {
        let request = read_token_request(&parts.headers, body).await?;
        check_grant_type(&request)?;
        let used_basic = request.used_basic;
        let credentials = require_credentials(request, &mut facts)?;
        check_throttle(&shared, source, &credentials)?;
        verify_and_mint(&shared, source, credentials, used_basic).await
    }
    .await;
    match outcome {
        Ok((minted, kid)) => {
            shared.metrics.count_outcome("issued");
            tracing::info!(
                event = "token_issued",
                accountId = facts.client_id.as_deref().unwrap_or_default(),
                kid = %kid,
                jti = %minted.jti,
                exp = minted.exp,
                "token issued"
            );
            token_response(minted)
        }
        Err(error) => {
            let reason = error.reason();
            shared.metrics.count_outcome(reason);
            let client_id = facts.client_id.as_deref().unwrap_or_default();
            if matches!(error, AuthError::Internal(_)) {
                tracing::error!(event = "token_request_failed", reason, clientId = client_id, source = %source, error = %Chain(&error), "token request failed");
            } else {
                tracing::info!(event = "token_request_rejected", reason, clientId = client_id, source = %source, "token request rejected");
            }
            error.into_response()
        }
    }
}

/// RFC 6749 §4.4.2: `grant_type` is required and must be `client_credentials`.
fn check_grant_type(request: &TokenRequest) -> Result<(), AuthError> {
    match request.grant_type.as_deref() {
        None => Err(AuthError::InvalidRequest("grant_type is required")),
        Some("client_credentials") => Ok(()),
        Some(_) => Err(AuthError::UnsupportedGrantType),
    }
}

/// RFC 6749 §4.4.2 and §3.2.1: confidential clients must authenticate; no credentials is
/// `invalid_client` with a Basic challenge inviting them.
fn require_credentials(
    request: TokenRequest,
    facts: &mut RequestFacts,
) -> Result<ClientCredentials, AuthError> {
    let credentials = request
        .credentials
        .ok_or(AuthError::InvalidClient { challenge: true })?;
    facts.client_id = Some(credentials.client_id.clone());
    Ok(credentials)
}

/// Refuses, before any bcrypt work, an address or client id with too many recent failures.
fn check_throttle(
    shared: &ServiceState,
    source: IpAddr,
    credentials: &ClientCredentials,
) -> Result<(), AuthError> {
    let now = tokio::time::Instant::now();
    shared
        .throttle
        .check(source, &credentials.client_id, now)
        .map_err(|retry_after| AuthError::Throttled {
            retry_after_secs: whole_seconds_at_least_one(retry_after),
        })
}

/// Verifies the secret and mints on the bcrypt pool; sheds with 503 when its queue is full.
async fn verify_and_mint(
    shared: &ServiceState,
    source: IpAddr,
    credentials: ClientCredentials,
    used_basic: bool,
) -> Result<(MintedToken, String), AuthError> {
    let registry = Arc::clone(&*shared.registry.read().unwrap_or_else(|e| e.into_inner()));
    let keys = Arc::clone(&*shared.keys.read().unwrap_or_else(|e| e.into_inner()));
    let account = shared.accounts.get(&credentials.client_id).cloned();
    let settings = Arc::clone(&shared.settings);
    let clock = Arc::clone(&shared.clock);
    let bcrypt_seconds = shared.metrics.bcrypt_seconds.clone();
    let client_id = credentials.client_id.clone();
    let job = move || -> Result<Option<(MintedToken, String)>, AuthError> {
        let started = std::time::Instant::now();
        let verified = registry.verify(&credentials.client_id, credentials.secret.as_bytes());
        bcrypt_seconds.record(started.elapsed());
        // The registry and auth.serviceAccounts are cross-checked at load, so a verified id
        // always has its account.
        let Some(account) = account.filter(|_| verified) else {
            return Ok(None);
        };
        let active = keys.active();
        let minted = settings.mint(active, &account, clock.unix_seconds())?;
        Ok(Some((minted, active.kid().to_owned())))
    };
    let Ok(result) = shared.pool.try_run(job) else {
        shared.metrics.shed.increment(1);
        return Err(AuthError::Overloaded {
            retry_after_secs: 1,
        });
    };
    let outcome = result
        .await
        .map_err(|_| AuthError::Internal("a bcrypt worker failed"))??;
    let now = tokio::time::Instant::now();
    match outcome {
        Some(issued) => {
            shared.throttle.record_success(source, &client_id, now);
            Ok(issued)
        }
        None => {
            shared.throttle.record_failure(source, &client_id, now);
            Err(AuthError::InvalidClient {
                challenge: used_basic,
            })
        }
    }
}

/// RFC 6749 §5.1: the token response, never cached.
fn token_response(minted: MintedToken) -> Response {
    let body = serde_json::json!({
        "access_token": minted.token,
        "token_type": "Bearer",
        "expires_in": minted.expires_in,
    });
    let mut response = axum::Json(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn whole_seconds_at_least_one(duration: Duration) -> u64 {
    let rounded_up = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    rounded_up.max(1)
}

#[cfg(test)]
mod tests;
