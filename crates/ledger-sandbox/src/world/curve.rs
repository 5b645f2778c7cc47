//! `IRSForge.Curve:DiscountCurve`: the on-ledger discount curve, and the discount-factor
//! function every party must compute the same way (WORLD.md, "Curve").

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::lf::{Numeric, Party, Timestamp};
use crate::template::{Template, TemplateDef, template_def};

/// The template's erased definition.
pub(crate) static DISCOUNT_CURVE: TemplateDef =
    template_def::<DiscountCurve>("IRSForge.Curve", "DiscountCurve", &[]);

/// Microseconds in the Act/360 year: 360 days.
const ACT_360_YEAR_MICROS: f64 = 360.0 * 86_400.0 * 1_000_000.0;

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
        if self.pillars.is_empty() {
            return Err("a curve needs at least one pillar".into());
        }
        let mut previous = self.as_of;
        for (index, pillar) in self.pillars.iter().enumerate() {
            if pillar.maturity <= previous {
                return Err(format!(
                    "pillars[{index}].maturity must be after asOf and after the previous pillar"
                ));
            }
            if pillar.discount_factor <= Numeric::ZERO {
                return Err(format!("pillars[{index}].discountFactor must be positive"));
            }
            previous = pillar.maturity;
        }
        Ok(())
    }
}

/// The curve's key: the pair (operator, currency) as a Daml tuple.
pub(crate) fn curve_key(operator: &Party, currency: &str) -> Value {
    json!({"_1": operator, "_2": currency})
}

impl DiscountCurve {
    /// DF(t): 1 at or before `asOf`; `ln DF` linear in time between the points
    /// (asOf, 1), (maturity₁, DF₁), …; beyond the last pillar, the last segment's slope.
    pub(crate) fn discount_factor(&self, at: Timestamp) -> f64 {
        let t = at.micros() as f64;
        let Some(last) = self.pillars.len().checked_sub(1) else {
            // `ensure` refuses a curve without pillars; a flat curve is the only sane reading.
            return 1.0;
        };
        let mut previous = (self.as_of.micros() as f64, 0.0_f64);
        if t <= previous.0 {
            return 1.0;
        }
        for pillar in &self.pillars {
            let point = (
                pillar.maturity.micros() as f64,
                pillar.discount_factor.to_f64().ln(),
            );
            if t <= point.0 {
                return interpolate(previous, point, t).exp();
            }
            previous = point;
        }
        // Extrapolate with the slope of the last segment.
        let before = if last == 0 {
            (self.as_of.micros() as f64, 0.0)
        } else {
            (
                self.pillars[last - 1].maturity.micros() as f64,
                self.pillars[last - 1].discount_factor.to_f64().ln(),
            )
        };
        interpolate(before, previous, t).exp()
    }
}

fn interpolate(from: (f64, f64), to: (f64, f64), t: f64) -> f64 {
    from.1 + (to.1 - from.1) * (t - from.0) / (to.0 - from.0)
}

/// Act/360 year fraction between two instants, measured to the microsecond.
pub(crate) fn act_360(start: Timestamp, end: Timestamp) -> f64 {
    (end.micros() - start.micros()) as f64 / ACT_360_YEAR_MICROS
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

    #[test]
    fn discount_factor_is_one_before_as_of_and_hits_the_pillars() {
        let curve = curve(&[(100, "0.9"), (200, "0.8")]);
        assert!(close(curve.discount_factor(time(-5)), 1.0));
        assert!(close(curve.discount_factor(time(0)), 1.0));
        assert!(close(curve.discount_factor(time(100)), 0.9));
        assert!(close(curve.discount_factor(time(200)), 0.8));
    }

    #[test]
    fn discount_factor_is_log_linear_between_and_beyond_pillars() {
        let curve = curve(&[(100, "0.9"), (200, "0.8")]);
        assert!(close(curve.discount_factor(time(50)), 0.9_f64.sqrt()));
        assert!(close(
            curve.discount_factor(time(150)),
            (0.9_f64 * 0.8).sqrt()
        ));
        // Beyond the last pillar the last segment's forward continues: DF(300) = 0.8 · (0.8/0.9).
        assert!(close(curve.discount_factor(time(300)), 0.8 * 0.8 / 0.9));
        let single = super::tests::curve(&[(100, "0.9")]);
        assert!(close(single.discount_factor(time(200)), 0.81));
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

    #[test]
    fn act_360_counts_seconds_over_360_days() {
        assert!(close(act_360(time(0), time(360 * 86_400)), 1.0));
        assert!(close(act_360(time(0), time(20)), 20.0 / 31_104_000.0));
    }
}
