//! Exercising one choice on one contract, the way every job does it.
//!
//! Every IRSForge choice the jobs drive is consuming: a successful exercise archives the
//! contract and (except `MatureByScheduler`) recreates it under a new id. So a contract a job
//! read a moment ago may be gone by the time it acts, because another cron (or another oracle
//! replica) acted on it first. [`exercise_with_requery`] handles that the way WORLD.md asks:
//! on `CONTRACT_NOT_FOUND` it finds the contract again by its stable id (`csaId`, `swapId`),
//! asks the job again what to do with what it found (it may be nothing now), and retries once.
//! A second `CONTRACT_NOT_FOUND` fails; a contract that no longer exists is nothing to do.
//!
//! The precondition codes a choice uses to say "nothing to do" (`NOTHING_DUE`, `STALE_MARK`,
//! …) are success without an effect; any other refusal is a [`TickError::Choice`] naming the
//! choice and the contract.

use std::future::Future;

use ledger_types::lf::Timestamp;
use serde_json::{Map, Value};

use crate::error::{LedgerError, TickError};
use crate::jobs::world::{SWAP, StableView, Swap, is_instance_of, template_id};
use crate::jobs::{JobContext, JobReport};
use crate::ledger::{Contract, ExerciseRequest, ExerciseResult, LedgerEvent, QueryRequest};

/// A choice and the precondition codes that mean "nothing to do".
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChoiceSpec {
    /// The choice's name.
    pub(crate) choice: &'static str,
    /// `User abort` codes that are success without an effect.
    pub(crate) nothing_to_do: &'static [&'static str],
}

/// What a job wants done with the contract as it currently is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Plan {
    /// Exercise the choice with this argument.
    Exercise(Value),
    /// Nothing to do, and why.
    Skip(String),
}

/// How one exercise ended, when it did not fail.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// The choice ran.
    Exercised {
        /// The argument it ran with.
        argument: Value,
        /// The ledger's answer.
        result: ExerciseResult,
    },
    /// Nothing was done, and why: a "nothing to do" code or the state found on re-query.
    NoEffect(String),
}

/// Exercises `spec.choice` on `view` with the argument `plan` gives for it; on
/// `CONTRACT_NOT_FOUND`, re-queries by stable id, re-plans and retries once.
pub(crate) async fn exercise_with_requery<V, P>(
    context: &JobContext<'_>,
    spec: ChoiceSpec,
    view: &V,
    plan: P,
) -> Result<Outcome, TickError>
where
    V: StableView + Sync,
    P: Fn(&V) -> Result<Plan, TickError> + Sync,
{
    if let Attempt::Done(outcome) = attempt(context, spec, view, &plan).await? {
        return Ok(outcome);
    }
    tracing::info!(
        event = "contract_rotated",
        cron = %context.cron,
        template = V::TEMPLATE,
        stableId = %view.stable_id(),
        choice = spec.choice,
        "the contract id changed under the job; re-querying once"
    );
    let Some(fresh) = find_by_stable_id::<V>(context, view.stable_id()).await? else {
        return Ok(Outcome::NoEffect(format!(
            "{} {} no longer exists",
            V::NOUN,
            view.stable_id()
        )));
    };
    match attempt(context, spec, &fresh, &plan).await? {
        Attempt::Done(outcome) => Ok(outcome),
        // It rotated again between the re-query and the retry: give up until the next fire.
        Attempt::Rotated(again) => Err(failure::<V>(spec, &fresh, again)),
    }
}

/// The only active contract of `V` whose stable id is `stable_id`, if there is one.
pub(crate) async fn find_by_stable_id<V: StableView>(
    context: &JobContext<'_>,
    stable_id: &str,
) -> Result<Option<V>, TickError> {
    let mut filter = Map::new();
    filter.insert(V::STABLE_FIELD.to_owned(), Value::from(stable_id));
    let request = QueryRequest {
        template_ids: vec![template_id(V::TEMPLATE)],
        query: Some(Value::Object(filter)),
        readers: None,
    };
    let contracts = context.ledger.query(context.token, &request).await?;
    let mut found = Vec::new();
    for contract in contracts.iter().filter(|c| is_instance_of(c, V::TEMPLATE)) {
        let view = V::decode(contract).map_err(TickError::Job)?;
        // Filtered again here: the stable id is the contract's identity, not a hint.
        if view.stable_id() == stable_id {
            found.push(view);
        }
    }
    if found.len() > 1 {
        return Err(TickError::Job(format!(
            "{} active {} contracts have {} `{stable_id}`; the stable id must be unique",
            found.len(),
            V::TEMPLATE,
            V::STABLE_FIELD
        )));
    }
    Ok(found.pop())
}

enum Attempt {
    Done(Outcome),
    Rotated(LedgerError),
}

async fn attempt<V, P>(
    context: &JobContext<'_>,
    spec: ChoiceSpec,
    view: &V,
    plan: &P,
) -> Result<Attempt, TickError>
where
    V: StableView + Sync,
    P: Fn(&V) -> Result<Plan, TickError> + Sync,
{
    let argument = match plan(view)? {
        Plan::Exercise(argument) => argument,
        Plan::Skip(why) => return Ok(Attempt::Done(Outcome::NoEffect(why))),
    };
    let request = ExerciseRequest {
        template_id: view.template_id().to_owned(),
        contract_id: view.contract_id().to_owned(),
        choice: spec.choice.to_owned(),
        argument: argument.clone(),
        meta: None,
    };
    match context.ledger.exercise(context.token, &request).await {
        Ok(result) => Ok(Attempt::Done(Outcome::Exercised { argument, result })),
        Err(error @ LedgerError::ContractNotFound { .. }) => Ok(Attempt::Rotated(error)),
        Err(error) => {
            if let Some(code) = error.user_abort_code()
                && spec.nothing_to_do.contains(&code)
            {
                return Ok(Attempt::Done(Outcome::NoEffect(code.to_owned())));
            }
            Err(failure::<V>(spec, view, error))
        }
    }
}

