//! `scheduler` and `operator`, and the cron syntax check this loader adds to the platform's
//! schema.

use std::collections::BTreeMap;

use serde_yaml_ng::Value;

use crate::cron::CronSchedule;
use crate::issues::YamlPath;
use crate::model::{CronConfig, OperatorPolicy, Product, SchedulerConfig};
use crate::reader::Reader;

/// `operator.policy`'s keys (FpML spelt as in `observables`).
const POLICY_PRODUCTS: &[(&str, Product)] = &[
    ("IRS", Product::Irs),
    ("OIS", Product::Ois),
    ("BASIS", Product::Basis),
    ("XCCY", Product::Xccy),
    ("CDS", Product::Cds),
    ("CCY", Product::Ccy),
    ("FX", Product::Fx),
    ("ASSET", Product::Asset),
    ("FpML", Product::Fpml),
];

pub(super) fn scheduler(
    reader: &mut Reader,
    value: &Value,
    path: &YamlPath,
) -> Option<SchedulerConfig> {
    let object = reader.object(value, path, &["enabled", "manualOverridesEnabled", "cron"])?;
    let enabled = reader.defaulted(&object, "enabled", || false, Reader::boolean);
    let manual_overrides_enabled =
        reader.defaulted(&object, "manualOverridesEnabled", || true, Reader::boolean);
    let cron = reader.defaulted_object(&object, "cron", |r, v, p| {
        let crons = r.object(v, p, &["trigger", "settleNet", "mature"])?;
        let every = |expression: &'static str| {
            move || CronSchedule::parse(expression).expect("the defaults parse")
        };
        let trigger = r.defaulted(&crons, "trigger", every("*/5 * * * * *"), cron);
        let settle_net = r.defaulted(&crons, "settleNet", every("*/5 * * * * *"), cron);
        let mature = r.defaulted(&crons, "mature", every("*/30 * * * * *"), cron);
        Some(CronConfig {
            trigger: trigger?,
            settle_net: settle_net?,
            mature: mature?,
        })
    });
    Some(SchedulerConfig {
        enabled: enabled?,
        manual_overrides_enabled: manual_overrides_enabled?,
        cron: cron?,
    })
}

/// A cron expression. Refusal of this loader (the platform's schema takes any string): the
/// platform's oracle fails at start on an expression that is not 5 or 6 valid fields, so the
/// loader says so first, with the reason.
pub(super) fn cron(reader: &mut Reader, value: &Value, path: &YamlPath) -> Option<CronSchedule> {
    let expression = reader.string(value, path)?;
    match CronSchedule::parse(&expression) {
        Ok(schedule) => Some(schedule),
        Err(error) => {
            reader.refuse(path, format!("{expression:?}: {error}"));
            None
        }
    }
}

pub(super) fn operator(
    reader: &mut Reader,
    value: &Value,
    path: &YamlPath,
) -> Option<BTreeMap<Product, OperatorPolicy>> {
    let object = reader.object(value, path, &["policy"])?;
    reader.defaulted_object(&object, "policy", |r, v, p| {
        let keys: Vec<&str> = POLICY_PRODUCTS.iter().map(|(key, _)| *key).collect();
        let policy = r.object(v, p, &keys)?;
        let mut complete = true;
        let mut policies = BTreeMap::new();
        for &(key, product) in POLICY_PRODUCTS {
            let choice = r.defaulted(
                &policy,
                key,
                || OperatorPolicy::Auto,
                |r, v, p| {
                    r.one_of(
                        v,
                        p,
                        &[
                            ("auto", OperatorPolicy::Auto),
                            ("manual", OperatorPolicy::Manual),
                        ],
                    )
                },
            );
            match choice {
                Some(choice) => {
                    policies.insert(product, choice);
                }
                None => complete = false,
            }
        }
        complete.then_some(policies)
    })
}
