//! [`Leadership`]: whether this replica may act now, read by the crons before each fire and
//! throughout each tick.
//!
//! The lease runner ([`super::runner`]) records the instant until which the lease is certainly
//! valid (the send time of the last successful acquire or renewal, plus `T − T/10`). Whether
//! the replica may act is then a comparison against the lease clock, made at the moment of
//! asking, never a flag someone must remember to clear: a process that was frozen, or whose
//! machine slept, reads the clock when it wakes and finds it may no longer act, before it runs
//! any of its own code further. [`Leadership::guard`] applies the same check before every
//! step of a tick and cuts the tick at the deadline.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;
use std::time::Duration;

use super::clock::LeaseClock;

/// Whether this replica may act. Cheap to clone; all clones share the state.
#[derive(Clone)]
pub struct Leadership {
    shared: Option<Arc<LeaseState>>,
}

struct LeaseState {
    clock: Arc<dyn LeaseClock>,
    /// Lease-clock nanoseconds until which acting is allowed; 0 when not the leader.
    valid_until: AtomicU64,
    /// Failed attempts to reach the lease database, for metrics.
    database_failures: AtomicU64,
}

/// A tick was cut because the lease's certain validity ended during it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the leader lease lapsed during the tick; the rest of it was not done")]
pub struct LeadershipLost;

impl std::fmt::Debug for Leadership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leadership")
            .field("leased", &self.is_leased())
            .field("acting", &self.acting())
            .finish()
    }
}

impl Leadership {
    /// A replica running alone, with no lease: it always acts.
    pub fn sole() -> Self {
        Self { shared: None }
    }

    /// A replica under a lease, not (yet) the leader.
    pub fn leased(clock: Arc<dyn LeaseClock>) -> Self {
        Self {
            shared: Some(Arc::new(LeaseState {
                clock,
                valid_until: AtomicU64::new(0),
                database_failures: AtomicU64::new(0),
            })),
        }
    }

    /// Whether a lease decides (false for [`Leadership::sole`]).
    pub fn is_leased(&self) -> bool {
        self.shared.is_some()
    }

    /// How long this replica may still act, read on the clock now; `None` when it may not.
    pub fn remaining(&self) -> Option<Duration> {
        let Some(shared) = &self.shared else {
            return Some(Duration::MAX);
        };
        let until = shared.valid_until.load(Ordering::SeqCst);
        let now = nanos(shared.clock.now());
        (until != 0 && now < until).then(|| Duration::from_nanos(until - now))
    }

    /// Whether this replica may act now.
    pub fn acting(&self) -> bool {
        self.remaining().is_some()
    }

    /// Failed attempts to reach the lease database so far.
    pub fn database_failures(&self) -> u64 {
        self.shared
            .as_ref()
            .map_or(0, |shared| shared.database_failures.load(Ordering::Relaxed))
    }

    /// Runs `work` while this replica may act: the check is made before the first step and
    /// before every later one (each time the work wakes, e.g. between two ledger calls), and a
    /// timer cuts the work at the deadline when it is waiting. Returns [`LeadershipLost`] as
    /// soon as a check fails; the work is dropped then.
    pub async fn guard<F: Future>(&self, work: F) -> Result<F::Output, LeadershipLost> {
        let Some(shared) = &self.shared else {
            return Ok(work.await);
        };
        let mut work = pin!(work);
        let mut timer = pin!(tokio::time::sleep(Duration::ZERO));
        let mut armed_for = None;
        std::future::poll_fn(|cx| {
            loop {
                let Some(remaining) = self.remaining() else {
                    return Poll::Ready(Err(LeadershipLost));
                };
                let until = shared.valid_until.load(Ordering::SeqCst);
                if armed_for != Some(until) {
                    timer
                        .as_mut()
                        .reset(tokio::time::Instant::now() + remaining);
                    armed_for = Some(until);
                }
                if timer.as_mut().poll(cx).is_ready() {
                    // The deadline passed on tokio's clock; unless a renewal moved it meanwhile
                    // (then re-arm), the lease is over.
                    if shared.valid_until.load(Ordering::SeqCst) == until {
                        return Poll::Ready(Err(LeadershipLost));
                    }
                    continue;
                }
                return work.as_mut().poll(cx).map(Ok);
            }
        })
        .await
    }

