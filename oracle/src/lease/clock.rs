//! The clock a leader counts its lease on.
//!
//! A leader may act only while its lease is certainly valid, counted on its own clock from the
//! moment the renewal was sent. [`BootClock`] reads `CLOCK_BOOTTIME`: monotonic (wall-clock
//! steps do not move it) and, unlike `CLOCK_MONOTONIC` (what `std::time::Instant` and tokio
//! read), it keeps counting while the machine is suspended, so a leader whose machine slept
//! through its lease wakes knowing it. A process stopped by SIGSTOP is covered by both.
//! [`TokioLeaseClock`] follows tokio's clock, so tests drive the lease with
//! `tokio::time::pause` and `advance`.

use std::time::Duration;

/// A monotonic clock: the time since an arbitrary, fixed origin.
pub trait LeaseClock: Send + Sync + 'static {
    /// Now, since the clock's origin.
    fn now(&self) -> Duration;
}

/// `CLOCK_BOOTTIME`: monotonic, counting suspend. The production clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct BootClock;

impl LeaseClock for BootClock {
    fn now(&self) -> Duration {
        let now = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
        Duration::new(
            u64::try_from(now.tv_sec).unwrap_or(0),
            u32::try_from(now.tv_nsec).unwrap_or(0),
        )
    }
}

/// tokio's clock (pausable), counted from when this value was made.
#[derive(Debug, Clone, Copy)]
pub struct TokioLeaseClock {
    origin: tokio::time::Instant,
}

impl TokioLeaseClock {
    /// A clock reading zero now.
    pub fn new() -> Self {
        Self {
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Default for TokioLeaseClock {
    fn default() -> Self {
        Self::new()
    }
}

impl LeaseClock for TokioLeaseClock {
    fn now(&self) -> Duration {
        tokio::time::Instant::now().saturating_duration_since(self.origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_boot_clock_is_monotonic_time_plus_suspend() {
        let monotonic = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
        let monotonic = Duration::new(monotonic.tv_sec as u64, monotonic.tv_nsec as u32);
        let boot = BootClock.now();
        let again = BootClock.now();
        // CLOCK_BOOTTIME = CLOCK_MONOTONIC + time suspended: never behind it, never going back,
        // and time since boot rather than since 1970.
        assert!(boot >= monotonic, "{boot:?} < {monotonic:?}");
        assert!(again >= boot);
        assert!(boot < Duration::from_secs(20 * 365 * 24 * 3600));
    }

    #[tokio::test(start_paused = true)]
    async fn the_tokio_clock_follows_paused_time() {
        let clock = TokioLeaseClock::new();
        assert_eq!(clock.now(), Duration::ZERO);
        tokio::time::advance(Duration::from_millis(1500)).await;
        assert_eq!(clock.now(), Duration::from_millis(1500));
    }
}
