//! `IRSForge.Csa:Csa` and its choices `PublishMark` (Operator) and `SettleNetByScheduler`
//! (Scheduler), with the records they create: `IRSForge.Mark:MarkToMarket` and
//! `IRSForge.Settlement:NetSettlement`. Amounts are signed from PartyA's side (WORLD.md).

use serde::{Deserialize, Serialize};

use crate::lf::{ContractId, Numeric, Party, Timestamp, Unit};
use crate::template::{
    Choice, ChoiceContext, ChoiceError, Template, TemplateDef, choice_def, template_def,
};

/// The Csa template's erased definition.
pub(crate) static CSA: TemplateDef = template_def::<Csa>(
    "IRSForge.Csa",
    "Csa",
    &[
        choice_def::<PublishMark>(),
        choice_def::<SettleNetByScheduler>(),
    ],
);

/// The MarkToMarket template's erased definition.
pub(crate) static MARK_TO_MARKET: TemplateDef =
    template_def::<MarkToMarket>("IRSForge.Mark", "MarkToMarket", &[]);

/// The NetSettlement template's erased definition.
pub(crate) static NET_SETTLEMENT: TemplateDef =
    template_def::<NetSettlement>("IRSForge.Settlement", "NetSettlement", &[]);

/// A credit support annex between PartyA and PartyB: the netting set's collateral terms and
/// state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Csa {
    pub(crate) operator: Party,
    pub(crate) party_a: Party,
    pub(crate) party_b: Party,
    pub(crate) scheduler: Party,
    pub(crate) regulator: Party,
    pub(crate) csa_id: String,
    pub(crate) currency: String,
    pub(crate) threshold_a: Numeric,
    pub(crate) threshold_b: Numeric,
    pub(crate) minimum_transfer_amount: Numeric,
    pub(crate) rounding: Numeric,
    pub(crate) collateral_balance: Numeric,
    pub(crate) last_mark_as_of: Option<Timestamp>,
    pub(crate) last_mark_cid: Option<ContractId>,
    pub(crate) unsettled_call: Numeric,
}

impl Template for Csa {
    fn definition() -> &'static TemplateDef {
        &CSA
    }

    fn signatories(&self) -> Vec<Party> {
        vec![
            self.operator.clone(),
            self.party_a.clone(),
            self.party_b.clone(),
        ]
    }

    fn observers(&self) -> Vec<Party> {
        vec![self.scheduler.clone(), self.regulator.clone()]
    }

    fn ensure(&self) -> Result<(), String> {
        if self.party_a == self.party_b {
            return Err("partyA and partyB must differ".into());
        }
        if self.csa_id.is_empty() || self.currency.is_empty() {
            return Err("csaId and currency must not be empty".into());
        }
        for (name, value) in [
            ("thresholdA", self.threshold_a),
            ("thresholdB", self.threshold_b),
            ("minimumTransferAmount", self.minimum_transfer_amount),
            ("rounding", self.rounding),
        ] {
            if value.is_negative() {
                return Err(format!("{name} must not be negative"));
            }
        }
        Ok(())
    }
}

/// A published mark: the netting set's value to PartyA at `asOf` and the resulting call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct MarkToMarket {
    pub(crate) operator: Party,
    pub(crate) party_a: Party,
    pub(crate) party_b: Party,
    pub(crate) scheduler: Party,
    pub(crate) regulator: Party,
    pub(crate) csa_id: String,
    pub(crate) currency: String,
    pub(crate) as_of: Timestamp,
    pub(crate) exposure: Numeric,
    pub(crate) call_amount: Numeric,
    pub(crate) collateral_balance: Numeric,
}

impl Template for MarkToMarket {
    fn definition() -> &'static TemplateDef {
        &MARK_TO_MARKET
    }

    fn signatories(&self) -> Vec<Party> {
        vec![self.operator.clone()]
    }

    fn observers(&self) -> Vec<Party> {
        vec![
            self.party_a.clone(),
            self.party_b.clone(),
            self.scheduler.clone(),
            self.regulator.clone(),
        ]
    }
}

/// A settled call: collateral moved by `amount` (positive: PartyB delivered to PartyA).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct NetSettlement {
    pub(crate) operator: Party,
    pub(crate) party_a: Party,
    pub(crate) party_b: Party,
    pub(crate) scheduler: Party,
    pub(crate) regulator: Party,
    pub(crate) csa_id: String,
    pub(crate) currency: String,
    pub(crate) mark_as_of: Option<Timestamp>,
    pub(crate) amount: Numeric,
    pub(crate) balance_before: Numeric,
    pub(crate) balance_after: Numeric,
    pub(crate) settled_at: Timestamp,
}

impl Template for NetSettlement {
    fn definition() -> &'static TemplateDef {
        &NET_SETTLEMENT
    }

    fn signatories(&self) -> Vec<Party> {
        vec![self.operator.clone()]
    }

    fn observers(&self) -> Vec<Party> {
        vec![
            self.party_a.clone(),
            self.party_b.clone(),
            self.scheduler.clone(),
            self.regulator.clone(),
        ]
    }
}

