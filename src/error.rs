//! [`StackError`]: why the stack could not start.

use std::path::PathBuf;

/// Why the demo stack could not start. Each variant names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// A file of the work directory could not be read or written.
    #[error("{path}")]
    Workdir {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A port is taken or cannot be bound.
    #[error("cannot listen on {address} for the {service} (pick another port with {flag})")]
    Bind {
        /// Which service.
        service: &'static str,
        /// The address tried.
        address: std::net::SocketAddr,
        /// The flag that changes it.
        flag: &'static str,
        /// The bind error.
        #[source]
        source: std::io::Error,
    },
    /// The example configuration did not load (an `IRSFORGE_*` variable in the environment
    /// that breaks it, say).
    #[error(transparent)]
    Config(#[from] shared_config::ConfigError),
    /// A cron expression of the stack's options does not parse.
    #[error("cron {expression:?}")]
    Cron {
        /// The expression.
        expression: String,
        /// Why it does not parse.
        #[source]
        source: shared_config::CronError,
    },
    /// A client secret could not be hashed.
    #[error("hashing a generated client secret")]
    Hash(#[from] bcrypt::BcryptError),
    /// The auth service failed to start.
    #[error("auth service")]
    Auth(#[from] auth::AuthError),
    /// The ledger sandbox failed to start.
    #[error("ledger sandbox")]
    Sandbox(#[from] ledger_sandbox::SandboxError),
    /// The oracle failed to boot.
    #[error("oracle")]
    Oracle(#[from] oracle::OracleError),
}
