//! The one HTTP/1 serving loop every server uses instead of `axum::serve`, with the bounds
//! `axum::serve` lacks: a stalled socket is closed, the number of open connections is capped,
//! and shutdown has a deadline whatever clients do.
//!
//! - **Waiting for a request.** A new connection must deliver a complete request head within
//!   [`ServeLimits::header_read_timeout`] of being accepted, whether it sends nothing or
//!   trickles a header a byte at a time. On a keep-alive connection the wait for the next
//!   request's first byte is bounded by [`ServeLimits::idle_timeout`], then its head by the
//!   header timeout from that byte (the split Go's `IdleTimeout`/`ReadHeaderTimeout` and
//!   Envoy make). hyper 1.12's own `header_read_timeout` runs one timer from the end of the
//!   previous response to the end of the next head, so it cannot give a keep-alive
//!   connection longer to stay idle than a stranger has to send a head; the loop keeps its
//!   own timers (`connection.rs`) and sets hyper's to their sum, as a backstop only.
//! - **Answering.** While a handler runs, the loop imposes nothing: each server bounds its
//!   handlers (auth's and the sandbox's `TimeoutLayer` answer 408, body reading included).
//!   Once the response is ready, a client that reads none of it for the idle timeout is cut.
//! - **Too many connections.** Past [`ServeLimits::max_connections`] a new connection is
//!   accepted and closed at once, before any byte of it is read, and counted; the count is
//!   logged at most once a second (`connections_refused`, warn). The cap bounds memory and file
//!   descriptors. Accept errors (a full descriptor table, say) are logged at most once a
//!   second (`accept_failed`) and retried after a pause that doubles up to a second, so they
//!   never spin the loop.
//! - **Shutdown.** When the shutdown future completes the listener is dropped, connections
//!   with no request in flight and nothing left to send (idle, or with a head still
//!   incomplete) are closed at once, and the others are asked to finish (hyper's graceful
//!   shutdown: the response, or the rest of it, is sent, then the connection closed). After [`ServeLimits::shutdown_deadline`] whatever is left is
//!   dropped (`shutdown_deadline_passed`, warn) and [`serve`] returns.
//!
//! A request head larger than [`MAX_HEAD_BYTES`] is answered `431`.
//!
//! Handlers find the peer's address as `axum::extract::ConnectInfo<SocketAddr>` in the
//! request's extensions, and sockets have `TCP_NODELAY` set, as with `axum::serve`.

mod connection;

use std::future::Future;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The largest request head (request line and headers) accepted; a larger one is answered
/// `431` and the connection closed. Node's limit; ample for a bearer token or Basic
/// credentials, and it keeps a head still arriving to a few tens of KiB of buffer, where
/// hyper's own default would let each connection buffer about 400 KiB.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// The bounds of one server's connections. [`Default`] gives the values below. A timeout
/// longer than a day counts as a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// How long a client has to send a complete request head: from the accept on a new
    /// connection, from the request's first byte on a keep-alive one (default 10 s). A
    /// connection past it is closed without an answer.
    pub header_read_timeout: Duration,
    /// How long a keep-alive connection may wait for its next request, and how long a
    /// response may go without the client reading any of it (default 60 s), before the
    /// connection is closed. Longer than the 30 s after which the platform's own HTTP clients
    /// (the oracle's, the sandbox's JWKS fetcher) drop an idle pooled connection, so the
    /// client always closes first and never sends a request on a connection the server is
    /// closing at that moment (a `POST` lost that way is not retried).
    pub idle_timeout: Duration,
    /// Open connections at most (default 1024); the next one is closed as soon as it is
    /// accepted. Each costs a file descriptor and about 10 KiB while idle; the process's
    /// descriptor limit must leave room above it.
    pub max_connections: NonZeroUsize,
    /// How long shutdown waits for requests in flight before dropping their connections
    /// (default 10 s).
    pub shutdown_deadline: Duration,
}

impl ServeLimits {
    /// The default header read timeout: 10 s.
    pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
    /// The default idle timeout: 60 s.
    pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
    /// The default connection cap: 1024.
    pub const DEFAULT_MAX_CONNECTIONS: NonZeroUsize = NonZeroUsize::new(1024).unwrap();
    /// The default shutdown deadline: 10 s.
    pub const DEFAULT_SHUTDOWN_DEADLINE: Duration = Duration::from_secs(10);
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Self::DEFAULT_HEADER_READ_TIMEOUT,
            idle_timeout: Self::DEFAULT_IDLE_TIMEOUT,
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            shutdown_deadline: Self::DEFAULT_SHUTDOWN_DEADLINE,
        }
    }
}

/// File descriptors a server needs beyond one per connection: the listener, the runtime's,
/// log output, key and registry reads, outbound HTTP clients.
pub const DESCRIPTOR_HEADROOM: u64 = 64;

