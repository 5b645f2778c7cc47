//! The maths of the IRSForge world (`crates/ledger-sandbox/WORLD.md`, "Curve", "Swap",
//! "Choices" and "Pricing a CSA"), written once for both sides: the sandbox fixes periods with
//! it when a swap is lifecycled, and the oracle's mark-publisher prices netting sets with it.
//! Pure functions of their inputs: no I/O, no clock.
//!
//! # Layout
//!
//! - [`schedule`]: [`act_360`] and the period [`Schedule`] (the last period may be short).
//! - [`curve`]: [`DiscountCurve`], log-linear in the discount factor between pillars.
//! - [`swap`]: [`SwapTerms`]: a period's fixing ([`SwapTerms::fixing`]) and the value to the
//!   fixed payer ([`SwapTerms::value_to_fixed_payer`]).
//! - [`collateral`]: [`CollateralTerms`] (threshold, minimum transfer amount, rounding) and
//!   [`price_netting_set`], which gives the [`Mark`] to publish.
//! - `error.rs`: [`PricingError`].
//!
//! Times are LF [`Timestamp`]s, so every instant is compared and measured to the microsecond,
//! as on the ledger. The valuation runs in `f64` (relative error around 1e-15, far below a cent
//! on these notionals); the call is built in fixed point ([`Numeric`]) so it passes the ledger's
//! exact multiple-of-rounding and minimum-transfer checks.
//!
//! WORLD.md's worked example (a mark of −1,873,740.85 and a call of −1,630,000.0 at the seed
//! time) is recomputed from the seeded contracts by `ledger-sandbox`'s seed tests and end to end
//! by the oracle's job tests.
//!
//! [`Timestamp`]: ledger_types::lf::Timestamp
//! [`Numeric`]: ledger_types::lf::Numeric

pub mod collateral;
pub mod curve;
mod error;
pub mod schedule;
pub mod swap;

pub use collateral::{CollateralTerms, Mark, PartyASide, price_netting_set};
pub use curve::DiscountCurve;
pub use error::PricingError;
pub use schedule::{ACT_360_YEAR_SECONDS, MAX_PERIODS, Schedule, act_360};
pub use swap::{PeriodFixing, SwapTerms};

/// `value`, or [`PricingError::Unrepresentable`] when it is not finite.
fn finite(what: &'static str, value: f64) -> Result<f64, PricingError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(PricingError::Unrepresentable { what, value })
    }
}

#[cfg(test)]
mod test_support;
