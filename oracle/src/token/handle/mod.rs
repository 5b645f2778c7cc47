//! [`TokenHandle`]: the token a service holds, kept fresh in the background.
//!
//! One handle per service account. Its state (the held token, the failure count, when the next
//! attempt is allowed) sits behind a `std::sync::Mutex` that is never held across an `.await`;
//! requests themselves are serialised by an async lock, so concurrent callers of
//! [`TokenHandle::get_token`] share one in-flight request instead of each sending their own:
//! whoever gets the lock second finds either the fresh token or the closed backoff gate.
//!
//! The background task that refreshes and recovers is `refresher.rs`, a child module working
//! on the handle's private state. Time is tokio's [`Instant`], so tests drive expiry, refresh
//! and backoff with a paused clock. A token's JWT `exp` is wall-clock time: it is converted
//! once, when the token arrives, by reading the injected [`Clock`] at the instant the request
//! was sent (`response::effective_lifetime`).

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use service_runtime::clock::Clock;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

mod refresher;

use super::env_override::EnvToken;
use super::policy::RefreshPolicy;
use super::status::Counters;
pub use super::status::{TokenSourceKind, TokenStats, TokenStatus};
use super::{BearerToken, FetchedToken, TokenFetcher};
use crate::error::{FailureReason, TokenError};

/// The token of one service account. Cheap to clone; every clone shares the same token and
/// background task. Dropping the last clone, or [`TokenHandle::stop`], cancels it.
#[derive(Clone)]
pub struct TokenHandle {
    inner: Arc<Inner>,
}

struct Inner {
    account_id: String,
    source: Source,
    cancel: CancellationToken,
    tracker: TaskTracker,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

enum Source {
    Environment(EnvToken),
    Fetched(Arc<FetchingSource>),
}

impl TokenHandle {
    /// A handle that hands out a token from the environment verbatim; refuses one whose JWT
    /// `exp` has already passed.
    pub fn from_env(account_id: &str, found: EnvToken) -> Result<Self, TokenError> {
        let handle = Self {
            inner: Arc::new(Inner {
                account_id: account_id.to_owned(),
                source: Source::Environment(found),
                cancel: CancellationToken::new(),
                tracker: TaskTracker::new(),
            }),
        };
        if let Err(error) = handle.env_token() {
            super::log_acquire_failed(account_id, &error);
            return Err(error);
        }
        Ok(handle)
    }

