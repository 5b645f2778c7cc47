//! A scripted OAuth2 token endpoint on `127.0.0.1:0`.
//!
//! It is written on raw TCP rather than axum so a script can make it do what a real server
//! under trouble does: answer any status or garbage, answer late, cut a body off halfway, reset
//! the connection, accept a request and never answer, or close its port altogether (as a
//! crashed process does) and reopen it later. It records every request (with the Basic
//! credentials decoded as RFC 6749 §2.3.1 says), every token it issued with its expiry, and how
//! long each hung request was held before the client gave up. Time is tokio's, so it works under
//! a paused clock.
//!
//! This file is self-contained so the `faults` example can include it too.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use service_runtime::clock::{Clock, SystemClock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
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
    /// `200` with headers announcing the whole JSON body, then only its first half and a close.
    CutOff(Vec<u8>),
    /// A token that is a JWT whose own `exp` is this many seconds after its `iat` (whole
    /// seconds, so `exp` falls up to a second earlier than now + this; the endpoint records
    /// the token as expiring at `exp`), answered with this `expires_in`.
    Jwt(u64, serde_json::Value),
    /// A JWT stamped the way real issuers stamp one: `iat` is the endpoint clock's time in whole
    /// seconds (rounded down) and `exp = iat + expires_in - short_by`, answered with
    /// `expires_in`. The endpoint records it as expiring at that `exp`, which is up to
    /// `short_by + 1` seconds earlier than receipt + `expires_in`.
    WholeSecondJwt { expires_in: u64, short_by: u64 },
    /// Wait, then do as the inner reply says.
    Delayed(Duration, Box<Reply>),
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
    /// The wall clock `iat`/`exp` are stamped from.
    clock: Mutex<Arc<dyn Clock>>,
}