/// For binaries, before serving: raises the process's soft limit on open files, as far as
/// the hard limit allows, to `max_connections` plus [`DESCRIPTOR_HEADROOM`], so the cap and
/// not a full descriptor table is what refuses connections. Many hosts start services with a
/// soft limit of 1024 and a much higher hard one; Go's runtime raises it the same way. When
/// the hard limit is too low, logs `descriptor_limit_low` (warn): accepts may then fail
/// before the cap is reached (`accept_failed`). Returns the soft limit in force (`None`:
/// unlimited).
pub fn raise_descriptor_limit(max_connections: NonZeroUsize) -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let wanted = u64::try_from(max_connections.get())
        .unwrap_or(u64::MAX)
        .saturating_add(DESCRIPTOR_HEADROOM);
    let limit = getrlimit(Resource::Nofile);
    let mut current = limit.current?;
    if current >= wanted {
        return Some(current);
    }
    let target = limit.maximum.map_or(wanted, |maximum| maximum.min(wanted));
    if target > current {
        let raised = Rlimit {
            current: Some(target),
            maximum: limit.maximum,
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            current = target;
        }
    }
    if current < wanted {
        tracing::warn!(
            event = "descriptor_limit_low",
            limit = current,
            maxConnections = max_connections.get(),
            "the open-file limit is below the connection cap plus headroom; raise the hard limit (LimitNOFILE, ulimit -Hn) or lower the cap"
        );
    }
    Some(current)
}

/// Serves `router` over HTTP/1 on `listener` within `limits` until `shutdown` completes, then
/// shuts down as the module documentation says and returns. Nothing here fails: accept errors
/// are logged and retried.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) {
    let address = listener.local_addr().ok();
    let permits = Arc::new(Semaphore::new(limits.max_connections.get()));
    let stopping = Stopping::default();
    let connections = TaskTracker::new();
    let mut refusals = Refusals::default();
    let mut accept_failures = AcceptFailures::default();
    let mut shutdown = pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            () = refusals.due(), if refusals.unlogged > 0 => {
                refusals.log(address, limits.max_connections);
                continue;
            }
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => {
                accept_failures.pause = None;
                accepted
            }
            Err(error) => {
                let pause = accept_failures.failed(&error, address);
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(pause) => continue,
                }
            }
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            drop(stream);
            refusals.count(address, limits.max_connections);
            continue;
        };
        connections.spawn(connection::serve_connection(
            stream,
            peer,
            router.clone(),
            limits,
            permit,
            stopping.clone(),
        ));
    }
    drop(listener);
    if refusals.unlogged > 0 {
        refusals.log(address, limits.max_connections);
    }
    stopping.graceful.cancel();
    connections.close();
    if tokio::time::timeout(limits.shutdown_deadline, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            event = "shutdown_deadline_passed",
            address = address.map(tracing::field::display),
            connections = connections.len(),
            deadlineMs = millis(limits.shutdown_deadline),
            "requests still in flight at the shutdown deadline; closing their connections"
        );
        stopping.now.cancel();
        connections.wait().await;
    }
}

/// The two stages of shutdown, seen by every connection.
#[derive(Clone, Default)]
struct Stopping {
    /// Finish the request in flight, take no other.
    graceful: CancellationToken,
    /// The deadline passed: close now.
    now: CancellationToken,
}

/// Connections refused since the last `connections_refused` line.
#[derive(Default)]
struct Refusals {
    unlogged: u64,
    last_logged: Option<Instant>,
}

impl Refusals {
    const LOG_INTERVAL: Duration = Duration::from_secs(1);

    fn count(&mut self, address: Option<SocketAddr>, cap: NonZeroUsize) {
        self.unlogged += 1;
        if self
            .last_logged
            .is_none_or(|at| at.elapsed() >= Self::LOG_INTERVAL)
        {
            self.log(address, cap);
        }
    }

    /// When the pending count may be logged.
    async fn due(&self) {
        if let Some(at) = self.last_logged {
            tokio::time::sleep_until(at + Self::LOG_INTERVAL).await;
        }
    }

    fn log(&mut self, address: Option<SocketAddr>, cap: NonZeroUsize) {
        tracing::warn!(
            event = "connections_refused",
            address = address.map(tracing::field::display),
            refused = self.unlogged,
            maxConnections = cap.get(),
            "connections refused: the server holds its maximum of open connections"
        );
        self.unlogged = 0;
        self.last_logged = Some(Instant::now());
    }
}

/// The pause after failed accepts, and when the last one was logged.
#[derive(Default)]
struct AcceptFailures {
    pause: Option<Duration>,
    last_logged: Option<Instant>,
    unlogged: u64,
}

impl AcceptFailures {
    const FIRST_PAUSE: Duration = Duration::from_millis(10);
    const LONGEST_PAUSE: Duration = Duration::from_secs(1);

    /// Logs (at most once a second) and returns how long to wait before the next accept.
    fn failed(&mut self, error: &std::io::Error, address: Option<SocketAddr>) -> Duration {
        self.unlogged += 1;
        if self
            .last_logged
            .is_none_or(|at| at.elapsed() >= Refusals::LOG_INTERVAL)
        {
            tracing::warn!(
                event = "accept_failed",
                address = address.map(tracing::field::display),
                error = %error,
                failures = self.unlogged,
                "cannot accept a connection; pausing before the next attempt"
            );
            self.unlogged = 0;
            self.last_logged = Some(Instant::now());
        }
        let pause = self.pause.map_or(Self::FIRST_PAUSE, |pause| {
            (pause * 2).min(Self::LONGEST_PAUSE)
        });
        self.pause = Some(pause);
        pause
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
