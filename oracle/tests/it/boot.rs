//! `oracle::start` / `oracle::run` in-process: the boot order and its events, failures before
//! anything runs, the crons ticking against a fake ledger, `/metrics`, and shutdown.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use oracle::{FailureReason, OracleError, OracleOptions, start};
use serde_json::{Value, json};
use service_runtime::clock::TokioClock;
use service_runtime::report::Chain;
use shared_config::MapEnv;

use crate::support::fake_auth::{FakeAuth, Reply};
use crate::support::fake_ledger::FakeLedger;
use crate::support::logs::LogCapture;
use crate::support::{builtin_config, secrets};

fn options() -> OracleOptions {
    OracleOptions {
        clock: Arc::new(TokioClock::starting_at(
            Utc.with_ymd_and_hms(2030, 1, 1, 12, 0, 0).unwrap(),
        )),
        ..OracleOptions::default()
    }
}

fn env_with(extra: &[(&str, &str)]) -> MapEnv {
    let mut env = secrets();
    for (name, value) in extra {
        env.set(*name, *value);
    }
    env
}

fn names(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|line| {
            format!(
                "{}:{}",
                line["event"].as_str().unwrap(),
                line["accountId"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn boots_in_order_runs_every_cron_and_shuts_down() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let auth = FakeAuth::start(|_| Reply::token(900)).await;
    let ledger = FakeLedger::start("secret", json!([])).await;
    let config = builtin_config(&auth.base_url, &ledger.url);
    let env = env_with(&[("MARK_PUBLISHER_CRON", "*/20 * * * * *")]);
    let running = start(&config, &env, options()).await.unwrap();
    assert_eq!(
        names(&logs.events()),
        [
            "service_token_acquired:mark-publisher",
            "service_token_acquired:scheduler",
            "mark_publisher_service_started:mark-publisher",
            "scheduler_service_started:scheduler",
        ]
    );
    assert_eq!(
        logs.named("scheduler_service_started"),
        [json!({
            "level": "INFO",
            "message": "scheduler service started",
            "event": "scheduler_service_started",
            "accountId": "scheduler",
            "trigger": "0 */5 * * * *",
            "settleNet": "0 0 18 * * *",
            "mature": "0 30 18 * * *",
            "target": "oracle::service"
        })]
    );
    assert_eq!(
        logs.named("mark_publisher_service_started")[0]["cron"],
        "*/20 * * * * *"
    );
    assert_eq!(
        running.crons(),
        ["mark-publisher", "trigger", "settleNet", "mature"]
    );

    // 12:00:20 and 12:00:40 (mark-publisher), 12:05:00 (trigger).
    tokio::time::sleep(Duration::from_secs(301)).await;
    let queries = ledger.calls_to("/v1/query");
    let by = |client: &str| {
        queries
            .iter()
            .filter(|call| {
                call.token
                    .as_deref()
                    .is_some_and(|token| token.ends_with(client))
            })
            .count()
    };
    assert_eq!(by("-mark-publisher"), 15, "every 20 s for 301 s");
    assert_eq!(by("-scheduler"), 1, "the trigger cron at 12:05");
    let completed = logs.named("tick_completed");
    assert!(completed.iter().any(|line| line["cron"] == "trigger"));

    let metrics = running.render_metrics();
    let age: f64 = metrics
        .lines()
        .find_map(|line| {
            line.strip_prefix("oracle_service_token_age_seconds{account=\"mark-publisher\"} ")
        })
        .unwrap()
        .parse()
        .unwrap();
    assert!((300.0..302.0).contains(&age), "{age}");
    for expected in [
        "oracle_service_token_usable{account=\"scheduler\"} 1",
        "oracle_service_token_requests_total{account=\"mark-publisher\"} 1",
        "oracle_ticks_completed_total{cron=\"mark-publisher\"} 15",
        "oracle_ticks_completed_total{cron=\"trigger\"} 1",
        "oracle_ticks_completed_total{cron=\"mature\"} 0",
    ] {
        assert!(
            metrics.contains(expected),
            "{expected} missing from:\n{metrics}"
        );
    }

    running.shutdown().await;
    assert_eq!(logs.named("oracle_stopped").len(), 1);
    let calls = ledger.calls().len();
    let requests = auth.requests().len();
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(ledger.calls().len(), calls, "no tick after shutdown");
    assert_eq!(auth.requests().len(), requests, "no refresh after shutdown");
}

#[tokio::test]
async fn invalid_client_for_the_scheduler_fails_the_boot_naming_the_account() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let auth = FakeAuth::start(|request| match request.client_id.as_deref() {
        Some("scheduler") => Reply::invalid_client(),
        _ => Reply::token(900),
    })
    .await;
    let config = builtin_config(&auth.base_url, "http://127.0.0.1:9");
    let Err(error) = start(&config, &secrets(), options()).await else {
        panic!("the boot must fail");
    };
    let OracleError::Token { account, source } = &error else {
        panic!("expected a token error, got {error}");
    };
    assert_eq!(account, "scheduler");
    assert_eq!(source.reason(), FailureReason::InvalidClient);
    let line = Chain(&error).to_string();
    assert!(
        line.starts_with("service account `scheduler`: token endpoint"),
        "{line}"
    );
    assert_eq!(
        names(&logs.events()),
        [
            "service_token_acquired:mark-publisher",
            "service_token_acquire_failed:scheduler",
        ]
    );
    assert_eq!(
        logs.named("service_token_acquire_failed")[0]["reason"],
        "invalid_client"
    );
}

#[tokio::test]
async fn schedules_are_checked_before_any_request() {
    let auth = FakeAuth::start(|_| Reply::token(900)).await;
    let config = builtin_config(&auth.base_url, "http://127.0.0.1:9");
    let error = start(
        &config,
        &env_with(&[("MARK_PUBLISHER_CRON", "*/5 * * *")]),
        options(),
    )
    .await
    .err()
    .unwrap();
    assert_eq!(
        Chain(&error).to_string(),
        "MARK_PUBLISHER_CRON=\"*/5 * * *\": expected 5 fields (min hour day-of-month month \
         day-of-week) or 6 with seconds first, e.g. \"*/5 * * * * *\"; found 4"
    );
    assert!(auth.requests().is_empty());
}

#[tokio::test(start_paused = true)]
async fn with_the_scheduler_disabled_only_the_mark_publisher_runs() {
    let auth = FakeAuth::start(|_| Reply::token(900)).await;
    let mut config = builtin_config(&auth.base_url, "http://127.0.0.1:9");
    config.scheduler.enabled = false;
    let running = start(
        &config,
        &MapEnv::new([("SERVICE_CLIENT_SECRET_MARK_PUBLISHER", "m")]),
        options(),
    )
    .await
    .unwrap();
    assert_eq!(running.crons(), ["mark-publisher"]);
    assert!(running.token("scheduler").is_none());
    let clients: Vec<_> = auth
        .requests()
        .iter()
        .map(|r| r.client_id.clone().unwrap())
        .collect();
    assert_eq!(clients, ["mark-publisher"]);
    running.shutdown().await;
}

#[tokio::test]
async fn serves_metrics_on_its_listener() {
    let auth = FakeAuth::start(|_| Reply::token(900)).await;
    let config = builtin_config(&auth.base_url, "http://127.0.0.1:9");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = start(
        &config,
        &secrets(),
        OracleOptions {
            metrics_listener: Some(listener),
            ..OracleOptions::default()
        },
    )
    .await
    .unwrap();
    let address = running.metrics_addr().unwrap();
    let response = reqwest::get(format!("http://{address}/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let body = response.text().await.unwrap();
    assert!(
        body.contains("# TYPE oracle_service_token_age_seconds gauge"),
        "{body}"
    );
    assert!(
        body.contains("oracle_service_token_usable{account=\"mark-publisher\"} 1"),
        "{body}"
    );
    assert!(!body.contains("tok-1"), "a token leaked into the metrics");
    running.shutdown().await;
    assert!(
        reqwest::get(format!("http://{address}/metrics"))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn half_sent_scrapes_are_closed_at_shutdown() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let auth = FakeAuth::start(|_| Reply::token(900)).await;
    let config = builtin_config(&auth.base_url, "http://127.0.0.1:9");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = start(
        &config,
        &secrets(),
        OracleOptions {
            metrics_listener: Some(listener),
            ..OracleOptions::default()
        },
    )
    .await
    .unwrap();
    let address = running.metrics_addr().unwrap();
    let mut sockets = Vec::new();
    for _ in 0..5 {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nAcc")
            .await
            .unwrap();
        sockets.push(stream);
    }
    // Connections are accepted in order: once this scrape is answered, the five are served.
    let scrape = reqwest::get(format!("http://{address}/metrics")).await;
    assert_eq!(scrape.unwrap().status(), 200);
    running.shutdown().await;
    // They were closed by the server, not left to the process's end.
    for stream in &mut sockets {
        let mut chunk = [0u8; 64];
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk)).await;
        assert!(
            matches!(read, Ok(Ok(0) | Err(_))),
            "a half-sent scrape is closed at shutdown"
        );
    }
}

#[tokio::test]
async fn run_returns_when_the_shutdown_future_completes() {
    let auth = FakeAuth::start(|_| Reply::token(900)).await;
    let config = builtin_config(&auth.base_url, "http://127.0.0.1:9");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let env = secrets();
    let run = oracle::run(&config, &env, OracleOptions::default(), async {
        let _ = stopped.await;
    });
    let stopper = async {
        while auth.requests().len() < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        stop.send(()).unwrap();
    };
    let (result, ()) = tokio::join!(run, stopper);
    result.unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_services_heal_when_auth_returns_without_a_restart() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let auth = FakeAuth::start(|_| Reply::token(60)).await;
    let ledger = FakeLedger::start("secret", json!([])).await;
    let mut config = builtin_config(&auth.base_url, &ledger.url);
    config.scheduler.enabled = false;
    let env = env_with(&[("MARK_PUBLISHER_CRON", "*/10 * * * * *")]);
    let running = start(&config, &env, options()).await.unwrap();

    auth.set_script(|_| Reply::status(503));
    tokio::time::sleep(Duration::from_secs(125)).await;
    let outage_requests = auth.requests().len() - 1;
    let failed = logs.named("tick_failed");
    assert!(
        failed
            .iter()
            .all(|line| line["reason"] == "token_unavailable"),
        "{failed:?}"
    );
    // The token (60 s) was usable until 57 s: the ticks at 60..=120 s failed.
    assert_eq!(failed.len(), 7, "{failed:?}");
    assert!(
        outage_requests <= 14,
        "{outage_requests} requests in two minutes of outage"
    );

    auth.set_script(|_| Reply::token(60));
    let healed_ticks = logs.named("tick_completed").len();
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert!(
        logs.named("tick_completed").len() > healed_ticks,
        "ticks succeed again once auth is back"
    );
    let recovered = logs.named("service_token_acquired");
    assert_eq!(recovered.last().unwrap()["recovered"], true);
    running.shutdown().await;
}
