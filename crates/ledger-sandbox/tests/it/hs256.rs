//! Authentication in unsafe HS256 mode, and the token checks every mode shares.

use std::time::Duration;

use ledger_sandbox::SandboxOptions;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{
    APPLICATION_ID, LEDGER_ID, SECRET, Signer, TestLedger, assert_error, hs256_options,
    hs256_token, raw_token, rs256_token, rsa_keys,
};

/// A query every authenticated Operator token may make.
async fn query_with(ledger: &TestLedger, token: &str) -> (StatusCode, Value) {
    let body = json!({"templateIds": ["IRSForge.Csa:Csa"]});
    ledger.post("/v1/query", Some(token), &body).await
}

#[tokio::test]
async fn a_good_token_is_accepted() {
    let ledger = TestLedger::hs256().await;
    let (status, body) = query_with(&ledger, &ledger.token(&["Operator"], &[])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["result"].as_array().unwrap().len(), 1);
    ledger.stop().await;
}

#[tokio::test]
async fn a_missing_or_non_bearer_header_is_401() {
    let ledger = TestLedger::hs256().await;
    let text = "missing Authorization header with OAuth 2.0 Bearer Token";
    for path in ["/v1/query", "/v1/create", "/v1/parties/allocate"] {
        let response = ledger.post(path, None, &json!({})).await;
        assert_error(&response, StatusCode::UNAUTHORIZED, text);
    }
    let response = ledger.get("/v1/parties", None).await;
    assert_error(&response, StatusCode::UNAUTHORIZED, text);
    let response = ledger
        .http
        .get(ledger.url("/v1/query"))
        .header("authorization", "Basic b3BlcmF0b3I6c2VjcmV0")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    ledger.stop().await;
}

#[tokio::test]
async fn a_string_that_is_not_a_jwt_is_401() {
    let ledger = TestLedger::hs256().await;
    let response = query_with(&ledger, "not-a-jwt").await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "JwtDecoder.Error");
    let response = ledger.get("/v1/parties", Some("not-a-jwt")).await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED");
    ledger.stop().await;
}

#[tokio::test]
async fn a_token_signed_with_another_secret_is_401() {
    let ledger = TestLedger::hs256().await;
    let token = hs256_token("some-other-secret", &ledger.claims(&["Operator"], &[]));
    let response = query_with(&ledger, &token).await;
    assert_error(
        &response,
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED: Could not verify JWT token",
    );
    assert_error(&response, StatusCode::UNAUTHORIZED, "signature is invalid");
    ledger.stop().await;
}

#[tokio::test]
async fn alg_none_and_other_algorithms_are_refused() {
    let ledger = TestLedger::hs256().await;
    let claims = ledger.claims(&["Operator"], &[]);
    let none = raw_token(&json!({"alg": "none", "typ": "JWT"}), &claims, b"");
    let response = query_with(&ledger, &none).await;
    assert_error(
        &response,
        StatusCode::UNAUTHORIZED,
        "algorithm \"none\" is not accepted",
    );

    let hs512 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let response = query_with(&ledger, &hs512).await;
    assert_error(
        &response,
        StatusCode::UNAUTHORIZED,
        "algorithm \"HS512\" is not accepted",
    );

    let rs256 = rs256_token(&rsa_keys()[0], Some("k1"), &claims);
    let response = query_with(&ledger, &rs256).await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "accepts only HS256");
    ledger.stop().await;
}

#[tokio::test]
async fn exp_is_valid_strictly_before_the_instant() {
    let ledger = TestLedger::hs256().await;
    let now = ledger.now_seconds();
    let with_exp = |exp: i64| {
        let mut claims = ledger.claims(&["Operator"], &[]);
        claims["exp"] = json!(exp);
        ledger.sign(&claims)
    };
    let response = query_with(&ledger, &with_exp(now - 1)).await;
    assert_error(
        &response,
        StatusCode::UNAUTHORIZED,
        "The Token has expired on",
    );
    let response = query_with(&ledger, &with_exp(now)).await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "expired");
    let valid = with_exp(now + 1);
    assert_eq!(query_with(&ledger, &valid).await.0, StatusCode::OK);
    // The same token fails once the clock passes its exp.
    ledger.advance(1);
    let response = query_with(&ledger, &valid).await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "expired");
    // Party endpoints check exp too.
    let mut admin: Value = json!({"https://daml.com/ledger-api": {"admin": true}});
    admin["exp"] = json!(ledger.now_seconds() - 5);
    let response = ledger.get("/v1/parties", Some(&ledger.sign(&admin))).await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "expired");
    ledger.stop().await;
}

