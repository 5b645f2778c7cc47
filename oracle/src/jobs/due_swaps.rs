//! The scheduler's swap ticks (`trigger`, `mature`) in one loop: query the swaps, decode each,
//! ask the job whether it is due at the fire time, and act on the due ones, tallying every
//! outcome. A swap that does not decode fails only itself.

use std::future::Future;

use ledger_types::lf::Timestamp;

use crate::error::TickError;
use crate::jobs::exercise::ExercisePlan;
use crate::jobs::tally::Tally;
use crate::jobs::world::{SWAP, StableView, Swap, template_id};
use crate::jobs::{JobContext, JobReport};
use crate::ledger::QueryRequest;

/// Runs `act` on every visible swap `plan` finds due at the tick's ledger time.
pub(crate) async fn for_each_due_swap<Act, Fut>(
    context: &JobContext<'_>,
    plan: fn(&Swap, Timestamp) -> Result<ExercisePlan, TickError>,
    act: Act,
) -> Result<JobReport, TickError>
where
    Act: Fn(Swap) -> Fut,
    Fut: Future<Output = Result<bool, TickError>>,
{
    let now = context.ledger_time()?;
    let request = QueryRequest::templates([template_id(SWAP)]);
    let contracts = context
        .ledger
        .query(&context.token().await?, &request)
        .await?;
    let mut tally = Tally::new(context.cron, "swaps");
    for contract in contracts.iter().filter(|c| c.is_instance_of(SWAP)) {
        let stable_id = contract.payload[Swap::STABLE_FIELD].as_str().unwrap_or("?");
        let outcome = match Swap::decode(contract) {
            Err(error) => Err(TickError::Job(error)),
            Ok(swap) => match plan(&swap, now) {
                Ok(ExercisePlan::Skip(_)) => continue,
                Ok(ExercisePlan::Exercise(_)) => act(swap).await,
                Err(error) => Err(error),
            },
        };
        tally.record(stable_id, outcome);
    }
    tally.finish(contracts.len())
}
