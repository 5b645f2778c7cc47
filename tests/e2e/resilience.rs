//! The oracle through an auth outage and restart, and a boot with the wrong secret.

use std::time::Duration;

use irsforge::{Profile, Stack, StackError};
use oracle::{FailureReason, OracleError};

use crate::support::{MARK, captured_logs, count, log_lines, options, wait_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_oracle_carries_on_when_auth_restarts() {
    let (_dir, mut options) = options(Profile::Builtin);
    // Short tokens, so the outage spans a refresh and the handle's expiry.
    options.token_ttl_seconds = Some(6);
    let mut stack = Stack::start(options).await.unwrap();
    wait_for(&stack, Duration::from_secs(20), |s| count(s, MARK) >= 1).await;

    let address = stack.stop_auth().await.unwrap().unwrap();
    // Longer than the token's life: the refresh at 80 % and the retry at 90 % fail, the token
    // expires, and marks stop because an expired token is never handed out.
    tokio::time::sleep(Duration::from_secs(8)).await;
    let handle = stack.oracle.token("mark-publisher").unwrap().clone();
    assert!(
        handle.get_token().await.is_err(),
        "no token while auth is down and the old one expired"
    );

    stack.start_auth_at(address).await.unwrap();
    let marks_at_restart = count(&stack.sandbox.snapshot(), MARK);
    let marks_before =
        stack.sandbox.snapshot().contracts_of("IRSForge.Csa:Csa")[0].payload["lastMarkAsOf"]
            .clone();
    // The handle recovers by itself (backoff, no restart) and the crons carry on.
    let snapshot = wait_for(&stack, Duration::from_secs(30), |s| {
        s.contracts_of("IRSForge.Csa:Csa")[0].payload["lastMarkAsOf"] != marks_before
    })
    .await;
    assert!(count(&snapshot, MARK) >= marks_at_restart);
    assert!(handle.get_token().await.is_ok());
    stack.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_client_secret_fails_boot_with_invalid_client() {
    let (_dir, mut options) = options(Profile::Builtin);
    options
        .env_overrides
        .set("SERVICE_CLIENT_SECRET_SCHEDULER", "not-the-secret");
    let error = match Stack::start(options).await {
        Ok(_) => panic!("the oracle booted with a wrong secret"),
        Err(error) => error,
    };
    match &error {
        StackError::Oracle(OracleError::Token { account, source }) => {
            assert_eq!(account, "scheduler");
            assert_eq!(source.reason(), FailureReason::InvalidClient);
        }
        other => panic!("expected the scheduler's token to fail, got {other}"),
    }
    let lines = log_lines();
    let failure = lines
        .iter()
        .find(|line| {
            line["event"] == "service_token_acquire_failed" && line["reason"] == "invalid_client"
        })
        .unwrap_or_else(|| panic!("the failure is logged: {lines:#?}"));
    assert_eq!(failure["accountId"], "scheduler");
    assert_eq!(failure["reason"], "invalid_client");
    let everything = String::from_utf8(captured_logs().lock().unwrap().clone()).unwrap();
    assert!(
        !everything.contains("not-the-secret"),
        "the secret leaked into the logs"
    );
}
