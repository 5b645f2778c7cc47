//! Authorization (`docs/ledger-json-api.md` §1.5): signatories and controllers must be among
//! actAs; reads see only contracts on which a reader is a stakeholder; `readers` must be
//! covered by the token.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestLedger, assert_error, template};

async fn csa_id(ledger: &TestLedger, token: &str) -> String {
    let csa = ledger
        .find(token, "IRSForge.Csa:Csa", "csaId", "CSA-AB-001")
        .await;
    csa["contractId"].as_str().unwrap().to_owned()
}

async fn swap_id(ledger: &TestLedger, token: &str, swap: &str) -> String {
    let swap = ledger
        .find(token, "IRSForge.Swap:Swap", "swapId", swap)
        .await;
    swap["contractId"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_schedulers_token_is_refused_for_publish_mark() {
    let ledger = TestLedger::hs256().await;
    // The scheduler's service account: actAs Scheduler, readAs Operator.
    let scheduler = ledger.token(&["Scheduler"], &["Operator"]);
    let csa = csa_id(&ledger, &scheduler).await;
    let argument = json!({"asOf": "2026-01-05T09:00:01Z", "exposure": "0", "callAmount": "0"});
    let response = ledger
        .exercise(
            &scheduler,
            "IRSForge.Csa:Csa",
            &csa,
            "PublishMark",
            argument,
        )
        .await;
    let expected = format!(
        "Interpretation error: Error: node NodeId(0) ({}) requires authorizers {}, but only {} were given",
        template("IRSForge.Csa:Csa"),
        ledger.party("Operator"),
        ledger.party("Scheduler")
    );
    assert_error(
        &response,
        StatusCode::BAD_REQUEST,
        "DAML_AUTHORIZATION_ERROR(8,",
    );
    assert_error(&response, StatusCode::BAD_REQUEST, &expected);
    assert!(response.1.get("ledgerApiError").is_none());
    // Nothing changed: the CSA is still the same contract.
    assert_eq!(csa_id(&ledger, &scheduler).await, csa);
    ledger.stop().await;
}

#[tokio::test]
async fn the_operators_token_is_refused_for_the_scheduler_choices() {
    let ledger = TestLedger::hs256().await;
    ledger.advance(3600);
    let operator = ledger.token(&["Operator"], &["PartyA", "PartyB"]);
    let csa = csa_id(&ledger, &operator).await;
    let swap = swap_id(&ledger, &operator, "IRS-SHORT-50S").await;
    for (module_entity, contract_id, choice) in [
        ("IRSForge.Csa:Csa", &csa, "SettleNetByScheduler"),
        ("IRSForge.Swap:Swap", &swap, "TriggerLifecycleByScheduler"),
        ("IRSForge.Swap:Swap", &swap, "MatureByScheduler"),
    ] {
        let response = ledger
            .exercise(&operator, module_entity, contract_id, choice, json!({}))
            .await;
        assert_error(
            &response,
            StatusCode::BAD_REQUEST,
            &format!("requires authorizers {}", ledger.party("Scheduler")),
        );
    }
    ledger.stop().await;
}

#[tokio::test]
async fn meta_parties_must_be_covered_by_the_token() {
    let ledger = TestLedger::hs256().await;
    let operator = ledger.token(&["Operator"], &["PartyA"]);
    let csa = csa_id(&ledger, &operator).await;
    let exercise = |meta: Value| {
        json!({"templateId": "IRSForge.Csa:Csa", "contractId": csa, "choice": "PublishMark",
               "argument": {"asOf": "2026-01-05T09:00:01Z", "exposure": "0", "callAmount": "0"},
               "meta": meta})
    };
    let body = exercise(json!({"actAs": [ledger.party("Scheduler")]}));
    let response = ledger.post("/v1/exercise", Some(&operator), &body).await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "PERMISSION_DENIED");
    let body = exercise(json!({"readAs": [ledger.party("Regulator")]}));
    let response = ledger.post("/v1/exercise", Some(&operator), &body).await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "PERMISSION_DENIED");
    let body = exercise(json!({"actAs": []}));
    let response = ledger.post("/v1/exercise", Some(&operator), &body).await;
    assert_error(&response, StatusCode::BAD_REQUEST, "meta.actAs");
    let body =
        exercise(json!({"actAs": [ledger.party("Operator")], "readAs": [ledger.party("PartyA")]}));
    let (status, response) = ledger.post("/v1/exercise", Some(&operator), &body).await;
    assert_eq!(status, StatusCode::OK, "{response}");
    ledger.stop().await;
}

