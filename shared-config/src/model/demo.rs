//! The `demo` section: seed data of the demo profile. A `production` profile must not carry a
//! populated one.

use std::collections::BTreeMap;

use crate::cron::CronSchedule;

/// `demo`.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// `demo.cdsStub`.
    pub cds_stub: Option<CdsStub>,
    /// `demo.stubCurves`, per currency.
    pub stub_curves: Option<BTreeMap<String, StubCurve>>,
    /// `demo.fxSpots`, per six-character pair.
    pub fx_spots: Option<BTreeMap<String, f64>>,
    /// `demo.csa`.
    pub csa: Option<DemoCsa>,
    /// `demo.curveTicker`.
    pub curve_ticker: Option<CurveTicker>,
}

/// `demo.cdsStub`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CdsStub {
    /// Default probability, in [0, 1].
    pub default_prob: f64,
    /// Recovery rate, in [0, 1].
    pub recovery: f64,
}

/// `demo.stubCurves.<CCY>`.
#[derive(Debug, Clone, PartialEq)]
pub struct StubCurve {
    /// The discount curve's pillars.
    pub discount: Vec<Pillar>,
    /// Projection curves' pillars, by index id.
    pub projections: BTreeMap<String, Vec<Pillar>>,
}

/// One point of a stub curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pillar {
    /// Days from today.
    pub tenor_days: u64,
    /// Zero rate (negative rates allowed).
    pub zero_rate: f64,
}

/// `demo.csa`.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoCsa {
    /// Initial funding per currency.
    pub initial_funding: BTreeMap<String, f64>,
}

/// `demo.curveTicker`.
#[derive(Debug, Clone)]
pub struct CurveTicker {
    /// Whether the ticker moves the stub curves (default false).
    pub enabled: bool,
    /// When it ticks (default `*/30 * * * * *`).
    pub cron: CronSchedule,
    /// Largest move per tick, in basis points (default 0.25).
    pub bps_range: f64,
}
