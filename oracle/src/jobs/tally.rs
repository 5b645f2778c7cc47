//! [`Tally`]: what one tick did to its contracts, so one broken contract fails only itself.

use crate::error::TickError;
use crate::jobs::JobReport;

/// Counts what one tick did to its contracts. A failure on one contract does not stop the
/// others (a swap in a broken state must not hold up every other swap's lifecycle); each is
/// logged once as `contract_failed`, and the tick then fails so `tick_failed` reports it.
#[derive(Debug)]
pub(crate) struct Tally<'a> {
    cron: &'a str,
    items: &'static str,
    attempted: usize,
    effects: u64,
    failures: Vec<TickError>,
}

impl<'a> Tally<'a> {
    /// A tally of `items` (`CSAs`, `swaps`) for one tick of `cron`.
    pub(crate) fn new(cron: &'a str, items: &'static str) -> Self {
        Self {
            cron,
            items,
            attempted: 0,
            effects: 0,
            failures: Vec::new(),
        }
    }

    /// Records what acting on the contract `stable_id` gave: `Ok(true)` for a ledger effect.
    pub(crate) fn record(&mut self, stable_id: &str, outcome: Result<bool, TickError>) {
        self.attempted += 1;
        match outcome {
            Ok(effect) => self.effects += u64::from(effect),
            Err(error) => {
                tracing::warn!(
                    event = "contract_failed",
                    cron = %self.cron,
                    stableId = %stable_id,
                    reason = error.reason(),
                    error = %service_runtime::report::Chain(&error),
                    "acting on a contract failed; the tick carries on with the others"
                );
                self.failures.push(error);
            }
        }
    }

    /// The tick's report, or its failure when any contract failed.
    pub(crate) fn finish(self, contracts_seen: usize) -> Result<JobReport, TickError> {
        let failed = self.failures.len();
        match self.failures.into_iter().next() {
            None => Ok(JobReport {
                contracts_seen: contracts_seen as u64,
                ledger_effects: self.effects,
            }),
            Some(first) => Err(TickError::Contracts {
                failed,
                total: self.attempted,
                items: self.items,
                first: Box::new(first),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_fails_the_tick_with_the_first_failure_after_counting_all() {
        let mut tally = Tally::new("trigger", "swaps");
        tally.record("IRS-5Y", Ok(true));
        tally.record("IRS-2Y", Ok(false));
        assert_eq!(
            Tally::new("trigger", "swaps").finish(3).unwrap(),
            JobReport {
                contracts_seen: 3,
                ledger_effects: 0
            }
        );
        tally.record("IRS-EUR", Err(TickError::Job("no curve".into())));
        tally.record("IRS-GBP", Err(TickError::Job("no curve either".into())));
        let error = tally.finish(4).unwrap_err();
        assert_eq!(error.reason(), "job_failed");
        assert_eq!(
            service_runtime::report::Chain(&error).to_string(),
            "2 of 4 swaps failed; the first: no curve"
        );
    }

    #[test]
    fn a_tally_without_failures_reports_the_effects() {
        let mut tally = Tally::new("mature", "swaps");
        tally.record("IRS-SHORT-50S", Ok(true));
        tally.record("IRS-5Y", Ok(false));
        tally.record("IRS-SHORT-5M", Ok(true));
        assert_eq!(
            tally.finish(4).unwrap(),
            JobReport {
                contracts_seen: 4,
                ledger_effects: 2
            }
        );
    }
}
