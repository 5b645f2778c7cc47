//! The market sections the frontend and ledger code read: `currencies`, `scheduleDefaults`,
//! `curves`, `floatingRateIndices` and `rateFamilies`.

use std::collections::BTreeMap;

/// One entry of `currencies`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Currency {
    /// Three characters (no alphabet check, as on the platform).
    pub code: String,
    /// Display name.
    pub label: String,
    /// The holiday calendar's id.
    pub calendar_id: String,
    /// Whether this is the default currency; exactly one is.
    pub is_default: bool,
}

/// A day-count convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayCount {
    /// Actual/360.
    Act360,
    /// Actual/365 fixed.
    Act365F,
}

/// `scheduleDefaults.<product>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleDefault {
    /// Months between payments.
    pub frequency_months: u64,
    /// Day count of accruals (default Act360).
    pub day_count_convention: DayCount,
}

/// How curves interpolate between pillars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interpolation {
    /// Linear in zero rates (the default).
    LinearZero,
    /// Log-linear in discount factors.
    LogLinearDf,
}

/// `curves`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurvesConfig {
    /// Interpolation (default LinearZero).
    pub interpolation: Interpolation,
    /// Per currency (three-character keys).
    pub currencies: BTreeMap<String, CurrencyCurves>,
}

/// `curves.currencies.<CCY>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyCurves {
    /// The curves' day count.
    pub day_count: DayCount,
    /// The discount curve's provider id (lowercase letters, digits and hyphens).
    pub discount_provider: String,
    /// The projection curve.
    pub projection: ProjectionCurve,
}

/// `curves.currencies.<CCY>.projection`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectionCurve {
    /// The index the curve projects.
    pub index_id: String,
    /// The provider id (lowercase letters, digits and hyphens).
    pub provider: String,
}

/// An overnight rate family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateFamilyName {
    /// USD SOFR.
    Sofr,
    /// EUR €STR.
    Estr,
    /// GBP SONIA.
    Sonia,
    /// JPY TONA.
    Tona,
    /// CHF SARON.
    Saron,
    /// MXN TIIE.
    Tiie,
    /// CAD CORRA.
    Corra,
    /// AUD BBSW.
    Bbsw,
    /// HKD HONIA.
    Honia,
}

/// How a floating rate compounds over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compounding {
    /// Simple interest.
    Simple,
    /// Compounded in arrears.
    CompoundedInArrears,
    /// Averaged overnight rates.
    OvernightAverage,
}

/// `floatingRateIndices.<id>`.
#[derive(Debug, Clone, PartialEq)]
pub struct FloatingRateIndex {
    /// Three characters.
    pub currency: String,
    /// The rate family.
    pub family: RateFamilyName,
    /// Compounding.
    pub compounding: Compounding,
    /// Lookback in business days.
    pub lookback: u64,
    /// The floor; `None` (written `null`) means no floor.
    pub floor: Option<f64>,
}

/// `rateFamilies.<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateFamily {
    /// The family's compounded index id.
    pub curve_index_id: String,
    /// The family's overnight index id.
    pub overnight_index_id: String,
    /// The tenors quoted, ids unique within the family.
    pub tenors: Vec<Tenor>,
}

/// `rateFamilies.<name>.tenors[]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenor {
    /// The tenor's id, e.g. `SOFR/3M`.
    pub id: String,
    /// Its length in days.
    pub days: u64,
}
