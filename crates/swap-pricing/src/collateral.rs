//! A CSA's call (WORLD.md, "Pricing a CSA", steps 3–6) and [`price_netting_set`], all of it for
//! one netting set.
//!
//! Amounts are signed from PartyA's side: positive is in PartyA's favour. R = E − thresholdB
//! above thresholdB, E + thresholdA below −thresholdA, else 0; D = R − balance; the call is 0
//! when |D| < MTA, else sign(D)·⌈|D| / rounding⌉·rounding (D itself when rounding is 0). The
//! call is computed from the exposure before it is rounded to cents for publication.

use ledger_types::lf::{Numeric, Timestamp};

use crate::{DiscountCurve, PricingError, SwapTerms, finite};

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
    pub minimum_transfer_amount: Numeric,
    /// Calls are whole multiples of this (zero: no rounding).
    pub rounding: Numeric,
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

    /// The call for `exposure`. Positive: PartyB delivers to PartyA. The result always passes
    /// the ledger's exact minimum-transfer and rounding checks.
    pub fn call_amount(&self, exposure: f64) -> Result<Numeric, PricingError> {
        let delta = finite(
            "collateral delta",
            self.required_collateral(exposure) - self.collateral_balance,
        )?;
        let minimum = self.minimum_transfer_amount.abs();
        if delta.abs() < minimum.to_f64() {
            return Ok(Numeric::ZERO);
        }
        let unrepresentable = || PricingError::Unrepresentable {
            what: "call amount",
            value: delta,
        };
        let rounding = self.rounding.abs();
        let mut magnitude = if rounding.is_zero() {
            Numeric::from_f64(delta.abs()).map_err(|_| unrepresentable())?
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
    pub published_exposure: Numeric,
    /// The call, signed: positive when PartyB delivers to PartyA.
    pub call_amount: Numeric,
}

/// Prices a netting set at `valuation` and derives the call (WORLD.md steps 1–6).
pub fn price_netting_set<'a>(
    curve: &DiscountCurve,
    swaps: impl IntoIterator<Item = (&'a SwapTerms, PartyASide)>,
    collateral: &CollateralTerms,
    valuation: Timestamp,
) -> Result<Mark, PricingError> {
    let mut exposure = 0.0;
    for (swap, side) in swaps {
        exposure += side.value_to_party_a(swap.value_to_fixed_payer(curve, valuation)?);
    }
    let exposure = finite("exposure", exposure)?;
    let published_exposure =
        Numeric::from_f64_places(exposure, 2).map_err(|_| PricingError::Unrepresentable {
            what: "exposure",
            value: exposure,
        })?;
    Ok(Mark {
        exposure,
        published_exposure,
        call_amount: collateral.call_amount(exposure)?,
    })
}

#[cfg(test)]
mod tests;
