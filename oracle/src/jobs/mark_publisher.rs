//! [`MarkPublisher`]: the mark-publisher's tick (acts as Operator).
//!
//! One `POST /v1/query` reads every visible `Csa`, `DiscountCurve` and `Swap` at once, so all
//! CSAs of a tick are priced from one view of the ledger. For each CSA the netting set (the
//! swaps with its `csaId`) is priced off the operator's curve in the CSA's currency at
//! v = the tick's fire time (`swap_pricing`, the maths the sandbox fixes periods with), and `PublishMark` is exercised with
//! `{asOf: v, exposure (to the cent), callAmount}`; each mark logs `mark_published`.
//!
//! Idempotency: the mark's `asOf` is the fire time, and the ledger refuses a mark that is not
//! after the CSA's last one (`STALE_MARK`). A CSA already marked at or after v is skipped
//! without a command; a repeated or overlapping tick for the same fire is refused by the
//! ledger and counted as nothing to do. If the CSA rotated between the query and the
//! exercise (settled, or marked by another replica), it is re-queried by `csaId` and the call
//! is recomputed against its current balance before the one retry.
//!
//! A CSA that cannot be priced (no curve in its currency, a swap in another currency or
//! between other parties, an invalid schedule) gets no mark and fails the tick after the
//! other CSAs are done: a mark that silently left out a swap would be wrong.

use ledger_types::lf::Timestamp;
use serde_json::json;
use swap_pricing::price_netting_set;

use crate::error::TickError;
use crate::jobs::exercise::{
    ChoiceSpec, ExerciseOutcome, ExercisePlan, exercise_with_requery, log_no_effect,
};
use crate::jobs::tally::Tally;
use crate::jobs::world::{CSA, Csa, Curve, DISCOUNT_CURVE, SWAP, StableView, Swap, template_id};
use crate::jobs::{Job, JobContext, JobFuture};
use crate::ledger::{Contract, QueryRequest};

/// `PublishMark`; `STALE_MARK` means a mark at or after this `asOf` exists already.
const PUBLISH_MARK: ChoiceSpec = ChoiceSpec {
    choice: "PublishMark",
    nothing_to_do: &["STALE_MARK"],
};

/// Prices every visible CSA and publishes its mark.
#[derive(Debug, Clone, Copy, Default)]
pub struct MarkPublisher;

impl Job for MarkPublisher {
    fn run<'a>(&'a self, context: JobContext<'a>) -> JobFuture<'a> {
        Box::pin(async move {
            let request = QueryRequest::templates([
                template_id(CSA),
                template_id(DISCOUNT_CURVE),
                template_id(SWAP),
            ]);
            let contracts = context
                .ledger
                .query(&context.token().await?, &request)
                .await?;
            let market = Market::read(&contracts)?;
            let valuation = context.ledger_time()?;
            let mut tally = Tally::new(context.cron, "CSAs");
            for contract in contracts.iter().filter(|c| c.is_instance_of(CSA)) {
                let outcome = match Csa::decode(contract) {
                    Ok(csa) => publish(&context, &market, &csa, valuation).await,
                    Err(error) => Err(TickError::Job(error)),
                };
                let stable_id = contract.payload["csaId"].as_str().unwrap_or("?");
                tally.record(stable_id, outcome);
            }
            tally.finish(contracts.len())
        })
    }
}

/// The curves and swaps of one query.
struct Market {
    curves: Vec<Curve>,
    swaps: Vec<Swap>,
}

impl Market {
    /// Decodes the curves and swaps. One that does not decode fails the tick: any netting set
    /// could be missing it.
    fn read(contracts: &[Contract]) -> Result<Self, TickError> {
        let of = |template| contracts.iter().filter(move |c| c.is_instance_of(template));
        Ok(Self {
            curves: of(DISCOUNT_CURVE)
                .map(Curve::decode)
                .collect::<Result<_, _>>()
                .map_err(TickError::Job)?,
            swaps: of(SWAP)
                .map(Swap::decode)
                .collect::<Result<_, _>>()
                .map_err(TickError::Job)?,
        })
    }

    /// What to do with `csa` as it is: nothing if it is marked at or after `valuation`,
    /// else `PublishMark` with its netting set's price.
    fn plan(&self, csa: &Csa, valuation: Timestamp) -> Result<ExercisePlan, TickError> {
        if let Some(last) = csa.last_mark_as_of
            && valuation <= last
        {
            return Ok(ExercisePlan::Skip(format!("already marked as of {last}")));
        }
        let failure = |detail: String| TickError::Job(format!("CSA {}: {detail}", csa.csa_id));
        let curve = self
            .curves
            .iter()
            .find(|curve| curve.operator == csa.operator && curve.currency == csa.currency)
            .ok_or_else(|| {
                failure(format!(
                    "no DiscountCurve of {} in {} is visible",
                    csa.operator, csa.currency
                ))
            })?;
        let mut netting_set = Vec::new();
        for swap in self.swaps.iter().filter(|swap| swap.csa_id == csa.csa_id) {
            if swap.currency != csa.currency {
                return Err(failure(format!(
                    "swap {} is in {}, the CSA in {}",
                    swap.swap_id, swap.currency, csa.currency
                )));
            }
            let side = swap.side_of(&csa.party_a).ok_or_else(|| {
                failure(format!(
                    "PartyA {} is neither payer of swap {}",
                    csa.party_a, swap.swap_id
                ))
            })?;
            netting_set.push((&swap.terms, side));
        }
        let mark = price_netting_set(
            &curve.curve,
            netting_set,
            &csa.collateral_terms(),
            valuation,
        )
        .map_err(|error| failure(error.to_string()))?;
        Ok(ExercisePlan::Exercise(json!({
            "asOf": valuation,
            "exposure": mark.published_exposure,
            "callAmount": mark.call_amount,
        })))
    }
}

/// Publishes one CSA's mark; `Ok(true)` when a mark was created.
async fn publish(
    context: &JobContext<'_>,
    market: &Market,
    csa: &Csa,
    valuation: Timestamp,
) -> Result<bool, TickError> {
    let plan = |current: &Csa| market.plan(current, valuation);
    match exercise_with_requery(context, PUBLISH_MARK, csa, plan).await? {
        ExerciseOutcome::NoEffect(why) => {
            log_no_effect(context, PUBLISH_MARK.choice, csa.stable_id(), &why);
            Ok(false)
        }
        ExerciseOutcome::Exercised { argument, result } => {
            let mark = result.created("IRSForge.Mark:MarkToMarket").next();
            // The ledger's record when it reported one, else what was sent (all strings).
            let field = |name: &str| match mark {
                Some(mark) => mark.field_text(name),
                None => argument[name].as_str().unwrap_or_default().to_owned(),
            };
            tracing::info!(
                event = "mark_published",
                cron = %context.cron,
                csa = %csa.csa_id,
                asOf = %field("asOf"),
                exposure = %field("exposure"),
                call = %field("callAmount"),
                collateralBalance = %field("collateralBalance"),
                mark = %result.exercise_result["mark"].as_str().unwrap_or(""),
                "mark published"
            );
            Ok(true)
        }
    }
}
