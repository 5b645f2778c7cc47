//! When a token handle refreshes, retries and backs off.
//!
//! The schedule, and why it meets the operating bars (at most 8 requests per account over a
//! 60 s outage, never more than one a second, a fresh token within 20 s of the endpoint
//! healing, never an expired token handed out):
//!
//! - A token's life ends at the earlier of the request's *send* time + `expires_in` and the
//!   token's own JWT `exp` (read, not verified; converted from wall-clock seconds to the
//!   handle's monotonic clock through the injected `Clock` at the send time). Servers stamp
//!   `exp` in whole seconds, rounded down, so it can be up to a second earlier than send time +
//!   `expires_in`; the ledger goes by `exp`.
//! - Scheduled refresh at 80 % of that life, one retry at 90 % (the platform's rule), both
//!   measured from the send time; for lives under 10 s they are brought forward so that both
//!   fall before the token's usable end (below): the refresh a second before it, the retry at
//!   it.
//! - Once the token is past use, recovery attempts follow capped exponential backoff: 2 s, 4 s,
//!   8 s, then 15 s, each shortened by up to 15 % of random jitter (so many oracles restarted
//!   together do not stay in step), measured from the start of the failed attempt, and never
//!   less than one second after its end (so hung attempts, which last the client timeout, do
//!   not follow each other back to back). With the default 5 s timeout the gap between two
//!   attempt starts is therefore at most 15 s, and a healed endpoint is seen within 15 s plus
//!   one request. Over any 60 s at most 7 attempts fit (worst case, instant failures and
//!   maximal jitter: 0, 1.7, 5.1, 11.9, 24.7, 37.4, 50.2 s).
//! - `invalid_client` waits at least [`RefreshPolicy::invalid_client_cooldown`] (60 s) before
//!   the next attempt: the secret will not fix itself in seconds, and the auth service throttles
//!   a client id at an address after 30 failures a minute.
//! - A `Retry-After` from the server is honoured up to the backoff cap, by the 90 % retry too:
//!   when it leaves no time to retry before the token's usable end, that retry is dropped and
//!   recovery (which honours it as well) takes over.
//! - Whatever the path (scheduled, recovery, on demand), two requests of one account are never
//!   closer than [`RefreshPolicy::min_request_spacing`], which cannot be set below one second.
//! - `get_token()` treats a token as expired a safety margin before its expiry:
//!   `lifetime / 20`, at least [`MIN_SAFETY_MARGIN`] (1 s) and at most 5 s, so a token handed
//!   out still has time to reach the ledger (whose default leeway is zero), and a token whose
//!   `exp` a clock reading of whole seconds put at the edge is not handed out in its last
//!   second. Each ledger request takes its token from the handle just before it is sent.

use std::time::Duration;

use shared_config::Config;
use tokio::time::Instant;

use crate::error::FailureReason;

/// The hard floor of [`RefreshPolicy::min_request_spacing`].
pub const MIN_REQUEST_SPACING_FLOOR: Duration = Duration::from_secs(1);
/// The least safety margin before a token's expiry, whatever its lifetime.
pub const MIN_SAFETY_MARGIN: Duration = Duration::from_secs(1);

/// Refresh, retry and backoff settings of a [`super::TokenHandle`].
#[derive(Debug, Clone)]
pub struct RefreshPolicy {
    /// Fraction of the lifetime at which the token is refreshed (0.8).
    pub refresh_fraction: f64,
    /// Fraction of the lifetime at which a failed refresh is retried once (0.9).
    pub retry_fraction: f64,
    /// The first recovery delay (2 s); doubled after each further failure.
    pub backoff_first: Duration,
    /// The longest recovery delay (15 s).
    pub backoff_cap: Duration,
    /// Each recovery delay is shortened by a random fraction up to this (0.15).
    pub jitter: f64,
    /// The least wait after `invalid_client` (60 s).
    pub invalid_client_cooldown: Duration,
    /// The least time between two requests of one account (1 s, never less).
    pub min_request_spacing: Duration,
    /// The most the safety margin before expiry can be (5 s; never less than
    /// [`MIN_SAFETY_MARGIN`]).
    pub max_safety_margin: Duration,
    /// A guard around one fetch, beyond the HTTP client's own timeout.
    pub attempt_timeout: Duration,
    /// Seed for the jitter, for reproducible tests; `None` seeds from entropy.
    pub jitter_seed: Option<u64>,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self {
            refresh_fraction: 0.8,
            retry_fraction: 0.9,
            backoff_first: Duration::from_secs(2),
            backoff_cap: Duration::from_secs(15),
            jitter: 0.15,
            invalid_client_cooldown: Duration::from_secs(60),
            min_request_spacing: MIN_REQUEST_SPACING_FLOOR,
            max_safety_margin: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(11),
            jitter_seed: None,
        }
    }
}

