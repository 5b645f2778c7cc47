//! Every endpoint's success and error shapes.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestLedger, assert_error, error_text, template};

#[tokio::test]
async fn health_endpoints_need_no_token() {
    let ledger = TestLedger::hs256().await;
    let (status, body) = ledger.get("/livez", None).await;
    assert_eq!((status, body), (StatusCode::OK, Value::Null));
    let response = ledger.http.get(ledger.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(
        response.text().await.unwrap(),
        "[+] ledger ok (SERVING)\nreadyz check passed\n"
    );
    ledger.stop().await;
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_get_json_errors() {
    let ledger = TestLedger::hs256().await;
    let response = ledger.post("/v1/nope", None, &json!({})).await;
    let host = ledger.sandbox.local_addr();
    assert_error(
        &response,
        StatusCode::NOT_FOUND,
        &format!("HttpMethod(POST), uri: http://{host}/v1/nope"),
    );
    let response = ledger.get("/v1/create-and-exercise", None).await;
    assert_error(&response, StatusCode::NOT_FOUND, "HttpMethod(GET)");
    let response = ledger.get("/v1/create", None).await;
    assert_error(
        &response,
        StatusCode::METHOD_NOT_ALLOWED,
        "GET is not allowed on /v1/create",
    );
    ledger.stop().await;
}

#[tokio::test]
async fn malformed_bodies_are_400_and_oversized_ones_413() {
    let ledger = TestLedger::hs256().await;
    let token = ledger.token(&["Operator"], &[]);
    let response = ledger
        .post_raw("/v1/create", Some(&token), b"{not json".to_vec())
        .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "JSON parser error");
    let response = ledger
        .post("/v1/create", Some(&token), &json!({"payload": {}}))
        .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "templateId");
    let response = ledger
        .post("/v1/query", Some(&token), &json!({"templateIds": "x"}))
        .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "templateIds");
    let response = ledger
        .post("/v1/exercise", Some(&token), &json!([1, 2]))
        .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "JsonReaderError");
    let huge = format!("{{\"templateIds\":[\"{}\"]}}", "x".repeat(300 * 1024));
    let response = ledger
        .post_raw("/v1/query", Some(&token), huge.into_bytes())
        .await;
    assert_error(
        &response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "larger than the limit",
    );
    ledger.stop().await;
}

#[tokio::test]
async fn create_returns_the_contract_in_the_json_api_shape() {
    let ledger = TestLedger::hs256().await;
    let token = ledger.token(&["Operator"], &[]);
    let payload = json!({
        "operator": ledger.party("Operator"), "observers": [ledger.party("PartyA")],
        "currency": "EUR", "asOf": "2026-01-05T09:00:00Z", "interpolation": "LogLinearDiscount",
        "pillars": [{"maturity": "2027-01-05T09:00:00.5Z", "discountFactor": 0.97}]
    });
    // The package-less form is accepted; the answer uses the package-id form.
    let body = json!({"templateId": "IRSForge.Curve:DiscountCurve", "payload": payload,
                      "meta": {"commandId": "cmd-1", "workflowId": "ignored"}});
    let (status, response) = ledger.post("/v1/create", Some(&token), &body).await;
    assert_eq!(status, StatusCode::OK, "{response}");
    assert_eq!(response["status"], 200);
    let result = &response["result"];
    let contract_id = result["contractId"].as_str().unwrap();
    assert!(
        contract_id.starts_with("00") && contract_id.len() > 40,
        "{contract_id}"
    );
    assert_eq!(
        result["templateId"],
        template("IRSForge.Curve:DiscountCurve")
    );
    assert_eq!(result["signatories"], json!([ledger.party("Operator")]));
    assert_eq!(result["observers"], json!([ledger.party("PartyA")]));
    assert_eq!(result["agreementText"], "");
    assert_eq!(
        result["key"],
        json!({"_1": ledger.party("Operator"), "_2": "EUR"})
    );
    // LF encoding on output: numerics as strings, timestamps with 0/3/6 fraction digits.
    assert_eq!(
        result["payload"]["pillars"][0],
        json!({"maturity": "2027-01-05T09:00:00.500Z", "discountFactor": "0.97"})
    );
    let offset = result["completionOffset"].as_str().unwrap();
    assert!(
        offset.len() == 18 && offset.bytes().all(|b| b.is_ascii_digit()),
        "{offset}"
    );

    // The `#package-name` form works too, and the key is unique.
    let body = json!({"templateId": "#irsforge:IRSForge.Curve:DiscountCurve", "payload": payload});
    let response = ledger.post("/v1/create", Some(&token), &body).await;
    assert_error(
        &response,
        StatusCode::CONFLICT,
        "DUPLICATE_CONTRACT_KEY(10,",
    );
    ledger.stop().await;
}

