//! `IRSForge.Curve:DiscountCurve`: the on-ledger discount curve. The discount-factor function
//! every party must compute the same way (WORLD.md, "Curve") is `swap_pricing::DiscountCurve`,
//! which the oracle prices with too; [`DiscountCurve::pricing_curve`] builds it.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use swap_pricing::PricingError;

use crate::lf::{Numeric, Party, Timestamp};
use crate::template::{Template, TemplateDef, template_def};

/// The template's erased definition.
pub(crate) static DISCOUNT_CURVE: TemplateDef =
    template_def::<DiscountCurve>("IRSForge.Curve", "DiscountCurve", &[]);

/// The only interpolation rule: log-linear in discount factor over time (piecewise-constant
/// continuously compounded forward rates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Interpolation {
    /// `ln DF` linear in time between pillars, extended beyond the last pillar with the last
    /// segment's slope.
    LogLinearDiscount,
}

/// One pillar: the discount factor from `asOf` to `maturity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Pillar {
    pub(crate) maturity: Timestamp,
    pub(crate) discount_factor: Numeric,
}

/// A discount curve for one currency, published by the operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DiscountCurve {
    pub(crate) operator: Party,
    pub(crate) observers: Vec<Party>,
    pub(crate) currency: String,
    pub(crate) as_of: Timestamp,
    pub(crate) interpolation: Interpolation,
    pub(crate) pillars: Vec<Pillar>,
}

impl Template for DiscountCurve {
    fn definition() -> &'static TemplateDef {
        &DISCOUNT_CURVE
    }

    fn signatories(&self) -> Vec<Party> {
        vec![self.operator.clone()]
    }

    fn observers(&self) -> Vec<Party> {
        self.observers.clone()
    }

    fn key(&self) -> Option<Value> {
        Some(curve_key(&self.operator, &self.currency))
    }

    fn ensure(&self) -> Result<(), String> {
        if self.currency.is_empty() {
            return Err("currency is empty".into());
        }
        self.pricing_curve()
            .map(|_| ())
            .map_err(|error| error.to_string())
    }
}

/// The curve's key: the pair (operator, currency) as a Daml tuple.
pub(crate) fn curve_key(operator: &Party, currency: &str) -> Value {
    json!({"_1": operator, "_2": currency})
}

impl DiscountCurve {
    /// The curve as the pricing maths reads it; an error when it breaks `ensure` (no pillar,
    /// maturities not strictly increasing after `asOf`, a discount factor not positive).
    pub(crate) fn pricing_curve(&self) -> Result<swap_pricing::DiscountCurve, PricingError> {
        swap_pricing::DiscountCurve::new(
            self.as_of,
            self.pillars
                .iter()
                .map(|pillar| (pillar.maturity, pillar.discount_factor.to_f64())),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(seconds: i64) -> Timestamp {
        Timestamp::from_micros(seconds * 1_000_000).unwrap()
    }

    fn curve(pillars: &[(i64, &str)]) -> DiscountCurve {
        DiscountCurve {
            operator: Party::parse("Operator::1220").unwrap(),
            observers: vec![],
            currency: "USD".into(),
            as_of: time(0),
            interpolation: Interpolation::LogLinearDiscount,
            pillars: pillars
                .iter()
                .map(|(seconds, df)| Pillar {
                    maturity: time(*seconds),
                    discount_factor: Numeric::parse(df).unwrap(),
                })
                .collect(),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    /// The interpolation itself is tested in `swap_pricing`; this is the template feeding it.
    #[test]
    fn the_pricing_curve_reads_the_templates_pillars() {
        let curve = curve(&[(100, "0.9"), (200, "0.8")])
            .pricing_curve()
            .unwrap();
        assert!(close(curve.discount_factor(time(-5)), 1.0));
        assert!(close(curve.discount_factor(time(100)), 0.9));
        assert!(close(
            curve.discount_factor(time(150)),
            (0.9_f64 * 0.8).sqrt()
        ));
        assert!(close(curve.discount_factor(time(300)), 0.8 * 0.8 / 0.9));
    }

    #[test]
    fn ensure_refuses_unordered_or_non_positive_pillars() {
        assert!(curve(&[(100, "0.9"), (200, "0.8")]).ensure().is_ok());
        assert!(curve(&[]).ensure().unwrap_err().contains("at least one"));
        assert!(
            curve(&[(200, "0.9"), (100, "0.8")])
                .ensure()
                .unwrap_err()
                .contains("pillars[1]")
        );
        assert!(
            curve(&[(0, "0.9")])
                .ensure()
                .unwrap_err()
                .contains("pillars[0]")
        );
        assert!(
            curve(&[(100, "0")])
                .ensure()
                .unwrap_err()
                .contains("positive")
        );
    }
}
