//! Authentication in RS256/JWKS mode: key caching, the rate-limited refetch on an unknown
//! `kid`, key rotation, and the tokens a JWKS participant refuses.

use std::time::Duration;

use ledger_sandbox::SandboxOptions;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{
    APPLICATION_ID, JwksServer, SECRET, Signer, TestLedger, assert_error, hs256_token, jwk,
    rs256_token, rsa_keys,
};

/// A JWKS-mode sandbox (refetch at most every 5 s) and a JWKS server publishing key 0 as `k1`.
async fn start() -> (TestLedger, JwksServer) {
    let keys = rsa_keys();
    let server = JwksServer::start(vec![jwk(&keys[0], "k1")]).await;
    let mut options = SandboxOptions::jwks(server.url.clone());
    options.application_id = Some(APPLICATION_ID.into());
    options.jwks.refetch_interval = Duration::from_secs(5);
    let ledger = TestLedger::start(
        options,
        Signer::Rs256 {
            kid: "k1".into(),
            key: &keys[0],
        },
    )
    .await;
    (ledger, server)
}

async fn query_with(ledger: &TestLedger, token: &str) -> (StatusCode, Value) {
    let body = json!({"templateIds": ["IRSForge.Csa:Csa"]});
    ledger.post("/v1/query", Some(token), &body).await
}

