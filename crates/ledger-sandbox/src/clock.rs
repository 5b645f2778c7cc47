//! The sandbox's notion of "now", injected so tests can pin it.
//!
//! One clock drives everything time-dependent: token `exp`/`nbf`/`iat` checks, the JWKS refetch
//! rate limit, ledger time seen by choices (period ends, maturity) and the seeded world's start.
//! Ledger time is truncated to microseconds, the precision of a Daml-LF `Timestamp`.

use std::fmt;
use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};

/// A source of wall-clock time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The real system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to; for tests.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock standing still at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock to `instant` (backwards too).
    pub fn set(&self, instant: DateTime<Utc>) {
        *self.lock() = instant;
    }

    /// Moves the clock forward by `delta`.
    pub fn advance(&self, delta: std::time::Duration) {
        let delta = TimeDelta::from_std(delta).unwrap_or(TimeDelta::MAX);
        let mut now = self.lock();
        *now = now
            .checked_add_signed(delta)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        // A panic while holding this lock cannot leave a half-written instant behind, so a
        // poisoned lock is still safe to use.
        self.now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }
}

/// Ledger time: the clock's instant truncated to whole microseconds.
pub(crate) fn ledger_time(clock: &dyn Clock) -> DateTime<Utc> {
    crate::lf::truncate_to_micros(clock.now())
}
