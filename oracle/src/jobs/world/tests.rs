use serde_json::{Value, json};

use super::*;

const PACKAGE: &str = "1b4dd4567ec3dbd6c112d1448e6b40c256bcdebb66d5ce0c806c927eebabadc7";

fn contract(module_entity: &str, payload: Value) -> Contract {
    crate::ledger::tests::contract(&format!("{PACKAGE}:{module_entity}"), payload)
}

fn csa_payload() -> Value {
    json!({
        "operator": "Operator::1220", "partyA": "PartyA::1220", "partyB": "PartyB::1220",
        "scheduler": "Scheduler::1220", "regulator": "Regulator::1220",
        "csaId": "CSA-AB-001", "currency": "USD",
        "thresholdA": "250000.0", "thresholdB": "250000.0",
        "minimumTransferAmount": "100000.0", "rounding": "10000.0",
        "collateralBalance": "-1630000.0", "lastMarkAsOf": null, "lastMarkCid": null,
        "unsettledCall": "0.0"
    })
}

fn swap_payload() -> Value {
    json!({
        "operator": "Operator::1220", "scheduler": "Scheduler::1220",
        "regulator": "Regulator::1220", "fixedPayer": "PartyA::1220",
        "floatPayer": "PartyB::1220", "swapId": "IRS-SHORT-50S", "csaId": "CSA-AB-001",
        "currency": "USD", "notional": "10000000.0", "fixedRate": "0.04",
        "effectiveTime": "2026-01-05T09:00:00Z", "maturityTime": "2026-01-05T09:00:50Z",
        "periodSeconds": "20", "nextPeriodIndex": "2"
    })
}

#[test]
fn template_ids_match_in_every_form_the_ledger_may_use() {
    let csa = contract(CSA, csa_payload());
    assert!(csa.is_instance_of(CSA));
    assert!(!csa.is_instance_of(SWAP));
    let by_name = Contract {
        template_id: template_id(CSA),
        ..csa.clone()
    };
    assert_eq!(by_name.template_id, "#irsforge:IRSForge.Csa:Csa");
    assert!(by_name.is_instance_of(CSA));
    let lookalike = Contract {
        template_id: format!("{PACKAGE}:XIRSForge.Csa:Csa"),
        ..csa
    };
    assert!(!lookalike.is_instance_of(CSA));
}

#[test]
fn a_csa_decodes_with_its_collateral_terms() {
    let csa = Csa::decode(&contract(CSA, csa_payload())).unwrap();
    assert_eq!(csa.stable_id(), "CSA-AB-001");
    assert_eq!(csa.last_mark_as_of, None);
    assert!(csa.unsettled_call.is_zero());
    let terms = csa.collateral_terms();
    assert_eq!(terms.collateral_balance, -1_630_000.0);
    assert_eq!(terms.rounding.to_string(), "10000.0");
    assert_eq!(csa.contract_id, "00abc");
    assert_eq!(csa.operator.as_str(), "Operator::1220");

    let mut marked = csa_payload();
    marked["lastMarkAsOf"] = json!("2026-01-05T09:00:55.5Z");
    let csa = Csa::decode(&contract(CSA, marked)).unwrap();
    let expected = Timestamp::parse("2026-01-05T09:00:55.500Z").unwrap();
    assert_eq!(csa.last_mark_as_of, Some(expected));
    // A later template version with more fields still decodes; a field left out is refused.
    let mut extended = csa_payload();
    extended["newField"] = json!("anything");
    assert!(Csa::decode(&contract(CSA, extended)).is_ok());
}

