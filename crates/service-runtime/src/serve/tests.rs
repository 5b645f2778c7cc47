//! The serving loop on real sockets on 127.0.0.1, with short limits. Timings are only bounded
//! from above (`WITHIN`), generously: a test fails when the server hangs on to a connection,
//! never because a machine is slow.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::ConnectInfo;
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::*;

/// Upper bound for anything that must happen "soon".
const WITHIN: Duration = Duration::from_secs(10);
const LONG: Duration = Duration::from_secs(300);

/// A server on 127.0.0.1:0, its address, the trigger of its shutdown and its task.
struct Running {
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Running {
    async fn start(limits: ServeLimits) -> Self {
        Self::start_with(limits, Arc::default()).await
    }

    /// `/slow` tells `gates.started` it runs and answers once `gates.release` is notified;
    /// `/never` never answers.
    async fn start_with(limits: ServeLimits, gates: Arc<Gates>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let router = Router::new()
            .route("/", get(|| async { "ok" }))
            .route(
                "/peer",
                get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
            )
            .route(
                "/slow",
                get(move || async move {
                    gates.started.notify_one();
                    gates.release.notified().await;
                    "finished"
                }),
            )
            .route("/never", get(std::future::pending::<&'static str>));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, router, limits, async {
            let _ = stopped.await;
        }));
        Self {
            address,
            stop: Some(stop),
            task,
        }
    }

    async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.address).await.unwrap()
    }

    /// Triggers shutdown and waits for `serve` to return.
    async fn shut_down(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(WITHIN, self.task)
            .await
            .expect("serve returns")
            .unwrap();
    }
}

/// What `/slow` waits on and reports to.
#[derive(Default)]
struct Gates {
    started: tokio::sync::Notify,
    release: tokio::sync::Notify,
}

fn limits() -> ServeLimits {
    ServeLimits {
        header_read_timeout: LONG,
        idle_timeout: LONG,
        max_connections: NonZeroUsize::new(64).unwrap(),
        shutdown_deadline: LONG,
    }
}

/// Sends a GET on `stream` and reads one response; its status line and body.
async fn get_on(stream: &mut TcpStream, path: &str) -> std::io::Result<(String, String)> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    read_response(stream).await
}

async fn read_response(stream: &mut TcpStream) -> std::io::Result<(String, String)> {
    let mut received = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let text = String::from_utf8_lossy(&received).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = &text[..end];
            let length: usize = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if received.len() >= end + 4 + length {
                let status = head.lines().next().unwrap_or_default().to_owned();
                return Ok((status, text[end + 4..end + 4 + length].to_owned()));
            }
        }
        let read = tokio::time::timeout(WITHIN, stream.read(&mut chunk))
            .await
            .expect("a response")?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        received.extend_from_slice(&chunk[..read]);
    }
}

