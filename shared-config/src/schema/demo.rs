//! `demo`: the demo profile's seed data.

use serde_yaml_ng::Value;

use crate::cron::CronSchedule;
use crate::issues::YamlPath;
use crate::model::{CdsStub, CurveTicker, DemoConfig, DemoCsa, Pillar, StubCurve};
use crate::reader::{KeyRule, NumberCheck, Reader};

use super::scheduler::cron;

const POSITIVE: &[NumberCheck] = &[NumberCheck::Positive];
const PROBABILITY: &[NumberCheck] = &[NumberCheck::NonNegative, NumberCheck::AtMost(1.0)];

pub(super) fn demo(reader: &mut Reader, value: &Value, path: &YamlPath) -> Option<DemoConfig> {
    let object = reader.object(
        value,
        path,
        &["cdsStub", "stubCurves", "fxSpots", "csa", "curveTicker"],
    )?;
    let cds_stub = reader.optional(&object, "cdsStub", |r, v, p| {
        let stub = r.object(v, p, &["defaultProb", "recovery"])?;
        let default_prob = r.required(&stub, "defaultProb", |r, v, p| {
            r.checked_number(v, p, PROBABILITY)
        });
        let recovery = r.required(&stub, "recovery", |r, v, p| {
            r.checked_number(v, p, PROBABILITY)
        });
        Some(CdsStub {
            default_prob: default_prob?,
            recovery: recovery?,
        })
    });
    let stub_curves = reader.optional(&object, "stubCurves", |r, v, p| {
        r.map(v, p, KeyRule::Length(3), stub_curve)
    });
    let fx_spots = reader.optional(&object, "fxSpots", |r, v, p| {
        r.map(v, p, KeyRule::Length(6), |r, v, p| {
            r.checked_number(v, p, POSITIVE)
        })
    });
    let csa = reader.optional(&object, "csa", |r, v, p| {
        let csa = r.object(v, p, &["initialFunding"])?;
        let initial_funding = r.required(&csa, "initialFunding", |r, v, p| {
            r.map(v, p, KeyRule::Length(3), |r, v, p| {
                r.checked_number(v, p, POSITIVE)
            })
        });
        Some(DemoCsa {
            initial_funding: initial_funding?,
        })
    });
    let curve_ticker = reader.optional(&object, "curveTicker", |r, v, p| {
        let ticker = r.object(v, p, &["enabled", "cron", "bpsRange"])?;
        let enabled = r.defaulted(&ticker, "enabled", || false, Reader::boolean);
        let cron = r.defaulted(&ticker, "cron", default_cron, cron);
        let bps_range = r.defaulted(
            &ticker,
            "bpsRange",
            || 0.25,
            |r, v, p| r.checked_number(v, p, POSITIVE),
        );
        Some(CurveTicker {
            enabled: enabled?,
            cron: cron?,
            bps_range: bps_range?,
        })
    });
    Some(DemoConfig {
        cds_stub: cds_stub?,
        stub_curves: stub_curves?,
        fx_spots: fx_spots?,
        csa: csa?,
        curve_ticker: curve_ticker?,
    })
}

fn default_cron() -> CronSchedule {
    CronSchedule::parse("*/30 * * * * *").expect("the default parses")
}

fn stub_curve(reader: &mut Reader, value: &Value, path: &YamlPath) -> Option<StubCurve> {
    let object = reader.object(value, path, &["discount", "projections"])?;
    let discount = reader.required(&object, "discount", pillars_object);
    let projections = reader.required(&object, "projections", |r, v, p| {
        r.map(v, p, KeyRule::NonEmpty, pillars_object)
    });
    Some(StubCurve {
        discount: discount?,
        projections: projections?,
    })
}

/// `{pillars: [...]}`, at least two pillars.
fn pillars_object(reader: &mut Reader, value: &Value, path: &YamlPath) -> Option<Vec<Pillar>> {
    let object = reader.object(value, path, &["pillars"])?;
    reader.required(&object, "pillars", |r, v, p| {
        r.list(v, p, 2, |r, v, p| {
            let pillar = r.object(v, p, &["tenorDays", "zeroRate"])?;
            let tenor_days = r.required(&pillar, "tenorDays", Reader::positive_int);
            let zero_rate = r.required(&pillar, "zeroRate", Reader::number);
            Some(Pillar {
                tenor_days: tenor_days?,
                zero_rate: zero_rate?,
            })
        })
    })
}
