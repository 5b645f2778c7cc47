//! The IRSForge templates the jobs read, as typed views decoded with serde through the LF
//! codec `ledger_types::lf` (`crates/ledger-sandbox/WORLD.md`, "Templates"), the one the
//! sandbox writes them with.
//!
//! A view keeps what a job needs: the contract id and template id to exercise on, the stable
//! id (`csaId`, `swapId`) that survives the contract-id rotation every choice causes, and the
//! terms in the types pricing uses (`swap_pricing`). A payload missing a field or holding a
//! malformed value is an error naming the contract, the template and the field. Unknown fields
//! are ignored, so a later template version with more fields still decodes.

use ledger_types::lf::{Int64, Numeric, Party, Timestamp};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use swap_pricing::{CollateralTerms, DiscountCurve, PartyASide, PricingError, SwapTerms};

use crate::ledger::Contract;

/// `IRSForge.Csa:Csa` (module and entity).
pub const CSA: &str = "IRSForge.Csa:Csa";
/// `IRSForge.Swap:Swap`.
pub const SWAP: &str = "IRSForge.Swap:Swap";
/// `IRSForge.Curve:DiscountCurve`.
pub const DISCOUNT_CURVE: &str = "IRSForge.Curve:DiscountCurve";

/// The template id of `module_entity` in the package-name form the JSON API accepts
/// (`docs/ledger-json-api.md` §2.2): `#irsforge:IRSForge.Csa:Csa`.
pub fn template_id(module_entity: &str) -> String {
    format!("#irsforge:{module_entity}")
}

/// A template view that can be found again by a stable id after its contract id rotated.
pub trait StableView: Sized {
    /// Module and entity of the template.
    const TEMPLATE: &'static str;
    /// The payload field holding the stable id.
    const STABLE_FIELD: &'static str;
    /// What to call one in messages (`CSA`, `swap`).
    const NOUN: &'static str;

    /// Decodes a contract of [`Self::TEMPLATE`].
    fn decode(contract: &Contract) -> Result<Self, String>;
    /// The contract id.
    fn contract_id(&self) -> &str;
    /// The template id as the ledger reported it.
    fn template_id(&self) -> &str;
    /// The stable id.
    fn stable_id(&self) -> &str;
}

/// An `IRSForge.Csa:Csa`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Csa {
    /// The contract id.
    #[serde(skip)]
    pub contract_id: String,
    /// The template id.
    #[serde(skip)]
    pub template_id: String,
    /// The operator (signatory, controller of `PublishMark`).
    pub operator: Party,
    /// PartyA: amounts are signed from its side.
    pub party_a: Party,
    /// PartyB.
    pub party_b: Party,
    /// The stable id of the netting set.
    pub csa_id: String,
    /// Collateral and valuation currency.
    pub currency: String,
    /// Threshold on PartyA.
    pub threshold_a: Numeric,
    /// Threshold on PartyB.
    pub threshold_b: Numeric,
    /// Minimum transfer amount.
    pub minimum_transfer_amount: Numeric,
    /// Rounding unit of calls.
    pub rounding: Numeric,
    /// Collateral held (positive: held by PartyA).
    pub collateral_balance: Numeric,
    /// `asOf` of the latest mark.
    pub last_mark_as_of: Option<Timestamp>,
    /// The latest mark's call until settled.
    pub unsettled_call: Numeric,
}

impl Csa {
    /// The terms the call is computed from.
    pub fn collateral_terms(&self) -> CollateralTerms {
        CollateralTerms {
            threshold_a: self.threshold_a.to_f64(),
            threshold_b: self.threshold_b.to_f64(),
            minimum_transfer_amount: self.minimum_transfer_amount,
            rounding: self.rounding,
            collateral_balance: self.collateral_balance.to_f64(),
        }
    }
}

impl StableView for Csa {
    const TEMPLATE: &'static str = CSA;
    const STABLE_FIELD: &'static str = "csaId";
    const NOUN: &'static str = "CSA";

    fn decode(contract: &Contract) -> Result<Self, String> {
        let mut csa: Self = decode_payload(contract, CSA)?;
        csa.contract_id.clone_from(&contract.contract_id);
        csa.template_id.clone_from(&contract.template_id);
        Ok(csa)
    }

    fn contract_id(&self) -> &str {
        &self.contract_id
    }

    fn template_id(&self) -> &str {
        &self.template_id
    }

    fn stable_id(&self) -> &str {
        &self.csa_id
    }
}

/// An `IRSForge.Swap:Swap`.
#[derive(Debug, Clone, PartialEq)]
pub struct Swap {
    /// The contract id.
    pub contract_id: String,
    /// The template id.
    pub template_id: String,
    /// The operator.
    pub operator: Party,
    /// The party paying fixed.
    pub fixed_payer: Party,
    /// The party paying floating.
    pub float_payer: Party,
    /// The stable id.
    pub swap_id: String,
    /// The netting set.
    pub csa_id: String,
    /// The currency.
    pub currency: String,
    /// The economic terms.
    pub terms: SwapTerms,
    /// Periods with a smaller index have been lifecycled.
    pub next_period_index: i64,
}

