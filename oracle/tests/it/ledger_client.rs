//! The ledger client over HTTP: what each endpoint sends, and how failures arrive.

use std::time::Duration;

use oracle::ledger::{
    CommandMeta, CreateRequest, ExerciseRequest, FetchRequest, LedgerEvent, QueryRequest,
};
use oracle::token::BearerToken;
use oracle::{LedgerClient, LedgerError};
use serde_json::json;

use crate::support::fake_ledger::FakeLedger;

fn contract(id: &str) -> serde_json::Value {
    json!({"contractId": id, "templateId": "p:IRSForge.Csa:Csa", "payload": {"csaId": "CSA-1"},
           "signatories": ["Operator::1220"], "observers": [], "agreementText": ""})
}

#[tokio::test]
async fn each_endpoint_sends_its_body_with_the_bearer_token() {
    let ledger = FakeLedger::start("secret", json!([])).await;
    ledger.answer_with(|call| {
        let result = match call.path.as_str() {
            "/v1/query" => json!([contract("00a1")]),
            "/v1/fetch" => json!(null),
            "/v1/create" => contract("00c1"),
            _ => json!({"exerciseResult": "00b2", "events": [
                {"archived": {"contractId": "00a1", "templateId": "p:IRSForge.Csa:Csa"}},
                {"created": contract("00b2")}
            ], "completionOffset": "7"}),
        };
        (200, json!({"status": 200, "result": result}))
    });
    let client = LedgerClient::new(&ledger.url.parse().unwrap(), Duration::from_secs(5)).unwrap();
    let token = BearerToken::new("the-token");

    let contracts = client
        .query(
            &token,
            &QueryRequest::templates(["#irsforge:IRSForge.Csa:Csa"]),
        )
        .await
        .unwrap();
    assert_eq!(contracts[0].contract_id, "00a1");
    let fetched = client
        .fetch(
            &token,
            &FetchRequest {
                contract_id: "00zz".into(),
                template_id: None,
                readers: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(fetched, None, "an unknown contract is null, not an error");
    let created = client
        .create(
            &token,
            &CreateRequest {
                template_id: "p:IRSForge.Csa:Csa".into(),
                payload: json!({"csaId": "CSA-1"}),
                meta: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(created.contract_id, "00c1");
    let exercised = client
        .exercise(
            &token,
            &ExerciseRequest {
                template_id: "p:IRSForge.Csa:Csa".into(),
                contract_id: "00a1".into(),
                choice: "PublishMark".into(),
                argument: json!({"exposure": "10.0"}),
                meta: Some(CommandMeta {
                    command_id: Some("mark-1".into()),
                    ..CommandMeta::default()
                }),
            },
        )
        .await
        .unwrap();
    assert!(
        matches!(&exercised.events[1], LedgerEvent::Created(created) if created.contract_id == "00b2")
    );

    let calls = ledger.calls();
    let paths: Vec<&str> = calls.iter().map(|call| call.path.as_str()).collect();
    assert_eq!(
        paths,
        ["/v1/query", "/v1/fetch", "/v1/create", "/v1/exercise"]
    );
    assert!(
        calls
            .iter()
            .all(|call| call.token.as_deref() == Some("the-token"))
    );
    assert_eq!(
        calls[0].body,
        json!({"templateIds": ["#irsforge:IRSForge.Csa:Csa"]})
    );
    assert_eq!(calls[1].body, json!({"contractId": "00zz"}));
    assert_eq!(
        calls[3].body,
        json!({"templateId": "p:IRSForge.Csa:Csa", "contractId": "00a1", "choice": "PublishMark",
               "argument": {"exposure": "10.0"}, "meta": {"commandId": "mark-1"}})
    );
}

#[tokio::test]
async fn failures_arrive_as_variants_a_job_can_act_on() {
    let ledger = FakeLedger::start("secret", json!([])).await;
    ledger.answer_with(|call| match call.token.as_deref() {
        Some("gone") => (404, json!({"status": 404, "errors": [
            "NOT_FOUND: CONTRACT_NOT_FOUND(11,3f2a9c1e): Contract could not be found with id 00a1"
        ]})),
        Some("down") => (503, json!({"status": 503, "errors": ["UNAVAILABLE: participant down"]})),
        _ => (401, json!({"status": 401, "errors": ["token expired"]})),
    });
    let client = LedgerClient::new(&ledger.url.parse().unwrap(), Duration::from_secs(5)).unwrap();
    let request = ExerciseRequest {
        template_id: "p:IRSForge.Csa:Csa".into(),
        contract_id: "00a1".into(),
        choice: "PublishMark".into(),
        argument: json!({}),
        meta: None,
    };
    let error = client
        .exercise(&BearerToken::new("gone"), &request)
        .await
        .unwrap_err();
    assert!(
        matches!(error, LedgerError::ContractNotFound { .. }),
        "{error}"
    );
    let error = client
        .exercise(&BearerToken::new("down"), &request)
        .await
        .unwrap_err();
    assert!(error.is_transient(), "{error}");
    let error = client
        .exercise(&BearerToken::new("stale"), &request)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "{}/v1/exercise: the ledger refused the token (HTTP 401): token expired",
            ledger.url
        )
    );

    // GET /v1/parties without an admin token is refused as on a participant.
    let error = client
        .list_parties(&BearerToken::new("not-a-jwt"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, LedgerError::Unauthorized { status: 401, .. }),
        "{error}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_ledger_that_never_answers_costs_the_ledger_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let client = LedgerClient::new(&url.parse().unwrap(), Duration::from_millis(5_000)).unwrap();
    let started = tokio::time::Instant::now();
    let error = client
        .query(&BearerToken::new("t"), &QueryRequest::templates(["p:M:T"]))
        .await
        .unwrap_err();
    assert!(matches!(error, LedgerError::Timeout { .. }), "{error}");
    assert!(
        error.to_string().ends_with("no answer within 5000 ms"),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_millis(5_100));
    holder.abort();

    let client = LedgerClient::new(
        &"http://127.0.0.1:9".parse().unwrap(),
        Duration::from_secs(1),
    )
    .unwrap();
    let error = client
        .query(&BearerToken::new("t"), &QueryRequest::templates(["p:M:T"]))
        .await
        .unwrap_err();
    assert!(matches!(error, LedgerError::Network { .. }), "{error}");
}