impl RefreshPolicy {
    /// The default policy, with the attempt guard one second past the longer of
    /// `oracle.fetchTimeoutMs` and `oracle.ledgerTimeoutMs` (the HTTP clients time out first).
    pub fn from_config(config: &Config) -> Self {
        let longest = config
            .oracle
            .fetch_timeout()
            .max(config.oracle.ledger_timeout());
        Self {
            attempt_timeout: longest + Duration::from_secs(1),
            ..Self::default()
        }
    }

    /// The same policy with every value brought into its sane range, so no setting can make a
    /// handle retry in a tight loop.
    pub(crate) fn normalized(mut self) -> Self {
        let fraction = |value: f64, default: f64| {
            if value.is_finite() && value > 0.0 && value < 1.0 {
                value
            } else {
                default
            }
        };
        self.refresh_fraction = fraction(self.refresh_fraction, 0.8);
        self.retry_fraction = fraction(self.retry_fraction, 0.9).max(self.refresh_fraction);
        self.jitter = if self.jitter.is_finite() {
            self.jitter.clamp(0.0, 0.5)
        } else {
            0.0
        };
        self.min_request_spacing = self.min_request_spacing.max(MIN_REQUEST_SPACING_FLOOR);
        self.backoff_first = self.backoff_first.max(self.min_request_spacing);
        self.backoff_cap = self.backoff_cap.max(self.backoff_first);
        self.attempt_timeout = self.attempt_timeout.max(Duration::from_millis(100));
        self.max_safety_margin = self.max_safety_margin.max(MIN_SAFETY_MARGIN);
        self
    }

    /// When a token obtained at `obtained` is refreshed: at 80 % of its life, and at least a
    /// request spacing before its usable end (which matters for lives under 10 s).
    pub fn refresh_at(&self, obtained: Instant, lifetime: Duration) -> Instant {
        let usable = self.usable_life(lifetime);
        obtained
            + lifetime
                .mul_f64(self.refresh_fraction)
                .min(usable.saturating_sub(self.min_request_spacing))
    }

    /// When a failed refresh is retried: at 90 % of its life, and no later than its usable end.
    pub fn retry_at(&self, obtained: Instant, lifetime: Duration) -> Instant {
        obtained
            + lifetime
                .mul_f64(self.retry_fraction)
                .min(self.usable_life(lifetime))
    }

    /// How long after it was obtained a token of `lifetime` may be handed out.
    pub fn usable_life(&self, lifetime: Duration) -> Duration {
        lifetime.saturating_sub(self.safety_margin(lifetime))
    }

    /// When a scheduled refresh of a token obtained at `obtained`, which failed at `ended`, is
    /// retried: at [`Self::retry_at`], never sooner than the request spacing after `ended`, and
    /// never sooner than the server's `Retry-After` (RFC 9110 §10.2.3, capped at
    /// [`Self::backoff_cap`]). `None` when the `Retry-After` reaches the token's usable end: the
    /// retry would then be a recovery attempt, which waits for the backoff gate instead.
    pub(crate) fn refresh_retry_at(
        &self,
        obtained: Instant,
        lifetime: Duration,
        ended: Instant,
        retry_after: Option<Duration>,
    ) -> Option<Instant> {
        let at = self
            .retry_at(obtained, lifetime)
            .max(ended + self.min_request_spacing);
        let Some(retry_after) = retry_after else {
            return Some(at);
        };
        let server_wait = ended + retry_after.min(self.backoff_cap);
        let usable_until = obtained + self.usable_life(lifetime);
        (server_wait < usable_until).then(|| at.max(server_wait))
    }

