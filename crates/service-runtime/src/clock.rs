//! [`Clock`]: the wall clock, injected wherever time is stamped or compared, so tests pin it.
//!
//! One trait for every crate: the auth service stamps `iat`/`exp` with it, the sandbox checks
//! tokens and runs ledger time on it, the oracle's crons read the time of day from it.
//! [`SystemClock`] is the real one. Tests use [`ManualClock`] (moves only when told) or
//! [`TokioClock`] (advances with tokio's clock, so `tokio::time::pause`/`advance` drive it).

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// A source of wall-clock time.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current instant, in UTC.
    fn now(&self) -> DateTime<Utc>;

    /// The current time in whole seconds since the Unix epoch (JWT `iat`, `exp`).
    fn unix_seconds(&self) -> i64 {
        self.now().timestamp()
    }
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told to move; for tests.
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

    /// Moves the clock forward by `delta`, stopping at the largest representable instant.
    pub fn advance(&self, delta: Duration) {
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

/// Wall time that reads `start` when created and advances with tokio's clock; for tests and
/// simulations under `tokio::time::pause()`.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    origin_wall: DateTime<Utc>,
    origin: tokio::time::Instant,
}

impl TokioClock {
    /// A clock that reads `start` now and advances with tokio's clock.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self {
            origin_wall: start,
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = tokio::time::Instant::now().saturating_duration_since(self.origin);
        let elapsed = TimeDelta::from_std(elapsed).unwrap_or(TimeDelta::MAX);
        self.origin_wall
            .checked_add_signed(elapsed)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn the_manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(at(0));
        assert_eq!(clock.now(), at(0));
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now(), at(90));
        assert_eq!(clock.unix_seconds(), 1_700_000_090);
        clock.set(at(-5));
        assert_eq!(clock.now(), at(-5));
        clock.advance(Duration::MAX);
        assert_eq!(clock.now(), DateTime::<Utc>::MAX_UTC);
    }

    #[tokio::test(start_paused = true)]
    async fn the_tokio_clock_follows_the_paused_clock() {
        let clock = TokioClock::starting_at(at(0));
        assert_eq!(clock.now(), at(0));
        tokio::time::advance(Duration::from_millis(61_500)).await;
        assert_eq!(clock.now(), at(61) + TimeDelta::milliseconds(500));
    }

    #[test]
    fn the_system_clock_is_after_2023() {
        assert!(SystemClock.unix_seconds() > 1_700_000_000);
        let clock: &dyn Clock = &SystemClock;
        assert!(clock.now() > at(0));
    }
}
