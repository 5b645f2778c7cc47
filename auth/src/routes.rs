//! The read-only routes: JWKS, RFC 8414 metadata, health and metrics. Their bodies are
//! rendered once (the JWKS again on a key reload), so serving them costs a clone of `Bytes`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use shared_config::Config;

use crate::state::ServiceState;

/// `GET /.well-known/jwks.json`: every published key (RFC 7517 §5). Cacheable for
/// `AuthOptions::jwks_max_age` (five minutes): a staged rotation publishes the new key that
/// long (and a margin) before signing with it, and retiring happens well after.
pub(crate) async fn jwks(State(shared): State<Arc<ServiceState>>) -> Response {
    let body = shared
        .keys
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .jwks_json();
    json_response(body, shared.jwks_cache_control.clone())
}

/// `GET /.well-known/oauth-authorization-server` and `/.well-known/openid-configuration`.
pub(crate) async fn metadata(State(shared): State<Arc<ServiceState>>) -> Response {
    json_response(
        shared.metadata_json.clone(),
        HeaderValue::from_static("public, max-age=300"),
    )
}

/// `GET /auth/health`.
pub(crate) async fn health(State(shared): State<Arc<ServiceState>>) -> Response {
    json_response(
        shared.health_json.clone(),
        HeaderValue::from_static("no-store"),
    )
}

/// `GET /metrics`: Prometheus text exposition format 0.0.4.
pub(crate) async fn metrics(State(shared): State<Arc<ServiceState>>) -> Response {
    let mut response = shared.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

fn json_response(body: Bytes, cache_control: HeaderValue) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, cache_control);
    response
}

/// RFC 8414 §2 metadata. `response_types_supported` is required there and empty here: this
/// server has no authorization endpoint, only the token endpoint's client-credentials grant.
pub(crate) fn metadata_document(config: &Config, issuer: &str) -> Bytes {
    let base = config
        .platform
        .auth_public_url
        .as_str()
        .trim_end_matches('/');
    let document = serde_json::json!({
        "issuer": issuer,
        "token_endpoint": config.platform.token_endpoint(),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "response_types_supported": [],
    });
    Bytes::from(document.to_string())
}

/// `{"status":"ok","provider":…}`.
pub(crate) fn health_document(config: &Config) -> Bytes {
    let document =
        serde_json::json!({ "status": "ok", "provider": config.auth.provider().as_str() });
    Bytes::from(document.to_string())
}
