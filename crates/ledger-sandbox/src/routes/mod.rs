//! The HTTP surface: the JSON API v1 subset, health endpoints, JSON 404/405 fallbacks, body
//! limits, a request timeout, and one log line per rejected request.
//!
//! - `parties.rs`: `GET`/`POST /v1/parties`, `POST /v1/parties/allocate`.
//! - `commands.rs`: `POST /v1/create`, `POST /v1/exercise`.
//! - `queries.rs`: `GET`/`POST /v1/query`, `POST /v1/fetch`.

mod commands;
mod parties;
mod queries;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::header::{CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use service_runtime::clock::Clock;
use tower_http::timeout::TimeoutLayer;

use crate::auth::Authenticator;
use crate::envelope::{ApiError, RejectionLog};
use crate::store::LedgerState;
use crate::template::TemplateDef;
use crate::template_id::TemplateRef;

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct AppState {
    pub(crate) authenticator: Authenticator,
    pub(crate) ledger: Arc<Mutex<LedgerState>>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) namespace_fingerprint: String,
    pub(crate) max_body_bytes: usize,
}

impl AppState {
    /// The ledger, locked for one command or query.
    pub(crate) fn ledger(&self) -> MutexGuard<'_, LedgerState> {
        lock_ledger(&self.ledger)
    }
}

/// Locks the ledger. A commit never leaves the state half-written (it only inserts and removes
/// whole contracts), so a lock poisoned by a panic elsewhere is still consistent.
pub(crate) fn lock_ledger(ledger: &Mutex<LedgerState>) -> MutexGuard<'_, LedgerState> {
    ledger
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Builds the router.
pub(crate) fn router(state: Arc<AppState>, request_timeout: std::time::Duration) -> Router {
    let max_body_bytes = state.max_body_bytes;
    Router::new()
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
        .route(
            "/v1/parties",
            get(parties::list_parties).post(parties::lookup_parties),
        )
        .route("/v1/parties/allocate", post(parties::allocate_party))
        .route("/v1/create", post(commands::create))
        .route("/v1/exercise", post(commands::exercise))
        .route("/v1/query", get(queries::query_all).post(queries::query))
        .route("/v1/fetch", post(queries::fetch))
        .fallback(unknown_path)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(log_rejections))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .layer(middleware::map_response(envelope_timeouts))
        .with_state(state)
}

/// `GET /livez`: 200 with an empty body, as the real JSON API.
async fn livez() -> StatusCode {
    StatusCode::OK
}

/// `GET /readyz`: the real JSON API's plain-text report.
async fn readyz() -> Response {
    (
        [(CONTENT_TYPE, "text/plain; charset=UTF-8")],
        "[+] ledger ok (SERVING)\nreadyz check passed\n",
    )
        .into_response()
}

async fn unknown_path(method: Method, uri: Uri, headers: HeaderMap) -> ApiError {
    let host = headers
        .get(HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or("localhost");
    ApiError::unknown_path(method.as_str(), &format!("http://{host}{uri}"))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::method_not_allowed(method.as_str(), uri.path())
}

/// Logs each rejection once, where the response leaves, with its stable reason. Client
/// mistakes are `info`; the sandbox's own failures are `error`.
async fn log_rejections(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if let Some(rejection) = response.extensions().get::<RejectionLog>() {
        let status = response.status().as_u16();
        let event = if matches!(path.as_str(), "/v1/create" | "/v1/exercise") {
            "command_rejected"
        } else {
            "request_rejected"
        };
        if response.status().is_server_error() {
            tracing::error!(event, %method, path, status, reason = rejection.reason,
                detail = %rejection.message, "request failed");
        } else {
            tracing::info!(event, %method, path, status, reason = rejection.reason,
                detail = %rejection.message, "request rejected");
        }
    }
    response
}

/// The timeout layer answers with an empty body; give it the JSON envelope like every other
/// error.
async fn envelope_timeouts(response: Response) -> Response {
    if response.status() == StatusCode::REQUEST_TIMEOUT {
        tracing::warn!(
            event = "request_timed_out",
            "request exceeded the request timeout"
        );
        return ApiError::request_timeout().into_response();
    }
    response
}

/// Resolves a template id from a request, or says why not.
pub(crate) fn resolve_template(text: &str) -> Result<&'static TemplateDef, ApiError> {
    let parsed = TemplateRef::parse(text).map_err(ApiError::bad_request)?;
    crate::world::resolve(&parsed).ok_or_else(|| {
        ApiError::bad_request(format!("Cannot resolve template ID, given: {parsed}"))
    })
}
