//! The minted ledger JWT, checked by decoding it independently.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use service_runtime::clock::{Clock, ManualClock, SystemClock};

use crate::support::*;

fn json_part(token: &str, index: usize) -> serde_json::Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[tokio::test]
async fn claims_follow_the_spec_with_iat_and_exp_from_the_injected_clock() {
    let fixture = Fixture::new();
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let now = clock.unix_seconds();
    let options = fixture.options().with_clock(clock);
    let server = TestServer::start(options).await;
    let token = server.token(SCHEDULER, SCHEDULER_SECRET).await;
    let jwks = server.jwks().await;
    let claims = verify(&token, &jwks).unwrap();
    assert_eq!(claims.iss.as_deref(), Some(ISSUER));
    assert_eq!(claims.sub.as_deref(), Some("service:scheduler"));
    assert_eq!(claims.iat, Some(now));
    assert_eq!(claims.exp, Some(now + 900));
    let payload = json_part(&token, 1);
    assert_eq!(
        payload["https://daml.com/ledger-api"],
        serde_json::json!({
            "ledgerId": "sandbox",
            "applicationId": "IRSForge",
            "actAs": [SCHEDULER_PARTY],
            "readAs": [
                OPERATOR.replace("Operator::", "PartyA::"),
                OPERATOR.replace("Operator::", "PartyB::"),
                OPERATOR,
                OPERATOR.replace("Operator::", "Regulator::"),
            ],
        })
    );
    let jti = payload["jti"].as_str().unwrap();
    assert_eq!(URL_SAFE_NO_PAD.decode(jti).unwrap().len(), 16);
    server.stop().await;
}

#[tokio::test]
async fn the_header_is_rs256_with_the_active_kid_and_typ_jwt() {
    let fixture = Fixture::new();
    let server = TestServer::start(fixture.options()).await;
    let token = server.token(MARK_PUBLISHER, MARK_PUBLISHER_SECRET).await;
    let kid = std::fs::read_to_string(fixture.keys_dir.join("kid.txt")).unwrap();
    assert_eq!(
        json_part(&token, 0),
        serde_json::json!({ "alg": "RS256", "kid": kid.trim(), "typ": "JWT" })
    );
    server.stop().await;
}

#[tokio::test]
async fn every_token_has_a_fresh_jti() {
    let fixture = Fixture::new();
    let server = TestServer::start(fixture.options()).await;
    let first = json_part(&server.token(SCHEDULER, SCHEDULER_SECRET).await, 1);
    let second = json_part(&server.token(SCHEDULER, SCHEDULER_SECRET).await, 1);
    assert_ne!(first["jti"], second["jti"]);
    server.stop().await;
}

#[tokio::test]
async fn an_expired_token_fails_independent_verification() {
    let fixture = Fixture::new();
    let long_ago = Arc::new(ManualClock::new(
        SystemClock.now() - Duration::from_secs(3600),
    ));
    let server = TestServer::start(fixture.options().with_clock(long_ago)).await;
    let token = server.token(SCHEDULER, SCHEDULER_SECRET).await;
    let error = verify(&token, &server.jwks().await).unwrap_err();
    assert!(error.contains("ExpiredSignature"), "{error}");
    server.stop().await;
}
