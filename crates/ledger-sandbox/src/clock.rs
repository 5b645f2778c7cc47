//! Ledger time. Everything time-dependent in the sandbox (token `exp`/`nbf`/`iat` checks, the
//! JWKS refetch rate limit, ledger time seen by choices, the seeded world's start) reads the
//! one injected `service_runtime::clock::Clock` of [`SandboxOptions`](crate::SandboxOptions).
//! Ledger time is that clock's instant truncated to microseconds, the precision of a Daml-LF
//! `Timestamp`.

use chrono::{DateTime, Utc};
use service_runtime::clock::Clock;

/// Ledger time: the clock's instant truncated to whole microseconds.
pub(crate) fn ledger_time(clock: &dyn Clock) -> DateTime<Utc> {
    crate::lf::truncate_to_micros(clock.now())
}
