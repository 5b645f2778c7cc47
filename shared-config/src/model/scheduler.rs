//! The `scheduler` and `parties` sections, and [`CronSchedule`].

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

/// `parties`.
#[derive(Debug, Clone)]
pub struct PartiesConfig {
    /// `parties.scheduler.partyHint` (default `Scheduler`).
    pub scheduler_party_hint: String,
}

/// `scheduler`.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// Whether the scheduler service runs (default false).
    pub enabled: bool,
    /// Whether humans may fire lifecycle choices by hand (default true).
    pub manual_overrides_enabled: bool,
    /// The crons; all three are present whenever `enabled` is true.
    pub cron: CronConfig,
}

/// `scheduler.cron`.
#[derive(Debug, Clone, Default)]
pub struct CronConfig {
    /// Fires `TriggerLifecycleByScheduler`; also the mark-publisher's default cron.
    pub trigger: Option<CronSchedule>,
    /// Fires `SettleNetByScheduler`.
    pub settle_net: Option<CronSchedule>,
    /// Fires `MatureByScheduler`.
    pub mature: Option<CronSchedule>,
}

/// A parsed 6-field cron expression, seconds first (`sec min hour day-of-month month
/// day-of-week`), evaluated in UTC.
#[derive(Clone)]
pub struct CronSchedule {
    schedule: cron::Schedule,
}

/// Why a cron expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    /// Not exactly six fields.
    #[error(
        "expected 6 fields (sec min hour day-of-month month day-of-week, e.g. \"0 */5 * * * *\"), found {0}"
    )]
    FieldCount(usize),
    /// Six fields, but one does not parse.
    #[error("invalid cron expression: {0}")]
    Invalid(String),
}

impl CronSchedule {
    /// Parses a 6-field expression. Five-field crontab syntax is refused rather than guessed
    /// at: read as seconds-first it would fire at the wrong times.
    pub fn parse(expression: &str) -> Result<Self, CronError> {
        let fields = expression.split_whitespace().count();
        if fields != 6 {
            return Err(CronError::FieldCount(fields));
        }
        // The parser's message draws a caret under the culprit on lines of its own; the last
        // line is the sentence that explains it.
        let schedule = cron::Schedule::from_str(expression).map_err(|error| {
            let message = error.to_string();
            let reason = message
                .lines()
                .rev()
                .find(|line| !line.trim().is_empty())
                .unwrap_or(&message);
            CronError::Invalid(reason.trim().to_owned())
        })?;
        if schedule.upcoming(Utc).next().is_none() {
            return Err(CronError::Invalid("the expression never fires".into()));
        }
        Ok(Self { schedule })
    }

    /// The first fire time strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.schedule.after(&after).next()
    }

    /// The expression as written.
    pub fn expression(&self) -> &str {
        self.schedule.source()
    }
}

impl fmt::Debug for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronSchedule({:?})", self.expression())
    }
}

impl fmt::Display for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expression())
    }
}

impl FromStr for CronSchedule {
    type Err = CronError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
