//! The work each cron tick does.
//!
//! A [`Job`] is a trait object the cron runner ([`crate::schedule`]) calls once per fire with a
//! [`JobContext`]: the service's token source, the ledger client and the fire time. Each ledger
//! request takes its token from the source ([`JobContext::token`]) just before it is sent, so
//! a tick that spans a token's expiry never presents the old one. The runner owns everything
//! around the call (the timeout, cancellation, the `tick_completed` / `tick_failed` events); a
//! job only does its ledger work and says what it did in a [`JobReport`] or why it failed in a
//! [`TickError`] (a token that cannot be had is `TickError::Token`, `token_unavailable`).
//!
//! One file per job; [`Jobs::default`] runs the real ones against the IRSForge world of
//! `crates/ledger-sandbox/WORLD.md`:
//!
//! - [`MarkPublisher`] (`mark_publisher.rs`, as Operator): prices each CSA's netting set and
//!   exercises `PublishMark`; logs `mark_published`.
//! - [`TriggerLifecycle`] (`trigger.rs`, as Scheduler): `TriggerLifecycleByScheduler` on each
//!   swap with a period that has ended; logs `lifecycle_triggered`.
//! - [`SettleNet`] (`settle_net.rs`): `SettleNetByScheduler` on each CSA with an unsettled
//!   call; logs `net_settled`.
//! - [`Mature`] (`mature.rs`): `MatureByScheduler` on each swap past maturity; logs
//!   `instrument_matured`.
//! - [`LedgerProbe`] (`ledger_probe.rs`): one authenticated `POST /v1/query`, for checking the
//!   chain without changing the ledger.
//!
//! Beside them: [`world`] (typed views of the templates, decoded through the LF codec
//! `ledger_types::lf`), `exercise.rs` (exercise with one re-query on a rotated contract id,
//! and the "nothing to do" codes), `tally.rs` (per-contract failure accounting) and
//! `due_swaps.rs` (the loop the `trigger` and `mature` ticks share). The valuation maths is
//! `swap_pricing`, shared with the sandbox's fixings.

mod due_swaps;
mod exercise;
mod ledger_probe;
mod mark_publisher;
mod mature;
mod settle_net;
mod tally;
mod trigger;
pub mod world;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ledger_types::lf::Timestamp;

pub use ledger_probe::{CSA_TEMPLATE_ID, LedgerProbe, SWAP_TEMPLATE_ID};
pub use mark_publisher::MarkPublisher;
pub use mature::Mature;
pub use settle_net::SettleNet;
pub use trigger::TriggerLifecycle;

use crate::error::{TickError, TokenError};
use crate::http::BearerToken;
use crate::ledger::LedgerClient;
use crate::token::TokenHandle;

/// The future a [`TokenSource`] returns.
pub type TokenFuture<'a> =
    Pin<Box<dyn Future<Output = Result<BearerToken, TokenError>> + Send + 'a>>;

/// Where a job's ledger requests take their tokens: the service's [`TokenHandle`], or a fixed
/// [`BearerToken`] (tests, one-off tools).
pub trait TokenSource: Send + Sync {
    /// A token valid now.
    fn token(&self) -> TokenFuture<'_>;
}

impl TokenSource for TokenHandle {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(self.get_token())
    }
}

impl TokenSource for BearerToken {
    fn token(&self) -> TokenFuture<'_> {
        let token = self.clone();
        Box::pin(async move { Ok(token) })
    }
}

/// What a job gets for one tick.
#[derive(Clone, Copy)]
pub struct JobContext<'a> {
    /// The cron's name: `mark-publisher`, `trigger`, `settleNet` or `mature`.
    pub cron: &'a str,
    /// The service account whose tokens these are.
    pub account_id: &'a str,
    /// The service's tokens: take one per ledger request with [`JobContext::token`].
    pub tokens: &'a dyn TokenSource,
    /// The operator's ledger.
    pub ledger: &'a LedgerClient,
    /// The fire time the tick belongs to.
    pub fired_at: DateTime<Utc>,
}

impl std::fmt::Debug for JobContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobContext")
            .field("cron", &self.cron)
            .field("account_id", &self.account_id)
            .field("ledger", &self.ledger.base_url())
            .field("fired_at", &self.fired_at)
            .finish_non_exhaustive()
    }
}

impl JobContext<'_> {
    /// A token for the next ledger request, from the service's handle: call it just before
    /// each request, never once for several.
    pub async fn token(&self) -> Result<BearerToken, TickError> {
        self.tokens.token().await.map_err(TickError::Token)
    }

    /// The fire time as a ledger `Time`: truncated to the microsecond, as the ledger keeps it.
    pub fn ledger_time(&self) -> Result<Timestamp, TickError> {
        Timestamp::from_datetime(self.fired_at)
            .map_err(|error| TickError::Job(format!("the fire time: {error}")))
    }
}

/// What a tick did, for the `tick_completed` event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobReport {
    /// Contracts the job read.
    pub contracts_seen: u64,
    /// Commands it submitted that changed the ledger.
    pub ledger_effects: u64,
}

/// The future a [`Job`] returns.
pub type JobFuture<'a> = Pin<Box<dyn Future<Output = Result<JobReport, TickError>> + Send + 'a>>;

/// The work of one cron. Implementations must be idempotent per fire: a tick may be cut short
/// by its timeout or by shutdown and the next fire runs the job again.
pub trait Job: Send + Sync + 'static {
    /// Does one tick's work.
    fn run<'a>(&'a self, context: JobContext<'a>) -> JobFuture<'a>;
}

/// The job of each cron.
#[derive(Clone)]
pub struct Jobs {
    /// The mark-publisher's cron (acts as Operator).
    pub mark_publisher: Arc<dyn Job>,
    /// `scheduler.cron.trigger` (acts as Scheduler).
    pub trigger: Arc<dyn Job>,
    /// `scheduler.cron.settleNet`.
    pub settle_net: Arc<dyn Job>,
    /// `scheduler.cron.mature`.
    pub mature: Arc<dyn Job>,
}

impl Default for Jobs {
    /// The real jobs: [`MarkPublisher`], [`TriggerLifecycle`], [`SettleNet`], [`Mature`].
    fn default() -> Self {
        Self {
            mark_publisher: Arc::new(MarkPublisher),
            trigger: Arc::new(TriggerLifecycle),
            settle_net: Arc::new(SettleNet),
            mature: Arc::new(Mature),
        }
    }
}

impl Jobs {
    /// Ledger probes only: the mark-publisher queries CSAs, the scheduler's crons query swaps.
    /// Proves tokens and connectivity without changing the ledger.
    pub fn probes() -> Self {
        Self {
            mark_publisher: Arc::new(LedgerProbe::new([CSA_TEMPLATE_ID])),
            trigger: Arc::new(LedgerProbe::new([SWAP_TEMPLATE_ID])),
            settle_net: Arc::new(LedgerProbe::new([CSA_TEMPLATE_ID])),
            mature: Arc::new(LedgerProbe::new([SWAP_TEMPLATE_ID])),
        }
    }
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs").finish_non_exhaustive()
    }
}
