//! A fake JSON API on `127.0.0.1:0`: `GET /v1/parties` (admin HS256 tokens only, as on a
//! real participant), and scripted answers on the command and query endpoints. It records the
//! bearer token and body of every request.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use ledger_types::LedgerJwtClaims;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// A request as the ledger saw it.
#[derive(Debug, Clone)]
pub(crate) struct LedgerCall {
    pub(crate) path: String,
    pub(crate) token: Option<String>,
    pub(crate) body: Value,
}

type Answer = Box<dyn Fn(&LedgerCall) -> (u16, Value) + Send + Sync>;

struct Inner {
    secret: String,
    parties: Mutex<Value>,
    calls: Mutex<Vec<LedgerCall>>,
    answer: Mutex<Answer>,
}

pub(crate) struct FakeLedger {
    pub(crate) url: String,
    inner: Arc<Inner>,
    cancel: CancellationToken,
}

impl FakeLedger {
    /// A ledger verifying HS256 tokens with `secret`, listing `parties`, answering every other
    /// call with an empty success.
    pub(crate) async fn start(secret: &str, parties: Value) -> Self {
        let inner = Arc::new(Inner {
            secret: secret.to_owned(),
            parties: Mutex::new(parties),
            calls: Mutex::new(Vec::new()),
            answer: Mutex::new(Box::new(|_| (200, json!({"status": 200, "result": []})))),
        });
        let router = Router::new()
            .route("/v1/parties", get(list_parties))
            .route("/v1/query", post(command))
            .route("/v1/fetch", post(command))
            .route("/v1/create", post(command))
            .route("/v1/exercise", post(command))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let cancel = CancellationToken::new();
        let shutdown = cancel.clone();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(shutdown.cancelled_owned())
                .await
                .unwrap();
        });
        Self { url, inner, cancel }
    }

    /// Replaces the answer of the command and query endpoints.
    pub(crate) fn answer_with(
        &self,
        answer: impl Fn(&LedgerCall) -> (u16, Value) + Send + Sync + 'static,
    ) {
        *self.inner.answer.lock().unwrap() = Box::new(answer);
    }

    /// Replaces the party listing.
    pub(crate) fn set_parties(&self, parties: Value) {
        *self.inner.parties.lock().unwrap() = parties;
    }

    /// Every call so far.
    pub(crate) fn calls(&self) -> Vec<LedgerCall> {
        self.inner.calls.lock().unwrap().clone()
    }

    /// The calls to one path.
    pub(crate) fn calls_to(&self, path: &str) -> Vec<LedgerCall> {
        self.calls()
            .into_iter()
            .filter(|call| call.path == path)
            .collect()
    }

    /// Verifies an HS256 token with this ledger's secret and returns its claims.
    pub(crate) fn verify(&self, token: &str) -> Result<LedgerJwtClaims, String> {
        verify(&self.inner.secret, token)
    }
}

impl Drop for FakeLedger {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn verify(secret: &str, token: &str) -> Result<LedgerJwtClaims, String> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims.clear();
    validation.validate_aud = false;
    jsonwebtoken::decode::<LedgerJwtClaims>(
        token,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .map(|data| data.claims)
    .map_err(|error| error.to_string())
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::to_owned)
}

fn envelope_error(status: u16, message: &str) -> (StatusCode, axum::Json<Value>) {
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({"status": status, "errors": [message]})),
    )
}

async fn list_parties(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> impl IntoResponse {
    let token = bearer(&headers);
    inner.calls.lock().unwrap().push(LedgerCall {
        path: "/v1/parties".into(),
        token: token.clone(),
        body: Value::Null,
    });
    let Some(token) = token else {
        return envelope_error(
            401,
            "missing Authorization header with OAuth 2.0 Bearer Token",
        );
    };
    match verify(&inner.secret, &token) {
        Ok(claims) if claims.ledger_api.admin => {
            let parties = inner.parties.lock().unwrap().clone();
            (
                StatusCode::OK,
                axum::Json(json!({"status": 200, "result": parties})),
            )
        }
        Ok(_) => envelope_error(401, "An error occurred. Please contact the operator"),
        Err(_) => envelope_error(401, "UNAUTHENTICATED: An error occurred."),
    }
}

async fn command(
    State(inner): State<Arc<Inner>>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> impl IntoResponse {
    let call = LedgerCall {
        path: uri.path().to_owned(),
        token: bearer(&headers),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    inner.calls.lock().unwrap().push(call.clone());
    let (status, body) = (inner.answer.lock().unwrap())(&call);
    (StatusCode::from_u16(status).unwrap(), axum::Json(body))
}