    /// Fetches the first token with `fetcher` and starts the background refresher. Fails, after
    /// logging `service_token_acquire_failed`, when the first fetch fails. `clock` is the wall
    /// clock a token's JWT `exp` is compared with (`SystemClock` outside tests).
    pub async fn start(
        account_id: &str,
        fetcher: Arc<dyn TokenFetcher>,
        policy: RefreshPolicy,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, TokenError> {
        let cancel = CancellationToken::new();
        let policy = policy.normalized();
        let rng = match policy.jitter_seed {
            Some(seed) => fastrand::Rng::with_seed(seed),
            None => fastrand::Rng::new(),
        };
        let shared = Arc::new(FetchingSource {
            account_id: account_id.to_owned(),
            kind: fetcher.kind(),
            fetcher,
            policy,
            clock,
            state: Mutex::new(FetchState {
                current: None,
                failures: 0,
                last_attempt_ended: None,
                next_allowed: None,
                last_error: None,
                rng,
            }),
            attempt_lock: tokio::sync::Mutex::new(()),
            generation: watch::Sender::new(0),
            counters: Counters::default(),
            cancel: cancel.clone(),
        });
        {
            let _guard = shared.attempt_lock.lock().await;
            shared.attempt(FetchPurpose::Initial).await?;
        }
        let tracker = TaskTracker::new();
        tracker.spawn(refresher::run(shared.clone()));
        Ok(Self {
            inner: Arc::new(Inner {
                account_id: account_id.to_owned(),
                source: Source::Fetched(shared),
                cancel,
                tracker,
            }),
        })
    }

    /// The account this handle serves.
    pub fn account_id(&self) -> &str {
        &self.inner.account_id
    }

    /// A valid token: the held one while it is within its life (minus the safety margin);
    /// otherwise one fresh attempt, shared with concurrent callers and allowed only when the
    /// backoff has elapsed. Never returns an expired token; never waits longer than one request.
    pub async fn get_token(&self) -> Result<BearerToken, TokenError> {
        if self.inner.cancel.is_cancelled() {
            return Err(TokenError::Stopped);
        }
        match &self.inner.source {
            Source::Environment(_) => self.env_token(),
            Source::Fetched(shared) => shared.get_token().await,
        }
    }

    /// Cancels the background refresher and any request in flight, and waits for them to end.
    /// Later calls to [`Self::get_token`] fail with [`TokenError::Stopped`].
    pub async fn stop(&self) {
        self.inner.cancel.cancel();
        self.inner.tracker.close();
        self.inner.tracker.wait().await;
    }

    /// The held token's age and remaining life, without the token.
    pub fn status(&self) -> TokenStatus {
        let account_id = self.inner.account_id.clone();
        match &self.inner.source {
            Source::Environment(found) => {
                let remaining = found
                    .expires_at_unix
                    .map(|exp| Duration::from_secs(u64::try_from(exp - unix_now()).unwrap_or(0)));
                TokenStatus {
                    account_id,
                    source: TokenSourceKind::Environment,
                    age: None,
                    remaining,
                    usable: !self.inner.cancel.is_cancelled() && self.env_token().is_ok(),
                }
            }
            Source::Fetched(shared) => {
                let now = Instant::now();
                let held = shared.lock_state().current.clone();
                TokenStatus {
                    account_id,
                    source: shared.kind,
                    age: held
                        .as_ref()
                        .map(|held| now.saturating_duration_since(held.obtained)),
                    remaining: held
                        .as_ref()
                        .map(|held| held.expires_at().saturating_duration_since(now)),
                    usable: !self.inner.cancel.is_cancelled()
                        && held.is_some_and(|held| now < held.usable_until(&shared.policy)),
                }
            }
        }
    }

    /// Counters since start.
    pub fn stats(&self) -> TokenStats {
        match &self.inner.source {
            Source::Environment(_) => TokenStats::default(),
            Source::Fetched(shared) => shared.counters.snapshot(),
        }
    }

    fn env_token(&self) -> Result<BearerToken, TokenError> {
        let Source::Environment(found) = &self.inner.source else {
            unreachable!("only called for environment tokens");
        };
        // A one-second margin, as for fetched tokens: the ledger's default leeway is zero.
        match found.expires_at_unix {
            Some(exp) if unix_now() + 1 >= exp => Err(TokenError::EnvTokenExpired {
                variable: found.variable.clone(),
                expired_ago_secs: u64::try_from(unix_now() - exp).unwrap_or(0),
            }),
            _ => Ok(found.token.clone()),
        }
    }
}

impl fmt::Debug for TokenHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.status();
        f.debug_struct("TokenHandle")
            .field("account_id", &status.account_id)
            .field("source", &status.source)
            .field("usable", &status.usable)
            .finish_non_exhaustive()
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// What a fetch is for; decides which event it logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FetchPurpose {
    /// The first token, fetched before the handle is returned.
    Initial,
    /// The scheduled refresh at 80 % (1) or its retry at 90 % (2).
    Refresh(u8),
    /// A fresh token after the held one went past use: by the refresher or a caller.
    Recovery,
}

/// A token the handle holds.
#[derive(Clone)]
struct Held {
    token: BearerToken,
    /// When the request that obtained it was sent.
    obtained: Instant,
    /// From `obtained`: the earlier of `expires_in` and the token's own `exp`.
    lifetime: Duration,
    generation: u64,
}

impl Held {
    fn expires_at(&self) -> Instant {
        self.obtained + self.lifetime
    }

