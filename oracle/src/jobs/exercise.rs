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

use serde_json::{Map, Value};

use crate::error::{LedgerError, TickError};
use crate::jobs::JobContext;
use crate::jobs::world::{StableView, template_id};
use crate::ledger::{ExerciseRequest, ExerciseResult, QueryRequest};

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
pub(crate) enum ExercisePlan {
    /// Exercise the choice with this argument.
    Exercise(Value),
    /// Nothing to do, and why.
    Skip(String),
}

/// How one exercise ended, when it did not fail.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExerciseOutcome {
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

/// One try at the exercise: finished, or the contract id had rotated.
enum ExerciseTry {
    Done(ExerciseOutcome),
    Rotated(LedgerError),
}

/// Exercises `spec.choice` on `view` with the argument `plan` gives for it; on
/// `CONTRACT_NOT_FOUND`, re-queries by stable id, re-plans and retries once.
pub(crate) async fn exercise_with_requery<V, P>(
    context: &JobContext<'_>,
    spec: ChoiceSpec,
    view: &V,
    plan: P,
) -> Result<ExerciseOutcome, TickError>
where
    V: StableView + Sync,
    P: Fn(&V) -> Result<ExercisePlan, TickError> + Sync,
{
    if let ExerciseTry::Done(outcome) = try_exercise(context, spec, view, &plan).await? {
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
        return Ok(ExerciseOutcome::NoEffect(format!(
            "{} {} no longer exists",
            V::NOUN,
            view.stable_id()
        )));
    };
    match try_exercise(context, spec, &fresh, &plan).await? {
        ExerciseTry::Done(outcome) => Ok(outcome),
        // It rotated again between the re-query and the retry: give up until the next fire.
        ExerciseTry::Rotated(again) => Err(failure::<V>(spec, &fresh, again)),
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
    let contracts = context
        .ledger
        .query(&context.token().await?, &request)
        .await?;
    let mut found = Vec::new();
    for contract in contracts.iter().filter(|c| c.is_instance_of(V::TEMPLATE)) {
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

async fn try_exercise<V, P>(
    context: &JobContext<'_>,
    spec: ChoiceSpec,
    view: &V,
    plan: &P,
) -> Result<ExerciseTry, TickError>
where
    V: StableView + Sync,
    P: Fn(&V) -> Result<ExercisePlan, TickError> + Sync,
{
    let argument = match plan(view)? {
        ExercisePlan::Exercise(argument) => argument,
        ExercisePlan::Skip(why) => return Ok(ExerciseTry::Done(ExerciseOutcome::NoEffect(why))),
    };
    let request = ExerciseRequest {
        template_id: view.template_id().to_owned(),
        contract_id: view.contract_id().to_owned(),
        choice: spec.choice.to_owned(),
        argument: argument.clone(),
        meta: None,
    };
    match context
        .ledger
        .exercise(&context.token().await?, &request)
        .await
    {
        Ok(result) => Ok(ExerciseTry::Done(ExerciseOutcome::Exercised {
            argument,
            result,
        })),
        Err(error @ LedgerError::ContractNotFound { .. }) => Ok(ExerciseTry::Rotated(error)),
        Err(error) => {
            if let Some(code) = error.user_abort_code()
                && spec.nothing_to_do.contains(&code)
            {
                return Ok(ExerciseTry::Done(ExerciseOutcome::NoEffect(
                    code.to_owned(),
                )));
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
