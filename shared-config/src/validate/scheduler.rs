//! The `scheduler` and `parties` sections.

use super::fields::text_or;
use crate::issues::{Issues, YamlPath};
use crate::model::{CronConfig, CronSchedule, PartiesConfig, SchedulerConfig};
use crate::raw::{RawParties, RawScheduler};

pub(super) fn scheduler(raw: Option<RawScheduler>, issues: &mut Issues) -> Option<SchedulerConfig> {
    let path = YamlPath::root("scheduler");
    let raw = raw.unwrap_or_default();
    let enabled = raw.enabled.unwrap_or(false);
    let cron_path = path.key("cron");
    let raw_cron = match raw.cron {
        Some(cron) => cron,
        None if enabled => {
            issues.push(
                &cron_path,
                "required when scheduler.enabled is true (trigger, settleNet, mature)",
            );
            return None;
        }
        None => Default::default(),
    };
    let mut complete = true;
    let mut parse = |value: Option<String>, key: &str| -> Option<CronSchedule> {
        let field = cron_path.key(key);
        match value {
            None => {
                if enabled {
                    issues.push(&field, "required when scheduler.enabled is true");
                    complete = false;
                }
                None
            }
            Some(expression) => match CronSchedule::parse(&expression) {
                Ok(schedule) => Some(schedule),
                Err(error) => {
                    issues.push(&field, format!("{expression:?}: {error}"));
                    complete = false;
                    None
                }
            },
        }
    };
    let cron = CronConfig {
        trigger: parse(raw_cron.trigger, "trigger"),
        settle_net: parse(raw_cron.settle_net, "settleNet"),
        mature: parse(raw_cron.mature, "mature"),
    };
    complete.then_some(SchedulerConfig {
        enabled,
        manual_overrides_enabled: raw.manual_overrides_enabled.unwrap_or(true),
        cron,
    })
}

pub(super) fn parties(raw: Option<RawParties>, issues: &mut Issues) -> Option<PartiesConfig> {
    let path = YamlPath::root("parties").key("scheduler").key("partyHint");
    let hint = raw
        .unwrap_or_default()
        .scheduler
        .unwrap_or_default()
        .party_hint;
    let hint = text_or(hint, "Scheduler", &path, issues)?;
    if hint.contains("::") {
        issues.push(
            &path,
            format!("{hint:?} is a hint, the part before `::`; write only that part"),
        );
        return None;
    }
    Some(PartiesConfig {
        scheduler_party_hint: hint,
    })
}