    /// The end of the token's use: its expiry minus the safety margin.
    fn usable_until(&self, policy: &RefreshPolicy) -> Instant {
        self.expires_at() - policy.safety_margin(self.lifetime)
    }
}

/// What a [`FetchingSource`] knows between requests.
struct FetchState {
    current: Option<Held>,
    failures: u32,
    last_attempt_ended: Option<Instant>,
    next_allowed: Option<Instant>,
    last_error: Option<TokenError>,
    rng: fastrand::Rng,
}

/// The token source of a handle fed by a [`TokenFetcher`]: the held token, the request lock
/// and the backoff state, shared by callers of `get_token` and the background task in
/// `refresher.rs` (a child module, so these stay private to the handle).
struct FetchingSource {
    account_id: String,
    kind: TokenSourceKind,
    fetcher: Arc<dyn TokenFetcher>,
    policy: RefreshPolicy,
    /// The wall clock JWT `exp` is read against.
    clock: Arc<dyn Clock>,
    state: Mutex<FetchState>,
    /// Serialises requests: at most one in flight per account.
    attempt_lock: tokio::sync::Mutex<()>,
    /// Bumped whenever a new token is held; the refresher watches it.
    generation: watch::Sender<u64>,
    counters: Counters,
    cancel: CancellationToken,
}

impl FetchingSource {
    fn lock_state(&self) -> MutexGuard<'_, FetchState> {
        // The state stays consistent even if a holder panicked: every update is one assignment.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The held token, whatever its age.
    fn current(&self) -> Option<Held> {
        self.lock_state().current.clone()
    }

    /// The held token if it may still be handed out at `now`.
    fn usable(&self, now: Instant) -> Option<Held> {
        self.current()
            .filter(|held| now < held.usable_until(&self.policy))
    }

    /// When the backoff (or the request spacing) allows the next attempt, if not yet.
    fn gate(&self, now: Instant) -> Option<Instant> {
        let next_allowed = self.lock_state().next_allowed;
        let allowed = next_allowed.into_iter().chain(self.spacing_floor()).max()?;
        (allowed > now).then_some(allowed)
    }

    /// The earliest instant another request may be sent, ignoring the backoff: the spacing
    /// after the end of the last request.
    fn spacing_floor(&self) -> Option<Instant> {
        self.last_attempt_ended()
            .map(|ended| ended + self.policy.min_request_spacing)
    }

    /// When the last request ended.
    fn last_attempt_ended(&self) -> Option<Instant> {
        self.lock_state().last_attempt_ended
    }

    async fn get_token(&self) -> Result<BearerToken, TokenError> {
        if let Some(held) = self.usable(Instant::now()) {
            return Ok(held.token);
        }
        let _guard = tokio::select! {
            biased;
            () = self.cancel.cancelled() => return Err(TokenError::Stopped),
            guard = self.attempt_lock.lock() => guard,
        };
        let now = Instant::now();
        if let Some(held) = self.usable(now) {
            return Ok(held.token);
        }
        if let Some(allowed) = self.gate(now) {
            let last = self
                .lock_state()
                .last_error
                .clone()
                .unwrap_or(TokenError::Network {
                    endpoint: format!("the {} token source", self.kind.as_str()),
                    detail: "requests are spaced at least one second apart".into(),
                    retry_after: None,
                });
            return Err(TokenError::Unavailable {
                retry_in: allowed - now,
                last: Box::new(last),
            });
        }
        self.attempt(FetchPurpose::Recovery)
            .await
            .map(|held| held.token)
    }

    /// Sends one request and records its outcome. The caller holds `attempt_lock`.
    async fn attempt(&self, purpose: FetchPurpose) -> Result<Held, TokenError> {
        let started = Instant::now();
        let sent = self.clock.now();
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let timeout = self.policy.attempt_timeout;
        let outcome = tokio::select! {
            biased;
            () = self.cancel.cancelled() => return Err(TokenError::Stopped),
            outcome = tokio::time::timeout(timeout, self.fetcher.fetch()) => {
                outcome.unwrap_or_else(|_| Err(TokenError::Network {
                    endpoint: format!("the {} token source", self.kind.as_str()),
                    detail: format!("no answer within {} ms", timeout.as_millis()),
                    retry_after: None,
                }))
            }
        };
        let ended = Instant::now();
        self.lock_state().last_attempt_ended = Some(ended);
        // The token's own exp may end its life before expires_in does.
        let outcome = outcome.and_then(|fetched| {
            let lifetime =
                super::response::effective_lifetime(fetched.token.expose(), fetched.lifetime, sent)
                    .map_err(|detail| TokenError::MalformedResponse {
                        endpoint: self.fetcher.endpoint(),
                        detail,
                    })?;
            Ok((fetched, lifetime))
        });
        match outcome {
            Ok((fetched, lifetime)) => Ok(self.record_success(purpose, started, fetched, lifetime)),
            Err(TokenError::Stopped) => Err(TokenError::Stopped),
            Err(error) => {
                self.record_failure(purpose, started, ended, &error);
                Err(error)
            }
        }
    }

