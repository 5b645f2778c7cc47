//! Pricing a CSA's netting set off the on-ledger discount curve, exactly as
//! `crates/ledger-sandbox/WORLD.md` ("Curve", "Swap", "Pricing a CSA") prescribes. Pure
//! functions of their inputs: no I/O, no clock.
//!
//! - [`DiscountCurve::discount_factor`]: log-linear interpolation of DF in time between
//!   (asOf, 1) and the pillars, 1 at or before asOf, the last segment's line beyond the last
//!   pillar (piecewise-constant continuously compounded forwards).
//! - [`SwapTerms`]: the period schedule (the last period may be short) and Act/360 accrual;
//!   [`SwapTerms::value_to_fixed_payer`] is the single-curve vanilla IRS value at v:
//!   floating leg N·Σ(P(sᵢ) − P(eᵢ)), fixed leg N·K·Σαᵢ·P(eᵢ), over the periods ending after v,
//!   with P(x) = DF(max(x, v)) / DF(v).
//! - [`CollateralTerms::call_amount`]: threshold, delta against the balance, minimum transfer
//!   amount and rounding up in absolute value to the transfer unit.
//! - [`price_netting_set`]: all of it for one CSA, giving the [`Mark`] to publish.
//!
//! Amounts are signed from PartyA's side. The valuation runs in `f64` (relative error around
//! 1e-15, far below a cent on these notionals); the call is built in fixed point
//! ([`Decimal`]) so it passes the ledger's exact multiple-of-rounding and MTA checks. The
//! call is computed from the exposure before it is rounded to cents for publication, as
//! WORLD.md's steps 3–6 read.
//!
//! Times are compared and measured to the microsecond, as on the ledger.

use chrono::{DateTime, Utc};

use crate::jobs::lf::{Decimal, to_ledger_precision};

/// Seconds in the Act/360 year.
pub const ACT_360_YEAR_SECONDS: f64 = 360.0 * 86_400.0;

/// Most periods a swap may have (WORLD.md `ensure`), so a bad payload cannot make a tick spin.
pub const MAX_PERIODS: i64 = 10_000;

/// Why a netting set cannot be priced.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PricingError {
    /// The curve breaks the `DiscountCurve` template's `ensure`.
    #[error("invalid discount curve: {0}")]
    InvalidCurve(String),
    /// The swap's schedule breaks the `Swap` template's `ensure`.
    #[error("invalid swap schedule: {0}")]
    InvalidSwap(String),
    /// A result is not finite or does not fit a Daml `Numeric 10`.
    #[error("the {what} ({value}) cannot be represented as a Daml Decimal")]
    Unrepresentable {
        /// Which amount.
        what: &'static str,
        /// Its value.
        value: f64,
    },
}

/// A discount curve: DF from `asOf` to any instant.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscountCurve {
    /// (instant in µs since the epoch, ln DF), starting with (asOf, 0).
    points: Vec<(i64, f64)>,
}

