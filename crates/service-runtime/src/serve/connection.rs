//! One connection: hyper's HTTP/1 state machine over the socket, and a watchdog that knows
//! where the connection stands (waiting for a request, reading its head, handling it,
//! sending the response) from three vantage points: the socket's reads, writes and flushes
//! ([`Tracked`]), the service being called, and the response body being dropped
//! ([`TrackedBody`]). hyper handles one request at a time on an HTTP/1 connection, so there
//! is never more than one in flight.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::Request;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Notify, OwnedSemaphorePermit};
use tokio::time::Instant;
use tower::ServiceExt;

use super::{ServeLimits, Stopping};

/// Timeouts are cut to this, so an instant plus one never overflows (a day is "never" here).
const LONGEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// Serves one accepted connection until it ends, stalls past a limit, or shutdown closes it.
/// The permit is the connection's place under the cap, given back when this returns.
pub(super) async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: ServeLimits,
    _permit: OwnedSemaphorePermit,
    stopping: Stopping,
) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(error = %error, "cannot set TCP_NODELAY");
    }
    let limits = ServeLimits {
        header_read_timeout: limits.header_read_timeout.min(LONGEST_TIMEOUT),
        idle_timeout: limits.idle_timeout.min(LONGEST_TIMEOUT),
        ..limits
    };
    let activity = Arc::new(Activity::new(limits));
    let io = TokioIo::new(Tracked {
        inner: stream,
        activity: Arc::clone(&activity),
    });
    let service = {
        let activity = Arc::clone(&activity);
        hyper::service::service_fn(move |mut request: Request<Incoming>| {
            activity.request_started();
            request.extensions_mut().insert(ConnectInfo(peer));
            let router = router.clone();
            let activity = Arc::clone(&activity);
            async move {
                let response = router.oneshot(request).await?;
                activity.response_ready();
                Ok::<_, Infallible>(response.map(|body| TrackedBody {
                    inner: body,
                    _finished: ResponseFinished(activity),
                }))
            }
        })
    };
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        // A backstop behind the watchdog, which is always earlier: hyper's timer runs from
        // the end of a response to the end of the next head.
        .header_read_timeout(limits.idle_timeout + limits.header_read_timeout)
        .max_header_size(super::MAX_HEAD_BYTES);
    let mut connection = pin!(builder.serve_connection(io, service));
    let mut stalled = pin!(activity.stalled());
    tokio::select! {
        _ = connection.as_mut() => return,
        () = stalled.as_mut() => return,
        () = stopping.graceful.cancelled() => {}
    }
    if activity.awaiting_request() {
        return;
    }
    connection.as_mut().graceful_shutdown();
    tokio::select! {
        _ = connection => {}
        () = stalled => {}
        () = stopping.now.cancelled() => {}
    }
}

/// Where the connection stands, and so which limit applies.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// No byte of the next request yet. `fresh`: no request before, so the header timeout
    /// counts from `since` (the accept); else the idle timeout does.
    AwaitingRequest { since: Instant, fresh: bool },
    /// Part of a head arrived; the whole of it is due by `deadline`.
    ReadingHead { deadline: Instant },
    /// The handler runs; the server's own request timeout bounds it.
    Handling,
    /// The response is being sent; the client last took some of it at `progress`.
    Responding { progress: Instant },
    /// hyper holds the whole body (it dropped it) but has not yet written all of it: a large
    /// body is handed over in one frame, long before the client has read it.
    Draining { progress: Instant },
}

/// The connection's phase, shared by the socket, the service, the response body and the
/// watchdog. The mutex is only ever held for a few instructions.
struct Activity {
    phase: Mutex<Phase>,
    changed: Notify,
    header_read_timeout: std::time::Duration,
    idle_timeout: std::time::Duration,
}

impl Activity {
    fn new(limits: ServeLimits) -> Self {
        Self {
            phase: Mutex::new(Phase::AwaitingRequest {
                since: Instant::now(),
                fresh: true,
            }),
            changed: Notify::new(),
            header_read_timeout: limits.header_read_timeout,
            idle_timeout: limits.idle_timeout,
        }
    }

    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn enter(&self, phase: Phase) {
        *self.phase() = phase;
        self.changed.notify_one();
    }

    fn bytes_read(&self) {
        let mut phase = self.phase();
        if let Phase::AwaitingRequest { since, fresh } = *phase {
            let from = if fresh { since } else { Instant::now() };
            *phase = Phase::ReadingHead {
                deadline: from + self.header_read_timeout,
            };
            drop(phase);
            self.changed.notify_one();
        }
    }

    fn bytes_written(&self) {
        if let Phase::Responding { progress } | Phase::Draining { progress } = &mut *self.phase() {
            *progress = Instant::now();
        }
    }

    /// hyper flushes the socket only once its buffer is empty: after the body was dropped,
    /// that is the end of the response.
    fn flushed(&self) {
        let mut phase = self.phase();
        if let Phase::Draining { .. } = *phase {
            *phase = Phase::AwaitingRequest {
                since: Instant::now(),
                fresh: false,
            };
            drop(phase);
            self.changed.notify_one();
        }
    }

    fn request_started(&self) {
        self.enter(Phase::Handling);
    }

    fn response_ready(&self) {
        self.enter(Phase::Responding {
            progress: Instant::now(),
        });
    }

    fn response_finished(&self) {
        let mut phase = self.phase();
        if let Phase::Responding { progress } = *phase {
            *phase = Phase::Draining { progress };
        }
    }

    /// No request in flight and nothing left to send: shutdown may close the connection
    /// without losing an answer.
    fn awaiting_request(&self) -> bool {
        matches!(
            *self.phase(),
            Phase::AwaitingRequest { .. } | Phase::ReadingHead { .. }
        )
    }

    /// When the connection stalls if nothing changes; `None` while a handler runs.
    fn deadline(&self) -> Option<Instant> {
        match *self.phase() {
            Phase::AwaitingRequest { since, fresh: true } => Some(since + self.header_read_timeout),
            Phase::AwaitingRequest {
                since,
                fresh: false,
            } => Some(since + self.idle_timeout),
            Phase::ReadingHead { deadline } => Some(deadline),
            Phase::Handling => None,
            Phase::Responding { progress } | Phase::Draining { progress } => {
                Some(progress + self.idle_timeout)
            }
        }
    }

    /// Completes once the connection is past its current deadline.
    async fn stalled(&self) {
        loop {
            let changed = self.changed.notified();
            match self.deadline() {
                Some(deadline) if deadline <= Instant::now() => {
                    tracing::debug!(phase = ?*self.phase(), "closing a stalled connection");
                    return;
                }
                Some(deadline) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(deadline) => {}
                        () = changed => {}
                    }
                }
                None => changed.await,
            }
        }
    }
}

/// The socket, reporting reads and writes to the watchdog.
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, bytes);
        if matches!(polled, Poll::Ready(Ok(written)) if written > 0) {
            self.activity.bytes_written();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buffers: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, buffers);
        if matches!(polled, Poll::Ready(Ok(written)) if written > 0) {
            self.activity.bytes_written();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        if matches!(polled, Poll::Ready(Ok(()))) {
            self.activity.flushed();
        }
        polled
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A response body that tells the watchdog when hyper has taken all of it (hyper drops a body
/// once it holds its last frame, or when the connection goes).
struct TrackedBody {
    inner: Body,
    _finished: ResponseFinished,
}

struct ResponseFinished(Arc<Activity>);

impl Drop for ResponseFinished {
    fn drop(&mut self) {
        self.0.response_finished();
    }
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
