//! The `csa` and `masterAgreements` sections.

/// `csa`: the credit support annex every pair of traders runs under.
#[derive(Debug, Clone, PartialEq)]
pub struct CsaConfig {
    /// Thresholds per direction.
    pub threshold: CsaThreshold,
    /// Minimum transfer amount.
    pub mta: f64,
    /// Rounding unit of calls.
    pub rounding: f64,
    /// Valuation currency (three characters).
    pub valuation_ccy: String,
    /// Eligible collateral, at least one.
    pub eligible_collateral: Vec<EligibleCollateral>,
}

/// `csa.threshold`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CsaThreshold {
    /// Threshold of party A (0 or more).
    pub dir_a: f64,
    /// Threshold of party B (0 or more).
    pub dir_b: f64,
}

/// `csa.eligibleCollateral[]`.
#[derive(Debug, Clone, PartialEq)]
pub struct EligibleCollateral {
    /// Three characters.
    pub currency: String,
    /// Valuation percentage, in (0, 1].
    pub haircut: f64,
}

/// The law governing a master agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoverningLaw {
    /// New York law.
    NewYork,
    /// English law.
    English,
    /// Japanese law.
    Japanese,
}

/// `masterAgreements[]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterAgreement {
    /// The two parties.
    pub parties: [String; 2],
    /// The agreement's reference.
    pub reference: String,
    /// Governing law.
    pub governing_law: GoverningLaw,
}
