//! The second part: callers that misbehave, each phase against a fresh server.
//!
//! - Clients that ignore `Retry-After` (they send the next request the moment an answer
//!   arrives) at 8 and at 64 connections, every request seen for the first time (the
//!   credential cache off, `AUTH_CREDENTIAL_CACHE_SIZE=0`), with `/auth/health` probed
//!   meanwhile; then the same 8 and 64 clients with the cache on, returning with credentials
//!   the server has verified before, health probed at 64.
//! - A flood of unknown client ids from 48 loopback addresses (127.0.0.2 to .49), two
//!   connections each, ignoring `Retry-After`, while a client that already has tokens refreshes
//!   from 127.0.0.50 and a client never seen before asks for its first token from 127.0.0.51;
//!   both of those honour `Retry-After`.
//! - 200 idle sockets and 20 half-sent request heads: how many are still open after the
//!   header-read timeout, whether health answers meanwhile; then SIGTERM with 5 half-sent
//!   requests open, and how long the process takes to exit.
//! - Form bodies of 64 KiB holding about 10,000 distinct parameters, against a small invalid
//!   form as the baseline, measured in the same run.
//!
//! Throttling is off, as in the first part: each phase measures the admission and connection
//! limits alone, the harder case.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use super::{
    Fixture, MAX_FOREIGN_CORES, PHASE, Report, SECRET, Server, TokenClient, WARM_UP,
    least_disturbed, ms, percentile, probe,
};

/// The cache switch of a server that has one; older servers ignore the variable.
pub(crate) const CACHE_OFF: (&str, &str) = ("AUTH_CREDENTIAL_CACHE_SIZE", "0");
/// The longest header-read timeout allowed (the service's default is 10 s).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// SIGTERM must end the process within this, whatever clients do.
const SHUTDOWN_BAR: Duration = Duration::from_secs(10);

