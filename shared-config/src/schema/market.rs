//! `currencies`, `cds`, `observables`, `scheduleDefaults`, `curves`, `floatingRateIndices` and
//! `rateFamilies`.

use std::collections::BTreeMap;

use serde_yaml_ng::Value;

use crate::issues::YamlPath;
use crate::model::{
    Compounding, Currency, CurrencyCurves, CurvesConfig, DayCount, FloatingRateIndex,
    Interpolation, Product, ProjectionCurve, RateFamily, RateFamilyName, ScheduleDefault, Tenor,
};
use crate::reader::{KeyRule, Reader};

const DAY_COUNTS: &[(&str, DayCount)] =
    &[("Act360", DayCount::Act360), ("Act365F", DayCount::Act365F)];

/// `observables`: each product's key and its default.
const OBSERVABLES: &[(&str, Product, bool)] = &[
    ("IRS", Product::Irs, true),
    ("OIS", Product::Ois, true),
    ("BASIS", Product::Basis, false),
    ("XCCY", Product::Xccy, false),
    ("CDS", Product::Cds, true),
    ("CCY", Product::Ccy, true),
    ("FX", Product::Fx, true),
    ("ASSET", Product::Asset, false),
    ("FpML", Product::Fpml, true),
];

/// `scheduleDefaults`: each product's key and its default frequency. The platform spells FpML
/// `FPML` here and has no FX entry.
const SCHEDULE_DEFAULTS: &[(&str, Product, u64)] = &[
    ("IRS", Product::Irs, 3),
    ("OIS", Product::Ois, 12),
    ("BASIS", Product::Basis, 3),
    ("XCCY", Product::Xccy, 6),
    ("CDS", Product::Cds, 3),
    ("CCY", Product::Ccy, 3),
    ("ASSET", Product::Asset, 3),
    ("FPML", Product::Fpml, 3),
];

pub(super) fn currencies(
    reader: &mut Reader,
    value: &Value,
    path: &YamlPath,
) -> Option<Vec<Currency>> {
    reader.list(value, path, 1, |r, v, p| {
        let object = r.object(v, p, &["code", "label", "calendarId", "isDefault"])?;
        let code = r.required(&object, "code", |r, v, p| r.exact_length(v, p, 3));
        let label = r.required(&object, "label", Reader::non_empty);
        let calendar_id = r.required(&object, "calendarId", Reader::non_empty);
        let is_default = r.defaulted(&object, "isDefault", || false, Reader::boolean);
        Some(Currency {
            code: code?,
            label: label?,
            calendar_id: calendar_id?,
            is_default: is_default?,
        })
    })
}

pub(super) fn cds(reader: &mut Reader, value: &Value, path: &YamlPath) -> Option<Vec<String>> {
    let object = reader.object(value, path, &["referenceNames"])?;
    reader.required(&object, "referenceNames", |r, v, p| {
        r.list(v, p, 1, Reader::non_empty)
    })
}

pub(super) fn observables(
    reader: &mut Reader,
    value: &Value,
    path: &YamlPath,
) -> Option<BTreeMap<Product, bool>> {
    let keys: Vec<&str> = OBSERVABLES.iter().map(|(key, ..)| *key).collect();
    let object = reader.object(value, path, &keys)?;
    let mut complete = true;
    let mut observables = BTreeMap::new();
    for &(key, product, default) in OBSERVABLES {
        let enabled = reader.defaulted(
            &object,
            key,
            || default,
            |r, v, p| {
                let entry = r.object(v, p, &["enabled"])?;
                r.required(&entry, "enabled", Reader::boolean)
            },
        );
        match enabled {
            Some(enabled) => {
                observables.insert(product, enabled);
            }
            None => complete = false,
        }
    }
    complete.then_some(observables)
}

pub(super) fn schedule_defaults(
    reader: &mut Reader,
    value: &Value,
    path: &YamlPath,
) -> Option<BTreeMap<Product, ScheduleDefault>> {
    let keys: Vec<&str> = SCHEDULE_DEFAULTS.iter().map(|(key, ..)| *key).collect();
    let object = reader.object(value, path, &keys)?;
    let mut complete = true;
    let mut defaults = BTreeMap::new();
    for &(key, product, months) in SCHEDULE_DEFAULTS {
        let default = || ScheduleDefault {
            frequency_months: months,
            day_count_convention: DayCount::Act360,
        };
        let entry = reader.defaulted(&object, key, default, |r, v, p| {
            let entry = r.object(v, p, &["frequencyMonths", "dayCountConvention"])?;
            let frequency_months = r.required(&entry, "frequencyMonths", Reader::positive_int);
            let day_count_convention = r.defaulted(
                &entry,
                "dayCountConvention",
                || DayCount::Act360,
                |r, v, p| r.one_of(v, p, DAY_COUNTS),
            );
            Some(ScheduleDefault {
                frequency_months: frequency_months?,
                day_count_convention: day_count_convention?,
            })
        });
        match entry {
            Some(entry) => {
                defaults.insert(product, entry);
            }
            None => complete = false,
        }
    }
    complete.then_some(defaults)
}

pub(super) fn curves(reader: &mut Reader, value: &Value, path: &YamlPath) -> Option<CurvesConfig> {
    let object = reader.object(value, path, &["interpolation", "currencies"])?;
    let interpolation = reader.defaulted(
        &object,
        "interpolation",
        || Interpolation::LinearZero,
        |r, v, p| {
            r.one_of(
                v,
                p,
                &[
                    ("LinearZero", Interpolation::LinearZero),
                    ("LogLinearDF", Interpolation::LogLinearDf),
                ],
            )
        },
    );
    let currencies = reader.required(&object, "currencies", |r, v, p| {
        r.map(v, p, KeyRule::Length(3), currency_curves)
    });
    Some(CurvesConfig {
        interpolation: interpolation?,
        currencies: currencies?,
    })
}

