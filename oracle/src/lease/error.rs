//! [`LeaseError`]: why the leader lease cannot be configured, or why one attempt to reach its
//! database failed.
//!
//! Settings errors name the flag and the variable they came from and stop the oracle at boot.
//! Database errors never stop it: the lease runner logs them (`lease_database_unavailable`)
//! and tries again. No message ever contains the database password: URLs are shown in their
//! redacted form ([`super::DatabaseTarget`]), and the driver's own errors never carry it.

use std::path::PathBuf;
use std::time::Duration;

/// Why the leader lease cannot be set up, or why a call to its database failed.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    /// The database URL does not parse or uses something the oracle does not support.
    #[error("ORACLE_LEASE_DATABASE_URL / --lease-database-url: {detail}")]
    InvalidUrl {
        /// What is wrong (never the URL's password).
        detail: String,
    },
    /// The TTL is not a whole number of seconds, or is below the minimum.
    #[error("ORACLE_LEASE_TTL_SECONDS / --lease-ttl-seconds is {value:?}: {detail}")]
    InvalidTtl {
        /// The value given.
        value: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The instance id is empty after trimming, too long or has control characters.
    #[error("ORACLE_INSTANCE_ID / --instance-id: {detail}")]
    InvalidInstanceId {
        /// What is wrong with it.
        detail: String,
    },
    /// `sslrootcert` names a file that cannot be read or holds no certificate.
    #[error("sslrootcert {path}: {detail}")]
    RootCertificates {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The TLS client could not be built.
    #[error("cannot set up TLS for the lease database")]
    Tls(#[source] rustls::Error),
    /// Connecting (TCP, TLS, authentication) failed.
    #[error("cannot connect to the lease database {target}")]
    Connect {
        /// The redacted target.
        target: String,
        /// Why.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A statement failed.
    #[error("lease database statement `{statement}` failed")]
    Statement {
        /// Which statement: `schema`, `acquire`, `release`, `prepare`.
        statement: &'static str,
        /// Why.
        #[source]
        source: tokio_postgres::Error,
    },
    /// Connecting or a statement took longer than its client-side timeout.
    #[error("lease database {operation} timed out after {}ms", after.as_millis())]
    Timeout {
        /// `connect` or the statement's name.
        operation: &'static str,
        /// The timeout.
        after: Duration,
    },
}

impl LeaseError {
    /// The `reason` field of `lease_database_unavailable`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Connect { .. } => "connect_failed",
            Self::Statement { .. } => "statement_failed",
            Self::Timeout { .. } => "timeout",
            Self::Tls(_) | Self::RootCertificates { .. } => "tls",
            Self::InvalidUrl { .. } | Self::InvalidTtl { .. } | Self::InvalidInstanceId { .. } => {
                "configuration"
            }
        }
    }
}
