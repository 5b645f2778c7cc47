//! [`SandboxError`]: why the sandbox could not start or stopped abnormally.
//!
//! Rejections of individual HTTP requests are not errors of the sandbox; they are JSON API
//! responses and live in `envelope.rs`.

/// Why the sandbox refused to start, or why serving failed.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// A [`SandboxOptions`](crate::SandboxOptions) field is unusable; `field` names it.
    #[error("invalid sandbox option `{field}`: {reason}")]
    InvalidOption {
        /// The option, as named in `SandboxOptions` (the binary's flag has the same name).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client for the JWKS could not be built.
    #[error("cannot build the HTTP client for the JWKS")]
    HttpClient(#[source] reqwest::Error),
    /// The listener's local address could not be read.
    #[error("cannot read the listener's local address")]
    LocalAddress(#[source] std::io::Error),
    /// [`Sandbox::start`](crate::Sandbox::start) was called outside a tokio runtime.
    #[error("Sandbox::start must be called from within a tokio runtime")]
    NoRuntime,
    /// The server task ended abnormally (it panicked or was aborted).
    #[error("the sandbox server task ended abnormally")]
    Task(#[source] tokio::task::JoinError),
}