/// Runs every phase and adds its figures to `report`.
pub(crate) fn run(binary: &std::path::Path, fixture: &Fixture, report: &mut Report) {
    println!(
        "\nclients that misbehave (throttling off; other processes' CPU at most {MAX_FOREIGN_CORES} cores)"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    let first_sight = Server::start_with(binary, fixture, &[CACHE_OFF]);
    let pid = first_sight.pid();
    let (c8, foreign) = least_disturbed(pid, || runtime.block_on(impolite(&first_sight, 8)));
    report.line(
        "ignoring Retry-After, first-sight tokens/s at c=8",
        format!("{:.1} tokens/s, {:.0} shed answers/s", c8.tokens, c8.shed),
        None,
    );
    report.foreign(foreign);
    let ((c64, health), foreign) = least_disturbed(pid, || probed_impolite(&runtime, &first_sight));
    let ratio = c64.tokens / c8.tokens;
    report.line(
        "ignoring Retry-After, first-sight tokens/s at c=64",
        format!(
            "{:.1} tokens/s = {ratio:.2} of c=8, {:.0} shed answers/s",
            c64.tokens, c64.shed
        ),
        Some(ratio >= 0.9),
    );
    report.line(
        "  /auth/health p50 / p99 meanwhile",
        format!("{:.3} / {:.3} ms", health.0, health.1),
        Some(health.1 <= 2.0),
    );
    report.foreign(foreign);
    drop(first_sight);

    let cached = Server::start_with(binary, fixture, &[]);
    let (returning, foreign) =
        least_disturbed(cached.pid(), || runtime.block_on(impolite(&cached, 8)));
    let ratio = returning.tokens / c8.tokens;
    report.line(
        "ignoring Retry-After, returning-client tokens/s at c=8",
        format!(
            "{:.1} tokens/s = {ratio:.1}x the first-sight rate",
            returning.tokens
        ),
        Some(ratio >= 20.0),
    );
    report.foreign(foreign);
    let ((returning, health), foreign) =
        least_disturbed(cached.pid(), || probed_impolite(&runtime, &cached));
    report.line(
        "ignoring Retry-After, returning-client tokens/s at c=64",
        format!(
            "{:.1} tokens/s, {:.0} shed answers/s",
            returning.tokens, returning.shed
        ),
        None,
    );
    report.line(
        "  /auth/health p50 / p99 meanwhile",
        format!("{:.3} / {:.3} ms", health.0, health.1),
        Some(health.1 <= 2.0),
    );
    report.foreign(foreign);
    drop(cached);

    let flooded = Server::start_with(binary, fixture, &[]);
    let (flood, foreign) = least_disturbed(flooded.pid(), || runtime.block_on(flood(&flooded)));
    let served = flood.refreshes.iter().filter(|at| **at <= 2_000.0).count();
    let share = served as f64 / flood.refreshes.len().max(1) as f64;
    report.line(
        "flood of unknown ids from 48 addresses: returning client's refreshes served within 2 s",
        format!(
            "{served} of {} = {:.1} % (p50 {:.0} ms, max {:.0} ms); {:.0} flood answers/s",
            flood.refreshes.len(),
            share * 100.0,
            percentile(&flood.refreshes, 0.5),
            percentile(&flood.refreshes, 1.0),
            flood.flood_answers
        ),
        Some(share >= 0.95),
    );
    report.line(
        "  a new client's first token during the flood",
        match flood.first_token {
            Some(at) => format!("{:.2} s", at.as_secs_f64()),
            None => "none within 30 s".to_owned(),
        },
        Some(
            flood
                .first_token
                .is_some_and(|at| at <= Duration::from_secs(10)),
        ),
    );
    report.foreign(foreign);
    drop(flooded);

    let sockets = Server::start_with(binary, fixture, &[]);
    let stalled = runtime.block_on(stalled_sockets(&sockets));
    report.line(
        "200 idle + 20 half-sent sockets still open after 12 s",
        format!(
            "{} of 220 (health answered meanwhile in {:.2} ms)",
            stalled.still_open, stalled.health_ms
        ),
        Some(stalled.still_open == 0),
    );
    let exit = runtime.block_on(terminate_with_half_sent(sockets));
    report.line(
        "SIGTERM with 5 half-sent requests open: exit after",
        match exit {
            Some(after) => format!("{:.2} s", after.as_secs_f64()),
            None => "still running after 20 s".to_owned(),
        },
        Some(exit.is_some_and(|after| after <= SHUTDOWN_BAR)),
    );

    let forms = Server::start_with(binary, fixture, &[]);
    let ((wide, small), foreign) =
        least_disturbed(forms.pid(), || runtime.block_on(wide_forms(&forms)));
    report.line(
        "64 KiB form of ~10,000 parameters, answer time p50 / p99",
        format!(
            "{wide_p50:.3} / {wide_p99:.3} ms (small invalid form: {small_p50:.3} / {small_p99:.3} ms)",
            wide_p50 = percentile(&wide, 0.5),
            wide_p99 = percentile(&wide, 0.99),
            small_p50 = percentile(&small, 0.5),
            small_p99 = percentile(&small, 0.99),
        ),
        Some(percentile(&wide, 0.5) - percentile(&small, 0.5) <= 1.0),
    );
    report.foreign(foreign);
}

/// 64 clients ignoring `Retry-After` while `/auth/health` is probed after the warm-up: the
/// clients' rates and the probe's p50/p99.
fn probed_impolite(runtime: &tokio::runtime::Runtime, server: &Server) -> (Rates, (f64, f64)) {
    std::thread::scope(|scope| {
        let load = scope.spawn(|| runtime.block_on(impolite(server, 64)));
        std::thread::sleep(WARM_UP);
        let health = probe(server, "/auth/health", Some(PHASE / 2));
        (load.join().unwrap(), health)
    })
}

struct Rates {
    tokens: f64,
    shed: f64,
}

fn body_for(client_id: &str, secret: &str) -> String {
    format!("grant_type=client_credentials&client_id={client_id}&client_secret={secret}")
}

/// `concurrency` clients that send their next request as soon as an answer arrives, whatever
/// it is, for the warm-up plus [`PHASE`]; counts tokens and shed answers in the phase.
async fn impolite(server: &Server, concurrency: usize) -> Rates {
    let measure_from = Instant::now() + WARM_UP;
    let deadline = measure_from + PHASE;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let mut client = TokenClient::with_body(
            &server.base,
            Ipv4Addr::LOCALHOST.into(),
            &body_for("scheduler", SECRET),
        );
        tasks.spawn(async move {
            let (mut tokens, mut shed) = (0u64, 0u64);
            while Instant::now() < deadline {
                let (status, _, _) = client.request().await;
                if Instant::now() < measure_from || Instant::now() >= deadline {
                    continue;
                }
                match status {
                    200 => tokens += 1,
                    503 => shed += 1,
                    other => panic!("unexpected status {other}"),
                }
            }
            (tokens, shed)
        });
    }
    let (tokens, shed) = tasks
        .join_all()
        .await
        .into_iter()
        .fold((0, 0), |(t, s), (a, b)| (t + a, s + b));
    Rates {
        tokens: tokens as f64 / PHASE.as_secs_f64(),
        shed: shed as f64 / PHASE.as_secs_f64(),
    }
}

