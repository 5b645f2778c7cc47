//! [`PricingError`]: why a curve, a schedule or an amount cannot be used.

/// Why a netting set cannot be priced or a period fixed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PricingError {
    /// The curve breaks the `DiscountCurve` template's `ensure`.
    #[error("invalid discount curve: {0}")]
    InvalidCurve(String),
    /// The schedule breaks the `Swap` template's `ensure`.
    #[error("invalid swap schedule: {0}")]
    InvalidSchedule(String),
    /// A result is not finite or does not fit a Daml `Numeric 10`.
    #[error("the {what} ({value}) cannot be represented as a Daml Numeric")]
    Unrepresentable {
        /// Which amount.
        what: &'static str,
        /// Its value.
        value: f64,
    },
}
