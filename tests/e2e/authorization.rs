//! The ledger enforces what the tokens say, with real tokens from the real auth service:
//! nothing here is mocked.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use irsforge::{Profile, Stack};
use serde_json::json;
use service_runtime::clock::ManualClock;

use crate::support::{CSA, access_token, kid_of, ledger_post, options, query_csas};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedulers_token_is_refused_for_publish_mark() {
    let (_dir, options) = options(Profile::Builtin);
    let stack = Stack::start(options).await.unwrap();
    let scheduler = access_token(&stack, "scheduler").await;
    let (status, csas) = query_csas(&stack, &scheduler).await;
    assert_eq!(status, 200, "the Scheduler observes the CSA: {csas}");
    let csa = csas["result"][0]["contractId"].as_str().unwrap().to_owned();
    let publish = json!({
        "templateId": CSA, "contractId": csa, "choice": "PublishMark",
        "argument": { "asOf": Utc::now().to_rfc3339(), "exposure": "1.0", "callAmount": "0.0" },
    });
    let (status, body) = ledger_post(&stack, &scheduler, "/v1/exercise", publish).await;
    assert_eq!(status, 400, "{body}");
    let error = body["errors"][0].as_str().unwrap();
    assert!(error.starts_with("DAML_AUTHORIZATION_ERROR"), "{error}");
    assert!(
        error.contains("Operator::"),
        "names the missing authorizer: {error}"
    );
    stack.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_past_its_exp_is_refused() {
    let (_dir, mut options) = options(Profile::Builtin);
    let clock = Arc::new(ManualClock::new(Utc::now()));
    options.sandbox_clock = Some(clock.clone());
    let stack = Stack::start(options).await.unwrap();
    let token = access_token(&stack, "mark-publisher").await;
    // Auth stamps `iat` from the system clock; starting the stack may take more than the
    // second the sandbox's clock stood still for, and a token issued in its future is refused.
    clock.set(Utc::now());
    let (status, body) = query_csas(&stack, &token).await;
    assert_eq!(status, 200, "{body}");
    // Canton's rule: valid strictly before `exp` (no leeway by default).
    let exp = jsonwebtoken::dangerous::insecure_decode::<serde_json::Value>(&token)
        .unwrap()
        .claims["exp"]
        .as_i64()
        .unwrap();
    clock.set(chrono::DateTime::from_timestamp(exp, 0).unwrap());
    let (status, body) = query_csas(&stack, &token).await;
    assert_eq!(status, 401, "{body}");
    let error = body["errors"][0].as_str().unwrap();
    assert!(error.contains("expired"), "{error}");
    stack.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rotation_in_auth_reaches_the_ledger_through_the_jwks() {
    let (_dir, mut options) = options(Profile::Builtin);
    options.jwks_refetch_interval = Some(Duration::ZERO);
    let stack = Stack::start(options).await.unwrap();
    let old = access_token(&stack, "mark-publisher").await;
    assert_eq!(query_csas(&stack, &old).await.0, 200);

    // An immediate rotation: the participant meets the new kid before its cached JWKS expires.
    let rotation = auth::keys::KeyDirectory::new(stack.workdir.keys_dir())
        .rotate(auth::keys::Activation::Now)
        .unwrap();
    let outcome = stack.auth.as_ref().unwrap().reload().await.unwrap();
    let kids = outcome.keys.unwrap();
    assert_eq!(
        kids.len(),
        2,
        "the new key is active and the old one still published"
    );
    let new = access_token(&stack, "mark-publisher").await;
    assert_ne!(kid_of(&new), kid_of(&old));
    assert_eq!(kids[0], kid_of(&new), "{rotation:?}");

    // The sandbox has never seen the new kid: it refetches the JWKS and accepts the token.
    let (status, body) = query_csas(&stack, &new).await;
    assert_eq!(status, 200, "{body}");
    // The old key is still published, so tokens signed before the rotation keep working.
    assert_eq!(query_csas(&stack, &old).await.0, 200);
    stack.shutdown().await.unwrap();
}