#[tokio::test]
async fn leeway_extends_exp_and_tolerates_early_nbf_and_iat() {
    let mut options = hs256_options();
    options.leeway = Duration::from_secs(5);
    let ledger = TestLedger::start(options, Signer::Hs256(SECRET.into())).await;
    let now = ledger.now_seconds();
    let token = |fields: Value| {
        let mut claims = ledger.claims(&["Operator"], &[]);
        for (name, value) in fields.as_object().unwrap() {
            claims[name] = value.clone();
        }
        ledger.sign(&claims)
    };
    assert_eq!(
        query_with(&ledger, &token(json!({"exp": now - 4}))).await.0,
        StatusCode::OK
    );
    assert_eq!(
        query_with(&ledger, &token(json!({"nbf": now + 5, "iat": now + 5})))
            .await
            .0,
        StatusCode::OK
    );
    let response = query_with(&ledger, &token(json!({"exp": now - 5}))).await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "expired");
    ledger.stop().await;
}

#[tokio::test]
async fn nbf_and_iat_in_the_future_are_refused() {
    let ledger = TestLedger::hs256().await;
    let now = ledger.now_seconds();
    for claim in ["nbf", "iat"] {
        let mut claims = ledger.claims(&["Operator"], &[]);
        claims[claim] = json!(now + 1);
        let response = query_with(&ledger, &ledger.sign(&claims)).await;
        assert_error(
            &response,
            StatusCode::UNAUTHORIZED,
            &format!("`{claim}` is in the future"),
        );
        claims[claim] = json!(now);
        assert_eq!(
            query_with(&ledger, &ledger.sign(&claims)).await.0,
            StatusCode::OK
        );
    }
    let mut claims = ledger.claims(&["Operator"], &[]);
    claims["exp"] = json!("tomorrow");
    let response = query_with(&ledger, &ledger.sign(&claims)).await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "`exp` is not a number");
    ledger.stop().await;
}

#[tokio::test]
async fn the_json_api_claim_checks_use_the_real_texts() {
    let ledger = TestLedger::hs256().await;
    let operator = ledger.party("Operator");
    let exp = ledger.now_seconds() + 600;
    let token =
        |claims: Value| ledger.sign(&json!({"https://daml.com/ledger-api": claims, "exp": exp}));
    let create = json!({"templateId": "IRSForge.Csa:Csa", "payload": {}});
    let cases = [
        (
            json!({"applicationId": APPLICATION_ID, "actAs": [operator]}),
            "ledgerId missing in access token",
        ),
        (
            json!({"ledgerId": LEDGER_ID, "actAs": [operator]}),
            "applicationId missing in access token",
        ),
        (
            json!({"ledgerId": LEDGER_ID, "applicationId": APPLICATION_ID, "readAs": [operator]}),
            "Expected one or more parties in actAs but got none",
        ),
    ];
    for (claims, text) in cases {
        let response = ledger
            .post("/v1/create", Some(&token(claims)), &create)
            .await;
        assert_error(&response, StatusCode::UNAUTHORIZED, text);
    }
    // A query needs some party, in actAs or readAs.
    let read_only = token(
        json!({"ledgerId": LEDGER_ID, "applicationId": APPLICATION_ID,
                                 "readAs": [operator]}),
    );
    assert_eq!(query_with(&ledger, &read_only).await.0, StatusCode::OK);
    let no_parties = token(json!({"ledgerId": LEDGER_ID, "applicationId": APPLICATION_ID}));
    let response = query_with(&ledger, &no_parties).await;
    assert_error(
        &response,
        StatusCode::UNAUTHORIZED,
        "No parties in actAs and readAs",
    );
    let response = query_with(
        &ledger,
        &token(json!({"applicationId": "x", "actAs": [operator]})),
    )
    .await;
    assert_error(
        &response,
        StatusCode::UNAUTHORIZED,
        "ledgerId missing in access token",
    );
    ledger.stop().await;
}