#[tokio::test]
async fn keys_are_fetched_lazily_and_cached_by_kid() {
    let (ledger, server) = start().await;
    assert_eq!(
        server.hits(),
        0,
        "nothing is fetched before a token arrives"
    );
    let token = ledger.token(&["Operator"], &[]);
    for _ in 0..3 {
        let (status, body) = query_with(&ledger, &token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, _) = ledger.get("/v1/parties", Some(&ledger.admin_token())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(server.hits(), 1);
    ledger.stop().await;
    server.stop().await;
}

#[tokio::test]
async fn unknown_kids_trigger_one_refetch_per_interval() {
    let (ledger, server) = start().await;
    assert_eq!(
        query_with(&ledger, &ledger.token(&["Operator"], &[]))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(server.hits(), 1);
    ledger.advance(6);
    let claims = ledger.claims(&["Operator"], &[]);
    for attempt in 0..5 {
        let bogus = rs256_token(&rsa_keys()[0], Some(&format!("bogus-{attempt}")), &claims);
        let response = query_with(&ledger, &bogus).await;
        assert_error(
            &response,
            StatusCode::UNAUTHORIZED,
            "no key with kid \"bogus-",
        );
    }
    assert_eq!(
        server.hits(),
        2,
        "a flood of bogus kids costs one fetch per interval"
    );
    let bogus = rs256_token(&rsa_keys()[0], Some("bogus-late"), &claims);
    ledger.advance(4);
    let response = query_with(&ledger, &bogus).await;
    assert_error(
        &response,
        StatusCode::UNAUTHORIZED,
        "next JWKS fetch is allowed in 1000 ms",
    );
    assert_eq!(server.hits(), 2);
    ledger.advance(1);
    let response = query_with(&ledger, &bogus).await;
    assert_error(
        &response,
        StatusCode::UNAUTHORIZED,
        "no key with kid \"bogus-late\" in the JWKS at",
    );
    assert_eq!(server.hits(), 3);
    // The known key keeps working throughout, without fetches.
    assert_eq!(
        query_with(&ledger, &ledger.token(&["Operator"], &[]))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(server.hits(), 3);
    ledger.stop().await;
    server.stop().await;
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_once_the_rate_limit_allows() {
    let (ledger, server) = start().await;
    let keys = rsa_keys();
    assert_eq!(
        query_with(&ledger, &ledger.token(&["Operator"], &[]))
            .await
            .0,
        StatusCode::OK
    );
    // The auth service rotates: k2 is published, k1 retired.
    server.publish(vec![jwk(&keys[1], "k2")]);
    let rotated = rs256_token(&keys[1], Some("k2"), &ledger.claims(&["Operator"], &[]));
    // Within the interval after the last fetch the new kid is refused without a fetch...
    let response = query_with(&ledger, &rotated).await;
    assert_error(
        &response,
        StatusCode::UNAUTHORIZED,
        "next JWKS fetch is allowed in 5000 ms",
    );
    assert_eq!(server.hits(), 1);
    // ...and accepted once it has passed.
    ledger.advance(5);
    let (status, body) = query_with(&ledger, &rotated).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(server.hits(), 2);
    // The fetched set replaced the cache: the retired key is no longer trusted.
    let old = rs256_token(&keys[0], Some("k1"), &ledger.claims(&["Operator"], &[]));
    ledger.advance(5);
    let response = query_with(&ledger, &old).await;
    assert_error(
        &response,
        StatusCode::UNAUTHORIZED,
        "no key with kid \"k1\"",
    );
    ledger.stop().await;
    server.stop().await;
}

#[tokio::test]
async fn the_cache_expires_after_its_ttl() {
    let keys = rsa_keys();
    let server = JwksServer::start(vec![jwk(&keys[0], "k1")]).await;
    let mut options = SandboxOptions::jwks(server.url.clone());
    options.jwks.cache_ttl = Duration::from_secs(60);
    let signer = Signer::Rs256 {
        kid: "k1".into(),
        key: &keys[0],
    };
    let ledger = TestLedger::start(options, signer).await;
    assert_eq!(
        query_with(&ledger, &ledger.token(&["Operator"], &[]))
            .await
            .0,
        StatusCode::OK
    );
    ledger.advance(61);
    assert_eq!(
        query_with(&ledger, &ledger.token(&["Operator"], &[]))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(server.hits(), 2);
    ledger.stop().await;
    server.stop().await;
}

#[tokio::test]
async fn tokens_without_kid_or_with_the_wrong_key_or_alg_are_refused() {
    let (ledger, server) = start().await;
    let keys = rsa_keys();
    let claims = ledger.claims(&["Operator"], &[]);
    let response = query_with(&ledger, &rs256_token(&keys[0], None, &claims)).await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "No Key ID found");
    assert_eq!(server.hits(), 0);
    // Signed by key 1 but claiming key 0's kid.
    let forged = rs256_token(&keys[1], Some("k1"), &claims);
    let response = query_with(&ledger, &forged).await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "signature is invalid");
    let response = query_with(&ledger, &hs256_token(SECRET, &claims)).await;
    assert_error(&response, StatusCode::UNAUTHORIZED, "accepts only RS256");
    ledger.stop().await;
    server.stop().await;
}

#[tokio::test]
async fn an_unreachable_jwks_is_a_401_with_the_cause_and_the_sandbox_carries_on() {
    let (ledger, server) = start().await;
    server.stop().await;
    let response = query_with(&ledger, &ledger.token(&["Operator"], &[])).await;
    assert_error(
        &response,
        StatusCode::UNAUTHORIZED,
        "cannot fetch the JWKS from http://127.0.0.1:",
    );
    let (status, _) = ledger.get("/livez", None).await;
    assert_eq!(status, StatusCode::OK);
    ledger.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_hanging_jwks_cannot_hold_a_request_past_the_request_timeout() {
    // Accepts connections and never answers.
    let hanging = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = url::Url::parse(&format!(
        "http://{}/jwks.json",
        hanging.local_addr().unwrap()
    ))
    .unwrap();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = hanging.accept().await {
            held.push(socket);
        }
    });
    let mut options = SandboxOptions::jwks(url);
    options.request_timeout = Duration::from_secs(1);
    let keys = rsa_keys();
    let ledger = TestLedger::start(
        options,
        Signer::Rs256 {
            kid: "k1".into(),
            key: &keys[0],
        },
    )
    .await;
    let response = query_with(&ledger, &ledger.token(&["Operator"], &[])).await;
    assert_error(&response, StatusCode::REQUEST_TIMEOUT, "request timeout");
    ledger.stop().await;
    holder.abort();
}
