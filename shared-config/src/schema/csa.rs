//! `csa` and `masterAgreements`.

use serde_yaml_ng::Value;

use crate::issues::YamlPath;
use crate::model::{CsaConfig, CsaThreshold, EligibleCollateral, GoverningLaw, MasterAgreement};
use crate::reader::{NumberCheck, Reader};

const AT_LEAST_ZERO: &[NumberCheck] = &[NumberCheck::NonNegative];

pub(super) fn csa(reader: &mut Reader, value: &Value, path: &YamlPath) -> Option<CsaConfig> {
    let object = reader.object(
        value,
        path,
        &[
            "threshold",
            "mta",
            "rounding",
            "valuationCcy",
            "eligibleCollateral",
        ],
    )?;
    let threshold = reader.required(&object, "threshold", |r, v, p| {
        let threshold = r.object(v, p, &["DirA", "DirB"])?;
        let dir_a = r.required(&threshold, "DirA", |r, v, p| {
            r.checked_number(v, p, AT_LEAST_ZERO)
        });
        let dir_b = r.required(&threshold, "DirB", |r, v, p| {
            r.checked_number(v, p, AT_LEAST_ZERO)
        });
        Some(CsaThreshold {
            dir_a: dir_a?,
            dir_b: dir_b?,
        })
    });
    let mta = reader.required(&object, "mta", |r, v, p| {
        r.checked_number(v, p, AT_LEAST_ZERO)
    });
    let rounding = reader.required(&object, "rounding", |r, v, p| {
        r.checked_number(v, p, AT_LEAST_ZERO)
    });
    let valuation_ccy = reader.required(&object, "valuationCcy", |r, v, p| r.exact_length(v, p, 3));
    let eligible_collateral = reader.required(&object, "eligibleCollateral", |r, v, p| {
        r.list(v, p, 1, |r, v, p| {
            let entry = r.object(v, p, &["currency", "haircut"])?;
            let currency = r.required(&entry, "currency", |r, v, p| r.exact_length(v, p, 3));
            let haircut = r.required(&entry, "haircut", |r, v, p| {
                r.checked_number(v, p, &[NumberCheck::Positive, NumberCheck::AtMost(1.0)])
            });
            Some(EligibleCollateral {
                currency: currency?,
                haircut: haircut?,
            })
        })
    });
    Some(CsaConfig {
        threshold: threshold?,
        mta: mta?,
        rounding: rounding?,
        valuation_ccy: valuation_ccy?,
        eligible_collateral: eligible_collateral?,
    })
}

pub(super) fn master_agreements(
    reader: &mut Reader,
    value: &Value,
    path: &YamlPath,
) -> Option<Vec<MasterAgreement>> {
    reader.list(value, path, 0, |r, v, p| {
        let object = r.object(v, p, &["parties", "reference", "governingLaw"])?;
        let parties = r.required(&object, "parties", pair_of_parties);
        let reference = r.required(&object, "reference", Reader::non_empty);
        let governing_law = r.required(&object, "governingLaw", |r, v, p| {
            r.one_of(
                v,
                p,
                &[
                    ("NewYork", GoverningLaw::NewYork),
                    ("English", GoverningLaw::English),
                    ("Japanese", GoverningLaw::Japanese),
                ],
            )
        });
        Some(MasterAgreement {
            parties: parties?,
            reference: reference?,
            governing_law: governing_law?,
        })
    })
}

/// Exactly two parties. Too few is a structural problem on the platform (its cross-field rules
/// then stay silent), too many a range problem.
fn pair_of_parties(reader: &mut Reader, value: &Value, path: &YamlPath) -> Option<[String; 2]> {
    let Value::Sequence(items) = value else {
        reader.wrong_type(value, path, "a list of 2 parties");
        return None;
    };
    if items.len() < 2 {
        reader.refuse_structure(
            path,
            format!("must list exactly 2 parties, got {}", items.len()),
        );
        return None;
    }
    let first = reader.non_empty(&items[0], &path.index(0));
    let second = reader.non_empty(&items[1], &path.index(1));
    if items.len() > 2 {
        reader.refuse(
            path,
            format!("must list exactly 2 parties, got {}", items.len()),
        );
        return None;
    }
    Some([first?, second?])
}