#[tokio::test]
async fn the_participant_checks_ledger_participant_and_application_ids() {
    let ledger = TestLedger::hs256().await;
    let exp = ledger.now_seconds() + 600;
    let operator = ledger.party("Operator");
    let token = |overrides: Value| {
        let mut claims = json!({"ledgerId": LEDGER_ID, "applicationId": APPLICATION_ID,
                                "actAs": [operator]});
        for (name, value) in overrides.as_object().unwrap() {
            claims[name] = value.clone();
        }
        ledger.sign(&json!({"https://daml.com/ledger-api": claims, "exp": exp}))
    };
    let response = query_with(&ledger, &token(json!({"ledgerId": "participant2"}))).await;
    assert_error(
        &response,
        StatusCode::UNAUTHORIZED,
        "PERMISSION_DENIED: Claims are only valid for ledgerId 'participant2', actual ledgerId is 'sandbox'",
    );
    let response = query_with(&ledger, &token(json!({"participantId": "other::1220"}))).await;
    assert_error(
        &response,
        StatusCode::UNAUTHORIZED,
        "Claims are only valid for participantId",
    );
    let participant = format!("sandbox::{}", ledger_sandbox::DEFAULT_NAMESPACE_FINGERPRINT);
    let response = query_with(&ledger, &token(json!({"participantId": participant}))).await;
    assert_eq!(response.0, StatusCode::OK);
    let response = query_with(&ledger, &token(json!({"applicationId": "OtherApp"}))).await;
    assert_error(
        &response,
        StatusCode::UNAUTHORIZED,
        "Claims are only valid for applicationId 'OtherApp'",
    );
    // An admin token with a wrong ledger id is refused on party endpoints too.
    let admin = ledger.sign(&json!({"https://daml.com/ledger-api":
        {"ledgerId": "participant2", "admin": true}, "exp": exp}));
    let response = ledger.get("/v1/parties", Some(&admin)).await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "ledgerId");
    ledger.stop().await;
}

#[tokio::test]
async fn without_a_configured_application_id_any_is_accepted() {
    let ledger =
        TestLedger::start(SandboxOptions::hs256(SECRET), Signer::Hs256(SECRET.into())).await;
    let token = ledger.sign(&json!({"https://daml.com/ledger-api": {
        "ledgerId": LEDGER_ID, "applicationId": "AnyApp", "actAs": [ledger.party("Operator")]}}));
    assert_eq!(query_with(&ledger, &token).await.0, StatusCode::OK);
    ledger.stop().await;
}

#[tokio::test]
async fn party_endpoints_need_the_admin_right() {
    let ledger = TestLedger::hs256().await;
    let trader = ledger.token(&["PartyA"], &[]);
    let response = ledger.get("/v1/parties", Some(&trader)).await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "PERMISSION_DENIED");
    let response = ledger
        .post(
            "/v1/parties",
            Some(&trader),
            &json!([ledger.party("PartyA")]),
        )
        .await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "PERMISSION_DENIED");
    let response = ledger
        .post(
            "/v1/parties/allocate",
            Some(&trader),
            &json!({"identifierHint": "X"}),
        )
        .await;
    assert_error(&response, StatusCode::FORBIDDEN, "PERMISSION_DENIED: ");
    assert_eq!(response.1["ledgerApiError"]["code"], 7);
    assert!(ledger.sandbox.snapshot().party("X").is_none());
    // The demo bootstrap: a bare-hint token with "admin": true may list parties.
    let bootstrap = ledger.sign(&json!({"https://daml.com/ledger-api": {
        "ledgerId": LEDGER_ID, "applicationId": APPLICATION_ID, "actAs": ["Operator"],
        "admin": true}}));
    assert_eq!(
        ledger.get("/v1/parties", Some(&bootstrap)).await.0,
        StatusCode::OK
    );
    ledger.stop().await;
}

#[tokio::test]
async fn user_tokens_and_malformed_claims_are_401_with_a_reason() {
    let ledger = TestLedger::hs256().await;
    let user = ledger.sign(&json!({"sub": "alice", "scope": "daml_ledger_api"}));
    let response = query_with(&ledger, &user).await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "user tokens");
    let response = ledger.get("/v1/parties", Some(&user)).await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "user tokens");
    let bad = ledger.sign(
        &json!({"https://daml.com/ledger-api": {"ledgerId": "sandbox",
                                  "applicationId": "IRSForge", "actAs": "Operator"}}),
    );
    let response = query_with(&ledger, &bad).await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "actAs");
    // Legacy top-level claims still work.
    let legacy = ledger.sign(
        &json!({"ledgerId": LEDGER_ID, "applicationId": APPLICATION_ID,
                                     "party": ledger.party("Operator")}),
    );
    assert_eq!(query_with(&ledger, &legacy).await.0, StatusCode::OK);
    ledger.stop().await;
}
