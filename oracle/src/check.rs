//! `irsforge-oracle check`: is everything the oracle needs at boot present, without touching
//! the network?
//!
//! The config has already loaded and validated when this runs. It then checks what only the
//! oracle knows: the schedules (including `MARK_PUBLISHER_CRON`), and for each account the
//! oracle needs, which resolver branch will serve it and whether that branch has what it needs
//! (a token from the environment that has not expired; the client secret variable; a party
//! hint for the demo profile). It never prints a secret or a token.

use std::fmt;

use shared_config::{AuthProvider, Config, EnvSource};

use crate::config::{self, CronOrigin, MARK_PUBLISHER_CRON_ENV};
use crate::error::{OracleError, TokenError};
use crate::ledger::LedgerClient;
use crate::token::client_credentials::secret_variable;
use crate::token::{ClientCredentialsFetcher, TokenHandle, demo, env_override};

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// False when this stops the oracle from booting.
    pub ok: bool,
    /// What it is about: an account id, `schedule`, `scheduler`.
    pub subject: String,
    /// What was found.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = if self.ok { "ok" } else { "error" };
        write!(f, "{mark}: {}: {}", self.subject, self.message)
    }
}

/// Every finding, in order.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    /// The findings.
    pub findings: Vec<Finding>,
}

impl CheckReport {
    /// True when nothing stops the oracle from booting.
    pub fn is_ok(&self) -> bool {
        self.findings.iter().all(|finding| finding.ok)
    }

    fn push(&mut self, ok: bool, subject: &str, message: String) {
        self.findings.push(Finding {
            ok,
            subject: subject.to_owned(),
            message,
        });
    }
}

impl fmt::Display for CheckReport {
    /// One `ok: …` or `error: …` line per finding.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.findings
            .iter()
            .try_for_each(|finding| writeln!(f, "{finding}"))
    }
}

/// Checks schedules and per-account prerequisites.
pub fn check(config: &Config, env: &dyn EnvSource) -> CheckReport {
    let mut report = CheckReport::default();
    match config::schedules(config, env) {
        Ok(schedules) => {
            let origin = match schedules.mark_publisher_origin {
                CronOrigin::Environment => MARK_PUBLISHER_CRON_ENV,
                CronOrigin::TriggerCron => "scheduler.cron.trigger",
            };
            report.push(
                true,
                "schedule",
                format!(
                    "mark-publisher fires on \"{}\" (from {origin})",
                    schedules.mark_publisher
                ),
            );
            match schedules.scheduler {
                Some(crons) => report.push(
                    true,
                    "schedule",
                    format!(
                        "scheduler fires trigger \"{}\", settleNet \"{}\", mature \"{}\"",
                        crons.trigger, crons.settle_net, crons.mature
                    ),
                ),
                None => report.push(
                    true,
                    "scheduler",
                    "disabled (scheduler.enabled is false); no scheduler token needed".into(),
                ),
            }
        }
        Err(error) => report.push(false, "schedule", error.to_string()),
    }
    if let Err(error @ OracleError::PlainHttpLedger { .. }) = LedgerClient::from_config(config) {
        report.push(false, "ledger", error.to_string());
    }
    for account in config::accounts(config) {
        check_account(account, config, env, &mut report);
    }
    report
}

fn check_account(account: &str, config: &Config, env: &dyn EnvSource, report: &mut CheckReport) {
    if let Some(found) = env_override::find(account, env) {
        let variable = found.variable.clone();
        match TokenHandle::from_env(account, found) {
            Ok(_) => report.push(
                true,
                account,
                format!("token from {variable}, used verbatim and never refreshed"),
            ),
            Err(error) => report.push(false, account, error.to_string()),
        }
        return;
    }
    match config.auth.provider() {
        AuthProvider::Demo => match demo::party_hint(account, config) {
            Some(hint) => report.push(
                true,
                account,
                format!(
                    "demo HS256 token signed with daml.unsafeJwtSecret; party `{hint}` is looked \
                     up on {} at boot",
                    config.operator_ledger_url()
                ),
            ),
            None => report.push(false, account, "no party hint in the demo profile".into()),
        },
        AuthProvider::Builtin | AuthProvider::Oidc => {
            let variable = secret_variable(account);
            if config.auth.service_account(account).is_none() {
                report.push(
                    false,
                    account,
                    "not declared in auth.serviceAccounts".into(),
                );
            } else if env.var(&variable).is_some_and(|secret| !secret.is_empty()) {
                if let Err(error @ TokenError::PlainHttpTokenEndpoint { .. }) =
                    ClientCredentialsFetcher::from_config(account, config, env)
                {
                    report.push(false, account, error.to_string());
                    return;
                }
                report.push(
                    true,
                    account,
                    format!(
                        "client secret in {variable}; tokens from {}",
                        config.platform.token_endpoint()
                    ),
                );
            } else {
                report.push(
                    false,
                    account,
                    format!("{variable} is not set (or is empty)"),
                );
            }
        }
    }
}
