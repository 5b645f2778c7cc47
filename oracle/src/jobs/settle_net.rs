//! [`SettleNet`]: the scheduler's `settleNet` tick (acts as Scheduler).
//!
//! It queries the CSAs and exercises `SettleNetByScheduler` on each whose latest mark left a
//! non-zero `unsettledCall`. The ledger records a `NetSettlement` and moves the call into the
//! CSA's `collateralBalance`; the job logs `net_settled` with the CSA, the amount and the
//! balance after.
//!
//! Idempotency: settling zeroes `unsettledCall`, so a repeated tick finds nothing to settle
//! and does not send a command; if it races another settlement the ledger refuses with
//! `NOTHING_TO_SETTLE` (nothing to do). A CSA that rotated under the job (a new mark, or a
//! settlement by another replica) is re-queried by `csaId` and settled as it now stands, once.

use serde_json::json;

use crate::error::TickError;
use crate::jobs::exercise::{
    ChoiceSpec, ExerciseOutcome, ExercisePlan, exercise_with_requery, log_no_effect,
};
use crate::jobs::tally::Tally;
use crate::jobs::world::{CSA, Csa, StableView, template_id};
use crate::jobs::{Job, JobContext, JobFuture};
use crate::ledger::QueryRequest;

/// `SettleNetByScheduler`; `NOTHING_TO_SETTLE` means the latest call is zero or settled.
const SETTLE_NET: ChoiceSpec = ChoiceSpec {
    choice: "SettleNetByScheduler",
    nothing_to_do: &["NOTHING_TO_SETTLE"],
};

/// Settles every CSA's outstanding call.
#[derive(Debug, Clone, Copy, Default)]
pub struct SettleNet;

impl Job for SettleNet {
    fn run<'a>(&'a self, context: JobContext<'a>) -> JobFuture<'a> {
        Box::pin(async move {
            let request = QueryRequest::templates([template_id(CSA)]);
            let contracts = context
                .ledger
                .query(&context.token().await?, &request)
                .await?;
            let mut tally = Tally::new(context.cron, "CSAs");
            for contract in contracts.iter().filter(|c| c.is_instance_of(CSA)) {
                let stable_id = contract.payload["csaId"].as_str().unwrap_or("?");
                match Csa::decode(contract) {
                    Ok(csa) if csa.unsettled_call.is_zero() => {}
                    Ok(csa) => tally.record(stable_id, settle(&context, &csa).await),
                    Err(error) => tally.record(stable_id, Err(TickError::Job(error))),
                }
            }
            tally.finish(contracts.len())
        })
    }
}

/// Settle when the CSA has an unsettled call.
fn plan(csa: &Csa) -> Result<ExercisePlan, TickError> {
    Ok(if csa.unsettled_call.is_zero() {
        ExercisePlan::Skip("no unsettled call".into())
    } else {
        ExercisePlan::Exercise(json!({}))
    })
}

/// Settles one CSA; `Ok(true)` when a settlement was recorded.
async fn settle(context: &JobContext<'_>, csa: &Csa) -> Result<bool, TickError> {
    match exercise_with_requery(context, SETTLE_NET, csa, plan).await? {
        ExerciseOutcome::NoEffect(why) => {
            log_no_effect(context, SETTLE_NET.choice, csa.stable_id(), &why);
            Ok(false)
        }
        ExerciseOutcome::Exercised { result, .. } => {
            let settlement = result.created("IRSForge.Settlement:NetSettlement").next();
            // The ledger's record is the truth (the call may have changed on a re-query).
            let (amount, balance_after) = match settlement {
                Some(record) => (
                    record.field_text("amount"),
                    record.field_text("balanceAfter"),
                ),
                None => (csa.unsettled_call.to_string(), String::new()),
            };
            tracing::info!(
                event = "net_settled",
                cron = %context.cron,
                csa = %csa.csa_id,
                amount = %amount,
                balanceAfter = %balance_after,
                settlement = %result.exercise_result["settlement"].as_str().unwrap_or(""),
                "net settled"
            );
            Ok(true)
        }
    }
}
