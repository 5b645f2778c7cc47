//! The scheduler's swap choices, `TriggerLifecycleByScheduler` and `MatureByScheduler`, and
//! the records they create: `IRSForge.Lifecycle:LifecycleEffect` (one per processed period)
//! and `IRSForge.Lifecycle:MaturedSwap`.

use serde::{Deserialize, Serialize};

use swap_pricing::{PricingError, Schedule};

use crate::lf::{ContractId, Int64, Numeric, Party, Timestamp, Unit};
use crate::template::{Choice, ChoiceContext, ChoiceError, Template, TemplateDef, template_def};
use crate::world::curve::{DiscountCurve, curve_key};
use crate::world::swap::Swap;

/// The LifecycleEffect template's erased definition.
pub(crate) static LIFECYCLE_EFFECT: TemplateDef =
    template_def::<LifecycleEffect>("IRSForge.Lifecycle", "LifecycleEffect", &[]);

/// The MaturedSwap template's erased definition.
pub(crate) static MATURED_SWAP: TemplateDef =
    template_def::<MaturedSwap>("IRSForge.Lifecycle", "MaturedSwap", &[]);

/// The fixing and accrual of one swap period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct LifecycleEffect {
    pub(crate) operator: Party,
    pub(crate) scheduler: Party,
    pub(crate) regulator: Party,
    pub(crate) fixed_payer: Party,
    pub(crate) float_payer: Party,
    pub(crate) swap_id: String,
    pub(crate) csa_id: String,
    pub(crate) currency: String,
    pub(crate) period_index: Int64,
    pub(crate) period_start: Timestamp,
    pub(crate) period_end: Timestamp,
    pub(crate) accrual_fraction: Numeric,
    pub(crate) fixing_rate: Numeric,
    pub(crate) fixed_amount: Numeric,
    pub(crate) float_amount: Numeric,
    pub(crate) net_to_fixed_payer: Numeric,
    pub(crate) processed_at: Timestamp,
}

impl Template for LifecycleEffect {
    fn definition() -> &'static TemplateDef {
        &LIFECYCLE_EFFECT
    }

    fn signatories(&self) -> Vec<Party> {
        vec![self.operator.clone()]
    }

    fn observers(&self) -> Vec<Party> {
        vec![
            self.fixed_payer.clone(),
            self.float_payer.clone(),
            self.scheduler.clone(),
            self.regulator.clone(),
        ]
    }
}

/// The record a matured swap leaves behind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct MaturedSwap {
    pub(crate) operator: Party,
    pub(crate) scheduler: Party,
    pub(crate) regulator: Party,
    pub(crate) fixed_payer: Party,
    pub(crate) float_payer: Party,
    pub(crate) swap_id: String,
    pub(crate) csa_id: String,
    pub(crate) currency: String,
    pub(crate) notional: Numeric,
    pub(crate) fixed_rate: Numeric,
    pub(crate) maturity_time: Timestamp,
    pub(crate) matured_at: Timestamp,
}

impl Template for MaturedSwap {
    fn definition() -> &'static TemplateDef {
        &MATURED_SWAP
    }

    fn signatories(&self) -> Vec<Party> {
        vec![self.operator.clone()]
    }

    fn observers(&self) -> Vec<Party> {
        vec![
            self.fixed_payer.clone(),
            self.float_payer.clone(),
            self.scheduler.clone(),
            self.regulator.clone(),
        ]
    }
}

/// `TriggerLifecycleByScheduler` (controller Scheduler, consuming).
pub(crate) struct TriggerLifecycleByScheduler;

/// The result of `TriggerLifecycleByScheduler`.
#[derive(Debug, Serialize)]
pub(crate) struct TriggerResult {
    swap: ContractId,
    effects: Vec<ContractId>,
}

impl Choice for TriggerLifecycleByScheduler {
    type Template = Swap;
    type Argument = Unit;
    type Result = TriggerResult;
    const NAME: &'static str = "TriggerLifecycleByScheduler";
    const CONSUMING: bool = true;

    fn controllers(swap: &Swap) -> Vec<Party> {
        vec![swap.scheduler.clone()]
    }

    fn exercise(
        context: &mut ChoiceContext<'_>,
        swap: Swap,
        _: Unit,
    ) -> Result<TriggerResult, ChoiceError> {
        let now = context.now();
        let schedule = stored_schedule(&swap)?;
        let periods = schedule.count();
        let next = swap.next_period_index.0;
        if next >= periods {
            return Err(ChoiceError::abort(
                "NOTHING_DUE",
                format!(
                    "swap {}: every period is processed; exercise MatureByScheduler at or after \
                     maturityTime {}",
                    swap.swap_id, swap.maturity_time
                ),
            ));
        }
        let (_, next_end) = schedule.period(next);
        if next_end > now {
            return Err(ChoiceError::abort(
                "NOTHING_DUE",
                format!(
                    "swap {}: period {next} ends at {next_end}, after ledger time {now}",
                    swap.swap_id
                ),
            ));
        }
        let due_until = (next..periods)
            .take_while(|&index| schedule.period(index).1 <= now)
            .last()
            .unwrap_or(next);
        let effects = process_periods(context, &swap, next..=due_until)?;
        let advanced = context.create(&Swap {
            next_period_index: Int64(due_until + 1),
            ..swap
        })?;
        Ok(TriggerResult {
            swap: advanced,
            effects,
        })
    }
}

