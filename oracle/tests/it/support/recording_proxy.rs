//! A pass-through proxy in front of the ledger that records when each request arrived, so a
//! test can see which replica reached the ledger when (one proxy per replica).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// One request that reached the proxy.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    /// When it arrived.
    pub(crate) at: Instant,
    /// Its path, e.g. `/v1/query`.
    pub(crate) path: String,
}

impl Seen {
    /// Whether this is cron work (queries and commands), not a token's party lookup.
    pub(crate) fn is_work(&self) -> bool {
        ["/v1/query", "/v1/exercise", "/v1/create", "/v1/fetch"]
            .iter()
            .any(|path| self.path.starts_with(path))
    }
}

struct Inner {
    upstream: String,
    http: reqwest::Client,
    seen: Mutex<Vec<Seen>>,
}

/// The proxy; it stops with the runtime that started it.
pub(crate) struct RecordingProxy {
    /// Its base URL.
    pub(crate) url: String,
    inner: Arc<Inner>,
}

impl RecordingProxy {
    /// A proxy on 127.0.0.1:0 forwarding to `upstream`.
    pub(crate) async fn start(upstream: &str) -> Self {
        let inner = Arc::new(Inner {
            upstream: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            seen: Mutex::new(Vec::new()),
        });
        let router = Router::new().fallback(forward).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { url, inner }
    }

    /// Every request so far, in arrival order.
    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.inner.seen.lock().unwrap().clone()
    }
}

async fn forward(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    inner.seen.lock().unwrap().push(Seen {
        at: Instant::now(),
        path: uri.path().to_owned(),
    });
    let target = format!(
        "{}{}",
        inner.upstream,
        uri.path_and_query().map_or("/", |path| path.as_str())
    );
    let mut request = inner.http.request(method, target).body(body);
    for name in [header::AUTHORIZATION, header::CONTENT_TYPE] {
        if let Some(value) = headers.get(&name) {
            request = request.header(name, value);
        }
    }
    match request.send().await {
        Ok(answer) => {
            let status = answer.status();
            let kind = answer.headers().get(header::CONTENT_TYPE).cloned();
            let body = answer.bytes().await.unwrap_or_default();
            let mut response = (status, body).into_response();
            if let Some(kind) = kind {
                response.headers_mut().insert(header::CONTENT_TYPE, kind);
            }
            response
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

/// Merges what several proxies saw (labelled by index) and counts the changes of replica
/// along the arrival order, over cron work only. With one replica acting at a time, this is
/// the number of handovers; a replica acting while another does adds changes.
pub(crate) fn replica_changes(proxies: &[&RecordingProxy]) -> usize {
    let mut merged: Vec<(Instant, usize)> = proxies
        .iter()
        .enumerate()
        .flat_map(|(index, proxy)| {
            proxy
                .seen()
                .into_iter()
                .filter(Seen::is_work)
                .map(move |seen| (seen.at, index))
        })
        .collect();
    merged.sort();
    merged
        .windows(2)
        .filter(|pair| pair[0].1 != pair[1].1)
        .count()
}
