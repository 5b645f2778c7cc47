//! The cron runner: fire a [`Job`] on a 6-field schedule until cancelled.
//!
//! Each [`CronTask`] loops: compute the next fire time after the last one (in UTC, from its
//! `Clock`), `select!` between sleeping until then and cancellation, run the tick under
//! [`CronTask::tick_timeout`] (the job takes a token from the service's handle before each
//! ledger request it sends), log `tick_completed` or `tick_failed` (cron, reason), and loop. A
//! failing tick never ends the loop: the next fire tries again.
//!
//! Missed-tick policy: **skip**. When a tick overruns later fires (or the process was stalled
//! or suspended), those fires are not caught up; the runner logs `ticks_missed` with their
//! count and waits for the next fire after now. Catching up would replay stale work (marks for
//! an hour already past) in a burst against a ledger that may be the reason for the delay.
//! At start the runner waits for the first fire after now; it does not fire immediately.
//!
//! Leadership: with a leader lease ([`crate::lease`]), [`CronTask::run_led`] fires only while
//! [`Leadership::acting`] says this replica certainly holds the lease: a fire on a standby is
//! skipped (`tick_skipped`, debug), and a tick runs under [`Leadership::guard`], which checks
//! again before every step and cuts the tick (`tick_failed` reason `leadership_lost`) the
//! moment the lease's certain validity ends.
//!
//! Time: the schedule is wall-clock (UTC); the runner reads the clock at least once a minute
//! and recomputes the next fire, so a clock step either way is followed within a minute (a
//! step back may repeat a fire; jobs are idempotent per fire). Tests drive the runner with
//! `service_runtime::clock::TokioClock` and `tokio::time::advance`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use service_runtime::clock::Clock;
use service_runtime::report::Chain;
use shared_config::CronSchedule;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::TickError;
use crate::jobs::{Job, JobContext};
use crate::lease::{Leadership, LeadershipLost};
use crate::ledger::LedgerClient;
use crate::token::TokenHandle;

/// The longest single sleep between clock readings.
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// Most missed fires counted after one overrun; beyond this the count says "at least".
pub const MAX_COUNTED_MISSED_FIRES: u64 = 1_000;

/// Counters of one cron, for metrics.
#[derive(Debug, Default)]
pub struct CronStats {
    completed: AtomicU64,
    missed: AtomicU64,
    failures: Mutex<BTreeMap<&'static str, u64>>,
}

/// A snapshot of [`CronStats`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CronCounters {
    /// Ticks that completed.
    pub completed: u64,
    /// Fires skipped because a tick overran them.
    pub missed: u64,
    /// Failed ticks by [`TickError::reason`].
    pub failures: BTreeMap<&'static str, u64>,
}

impl CronStats {
    /// The counters now.
    pub fn snapshot(&self) -> CronCounters {
        CronCounters {
            completed: self.completed.load(Ordering::Relaxed),
            missed: self.missed.load(Ordering::Relaxed),
            failures: self
                .failures
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone(),
        }
    }

    fn failed(&self, reason: &'static str) {
        *self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(reason)
            .or_default() += 1;
    }
}

/// One cron: its schedule, its job, and what the job needs.
#[derive(Clone)]
pub struct CronTask {
    /// The cron's name in logs and metrics: `mark-publisher`, `trigger`, `settleNet`, `mature`.
    pub name: String,
    /// The schedule.
    pub schedule: CronSchedule,
    /// The work of each tick.
    pub job: Arc<dyn Job>,
    /// The service's token.
    pub token: TokenHandle,
    /// The ledger.
    pub ledger: LedgerClient,
    /// The most one tick (the job and the tokens it waits for) may take.
    pub tick_timeout: Duration,
    /// Where the time of day comes from.
    pub clock: Arc<dyn Clock>,
    /// Counters, shared with the metrics endpoint.
    pub stats: Arc<CronStats>,
}

impl CronTask {
    /// Fires the job on the schedule until `cancel` is cancelled. A tick in progress at
    /// cancellation is abandoned (jobs are idempotent per fire).
    pub async fn run(self, cancel: CancellationToken) {
        self.run_led(cancel, Leadership::sole()).await;
    }