    /// How long before its expiry a token stops being handed out: a twentieth of its life,
    /// at least [`MIN_SAFETY_MARGIN`], at most [`Self::max_safety_margin`].
    pub fn safety_margin(&self, lifetime: Duration) -> Duration {
        (lifetime / 20)
            .min(self.max_safety_margin)
            .max(MIN_SAFETY_MARGIN)
    }

    /// The recovery delay after `failures` consecutive failures (1-based), before jitter.
    pub fn backoff_base(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(20);
        self.backoff_first
            .saturating_mul(1 << doublings)
            .min(self.backoff_cap)
    }

    /// The earliest instant of the next attempt after one that started at `started`, ended at
    /// `ended` and was the `failures`-th consecutive failure. `unit` is a random number in
    /// `[0, 1)` for the jitter.
    pub(crate) fn next_attempt_after_failure(
        &self,
        started: Instant,
        ended: Instant,
        failures: u32,
        reason: FailureReason,
        retry_after: Option<Duration>,
        unit: f64,
    ) -> Instant {
        let base = self.backoff_base(failures);
        let mut next = started + base.mul_f64(1.0 - self.jitter * unit.clamp(0.0, 1.0));
        if reason == FailureReason::InvalidClient {
            next = next.max(started + self.invalid_client_cooldown);
        }
        if let Some(retry_after) = retry_after {
            next = next.max(ended + retry_after.min(self.backoff_cap));
        }
        // A hung attempt can last longer than the backoff; without a gap after its end,
        // 5 s hangs would follow each other back to back.
        next.max(ended + self.min_request_spacing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_two_seconds_and_caps_at_fifteen() {
        let policy = RefreshPolicy::default();
        let delays: Vec<u64> = (1..=7)
            .map(|n| policy.backoff_base(n).as_millis() as u64)
            .collect();
        assert_eq!(delays, [2000, 4000, 8000, 15000, 15000, 15000, 15000]);
        assert_eq!(policy.backoff_base(u32::MAX), Duration::from_secs(15));
    }

    #[test]
    fn jitter_only_shortens_and_never_below_the_spacing_floor() {
        let policy = RefreshPolicy::default();
        let start = Instant::now();
        for failures in 1..10 {
            for unit in [0.0, 0.5, 0.999_999] {
                let next = policy.next_attempt_after_failure(
                    start,
                    start,
                    failures,
                    FailureReason::Network,
                    None,
                    unit,
                );
                let delay = next - start;
                let base = policy.backoff_base(failures);
                assert!(delay <= base, "{failures} {unit}: {delay:?}");
                assert!(delay >= base.mul_f64(0.85) - Duration::from_millis(1));
                assert!(delay >= Duration::from_secs(1));
            }
        }
    }

    #[test]
    fn worst_case_attempts_in_a_minute_stay_within_the_bar() {
        // Maximal jitter shortens every delay as much as it can: count the attempts that fit
        // in 60 s when each fails instantly.
        let policy = RefreshPolicy::default();
        let start = Instant::now();
        let mut at = start;
        let mut attempts = 0;
        let mut failures = 0;
        while at - start <= Duration::from_secs(60) {
            attempts += 1;
            failures += 1;
            at = policy.next_attempt_after_failure(
                at,
                at,
                failures,
                FailureReason::Network,
                None,
                1.0,
            );
        }
        assert!(attempts <= 8, "{attempts} attempts in 60 s");
        // And the longest gap leaves room to see a healed endpoint within 20 s.
        assert!(policy.backoff_cap <= Duration::from_secs(15));
    }

    #[test]
    fn invalid_client_cools_down_and_retry_after_is_honoured_up_to_the_cap() {
        let policy = RefreshPolicy::default();
        let start = Instant::now();
        let next = policy.next_attempt_after_failure(
            start,
            start,
            1,
            FailureReason::InvalidClient,
            None,
            0.0,
        );
        assert_eq!(next - start, Duration::from_secs(60));
        let next = policy.next_attempt_after_failure(
            start,
            start,
            1,
            FailureReason::Network,
            Some(Duration::from_secs(3600)),
            0.0,
        );
        assert_eq!(next - start, Duration::from_secs(15));
    }

    #[test]
    fn the_90_percent_retry_waits_for_retry_after_or_is_dropped() {
        let policy = RefreshPolicy::default();
        let obtained = Instant::now();
        let (lifetime, ended) = (Duration::from_secs(100), obtained + Duration::from_secs(80));
        let retry = |retry_after: Option<u64>| {
            policy
                .refresh_retry_at(
                    obtained,
                    lifetime,
                    ended,
                    retry_after.map(Duration::from_secs),
                )
                .map(|at| (at - obtained).as_secs())
        };
        assert_eq!(retry(None), Some(90));
        assert_eq!(retry(Some(3)), Some(90));
        assert_eq!(retry(Some(12)), Some(92));
        // The token is usable until 95: a wait reaching it leaves the retry to recovery.
        assert_eq!(retry(Some(15)), None);
        assert_eq!(retry(Some(3600)), None);
        // The cap applies before the comparison.
        let long = Duration::from_secs(900);
        let ended = obtained + Duration::from_secs(720);
        let at = policy.refresh_retry_at(obtained, long, ended, Some(Duration::from_secs(3600)));
        assert_eq!(at.map(|at| (at - obtained).as_secs()), Some(810));
    }

    #[test]
    fn normalizing_refuses_settings_that_could_storm() {
        let policy = RefreshPolicy {
            min_request_spacing: Duration::ZERO,
            backoff_first: Duration::ZERO,
            backoff_cap: Duration::ZERO,
            refresh_fraction: f64::NAN,
            retry_fraction: 0.5,
            jitter: 7.0,
            ..RefreshPolicy::default()
        }
        .normalized();
        assert_eq!(policy.min_request_spacing, Duration::from_secs(1));
        assert_eq!(policy.backoff_first, Duration::from_secs(1));
        assert_eq!(policy.backoff_cap, Duration::from_secs(1));
        assert_eq!(policy.refresh_fraction, 0.8);
        assert_eq!(policy.retry_fraction, 0.8);
        assert_eq!(policy.jitter, 0.5);
    }

    #[test]
    fn safety_margin_is_a_twentieth_of_the_life_between_one_and_five_seconds() {
        let policy = RefreshPolicy::default();
        let margin = |seconds: u64| policy.safety_margin(Duration::from_secs(seconds));
        assert_eq!(margin(900), Duration::from_secs(5));
        assert_eq!(margin(60), Duration::from_secs(3));
        // Whole-second `exp` can put the real expiry up to a second early: never less than 1 s.
        assert_eq!(margin(10), Duration::from_secs(1));
        assert_eq!(margin(5), Duration::from_secs(1));
        assert_eq!(margin(1), Duration::from_secs(1));
        // A configured maximum below the floor is raised to it.
        let small = RefreshPolicy {
            max_safety_margin: Duration::ZERO,
            ..RefreshPolicy::default()
        }
        .normalized();
        assert_eq!(
            small.safety_margin(Duration::from_secs(900)),
            MIN_SAFETY_MARGIN
        );
        for millis in (0..=86_400_000).step_by(7_919) {
            let life = Duration::from_millis(millis);
            assert!(
                policy.safety_margin(life) >= Duration::from_secs(1),
                "{life:?}"
            );
        }
    }

    #[test]
    fn short_lives_refresh_and_retry_before_their_usable_end() {
        let policy = RefreshPolicy::default();
        let obtained = Instant::now();
        let at = |lifetime: Duration| {
            (
                policy.refresh_at(obtained, lifetime) - obtained,
                policy.retry_at(obtained, lifetime) - obtained,
                policy.usable_life(lifetime),
            )
        };
        let ms = Duration::from_millis;
        // Long lives keep 80 % and 90 %.
        assert_eq!(
            at(Duration::from_secs(900)),
            (ms(720_000), ms(810_000), ms(895_000))
        );
        assert_eq!(at(Duration::from_secs(10)), (ms(8000), ms(9000), ms(9000)));
        // A 5 s token whose whole-second exp left it 4.2 s: usable until 3.2 s.
        assert_eq!(at(ms(4200)), (ms(2200), ms(3200), ms(3200)));
        // A 10 s token with 9.3 s left: usable until 8.3 s, refresh at 80 %, retry at the end.
        assert_eq!(at(ms(9300)), (ms(7300), ms(8300), ms(8300)));
    }
}
