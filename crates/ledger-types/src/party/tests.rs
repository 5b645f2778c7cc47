use super::*;

const FP: &str = "1220f2fe29866fd6a0009ecc8a64ccdc09f1958bd0f801166baaee469d1251b2eb72";

#[test]
fn qualified_id_parses_into_hint_and_fingerprint() {
    let id = PartyId::parse(&format!("Operator::{FP}")).unwrap();
    assert_eq!(id.hint(), "Operator");
    assert_eq!(id.fingerprint(), FP);
    assert_eq!(id.to_string(), format!("Operator::{FP}"));
}

#[test]
fn bare_hint_is_refused_with_a_pointer_to_the_exact_form() {
    let err = PartyId::parse("Operator").unwrap_err();
    assert_eq!(err, PartyIdError::BareHint("Operator".into()));
    assert!(err.to_string().contains("`Operator::1220…`"), "{err}");
}

#[test]
fn malformed_ids_are_refused() {
    let upper = format!("Operator::{}", FP.to_uppercase());
    let short = format!("Operator::{}", &FP[..60]);
    let wrong_prefix = format!("Operator::1221{}", &FP[4..]);
    let empty_hint = format!("::{FP}");
    let bad_char = format!("Oper/ator::{FP}");
    let double_colon_hint = format!("a::b::{FP}");
    for bad in [
        "",
        "Operator::",
        upper.as_str(),
        short.as_str(),
        wrong_prefix.as_str(),
        empty_hint.as_str(),
        bad_char.as_str(),
        double_colon_hint.as_str(),
    ] {
        assert!(PartyId::parse(bad).is_err(), "{bad:?} must be refused");
    }
}

#[test]
fn hint_with_spaces_dashes_and_single_colons_is_allowed() {
    assert!(PartyId::parse(&format!("Party A-1:x_y::{FP}")).is_ok());
}

#[test]
fn deserializing_validates() {
    let ok: PartyId = serde_json::from_str(&format!("\"Scheduler::{FP}\"")).unwrap();
    assert_eq!(ok.hint(), "Scheduler");
    let err = serde_json::from_str::<PartyId>("\"Scheduler\"").unwrap_err();
    assert!(err.to_string().contains("bare party hint"), "{err}");
}
