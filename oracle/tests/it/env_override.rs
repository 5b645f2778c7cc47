//! Branch 1 of the resolver through `resolve_service_token`: which variable wins, that it
//! short-circuits the other branches, and that an expired environment token is refused.

use oracle::token::TokenSourceKind;
use oracle::{FailureReason, TokenError, resolve_service_token};
use serde_json::json;
use shared_config::MapEnv;

use crate::support::fake_auth::{FakeAuth, Reply};
use crate::support::fake_ledger::FakeLedger;
use crate::support::{builtin_config, demo_config};

/// (account, variables, the token handed out); `tok-…` tokens come from the auth service.
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

#[tokio::test]
async fn precedence_table() {
    let auth = FakeAuth::start(|_| Reply::token(900)).await;
    let config = builtin_config(&auth.base_url, "http://127.0.0.1:9");
    let secrets = [
        ("SERVICE_CLIENT_SECRET_MARK_PUBLISHER", "m"),
        ("SERVICE_CLIENT_SECRET_SCHEDULER", "s"),
    ];
    let cases: [Case<'_>; 7] = [
        ("mark-publisher", &[], "tok-1-mark-publisher"),
        (
            "mark-publisher",
            &[("SERVICE_TOKEN_MARK_PUBLISHER", "new")],
            "new",
        ),
        ("mark-publisher", &[("OPERATOR_TOKEN", "legacy")], "legacy"),
        (
            "mark-publisher",
            &[
                ("OPERATOR_TOKEN", "legacy"),
                ("SERVICE_TOKEN_MARK_PUBLISHER", "new"),
            ],
            "new",
        ),
        (
            "scheduler",
            &[("OPERATOR_TOKEN", "legacy")],
            "tok-2-scheduler",
        ),
        (
            "scheduler",
            &[("SERVICE_TOKEN_SCHEDULER", "sched")],
            "sched",
        ),
        (
            "scheduler",
            &[
                ("SERVICE_TOKEN_SCHEDULER", ""),
                ("OPERATOR_TOKEN", "legacy"),
            ],
            "tok-3-scheduler",
        ),
    ];
    for (account, vars, expected) in cases {
        let env = MapEnv::new(secrets.iter().chain(vars.iter()).copied());
        let handle = resolve_service_token(account, &config, &env).await.unwrap();
        let token = handle.get_token().await.unwrap();
        assert_eq!(token.expose(), expected, "{account} with {vars:?}");
        let from_env = !expected.starts_with("tok-");
        assert_eq!(
            handle.status().source == TokenSourceKind::Environment,
            from_env,
            "{account} with {vars:?}"
        );
        handle.stop().await;
    }
    assert_eq!(
        auth.requests().len(),
        3,
        "only the non-overridden cases asked auth"
    );
}

#[tokio::test]
async fn an_override_short_circuits_the_demo_bootstrap_too() {
    let ledger = FakeLedger::start("secret", json!([])).await;
    let config = demo_config(&ledger.url);
    let env = MapEnv::new([("OPERATOR_TOKEN", "legacy-operator-token")]);
    let handle = resolve_service_token("mark-publisher", &config, &env)
        .await
        .unwrap();
    assert_eq!(
        handle.get_token().await.unwrap().expose(),
        "legacy-operator-token"
    );
    assert!(ledger.calls().is_empty(), "the ledger was not asked");
}

#[tokio::test]
async fn an_expired_jwt_in_the_environment_is_refused_naming_the_variable() {
    // {"exp": 1000000000} — September 2001.
    let expired = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjEwMDAwMDAwMDB9.c2ln";
    let config = builtin_config("http://127.0.0.1:9", "http://127.0.0.1:9");
    let env = MapEnv::new([("SERVICE_TOKEN_SCHEDULER", expired)]);
    let error = resolve_service_token("scheduler", &config, &env)
        .await
        .unwrap_err();
    assert!(
        matches!(error, TokenError::EnvTokenExpired { .. }),
        "{error}"
    );
    assert_eq!(error.reason(), FailureReason::Configuration);
    assert!(
        error
            .to_string()
            .starts_with("the token in SERVICE_TOKEN_SCHEDULER expired"),
        "{error}"
    );
    // A JWT that is still valid is used as it is.
    let valid = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln"; // exp 2100-01-01
    let env = MapEnv::new([("SERVICE_TOKEN_SCHEDULER", valid)]);
    let handle = resolve_service_token("scheduler", &config, &env)
        .await
        .unwrap();
    assert_eq!(handle.get_token().await.unwrap().expose(), valid);
}
