//! The shutdown future every binary passes to its server: SIGTERM or SIGINT, whichever comes
//! first.
//!
//! Both handlers are installed when [`shutdown_signal`] is called, so a signal that arrives
//! while the binary is still starting is not lost: the future completes as soon as it is
//! awaited. When one handler cannot be installed, that is logged
//! (`signal_handler_unavailable`) and the other one still stops the process; the signal whose
//! handler failed keeps its default action, which ends the process at once. Nothing here
//! panics, and Ctrl-C is never ignored.

use std::future::Future;
use std::io;

use tokio::signal::unix::{Signal as Listener, SignalKind, signal};

/// Which signal asked the process to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM: a service manager stopping the process.
    Terminate,
    /// SIGINT: Ctrl-C.
    Interrupt,
}

impl Signal {
    /// The signal's name, as logged (`SIGTERM`, `SIGINT`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Terminate => "SIGTERM",
            Self::Interrupt => "SIGINT",
        }
    }
}

/// Installs the SIGTERM and SIGINT handlers now and returns a future that completes with the
/// first of the two signals. Call it from within the tokio runtime (with its I/O driver
/// enabled, as `#[tokio::main]` does).
pub fn shutdown_signal() -> impl Future<Output = Signal> + Send + 'static {
    first_of(
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    )
}

/// The first of the two listeners to fire; a listener that could not be installed is logged
/// and never fires.
fn first_of(
    terminate: io::Result<Listener>,
    interrupt: io::Result<Listener>,
) -> impl Future<Output = Signal> + Send + 'static {
    let terminate = installed(Signal::Terminate, terminate);
    let interrupt = installed(Signal::Interrupt, interrupt);
    if terminate.is_none() && interrupt.is_none() {
        tracing::error!(
            event = "shutdown_signals_unavailable",
            "no shutdown signal can be caught; SIGTERM and SIGINT end the process at once"
        );
    }
    async move {
        tokio::select! {
            () = delivered(terminate) => Signal::Terminate,
            () = delivered(interrupt) => Signal::Interrupt,
        }
    }
}

fn installed(which: Signal, listener: io::Result<Listener>) -> Option<Listener> {
    listener
        .inspect_err(|error| {
            tracing::warn!(
                event = "signal_handler_unavailable",
                signal = which.name(),
                error = %error,
                "cannot install the signal handler; the other shutdown signal still works"
            );
        })
        .ok()
}

/// Completes when the signal is delivered; never when there is no listener or the runtime's
/// signal driver has gone.
async fn delivered(listener: Option<Listener>) {
    if let Some(mut listener) = listener
        && listener.recv().await.is_some()
    {
        return;
    }
    std::future::pending().await
}

#[cfg(test)]
mod tests;