#[tokio::test]
async fn a_create_needs_every_signatory_in_act_as() {
    let ledger = TestLedger::hs256().await;
    let all = ledger.token(&["Operator", "PartyA", "PartyB"], &[]);
    let seeded = ledger
        .find(&all, "IRSForge.Csa:Csa", "csaId", "CSA-AB-001")
        .await;
    let mut payload = seeded["payload"].clone();
    payload["csaId"] = json!("CSA-AB-002");
    let body = json!({"templateId": "IRSForge.Csa:Csa", "payload": payload});
    let operator = ledger.token(&["Operator"], &[]);
    let response = ledger.post("/v1/create", Some(&operator), &body).await;
    let required = [
        ledger.party("Operator"),
        ledger.party("PartyA"),
        ledger.party("PartyB"),
    ]
    .join(", ");
    assert_error(
        &response,
        StatusCode::BAD_REQUEST,
        &format!(
            "requires authorizers {required}, but only {} were given",
            ledger.party("Operator")
        ),
    );
    let (status, created) = ledger.post("/v1/create", Some(&all), &body).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(
        created["result"]["observers"],
        json!([ledger.party("Scheduler"), ledger.party("Regulator")])
    );
    ledger.stop().await;
}

#[tokio::test]
async fn bare_hints_authorize_nothing() {
    let ledger = TestLedger::hs256().await;
    let bare = ledger.sign(&json!({"https://daml.com/ledger-api": {
        "ledgerId": "sandbox", "applicationId": "IRSForge", "actAs": ["Operator"]}}));
    let curve = |operator: &str| {
        json!({"templateId": "IRSForge.Curve:DiscountCurve", "payload": {
        "operator": operator, "observers": [], "currency": "JPY", "asOf": "2026-01-05T09:00:00Z",
        "interpolation": "LogLinearDiscount",
        "pillars": [{"maturity": "2027-01-05T09:00:00Z", "discountFactor": "0.999"}]}})
    };
    let response = ledger
        .post("/v1/create", Some(&bare), &curve(&ledger.party("Operator")))
        .await;
    assert_error(
        &response,
        StatusCode::BAD_REQUEST,
        "DAML_AUTHORIZATION_ERROR",
    );
    let response = ledger
        .post("/v1/create", Some(&bare), &curve("Operator"))
        .await;
    assert_error(&response, StatusCode::NOT_FOUND, "UNKNOWN_SUBMITTERS(11,");
    // A bare-hint token sees nothing: rights match by exact string.
    let (status, body) = ledger.get("/v1/query", Some(&bare)).await;
    assert_eq!(
        (status, body["result"].clone()),
        (StatusCode::OK, json!([]))
    );
    // Observers must be allocated parties too.
    let operator = ledger.token(&["Operator"], &[]);
    let mut body = curve(&ledger.party("Operator"));
    body["payload"]["observers"] = json!(["Nobody::1220"]);
    let response = ledger.post("/v1/create", Some(&operator), &body).await;
    assert_error(&response, StatusCode::NOT_FOUND, "UNKNOWN_INFORMEES(11,");
    ledger.stop().await;
}

