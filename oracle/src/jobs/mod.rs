//! The work each cron tick does.
//!
//! A [`Job`] is a trait object the cron runner ([`crate::schedule`]) calls once per fire with a
//! [`JobContext`]: the token it took from the service's handle for this tick, the ledger client
//! and the fire time. The runner owns everything around the call (the token, the timeout,
//! cancellation, the `tick_completed` / `tick_failed` events); a job only does its ledger work
//! and says what it did in a [`JobReport`] or why it failed in a [`TickError`].
//!
//! One file per job. For now every cron runs a [`LedgerProbe`]: one authenticated
//! `POST /v1/query`. The real jobs (mark publishing, the `*ByScheduler` choices) replace the
//! probes in [`Jobs`] without touching the runner.

mod ledger_probe;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use ledger_probe::{CSA_TEMPLATE_ID, LedgerProbe, SWAP_TEMPLATE_ID};

use crate::error::TickError;
use crate::ledger::LedgerClient;
use crate::token::BearerToken;

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
    /// Ledger probes: the mark-publisher queries CSAs, the scheduler's crons query swaps.
    fn default() -> Self {
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
