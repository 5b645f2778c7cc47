//! The server's connections under clients that hold sockets: the header and idle timeouts
//! close them, the cap refuses the excess at once, and health keeps answering. The limits
//! themselves are tested in `service_runtime::serve`; these tests check the auth server uses
//! `AuthOptions::connections`.

use std::num::NonZeroUsize;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::*;

/// Upper bound for "soon"; far below the 300 s timeouts these tests configure where a
/// connection must stay open.
const WITHIN: Duration = Duration::from_secs(10);
const LONG: Duration = Duration::from_secs(300);

fn address(server: &TestServer) -> &str {
    server.base.trim_start_matches("http://")
}

/// `GET /auth/health` on a new connection; the status line, or `None` when the server
/// closed the connection without an answer.
async fn health(server: &TestServer) -> Option<String> {
    let mut stream = TcpStream::connect(address(server)).await.ok()?;
    stream
        .write_all(b"GET /auth/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .ok()?;
    let mut response = Vec::new();
    tokio::time::timeout(WITHIN, stream.read_to_end(&mut response))
        .await
        .expect("an answer or a close")
        .ok()?;
    let text = String::from_utf8_lossy(&response);
    text.lines().next().map(str::to_owned)
}

/// Whether the server closes `stream` within [`WITHIN`].
async fn closed_soon(stream: &mut TcpStream) -> bool {
    let mut chunk = [0u8; 256];
    tokio::time::timeout(WITHIN, async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn idle_and_half_sent_sockets_are_closed_after_the_header_timeout() {
    let fixture = Fixture::new();
    let mut options = fixture.options();
    options.connections.header_read_timeout = Duration::from_millis(300);
    let server = TestServer::start(options).await;
    let mut sockets = Vec::new();
    for _ in 0..20 {
        sockets.push(TcpStream::connect(address(&server)).await.unwrap());
    }
    for _ in 0..5 {
        let mut stream = TcpStream::connect(address(&server)).await.unwrap();
        stream
            .write_all(b"POST /auth/oauth/token HTTP/1.1\r\nHost: x\r\nContent-Le")
            .await
            .unwrap();
        sockets.push(stream);
    }
    assert_eq!(health(&server).await.as_deref(), Some("HTTP/1.1 200 OK"));
    for stream in &mut sockets {
        assert!(closed_soon(stream).await, "a stalled socket is closed");
    }
    server.stop().await;
}

#[tokio::test]
async fn health_answers_while_idle_sockets_are_held_and_the_excess_is_refused_at_once() {
    let fixture = Fixture::new();
    let mut options = fixture.options();
    let cap = 16;
    options.connections.max_connections = NonZeroUsize::new(cap).unwrap();
    // Only a refusal can close a socket within the test's bounds.
    options.connections.header_read_timeout = LONG;
    options.connections.idle_timeout = LONG;
    let server = TestServer::start(options).await;
    let mut held = Vec::new();
    for _ in 0..cap / 2 {
        held.push(TcpStream::connect(address(&server)).await.unwrap());
    }
    assert_eq!(health(&server).await.as_deref(), Some("HTTP/1.1 200 OK"));
    let mut probes = tokio::task::JoinSet::new();
    for _ in 0..cap {
        let mut stream = TcpStream::connect(address(&server)).await.unwrap();
        probes.spawn(async move { closed_soon(&mut stream).await.then_some(()).ok_or(stream) });
    }
    // The 8 held sockets (and the test client's pooled connection, if the pool kept it)
    // leave at most 8 places: of these 16 sockets at least 8 are refused; the admitted ones
    // wait for a request and are still open when the probe gives up.
    let mut refused = 0;
    let mut more = Vec::new();
    while let Some(probe) = probes.join_next().await {
        match probe.unwrap() {
            Ok(()) => refused += 1,
            Err(stream) => more.push(stream),
        }
    }
    assert!(
        refused >= cap / 2,
        "sockets beyond the cap are refused: {refused}"
    );
    for stream in &mut held {
        let mut byte = [0u8; 1];
        let still_open = tokio::time::timeout(Duration::from_millis(50), stream.read(&mut byte))
            .await
            .is_err();
        assert!(still_open, "admitted sockets are not disturbed");
    }
    drop(held);
    drop(more);
    let answered = tokio::time::timeout(WITHIN, async {
        loop {
            if health(&server).await.as_deref() == Some("HTTP/1.1 200 OK") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(answered.is_ok(), "health answers once the sockets are gone");
    server.stop().await;
}
