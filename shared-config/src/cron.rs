//! [`CronSchedule`]: a cron expression of 5 or 6 fields, parsed once at load.
//!
//! The platform's oracle accepts crontab's 5 fields (`min hour day-of-month month
//! day-of-week`) and 6 with seconds first, and fails at start on anything else; the loader says
//! so first. The fields read as the platform reads them: day-of-week 0–7 with both 0 and 7
//! meaning Sunday (not the Quartz numbering of some cron libraries, where 1 is Sunday), names
//! such as `MON` and `JAN`, and a restricted day-of-month *and* day-of-week must both match.
//! Expressions are evaluated in UTC.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

/// A parsed cron expression.
#[derive(Clone)]
pub struct CronSchedule {
    expression: String,
    cron: Cron,
}

/// Why a cron expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    /// Not 5 or 6 fields.
    #[error(
        "expected 5 fields (min hour day-of-month month day-of-week) or 6 with seconds first, e.g. \"*/5 * * * * *\"; found {0}"
    )]
    FieldCount(usize),
    /// The right number of fields, but one does not parse.
    #[error("invalid cron expression: {0}")]
    Invalid(String),
}

impl CronSchedule {
    /// Parses an expression of 5 or 6 fields.
    pub fn parse(expression: &str) -> Result<Self, CronError> {
        let fields = expression.split_whitespace().count();
        if !(5..=6).contains(&fields) {
            return Err(CronError::FieldCount(fields));
        }
        let parser = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Disallowed)
            .dom_and_dow(true)
            .build();
        let cron = parser
            .parse(expression)
            .map_err(|error| CronError::Invalid(error.to_string()))?;
        Ok(Self {
            expression: expression.to_owned(),
            cron,
        })
    }

    /// The first fire time strictly after `after`, or `None` when the expression never fires
    /// again (such as the 31st of February).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&after, false).ok()
    }

    /// The expression as written.
    pub fn expression(&self) -> &str {
        &self.expression
    }
}

impl fmt::Debug for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronSchedule({:?})", self.expression)
    }
}

impl fmt::Display for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expression)
    }
}

impl FromStr for CronSchedule {
    type Err = CronError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn next(expression: &str, after: DateTime<Utc>) -> DateTime<Utc> {
        CronSchedule::parse(expression)
            .unwrap()
            .next_after(after)
            .unwrap()
    }

    #[test]
    fn five_fields_fire_on_the_minute_and_six_on_the_second() {
        let at = Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 7).unwrap();
        assert_eq!(
            next("*/5 * * * *", at),
            Utc.with_ymd_and_hms(2026, 12, 2, 10, 5, 0).unwrap()
        );
        assert_eq!(
            next("*/5 * * * * *", at),
            Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 10).unwrap()
        );
    }

    #[test]
    fn day_of_week_counts_from_sunday_zero_and_seven_is_sunday_too() {
        // 2026-12-02 is a Wednesday.
        let at = Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap();
        let monday = Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap();
        let sunday = Utc.with_ymd_and_hms(2026, 12, 6, 0, 0, 0).unwrap();
        assert_eq!(next("0 0 * * 1", at), monday);
        assert_eq!(next("0 0 * * MON", at), monday);
        assert_eq!(next("0 0 * * 0", at), sunday);
        assert_eq!(next("0 0 0 * * 7", at), sunday);
    }

    #[test]
    fn a_restricted_day_of_month_and_day_of_week_must_both_match() {
        // The 13th that is a Friday: 2027-08-13.
        let at = Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap();
        assert_eq!(
            next("0 0 13 * FRI", at),
            Utc.with_ymd_and_hms(2027, 8, 13, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn other_field_counts_and_bad_fields_are_refused_with_the_reason() {
        assert_eq!(
            CronSchedule::parse("* * * *").unwrap_err(),
            CronError::FieldCount(4)
        );
        assert_eq!(
            CronSchedule::parse("0 0 * * * * *").unwrap_err(),
            CronError::FieldCount(7)
        );
        assert_eq!(
            CronSchedule::parse("@daily").unwrap_err(),
            CronError::FieldCount(1)
        );
        assert_eq!(
            CronSchedule::parse("").unwrap_err(),
            CronError::FieldCount(0)
        );
        for bad in ["61 * * * *", "* * * * * 9", "a b c d e", "*/0 * * * *"] {
            assert!(
                matches!(CronSchedule::parse(bad), Err(CronError::Invalid(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn an_expression_that_never_fires_parses_and_has_no_next_time() {
        let never = CronSchedule::parse("0 0 31 2 *").unwrap();
        assert_eq!(never.next_after(Utc::now()), None);
    }
}