pub(crate) struct FakeAuth {
    pub(crate) base_url: String,
    address: SocketAddr,
    state: Arc<State>,
    cancel: CancellationToken,
    /// The accept loop while the port is open: its own cancellation (a child of `cancel`, also
    /// ending the connections it accepted) and its task.
    serving: Mutex<Option<(CancellationToken, JoinHandle<()>)>>,
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
        let address = listener.local_addr().unwrap();
        let state = Arc::new(State {
            script: Mutex::new(Box::new(script)),
            requests: Mutex::new(Vec::new()),
            issued: Mutex::new(HashMap::new()),
            hangs: Mutex::new(Vec::new()),
            counter: AtomicU64::new(0),
            clock: Mutex::new(Arc::new(SystemClock)),
        });
        let cancel = CancellationToken::new();
        let serving = accept_loop(listener, state.clone(), cancel.child_token());
        Self {
            base_url: format!("http://{address}"),
            address,
            state,
            cancel,
            serving: Mutex::new(Some(serving)),
        }
    }

    /// Closes the port and drops every open connection, as a crashed process would: new
    /// connections are refused until [`Self::reopen`].
    pub(crate) async fn close(&self) {
        let serving = self.serving.lock().unwrap().take();
        if let Some((cancel, task)) = serving {
            cancel.cancel();
            let _ = task.await;
        }
    }

    /// Listens again on the same port, with the same script and records.
    pub(crate) async fn reopen(&self) {
        // mio sets SO_REUSEADDR, so the connections left in TIME_WAIT do not block the port.
        let listener = TcpListener::bind(self.address).await.unwrap();
        let serving = accept_loop(listener, self.state.clone(), self.cancel.child_token());
        *self.serving.lock().unwrap() = Some(serving);
    }

    /// The token endpoint URL.
    pub(crate) fn token_url(&self) -> String {
        format!("{}/auth/oauth/token", self.base_url)
    }

    /// Stamps JWTs from `clock` from now on (the system clock until then); under a paused
    /// clock, a `TokioClock` shared with the oracle's token handles.
    pub(crate) fn set_clock(&self, clock: Arc<dyn Clock>) {
        *self.state.clock.lock().unwrap() = clock;
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

    /// How long each token issued lives from its issue, by the expiry recorded for it.
    pub(crate) fn issued_lifetimes(&self) -> Vec<Duration> {
        let issued = self.state.issued.lock().unwrap();
        issued
            .values()
            .map(|(at, expires)| *expires - *at)
            .collect()
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

/// Accepts connections on `listener` until `cancel`, serving each until `cancel` too.
fn accept_loop(
    listener: TcpListener,
    state: Arc<State>,
    cancel: CancellationToken,
) -> (CancellationToken, JoinHandle<()>) {
    let accept_cancel = cancel.clone();
    let task = tokio::spawn(async move {
        loop {
            let stream = tokio::select! {
                () = accept_cancel.cancelled() => return,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => continue,
                },
            };
            let (state, cancel) = (state.clone(), accept_cancel.clone());
            tokio::spawn(async move {
                tokio::select! {
                    () = cancel.cancelled() => {}
                    () = serve(stream, state) => {}
                }
            });
        }
    });
    (cancel, task)
}

/// A fresh token name, `tok-<n>-<client>`.
fn next_token(state: &State, client: &str) -> String {
    let n = state.counter.fetch_add(1, Ordering::Relaxed) + 1;
    format!("tok-{n}-{client}")
}

/// Records a token as issued now and living `seconds`.
fn record_issued(state: &State, token: &str, seconds: u64) {
    record_expiring(state, token, Duration::from_secs(seconds));
}

/// Records a token as issued now and living `lives`.
fn record_expiring(state: &State, token: &str, lives: Duration) {
    let now = Instant::now();
    state
        .issued
        .lock()
        .unwrap()
        .insert(token.to_owned(), (now, now + lives));
}

/// An unsigned JWT carrying `iat` (the endpoint's clock, whole seconds) and `exp = iat +
/// lives`; its last segment is the issued token's name, so it still ends with `-<client>`.
/// Returns the token and how long after now its `exp` falls.
fn jwt(state: &State, name: &str, lives: u64) -> (String, Duration) {
    let now = state.clock.lock().unwrap().now();
    let iat = now.timestamp();
    let exp = iat + lives as i64;
    let segment = |value: serde_json::Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let token = format!(
        "{}.{}.{name}",
        segment(serde_json::json!({"alg": "none", "typ": "JWT"})),
        segment(serde_json::json!({"iat": iat, "exp": exp}))
    );
    let until_exp = u64::try_from(exp * 1000 - now.timestamp_millis()).unwrap_or(0);
    (token, Duration::from_millis(until_exp))
}

fn token_body(token: &str, expires_in: &serde_json::Value) -> Vec<u8> {
    serde_json::json!({"access_token": token, "token_type": "Bearer", "expires_in": expires_in})
        .to_string()
        .into_bytes()
}

async fn serve(mut stream: TcpStream, state: Arc<State>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    state.requests.lock().unwrap().push(request.clone());
    let mut reply = (state.script.lock().unwrap())(&request);
    while let Reply::Delayed(delay, inner) = reply {
        tokio::time::sleep(delay).await;
        reply = *inner;
    }
    let client = request.client_id.clone().unwrap_or_default();
    let mut cut_off = false;
    let (status, content_type, body, headers) = match reply {
        Reply::Token(expires_in) => {
            let token = next_token(&state, &client);
            // A zero or negative lifetime is recorded as expired on issue, or not at all.
            if let Some(seconds) = expires_in.as_u64() {
                record_issued(&state, &token, seconds);
            }
            (
                200,
                "application/json",
                token_body(&token, &expires_in),
                Vec::new(),
            )
        }
        Reply::Jwt(lives, expires_in) => {
            // Recorded as expiring at its `exp`, as a ledger reads it.
            let (token, until_exp) = jwt(&state, &next_token(&state, &client), lives);
            record_expiring(&state, &token, until_exp);
            (
                200,
                "application/json",
                token_body(&token, &expires_in),
                Vec::new(),
            )
        }
        Reply::WholeSecondJwt {
            expires_in,
            short_by,
        } => {
            let lives = expires_in.saturating_sub(short_by);
            let (token, until_exp) = jwt(&state, &next_token(&state, &client), lives);
            record_expiring(&state, &token, until_exp);
            (
                200,
                "application/json",
                token_body(&token, &serde_json::json!(expires_in)),
                Vec::new(),
            )
        }
        Reply::CutOff(body) => {
            cut_off = true;
            (200, "application/json", body, Vec::new())
        }
        Reply::Delayed(..) => unreachable!("delays are unwrapped above"),
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
    let sent = if cut_off {
        &body[..body.len() / 2]
    } else {
        &body[..]
    };
    let _ = stream.write_all(sent).await;
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
