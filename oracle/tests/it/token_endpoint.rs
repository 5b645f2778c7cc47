//! The client-credentials branch over real HTTP against a scripted token endpoint: what it
//! sends, and how every kind of bad answer becomes a clear error.

use std::time::Duration;

use oracle::token::resolve_with_policy;
use oracle::{FailureReason, TokenError, resolve_service_token};
use serde_json::json;
use shared_config::{Config, MapEnv};
use tokio::time::Instant;

use crate::support::fake_auth::{FakeAuth, Reply};
use crate::support::{builtin_config, exact_policy, secrets};

const NO_LEDGER: &str = "http://127.0.0.1:9";

fn config_for(auth: &FakeAuth) -> Config {
    builtin_config(&auth.base_url, NO_LEDGER)
}

async fn boot_error(reply: Reply) -> TokenError {
    let auth = FakeAuth::start(move |_| reply.clone()).await;
    resolve_service_token("mark-publisher", &config_for(&auth), &secrets())
        .await
        .expect_err("the boot must fail")
}

#[tokio::test]
async fn sends_the_client_credentials_grant_with_basic_authentication() {
    let auth = FakeAuth::start(|_| Reply::token(900)).await;
    let env = MapEnv::new([("SERVICE_CLIENT_SECRET_SCHEDULER", "s3cr:t wörd+%")]);
    let handle = resolve_service_token("scheduler", &config_for(&auth), &env)
        .await
        .unwrap();
    let token = handle.get_token().await.unwrap();
    assert_eq!(token.expose(), "tok-1-scheduler");
    let requests = auth.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/auth/oauth/token")
    );
    assert_eq!(
        request.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(request.body, "grant_type=client_credentials");
    // RFC 6749 §2.3.1: the server form-url-decodes what it base64-decodes.
    assert_eq!(request.client_id.as_deref(), Some("scheduler"));
    assert_eq!(request.client_secret.as_deref(), Some("s3cr:t wörd+%"));
    assert!(
        request
            .authorization
            .as_deref()
            .unwrap()
            .starts_with("Basic ")
    );
    handle.stop().await;
}

#[tokio::test]
async fn an_external_identity_provider_is_configured_by_environment_alone() {
    // Okta-style: a provider-assigned client id, its own token path, a scope and an audience.
    let auth = FakeAuth::start(|_| Reply::token(900)).await;
    let env = MapEnv::new([
        ("SERVICE_CLIENT_SECRET_SCHEDULER", "okta-secret"),
        ("SERVICE_CLIENT_ID_SCHEDULER", "0oa1b2c3d4EXAMPLE"),
        (
            "SERVICE_TOKEN_URL",
            &format!("{}/oauth2/default/v1/token", auth.base_url),
        ),
        ("SERVICE_TOKEN_SCOPE", "daml_ledger_api irs:schedule"),
        ("SERVICE_TOKEN_AUDIENCE", "https://ledger.irsforge.example"),
    ]);
    let handle = resolve_service_token("scheduler", &config_for(&auth), &env)
        .await
        .unwrap();
    let request = &auth.requests()[0];
    assert_eq!(request.path, "/oauth2/default/v1/token");
    assert_eq!(request.client_id.as_deref(), Some("0oa1b2c3d4EXAMPLE"));
    assert_eq!(request.client_secret.as_deref(), Some("okta-secret"));
    assert_eq!(
        request.body,
        "grant_type=client_credentials&scope=daml_ledger_api+irs%3Aschedule\
         &audience=https%3A%2F%2Fledger.irsforge.example"
    );
    handle.stop().await;

    let bad = MapEnv::new([
        ("SERVICE_CLIENT_SECRET_SCHEDULER", "s"),
        ("SERVICE_TOKEN_URL", "okta.example/token"),
    ]);
    let error = resolve_service_token("scheduler", &config_for(&auth), &bad)
        .await
        .expect_err("a bad URL is refused before any request");
    assert_eq!(error.reason(), FailureReason::Configuration);
    assert_eq!(
        error.to_string(),
        "SERVICE_TOKEN_URL: \"okta.example/token\" is not an http:// or https:// URL"
    );
}

