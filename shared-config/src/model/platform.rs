//! The `platform`, `daml`, `ledger` and `oracle` sections.

use std::time::Duration;

use url::Url;

use crate::secret::Secret;

/// `platform`: the platform's public URLs.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// Where clients reach the auth service; the oracle posts to `<this>/auth/oauth/token`.
    pub auth_public_url: Url,
    /// The frontend's URL.
    pub frontend_url: Url,
    /// With subdomain routing, a URL template containing `{subdomain}`.
    pub frontend_url_template: Option<String>,
}

impl PlatformConfig {
    /// `<authPublicUrl>/auth/oauth/token`, tolerant of a trailing slash on the base.
    pub fn token_endpoint(&self) -> String {
        format!(
            "{}/auth/oauth/token",
            self.auth_public_url.as_str().trim_end_matches('/')
        )
    }
}

/// `daml`: ledger identity and the demo HS256 secret.
#[derive(Debug, Clone)]
pub struct DamlConfig {
    /// The participant's ledger id (default `sandbox`).
    pub ledger_id: String,
    /// The application id commands are submitted under (default `IRSForge`).
    pub application_id: String,
    /// HS256 secret of the demo profile (default `secret`). Never printed.
    pub unsafe_jwt_secret: Secret,
}

/// `ledger`: the JSON API proxy.
#[derive(Debug, Clone)]
pub struct LedgerConfig {
    /// Upstream timeout of the ledger proxy, in ms (default 15000).
    pub upstream_timeout_ms: u64,
}

/// `oracle`: the oracle's own URL and its outbound timeouts.
#[derive(Debug, Clone)]
pub struct OracleConfig {
    /// Where the frontend reaches the oracle, if it does.
    pub url: Option<Url>,
    /// Total timeout of one ledger call, in ms (default 5000).
    pub ledger_timeout_ms: u64,
    /// Total timeout of one other outbound call (the token endpoint), in ms (default 5000).
    pub fetch_timeout_ms: u64,
}

impl OracleConfig {
    /// [`Self::ledger_timeout_ms`] as a duration.
    pub fn ledger_timeout(&self) -> Duration {
        Duration::from_millis(self.ledger_timeout_ms)
    }

    /// [`Self::fetch_timeout_ms`] as a duration.
    pub fn fetch_timeout(&self) -> Duration {
        Duration::from_millis(self.fetch_timeout_ms)
    }
}