struct Flood {
    /// Milliseconds from a refresh's first attempt to its token.
    refreshes: Vec<f64>,
    /// From the new client's first attempt to its first token.
    first_token: Option<Duration>,
    /// Answers the flood got per second.
    flood_answers: f64,
}

fn loopback(last: u8) -> IpAddr {
    Ipv4Addr::new(127, 0, 0, last).into()
}

/// Asks for a token from `client`, honouring `Retry-After`, until served or `give_up`.
async fn polite_token(client: &mut TokenClient, give_up: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < give_up {
        let (status, _, retry_after) = client.request().await;
        match status {
            200 => return Some(started.elapsed()),
            503 | 429 => tokio::time::sleep(retry_after.max(Duration::from_millis(100))).await,
            other => panic!("unexpected status {other} for a valid client"),
        }
    }
    None
}

async fn flood(server: &Server) -> Flood {
    let mut returning = TokenClient::with_body(
        &server.base,
        loopback(50),
        &body_for("mark-publisher", SECRET),
    );
    polite_token(&mut returning, Duration::from_secs(30))
        .await
        .expect("the returning client's first token, before the flood");
    let flooding = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let mut flood = tokio::task::JoinSet::new();
    for address in 2..=49u8 {
        for connection in 0..2 {
            let body = body_for(&format!("intruder-{address}-{connection}"), "wrong-secret");
            let mut client = TokenClient::with_body(&server.base, loopback(address), &body);
            let flooding = std::sync::Arc::clone(&flooding);
            flood.spawn(async move {
                let mut answers = 0u64;
                while flooding.load(std::sync::atomic::Ordering::Relaxed) {
                    let (status, _, _) = client.request().await;
                    if status == 0 {
                        // Refused at the connection cap: try again at once, as a flood would.
                        continue;
                    }
                    answers += 1;
                }
                answers
            });
        }
    }
    tokio::time::sleep(WARM_UP).await;
    let flood_started = Instant::now();
    let newcomer = tokio::spawn({
        let mut client =
            TokenClient::with_body(&server.base, loopback(51), &body_for("scheduler", SECRET));
        async move { polite_token(&mut client, Duration::from_secs(30)).await }
    });
    let mut refreshes = Vec::new();
    while flood_started.elapsed() < PHASE {
        let served = polite_token(&mut returning, Duration::from_secs(10)).await;
        refreshes.push(served.map_or(f64::INFINITY, ms));
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    let first_token = newcomer.await.unwrap();
    flooding.store(false, std::sync::atomic::Ordering::Relaxed);
    let elapsed = flood_started.elapsed() + WARM_UP;
    let answers: u64 = flood.join_all().await.into_iter().sum();
    Flood {
        refreshes,
        first_token,
        flood_answers: answers as f64 / elapsed.as_secs_f64(),
    }
}

struct Stalled {
    still_open: usize,
    health_ms: f64,
}

/// Opens 200 sockets that send nothing and 20 that send half a request head, checks health,
/// waits past the header-read timeout and counts the sockets the server has not closed.
async fn stalled_sockets(server: &Server) -> Stalled {
    use tokio::io::AsyncWriteExt;
    let address: std::net::SocketAddr = server.base.trim_start_matches("http://").parse().unwrap();
    let mut sockets = Vec::new();
    for index in 0..220 {
        let Ok(mut stream) = tokio::net::TcpStream::connect(address).await else {
            continue;
        };
        if index >= 200 {
            let _ = stream
                .write_all(b"POST /auth/oauth/token HTTP/1.1\r\nHost: bench\r\nContent-Le")
                .await;
        }
        sockets.push(stream);
    }
    let started = Instant::now();
    let health = super::client()
        .get(server.url("/auth/health"))
        .send()
        .await
        .map(|response| response.status().as_u16());
    let health_ms = match health {
        Ok(200) => ms(started.elapsed()),
        _ => f64::NAN,
    };
    tokio::time::sleep(HEADER_READ_TIMEOUT + Duration::from_secs(2)).await;
    let mut still_open = 0;
    for stream in &mut sockets {
        if is_open(stream).await {
            still_open += 1;
        }
    }
    Stalled {
        still_open,
        health_ms,
    }
}

/// A socket is open when reading it neither ends nor fails within 50 ms.
async fn is_open(stream: &mut tokio::net::TcpStream) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buffer = [0u8; 512];
    loop {
        match tokio::time::timeout(Duration::from_millis(50), stream.read(&mut buffer)).await {
            Err(_) => return true,
            Ok(Ok(0) | Err(_)) => return false,
            // A 408 or 400 the server wrote before closing: read on.
            Ok(Ok(_)) => {}
        }
    }
}

