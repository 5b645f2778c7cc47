//! [`Mature`]: the scheduler's `mature` tick (acts as Scheduler).
//!
//! It queries the swaps and exercises `MatureByScheduler` on each whose `maturityTime` is at
//! or before the tick's fire time. The ledger creates a `LifecycleEffect` for every period not
//! yet processed (maturing never drops a cash flow), records a `MaturedSwap` and archives the
//! swap; the job logs `instrument_matured` with the swap and the number of final periods.
//!
//! Idempotency: a matured swap is archived and not recreated, so a repeated tick does not see
//! it. If the ledger's time is still before maturity it refuses with `NOT_MATURED` (nothing to
//! do: the next fire tries again). A swap that rotated under the job (triggered in the
//! meantime) is re-queried by `swapId` and matured once; one that is gone was matured already.

use ledger_types::lf::Timestamp;
use serde_json::json;

use crate::error::TickError;
use crate::jobs::due_swaps::for_each_due_swap;
use crate::jobs::exercise::{
    ChoiceSpec, ExerciseOutcome, ExercisePlan, exercise_with_requery, log_no_effect,
};
use crate::jobs::world::{StableView, Swap};
use crate::jobs::{Job, JobContext, JobFuture};

/// `MatureByScheduler`; `NOT_MATURED` means the ledger's time is before maturity.
const MATURE: ChoiceSpec = ChoiceSpec {
    choice: "MatureByScheduler",
    nothing_to_do: &["NOT_MATURED"],
};

/// Matures every swap past its maturity.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mature;

impl Job for Mature {
    fn run<'a>(&'a self, context: JobContext<'a>) -> JobFuture<'a> {
        Box::pin(async move {
            let context = &context;
            for_each_due_swap(
                context,
                plan,
                |swap| async move { mature(context, &swap).await },
            )
            .await
        })
    }
}

/// Mature when maturity is at or before `now`.
fn plan(swap: &Swap, now: Timestamp) -> Result<ExercisePlan, TickError> {
    Ok(if swap.terms.maturity <= now {
        ExercisePlan::Exercise(json!({}))
    } else {
        ExercisePlan::Skip(format!("matures at {}", swap.terms.maturity))
    })
}

/// Matures one swap; `Ok(true)` when it matured.
async fn mature(context: &JobContext<'_>, swap: &Swap) -> Result<bool, TickError> {
    let now = context.ledger_time()?;
    let outcome =
        exercise_with_requery(context, MATURE, swap, |current| plan(current, now)).await?;
    match outcome {
        ExerciseOutcome::NoEffect(why) => {
            log_no_effect(context, MATURE.choice, swap.stable_id(), &why);
            Ok(false)
        }
        ExerciseOutcome::Exercised { result, .. } => {
            tracing::info!(
                event = "instrument_matured",
                cron = %context.cron,
                swap = %swap.swap_id,
                finalPeriods = result.result_ids("effects").len(),
                matured = %result.exercise_result["matured"].as_str().unwrap_or(""),
                "instrument matured"
            );
            Ok(true)
        }
    }
}
