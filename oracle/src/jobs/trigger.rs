//! [`TriggerLifecycle`]: the scheduler's `trigger` tick (acts as Scheduler).
//!
//! It queries the swaps and exercises `TriggerLifecycleByScheduler` on each whose next
//! unprocessed period (from `effectiveTime`, `periodSeconds`, `nextPeriodIndex`) ended at or
//! before the tick's fire time. The ledger then creates one `LifecycleEffect` per period that
//! has ended by ledger time and advances `nextPeriodIndex`; the job logs
//! `lifecycle_triggered` with the swap, the number of periods and their indices.
//!
//! Idempotency: the swap carries its own progress (`nextPeriodIndex`), so a repeated tick
//! finds nothing due, and the ledger refuses a trigger with no period due (`NOTHING_DUE`,
//! nothing to do) whatever the job's clock says. A swap that rotated under the job (triggered
//! by another replica, or matured) is re-queried by `swapId` and re-checked once.

use ledger_types::lf::Timestamp;
use serde_json::json;

use crate::error::TickError;
use crate::jobs::due_swaps::for_each_due_swap;
use crate::jobs::exercise::{
    ChoiceSpec, ExerciseOutcome, ExercisePlan, exercise_with_requery, log_no_effect,
};
use crate::jobs::world::{SWAP, StableView, Swap};
use crate::jobs::{Job, JobContext, JobFuture};

/// `TriggerLifecycleByScheduler`; `NOTHING_DUE` means no period has ended since the last one.
const TRIGGER: ChoiceSpec = ChoiceSpec {
    choice: "TriggerLifecycleByScheduler",
    nothing_to_do: &["NOTHING_DUE"],
};

/// Lifecycles every swap with a period that has ended.
#[derive(Debug, Clone, Copy, Default)]
pub struct TriggerLifecycle;

impl Job for TriggerLifecycle {
    fn run<'a>(&'a self, context: JobContext<'a>) -> JobFuture<'a> {
        Box::pin(async move {
            let context = &context;
            for_each_due_swap(context, plan, |swap| async move {
                trigger(context, &swap).await
            })
            .await
        })
    }
}

/// Trigger when the next period ended at or before `now`.
fn plan(swap: &Swap, now: Timestamp) -> Result<ExercisePlan, TickError> {
    let next_end = swap
        .next_period_end()
        .map_err(|error| TickError::Job(format!("swap {}: {error}", swap.swap_id)))?;
    Ok(match next_end {
        Some(end) if end <= now => ExercisePlan::Exercise(json!({})),
        Some(end) => ExercisePlan::Skip(format!("the next period ends at {end}")),
        None => ExercisePlan::Skip("every period is processed".into()),
    })
}

/// Triggers one swap; `Ok(true)` when periods were processed.
async fn trigger(context: &JobContext<'_>, swap: &Swap) -> Result<bool, TickError> {
    let now = context.ledger_time()?;
    let outcome =
        exercise_with_requery(context, TRIGGER, swap, |current| plan(current, now)).await?;
    match outcome {
        ExerciseOutcome::NoEffect(why) => {
            log_no_effect(context, TRIGGER.choice, swap.stable_id(), &why);
            Ok(false)
        }
        ExerciseOutcome::Exercised { result, .. } => {
            let periods: Vec<String> = result
                .created("IRSForge.Lifecycle:LifecycleEffect")
                .map(|effect| effect.field_text("periodIndex"))
                .collect();
            let next_period_index = result
                .created(SWAP)
                .next()
                .map(|swap| swap.field_text("nextPeriodIndex"))
                .unwrap_or_default();
            let effects = result.result_ids("effects");
            tracing::info!(
                event = "lifecycle_triggered",
                cron = %context.cron,
                swap = %swap.swap_id,
                effect = effects.len(),
                periods = %periods.join(","),
                nextPeriodIndex = %next_period_index,
                effects = %effects.join(","),
                "lifecycle triggered"
            );
            Ok(true)
        }
    }
}
