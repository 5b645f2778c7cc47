//! The exact JSON lines of the service-token events, as the binary prints them (timestamps
//! aside), and that no token or secret ever reaches them.

use std::time::Duration;

use oracle::resolve_service_token;
use serde_json::{Value, json};
use shared_config::MapEnv;

use crate::support::fake_auth::{FakeAuth, Reply};
use crate::support::logs::LogCapture;
use crate::support::scripted::{ScriptedFetcher, Step, invalid_client, network};
use crate::support::{builtin_config, exact_policy, secrets};

const TOKEN_ENDPOINT_NOTE: &str =
    "check SERVICE_CLIENT_SECRET_* and the auth service's service-accounts.yaml";

fn without(mut line: Value, field: &str) -> Value {
    line.as_object_mut().unwrap().remove(field);
    line
}

#[tokio::test]
async fn boot_success_logs_service_token_acquired() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let auth = FakeAuth::start(|_| Reply::token(900)).await;
    let config = builtin_config(&auth.base_url, "http://127.0.0.1:9");
    let handle = resolve_service_token("mark-publisher", &config, &secrets())
        .await
        .unwrap();
    assert_eq!(
        logs.named("service_token_acquired"),
        [json!({
            "level": "INFO",
            "message": "service token acquired",
            "event": "service_token_acquired",
            "accountId": "mark-publisher",
            "source": "client_credentials",
            "expiresIn": 900,
            "recovered": false,
            "target": "oracle::token::handle"
        })]
    );
    handle.stop().await;
    let text = logs.text();
    assert!(
        !text.contains("mark-secret") && !text.contains("tok-1"),
        "{text}"
    );
}

#[tokio::test]
async fn boot_failures_log_service_token_acquire_failed_with_the_cause() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let auth = FakeAuth::start(|_| Reply::invalid_client()).await;
    let config = builtin_config(&auth.base_url, "http://127.0.0.1:9");
    resolve_service_token("scheduler", &config, &secrets())
        .await
        .unwrap_err();
    let endpoint = auth.token_url();
    assert_eq!(
        logs.named("service_token_acquire_failed"),
        [json!({
            "level": "ERROR",
            "message": "service token could not be acquired",
            "event": "service_token_acquire_failed",
            "accountId": "scheduler",
            "reason": "invalid_client",
            "error": format!(
                "token endpoint {endpoint} refused the client credentials (invalid_client: client \
                 authentication failed): {TOKEN_ENDPOINT_NOTE}"
            ),
            "target": "oracle::token"
        })]
    );

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let config = builtin_config(&down, "http://127.0.0.1:9");
    resolve_service_token("mark-publisher", &config, &secrets())
        .await
        .unwrap_err();
    let failed = logs.named("service_token_acquire_failed");
    let network = without(failed[1].clone(), "error");
    assert_eq!(
        network,
        json!({
            "level": "ERROR",
            "message": "service token could not be acquired",
            "event": "service_token_acquire_failed",
            "accountId": "mark-publisher",
            "reason": "network",
            "target": "oracle::token"
        })
    );
    assert!(
        failed[1]["error"].as_str().unwrap().starts_with(&format!(
            "{down}/auth/oauth/token is unreachable: cannot connect"
        )),
        "{}",
        failed[1]
    );
    let text = logs.text();
    assert!(
        !text.contains("scheduler-secret") && !text.contains("mark-secret"),
        "{text}"
    );

    resolve_service_token("mark-publisher", &config, &MapEnv::default())
        .await
        .unwrap_err();
    let missing = logs.named("service_token_acquire_failed").pop().unwrap();
    assert_eq!(missing["reason"], "configuration");
    assert!(
        missing["error"]
            .as_str()
            .unwrap()
            .starts_with("SERVICE_CLIENT_SECRET_MARK_PUBLISHER is not set"),
        "{missing}"
    );
}

#[tokio::test]
async fn an_env_override_logs_the_variable_never_the_token() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let config = builtin_config("http://127.0.0.1:9", "http://127.0.0.1:9");
    let env = MapEnv::new([("OPERATOR_TOKEN", "legacy-secret-token")]);
    let handle = resolve_service_token("mark-publisher", &config, &env)
        .await
        .unwrap();
    handle.get_token().await.unwrap();
    assert_eq!(
        logs.events(),
        [json!({
            "level": "INFO",
            "message": "service token taken from the environment",
            "event": "service_token_env_override",
            "accountId": "mark-publisher",
            "variable": "OPERATOR_TOKEN",
            "target": "oracle::token"
        })]
    );
    assert!(!logs.text().contains("legacy-secret-token"));
}

#[tokio::test(start_paused = true)]
async fn refresh_events_from_a_refresh_through_give_up_to_recovery() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let fetcher = ScriptedFetcher::new(|elapsed| match elapsed.as_secs() {
        0..=79 => Step::Token(100),
        80..=99 => Step::Fail(network()),
        100..=110 => Step::Fail(invalid_client()),
        _ => Step::Token(100),
    });
    let handle = fetcher.start(exact_policy()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(200)).await;
    // 0 acquired; 80 fails (retry); 90 fails (give up); 95 recovery fails (network);
    // 103 recovery fails (invalid_client, 60 s cooldown); 163 acquired again.
    let events: Vec<Value> = logs
        .events()
        .into_iter()
        .map(|line| without(without(line, "error"), "message"))
        .collect();
    let common = |event: &str, level: &str| json!({"event": event, "level": level, "accountId": "mark-publisher", "target": "oracle::token::handle"});
    let with = |mut base: Value, extra: Value| {
        base.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        base
    };
    let acquired = |recovered: bool| {
        with(
            common("service_token_acquired", "INFO"),
            json!({"source": "client_credentials", "expiresIn": 100, "recovered": recovered}),
        )
    };
    let refresh_failed = |attempt: u8, will_retry: bool, expires_in_ms: u64| {
        with(
            common("service_token_refresh_failed", "WARN"),
            json!({"reason": "network", "attempt": attempt, "willRetry": will_retry,
                   "tokenExpiresInMs": expires_in_ms}),
        )
    };
    let acquire_failed = |reason: &str, next_ms: u64| {
        with(
            common("service_token_acquire_failed", "ERROR"),
            json!({"reason": reason, "nextAttemptInMs": next_ms}),
        )
    };
    assert_eq!(
        events,
        [
            acquired(false),
            refresh_failed(1, true, 20_000),
            refresh_failed(2, false, 10_000),
            acquire_failed("network", 8_000),
            acquire_failed("invalid_client", 60_000),
            acquired(true),
        ]
    );
    assert_eq!(
        fetcher.request_times(),
        [0.0, 80.0, 90.0, 95.0, 103.0, 163.0]
    );
    handle.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_successful_refresh_logs_service_token_refreshed() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let fetcher = ScriptedFetcher::new(|_| Step::Token(50));
    let handle = fetcher.start(exact_policy()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(41)).await;
    assert_eq!(
        logs.named("service_token_refreshed"),
        [json!({
            "level": "INFO",
            "message": "service token refreshed",
            "event": "service_token_refreshed",
            "accountId": "mark-publisher",
            "source": "client_credentials",
            "expiresIn": 50,
            "target": "oracle::token::handle"
        })]
    );
    handle.stop().await;
}