fn failure<V: StableView>(spec: ChoiceSpec, view: &V, source: LedgerError) -> TickError {
    TickError::Choice {
        choice: spec.choice,
        target: format!("{} {}", V::NOUN, view.stable_id()),
        source,
    }
}

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
                    error = %error,
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

/// The scheduler's swap ticks in one loop: query the swaps, decode each, ask `plan` whether it
/// is due at the fire time, and `act` on the due ones, tallying every outcome. A swap that does
/// not decode fails only itself.
pub(crate) async fn for_each_due_swap<Act, Fut>(
    context: &JobContext<'_>,
    plan: fn(&Swap, Timestamp) -> Result<Plan, TickError>,
    act: Act,
) -> Result<JobReport, TickError>
where
    Act: Fn(Swap) -> Fut,
    Fut: Future<Output = Result<bool, TickError>>,
{
    let now = context.ledger_time()?;
    let request = QueryRequest::templates([template_id(SWAP)]);
    let contracts = context.ledger.query(context.token, &request).await?;
    let mut tally = Tally::new(context.cron, "swaps");
    for contract in contracts.iter().filter(|c| is_instance_of(c, SWAP)) {
        let stable_id = contract.payload["swapId"].as_str().unwrap_or("?");
        let outcome = match Swap::decode(contract) {
            Err(error) => Err(TickError::Job(error)),
            Ok(swap) => match plan(&swap, now) {
                Ok(Plan::Skip(_)) => continue,
                Ok(Plan::Exercise(_)) => act(swap).await,
                Err(error) => Err(error),
            },
        };
        tally.record(stable_id, outcome);
    }
    tally.finish(contracts.len())
}

/// Logs a contract a job left alone, at debug: it is the normal case of most ticks.
pub(crate) fn log_no_effect(context: &JobContext<'_>, choice: &str, stable_id: &str, why: &str) {
    tracing::debug!(
        event = "choice_skipped",
        cron = %context.cron,
        choice,
        stableId = %stable_id,
        why = %why,
        "nothing to do"
    );
}

/// The contracts of `module_entity` an exercise created.
pub(crate) fn created<'r>(
    result: &'r ExerciseResult,
    module_entity: &'r str,
) -> impl Iterator<Item = &'r Contract> + 'r {
    result.events.iter().filter_map(move |event| match event {
        LedgerEvent::Created(contract) if is_instance_of(contract, module_entity) => Some(contract),
        _ => None,
    })
}

/// The contract ids a choice's result lists under `field` (`effects`), for logs.
pub(crate) fn result_ids(result: &ExerciseResult, field: &str) -> Vec<String> {
    match result.exercise_result.get(field) {
        Some(Value::Array(ids)) => ids
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(id)) => vec![id.clone()],
        _ => Vec::new(),
    }
}

/// A JSON value as log text: a string without quotes, anything else as JSON.
pub(crate) fn json_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(message: &str) -> LedgerError {
        LedgerError::Rejected {
            endpoint: "http://ledger.test/v1/exercise".into(),
            status: 400,
            message: message.into(),
        }
    }

    const NOTHING_DUE: &str = "FAILED_PRECONDITION: DAML_INTERPRETATION_ERROR(9,ab12cd34): \
        Interpretation error: Error: User abort: NOTHING_DUE: swap IRS-5Y: period 0 ends later";

    #[test]
    fn user_abort_codes_are_read_from_interpretation_errors_only() {
        assert_eq!(rejected(NOTHING_DUE).user_abort_code(), Some("NOTHING_DUE"));
        assert_eq!(
            rejected("User abort: STALE_MARK").user_abort_code(),
            Some("STALE_MARK")
        );
        assert_eq!(rejected("User abort: : no code").user_abort_code(), None);
        assert_eq!(
            rejected("JsonReaderError. Cannot read").user_abort_code(),
            None
        );
        let not_found = LedgerError::ContractNotFound {
            endpoint: "e".into(),
            message: "User abort: NOTHING_DUE".into(),
        };
        assert_eq!(not_found.user_abort_code(), None);
    }

    #[test]
    fn choice_failures_say_why_in_the_tick_failed_reason() {
        let choice = |source| TickError::Choice {
            choice: "PublishMark",
            target: "CSA CSA-AB-001".into(),
            source,
        };
        let unauthorized = rejected(
            "DAML_AUTHORIZATION_ERROR(8,ab12cd34): requires authorizers Operator::1220, but only \
             Scheduler::1220 were given",
        );
        assert!(unauthorized.is_daml_authorization_error());
        assert_eq!(choice(unauthorized).reason(), "choice_not_authorized");
        let invalid = rejected("FAILED_PRECONDITION: … User abort: INVALID_CALL: below the MTA");
        assert_eq!(choice(invalid).reason(), "choice_precondition_failed");
        let timeout = LedgerError::Timeout {
            endpoint: "e".into(),
            timeout: std::time::Duration::from_secs(5),
        };
        assert_eq!(choice(timeout).reason(), "ledger_timeout");
    }

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
            error.to_string(),
            "2 of 4 swaps failed; the first: no curve"
        );
    }
}
