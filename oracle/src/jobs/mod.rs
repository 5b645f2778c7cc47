//! The work each cron tick does.
//!
//! A [`Job`] is a trait object the cron runner ([`crate::schedule`]) calls once per fire with a
//! [`JobContext`]: the token it took from the service's handle for this tick, the ledger client
//! and the fire time. The runner owns everything around the call (the token, the timeout,
//! cancellation, the `tick_completed` / `tick_failed` events); a job only does its ledger work
//! and says what it did in a [`JobReport`] or why it failed in a [`TickError`].
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

use crate::error::TickError;
use crate::http::BearerToken;
use crate::ledger::LedgerClient;

/// What a job gets for one tick.
#[derive(Debug, Clone, Copy)]
pub struct JobContext<'a> {
    /// The cron's name: `mark-publisher`, `trigger`, `settleNet` or `mature`.
    pub cron: &'a str,
    /// The service account whose token this is.
    pub account_id: &'a str,
    /// A token valid at the start of the tick.
    pub token: &'a BearerToken,
    /// The operator's ledger.
    pub ledger: &'a LedgerClient,
    /// The fire time the tick belongs to.
    pub fired_at: DateTime<Utc>,
}

impl JobContext<'_> {
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
