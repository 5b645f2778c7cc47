//! The `platform`, `daml`, `ledger` and `oracle` sections.

use std::time::Duration;

use url::Url;

use crate::secret::Secret;

/// `platform`: the platform's public URLs and frontend settings.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// Where clients reach the auth service; the oracle posts to `<this>/auth/oauth/token`.
    pub auth_public_url: Url,
    /// The frontend's URL.
    pub frontend_url: Url,
    /// A URL template containing `{subdomain}`; required with subdomain routing.
    pub frontend_url_template: Option<String>,
    /// `platform.ledgerUi`: the frontend's ledger explorer.
    pub ledger_ui: LedgerUiConfig,
    /// `platform.demoReset`: periodic reset of a public demo.
    pub demo_reset: DemoResetConfig,
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

/// `platform.ledgerUi`.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerUiConfig {
    /// Whether the ledger explorer is shown (default true).
    pub enabled: bool,
    /// Events kept in the explorer's buffer (default 500).
    pub buffer_size: u64,
    /// Which templates the explorer shows.
    pub template_filter: TemplateFilter,
    /// Whether toasts announce ledger events (default true).
    pub toasts_enabled: bool,
    /// Toasts on screen at once (default 3).
    pub toasts_max_visible: u64,
    /// How long a toast stays, in ms (default 5000).
    pub toasts_dismiss_after_ms: u64,
    /// Whether raw payloads can be inspected (default true).
    pub raw_payload_enabled: bool,
}

/// `platform.ledgerUi.templateFilter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateFilter {
    /// Template prefixes always shown (default none).
    pub allow: Vec<String>,
    /// Template prefixes hidden.
    pub deny: Vec<String>,
    /// Template prefixes treated as system contracts.
    pub system_prefixes: Vec<String>,
}

/// `platform.demoReset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoResetConfig {
    /// Whether the demo resets itself (default false).
    pub enabled: bool,
    /// Minutes between resets (default 60).
    pub interval_minutes: u64,
    /// A banner shown before a reset, if any.
    pub message: Option<String>,
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
    /// Where the frontend reaches the oracle.
    pub url: Url,
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
