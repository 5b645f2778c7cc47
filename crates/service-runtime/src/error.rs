//! [`RuntimeError`]: why a binary's plumbing could not be set up.

/// Why logging could not be set up. Signals never fail this way: a handler that cannot be
/// installed is logged and the other one kept (see [`crate::signal`]).
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// `RUST_LOG` (or a binary's default filter) is not a valid `EnvFilter` directive list.
    #[error("{origin} is not a valid log filter (e.g. `info,oracle=debug`)")]
    LogFilter {
        /// `RUST_LOG`, or "the default log filter".
        origin: &'static str,
        /// The parser's complaint.
        #[source]
        source: tracing_subscriber::filter::ParseError,
    },
    /// A global subscriber was installed already (logging set up twice).
    #[error("cannot install the log subscriber")]
    Subscriber(#[source] tracing_subscriber::util::TryInitError),
}
