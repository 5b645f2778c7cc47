//! Instants and comparisons the unit tests share.

use ledger_types::lf::Timestamp;

/// WORLD.md's seed time, 2026-01-05T09:00:00Z.
pub(crate) fn origin() -> Timestamp {
    Timestamp::parse("2026-01-05T09:00:00Z").unwrap()
}

/// `origin()` plus `seconds` (negative: before it).
pub(crate) fn at(seconds: i64) -> Timestamp {
    origin().checked_add_micros(seconds * 1_000_000).unwrap()
}

/// Seconds in `count` days.
pub(crate) fn days(count: i64) -> i64 {
    count * 86_400
}

/// `|actual − expected| ≤ tolerance`.
pub(crate) fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
    (actual - expected).abs() <= tolerance
}