    /// Records that an acquire or renewal sent at `sent_at` (lease clock) succeeded: acting is
    /// allowed until `sent_at + window`.
    pub(crate) fn extend(&self, sent_at: Duration, window: Duration) {
        if let Some(shared) = &self.shared {
            shared
                .valid_until
                .store(nanos(sent_at + window).max(1), Ordering::SeqCst);
        }
    }

    /// Stops acting at once.
    pub(crate) fn revoke(&self) {
        if let Some(shared) = &self.shared {
            shared.valid_until.store(0, Ordering::SeqCst);
        }
    }

    pub(crate) fn database_failed(&self) {
        if let Some(shared) = &self.shared {
            shared.database_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn clock_now(&self) -> Duration {
        self.shared
            .as_ref()
            .map_or(Duration::ZERO, |shared| shared.clock.now())
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use crate::lease::clock::TokioLeaseClock;

    fn leased() -> Leadership {
        Leadership::leased(Arc::new(TokioLeaseClock::new()))
    }

    #[tokio::test(start_paused = true)]
    async fn a_sole_replica_always_acts() {
        let sole = Leadership::sole();
        tokio::time::advance(Duration::from_secs(3600)).await;
        assert!(sole.acting());
        assert_eq!(sole.guard(async { 7 }).await, Ok(7));
    }

    #[tokio::test(start_paused = true)]
    async fn validity_ends_at_the_recorded_instant_without_anyone_clearing_it() {
        let leadership = leased();
        assert!(!leadership.acting());
        leadership.extend(Duration::ZERO, Duration::from_millis(4500));
        assert_eq!(leadership.remaining(), Some(Duration::from_millis(4500)));
        tokio::time::advance(Duration::from_millis(4499)).await;
        assert!(leadership.acting());
        tokio::time::advance(Duration::from_millis(1)).await;
        assert!(!leadership.acting());
        leadership.extend(Duration::from_millis(4500), Duration::from_millis(4500));
        assert!(leadership.acting());
        leadership.revoke();
        assert!(!leadership.acting());
    }

    #[tokio::test(start_paused = true)]
    async fn a_guarded_tick_is_cut_at_the_deadline_while_it_waits() {
        let leadership = leased();
        leadership.extend(Duration::ZERO, Duration::from_secs(2));
        let started = tokio::time::Instant::now();
        let outcome = leadership
            .guard(tokio::time::sleep(Duration::from_secs(60)))
            .await;
        assert_eq!(outcome, Err(LeadershipLost));
        assert_eq!(started.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_renewal_during_the_tick_lets_it_finish() {
        let leadership = leased();
        leadership.extend(Duration::ZERO, Duration::from_secs(2));
        let renewer = leadership.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            renewer.extend(Duration::from_secs(1), Duration::from_secs(4));
        });
        let outcome = leadership
            .guard(async {
                tokio::time::sleep(Duration::from_secs(3)).await;
                "done"
            })
            .await;
        assert_eq!(outcome, Ok("done"));
    }

    /// A clock that moves only when told, as `CLOCK_BOOTTIME` does across a suspend while
    /// tokio's timers (on `CLOCK_MONOTONIC`) have not moved.
    struct JumpingClock(AtomicU64);

    impl LeaseClock for JumpingClock {
        fn now(&self) -> Duration {
            Duration::from_nanos(self.0.load(Ordering::SeqCst))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_tick_that_wakes_past_the_deadline_takes_no_further_step() {
        let clock = Arc::new(JumpingClock(AtomicU64::new(1)));
        let leadership = Leadership::leased(clock.clone());
        leadership.extend(Duration::ZERO, Duration::from_secs(4));
        let steps = Arc::new(AtomicUsize::new(0));
        let counted = steps.clone();
        let (answer, answered) = tokio::sync::oneshot::channel::<()>();
        let guarded = leadership.clone();
        let tick = tokio::spawn(async move {
            guarded
                .guard(async move {
                    counted.fetch_add(1, Ordering::SeqCst); // the first ledger call
                    let _ = answered.await; // its answer
                    counted.fetch_add(1, Ordering::SeqCst); // the second ledger call
                })
                .await
        });
        tokio::task::yield_now().await;
        assert_eq!(steps.load(Ordering::SeqCst), 1);
        // The machine slept through the lease: the lease clock jumped, no timer fired, and the
        // first call's answer is what wakes the tick.
        clock.0.store(30_000_000_000, Ordering::SeqCst);
        answer.send(()).unwrap();
        assert_eq!(tick.await.unwrap(), Err(LeadershipLost));
        assert_eq!(steps.load(Ordering::SeqCst), 1, "no step after waking");
    }
}