#[tokio::test]
async fn each_malformed_response_is_a_clear_error() {
    let bearer = |expires_in: serde_json::Value| {
        Reply::Json(
            200,
            json!({"access_token": "abc", "token_type": "Bearer", "expires_in": expires_in}),
            Vec::new(),
        )
    };
    let cases: Vec<(Reply, &str)> = vec![
        (
            Reply::Raw(200, "text/html", b"<html>login</html>".to_vec()),
            "the body is not JSON (content-type text/html, 18 bytes)",
        ),
        (
            Reply::Raw(200, "application/json", br#"{"access_token": "ab"#.to_vec()),
            "the body is not JSON (content-type application/json, 20 bytes)",
        ),
        (
            Reply::Json(
                200,
                json!({"token_type": "Bearer", "expires_in": 60}),
                Vec::new(),
            ),
            "access_token is missing",
        ),
        (
            Reply::Json(
                200,
                json!({"access_token": "abc", "token_type": "mac", "expires_in": 60}),
                Vec::new(),
            ),
            "token_type \"mac\" is not Bearer",
        ),
        (
            Reply::Json(
                200,
                json!({"access_token": "abc", "token_type": "Bearer"}),
                Vec::new(),
            ),
            "expires_in is missing",
        ),
        (bearer(json!(0)), "expires_in is 0"),
        (bearer(json!(-30)), "expires_in is -30"),
        (
            bearer(json!("soon")),
            "expires_in \"soon\" is not a number of seconds",
        ),
        (
            Reply::Raw(200, "application/json", vec![b' '; 70_000]),
            "HTTP 200 with a body over 65536 bytes",
        ),
    ];
    for (reply, expected) in cases {
        let shown = format!("{reply:?}");
        let error = boot_error(reply).await;
        assert_eq!(
            error.reason(),
            FailureReason::MalformedResponse,
            "{shown}: {error}"
        );
        assert!(error.to_string().contains(expected), "{shown}: {error}");
        assert!(
            !error.to_string().contains("abc"),
            "the token leaked into: {error}"
        );
    }
}

#[tokio::test]
async fn an_absurd_lifetime_is_clamped_to_a_day() {
    let auth = FakeAuth::start(|_| Reply::Token(json!(1_000_000_000_000u64))).await;
    let handle = resolve_service_token("mark-publisher", &config_for(&auth), &secrets())
        .await
        .unwrap();
    let remaining = handle.status().remaining.unwrap();
    assert!(remaining <= Duration::from_secs(86_400), "{remaining:?}");
    assert!(remaining > Duration::from_secs(86_000), "{remaining:?}");
    handle.stop().await;
}

#[tokio::test]
async fn refusals_are_classified() {
    let error = boot_error(Reply::invalid_client()).await;
    assert_eq!(error.reason(), FailureReason::InvalidClient);
    assert!(error.to_string().contains("invalid_client"), "{error}");

    let error = boot_error(Reply::Json(
        503,
        json!({"error": "temporarily_unavailable"}),
        vec![("retry-after".into(), "3".into())],
    ))
    .await;
    assert_eq!(error.reason(), FailureReason::Network);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3)));

    let error = boot_error(Reply::Reset).await;
    assert_eq!(error.reason(), FailureReason::Network, "{error}");

    let error = boot_error(Reply::Json(
        400,
        json!({"error": "unsupported_grant_type"}),
        Vec::new(),
    ))
    .await;
    assert_eq!(error.reason(), FailureReason::Rejected);
    assert!(
        error
            .to_string()
            .contains("HTTP 400 unsupported_grant_type"),
        "{error}"
    );

    let error = boot_error(Reply::Json(
        302,
        json!({}),
        vec![("location".into(), "http://elsewhere/".into())],
    ))
    .await;
    assert!(
        error.to_string().contains("redirects are not followed"),
        "{error}"
    );
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_network_error() {
    let auth = FakeAuth::start(|_| Reply::token(900)).await;
    auth.stop();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let config = config_for(&auth);
    let error = resolve_service_token("mark-publisher", &config, &secrets())
        .await
        .unwrap_err();
    assert_eq!(error.reason(), FailureReason::Network);
    assert!(error.to_string().contains("cannot connect"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn a_hung_endpoint_costs_the_client_timeout_and_no_more() {
    let auth = FakeAuth::start(|_| Reply::Hang).await;
    let mut config = config_for(&auth);
    config.oracle.fetch_timeout_ms = 5_000;
    let started = Instant::now();
    let error = resolve_service_token("mark-publisher", &config, &secrets())
        .await
        .unwrap_err();
    let cost = Instant::now() - started;
    assert_eq!(error.reason(), FailureReason::Network);
    assert!(
        error.to_string().contains("no answer within 5000 ms"),
        "{error}"
    );
    assert!(
        cost >= Duration::from_secs(5) && cost < Duration::from_millis(5_100),
        "{cost:?}"
    );
    // The endpoint saw the client give up after the timeout, not hold on.
    tokio::time::sleep(Duration::from_millis(10)).await;
    let held = auth.hang_durations();
    assert_eq!(held.len(), 1);
    assert!(held[0] <= Duration::from_millis(5_100), "{held:?}");
}

#[tokio::test]
async fn the_secret_must_be_in_the_environment_and_the_account_declared() {
    let auth = FakeAuth::start(|_| Reply::token(900)).await;
    let config = config_for(&auth);
    let error = resolve_service_token("mark-publisher", &config, &MapEnv::default())
        .await
        .unwrap_err();
    assert!(matches!(error, TokenError::MissingClientSecret { .. }));
    assert!(
        error
            .to_string()
            .starts_with("SERVICE_CLIENT_SECRET_MARK_PUBLISHER is not set"),
        "{error}"
    );
    let empty = MapEnv::new([("SERVICE_CLIENT_SECRET_MARK_PUBLISHER", "")]);
    assert!(matches!(
        resolve_service_token("mark-publisher", &config, &empty).await,
        Err(TokenError::MissingClientSecret { .. })
    ));
    let error = resolve_service_token("risk-feed", &config, &secrets())
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown service account `risk-feed`: not declared in auth.serviceAccounts (declared: \
         scheduler, mark-publisher)"
    );
    assert!(auth.requests().is_empty(), "no request without a secret");
}

#[tokio::test(start_paused = true)]
async fn an_http_outage_in_the_middle_of_a_10_s_ttl_heals_without_a_restart() {
    let origin = Instant::now();
    let auth = FakeAuth::start(move |request| {
        let at = (request.at - origin).as_secs_f64();
        if (6.0..11.0).contains(&at) {
            Reply::status(503)
        } else {
            Reply::token(10)
        }
    })
    .await;
    let handle = resolve_with_policy(
        "mark-publisher",
        &config_for(&auth),
        &secrets(),
        exact_policy(),
        std::sync::Arc::new(service_runtime::clock::SystemClock),
    )
    .await
    .unwrap();
    let mut refused = 0;
    while Instant::now() - origin < Duration::from_secs(20) {
        match handle.get_token().await {
            Ok(token) => {
                let (_, expires) = auth.issued(token.expose()).expect("an issued token");
                assert!(Instant::now() < expires, "an expired token was handed out");
            }
            Err(_) => refused += 1,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let times: Vec<u64> = auth
        .requests()
        .iter()
        .map(|request| (request.at - origin).as_millis() as u64)
        .collect();
    let rounded: Vec<u64> = times.iter().map(|ms| (ms + 50) / 100).collect();
    assert_eq!(rounded, [0, 80, 90, 130], "requests at {times:?} ms");
    assert!(
        refused > 0,
        "the caller saw the gap between expiry and recovery"
    );
    handle.stop().await;
}

#[tokio::test]
async fn a_jwt_whose_exp_has_passed_by_this_hosts_clock_is_refused_clearly() {
    // The issuer's clock runs an hour behind: its 900 s tokens expired before they arrive.
    let auth = FakeAuth::start(|_| Reply::Jwt(900, json!(900))).await;
    auth.set_clock(std::sync::Arc::new(
        service_runtime::clock::ManualClock::new(chrono::Utc::now() - chrono::Duration::hours(1)),
    ));
    let error = resolve_service_token("mark-publisher", &config_for(&auth), &secrets())
        .await
        .expect_err("the boot must fail");
    assert_eq!(error.reason(), FailureReason::MalformedResponse, "{error}");
    let text = error.to_string();
    assert!(
        text.starts_with(&format!(
            "token endpoint {} returned a malformed response: the token's exp (",
            auth.token_url()
        )),
        "{text}"
    );
    assert!(
        text.contains("at least 2 s are needed: is this host's clock ahead of the issuer's?"),
        "{text}"
    );
    assert!(!text.contains("eyJ"), "{text}");

    // An hour ahead instead: expires_in (900 s from the send time) decides.
    let auth = FakeAuth::start(|_| Reply::Jwt(900, json!(900))).await;
    auth.set_clock(std::sync::Arc::new(
        service_runtime::clock::ManualClock::new(chrono::Utc::now() + chrono::Duration::hours(1)),
    ));
    let handle = resolve_service_token("mark-publisher", &config_for(&auth), &secrets())
        .await
        .unwrap();
    let remaining = handle.status().remaining.unwrap();
    assert!(remaining <= Duration::from_secs(900), "{remaining:?}");
    assert!(remaining > Duration::from_secs(890), "{remaining:?}");
    handle.stop().await;
}