#[tokio::test]
async fn reads_see_only_contracts_with_a_reader_as_stakeholder() {
    let ledger = TestLedger::hs256().await;
    let operator = ledger.token(&["Operator"], &[]);
    // A curve only the operator can see.
    let body = json!({"templateId": "IRSForge.Curve:DiscountCurve", "payload": {
        "operator": ledger.party("Operator"), "observers": [], "currency": "EUR",
        "asOf": "2026-01-05T09:00:00Z", "interpolation": "LogLinearDiscount",
        "pillars": [{"maturity": "2027-01-05T09:00:00Z", "discountFactor": "0.98"}]}});
    let (_, created) = ledger.post("/v1/create", Some(&operator), &body).await;
    let private_id = created["result"]["contractId"].clone();
    let currencies = |contracts: Vec<Value>| -> Vec<String> {
        contracts
            .iter()
            .map(|c| c["payload"]["currency"].as_str().unwrap().to_owned())
            .collect()
    };
    let curve = "IRSForge.Curve:DiscountCurve";

    let party_a = ledger.token(&["PartyA"], &[]);
    assert_eq!(currencies(ledger.query(&party_a, curve).await), ["USD"]);
    assert_eq!(
        currencies(ledger.query(&operator, curve).await),
        ["USD", "EUR"]
    );
    // readAs widens what a token sees.
    let party_a_reading_operator = ledger.token(&["PartyA"], &["Operator"]);
    assert_eq!(
        currencies(ledger.query(&party_a_reading_operator, curve).await),
        ["USD", "EUR"]
    );
    // `readers` narrows it, and must be a subset of actAs ∪ readAs.
    let narrowed = json!({"templateIds": [curve], "readers": [ledger.party("PartyA")]});
    let (_, response) = ledger
        .post("/v1/query", Some(&party_a_reading_operator), &narrowed)
        .await;
    assert_eq!(response["result"].as_array().unwrap().len(), 1);
    let widened = json!({"templateIds": [curve], "readers": [ledger.party("Operator")]});
    let response = ledger.post("/v1/query", Some(&party_a), &widened).await;
    assert_error(
        &response,
        StatusCode::UNAUTHORIZED,
        &format!(
            "Queried parties not allowed by given JWT token: {}",
            ledger.party("Operator")
        ),
    );
    let response = ledger
        .post(
            "/v1/query",
            Some(&party_a),
            &json!({"templateIds": [curve], "readers": []}),
        )
        .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "readers");

    // Fetch and exercise follow the same rule.
    let fetch = json!({"contractId": private_id});
    let (_, response) = ledger.post("/v1/fetch", Some(&party_a), &fetch).await;
    assert_eq!(response["result"], Value::Null);
    let (_, response) = ledger.post("/v1/fetch", Some(&operator), &fetch).await;
    assert_eq!(response["result"]["contractId"], private_id);
    let response = ledger
        .post(
            "/v1/fetch",
            Some(&party_a),
            &json!({"contractId": private_id, "readers": [ledger.party("Operator")]}),
        )
        .await;
    assert_error(
        &response,
        StatusCode::UNAUTHORIZED,
        "Queried parties not allowed",
    );
    let response = ledger
        .exercise(
            &party_a,
            curve,
            private_id.as_str().unwrap(),
            "Archive",
            json!({}),
        )
        .await;
    assert_error(&response, StatusCode::NOT_FOUND, "CONTRACT_NOT_FOUND");
    ledger.stop().await;
}

#[tokio::test]
async fn the_scheduler_and_regulator_see_swaps_and_csas() {
    let ledger = TestLedger::hs256().await;
    for hint in ["Scheduler", "Regulator", "PartyA", "PartyB"] {
        let token = ledger.token(&[hint], &[]);
        assert_eq!(
            ledger.query(&token, "IRSForge.Swap:Swap").await.len(),
            4,
            "{hint}"
        );
        assert_eq!(
            ledger.query(&token, "IRSForge.Csa:Csa").await.len(),
            1,
            "{hint}"
        );
        assert_eq!(
            ledger
                .query(&token, "IRSForge.Curve:DiscountCurve")
                .await
                .len(),
            1,
            "{hint}"
        );
    }
    ledger.stop().await;
}
