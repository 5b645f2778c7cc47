//! A [`TokenFetcher`] whose every answer a test scripts as a function of (paused) time, and
//! which remembers every request and every token it issued.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oracle::TokenError;
use oracle::token::{
    BearerToken, FetchFuture, FetchedToken, RefreshPolicy, TokenFetcher, TokenHandle,
    TokenSourceKind,
};
use tokio::time::Instant;

/// What the fetcher does for one request.
#[derive(Clone)]
pub(crate) enum Step {
    /// Issue a token living this many seconds.
    Token(u64),
    /// Fail.
    Fail(TokenError),
    /// Never answer.
    Hang,
    /// Answer after a delay.
    Slow(Duration, u64),
}

type Plan = Box<dyn FnMut(Duration) -> Step + Send>;

pub(crate) struct ScriptedFetcher {
    origin: Instant,
    plan: Mutex<Plan>,
    requests: Mutex<Vec<Duration>>,
    issued: Mutex<HashMap<String, Instant>>,
}

impl ScriptedFetcher {
    /// A fetcher whose answer to a request `elapsed` after now is `plan(elapsed)`.
    pub(crate) fn new(plan: impl FnMut(Duration) -> Step + Send + 'static) -> Arc<Self> {
        Arc::new(Self {
            origin: Instant::now(),
            plan: Mutex::new(Box::new(plan)),
            requests: Mutex::new(Vec::new()),
            issued: Mutex::new(HashMap::new()),
        })
    }

    /// Starts a handle on this fetcher.
    pub(crate) async fn start(
        self: &Arc<Self>,
        policy: RefreshPolicy,
    ) -> Result<TokenHandle, TokenError> {
        TokenHandle::start(
            "mark-publisher",
            self.clone() as Arc<dyn TokenFetcher>,
            policy,
            // The scripted tokens are opaque: no `exp` to read against the clock.
            Arc::new(service_runtime::clock::SystemClock),
        )
        .await
    }

    /// When each request was sent, in seconds since the fetcher was made.
    pub(crate) fn request_times(&self) -> Vec<f64> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(Duration::as_secs_f64)
            .collect()
    }

    pub(crate) fn elapsed(&self) -> Duration {
        Instant::now() - self.origin
    }

    /// When a token this fetcher issued expires.
    pub(crate) fn expires_at(&self, token: &str) -> Option<Instant> {
        self.issued.lock().unwrap().get(token).copied()
    }

    /// Panics unless the token is one this fetcher issued and it has not expired.
    pub(crate) fn assert_unexpired(&self, token: &BearerToken) {
        let expires = *self
            .issued
            .lock()
            .unwrap()
            .get(token.expose())
            .expect("a token this fetcher issued");
        assert!(
            Instant::now() < expires,
            "an expired token was handed out at {:?}",
            self.elapsed()
        );
    }

    async fn answer(&self) -> Result<FetchedToken, TokenError> {
        let elapsed = self.elapsed();
        self.requests.lock().unwrap().push(elapsed);
        let step = (self.plan.lock().unwrap())(elapsed);
        let lifetime = match step {
            Step::Token(seconds) => seconds,
            Step::Fail(error) => return Err(error),
            Step::Hang => std::future::pending().await,
            Step::Slow(delay, seconds) => {
                tokio::time::sleep(delay).await;
                seconds
            }
        };
        let mut issued = self.issued.lock().unwrap();
        let token = format!("tok-{}", issued.len() + 1);
        issued.insert(
            token.clone(),
            Instant::now() + Duration::from_secs(lifetime),
        );
        Ok(FetchedToken {
            token: BearerToken::new(token),
            lifetime: Duration::from_secs(lifetime),
            clamped_from: None,
        })
    }
}

impl TokenFetcher for ScriptedFetcher {
    fn fetch(&self) -> FetchFuture<'_> {
        Box::pin(self.answer())
    }

    fn kind(&self) -> TokenSourceKind {
        TokenSourceKind::ClientCredentials
    }
}

pub(crate) fn network() -> TokenError {
    TokenError::Network {
        endpoint: "http://auth.test/auth/oauth/token".into(),
        detail: "HTTP 503".into(),
        retry_after: None,
    }
}

pub(crate) fn invalid_client() -> TokenError {
    TokenError::InvalidClient {
        endpoint: "http://auth.test/auth/oauth/token".into(),
        description: None,
    }
}

/// `Token(ttl)` except during `[from, to)` seconds, when `failure`.
pub(crate) fn outage(
    ttl: u64,
    from: f64,
    to: f64,
    failure: TokenError,
) -> impl FnMut(Duration) -> Step + Send + 'static {
    move |elapsed| {
        let at = elapsed.as_secs_f64();
        if at >= from && at < to {
            Step::Fail(failure.clone())
        } else {
            Step::Token(ttl)
        }
    }
}
