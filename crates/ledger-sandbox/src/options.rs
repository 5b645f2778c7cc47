//! [`SandboxOptions`]: everything the sandbox is configured with, validated once at start.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ledger_types::PartyId;
use service_runtime::clock::{Clock, SystemClock};
use service_runtime::serve::ServeLimits;
use url::Url;

use crate::SandboxError;

/// The namespace fingerprint of the IRSForge sandbox (SHA-256 of `irsforge-sandbox` with the
/// `1220` multihash prefix), so the example configs' party ids match the seeded parties.
pub const DEFAULT_NAMESPACE_FINGERPRINT: &str =
    "12203696af4d665a232458e655f075562034125fc5f34c32555f11e6627ba11fd032";

/// The default ledger id, which is also the participant's name (`docs/ledger-json-api.md` §1.7).
pub const DEFAULT_LEDGER_ID: &str = "sandbox";

/// How the sandbox authenticates bearer tokens, as a Canton participant's `auth-services`.
#[derive(Clone)]
pub enum AuthMode {
    /// `unsafe-jwt-hmac-256`: HS256 with a shared secret (its UTF-8 bytes are the key).
    Hs256 {
        /// The shared secret. Never logged nor shown by `Debug`.
        secret: String,
    },
    /// `jwt-rs-256-jwks`: RS256 with keys fetched from a JWKS URL and cached by `kid`.
    Jwks {
        /// Where the JWKS document (RFC 7517 §5) is served.
        url: Url,
    },
}

impl fmt::Debug for AuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hs256 { .. } => f
                .debug_struct("Hs256")
                .field("secret", &"<redacted>")
                .finish(),
            Self::Jwks { url } => f.debug_struct("Jwks").field("url", &url.as_str()).finish(),
        }
    }
}

/// JWKS fetching and caching (`docs/ledger-json-api.md` §1.7, plus a refetch rate limit).
#[derive(Debug, Clone)]
pub struct JwksOptions {
    /// Minimum time between two JWKS fetches triggered by unknown `kid`s, so a flood of
    /// tokens with bogus `kid`s cannot hammer the auth service. Measured on the injected clock.
    /// Default 5 s.
    pub refetch_interval: Duration,
    /// TCP connect timeout of a fetch. Default 10 s (Canton's).
    pub connect_timeout: Duration,
    /// Total timeout of a fetch. Default 10 s.
    pub total_timeout: Duration,
    /// How long a fetched key set is trusted before a token triggers a refetch. Default 10 h
    /// (Canton's cache expiry).
    pub cache_ttl: Duration,
    /// Largest JWKS document accepted. Default 1 MiB.
    pub max_document_bytes: usize,
}

impl Default for JwksOptions {
    fn default() -> Self {
        Self {
            refetch_interval: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(10),
            cache_ttl: Duration::from_secs(10 * 3600),
            max_document_bytes: 1024 * 1024,
        }
    }
}

/// Configuration of one sandbox instance. Build it with [`SandboxOptions::hs256`] or
/// [`SandboxOptions::jwks`] and adjust the public fields.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Token verification mode.
    pub auth: AuthMode,
    /// The ledger id, also the participant's name and the hint of its admin party. A token's
    /// `ledgerId` must equal it. Default `sandbox`.
    pub ledger_id: String,
    /// When set, a command or query token's `applicationId` must equal it.
    pub application_id: Option<String>,
    /// The namespace fingerprint every allocated party id ends with (`1220` + 64 hex digits).
    pub namespace_fingerprint: String,
    /// Leeway for `exp`, `nbf` and `iat`. Default 0, as on Canton.
    pub leeway: Duration,
    /// The clock for token checks, the JWKS rate limit and ledger time.
    pub clock: Arc<dyn Clock>,
    /// The instant the seeded world's schedules start from; `None` means the clock's time at
    /// start-up.
    pub seed_time: Option<DateTime<Utc>>,
    /// JWKS fetching, used in [`AuthMode::Jwks`].
    pub jwks: JwksOptions,
    /// Largest request body accepted; larger ones get 413. Default 256 KiB.
    pub max_body_bytes: usize,
    /// Longest a request may take before it is answered 408, so shutdown cannot wedge.
    /// Default 30 s.
    pub request_timeout: Duration,
    /// The bounds of the HTTP connections (`service_runtime::serve`): a request head within
    /// 10 s, a keep-alive connection idle at most 60 s, at most 1024 open connections, and
    /// shutdown within 10 s (a request still running then is cut).
    pub connections: ServeLimits,
}

