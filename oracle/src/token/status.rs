//! What a [`super::TokenHandle`] reports about itself: where its tokens come from, the held
//! token's age and remaining life, and counters since start. Never the token itself.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Which resolver branch a handle's tokens come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSourceKind {
    /// `SERVICE_TOKEN_<ID>` / `OPERATOR_TOKEN`, used verbatim.
    Environment,
    /// Self-signed HS256 tokens of the demo profile.
    Demo,
    /// OAuth2 client credentials against the auth service.
    ClientCredentials,
}

impl TokenSourceKind {
    /// The name used in logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Environment => "environment",
            Self::Demo => "demo",
            Self::ClientCredentials => "client_credentials",
        }
    }
}

/// A snapshot of a handle's token, for metrics and health reports. Never the token itself.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenStatus {
    /// The account.
    pub account_id: String,
    /// Where tokens come from.
    pub source: TokenSourceKind,
    /// Time since the held token was requested; `None` for environment tokens.
    pub age: Option<Duration>,
    /// Time until the held token expires (zero once it has); `None` when unknown.
    pub remaining: Option<Duration>,
    /// Whether [`super::TokenHandle::get_token`] would hand out the held token right now.
    pub usable: bool,
}

/// Counters of a handle since it started, for metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenStats {
    /// Requests sent to the token source.
    pub requests: u64,
    /// Tokens obtained when none was usable (boot, recovery, on demand).
    pub acquired: u64,
    /// Tokens swapped in by a scheduled refresh.
    pub refreshed: u64,
    /// Failed requests by [`crate::FailureReason::as_str`].
    pub failures: BTreeMap<&'static str, u64>,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) acquired: AtomicU64,
    pub(crate) refreshed: AtomicU64,
    pub(crate) failures: Mutex<BTreeMap<&'static str, u64>>,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> TokenStats {
        TokenStats {
            requests: self.requests.load(Ordering::Relaxed),
            acquired: self.acquired.load(Ordering::Relaxed),
            refreshed: self.refreshed.load(Ordering::Relaxed),
            failures: self
                .failures
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone(),
        }
    }
}
