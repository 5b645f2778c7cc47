//! The lease runner: one task per replica that acquires, renews and releases the lease and
//! keeps [`Leadership`] and the logs true.
//!
//! Each attempt reads the lease clock just before sending the statement; on success the
//! replica may act until that instant plus `T − T/10` ([`LeaseTiming::acting_window`]), however
//! late the answer came. The next attempt is sent `T/3` after this one was sent. A failed
//! attempt (database down, timeout) changes nothing the replica may do: a leader keeps acting
//! until its window closes, then stands down by itself; the runner retries after 250 ms,
//! doubling up to `T/3`, with up to 20 % jitter. Each attempt is cut at `T/3`.
//!
//! Roles and their events (every one with `instanceId`):
//!
//! - acquired → `oracle_leader_acquired` (`ttlMs`, `actingWindowMs`)
//! - the window closed without a successful renewal → `oracle_leader_lost` reason `expired`
//! - the database says another holder has it → `oracle_leader_lost` reason `taken_over`
//! - stopped → `oracle_leader_lost` reason `shutdown`, then `lease_released` (or
//!   `lease_release_failed`: the lease then simply expires)
//! - on becoming a standby, and when the leader it sees changes → `oracle_standby` (`leader`)
//! - a failed attempt → `lease_database_unavailable` (`reason`, `error`, `failures`,
//!   `nextAttemptInMs`); the first success after failures → `lease_database_available`

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::{Instant, sleep, sleep_until, timeout};
use tokio_util::sync::CancellationToken;

use super::error::LeaseError;
use super::leadership::Leadership;
use super::settings::LeaseTiming;
use super::store::{Claim, LeaseStore};

/// A running lease: its [`Leadership`] and the way to stop it.
pub struct LeaseHandle {
    leadership: Leadership,
    cancel: CancellationToken,
    release: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
    wait_at_most: Duration,
}

impl std::fmt::Debug for LeaseHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaseHandle")
            .field("leadership", &self.leadership)
            .finish_non_exhaustive()
    }
}

impl LeaseHandle {
    /// Whether this replica may act, shared with the crons.
    pub fn leadership(&self) -> &Leadership {
        &self.leadership
    }

    /// Stops renewing. With `release`, a leader first stops acting, then expires its lease at
    /// the database so a standby takes over at its next poll; without it (some work may still
    /// be running), the lease simply runs out.
    pub async fn shutdown(self, release: bool) {
        self.release.store(release, Ordering::SeqCst);
        self.cancel.cancel();
        let mut task = self.task;
        if timeout(self.wait_at_most, &mut task).await.is_err() {
            task.abort();
        }
        self.leadership.revoke();
    }
}