impl SandboxOptions {
    /// Defaults with HS256 verification against `secret`.
    pub fn hs256(secret: impl Into<String>) -> Self {
        Self::with_auth(AuthMode::Hs256 {
            secret: secret.into(),
        })
    }

    /// Defaults with RS256 verification against the JWKS at `url`.
    pub fn jwks(url: Url) -> Self {
        Self::with_auth(AuthMode::Jwks { url })
    }

    fn with_auth(auth: AuthMode) -> Self {
        Self {
            auth,
            ledger_id: DEFAULT_LEDGER_ID.to_owned(),
            application_id: None,
            namespace_fingerprint: DEFAULT_NAMESPACE_FINGERPRINT.to_owned(),
            leeway: Duration::ZERO,
            clock: Arc::new(SystemClock),
            seed_time: None,
            jwks: JwksOptions::default(),
            max_body_bytes: 256 * 1024,
            request_timeout: Duration::from_secs(30),
            connections: ServeLimits::default(),
        }
    }

    /// Checks every field, naming the first unusable one.
    pub(crate) fn validate(&self) -> Result<(), SandboxError> {
        let invalid = |field, reason: String| SandboxError::InvalidOption { field, reason };
        match &self.auth {
            AuthMode::Hs256 { secret } if secret.is_empty() => {
                return Err(invalid("auth", "the HS256 secret is empty".into()));
            }
            AuthMode::Jwks { url } if !matches!(url.scheme(), "http" | "https") => {
                return Err(invalid(
                    "auth",
                    format!("the JWKS URL must be http or https, not `{}`", url.scheme()),
                ));
            }
            _ => {}
        }
        if self.ledger_id.is_empty() {
            return Err(invalid("ledger_id", "is empty".into()));
        }
        // The admin party `<ledger id>::<fingerprint>` must be a valid party id, which checks
        // both the ledger id's characters and the fingerprint's shape.
        if let Err(error) = PartyId::from_parts(&self.ledger_id, &self.namespace_fingerprint) {
            let field = if PartyId::from_parts("x", &self.namespace_fingerprint).is_err() {
                "namespace_fingerprint"
            } else {
                "ledger_id"
            };
            return Err(invalid(field, error.to_string()));
        }
        if self.application_id.as_deref() == Some("") {
            return Err(invalid(
                "application_id",
                "is empty; leave it unset instead".into(),
            ));
        }
        if self.leeway > Duration::from_secs(3600) {
            return Err(invalid("leeway", "is more than an hour".into()));
        }
        if self.max_body_bytes < 1024 {
            return Err(invalid("max_body_bytes", "is below 1024 bytes".into()));
        }
        if self.request_timeout.is_zero() {
            return Err(invalid("request_timeout", "is zero".into()));
        }
        let jwks = &self.jwks;
        if jwks.connect_timeout.is_zero() || jwks.total_timeout.is_zero() {
            return Err(invalid(
                "jwks",
                "the fetch timeouts must be positive".into(),
            ));
        }
        if jwks.cache_ttl.is_zero() {
            return Err(invalid("jwks", "cache_ttl is zero".into()));
        }
        Ok(())
    }

    /// The participant id: `<ledger id>::<fingerprint>`, also the admin party.
    pub(crate) fn participant_id(&self) -> String {
        format!("{}::{}", self.ledger_id, self.namespace_fingerprint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let options = SandboxOptions::hs256("s3cr3t-value");
        let debug = format!("{options:?}");
        assert!(!debug.contains("s3cr3t-value"), "{debug}");
        assert!(debug.contains("<redacted>"));
    }

    #[test]
    fn validation_names_the_bad_field() {
        let field_of = |options: SandboxOptions| match options.validate() {
            Err(SandboxError::InvalidOption { field, .. }) => field,
            other => panic!("expected InvalidOption, got {other:?}"),
        };
        assert_eq!(field_of(SandboxOptions::hs256("")), "auth");
        let mut options = SandboxOptions::hs256("s");
        options.namespace_fingerprint = "1220abc".into();
        assert_eq!(field_of(options), "namespace_fingerprint");
        let mut options = SandboxOptions::hs256("s");
        options.ledger_id = "bad!id".into();
        assert_eq!(field_of(options), "ledger_id");
        let mut options = SandboxOptions::hs256("s");
        options.application_id = Some(String::new());
        assert_eq!(field_of(options), "application_id");
        let options = SandboxOptions::jwks(Url::parse("ftp://x/jwks").unwrap());
        assert_eq!(field_of(options), "auth");
        assert!(SandboxOptions::hs256("s").validate().is_ok());
    }
}
