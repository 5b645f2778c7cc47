//! Runs one fault scenario under the paused clock and records what happened, per account.
//!
//! Both service accounts get a real [`TokenHandle`] over the real client-credentials fetcher,
//! against one scripted endpoint; a caller per account asks for a token every 250 ms, as a
//! busy cron would, and every token it gets is checked against the expiry the endpoint issued
//! it with. A thin wrapper in front of the fetcher records when each request starts, so
//! requests that never reach the endpoint (a closed port) are counted too.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::DateTime;
use oracle::TokenError;
use oracle::token::{
    ClientCredentialsFetcher, FetchFuture, RefreshPolicy, TokenFetcher, TokenHandle,
    TokenSourceKind, TokenStats, TokenStatus,
};
use service_runtime::clock::{Clock, TokioClock};
use tokio::time::{Instant, sleep_until};

use crate::support::fake_auth::FakeAuth;
use crate::support::fault_scenarios::{
    CLIENT_TIMEOUT, FAULT_END, FAULT_START, Fault, Figures, RUN_END, Use,
};
use crate::support::{builtin_config, secrets};

/// The service accounts of the builtin example.
const ACCOUNTS: [&str; 2] = ["mark-publisher", "scheduler"];
/// How often each caller asks for a token.
const ASK_EVERY: Duration = Duration::from_millis(250);
/// No ledger is called: the callers only take tokens.
const NO_LEDGER: &str = "http://127.0.0.1:9";

/// What one account saw during a run; times are from the start of the run.
pub(crate) struct Account {
    pub(crate) id: &'static str,
    /// When each request started, as the client sent it.
    pub(crate) requests: Vec<Duration>,
    /// Every token handed to the caller.
    pub(crate) uses: Vec<Use>,
    /// Every refusal the caller got.
    pub(crate) refusals: Vec<(Duration, TokenError)>,
    pub(crate) stats: TokenStats,
    pub(crate) status_at_end: TokenStatus,
    pub(crate) figures: Figures,
}

impl Account {
    /// The failures behind the refusals during the fault: the last error a refusal reports.
    pub(crate) fn fault_errors(&self) -> Vec<&TokenError> {
        self.refusals
            .iter()
            .filter(|(at, _)| (FAULT_START..FAULT_END).contains(at))
            .map(|(_, error)| match error {
                TokenError::Unavailable { last, .. } => last.as_ref(),
                other => other,
            })
            .collect()
    }

    /// Pairs of consecutive request starts where the first was sent during the fault.
    pub(crate) fn gaps_after_fault_requests(&self) -> Vec<(Duration, Duration)> {
        self.requests
            .windows(2)
            .filter(|pair| (FAULT_START..FAULT_END).contains(&pair[0]))
            .map(|pair| (pair[0], pair[1] - pair[0]))
            .collect()
    }
}

/// One scenario's run.
pub(crate) struct Observed {
    pub(crate) fault: Fault,
    pub(crate) accounts: Vec<Account>,
    pub(crate) auth: Arc<FakeAuth>,
    pub(crate) origin: Instant,
}

/// Runs `fault` over the whole timeline. Call under a paused clock.
pub(crate) async fn run(fault: Fault) -> Observed {
    let origin = Instant::now();
    // One wall clock for the endpoint's `iat`/`exp` and the handles that read them, moving with
    // the paused clock, started a fraction into a second so whole-second stamps round down.
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(
        DateTime::from_timestamp(1_800_000_000, 300_000_000).unwrap(),
    ));
    let auth = Arc::new(FakeAuth::start(move |request| fault.reply_at(request.at - origin)).await);
    auth.set_clock(clock.clone());
    let config = builtin_config(&auth.base_url, NO_LEDGER);
    assert_eq!(config.oracle.fetch_timeout(), CLIENT_TIMEOUT);
    if fault == Fault::PortClosed {
        let auth = auth.clone();
        tokio::spawn(async move {
            sleep_until(origin + FAULT_START).await;
            auth.close().await;
            sleep_until(origin + FAULT_END).await;
            auth.reopen().await;
        });
    }
    let mut callers = Vec::new();
    for (seed, id) in (1..).zip(ACCOUNTS) {
        let fetcher = Arc::new(Recording {
            inner: ClientCredentialsFetcher::from_config(id, &config, &secrets()).unwrap(),
            origin,
            starts: Mutex::new(Vec::new()),
        });
        let policy = RefreshPolicy {
            jitter_seed: Some(seed),
            ..RefreshPolicy::from_config(&config)
        };
        let handle = TokenHandle::start(id, fetcher.clone(), policy, clock.clone())
            .await
            .unwrap_or_else(|error| panic!("{fault:?} {id}: the first token: {error}"));
        callers.push(tokio::spawn(ask_until_the_end(
            id,
            handle,
            fetcher,
            auth.clone(),
            origin,
        )));
    }
    let mut accounts = Vec::new();
    for caller in callers {
        accounts.push(caller.await.unwrap());
    }
    Observed {
        fault,
        accounts,
        auth,
        origin,
    }
}

async fn ask_until_the_end(
    id: &'static str,
    handle: TokenHandle,
    fetcher: Arc<Recording>,
    auth: Arc<FakeAuth>,
    origin: Instant,
) -> Account {
    let (mut uses, mut refusals) = (Vec::new(), Vec::new());
    let mut next = origin;
    while next < origin + RUN_END {
        sleep_until(next).await;
        let outcome = handle.get_token().await;
        // A caller may have waited for an attempt in flight: the token is used now.
        let at = Instant::now() - origin;
        match outcome {
            Ok(token) => uses.push(Use {
                at,
                expires: auth
                    .issued(token.expose())
                    .map(|(_, expires)| expires - origin),
            }),
            Err(error) => refusals.push((at, error)),
        }
        next += ASK_EVERY;
    }
    let status_at_end = handle.status();
    let stats = handle.stats();
    handle.stop().await;
    let requests = fetcher.starts.lock().unwrap().clone();
    let figures = Figures::measure(&requests, &uses);
    Account {
        id,
        requests,
        uses,
        refusals,
        stats,
        status_at_end,
        figures,
    }
}

/// The real fetcher, with the start of each request recorded.
struct Recording {
    inner: ClientCredentialsFetcher,
    origin: Instant,
    starts: Mutex<Vec<Duration>>,
}

impl TokenFetcher for Recording {
    fn fetch(&self) -> FetchFuture<'_> {
        self.starts
            .lock()
            .unwrap()
            .push(Instant::now() - self.origin);
        self.inner.fetch()
    }

    fn kind(&self) -> TokenSourceKind {
        self.inner.kind()
    }
}
