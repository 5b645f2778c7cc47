//! The IRSForge templates the jobs read, as typed views decoded from the JSON API's
//! contracts (`crates/ledger-sandbox/WORLD.md`, "Templates").
//!
//! A view keeps what a job needs: the contract id and template id to exercise on, the stable
//! id (`csaId`, `swapId`) that survives the contract-id rotation every choice causes, and the
//! terms in the types pricing uses. A payload missing a field or holding a malformed value is
//! an error naming the contract, the template and the field. Unknown fields are ignored, so a
//! later template version with more fields still decodes.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::jobs::lf::{Decimal, parse_time};
use crate::jobs::pricing::{CollateralTerms, DiscountCurve, PartyASide, PricingError, SwapTerms};
use crate::ledger::Contract;

/// `IRSForge.Csa:Csa` (module and entity).
pub const CSA: &str = "IRSForge.Csa:Csa";
/// `IRSForge.Swap:Swap`.
pub const SWAP: &str = "IRSForge.Swap:Swap";
/// `IRSForge.Curve:DiscountCurve`.
pub const DISCOUNT_CURVE: &str = "IRSForge.Curve:DiscountCurve";

/// The template id of `module_entity` in the package-name form the JSON API accepts
/// (`shared/docs/ledger-json-api.md` §3.2): `#irsforge:IRSForge.Csa:Csa`.
pub fn template_id(module_entity: &str) -> String {
    format!("#irsforge:{module_entity}")
}

