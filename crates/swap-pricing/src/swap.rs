//! [`SwapTerms`]: a vanilla fixed/float swap's economics, its fixings (what the sandbox's
//! `TriggerLifecycleByScheduler` records) and its value (what the mark-publisher prices).
//!
//! - Fixing of period i off the curve as it is now: 1 + Fᵢ·αᵢ = DF(sᵢ) / DF(eᵢ), so the float
//!   amount is N·(DF(sᵢ)/DF(eᵢ) − 1) and the fixed amount N·K·αᵢ.
//! - Value at v to the fixed payer: over the periods ending after v, floating leg
//!   N·Σ(P(sᵢ) − P(eᵢ)) minus fixed leg N·K·Σαᵢ·P(eᵢ), with P(x) = DF(max(x, v)) / DF(v).

use ledger_types::lf::Timestamp;

use crate::{DiscountCurve, PricingError, Schedule, act_360, finite};

/// The economic terms of a vanilla fixed/float swap.
#[derive(Debug, Clone, PartialEq)]
pub struct SwapTerms {
    /// N.
    pub notional: f64,
    /// K, as a fraction (0.0425 = 4.25 %).
    pub fixed_rate: f64,
    /// Start of the schedule.
    pub effective: Timestamp,
    /// End of the schedule.
    pub maturity: Timestamp,
    /// Period length P, in seconds.
    pub period_seconds: i64,
}

/// The fixing and cash flows of one period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeriodFixing {
    /// Start of the period.
    pub start: Timestamp,
    /// End of the period.
    pub end: Timestamp,
    /// αᵢ, Act/360.
    pub accrual_fraction: f64,
    /// Fᵢ, the simple forward rate over the period.
    pub fixing_rate: f64,
    /// N·K·αᵢ.
    pub fixed_amount: f64,
    /// N·Fᵢ·αᵢ.
    pub float_amount: f64,
}

impl PeriodFixing {
    /// What the fixed payer receives net: the float amount less the fixed amount.
    pub fn net_to_fixed_payer(&self) -> f64 {
        self.float_amount - self.fixed_amount
    }
}

impl SwapTerms {
    /// The period schedule; an error when the terms break the template's `ensure`.
    pub fn schedule(&self) -> Result<Schedule, PricingError> {
        Schedule::new(self.effective, self.maturity, self.period_seconds)
    }

    /// The fixing of period `index` off `curve` as it is now.
    pub fn fixing(&self, curve: &DiscountCurve, index: i64) -> Result<PeriodFixing, PricingError> {
        let (start, end) = self.schedule()?.period(index);
        let accrual_fraction = act_360(start, end);
        let growth = curve.discount_factor(start) / curve.discount_factor(end);
        let float_amount = finite("float amount", self.notional * (growth - 1.0))?;
        Ok(PeriodFixing {
            start,
            end,
            accrual_fraction,
            fixing_rate: finite("fixing rate", (growth - 1.0) / accrual_fraction)?,
            fixed_amount: finite(
                "fixed amount",
                self.notional * self.fixed_rate * accrual_fraction,
            )?,
            float_amount,
        })
    }

    /// The value at `valuation` to the party paying fixed: PV_float − PV_fixed over the
    /// periods ending after `valuation`, whatever has been lifecycled.
    pub fn value_to_fixed_payer(
        &self,
        curve: &DiscountCurve,
        valuation: Timestamp,
    ) -> Result<f64, PricingError> {
        let schedule = self.schedule()?;
        let df_valuation = curve.discount_factor(valuation);
        let forward = |x: Timestamp| curve.discount_factor(x.max(valuation)) / df_valuation;
        let (mut floating, mut fixed) = (0.0, 0.0);
        for index in 0..schedule.count() {
            let (start, end) = schedule.period(index);
            if end <= valuation {
                continue;
            }
            floating += forward(start) - forward(end);
            fixed += act_360(start, end) * forward(end);
        }
        let value = self.notional * floating - self.notional * self.fixed_rate * fixed;
        finite("swap value", value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{at, close, days, origin};

    fn one_year_curve() -> DiscountCurve {
        DiscountCurve::new(origin(), [(at(days(360)), 0.95)]).unwrap()
    }

    fn terms(length: i64, period: i64) -> SwapTerms {
        SwapTerms {
            notional: 1_000_000.0,
            fixed_rate: 0.04,
            effective: origin(),
            maturity: at(length),
            period_seconds: period,
        }
    }

    #[test]
    fn a_one_period_swap_is_worth_its_discounted_net_leg() {
        // One period of 360 days on a single-pillar curve: PV_float = N·(1 − DF(e)),
        // PV_fixed = N·K·1·DF(e).
        let curve = one_year_curve();
        let terms = terms(days(360), days(360));
        let value = terms.value_to_fixed_payer(&curve, origin()).unwrap();
        let expected = 1_000_000.0 * (1.0 - 0.95) - 1_000_000.0 * 0.04 * 0.95;
        assert!(close(value, expected, 1e-6), "{value} vs {expected}");
        // Before the start the value is the same: DF is 1 before asOf.
        let early = terms.value_to_fixed_payer(&curve, at(-days(10))).unwrap();
        assert!(close(early, expected, 1e-6), "DF is 1 before asOf");
        // Half-way, the floating leg is N·(1 − P(e)) with P(e) = DF(e)/DF(v).
        let half_way = at(days(180));
        let forward = 0.95 / curve.discount_factor(half_way);
        let value = terms.value_to_fixed_payer(&curve, half_way).unwrap();
        let expected = 1_000_000.0 * (1.0 - forward) - 1_000_000.0 * 0.04 * forward;
        assert!(close(value, expected, 1e-6), "{value} vs {expected}");
        // Once every period has ended nothing is left.
        let after = terms.value_to_fixed_payer(&curve, at(days(360))).unwrap();
        assert_eq!(after, 0.0);
    }

    #[test]
    fn an_invalid_schedule_cannot_be_valued_or_fixed() {
        let curve = DiscountCurve::new(origin(), [(at(100), 0.9)]).unwrap();
        let broken = terms(60, -5);
        assert!(matches!(
            broken.value_to_fixed_payer(&curve, origin()),
            Err(PricingError::InvalidSchedule(_))
        ));
        assert!(matches!(
            broken.fixing(&curve, 0),
            Err(PricingError::InvalidSchedule(_))
        ));
    }

    #[test]
    fn a_fixing_is_the_simple_forward_over_the_period() {
        let curve = one_year_curve();
        let terms = terms(days(360), days(90));
        let fixing = terms.fixing(&curve, 1).unwrap();
        assert_eq!((fixing.start, fixing.end), (at(days(90)), at(days(180))));
        assert_eq!(fixing.accrual_fraction, 0.25);
        // ln DF is linear: each quarter grows by 0.95^(−1/4).
        let growth = 0.95_f64.powf(-0.25);
        assert!(close(
            fixing.float_amount,
            1_000_000.0 * (growth - 1.0),
            1e-6
        ));
        assert!(close(fixing.fixing_rate, (growth - 1.0) / 0.25, 1e-12));
        assert!(close(fixing.fixed_amount, 10_000.0, 1e-9));
        assert!(close(
            fixing.net_to_fixed_payer(),
            fixing.float_amount - 10_000.0,
            1e-9
        ));
        // The four fixings compound back to the whole year's discount factor.
        let compounded: f64 = (0..4)
            .map(|index| {
                let fixing = terms.fixing(&curve, index).unwrap();
                1.0 + fixing.fixing_rate * fixing.accrual_fraction
            })
            .product();
        assert!(close(compounded, 1.0 / 0.95, 1e-12));
    }
}