fn currency_curves(reader: &mut Reader, value: &Value, path: &YamlPath) -> Option<CurrencyCurves> {
    let object = reader.object(value, path, &["dayCount", "discount", "projection"])?;
    let day_count = reader.required(&object, "dayCount", |r, v, p| r.one_of(v, p, DAY_COUNTS));
    let discount_provider = reader.required(&object, "discount", |r, v, p| {
        let discount = r.object(v, p, &["provider"])?;
        r.required(&discount, "provider", provider_id)
    });
    let projection = reader.required(&object, "projection", |r, v, p| {
        let projection = r.object(v, p, &["indexId", "provider"])?;
        let index_id = r.required(&projection, "indexId", Reader::non_empty);
        let provider = r.required(&projection, "provider", provider_id);
        Some(ProjectionCurve {
            index_id: index_id?,
            provider: provider?,
        })
    });
    Some(CurrencyCurves {
        day_count: day_count?,
        discount_provider: discount_provider?,
        projection: projection?,
    })
}

/// A curve provider id: `^[a-z][a-z0-9-]*$`. Whether the id names a registered provider is for
/// the platform's oracle to say.
fn provider_id(reader: &mut Reader, value: &Value, path: &YamlPath) -> Option<String> {
    let id = reader.non_empty(value, path)?;
    let mut bytes = id.bytes();
    let well_formed = bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !well_formed {
        reader.refuse(
            path,
            format!("{id:?}: provider id must be lowercase alphanumeric with optional hyphens (such as `nyfed` or `demo-stub`)"),
        );
        return None;
    }
    Some(id)
}

pub(super) fn floating_rate_indices(
    reader: &mut Reader,
    value: &Value,
    path: &YamlPath,
) -> Option<BTreeMap<String, FloatingRateIndex>> {
    reader.map(value, path, KeyRule::NonEmpty, |r, v, p| {
        let object = r.object(
            v,
            p,
            &["currency", "family", "compounding", "lookback", "floor"],
        )?;
        let currency = r.required(&object, "currency", |r, v, p| r.exact_length(v, p, 3));
        let family = r.required(&object, "family", |r, v, p| {
            r.one_of(
                v,
                p,
                &[
                    ("SOFR", RateFamilyName::Sofr),
                    ("ESTR", RateFamilyName::Estr),
                    ("SONIA", RateFamilyName::Sonia),
                    ("TONA", RateFamilyName::Tona),
                    ("SARON", RateFamilyName::Saron),
                    ("TIIE", RateFamilyName::Tiie),
                    ("CORRA", RateFamilyName::Corra),
                    ("BBSW", RateFamilyName::Bbsw),
                    ("HONIA", RateFamilyName::Honia),
                ],
            )
        });
        let compounding = r.required(&object, "compounding", |r, v, p| {
            r.one_of(
                v,
                p,
                &[
                    ("Simple", Compounding::Simple),
                    ("CompoundedInArrears", Compounding::CompoundedInArrears),
                    ("OvernightAverage", Compounding::OvernightAverage),
                ],
            )
        });
        let lookback = r.required(&object, "lookback", Reader::non_negative_int);
        // The key must be present; `null` means no floor (the one place null is a value).
        let floor = r.required(&object, "floor", |r, v, p| match v {
            Value::Null => Some(None),
            v => r.number(v, p).map(Some),
        });
        Some(FloatingRateIndex {
            currency: currency?,
            family: family?,
            compounding: compounding?,
            lookback: lookback?,
            floor: floor?,
        })
    })
}

pub(super) fn rate_families(
    reader: &mut Reader,
    value: &Value,
    path: &YamlPath,
) -> Option<BTreeMap<String, RateFamily>> {
    reader.map(value, path, KeyRule::NonEmpty, rate_family)
}

fn rate_family(reader: &mut Reader, value: &Value, path: &YamlPath) -> Option<RateFamily> {
    let structural_before = reader.structural_count();
    let object = reader.object(value, path, &["curveIndexId", "overnightIndexId", "tenors"])?;
    let curve_index_id = reader.required(&object, "curveIndexId", Reader::non_empty);
    let overnight_index_id = reader.required(&object, "overnightIndexId", Reader::non_empty);
    let tenors = reader.required(&object, "tenors", |r, v, p| {
        r.list(v, p, 1, |r, v, p| {
            let tenor = r.object(v, p, &["id", "days"])?;
            let id = r.required(&tenor, "id", Reader::non_empty);
            let days = r.required(&tenor, "days", Reader::positive_int);
            Some(Tenor {
                id: id?,
                days: days?,
            })
        })
    });
    // The platform's per-family check, run when the family is structurally sound.
    if reader.structural_count() == structural_before
        && let Some(Value::Sequence(items)) = object.get("tenors")
    {
        let mut seen: Vec<&str> = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let Some(id) = item.get("id").and_then(Value::as_str) else {
                continue;
            };
            if seen.contains(&id) {
                reader.refuse(
                    &path.key("tenors").index(index).key("id"),
                    format!("duplicate tenor id: {id}"),
                );
            } else {
                seen.push(id);
            }
        }
    }
    Some(RateFamily {
        curve_index_id: curve_index_id?,
        overnight_index_id: overnight_index_id?,
        tenors: tenors?,
    })
}