/// Sends SIGTERM while 5 half-sent requests are open; the time until the process exits.
async fn terminate_with_half_sent(mut server: Server) -> Option<Duration> {
    use tokio::io::AsyncWriteExt;
    let address: std::net::SocketAddr = server.base.trim_start_matches("http://").parse().unwrap();
    let mut sockets = Vec::new();
    for _ in 0..5 {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream
            .write_all(b"POST /auth/oauth/token HTTP/1.1\r\nHost: bench\r\nContent-Length: 100\r\n\r\ngrant_type=")
            .await
            .unwrap();
        sockets.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -TERM failed");
    while started.elapsed() < Duration::from_secs(20) {
        if server.child.try_wait().unwrap().is_some() {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    None
}

/// Answer times (ms) of 64 KiB forms of ~10,000 distinct parameters, and of a small invalid
/// form (no grant type) as the baseline, 200 of each, alternating, on one connection each.
async fn wide_forms(server: &Server) -> (Vec<f64>, Vec<f64>) {
    let mut wide_body = String::with_capacity(64 * 1024);
    let mut index = 0;
    while wide_body.len() + 12 < 64 * 1024 {
        wide_body.push_str(&format!("p{index}=x&"));
        index += 1;
    }
    let mut wide = TokenClient::with_body(&server.base, Ipv4Addr::LOCALHOST.into(), &wide_body);
    let mut small = TokenClient::with_body(&server.base, Ipv4Addr::LOCALHOST.into(), "client_id=x");
    let (mut wide_ms, mut small_ms) = (Vec::new(), Vec::new());
    for _ in 0..200 {
        let (status, latency, _) = wide.request().await;
        assert_eq!(status, 400, "a form of {index} parameters");
        wide_ms.push(latency);
        let (status, latency, _) = small.request().await;
        assert_eq!(status, 400, "a form without grant_type");
        small_ms.push(latency);
    }
    (wide_ms, small_ms)
}
