//! The sandbox's connections go through `service_runtime::serve` with
//! `SandboxOptions::connections`: a stalled socket is closed, and half-sent requests do not
//! hold shutdown. (The limits themselves are tested in service-runtime.)

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Signer, TestLedger, hs256_options};

/// Upper bound for "soon", far below the 300 s timeouts configured where a socket must be
/// held.
const WITHIN: Duration = Duration::from_secs(10);

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
async fn a_socket_that_never_completes_its_head_is_closed() {
    let mut options = hs256_options();
    options.connections.header_read_timeout = Duration::from_millis(200);
    let ledger = TestLedger::start(options, Signer::Hs256(crate::support::SECRET.into())).await;
    let mut silent = TcpStream::connect(ledger.sandbox.local_addr())
        .await
        .unwrap();
    let mut half_sent = TcpStream::connect(ledger.sandbox.local_addr())
        .await
        .unwrap();
    half_sent
        .write_all(b"POST /v1/query HTTP/1.1\r\nHost: x\r\nAuthoriz")
        .await
        .unwrap();
    assert!(closed_soon(&mut silent).await);
    assert!(closed_soon(&mut half_sent).await);
    ledger.stop().await;
}

#[tokio::test]
async fn half_sent_requests_do_not_hold_shutdown() {
    let mut options = hs256_options();
    options.connections.header_read_timeout = Duration::from_secs(300);
    options.connections.shutdown_deadline = Duration::from_secs(300);
    let ledger = TestLedger::start(options, Signer::Hs256(crate::support::SECRET.into())).await;
    let mut sockets = Vec::new();
    for _ in 0..5 {
        let mut stream = TcpStream::connect(ledger.sandbox.local_addr())
            .await
            .unwrap();
        stream
            .write_all(b"POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Le")
            .await
            .unwrap();
        sockets.push(stream);
    }
    // Connections are accepted in order: once this is answered, the five are being served.
    let url = format!("{}/nothing", ledger.sandbox.base_url());
    assert_eq!(ledger.http.get(url).send().await.unwrap().status(), 404);
    tokio::time::timeout(WITHIN, ledger.stop())
        .await
        .expect("shutdown does not wait for half-sent requests");
    for stream in &mut sockets {
        assert!(closed_soon(stream).await);
    }
}