/// `MatureByScheduler` (controller Scheduler, consuming).
pub(crate) struct MatureByScheduler;

/// The result of `MatureByScheduler`.
#[derive(Debug, Serialize)]
pub(crate) struct MatureResult {
    matured: ContractId,
    effects: Vec<ContractId>,
}

impl Choice for MatureByScheduler {
    type Template = Swap;
    type Argument = Unit;
    type Result = MatureResult;
    const NAME: &'static str = "MatureByScheduler";
    const CONSUMING: bool = true;

    fn controllers(swap: &Swap) -> Vec<Party> {
        vec![swap.scheduler.clone()]
    }

    fn exercise(
        context: &mut ChoiceContext<'_>,
        swap: Swap,
        _: Unit,
    ) -> Result<MatureResult, ChoiceError> {
        let now = context.now();
        if now < swap.maturity_time {
            return Err(ChoiceError::abort(
                "NOT_MATURED",
                format!(
                    "swap {}: maturityTime {} is after ledger time {now}",
                    swap.swap_id, swap.maturity_time
                ),
            ));
        }
        // Periods the trigger has not processed yet are settled here, so maturing never drops
        // a cash flow.
        let last = stored_schedule(&swap)?.count() - 1;
        let effects = process_periods(context, &swap, swap.next_period_index.0..=last)?;
        let matured = context.create(&MaturedSwap {
            operator: swap.operator,
            scheduler: swap.scheduler,
            regulator: swap.regulator,
            fixed_payer: swap.fixed_payer,
            float_payer: swap.float_payer,
            swap_id: swap.swap_id,
            csa_id: swap.csa_id,
            currency: swap.currency,
            notional: swap.notional,
            fixed_rate: swap.fixed_rate,
            maturity_time: swap.maturity_time,
            matured_at: now,
        })?;
        Ok(MatureResult { matured, effects })
    }
}

/// Creates one LifecycleEffect per period in `indices`, fixing the floating rate off the
/// operator's curve for the swap's currency.
fn process_periods(
    context: &mut ChoiceContext<'_>,
    swap: &Swap,
    indices: std::ops::RangeInclusive<i64>,
) -> Result<Vec<ContractId>, ChoiceError> {
    if indices.is_empty() {
        return Ok(Vec::new());
    }
    let key = curve_key(&swap.operator, &swap.currency);
    let Some((_, curve)) = context.lookup_by_key::<DiscountCurve>(&key) else {
        return Err(ChoiceError::abort(
            "NO_CURVE",
            format!(
                "swap {}: no active DiscountCurve of {} for {}",
                swap.swap_id, swap.operator, swap.currency
            ),
        ));
    };
    let curve = curve
        .pricing_curve()
        .map_err(|error| ChoiceError::Internal(format!("stored curve: {error}")))?;
    let terms = swap.terms();
    let numeric = |value: f64, what: &str| {
        Numeric::from_f64(value).map_err(|_| {
            ChoiceError::abort(
                "UNREPRESENTABLE",
                format!("swap {}: {what} is {value}", swap.swap_id),
            )
        })
    };
    let mut effects = Vec::new();
    for index in indices {
        let fixing = terms.fixing(&curve, index).map_err(|error| match error {
            PricingError::Unrepresentable { .. } => {
                ChoiceError::abort("UNREPRESENTABLE", format!("swap {}: {error}", swap.swap_id))
            }
            other => ChoiceError::Internal(format!("stored swap {}: {other}", swap.swap_id)),
        })?;
        let effect = LifecycleEffect {
            operator: swap.operator.clone(),
            scheduler: swap.scheduler.clone(),
            regulator: swap.regulator.clone(),
            fixed_payer: swap.fixed_payer.clone(),
            float_payer: swap.float_payer.clone(),
            swap_id: swap.swap_id.clone(),
            csa_id: swap.csa_id.clone(),
            currency: swap.currency.clone(),
            period_index: Int64(index),
            period_start: fixing.start,
            period_end: fixing.end,
            accrual_fraction: numeric(fixing.accrual_fraction, "the accrual fraction")?,
            fixing_rate: numeric(fixing.fixing_rate, "the fixing rate")?,
            fixed_amount: numeric(fixing.fixed_amount, "the fixed amount")?,
            float_amount: numeric(fixing.float_amount, "the float amount")?,
            net_to_fixed_payer: numeric(fixing.net_to_fixed_payer(), "the net amount")?,
            processed_at: context.now(),
        };
        effects.push(context.create(&effect)?);
    }
    Ok(effects)
}

/// The schedule of a stored swap; `ensure` admitted it, so an error is a bug.
fn stored_schedule(swap: &Swap) -> Result<Schedule, ChoiceError> {
    swap.schedule()
        .map_err(|error| ChoiceError::Internal(format!("stored swap {}: {error}", swap.swap_id)))
}