/// `PublishMark` (controller Operator, consuming).
pub(crate) struct PublishMark;

/// The argument of `PublishMark`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PublishMarkArgument {
    as_of: Timestamp,
    exposure: Numeric,
    call_amount: Numeric,
}

/// The result of `PublishMark`: the rotated Csa and the new mark.
#[derive(Debug, Serialize)]
pub(crate) struct PublishMarkResult {
    csa: ContractId,
    mark: ContractId,
}

impl Choice for PublishMark {
    type Template = Csa;
    type Argument = PublishMarkArgument;
    type Result = PublishMarkResult;
    const NAME: &'static str = "PublishMark";
    const CONSUMING: bool = true;

    fn controllers(csa: &Csa) -> Vec<Party> {
        vec![csa.operator.clone()]
    }

    fn exercise(
        context: &mut ChoiceContext<'_>,
        csa: Csa,
        argument: PublishMarkArgument,
    ) -> Result<PublishMarkResult, ChoiceError> {
        if let Some(last) = csa.last_mark_as_of
            && argument.as_of <= last
        {
            return Err(ChoiceError::abort(
                "STALE_MARK",
                format!(
                    "CSA {}: a mark as of {} is not after the last published mark ({last})",
                    csa.csa_id, argument.as_of
                ),
            ));
        }
        let call = argument.call_amount;
        if !call.is_zero() && call.abs() < csa.minimum_transfer_amount {
            return Err(ChoiceError::abort(
                "INVALID_CALL",
                format!(
                    "CSA {}: callAmount {call} is non-zero but below the minimum transfer \
                     amount {}",
                    csa.csa_id, csa.minimum_transfer_amount
                ),
            ));
        }
        if !call.is_multiple_of(csa.rounding) {
            return Err(ChoiceError::abort(
                "INVALID_CALL",
                format!(
                    "CSA {}: callAmount {call} is not a multiple of the rounding {}",
                    csa.csa_id, csa.rounding
                ),
            ));
        }
        let mark = context.create(&MarkToMarket {
            operator: csa.operator.clone(),
            party_a: csa.party_a.clone(),
            party_b: csa.party_b.clone(),
            scheduler: csa.scheduler.clone(),
            regulator: csa.regulator.clone(),
            csa_id: csa.csa_id.clone(),
            currency: csa.currency.clone(),
            as_of: argument.as_of,
            exposure: argument.exposure,
            call_amount: call,
            collateral_balance: csa.collateral_balance,
        })?;
        let rotated = context.create(&Csa {
            last_mark_as_of: Some(argument.as_of),
            last_mark_cid: Some(mark.clone()),
            unsettled_call: call,
            ..csa
        })?;
        Ok(PublishMarkResult { csa: rotated, mark })
    }
}

/// `SettleNetByScheduler` (controller Scheduler, consuming).
pub(crate) struct SettleNetByScheduler;

/// The result of `SettleNetByScheduler`: the rotated Csa and the settlement record.
#[derive(Debug, Serialize)]
pub(crate) struct SettleNetResult {
    csa: ContractId,
    settlement: ContractId,
}

impl Choice for SettleNetByScheduler {
    type Template = Csa;
    type Argument = Unit;
    type Result = SettleNetResult;
    const NAME: &'static str = "SettleNetByScheduler";
    const CONSUMING: bool = true;

    fn controllers(csa: &Csa) -> Vec<Party> {
        vec![csa.scheduler.clone()]
    }

    fn exercise(
        context: &mut ChoiceContext<'_>,
        csa: Csa,
        _: Unit,
    ) -> Result<SettleNetResult, ChoiceError> {
        let amount = csa.unsettled_call;
        if amount.is_zero() {
            return Err(ChoiceError::abort(
                "NOTHING_TO_SETTLE",
                format!(
                    "CSA {}: the latest mark's call is settled or zero",
                    csa.csa_id
                ),
            ));
        }
        let balance_after = csa.collateral_balance.checked_add(amount).ok_or_else(|| {
            ChoiceError::abort("BALANCE_OVERFLOW", "the collateral balance would overflow")
        })?;
        let settlement = context.create(&NetSettlement {
            operator: csa.operator.clone(),
            party_a: csa.party_a.clone(),
            party_b: csa.party_b.clone(),
            scheduler: csa.scheduler.clone(),
            regulator: csa.regulator.clone(),
            csa_id: csa.csa_id.clone(),
            currency: csa.currency.clone(),
            mark_as_of: csa.last_mark_as_of,
            amount,
            balance_before: csa.collateral_balance,
            balance_after,
            settled_at: context.now(),
        })?;
        let rotated = context.create(&Csa {
            collateral_balance: balance_after,
            unsettled_call: Numeric::ZERO,
            ..csa
        })?;
        Ok(SettleNetResult {
            csa: rotated,
            settlement,
        })
    }
}
