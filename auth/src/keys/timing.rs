//! The timing rules of a rotation shared by several replicas.
//!
//! A staged key is published by every replica within [`MAX_NOTICE`] of the command (each polls
//! the directory at least that often). A verifier may hold a JWKS fetched just before that for
//! its `max-age`, so the key may sign only once `max-age + MAX_NOTICE` has passed, plus
//! [`CLOCK_MARGIN`] for replicas' clocks that disagree: [`activation_delay`]. A key that
//! stopped signing at `T` may still be carried by tokens until `T + tokenTtlSeconds` (plus the
//! clocks' disagreement and the expiry leeway verifiers commonly allow), so it is retired only
//! after that: [`retire_delay`].

use std::time::Duration;

/// The JWKS `Cache-Control: max-age` by default.
pub const DEFAULT_JWKS_MAX_AGE: Duration = Duration::from_secs(300);
/// How often a server polls the key directory by default.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);
/// The longest a running server takes to see a change of the key directory; its poll interval
/// may not exceed it. A rotation done with `--now` is signed with by every replica within it.
pub const MAX_NOTICE: Duration = Duration::from_secs(10);
/// How far the clocks of the replicas, the host running `keys`, and the verifiers may disagree.
pub const CLOCK_MARGIN: Duration = Duration::from_secs(30);
/// The leeway verifiers commonly allow past `exp` (jsonwebtoken's default).
pub const EXPIRY_LEEWAY: Duration = Duration::from_secs(60);

/// How long a staged key is published before it signs, for verifiers caching the JWKS for
/// `jwks_max_age`.
pub fn activation_delay(jwks_max_age: Duration) -> Duration {
    jwks_max_age + MAX_NOTICE + CLOCK_MARGIN
}

/// How long after a key stopped signing it may be retired, for tokens living `token_ttl`.
pub fn retire_delay(token_ttl: Duration) -> Duration {
    token_ttl + CLOCK_MARGIN + EXPIRY_LEEWAY
}

/// Whole seconds, for Unix-second arithmetic.
pub(crate) fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// An instant in Unix seconds as RFC 3339 (`2026-01-01T00:05:40Z`).
pub fn format_instant(unix_seconds: i64) -> String {
    chrono::DateTime::from_timestamp(unix_seconds, 0).map_or_else(
        || format!("@{unix_seconds}"),
        |instant| instant.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_give_the_documented_delays() {
        assert_eq!(
            activation_delay(DEFAULT_JWKS_MAX_AGE),
            Duration::from_secs(340)
        );
        assert_eq!(
            retire_delay(Duration::from_secs(900)),
            Duration::from_secs(990)
        );
        assert!(DEFAULT_POLL_INTERVAL <= MAX_NOTICE);
        assert_eq!(format_instant(1_767_225_940), "2026-01-01T00:05:40Z");
    }
}