/// The payload of an `IRSForge.Swap:Swap`, as far as the jobs read it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SwapPayload {
    operator: Party,
    fixed_payer: Party,
    float_payer: Party,
    swap_id: String,
    csa_id: String,
    currency: String,
    notional: Numeric,
    fixed_rate: Numeric,
    effective_time: Timestamp,
    maturity_time: Timestamp,
    period_seconds: Int64,
    next_period_index: Int64,
}

impl Swap {
    /// The end of the first period not yet lifecycled; `None` when every period is.
    pub fn next_period_end(&self) -> Result<Option<Timestamp>, PricingError> {
        let schedule = self.terms.schedule()?;
        Ok((self.next_period_index < schedule.count())
            .then(|| schedule.period(self.next_period_index).1))
    }

    /// Which leg `party_a` is on; `None` when it is neither payer.
    pub fn side_of(&self, party_a: &Party) -> Option<PartyASide> {
        if self.fixed_payer == *party_a {
            Some(PartyASide::PaysFixed)
        } else if self.float_payer == *party_a {
            Some(PartyASide::PaysFloat)
        } else {
            None
        }
    }
}

impl StableView for Swap {
    const TEMPLATE: &'static str = SWAP;
    const STABLE_FIELD: &'static str = "swapId";
    const NOUN: &'static str = "swap";

    fn decode(contract: &Contract) -> Result<Self, String> {
        let payload: SwapPayload = decode_payload(contract, SWAP)?;
        Ok(Self {
            contract_id: contract.contract_id.clone(),
            template_id: contract.template_id.clone(),
            operator: payload.operator,
            fixed_payer: payload.fixed_payer,
            float_payer: payload.float_payer,
            swap_id: payload.swap_id,
            csa_id: payload.csa_id,
            currency: payload.currency,
            terms: SwapTerms {
                notional: payload.notional.to_f64(),
                fixed_rate: payload.fixed_rate.to_f64(),
                effective: payload.effective_time,
                maturity: payload.maturity_time,
                period_seconds: payload.period_seconds.0,
            },
            next_period_index: payload.next_period_index.0,
        })
    }

    fn contract_id(&self) -> &str {
        &self.contract_id
    }

    fn template_id(&self) -> &str {
        &self.template_id
    }

    fn stable_id(&self) -> &str {
        &self.swap_id
    }
}

/// An `IRSForge.Curve:DiscountCurve`.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// The contract id.
    pub contract_id: String,
    /// The publisher.
    pub operator: Party,
    /// The currency.
    pub currency: String,
    /// The curve itself.
    pub curve: DiscountCurve,
}

/// The payload of an `IRSForge.Curve:DiscountCurve`, as far as the jobs read it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CurvePayload {
    operator: Party,
    currency: String,
    as_of: Timestamp,
    /// Read as text so an unknown rule is reported as such, not as a decoding failure.
    interpolation: String,
    pillars: Vec<PillarPayload>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PillarPayload {
    maturity: Timestamp,
    discount_factor: Numeric,
}

impl Curve {
    /// Decodes a contract of [`DISCOUNT_CURVE`]; a curve breaking the template's rules or with
    /// an interpolation other than `LogLinearDiscount` is an error.
    pub fn decode(contract: &Contract) -> Result<Self, String> {
        let payload: CurvePayload = decode_payload(contract, DISCOUNT_CURVE)?;
        let error =
            |field: &str, detail: String| field_error(contract, DISCOUNT_CURVE, field, detail);
        if payload.interpolation != "LogLinearDiscount" {
            return Err(error(
                "interpolation",
                format!("`{}` is not LogLinearDiscount", payload.interpolation),
            ));
        }
        let pillars = payload
            .pillars
            .iter()
            .map(|pillar| (pillar.maturity, pillar.discount_factor.to_f64()));
        let curve = DiscountCurve::new(payload.as_of, pillars)
            .map_err(|pricing| error("pillars", pricing.to_string()))?;
        Ok(Self {
            contract_id: contract.contract_id.clone(),
            operator: payload.operator,
            currency: payload.currency,
            curve,
        })
    }
}

/// Deserialises a contract's payload, naming the contract, the template and the field of the
/// first problem.
fn decode_payload<T: DeserializeOwned>(contract: &Contract, template: &str) -> Result<T, String> {
    if !contract.payload.is_object() {
        return Err(format!(
            "contract {} ({template}): the payload is not a record",
            contract.contract_id
        ));
    }
    serde_path_to_error::deserialize(&contract.payload).map_err(|error| {
        let path = error.path().to_string();
        let detail = error.into_inner().to_string();
        // serde reports a missing field at its record, with the name in the message.
        let missing = detail
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split_once('`'))
            .map(|(name, _)| name.to_owned());
        match missing {
            Some(name) if path == "." => {
                field_error(contract, template, &name, "is missing".into())
            }
            Some(name) => field_error(
                contract,
                template,
                &format!("{path}.{name}"),
                "is missing".into(),
            ),
            None => field_error(contract, template, &path, detail),
        }
    })
}

fn field_error(contract: &Contract, template: &str, field: &str, detail: String) -> String {
    format!(
        "contract {} ({template}): field `{field}`: {detail}",
        contract.contract_id
    )
}

#[cfg(test)]
mod tests;