    fn record_success(
        &self,
        purpose: FetchPurpose,
        started: Instant,
        fetched: FetchedToken,
        lifetime: Duration,
    ) -> Held {
        let generation = *self.generation.borrow() + 1;
        let held = Held {
            token: fetched.token,
            obtained: started,
            lifetime,
            generation,
        };
        {
            let mut state = self.lock_state();
            state.current = Some(held.clone());
            state.failures = 0;
            state.next_allowed = None;
            state.last_error = None;
        }
        self.generation.send_replace(generation);
        let expires_in = fetched.lifetime.as_secs();
        let clamped_from = fetched.clamped_from;
        let account = self.account_id.as_str();
        let source = self.kind.as_str();
        match purpose {
            FetchPurpose::Refresh(_) => {
                self.counters.refreshed.fetch_add(1, Ordering::Relaxed);
                tracing::info!(
                    event = "service_token_refreshed",
                    accountId = %account,
                    source,
                    expiresIn = expires_in,
                    clampedFrom = clamped_from,
                    "service token refreshed"
                );
            }
            FetchPurpose::Initial | FetchPurpose::Recovery => {
                self.counters.acquired.fetch_add(1, Ordering::Relaxed);
                tracing::info!(
                    event = "service_token_acquired",
                    accountId = %account,
                    source,
                    expiresIn = expires_in,
                    clampedFrom = clamped_from,
                    recovered = purpose == FetchPurpose::Recovery,
                    "service token acquired"
                );
            }
        }
        held
    }

    fn record_failure(
        &self,
        purpose: FetchPurpose,
        started: Instant,
        ended: Instant,
        error: &TokenError,
    ) {
        let reason = error.reason();
        let (retry_in, held) = {
            let mut state = self.lock_state();
            state.failures = state.failures.saturating_add(1);
            let unit = state.rng.f64();
            let next = self.policy.next_attempt_after_failure(
                started,
                ended,
                state.failures,
                reason,
                error.retry_after(),
                unit,
            );
            state.next_allowed = Some(next);
            state.last_error = Some(error.clone());
            (next.saturating_duration_since(ended), state.current.clone())
        };
        *self
            .counters
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(reason.as_str())
            .or_default() += 1;
        let account = self.account_id.as_str();
        match purpose {
            FetchPurpose::Refresh(number) => {
                let fatal = reason == FailureReason::InvalidClient;
                let will_retry = number == 1
                    && !fatal
                    && held.as_ref().is_some_and(|held| {
                        self.policy
                            .refresh_retry_at(
                                held.obtained,
                                held.lifetime,
                                ended,
                                error.retry_after(),
                            )
                            .is_some()
                    });
                let expires_in_ms = held.map(|held| {
                    held.expires_at()
                        .saturating_duration_since(ended)
                        .as_millis() as u64
                });
                tracing::warn!(
                    event = "service_token_refresh_failed",
                    accountId = %account,
                    reason = %reason,
                    attempt = number,
                    willRetry = will_retry,
                    tokenExpiresInMs = expires_in_ms,
                    error = %error,
                    "service token refresh failed"
                );
            }
            FetchPurpose::Initial => super::log_acquire_failed(account, error),
            FetchPurpose::Recovery => {
                tracing::error!(
                    event = "service_token_acquire_failed",
                    accountId = %account,
                    reason = %reason,
                    nextAttemptInMs = retry_in.as_millis() as u64,
                    error = %error,
                    "service token could not be acquired"
                );
            }
        }
    }
}