/// Whether `contract` is an instance of `module_entity`, whichever id form the ledger used.
pub fn is_instance_of(contract: &Contract, module_entity: &str) -> bool {
    contract
        .template_id
        .strip_suffix(module_entity)
        .is_some_and(|package| package.ends_with(':'))
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
#[derive(Debug, Clone, PartialEq)]
pub struct Csa {
    /// The contract id.
    pub contract_id: String,
    /// The template id.
    pub template_id: String,
    /// The operator (signatory, controller of `PublishMark`).
    pub operator: String,
    /// PartyA: amounts are signed from its side.
    pub party_a: String,
    /// PartyB.
    pub party_b: String,
    /// The stable id of the netting set.
    pub csa_id: String,
    /// Collateral and valuation currency.
    pub currency: String,
    /// Threshold on PartyA.
    pub threshold_a: Decimal,
    /// Threshold on PartyB.
    pub threshold_b: Decimal,
    /// Minimum transfer amount.
    pub minimum_transfer_amount: Decimal,
    /// Rounding unit of calls.
    pub rounding: Decimal,
    /// Collateral held (positive: held by PartyA).
    pub collateral_balance: Decimal,
    /// `asOf` of the latest mark.
    pub last_mark_as_of: Option<DateTime<Utc>>,
    /// The latest mark's call until settled.
    pub unsettled_call: Decimal,
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
        let fields = Fields::of(contract, CSA)?;
        Ok(Self {
            contract_id: contract.contract_id.clone(),
            template_id: contract.template_id.clone(),
            operator: fields.text("operator")?,
            party_a: fields.text("partyA")?,
            party_b: fields.text("partyB")?,
            csa_id: fields.text("csaId")?,
            currency: fields.text("currency")?,
            threshold_a: fields.decimal("thresholdA")?,
            threshold_b: fields.decimal("thresholdB")?,
            minimum_transfer_amount: fields.decimal("minimumTransferAmount")?,
            rounding: fields.decimal("rounding")?,
            collateral_balance: fields.decimal("collateralBalance")?,
            last_mark_as_of: fields.optional_time("lastMarkAsOf")?,
            unsettled_call: fields.decimal("unsettledCall")?,
        })
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
    pub operator: String,
    /// The party paying fixed.
    pub fixed_payer: String,
    /// The party paying floating.
    pub float_payer: String,
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

impl Swap {
    /// The end of the first period not yet lifecycled; `None` when every period is.
    pub fn next_period_end(&self) -> Result<Option<DateTime<Utc>>, PricingError> {
        let count = self.terms.period_count()?;
        Ok((self.next_period_index < count).then(|| self.terms.period(self.next_period_index).1))
    }

    /// Which leg `party_a` is on; `None` when it is neither payer.
    pub fn side_of(&self, party_a: &str) -> Option<PartyASide> {
        if self.fixed_payer == party_a {
            Some(PartyASide::PaysFixed)
        } else if self.float_payer == party_a {
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
        let fields = Fields::of(contract, SWAP)?;
        Ok(Self {
            contract_id: contract.contract_id.clone(),
            template_id: contract.template_id.clone(),
            operator: fields.text("operator")?,
            fixed_payer: fields.text("fixedPayer")?,
            float_payer: fields.text("floatPayer")?,
            swap_id: fields.text("swapId")?,
            csa_id: fields.text("csaId")?,
            currency: fields.text("currency")?,
            terms: SwapTerms {
                notional: fields.decimal("notional")?.to_f64(),
                fixed_rate: fields.decimal("fixedRate")?.to_f64(),
                effective: fields.time("effectiveTime")?,
                maturity: fields.time("maturityTime")?,
                period_seconds: fields.int("periodSeconds")?,
            },
            next_period_index: fields.int("nextPeriodIndex")?,
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
    pub operator: String,
    /// The currency.
    pub currency: String,
    /// The curve itself.
    pub curve: DiscountCurve,
}

impl Curve {
    /// Decodes a contract of [`DISCOUNT_CURVE`]; a curve breaking the template's rules or with
    /// an interpolation other than `LogLinearDiscount` is an error.
    pub fn decode(contract: &Contract) -> Result<Self, String> {
        let fields = Fields::of(contract, DISCOUNT_CURVE)?;
        let interpolation = fields.text("interpolation")?;
        if interpolation != "LogLinearDiscount" {
            return Err(fields.error(
                "interpolation",
                format!("`{interpolation}` is not LogLinearDiscount"),
            ));
        }
        let Some(Value::Array(pillars)) = fields.payload.get("pillars") else {
            return Err(fields.error("pillars", "is missing or not a list".into()));
        };
        let mut points = Vec::with_capacity(pillars.len());
        for (index, pillar) in pillars.iter().enumerate() {
            let field = |name: &str| format!("pillars[{index}].{name}");
            let read = |name: &str| {
                pillar
                    .get(name)
                    .ok_or_else(|| fields.error(&field(name), "is missing".into()))
            };
            let maturity = parse_time(read("maturity")?)
                .map_err(|error| fields.error(&field("maturity"), error))?;
            let discount_factor = Decimal::from_json(read("discountFactor")?)
                .map_err(|error| fields.error(&field("discountFactor"), error))?;
            points.push((maturity, discount_factor.to_f64()));
        }
        let curve = DiscountCurve::new(fields.time("asOf")?, points)
            .map_err(|error| fields.error("pillars", error.to_string()))?;
        Ok(Self {
            contract_id: contract.contract_id.clone(),
            operator: fields.text("operator")?,
            currency: fields.text("currency")?,
            curve,
        })
    }
}

/// Reads the fields of one contract's payload, naming the contract in every error.
struct Fields<'a> {
    contract: &'a Contract,
    template: &'static str,
    payload: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    fn of(contract: &'a Contract, template: &'static str) -> Result<Self, String> {
        match &contract.payload {
            Value::Object(payload) => Ok(Self {
                contract,
                template,
                payload,
            }),
            _ => Err(format!(
                "contract {} ({template}): the payload is not a record",
                contract.contract_id
            )),
        }
    }

    fn error(&self, field: &str, detail: String) -> String {
        format!(
            "contract {} ({}): field `{field}`: {detail}",
            self.contract.contract_id, self.template
        )
    }

    fn field(&self, name: &str) -> Result<&'a Value, String> {
        self.payload
            .get(name)
            .ok_or_else(|| self.error(name, "is missing".into()))
    }

    fn text(&self, name: &str) -> Result<String, String> {
        match self.field(name)? {
            Value::String(text) => Ok(text.clone()),
            other => Err(self.error(name, format!("expected text, found {other}"))),
        }
    }

    fn decimal(&self, name: &str) -> Result<Decimal, String> {
        Decimal::from_json(self.field(name)?).map_err(|error| self.error(name, error))
    }

    fn time(&self, name: &str) -> Result<DateTime<Utc>, String> {
        parse_time(self.field(name)?).map_err(|error| self.error(name, error))
    }

    fn optional_time(&self, name: &str) -> Result<Option<DateTime<Utc>>, String> {
        match self.payload.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => parse_time(value)
                .map(Some)
                .map_err(|error| self.error(name, error)),
        }
    }

    /// An `Int` (Int64): a string, or a JSON number.
    fn int(&self, name: &str) -> Result<i64, String> {
        let value = self.field(name)?;
        let parsed = match value {
            Value::String(text) => text.parse().ok(),
            Value::Number(number) => number.as_i64(),
            _ => None,
        };
        parsed.ok_or_else(|| self.error(name, format!("expected an Int, found {value}")))
    }
}

#[cfg(test)]
mod tests;