/// Completes when the server has closed `stream` (EOF or reset), failing the test if that
/// takes longer than [`WITHIN`]. Bytes the server might send first are ignored.
async fn closed_by_server(stream: &mut TcpStream) {
    let mut chunk = [0u8; 1024];
    tokio::time::timeout(WITHIN, async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .expect("the server closes the connection");
}

/// True when the server holds `stream` open for `wait` (nothing arrives, no EOF).
async fn held_open(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut chunk = [0u8; 1];
    tokio::time::timeout(wait, stream.read(&mut chunk))
        .await
        .is_err()
}

#[tokio::test]
async fn handlers_see_the_peer_address() {
    let server = Running::start(limits()).await;
    let mut stream = server.connect().await;
    let (status, body) = get_on(&mut stream, "/peer").await.unwrap();
    assert!(status.contains("200"), "{status}");
    assert_eq!(body, stream.local_addr().unwrap().to_string());
    server.shut_down().await;
}

#[tokio::test]
async fn a_socket_that_sends_nothing_or_half_a_head_is_closed_after_the_header_timeout() {
    let server = Running::start(ServeLimits {
        header_read_timeout: Duration::from_millis(200),
        ..limits()
    })
    .await;
    let mut silent = server.connect().await;
    let mut half_sent = server.connect().await;
    half_sent
        .write_all(b"POST / HTTP/1.1\r\nHost: test\r\nContent-Le")
        .await
        .unwrap();
    closed_by_server(&mut silent).await;
    closed_by_server(&mut half_sent).await;
    server.shut_down().await;
}

#[tokio::test]
async fn a_head_trickled_byte_by_byte_is_closed_after_the_header_timeout() {
    let server = Running::start(ServeLimits {
        header_read_timeout: Duration::from_millis(300),
        ..limits()
    })
    .await;
    let stream = server.connect().await;
    let (mut reader, mut writer) = stream.into_split();
    writer
        .write_all(b"GET / HTTP/1.1\r\nHost: test\r\n")
        .await
        .unwrap();
    // Keep sending header lines (progress, never the end of the head) until the server cuts.
    let trickle = tokio::spawn(async move {
        while writer.write_all(b"X-Slow: a\r\n").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let mut chunk = [0u8; 64];
    let closed = tokio::time::timeout(WITHIN, async {
        loop {
            match reader.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    trickle.abort();
    assert!(closed.is_ok(), "a half-sent head is closed");
    server.shut_down().await;
}

#[tokio::test]
async fn timeouts_too_long_to_add_to_an_instant_mean_a_day_not_a_panic() {
    let server = Running::start(ServeLimits {
        header_read_timeout: Duration::MAX,
        idle_timeout: Duration::MAX,
        shutdown_deadline: Duration::MAX,
        ..limits()
    })
    .await;
    let mut stream = server.connect().await;
    let (status, _) = get_on(&mut stream, "/").await.unwrap();
    assert!(status.contains("200"), "{status}");
    assert!(held_open(&mut stream, Duration::from_millis(100)).await);
    server.shut_down().await;
}

#[tokio::test]
async fn a_head_over_the_limit_is_answered_431_and_closed() {
    let server = Running::start(limits()).await;
    let mut stream = server.connect().await;
    let mut head = b"GET / HTTP/1.1\r\nHost: test\r\n".to_vec();
    while head.len() <= MAX_HEAD_BYTES {
        head.extend_from_slice(b"X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    // The server may answer and close before it has read everything.
    let _ = stream.write_all(&head).await;
    let (status, _) = read_response(&mut stream).await.unwrap();
    assert!(status.contains("431"), "{status}");
    closed_by_server(&mut stream).await;
    // A head just under the limit is served.
    let mut stream = server.connect().await;
    let mut head = b"GET / HTTP/1.1\r\nHost: test\r\n".to_vec();
    head.extend_from_slice(b"X-Padding: ");
    head.resize(MAX_HEAD_BYTES - 4, b'a');
    head.extend_from_slice(b"\r\n\r\n");
    stream.write_all(&head).await.unwrap();
    let (status, _) = read_response(&mut stream).await.unwrap();
    assert!(status.contains("200"), "{status}");
    server.shut_down().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    // The header timeout is long: only the idle timeout can close this connection.
    let server = Running::start(ServeLimits {
        idle_timeout: Duration::from_millis(300),
        ..limits()
    })
    .await;
    let mut stream = server.connect().await;
    let (status, _) = get_on(&mut stream, "/").await.unwrap();
    assert!(status.contains("200"));
    let (status, _) = get_on(&mut stream, "/").await.unwrap();
    assert!(status.contains("200"), "kept alive between requests");
    closed_by_server(&mut stream).await;
    server.shut_down().await;
}

#[tokio::test]
async fn a_keep_alive_connection_gets_the_idle_timeout_not_the_header_timeout() {
    // hyper's own timer would close an idle keep-alive connection after the header timeout.
    let server = Running::start(ServeLimits {
        header_read_timeout: Duration::from_millis(100),
        idle_timeout: LONG,
        ..limits()
    })
    .await;
    let mut stream = server.connect().await;
    get_on(&mut stream, "/").await.unwrap();
    assert!(held_open(&mut stream, Duration::from_millis(600)).await);
    let (status, _) = get_on(&mut stream, "/").await.unwrap();
    assert!(status.contains("200"));
    server.shut_down().await;
}

#[tokio::test]
async fn past_the_cap_connections_are_refused_and_admitted_again_once_one_closes() {
    let captured = Captured::default();
    let _logs = captured.install();
    let server = Running::start(ServeLimits {
        max_connections: NonZeroUsize::new(2).unwrap(),
        ..limits()
    })
    .await;
    let mut first = server.connect().await;
    let mut second = server.connect().await;
    // Both admitted: each has been served.
    get_on(&mut first, "/").await.unwrap();
    get_on(&mut second, "/").await.unwrap();
    let mut refused = server.connect().await;
    closed_by_server(&mut refused).await;
    let mut also_refused = server.connect().await;
    closed_by_server(&mut also_refused).await;
    let (status, _) = get_on(&mut first, "/").await.unwrap();
    assert!(
        status.contains("200"),
        "an admitted connection is still served"
    );
    drop(second);
    // The server notices the close, and the place is free again.
    let admitted = tokio::time::timeout(WITHIN, async {
        loop {
            let mut next = server.connect().await;
            if get_on(&mut next, "/").await.is_ok() {
                return next;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        admitted.is_ok(),
        "a connection is admitted after one closed"
    );
    server.shut_down().await;
    let refusals: u64 = captured
        .lines()
        .iter()
        .filter(|line| line["event"] == "connections_refused")
        .map(|line| {
            assert_eq!(line["maxConnections"], 2);
            line["refused"].as_u64().unwrap()
        })
        .sum();
    assert!(refusals >= 2, "every refusal is counted: {refusals}");
}

#[tokio::test]
async fn shutdown_closes_half_sent_requests_at_once_and_lets_a_request_in_flight_finish() {
    let gates = Arc::new(Gates::default());
    let server = Running::start_with(limits(), Arc::clone(&gates)).await;
    let mut half_sent = Vec::new();
    for _ in 0..5 {
        let mut stream = server.connect().await;
        stream
            .write_all(b"POST / HTTP/1.1\r\nHost: te")
            .await
            .unwrap();
        half_sent.push(stream);
    }
    let mut silent = server.connect().await;
    let mut in_flight = server.connect().await;
    in_flight
        .write_all(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    tokio::time::timeout(WITHIN, gates.started.notified())
        .await
        .expect("the handler runs");
    let Running {
        address,
        mut stop,
        task,
    } = server;
    stop.take().unwrap().send(()).unwrap();
    for stream in &mut half_sent {
        closed_by_server(stream).await;
    }
    closed_by_server(&mut silent).await;
    assert!(!task.is_finished(), "the request in flight holds shutdown");
    gates.release.notify_one();
    let (status, body) = read_response(&mut in_flight).await.unwrap();
    assert!(status.contains("200"), "{status}");
    assert_eq!(body, "finished");
    closed_by_server(&mut in_flight).await;
    tokio::time::timeout(WITHIN, task).await.unwrap().unwrap();
    assert!(
        TcpStream::connect(address).await.is_err(),
        "nothing listens after shutdown"
    );
}

#[tokio::test]
async fn a_large_response_still_being_sent_at_shutdown_is_delivered_whole() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    // Larger than the socket buffers: hyper holds most of it when shutdown starts.
    let size = 32 << 20;
    let big = axum::body::Bytes::from(vec![b'x'; size]);
    let router = Router::new().route("/big", get(move || async move { big.clone() }));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, router, limits(), async {
        let _ = stopped.await;
    }));
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /big HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 1];
    stream.read_exact(&mut first).await.unwrap();
    stop.send(()).unwrap();
    let mut received = vec![first[0]];
    tokio::time::timeout(WITHIN, stream.read_to_end(&mut received))
        .await
        .expect("the response ends")
        .unwrap();
    let text = String::from_utf8_lossy(&received[..256]).into_owned();
    let head = text.find("\r\n\r\n").unwrap() + 4;
    assert_eq!(received.len() - head, size, "the whole body arrived");
    tokio::time::timeout(WITHIN, task).await.unwrap().unwrap();
}

#[tokio::test]
async fn shutdown_returns_at_the_deadline_whatever_requests_are_in_flight() {
    let captured = Captured::default();
    let _logs = captured.install();
    let server = Running::start(ServeLimits {
        shutdown_deadline: Duration::from_millis(500),
        ..limits()
    })
    .await;
    let mut stuck = Vec::new();
    for _ in 0..3 {
        let mut stream = server.connect().await;
        stream
            .write_all(b"GET /never HTTP/1.1\r\nHost: test\r\n\r\n")
            .await
            .unwrap();
        stuck.push(stream);
    }
    let mut half_sent = server.connect().await;
    half_sent.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.shut_down().await;
    for stream in &mut stuck {
        closed_by_server(stream).await;
    }
    closed_by_server(&mut half_sent).await;
    let passed: Vec<_> = captured
        .lines()
        .into_iter()
        .filter(|line| line["event"] == "shutdown_deadline_passed")
        .collect();
    assert_eq!(passed.len(), 1, "{passed:?}");
    assert_eq!(passed[0]["level"], "WARN");
    assert_eq!(passed[0]["connections"], 3, "the three stuck requests");
    assert_eq!(passed[0]["deadlineMs"], 500);
}

#[tokio::test]
async fn a_response_the_client_never_reads_is_cut_after_the_idle_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    // Larger than any socket buffers, so the server must wait for the client to read.
    let big = axum::body::Bytes::from(vec![b'x'; 64 << 20]);
    let router = Router::new().route("/big", get(move || async move { big.clone() }));
    let task = tokio::spawn(serve(
        listener,
        router,
        ServeLimits {
            idle_timeout: Duration::from_millis(300),
            ..limits()
        },
        std::future::pending(),
    ));
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /big HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    // Read nothing for a while, then drain: the server gave up and closed before the end.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut received = 0usize;
    let mut chunk = vec![0u8; 1 << 16];
    tokio::time::timeout(WITHIN, async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(read) => received += read,
            }
        }
    })
    .await
    .expect("the connection ends");
    assert!(received < 64 << 20, "the response was cut");
    task.abort();
}

/// A writer that keeps every log line.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Sends this thread's log lines (the test's runtime is single-threaded) here, as JSON.
    fn install(&self) -> tracing::subscriber::DefaultGuard {
        tracing::subscriber::set_default(crate::logging::subscriber(
            crate::logging::LogFormat::Json,
            crate::logging::filter("info", None).unwrap(),
            false,
            self.clone(),
        ))
    }

    fn lines(&self) -> Vec<serde_json::Value> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'w> tracing_subscriber::fmt::MakeWriter<'w> for Captured {
    type Writer = Self;
    fn make_writer(&'w self) -> Self {
        self.clone()
    }
}
