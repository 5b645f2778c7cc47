//! Party management: listing, lookup and allocation.

use ledger_sandbox::DEFAULT_NAMESPACE_FINGERPRINT;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{SECRET, Signer, TestLedger, assert_error, hs256_options};

#[tokio::test]
async fn parties_are_listed_for_admins_with_the_admin_party_first() {
    let ledger = TestLedger::hs256().await;
    let (status, body) = ledger.get("/v1/parties", Some(&ledger.admin_token())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], 200);
    let parties = body["result"].as_array().unwrap();
    let fp = DEFAULT_NAMESPACE_FINGERPRINT;
    assert_eq!(
        parties[0],
        json!({"identifier": format!("sandbox::{fp}"), "isLocal": true})
    );
    let ids: Vec<&str> = parties
        .iter()
        .map(|p| p["identifier"].as_str().unwrap())
        .collect();
    for hint in ["Operator", "Scheduler", "PartyA", "PartyB", "Regulator"] {
        assert!(
            ids.contains(&format!("{hint}::{fp}").as_str()),
            "{hint} missing: {ids:?}"
        );
    }
    assert_eq!(parties[1]["displayName"], "IRSForge Operator");
    ledger.stop().await;
}

#[tokio::test]
async fn party_lookup_reports_unknown_parties_as_warnings() {
    let ledger = TestLedger::hs256().await;
    let admin = ledger.admin_token();
    let body = json!([ledger.party("PartyA"), "Erin::1220"]);
    let (status, response) = ledger.post("/v1/parties", Some(&admin), &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(response["result"][0]["identifier"], ledger.party("PartyA"));
    assert_eq!(
        response["warnings"],
        json!({"unknownParties": ["Erin::1220"]})
    );
    let response = ledger.post("/v1/parties", Some(&admin), &json!([])).await;
    assert_error(&response, StatusCode::BAD_REQUEST, "at least 1 element");
    ledger.stop().await;
}

#[tokio::test]
async fn allocation_qualifies_the_hint_and_refuses_duplicates_and_bad_hints() {
    let ledger = TestLedger::hs256().await;
    let admin = ledger.admin_token();
    let body = json!({"identifierHint": "Carol", "displayName": "Carol & Co. LLC"});
    let (status, response) = ledger
        .post("/v1/parties/allocate", Some(&admin), &body)
        .await;
    assert_eq!(status, StatusCode::OK, "{response}");
    let expected = json!({"identifier": format!("Carol::{DEFAULT_NAMESPACE_FINGERPRINT}"),
                          "displayName": "Carol & Co. LLC", "isLocal": true});
    assert_eq!(response["result"], expected);
    assert!(ledger.sandbox.snapshot().party("Carol").is_some());

    let response = ledger
        .post("/v1/parties/allocate", Some(&admin), &body)
        .await;
    assert_error(&response, StatusCode::CONFLICT, "PARTY_ALREADY_EXISTS(10,");
    let response = ledger
        .post(
            "/v1/parties/allocate",
            Some(&admin),
            &json!({"identifierHint": "Bad::Hint"}),
        )
        .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "is invalid");
    let (status, response) = ledger
        .post("/v1/parties/allocate", Some(&admin), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let generated = response["result"]["identifier"].as_str().unwrap();
    assert!(generated.starts_with("party-"), "{generated}");
    assert!(response["result"].get("displayName").is_none());
    ledger.stop().await;
}

#[tokio::test]
async fn the_namespace_fingerprint_is_configurable() {
    let fingerprint = format!("1220{}", "ab".repeat(32));
    let mut options = hs256_options();
    options.namespace_fingerprint = fingerprint.clone();
    let ledger = TestLedger::start(options, Signer::Hs256(SECRET.into())).await;
    assert_eq!(ledger.party("Operator"), format!("Operator::{fingerprint}"));
    ledger.stop().await;
}