    /// [`CronTask::run`], firing only while `leadership` allows it.
    pub async fn run_led(self, cancel: CancellationToken, leadership: Leadership) {
        let mut after = self.clock.now();
        loop {
            let now = self.clock.now();
            if now < after {
                // The clock stepped back: schedule from the new now rather than wait out the
                // step; a repeated fire is harmless (jobs are idempotent per fire), silence is
                // not.
                after = now;
            }
            let Some(fire) = self.schedule.next_after(after) else {
                tracing::warn!(
                    event = "cron_exhausted",
                    cron = %self.name,
                    schedule = %self.schedule,
                    "the schedule has no further fire time"
                );
                return;
            };
            if now < fire {
                // Sleep at most a minute at a time, so a clock step is noticed within one.
                let delay = (fire - now).to_std().unwrap_or_default();
                tokio::select! {
                    biased;
                    () = cancel.cancelled() => return,
                    () = tokio::time::sleep(delay.min(MAX_SLEEP)) => {}
                }
                continue;
            }
            if !self.tick(fire, &cancel, &leadership).await {
                return;
            }
            let now = self.clock.now();
            let missed = missed_fires(&self.schedule, fire, now);
            if missed > 0 {
                self.stats.missed.fetch_add(missed, Ordering::Relaxed);
                tracing::warn!(
                    event = "ticks_missed",
                    cron = %self.name,
                    missed,
                    "the last tick overran later fires; they are skipped"
                );
            }
            after = fire.max(now);
        }
    }

    /// Runs one tick; `false` when cancelled.
    async fn tick(
        &self,
        fired_at: DateTime<Utc>,
        cancel: &CancellationToken,
        leadership: &Leadership,
    ) -> bool {
        let started = Instant::now();
        let account_id = self.token.account_id();
        if !leadership.acting() {
            tracing::debug!(
                event = "tick_skipped",
                cron = %self.name,
                reason = "standby",
                "not the leader: this fire is skipped"
            );
            return true;
        }
        let work = async {
            self.job
                .run(JobContext {
                    cron: &self.name,
                    account_id,
                    tokens: &self.token,
                    ledger: &self.ledger,
                    fired_at,
                })
                .await
        };
        let outcome = tokio::select! {
            biased;
            () = cancel.cancelled() => return false,
            outcome = tokio::time::timeout(self.tick_timeout, leadership.guard(work)) => {
                match outcome {
                    Err(_) => Err(TickError::Timeout(self.tick_timeout)),
                    Ok(Ok(outcome)) => outcome,
                    Ok(Err(LeadershipLost)) => {
                        self.stats.failed("leadership_lost");
                        tracing::warn!(
                            event = "tick_failed",
                            cron = %self.name,
                            accountId = %account_id,
                            reason = "leadership_lost",
                            durationMs = started.elapsed().as_millis() as u64,
                            error = %LeadershipLost,
                            "tick cut: this replica may no longer act"
                        );
                        return true;
                    }
                }
            }
        };
        let duration_ms = started.elapsed().as_millis() as u64;
        match outcome {
            Ok(report) => {
                self.stats.completed.fetch_add(1, Ordering::Relaxed);
                tracing::info!(
                    event = "tick_completed",
                    cron = %self.name,
                    accountId = %account_id,
                    durationMs = duration_ms,
                    contractsSeen = report.contracts_seen,
                    ledgerEffects = report.ledger_effects,
                    "tick completed"
                );
            }
            Err(error) => {
                self.stats.failed(error.reason());
                tracing::warn!(
                    event = "tick_failed",
                    cron = %self.name,
                    accountId = %account_id,
                    reason = error.reason(),
                    durationMs = duration_ms,
                    error = %Chain(&error),
                    "tick failed; the next fire tries again"
                );
            }
        }
        true
    }
}

/// Fires of `schedule` strictly after `fired` and at or before `now`, counted up to
/// [`MAX_COUNTED_MISSED_FIRES`].
pub fn missed_fires(schedule: &CronSchedule, fired: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    let mut count = 0;
    let mut cursor = fired;
    while count < MAX_COUNTED_MISSED_FIRES {
        match schedule.next_after(cursor) {
            Some(next) if next <= now => {
                count += 1;
                cursor = next;
            }
            _ => break,
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(seconds: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 1, 12, 0, 0).unwrap()
            + chrono::Duration::seconds(seconds.into())
    }

    #[test]
    fn counts_the_fires_an_overrun_skipped() {
        let every_ten = CronSchedule::parse("*/10 * * * * *").unwrap();
        assert_eq!(missed_fires(&every_ten, at(0), at(9)), 0);
        assert_eq!(missed_fires(&every_ten, at(0), at(10)), 1);
        assert_eq!(missed_fires(&every_ten, at(0), at(35)), 3);
        let every_second = CronSchedule::parse("* * * * * *").unwrap();
        assert_eq!(
            missed_fires(&every_second, at(0), at(0) + chrono::Duration::days(1)),
            MAX_COUNTED_MISSED_FIRES
        );
    }
}
