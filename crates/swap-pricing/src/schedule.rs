//! The period schedule of a swap and its Act/360 accrual (WORLD.md, "Swap").
//!
//! n = ⌈(maturity − effective) / P⌉ periods, at most [`MAX_PERIODS`]; period i runs from
//! sᵢ = effective + i·P to eᵢ = min(effective + (i+1)·P, maturity), so only the last one can be
//! short. αᵢ = (eᵢ − sᵢ in seconds) / 31,104,000.

use ledger_types::lf::Timestamp;

use crate::PricingError;

/// Seconds in the Act/360 year.
pub const ACT_360_YEAR_SECONDS: f64 = 360.0 * 86_400.0;

/// Microseconds in the Act/360 year.
const ACT_360_YEAR_MICROS: f64 = ACT_360_YEAR_SECONDS * 1_000_000.0;

/// Most periods a swap may have (the template's `ensure`), so a bad payload cannot make an
/// exercise or a pricing pass spin.
pub const MAX_PERIODS: i64 = 10_000;

/// Act/360 year fraction between two instants, measured to the microsecond: one division of
/// two exact integers, so the result is the correctly rounded quotient.
pub fn act_360(start: Timestamp, end: Timestamp) -> f64 {
    (end.micros() - start.micros()) as f64 / ACT_360_YEAR_MICROS
}

/// A valid period schedule: P > 0, maturity after effective, at most [`MAX_PERIODS`] periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    effective: Timestamp,
    maturity: Timestamp,
    period_micros: i64,
    count: i64,
}

impl Schedule {
    /// The schedule from `effective` to `maturity` in periods of `period_seconds`; refuses what
    /// the `Swap` template's `ensure` refuses.
    pub fn new(
        effective: Timestamp,
        maturity: Timestamp,
        period_seconds: i64,
    ) -> Result<Self, PricingError> {
        let invalid = |detail: String| Err(PricingError::InvalidSchedule(detail));
        if period_seconds <= 0 {
            return invalid(format!("periodSeconds {period_seconds} is not positive"));
        }
        let length = maturity.micros() - effective.micros();
        if length <= 0 {
            return invalid(format!(
                "maturityTime {maturity} is not after effectiveTime {effective}"
            ));
        }
        let period_micros = period_seconds.saturating_mul(1_000_000);
        let count = length / period_micros + i64::from(length % period_micros != 0);
        if count > MAX_PERIODS {
            return invalid(format!(
                "the schedule has {count} periods; at most {MAX_PERIODS} are allowed"
            ));
        }
        Ok(Self {
            effective,
            maturity,
            period_micros,
            count,
        })
    }

    /// n, the number of periods.
    pub fn count(&self) -> i64 {
        self.count
    }

    /// Period `index` (0-based): (sᵢ, eᵢ). An index past the last period gives
    /// (maturity, maturity).
    pub fn period(&self, index: i64) -> (Timestamp, Timestamp) {
        (self.boundary(index), self.boundary(index.saturating_add(1)))
    }

    /// The start of the schedule.
    pub fn effective(&self) -> Timestamp {
        self.effective
    }

    /// The end of the schedule.
    pub fn maturity(&self) -> Timestamp {
        self.maturity
    }

    /// min(effective + k·P, maturity), never before effective.
    fn boundary(&self, k: i64) -> Timestamp {
        let offset = k.max(0).saturating_mul(self.period_micros);
        let micros = self
            .effective
            .micros()
            .saturating_add(offset)
            .min(self.maturity.micros());
        // Between effective and maturity, both Timestamps, so always a Timestamp.
        Timestamp::from_micros(micros).unwrap_or(self.maturity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{at, days, origin};

    fn schedule(length: i64, period: i64) -> Result<Schedule, PricingError> {
        Schedule::new(origin(), at(length), period)
    }

    fn offsets((start, end): (Timestamp, Timestamp)) -> (i64, i64) {
        let seconds = |t: Timestamp| (t.micros() - origin().micros()) / 1_000_000;
        (seconds(start), seconds(end))
    }

    #[test]
    fn the_schedule_ends_with_a_short_stub() {
        let terms = schedule(50, 20).unwrap();
        assert_eq!(terms.count(), 3);
        assert_eq!(offsets(terms.period(0)), (0, 20));
        assert_eq!(offsets(terms.period(1)), (20, 40));
        assert_eq!(offsets(terms.period(2)), (40, 50));
        assert_eq!(offsets(terms.period(3)), (50, 50), "past the end");
        assert_eq!(schedule(60, 20).unwrap().count(), 3, "no stub");
        assert_eq!(schedule(61, 20).unwrap().count(), 4);
        assert_eq!(schedule(days(1826), days(91)).unwrap().count(), 21);
    }

    #[test]
    fn schedules_that_break_the_template_rules_are_refused() {
        let message = |result: Result<Schedule, PricingError>| result.unwrap_err().to_string();
        assert!(message(schedule(60, 0)).contains("periodSeconds"));
        assert!(message(schedule(60, -5)).contains("periodSeconds"));
        assert!(message(schedule(0, 20)).contains("maturityTime"));
        assert!(message(schedule(-10, 20)).contains("maturityTime"));
        assert!(message(schedule(20_001, 2)).contains("at most 10000"));
        assert_eq!(schedule(20_000, 2).unwrap().count(), MAX_PERIODS);
    }

    #[test]
    fn accrual_is_act_360_to_the_microsecond() {
        let start = origin();
        assert_eq!(act_360(start, at(days(360))), 1.0);
        assert_eq!(act_360(start, at(20)), 20.0 / 31_104_000.0);
        let one_micro = start.checked_add_micros(1).unwrap();
        assert_eq!(act_360(start, one_micro), 1.0 / 31_104_000_000_000.0);
        assert_eq!(act_360(at(20), start), -20.0 / 31_104_000.0);
    }
}
