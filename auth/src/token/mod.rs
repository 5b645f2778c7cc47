//! `POST /auth/oauth/token`: the OAuth2 client-credentials grant (RFC 6749 §4.4).
//!
//! The handler reads as a list of named checks, each of which can end the request:
//! read the request ([`request`]: content type, size, form, client authentication), check the
//! grant type, require credentials, check the throttle, then either recognise credentials
//! bcrypt verified recently (`credential_cache`) and sign on the signing pool, or verify the
//! secret and mint the token together on the bcrypt pool (shedding when a pool has no room
//! within a second).
//!
//! Where minting runs: never on the async workers. On the bcrypt path it runs on the pool,
//! after bcrypt, on the thread that already holds the job. On a cache hit it runs on the
//! signing pool: idle-priority threads of their own, with the same source-fair queue. One RSA
//! signature is about 0.3 ms, and a flood of returning clients signing on the async workers
//! measured health p99 at 23 ms; at idle priority the kernel runs health and JWKS first, and
//! returning clients never wait behind bcrypt.

mod form;
mod mint;
mod request;
mod shown_id;

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
use crate::secret_hash::BcryptHash;
use crate::state::ServiceState;
use crate::verification_pool::{ADMISSION_WAIT, NotRun, QueueFull};
use mint::MintedToken;
use request::{ClientCredentials, TokenRequest, read_token_request};
use shown_id::ShownClientId;

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
        if let Some(issued) = mint_if_recently_verified(&shared, source, &credentials).await? {
            return Ok(issued);
        }
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
            let shown = ShownClientId::new(facts.client_id.as_deref().unwrap_or_default());
            if matches!(error, AuthError::Internal(_)) {
                tracing::error!(event = "token_request_failed", reason, clientId = shown.text.as_str(), clientIdBytes = shown.cut_from_bytes, source = %source, error = %Chain(&error), "token request failed");
            } else {
                tracing::info!(event = "token_request_rejected", reason, clientId = shown.text.as_str(), clientIdBytes = shown.cut_from_bytes, source = %source, "token request rejected");
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

/// Refuses, before any bcrypt work, an address or (client id, address) with too many recent
/// failures.
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

/// Mints without bcrypt, on the signing pool, when these credentials passed bcrypt against a
/// hash still in force within the cache's maximum age. `Ok(None)`: not recognised, go on to
/// bcrypt.
async fn mint_if_recently_verified(
    shared: &ServiceState,
    source: IpAddr,
    credentials: &ClientCredentials,
) -> Result<Option<(MintedToken, String)>, AuthError> {
    let deadline = tokio::time::Instant::now() + ADMISSION_WAIT;
    let registry = Arc::clone(&*shared.registry.read().unwrap_or_else(|e| e.into_inner()));
    let recognised = shared.credential_cache.verified(
        &credentials.client_id,
        credentials.secret.as_bytes(),
        registry.hashes(&credentials.client_id),
        registry.verifications_per_failure(),
        tokio::time::Instant::now(),
    );
    let Some(account) = shared
        .accounts
        .get(&credentials.client_id)
        .filter(|_| recognised)
        .cloned()
    else {
        return Ok(None);
    };
    shared.metrics.credential_cache_hits.increment(1);
    let keys = Arc::clone(&*shared.keys.read().unwrap_or_else(|e| e.into_inner()));
    let settings = Arc::clone(&shared.settings);
    let clock = Arc::clone(&shared.clock);
    let job = move || -> Result<(MintedToken, String), AuthError> {
        let active = keys.active();
        let minted = settings.mint(active, &account, clock.unix_seconds())?;
        Ok((minted, active.kid().to_owned()))
    };
    let outcome = match shared.signing_pool.submit(source, job) {
        Ok(pending) => pending.outcome(deadline).await,
        Err(QueueFull) => Err(NotRun::Shed),
    };
    let issued = match outcome {
        Ok(minted) => minted?,
        Err(NotRun::Shed) => return Err(shed_at(shared, deadline).await),
        Err(NotRun::Failed) => return Err(AuthError::Internal("a signing worker failed")),
    };
    shared
        .throttle
        .record_success(source, &credentials.client_id, tokio::time::Instant::now());
    Ok(Some(issued))
}

/// The paced 503: never before `deadline`, whatever made the request shed.
async fn shed_at(shared: &ServiceState, deadline: tokio::time::Instant) -> AuthError {
    tokio::time::sleep_until(deadline).await;
    shared.metrics.shed.increment(1);
    AuthError::Overloaded {
        retry_after_secs: 1,
    }
}

/// Verifies the secret and mints on the bcrypt pool; a request that finds no room there within
/// [`ADMISSION_WAIT`] is shed with 503, never earlier (so a client that ignores `Retry-After`
/// gets at most about one shed answer a second per connection).
async fn verify_and_mint(
    shared: &ServiceState,
    source: IpAddr,
    credentials: ClientCredentials,
    used_basic: bool,
) -> Result<(MintedToken, String), AuthError> {
    let deadline = tokio::time::Instant::now() + ADMISSION_WAIT;
    let registry = Arc::clone(&*shared.registry.read().unwrap_or_else(|e| e.into_inner()));
    let keys = Arc::clone(&*shared.keys.read().unwrap_or_else(|e| e.into_inner()));
    let account = shared.accounts.get(&credentials.client_id).cloned();
    let settings = Arc::clone(&shared.settings);
    let clock = Arc::clone(&shared.clock);
    let bcrypt_seconds = shared.metrics.bcrypt_seconds.clone();
    type Verified = Option<(MintedToken, String, BcryptHash)>;
    let job = move || -> (Result<Verified, AuthError>, ClientCredentials) {
        let started = std::time::Instant::now();
        let matched = registry
            .matching_hash(&credentials.client_id, credentials.secret.as_bytes())
            .cloned();
        bcrypt_seconds.record(started.elapsed());
        // The registry and auth.serviceAccounts are cross-checked at load, so a verified id
        // always has its account.
        let (Some(account), Some(matched)) = (account, matched) else {
            return (Ok(None), credentials);
        };
        let active = keys.active();
        let minted = settings
            .mint(active, &account, clock.unix_seconds())
            .map(|minted| Some((minted, active.kid().to_owned(), matched)));
        (minted, credentials)
    };
    let outcome = match shared.pool.submit(source, job) {
        Ok(pending) => pending.outcome(deadline).await,
        Err(QueueFull) => Err(NotRun::Shed),
    };
    let (verified, credentials) = match outcome {
        Ok(done) => done,
        Err(NotRun::Shed) => return Err(shed_at(shared, deadline).await),
        Err(NotRun::Failed) => return Err(AuthError::Internal("a bcrypt worker failed")),
    };
    let now = tokio::time::Instant::now();
    match verified? {
        Some((minted, kid, matched)) => {
            shared.credential_cache.remember(
                &credentials.client_id,
                credentials.secret.as_bytes(),
                &matched,
                now,
            );
            shared
                .throttle
                .record_success(source, &credentials.client_id, now);
            Ok((minted, kid))
        }
        None => {
            shared
                .throttle
                .record_failure(source, &credentials.client_id, now);
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
