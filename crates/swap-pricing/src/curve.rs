//! [`DiscountCurve`]: the discount factor every party must compute identically (WORLD.md,
//! "Curve").
//!
//! DF(t) = 1 at or before asOf. Otherwise, over the points (asOf, 0), (maturity₁, ln DF₁), …,
//! `ln DF` is linear in time on the segment [a, b] with a < t ≤ b, and beyond the last pillar
//! the last segment's line continues: piecewise-constant continuously compounded forwards.

use ledger_types::lf::Timestamp;

use crate::PricingError;

/// A discount curve: DF from `asOf` to any instant.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscountCurve {
    /// (instant in µs since the epoch, ln DF), starting with (asOf, 0); at least two points,
    /// instants strictly increasing.
    points: Vec<(i64, f64)>,
}

impl DiscountCurve {
    /// A curve from its reference instant and its pillars (maturity, discount factor).
    /// Refuses what the template's `ensure` refuses: no pillar, maturities not strictly
    /// increasing after `as_of`, a discount factor that is not a positive finite number.
    pub fn new(
        as_of: Timestamp,
        pillars: impl IntoIterator<Item = (Timestamp, f64)>,
    ) -> Result<Self, PricingError> {
        let mut points = vec![(as_of.micros(), 0.0)];
        for (index, (maturity, discount_factor)) in pillars.into_iter().enumerate() {
            let at = maturity.micros();
            if at <= points[points.len() - 1].0 {
                return Err(PricingError::InvalidCurve(format!(
                    "pillars[{index}].maturity is not after asOf and the previous pillar"
                )));
            }
            if !(discount_factor.is_finite() && discount_factor > 0.0) {
                return Err(PricingError::InvalidCurve(format!(
                    "pillars[{index}].discountFactor {discount_factor} is not positive"
                )));
            }
            points.push((at, discount_factor.ln()));
        }
        if points.len() < 2 {
            return Err(PricingError::InvalidCurve(
                "a curve needs at least one pillar".into(),
            ));
        }
        Ok(Self { points })
    }

    /// DF(`at`).
    pub fn discount_factor(&self, at: Timestamp) -> f64 {
        let t = at.micros();
        let points = &self.points;
        if t <= points[0].0 {
            return 1.0;
        }
        // The first point at or after t; beyond the last pillar, the last segment.
        let upper = points
            .iter()
            .position(|&(instant, _)| t <= instant)
            .unwrap_or(points.len() - 1);
        let (a, b) = (points[upper - 1], points[upper]);
        let ln_df = a.1 + (b.1 - a.1) * (t - a.0) as f64 / (b.0 - a.0) as f64;
        ln_df.exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{at, close, origin};

    fn curve(pillars: &[(i64, f64)]) -> Result<DiscountCurve, PricingError> {
        DiscountCurve::new(
            origin(),
            pillars.iter().map(|&(offset, df)| (at(offset), df)),
        )
    }

    #[test]
    fn discount_factors_are_one_up_to_as_of_and_hit_the_pillars() {
        let curve = curve(&[(100, 0.9), (200, 0.8)]).unwrap();
        let df = |offset| curve.discount_factor(at(offset));
        assert_eq!(df(-3600), 1.0);
        assert_eq!(df(-5), 1.0);
        assert_eq!(df(0), 1.0);
        assert!(close(df(100), 0.9, 1e-15));
        assert!(close(df(200), 0.8, 1e-15));
    }

    #[test]
    fn discount_factors_are_log_linear_between_and_beyond_pillars() {
        let two = curve(&[(100, 0.9), (200, 0.8)]).unwrap();
        let df = |offset| two.discount_factor(at(offset));
        assert!(close(df(50), 0.9_f64.sqrt(), 1e-15));
        assert!(close(df(150), (0.9_f64 * 0.8).sqrt(), 1e-15));
        // Beyond the last pillar the last segment's forward continues: 0.8 · (0.8 / 0.9).
        assert!(close(df(300), 0.8 * 0.8 / 0.9, 1e-15));
        // With a single pillar, the segment from asOf is extended.
        let single = curve(&[(100, 0.9)]).unwrap();
        assert!(close(single.discount_factor(at(200)), 0.81, 1e-15));
        assert!(close(single.discount_factor(at(50)), 0.9_f64.sqrt(), 1e-15));
        // To the microsecond: half a second in is a two-hundredth of the first segment.
        let fine = two.discount_factor(origin().checked_add_micros(500_000).unwrap());
        assert!(close(fine, (0.9_f64.ln() / 200.0).exp(), 1e-15));
    }

    #[test]
    fn curves_that_break_the_template_rules_are_refused() {
        let message = |pillars: &[(i64, f64)]| curve(pillars).unwrap_err().to_string();
        assert!(message(&[]).contains("at least one pillar"));
        assert!(message(&[(0, 0.9)]).contains("pillars[0]"));
        assert!(message(&[(-10, 0.9)]).contains("pillars[0]"));
        assert!(message(&[(100, 0.9), (50, 0.95)]).contains("pillars[1]"));
        assert!(message(&[(100, 0.9), (100, 0.95)]).contains("pillars[1]"));
        assert!(message(&[(100, 0.0)]).contains("not positive"));
        assert!(message(&[(100, -0.5)]).contains("not positive"));
        assert!(message(&[(100, f64::NAN)]).contains("not positive"));
        assert!(message(&[(100, f64::INFINITY)]).contains("not positive"));
    }
}
