//! A scripted OAuth2 token endpoint on `127.0.0.1:0`.
//!
//! It is written on raw TCP rather than axum so a script can make it do what a real server
//! under trouble does: answer any status or garbage, reset the connection, or accept a request
//! and never answer. It records every request (with the Basic credentials decoded as RFC 6749
//! §2.3.1 says), every token it issued with its expiry, and how long each hung request was held
//! before the client gave up. Time is tokio's, so it works under a paused clock.
//!
//! This file is self-contained so the `outage` example can include it too.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// What the endpoint does with one request.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// `200 {"access_token": "tok-<n>-<client>", "token_type": "Bearer", "expires_in": …}`.
    Token(serde_json::Value),
    /// Any status with a JSON body and extra headers.
    Json(u16, serde_json::Value, Vec<(String, String)>),
    /// Any status with a raw body and content type.
    Raw(u16, &'static str, Vec<u8>),
    /// Reset the connection (RST) after reading the request.
    Reset,
    /// Read the request and never answer.
    Hang,
}

impl Reply {
    /// A token living `seconds`.
    pub(crate) fn token(seconds: u64) -> Self {
        Self::Token(serde_json::json!(seconds))
    }

    /// RFC 6749 §5.2 `invalid_client`.
    pub(crate) fn invalid_client() -> Self {
        Self::Json(
            401,
            serde_json::json!({"error": "invalid_client", "error_description": "client authentication failed"}),
            vec![("www-authenticate".into(), "Basic".into())],
        )
    }

    /// An empty JSON error with this status.
    pub(crate) fn status(status: u16) -> Self {
        Self::Json(
            status,
            serde_json::json!({"error": "temporarily_unavailable"}),
            Vec::new(),
        )
    }
}

/// One request as the endpoint saw it.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) at: Instant,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) content_type: Option<String>,
    pub(crate) authorization: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret: Option<String>,
    pub(crate) body: String,
}

type Script = Box<dyn FnMut(&Request) -> Reply + Send>;

struct State {
    script: Mutex<Script>,
    requests: Mutex<Vec<Request>>,
    issued: Mutex<HashMap<String, (Instant, Instant)>>,
    hangs: Mutex<Vec<Duration>>,
    counter: AtomicU64,
}

pub(crate) struct FakeAuth {
    pub(crate) base_url: String,
    state: Arc<State>,
    cancel: CancellationToken,
}

impl FakeAuth {
    /// Starts on a fresh port.
    pub(crate) async fn start(script: impl FnMut(&Request) -> Reply + Send + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::start_on(listener, script)
    }

    /// Starts on a given listener.
    pub(crate) fn start_on(
        listener: TcpListener,
        script: impl FnMut(&Request) -> Reply + Send + 'static,
    ) -> Self {
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(State {
            script: Mutex::new(Box::new(script)),
            requests: Mutex::new(Vec::new()),
            issued: Mutex::new(HashMap::new()),
            hangs: Mutex::new(Vec::new()),
            counter: AtomicU64::new(0),
        });
        let cancel = CancellationToken::new();
        let (accept_state, accept_cancel) = (state.clone(), cancel.clone());
        tokio::spawn(async move {
            loop {
                let stream = tokio::select! {
                    () = accept_cancel.cancelled() => return,
                    accepted = listener.accept() => match accepted {
                        Ok((stream, _)) => stream,
                        Err(_) => continue,
                    },
                };
                let (state, cancel) = (accept_state.clone(), accept_cancel.clone());
                tokio::spawn(async move {
                    tokio::select! {
                        () = cancel.cancelled() => {}
                        () = serve(stream, state) => {}
                    }
                });
            }
        });
        Self {
            base_url,
            state,
            cancel,
        }
    }

    /// The token endpoint URL.
    pub(crate) fn token_url(&self) -> String {
        format!("{}/auth/oauth/token", self.base_url)
    }

    /// Replaces the script.
    pub(crate) fn set_script(&self, script: impl FnMut(&Request) -> Reply + Send + 'static) {
        *self.state.script.lock().unwrap() = Box::new(script);
    }

    /// Every request so far.
    pub(crate) fn requests(&self) -> Vec<Request> {
        self.state.requests.lock().unwrap().clone()
    }

    /// When the token was issued and when it expires, if this endpoint issued it.
    pub(crate) fn issued(&self, token: &str) -> Option<(Instant, Instant)> {
        self.state.issued.lock().unwrap().get(token).copied()
    }

    /// How long each hung request was held before the client closed the connection.
    pub(crate) fn hang_durations(&self) -> Vec<Duration> {
        self.state.hangs.lock().unwrap().clone()
    }

    /// Stops accepting and drops every open connection.
    pub(crate) fn stop(&self) {
        self.cancel.cancel();
    }
}

impl Drop for FakeAuth {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

async fn serve(mut stream: TcpStream, state: Arc<State>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    state.requests.lock().unwrap().push(request.clone());
    let reply = (state.script.lock().unwrap())(&request);
    let (status, content_type, body, headers) = match reply {
        Reply::Token(expires_in) => {
            let n = state.counter.fetch_add(1, Ordering::Relaxed) + 1;
            let client = request.client_id.clone().unwrap_or_default();
            let token = format!("tok-{n}-{client}");
            if let Some(seconds) = expires_in.as_u64() {
                let now = Instant::now();
                state
                    .issued
                    .lock()
                    .unwrap()
                    .insert(token.clone(), (now, now + Duration::from_secs(seconds)));
            }
            let body = serde_json::json!({
                "access_token": token, "token_type": "Bearer", "expires_in": expires_in
            });
            (
                200,
                "application/json",
                body.to_string().into_bytes(),
                Vec::new(),
            )
        }
        Reply::Json(status, body, headers) => (
            status,
            "application/json",
            body.to_string().into_bytes(),
            headers,
        ),
        Reply::Raw(status, content_type, body) => (status, content_type, body, Vec::new()),
        Reply::Reset => {
            let _ = stream.set_zero_linger();
            return;
        }
        Reply::Hang => {
            // Hold the connection until the client gives up and closes it.
            let mut sink = [0u8; 256];
            while let Ok(read) = stream.read(&mut sink).await {
                if read == 0 {
                    break;
                }
            }
            state.hangs.lock().unwrap().push(request.at.elapsed());
            return;
        }
    };
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(&body).await;
    let _ = stream.shutdown().await;
}

async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (method, path) = (
        request_line.next()?.to_owned(),
        request_line.next()?.to_owned(),
    );
    let headers: HashMap<String, String> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|length| length.parse().ok())
        .unwrap_or(0);
    while buffer.len() < header_end + length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let body = String::from_utf8_lossy(&buffer[header_end..header_end + length]).into_owned();
    let authorization = headers.get("authorization").cloned();
    let (client_id, client_secret) = authorization
        .as_deref()
        .and_then(decode_basic)
        .map_or((None, None), |(id, secret)| (Some(id), Some(secret)));
    Some(Request {
        at: Instant::now(),
        method,
        path,
        content_type: headers.get("content-type").cloned(),
        authorization,
        client_id,
        client_secret,
        body,
    })
}

/// RFC 6749 §2.3.1: base64, then split at the first `:`, then form-url-decode each half.
fn decode_basic(header: &str) -> Option<(String, String)> {
    let encoded = header.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let form_decode = |text: &str| {
        form_urlencoded::parse(format!("v={text}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default()
    };
    Some((form_decode(id), form_decode(secret)))
}
