//! A pass-through proxy in front of the sandbox that can act on a contract just before a job's
//! exercise reaches it, the way another cron or another oracle replica would, so the job's
//! contract id has rotated by the time its command arrives.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use oracle::BearerToken;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// Builds the interfering exercise from the job's intercepted one and how many came before.
type Exercise = Box<dyn Fn(&Value, usize) -> Value + Send + Sync>;

/// What to do to the contract before forwarding the job's exercise of `choice`.
pub(crate) struct Interference {
    pub(crate) choice: &'static str,
    pub(crate) times: usize,
    pub(crate) token: BearerToken,
    pub(crate) exercise: Exercise,
}

struct Inner {
    upstream: String,
    http: reqwest::Client,
    interference: Mutex<Option<(Interference, usize)>>,
    /// The status and body of each interfering exercise.
    done: Mutex<Vec<(u16, String)>>,
}

pub(crate) struct Proxy {
    pub(crate) url: String,
    inner: Arc<Inner>,
    cancel: CancellationToken,
}

impl Proxy {
    pub(crate) async fn start(upstream: &str, interference: Interference) -> Self {
        let inner = Arc::new(Inner {
            upstream: upstream.to_owned(),
            http: reqwest::Client::new(),
            interference: Mutex::new(Some((interference, 0))),
            done: Mutex::new(Vec::new()),
        });
        let router = Router::new().fallback(forward).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let cancel = CancellationToken::new();
        let stop = cancel.clone();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
                .unwrap();
        });
        Self { url, inner, cancel }
    }

    /// The interfering exercises so far: (status, body).
    pub(crate) fn interferences(&self) -> Vec<(u16, String)> {
        self.inner.done.lock().unwrap().clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

async fn forward(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method == Method::POST && uri.path() == "/v1/exercise" {
        let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let planned = {
            let mut guard = inner.interference.lock().unwrap();
            match guard.as_mut() {
                Some((interference, count))
                    if request["choice"] == interference.choice && *count < interference.times =>
                {
                    *count += 1;
                    Some((
                        (interference.exercise)(&request, *count - 1),
                        interference.token.clone(),
                    ))
                }
                _ => None,
            }
        };
        if let Some((exercise, token)) = planned {
            let response = inner
                .http
                .post(format!("{}/v1/exercise", inner.upstream))
                .bearer_auth(token.expose())
                .json(&exercise)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            inner.done.lock().unwrap().push((status, text));
        }
    }
    let path = uri.path_and_query().map_or("/", |path| path.as_str());
    let mut request = inner
        .http
        .request(method, format!("{}{path}", inner.upstream))
        .body(body);
    for name in [header::AUTHORIZATION, header::CONTENT_TYPE] {
        if let Some(value) = headers.get(&name) {
            request = request.header(name, value);
        }
    }
    match request.send().await {
        Ok(response) => {
            let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
            let body = response.bytes().await.unwrap_or_default();
            (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Err(error) => (StatusCode::BAD_GATEWAY, error.to_string()).into_response(),
    }
}