#[test]
fn a_bad_payload_names_the_contract_and_the_field() {
    let mut payload = csa_payload();
    payload.as_object_mut().unwrap().remove("thresholdB");
    let error = Csa::decode(&contract(CSA, payload)).unwrap_err();
    assert_eq!(
        error,
        "contract 00abc (IRSForge.Csa:Csa): field `thresholdB`: is missing"
    );
    let mut payload = swap_payload();
    payload["notional"] = json!("10,000,000");
    let error = Swap::decode(&contract(SWAP, payload)).unwrap_err();
    assert!(error.contains("field `notional`"), "{error}");
    assert!(error.contains("found `10,000,000`"), "{error}");
    let mut payload = swap_payload();
    payload["fixedPayer"] = json!("Party A!");
    let error = Swap::decode(&contract(SWAP, payload)).unwrap_err();
    assert!(error.contains("field `fixedPayer`"), "{error}");
    let mut payload = swap_payload();
    payload["effectiveTime"] = json!("2026-01-05T09:00:00+01:00");
    let error = Swap::decode(&contract(SWAP, payload)).unwrap_err();
    assert!(error.contains("field `effectiveTime`"), "{error}");
    let mut payload = swap_payload();
    payload["periodSeconds"] = json!("twenty");
    assert!(
        Swap::decode(&contract(SWAP, payload))
            .unwrap_err()
            .contains("expected an Int")
    );
    let error = Csa::decode(&contract(CSA, json!([1, 2]))).unwrap_err();
    assert!(error.contains("not a record"), "{error}");
}

#[test]
fn a_swap_knows_its_next_period_end_and_party_a_side() {
    let swap = Swap::decode(&contract(SWAP, swap_payload())).unwrap();
    assert_eq!(swap.terms.period_seconds, 20);
    assert_eq!(swap.terms.notional, 10_000_000.0);
    assert_eq!(
        swap.next_period_end().unwrap(),
        Some(Timestamp::parse("2026-01-05T09:00:50Z").unwrap()),
        "period 2 is the short stub"
    );
    let done = Swap {
        next_period_index: 3,
        ..swap.clone()
    };
    assert_eq!(done.next_period_end().unwrap(), None);
    let party = |id: &str| Party::parse(id).unwrap();
    assert_eq!(
        swap.side_of(&party("PartyA::1220")),
        Some(PartyASide::PaysFixed)
    );
    assert_eq!(
        swap.side_of(&party("PartyB::1220")),
        Some(PartyASide::PaysFloat)
    );
    assert_eq!(swap.side_of(&party("Regulator::1220")), None);
    let mut numbers = swap_payload();
    numbers["periodSeconds"] = json!(20);
    numbers["notional"] = json!(10_000_000);
    assert_eq!(
        Swap::decode(&contract(SWAP, numbers)).unwrap().terms,
        swap.terms
    );
    // The participant's other spellings of the same numbers (docs/ledger-json-api.md §3.1).
    let mut spelled = swap_payload();
    spelled["notional"] = json!("1e7");
    spelled["fixedRate"] = json!(".04");
    assert_eq!(
        Swap::decode(&contract(SWAP, spelled)).unwrap().terms,
        swap.terms
    );
}

#[test]
fn a_curve_decodes_and_its_rules_are_checked() {
    let payload = json!({
        "operator": "Operator::1220", "observers": [], "currency": "USD",
        "asOf": "2026-01-05T09:00:00Z", "interpolation": "LogLinearDiscount",
        "pillars": [
            {"maturity": "2026-02-04T09:00:00Z", "discountFactor": "0.9968000000"},
            {"maturity": "2026-04-06T09:00:00Z", "discountFactor": "0.99"}
        ]
    });
    let curve = Curve::decode(&contract(DISCOUNT_CURVE, payload.clone())).unwrap();
    assert_eq!(curve.currency, "USD");
    let pillar = Timestamp::parse("2026-02-04T09:00:00Z").unwrap();
    assert!((curve.curve.discount_factor(pillar) - 0.9968).abs() < 1e-15);

    let mut other = payload.clone();
    other["interpolation"] = json!("Linear");
    assert!(
        Curve::decode(&contract(DISCOUNT_CURVE, other))
            .unwrap_err()
            .contains("not LogLinearDiscount")
    );
    let mut unordered = payload.clone();
    unordered["pillars"][1]["maturity"] = json!("2026-01-06T09:00:00Z");
    let error = Curve::decode(&contract(DISCOUNT_CURVE, unordered)).unwrap_err();
    assert!(error.contains("pillars[1]"), "{error}");
    let mut broken = payload;
    broken["pillars"][0]
        .as_object_mut()
        .unwrap()
        .remove("discountFactor");
    let error = Curve::decode(&contract(DISCOUNT_CURVE, broken)).unwrap_err();
    assert!(
        error.contains("`pillars[0].discountFactor`: is missing"),
        "{error}"
    );
}