#[tokio::test]
async fn create_refuses_bad_payloads_and_unknown_templates() {
    let ledger = TestLedger::hs256().await;
    let token = ledger.token(&["Operator"], &[]);
    let create =
        |template_id: &str, payload: Value| json!({"templateId": template_id, "payload": payload});
    let mut payload = json!({
        "operator": ledger.party("Operator"), "observers": [], "currency": "EUR",
        "asOf": "2026-01-05T09:00:00Z", "interpolation": "LogLinearDiscount",
        "pillars": [{"maturity": "2027-01-05T09:00:00Z", "discountFactor": true}]
    });
    let response = ledger
        .post(
            "/v1/create",
            Some(&token),
            &create("IRSForge.Curve:DiscountCurve", payload.clone()),
        )
        .await;
    assert_error(
        &response,
        StatusCode::BAD_REQUEST,
        "pillars[0].discountFactor",
    );
    payload["pillars"][0]["discountFactor"] = json!("0");
    let response = ledger
        .post(
            "/v1/create",
            Some(&token),
            &create("IRSForge.Curve:DiscountCurve", payload.clone()),
        )
        .await;
    assert_error(
        &response,
        StatusCode::BAD_REQUEST,
        "FAILED_PRECONDITION: DAML_INTERPRETATION_ERROR(9,",
    );
    assert_eq!(response.1["ledgerApiError"]["code"], 9);
    assert!(error_text(response.0, &response.1).contains("Template precondition violated"));
    payload["asOf"] = json!("2026-01-05T10:00:00+01:00");
    let response = ledger
        .post(
            "/v1/create",
            Some(&token),
            &create("IRSForge.Curve:DiscountCurve", payload.clone()),
        )
        .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "asOf");
    payload["asOf"] = json!("2026-01-05T09:00:00Z");
    payload["extra"] = json!(1);
    let response = ledger
        .post(
            "/v1/create",
            Some(&token),
            &create("IRSForge.Curve:DiscountCurve", payload.clone()),
        )
        .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "unknown field `extra`");

    for (template_id, fragment) in [
        ("IRSForge.Curve:Nope", "Cannot resolve template ID"),
        (
            "otherpkg:IRSForge.Curve:DiscountCurve",
            "Cannot resolve template ID",
        ),
        ("Curve", "invalid template id"),
    ] {
        let response = ledger
            .post("/v1/create", Some(&token), &create(template_id, json!({})))
            .await;
        assert_error(&response, StatusCode::BAD_REQUEST, fragment);
    }
    ledger.stop().await;
}

