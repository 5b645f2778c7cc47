//! Records and optionals: what serde's derive gives the LF types above.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::*;

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MarkRecord {
    party_a: Party,
    as_of: Timestamp,
    exposure: Numeric,
    period_index: Int64,
    last_mark_as_of: Option<Timestamp>,
}

fn mark() -> MarkRecord {
    MarkRecord {
        party_a: Party::parse("PartyA::1220").unwrap(),
        as_of: Timestamp::parse("2026-01-05T09:00:00Z").unwrap(),
        exposure: Numeric::parse("-1873740.85").unwrap(),
        period_index: Int64(3),
        last_mark_as_of: None,
    }
}

#[test]
fn a_record_is_written_as_an_object_with_none_as_null() {
    assert_eq!(
        serde_json::to_value(mark()).unwrap(),
        json!({
            "partyA": "PartyA::1220", "asOf": "2026-01-05T09:00:00Z",
            "exposure": "-1873740.85", "periodIndex": "3", "lastMarkAsOf": null
        })
    );
}

#[test]
fn a_record_is_read_from_an_object_or_an_array_of_every_field() {
    let from_object: MarkRecord = serde_json::from_value(json!({
        "partyA": "PartyA::1220", "asOf": "2026-01-05T09:00:00.000Z",
        "exposure": "-1873740.850", "periodIndex": 3
    }))
    .unwrap();
    assert_eq!(from_object, mark(), "an Optional field left out is None");
    let from_array: MarkRecord = serde_json::from_value(json!([
        "PartyA::1220",
        "2026-01-05T09:00:00Z",
        -1873740.85,
        "3",
        null
    ]))
    .unwrap();
    assert_eq!(from_array, mark());
    let short = serde_json::from_value::<MarkRecord>(json!([
        "PartyA::1220",
        "2026-01-05T09:00:00Z",
        "1",
        "3"
    ]));
    assert!(
        short.is_err(),
        "the array form lists every field, None as null"
    );
}

#[test]
fn an_optional_is_null_or_the_value() {
    let mut payload = serde_json::to_value(mark()).unwrap();
    payload["lastMarkAsOf"] = json!("2026-01-05T09:00:55.5Z");
    let marked: MarkRecord = serde_json::from_value(payload.clone()).unwrap();
    assert_eq!(
        marked.last_mark_as_of,
        Some(Timestamp::parse("2026-01-05T09:00:55.500Z").unwrap())
    );
    payload["lastMarkAsOf"] = json!("yesterday");
    assert!(serde_json::from_value::<MarkRecord>(payload).is_err());
}

#[test]
fn unit_is_an_empty_record() {
    assert_eq!(serde_json::to_string(&Unit {}).unwrap(), "{}");
    assert_eq!(serde_json::from_str::<Unit>("{}").unwrap(), Unit {});
    assert!(serde_json::from_str::<Unit>(r#"{"x":1}"#).is_err());
}