/// Starts the runner on `store`.
pub(crate) fn spawn<S: LeaseStore>(
    store: S,
    instance_id: String,
    timing: LeaseTiming,
    leadership: Leadership,
) -> LeaseHandle {
    let cancel = CancellationToken::new();
    let release = Arc::new(AtomicBool::new(false));
    let runner = Runner {
        store,
        instance_id,
        timing,
        leadership: leadership.clone(),
        role: Role::Starting,
        failures: 0,
    };
    let task = tokio::spawn(runner.run(cancel.clone(), release.clone()));
    LeaseHandle {
        leadership,
        cancel,
        release,
        task,
        wait_at_most: timing.renew_every + timing.statement_timeout * 2,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Role {
    Starting,
    Leader,
    Standby { leader: Option<String> },
}

struct Runner<S> {
    store: S,
    instance_id: String,
    timing: LeaseTiming,
    leadership: Leadership,
    role: Role,
    failures: u32,
}

impl<S: LeaseStore> Runner<S> {
    async fn run(mut self, cancel: CancellationToken, release: Arc<AtomicBool>) {
        let mut next = Instant::now();
        loop {
            let lapse = match self.role {
                Role::Leader => self.leadership.remaining(),
                _ => None,
            };
            tokio::select! {
                biased;
                () = cancel.cancelled() => break,
                () = sleep_until(next) => {}
                () = sleep(lapse.unwrap_or_default()), if lapse.is_some() => {}
            }
            self.notice_lapse();
            if Instant::now() < next {
                continue;
            }
            let sent = Instant::now();
            let sent_at = self.leadership.clock_now();
            let attempt = timeout(self.timing.renew_every, self.store.acquire(self.timing.ttl))
                .await
                .unwrap_or(Err(LeaseError::Timeout {
                    operation: "acquire",
                    after: self.timing.renew_every,
                }));
            next = match attempt {
                Ok(claim) => {
                    self.answered(claim, sent_at);
                    sent + self.timing.renew_every
                }
                Err(error) => Instant::now() + self.failed(&error),
            };
        }
        self.stop(release.load(Ordering::SeqCst)).await;
    }

    /// A leader whose window closed becomes a standby.
    fn notice_lapse(&mut self) {
        if self.role == Role::Leader && !self.leadership.acting() {
            self.lost("expired", None);
        }
    }

    fn answered(&mut self, claim: Claim, sent_at: Duration) {
        self.notice_lapse();
        if self.failures > 0 {
            tracing::info!(
                event = "lease_database_available",
                instanceId = %self.instance_id,
                failures = self.failures,
                "the lease database answers again"
            );
            self.failures = 0;
        }
        match claim {
            Claim::Held => {
                self.leadership.extend(sent_at, self.timing.acting_window());
                if self.role != Role::Leader {
                    self.role = Role::Leader;
                    tracing::info!(
                        event = "oracle_leader_acquired",
                        instanceId = %self.instance_id,
                        ttlMs = self.timing.ttl.as_millis() as u64,
                        actingWindowMs = self.timing.acting_window().as_millis() as u64,
                        "this replica holds the lease and fires the crons"
                    );
                }
            }
            Claim::HeldBy(leader) => match &self.role {
                Role::Leader => self.lost("taken_over", leader),
                Role::Standby { leader: seen } if *seen == leader => {}
                _ => self.standby(leader),
            },
        }
    }

    fn lost(&mut self, reason: &'static str, leader: Option<String>) {
        self.leadership.revoke();
        tracing::warn!(
            event = "oracle_leader_lost",
            instanceId = %self.instance_id,
            reason,
            "this replica no longer holds the lease and stops firing"
        );
        self.standby(leader);
    }

    fn standby(&mut self, leader: Option<String>) {
        tracing::info!(
            event = "oracle_standby",
            instanceId = %self.instance_id,
            leader = leader.as_deref().unwrap_or("unknown"),
            "this replica is a standby: it keeps its tokens fresh and fires nothing"
        );
        self.role = Role::Standby { leader };
    }

    /// Logs a failed attempt; returns the delay before the next one.
    fn failed(&mut self, error: &LeaseError) -> Duration {
        self.notice_lapse();
        self.failures = self.failures.saturating_add(1);
        self.leadership.database_failed();
        let doubling = 2u32.saturating_pow(self.failures.saturating_sub(1).min(16));
        let delay = self
            .timing
            .first_retry()
            .saturating_mul(doubling)
            .min(self.timing.renew_every)
            .mul_f64(1.0 - 0.2 * fastrand::f64());
        tracing::warn!(
            event = "lease_database_unavailable",
            instanceId = %self.instance_id,
            reason = error.reason(),
            error = %service_runtime::report::Chain(error),
            failures = self.failures,
            nextAttemptInMs = delay.as_millis() as u64,
            "the lease database did not answer; a leader keeps acting only until its lease \
             could expire"
        );
        if self.role == Role::Starting {
            self.standby(None);
        }
        delay
    }

    async fn stop(mut self, release: bool) {
        let was_leader = self.role == Role::Leader && self.leadership.acting();
        self.leadership.revoke();
        if !was_leader {
            return;
        }
        tracing::info!(
            event = "oracle_leader_lost",
            instanceId = %self.instance_id,
            reason = "shutdown",
            "this replica stops firing"
        );
        if !release {
            return;
        }
        let after = self.timing.statement_timeout * 2;
        let outcome =
            timeout(after, self.store.release())
                .await
                .unwrap_or(Err(LeaseError::Timeout {
                    operation: "release",
                    after,
                }));
        match outcome {
            Ok(released) => tracing::info!(
                event = "lease_released",
                instanceId = %self.instance_id,
                released,
                "the lease is released; a standby takes over at its next poll"
            ),
            Err(error) => tracing::warn!(
                event = "lease_release_failed",
                instanceId = %self.instance_id,
                reason = error.reason(),
                error = %service_runtime::report::Chain(&error).to_string(),
                "the lease could not be released; it expires on its own"
            ),
        }
    }
}

#[cfg(test)]
mod tests;
