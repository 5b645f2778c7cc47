//! Service tokens: the three-branch resolver and the self-healing handle.
//!
//! [`resolve_service_token`] picks the first branch that applies:
//!
//! 1. [`env_override`]: `SERVICE_TOKEN_<ID>` (or, for mark-publisher only, the legacy
//!    `OPERATOR_TOKEN`) is used verbatim and never refreshed.
//! 2. [`demo`]: with `auth.provider: demo` the oracle signs its own HS256 tokens after looking
//!    its party up on the ledger with an admin bootstrap token.
//! 3. [`client_credentials`]: with `builtin` or `oidc` it asks the auth service (RFC 6749 §4.4).
//!
//! Branches 2 and 3 are [`TokenFetcher`]s driven by the same [`TokenHandle`] machinery
//! ([`handle`] with its background task in `handle/refresher.rs`, and [`policy`]): the first
//! token is fetched before the handle is returned (so boot fails loudly), refreshed at 80 % of
//! its life, retried once at 90 %, then recovered with capped, jittered backoff. A token's life
//! ends at the earlier of send time + `expires_in` and its own JWT `exp`; `get_token()` never
//! hands out a token within a safety margin (at least 1 s) of that.
//!
//! The token text is a [`BearerToken`] (from the leaf module `http`, which the ledger client
//! shares), whose `Debug` is redacted and which has no `Display`, so it cannot reach a log line
//! by accident.

pub mod client_credentials;
pub mod demo;
pub mod env_override;
pub mod handle;
pub mod policy;
pub mod response;
mod status;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use service_runtime::clock::{Clock, SystemClock};
use shared_config::{AuthProvider, Config, EnvSource};

pub use crate::http::BearerToken;
pub use client_credentials::ClientCredentialsFetcher;
pub use demo::DemoTokenMinter;
pub use handle::{TokenHandle, TokenSourceKind, TokenStats, TokenStatus};
pub use policy::RefreshPolicy;

use crate::error::TokenError;

/// A token as a [`TokenFetcher`] obtained it.
#[derive(Debug, Clone)]
pub struct FetchedToken {
    /// The token.
    pub token: BearerToken,
    /// How long it is valid from the moment the request was sent, already bounded by
    /// [`response::MIN_LIFETIME`] and [`response::MAX_LIFETIME`].
    pub lifetime: Duration,
    /// The lifetime the server reported, when it was out of range and [`Self::lifetime`] is a
    /// clamped value.
    pub clamped_from: Option<u64>,
}

/// The future a [`TokenFetcher`] returns.
pub type FetchFuture<'a> =
    Pin<Box<dyn Future<Output = Result<FetchedToken, TokenError>> + Send + 'a>>;

/// One way of obtaining a fresh token: the demo HS256 minter, the OAuth2 client, or a test's
/// scripted stand-in. A fetcher makes exactly one attempt per call and never retries by itself;
/// when and how often to call it is the [`TokenHandle`]'s business.
pub trait TokenFetcher: Send + Sync + 'static {
    /// Obtains one token.
    fn fetch(&self) -> FetchFuture<'_>;

    /// Which branch this fetcher implements, for logs and status.
    fn kind(&self) -> TokenSourceKind;

    /// Where tokens come from, for error messages: the token endpoint's URL, or a description.
    fn endpoint(&self) -> String {
        format!("the {} token source", self.kind().as_str())
    }
}

/// Resolves the token source for a service account (the first branch that applies) and
/// returns a running handle
/// holding its first token.
///
/// The environment is read once, here, through `env`: tests pass a
/// [`shared_config::MapEnv`]; the binary passes [`shared_config::ProcessEnv`]. With the demo and
/// client-credentials branches the first token is fetched before this returns, so an
/// unreachable endpoint or a refused secret fails here; the failure has already been logged as
/// `service_token_acquire_failed`.
pub async fn resolve_service_token(
    account_id: &str,
    config: &Config,
    env: &dyn EnvSource,
) -> Result<TokenHandle, TokenError> {
    resolve_with_policy(
        account_id,
        config,
        env,
        RefreshPolicy::from_config(config),
        Arc::new(SystemClock),
    )
    .await
}

/// [`resolve_service_token`] with an explicit refresh policy (tests and benchmarks shorten the
/// backoff or turn the jitter off) and wall clock (which a token's JWT `exp` is read against).
pub async fn resolve_with_policy(
    account_id: &str,
    config: &Config,
    env: &dyn EnvSource,
    policy: RefreshPolicy,
    clock: Arc<dyn Clock>,
) -> Result<TokenHandle, TokenError> {
    if let Some(found) = env_override::find(account_id, env) {
        tracing::info!(
            event = "service_token_env_override",
            accountId = %account_id,
            variable = %found.variable,
            "service token taken from the environment"
        );
        return TokenHandle::from_env(account_id, found);
    }
    let fetcher: Result<Arc<dyn TokenFetcher>, TokenError> = match config.auth.provider() {
        AuthProvider::Demo => DemoTokenMinter::from_config(account_id, config)
            .map(|minter| Arc::new(minter) as Arc<dyn TokenFetcher>),
        AuthProvider::Builtin | AuthProvider::Oidc => {
            ClientCredentialsFetcher::from_config(account_id, config, env)
                .map(|fetcher| Arc::new(fetcher) as Arc<dyn TokenFetcher>)
        }
    };
    match fetcher {
        Ok(fetcher) => TokenHandle::start(account_id, fetcher, policy, clock).await,
        Err(error) => {
            log_acquire_failed(account_id, &error);
            Err(error)
        }
    }
}

/// Resolves the account's token source, takes one token and stops the handle: what
/// `irsforge-oracle token <account-id>` prints.
pub async fn token_once(
    account_id: &str,
    config: &Config,
    env: &dyn EnvSource,
) -> Result<BearerToken, TokenError> {
    let handle = resolve_service_token(account_id, config, env).await?;
    let token = handle.get_token().await;
    handle.stop().await;
    token
}

/// Logs a failure that happened before any request could be made (a missing secret, an
/// undeclared account) the way a failed acquisition is logged, so boot failures always carry
/// `service_token_acquire_failed`.
pub(crate) fn log_acquire_failed(account_id: &str, error: &TokenError) {
    tracing::error!(
        event = "service_token_acquire_failed",
        accountId = %account_id,
        reason = %error.reason(),
        error = %error,
        "service token could not be acquired"
    );
}
