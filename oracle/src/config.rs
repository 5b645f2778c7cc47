//! The oracle's runtime settings beyond `irsforge.yaml`: which services run, on which
//! schedules, and the environment variables that shape them.
//!
//! - The mark-publisher always runs. Its schedule is `MARK_PUBLISHER_CRON` (6 fields, seconds
//!   first, or crontab's 5) when set and non-empty, else `scheduler.cron.trigger` (which has a
//!   default).
//! - The scheduler runs when `scheduler.enabled`; its three crons are `scheduler.cron.trigger`,
//!   `settleNet` and `mature`.

use std::time::Duration;

use shared_config::{Config, CronSchedule, EnvSource, MARK_PUBLISHER_ACCOUNT, SCHEDULER_ACCOUNT};

use crate::error::OracleError;

/// The variable that overrides the mark-publisher's schedule.
pub const MARK_PUBLISHER_CRON_ENV: &str = "MARK_PUBLISHER_CRON";
/// The most one tick may take by default (token and ledger work together).
pub const DEFAULT_TICK_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the mark-publisher's schedule came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CronOrigin {
    /// `MARK_PUBLISHER_CRON`.
    Environment,
    /// `scheduler.cron.trigger`.
    TriggerCron,
}

/// The schedules of the services that run.
#[derive(Debug, Clone)]
pub struct Schedules {
    /// The mark-publisher's cron.
    pub mark_publisher: CronSchedule,
    /// Where it came from.
    pub mark_publisher_origin: CronOrigin,
    /// The scheduler's crons, when `scheduler.enabled`.
    pub scheduler: Option<SchedulerCrons>,
}

/// The scheduler's three crons.
#[derive(Debug, Clone)]
pub struct SchedulerCrons {
    /// `scheduler.cron.trigger`.
    pub trigger: CronSchedule,
    /// `scheduler.cron.settleNet`.
    pub settle_net: CronSchedule,
    /// `scheduler.cron.mature`.
    pub mature: CronSchedule,
}

/// Works out the schedules from the config and the environment.
pub fn schedules(config: &Config, env: &dyn EnvSource) -> Result<Schedules, OracleError> {
    let cron = &config.scheduler.cron;
    let from_env = env
        .var(MARK_PUBLISHER_CRON_ENV)
        .filter(|value| !value.trim().is_empty());
    let (mark_publisher, mark_publisher_origin) = match from_env {
        Some(value) => {
            let schedule = CronSchedule::parse(value.trim()).map_err(|source| {
                OracleError::InvalidCronVariable {
                    variable: MARK_PUBLISHER_CRON_ENV,
                    value: value.clone(),
                    source,
                }
            })?;
            (schedule, CronOrigin::Environment)
        }
        None => (cron.trigger.clone(), CronOrigin::TriggerCron),
    };
    let scheduler = config.scheduler.enabled.then(|| SchedulerCrons {
        trigger: cron.trigger.clone(),
        settle_net: cron.settle_net.clone(),
        mature: cron.mature.clone(),
    });
    Ok(Schedules {
        mark_publisher,
        mark_publisher_origin,
        scheduler,
    })
}

/// The service accounts the oracle needs a token for: the mark-publisher, and the scheduler
/// when it is enabled.
pub fn accounts(config: &Config) -> Vec<&'static str> {
    let mut accounts = vec![MARK_PUBLISHER_ACCOUNT];
    if config.scheduler.enabled {
        accounts.push(SCHEDULER_ACCOUNT);
    }
    accounts
}