#[tokio::test]
async fn query_filters_warns_about_unknown_templates_and_refuses_stray_fields() {
    let ledger = TestLedger::hs256().await;
    let token = ledger.token(&["Operator"], &[]);
    let swaps = ledger.query(&token, "IRSForge.Swap:Swap").await;
    assert_eq!(swaps.len(), 4);
    assert!(
        swaps
            .iter()
            .all(|s| s.get("key").is_none() && s.get("completionOffset").is_none())
    );

    let body = json!({"templateIds": [template("IRSForge.Swap:Swap"), "IRSForge.Swap:Missing"],
                      "query": {"swapId": "IRS-5Y", "notional": 50000000}});
    let (status, response) = ledger.post("/v1/query", Some(&token), &body).await;
    assert_eq!(status, StatusCode::OK, "{response}");
    assert_eq!(response["result"].as_array().unwrap().len(), 1);
    assert_eq!(response["result"][0]["payload"]["notional"], "50000000.0");
    assert_eq!(
        response["warnings"],
        json!({"unknownTemplateIds": ["IRSForge.Swap:Missing"]})
    );

    let body = json!({"templateIds": ["IRSForge.Swap:Swap"],
                      "query": {"maturityTime": {"%lt": "2026-01-05T09:10:00Z"}}});
    let (_, response) = ledger.post("/v1/query", Some(&token), &body).await;
    assert_eq!(response["result"].as_array().unwrap().len(), 2);

    let response = ledger
        .post(
            "/v1/query",
            Some(&token),
            &json!({"templateIds": ["IRSForge.Swap:Missing"]}),
        )
        .await;
    assert_error(
        &response,
        StatusCode::BAD_REQUEST,
        "Cannot resolve any template ID from request",
    );
    let response = ledger
        .post(
            "/v1/query",
            Some(&token),
            &json!({"templateIds": ["IRSForge.Swap:Swap"], "swapId": "x"}),
        )
        .await;
    assert_error(
        &response,
        StatusCode::BAD_REQUEST,
        "likely should be within 'query' subobject",
    );
    let response = ledger
        .post("/v1/query", Some(&token), &json!({"templateIds": []}))
        .await;
    assert_error(
        &response,
        StatusCode::BAD_REQUEST,
        "templateIds must not be empty",
    );

    let (status, response) = ledger.get("/v1/query", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    // Curve, CSA and four swaps.
    assert_eq!(response["result"].as_array().unwrap().len(), 6);
    ledger.stop().await;
}

#[tokio::test]
async fn exercise_returns_events_with_the_archive_first_and_fetch_sees_the_change() {
    let ledger = TestLedger::hs256().await;
    let operator = ledger.token(&["Operator"], &[]);
    let csa = ledger
        .find(&operator, "IRSForge.Csa:Csa", "csaId", "CSA-AB-001")
        .await;
    let csa_id = csa["contractId"].as_str().unwrap();
    let argument = json!({"asOf": "2026-01-05T09:00:05Z", "exposure": "-1234567.5",
                          "callAmount": "-990000"});
    let (status, response) = ledger
        .exercise(
            &operator,
            "IRSForge.Csa:Csa",
            csa_id,
            "PublishMark",
            argument,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{response}");
    let result = &response["result"];
    let events = result["events"].as_array().unwrap();
    assert_eq!(
        events[0],
        json!({"archived": {"contractId": csa_id,
                                              "templateId": template("IRSForge.Csa:Csa")}})
    );
    assert_eq!(
        events[1]["created"]["templateId"],
        template("IRSForge.Mark:MarkToMarket")
    );
    assert_eq!(
        events[2]["created"]["templateId"],
        template("IRSForge.Csa:Csa")
    );
    assert_eq!(
        result["exerciseResult"]["mark"],
        events[1]["created"]["contractId"]
    );
    assert_eq!(
        result["exerciseResult"]["csa"],
        events[2]["created"]["contractId"]
    );
    assert!(result["completionOffset"].is_string());

    let fetch = |contract_id: Value| {
        json!({"contractId": contract_id,
                                            "templateId": "IRSForge.Csa:Csa"})
    };
    let (status, response) = ledger
        .post("/v1/fetch", Some(&operator), &fetch(json!(csa_id)))
        .await;
    assert_eq!(
        (status, &response["result"]),
        (StatusCode::OK, &Value::Null)
    );
    let (_, response) = ledger
        .post(
            "/v1/fetch",
            Some(&operator),
            &fetch(result["exerciseResult"]["csa"].clone()),
        )
        .await;
    assert_eq!(
        response["result"]["payload"]["lastMarkAsOf"],
        "2026-01-05T09:00:05Z"
    );
    let (_, response) = ledger
        .post("/v1/fetch", Some(&operator), &fetch(json!("00unknown")))
        .await;
    assert_eq!(response["result"], Value::Null);
    ledger.stop().await;
}

#[tokio::test]
async fn fetch_by_key_and_request_shape_errors() {
    let ledger = TestLedger::hs256().await;
    let token = ledger.token(&["PartyA"], &[]);
    let key = json!({"_1": ledger.party("Operator"), "_2": "USD"});
    let body = json!({"templateId": "IRSForge.Curve:DiscountCurve", "key": key});
    let (status, response) = ledger.post("/v1/fetch", Some(&token), &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(response["result"]["payload"]["currency"], "USD");
    let response = ledger
        .post("/v1/fetch", Some(&token), &json!({"key": key}))
        .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "requires templateId");
    let response = ledger.post("/v1/fetch", Some(&token), &json!({})).await;
    assert_error(
        &response,
        StatusCode::BAD_REQUEST,
        "either key or contractId",
    );

    for (body, fragment) in [
        (
            json!({"contractId": "00a", "choice": "Archive", "argument": {}}),
            "Please specify templateId",
        ),
        (
            json!({"templateId": "IRSForge.Csa:Csa", "contractId": "00a", "key": {},
                "choice": "Archive", "argument": {}}),
            "either key or contractId",
        ),
        (
            json!({"templateId": "IRSForge.Csa:Csa", "contractId": "00a", "choice": "Archive"}),
            "argument",
        ),
    ] {
        let response = ledger.post("/v1/exercise", Some(&token), &body).await;
        assert_error(&response, StatusCode::BAD_REQUEST, fragment);
    }
    ledger.stop().await;
}

#[tokio::test]
async fn exercising_an_archived_contract_is_contract_not_found() {
    let ledger = TestLedger::hs256().await;
    let token = ledger.token(&["Operator"], &[]);
    let body = json!({"templateId": "IRSForge.Curve:DiscountCurve", "payload": {
        "operator": ledger.party("Operator"), "observers": [], "currency": "CHF",
        "asOf": "2026-01-05T09:00:00Z", "interpolation": "LogLinearDiscount",
        "pillars": [{"maturity": "2027-01-05T09:00:00Z", "discountFactor": "0.99"}]}});
    let (_, created) = ledger.post("/v1/create", Some(&token), &body).await;
    let contract_id = created["result"]["contractId"].as_str().unwrap().to_owned();
    let (status, archived) = ledger
        .exercise(
            &token,
            "IRSForge.Curve:DiscountCurve",
            &contract_id,
            "Archive",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{archived}");
    assert_eq!(archived["result"]["exerciseResult"], json!({}));
    assert_eq!(archived["result"]["events"].as_array().unwrap().len(), 1);

    let response = ledger
        .exercise(
            &token,
            "IRSForge.Curve:DiscountCurve",
            &contract_id,
            "Archive",
            json!({}),
        )
        .await;
    assert_error(
        &response,
        StatusCode::NOT_FOUND,
        &format!("Contract could not be found with id {contract_id}"),
    );
    let text = error_text(response.0, &response.1);
    assert!(
        text.starts_with("NOT_FOUND: CONTRACT_NOT_FOUND(11,"),
        "{text}"
    );
    let ledger_api_error = &response.1["ledgerApiError"];
    assert_eq!(ledger_api_error["code"], 5);
    assert_eq!(
        ledger_api_error["details"][0]["errorCodeId"],
        "CONTRACT_NOT_FOUND"
    );
    assert_eq!(ledger_api_error["details"][2]["name"], contract_id.as_str());

    let response = ledger
        .exercise(
            &token,
            "IRSForge.Curve:DiscountCurve",
            &contract_id,
            "Nope",
            json!({}),
        )
        .await;
    assert_error(&response, StatusCode::NOT_FOUND, "CONTRACT_NOT_FOUND");
    ledger.stop().await;
}

#[tokio::test]
async fn unknown_choices_and_bad_arguments_are_400() {
    let ledger = TestLedger::hs256().await;
    let token = ledger.token(&["Operator"], &[]);
    let csa = ledger
        .find(&token, "IRSForge.Csa:Csa", "csaId", "CSA-AB-001")
        .await;
    let csa_id = csa["contractId"].as_str().unwrap();
    let response = ledger
        .exercise(&token, "IRSForge.Csa:Csa", csa_id, "Explode", json!({}))
        .await;
    assert_error(
        &response,
        StatusCode::BAD_REQUEST,
        "has no choice \"Explode\"",
    );
    let response = ledger
        .exercise(
            &token,
            "IRSForge.Csa:Csa",
            csa_id,
            "PublishMark",
            json!({"asOf": "yesterday"}),
        )
        .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "asOf");
    // A record may also be given as an array of its fields in order.
    let response = ledger
        .exercise(
            &token,
            "IRSForge.Csa:Csa",
            csa_id,
            "PublishMark",
            json!(["2026-01-05T09:00:01Z", "0", "0"]),
        )
        .await;
    assert_eq!(response.0, StatusCode::OK, "{}", response.1);
    ledger.stop().await;
}