impl DiscountCurve {
    /// A curve from its reference instant and its pillars (maturity, discount factor).
    /// Refuses what the template's `ensure` refuses: no pillar, maturities not strictly
    /// increasing after `as_of`, a discount factor that is not a positive finite number.
    pub fn new(
        as_of: DateTime<Utc>,
        pillars: impl IntoIterator<Item = (DateTime<Utc>, f64)>,
    ) -> Result<Self, PricingError> {
        let mut points = vec![(micros(as_of), 0.0)];
        for (index, (maturity, discount_factor)) in pillars.into_iter().enumerate() {
            let at = micros(maturity);
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

    /// DF(t) per WORLD.md: 1 at or before asOf; `ln DF` linear in time on the segment
    /// [a, b] with a < t ≤ b; beyond the last pillar, the last segment's line.
    pub fn discount_factor(&self, at: DateTime<Utc>) -> f64 {
        let t = micros(at);
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

/// The economic terms of a vanilla fixed/float swap.
#[derive(Debug, Clone, PartialEq)]
pub struct SwapTerms {
    /// N.
    pub notional: f64,
    /// K, as a fraction (0.0425 = 4.25 %).
    pub fixed_rate: f64,
    /// Start of the schedule.
    pub effective: DateTime<Utc>,
    /// End of the schedule.
    pub maturity: DateTime<Utc>,
    /// Period length P, in seconds.
    pub period_seconds: i64,
}

impl SwapTerms {
    /// n = ⌈(maturity − effective) / P⌉. Refuses a schedule the template's `ensure` refuses.
    pub fn period_count(&self) -> Result<i64, PricingError> {
        let invalid = |detail: String| Err(PricingError::InvalidSwap(detail));
        if self.period_seconds <= 0 {
            return invalid(format!(
                "periodSeconds {} is not positive",
                self.period_seconds
            ));
        }
        let length = micros(self.maturity) - micros(self.effective);
        if length <= 0 {
            return invalid("maturityTime is not after effectiveTime".into());
        }
        let period = self.period_seconds.saturating_mul(1_000_000);
        let count = length / period + i64::from(length % period != 0);
        if count > MAX_PERIODS {
            return invalid(format!(
                "{count} periods; at most {MAX_PERIODS} are allowed"
            ));
        }
        Ok(count)
    }

    /// Period `index` (0-based): sᵢ = effective + i·P, eᵢ = min(effective + (i+1)·P, maturity).
    pub fn period(&self, index: i64) -> (DateTime<Utc>, DateTime<Utc>) {
        let period = self.period_seconds.saturating_mul(1_000_000);
        let maturity = micros(self.maturity);
        let at = |k: i64| {
            let instant = micros(self.effective)
                .saturating_add(k.saturating_mul(period))
                .min(maturity);
            DateTime::from_timestamp_micros(instant).unwrap_or(self.maturity)
        };
        (at(index), at(index + 1))
    }

    /// The value at `valuation` to the party paying fixed: PV_float − PV_fixed over the
    /// periods ending after `valuation`, whatever has been lifecycled.
    pub fn value_to_fixed_payer(
        &self,
        curve: &DiscountCurve,
        valuation: DateTime<Utc>,
    ) -> Result<f64, PricingError> {
        let valuation = to_ledger_precision(valuation);
        let df_valuation = curve.discount_factor(valuation);
        let forward = |x: DateTime<Utc>| curve.discount_factor(x.max(valuation)) / df_valuation;
        let (mut floating, mut fixed) = (0.0, 0.0);
        for index in 0..self.period_count()? {
            let (start, end) = self.period(index);
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

/// Act/360 year fraction between two instants, measured to the microsecond.
pub fn act_360(start: DateTime<Utc>, end: DateTime<Utc>) -> f64 {
    (micros(end) - micros(start)) as f64 / 1e6 / ACT_360_YEAR_SECONDS
}

/// Which leg PartyA is on in one swap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartyASide {
    /// PartyA is the swap's `fixedPayer`.
    PaysFixed,
    /// PartyA is the swap's `floatPayer`.
    PaysFloat,
}

impl PartyASide {
    /// The value to PartyA of a value to the fixed payer.
    pub fn value_to_party_a(self, value_to_fixed_payer: f64) -> f64 {
        match self {
            Self::PaysFixed => value_to_fixed_payer,
            Self::PaysFloat => -value_to_fixed_payer,
        }
    }
}

/// A CSA's collateral terms and state, as the call needs them.
#[derive(Debug, Clone, PartialEq)]
pub struct CollateralTerms {
    /// Unsecured exposure PartyB accepts on PartyA.
    pub threshold_a: f64,
    /// Unsecured exposure PartyA accepts on PartyB.
    pub threshold_b: f64,
    /// Calls below this are not made.
    pub minimum_transfer_amount: Decimal,
    /// Calls are whole multiples of this (zero: no rounding).
    pub rounding: Decimal,
    /// Collateral held, positive when held by PartyA.
    pub collateral_balance: f64,
}

impl CollateralTerms {
    /// R: the exposure beyond the threshold of the party it is on; 0 within the thresholds.
    pub fn required_collateral(&self, exposure: f64) -> f64 {
        if exposure > self.threshold_b {
            exposure - self.threshold_b
        } else if exposure < -self.threshold_a {
            exposure + self.threshold_a
        } else {
            0.0
        }
    }

    /// The call for `exposure`: D = R − balance; 0 when |D| < MTA; otherwise
    /// sign(D)·⌈|D| / rounding⌉·rounding (D itself, to 10 places, when rounding is 0).
    /// Positive: PartyB delivers to PartyA. The result always passes the ledger's checks.
    pub fn call_amount(&self, exposure: f64) -> Result<Decimal, PricingError> {
        let delta = finite(
            "collateral delta",
            self.required_collateral(exposure) - self.collateral_balance,
        )?;
        let minimum = self.minimum_transfer_amount.abs();
        if delta.abs() < minimum.to_f64() {
            return Ok(Decimal::ZERO);
        }
        let unrepresentable = || PricingError::Unrepresentable {
            what: "call amount",
            value: delta,
        };
        let rounding = self.rounding.abs();
        let mut magnitude = if rounding.is_zero() {
            Decimal::from_f64(delta.abs()).ok_or_else(unrepresentable)?
        } else {
            let units = (delta.abs() / rounding.to_f64()).ceil();
            rounding
                .checked_times(units as i128)
                .ok_or_else(unrepresentable)?
        };
        // Float division can land a hair under a boundary the ledger checks exactly.
        if !magnitude.is_zero() && magnitude < minimum {
            magnitude = if rounding.is_zero() {
                minimum
            } else {
                let units = (minimum.to_f64() / rounding.to_f64()).ceil() as i128;
                (units..units + 2)
                    .filter_map(|count| rounding.checked_times(count))
                    .find(|candidate| *candidate >= minimum)
                    .ok_or_else(unrepresentable)?
            };
        }
        Ok(if delta < 0.0 {
            magnitude.negate()
        } else {
            magnitude
        })
    }
}

/// What the mark-publisher publishes for one CSA.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// Σ values to PartyA, unrounded.
    pub exposure: f64,
    /// The exposure rounded to cents, as published.
    pub published_exposure: Decimal,
    /// The call, signed: positive when PartyB delivers to PartyA.
    pub call_amount: Decimal,
}

/// Prices a netting set at `valuation` and derives the call (WORLD.md steps 1–6).
pub fn price_netting_set<'a>(
    curve: &DiscountCurve,
    swaps: impl IntoIterator<Item = (&'a SwapTerms, PartyASide)>,
    collateral: &CollateralTerms,
    valuation: DateTime<Utc>,
) -> Result<Mark, PricingError> {
    let mut exposure = 0.0;
    for (swap, side) in swaps {
        exposure += side.value_to_party_a(swap.value_to_fixed_payer(curve, valuation)?);
    }
    let exposure = finite("exposure", exposure)?;
    let published_exposure =
        Decimal::from_f64_places(exposure, 2).ok_or(PricingError::Unrepresentable {
            what: "exposure",
            value: exposure,
        })?;
    Ok(Mark {
        exposure,
        published_exposure,
        call_amount: collateral.call_amount(exposure)?,
    })
}

fn micros(instant: DateTime<Utc>) -> i64 {
    instant.timestamp_micros()
}

fn finite(what: &'static str, value: f64) -> Result<f64, PricingError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(PricingError::Unrepresentable { what, value })
    }
}

#[cfg(test)]
mod tests;
