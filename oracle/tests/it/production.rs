//! Under `profile: production` the oracle refuses at start to send a client secret or a token
//! over plain `http://` to a host that is not loopback; `https://` and loopback hosts boot, and
//! other profiles are unchanged.

use oracle::token::ClientCredentialsFetcher;
use oracle::{LedgerClient, OracleError, OracleOptions, TokenError};
use service_runtime::report::Chain;
use shared_config::{Config, MapEnv, load_str};

use crate::support::fake_auth::{FakeAuth, Reply};
use crate::support::fake_ledger::FakeLedger;
use crate::support::{builtin_config, secrets};

const PRODUCTION: &str = include_str!("../../../examples/irsforge.production.yaml");
/// The operator org's ledger in the production example.
const OPERATOR_LEDGER: &str = "https://ledger.operator.irsforge.example.com";

/// The production example with this token service and operator ledger, and `extra` variables.
fn production(auth_url: &str, ledger_url: &str, extra: &[(&str, &str)]) -> (Config, MapEnv) {
    let text = PRODUCTION.replace(OPERATOR_LEDGER, ledger_url);
    let mut vars = vec![
        ("IRSFORGE_AUTH_PUBLIC_URL", auth_url),
        ("SERVICE_CLIENT_SECRET_MARK_PUBLISHER", "mark-secret"),
        ("SERVICE_CLIENT_SECRET_SCHEDULER", "scheduler-secret"),
    ];
    vars.extend_from_slice(extra);
    let env = MapEnv::new(vars);
    let config = load_str(&text, "irsforge.production.yaml", &env).expect("the example loads");
    assert_eq!(config.profile, shared_config::Profile::Production);
    (config, env)
}

async fn start_error(config: &Config, env: &MapEnv) -> OracleError {
    match oracle::start(config, env, OracleOptions::default()).await {
        Ok(running) => {
            running.shutdown().await;
            panic!("started")
        }
        Err(error) => error,
    }
}

#[tokio::test]
async fn a_remote_plain_http_token_endpoint_is_refused_before_any_request() {
    let ledger = FakeLedger::start("secret", serde_json::json!([])).await;
    let (config, env) = production("http://auth.irsforge.example.com", &ledger.url, &[]);
    let error = start_error(&config, &env).await;
    let OracleError::Token { account, source } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(account, "mark-publisher");
    assert!(
        matches!(source, TokenError::PlainHttpTokenEndpoint { .. }),
        "{source:?}"
    );
    assert_eq!(source.reason(), oracle::FailureReason::Configuration);
    assert_eq!(
        Chain(&error).to_string(),
        "service account `mark-publisher`: refusing to send the client secret over plain \
         http:// to http://auth.irsforge.example.com/auth/oauth/token (from \
         platform.authPublicUrl): under `profile: production` it must be https://, or http:// \
         only to a loopback host (127.0.0.0/8, ::1, localhost)"
    );
    assert!(!Chain(&error).to_string().contains("mark-secret"));
    assert!(ledger.calls_to("/v1/query").is_empty());

    // The same for an external provider's endpoint from SERVICE_TOKEN_URL.
    let (config, env) = production(
        "https://auth.irsforge.example.com",
        &ledger.url,
        &[(
            "SERVICE_TOKEN_URL",
            "http://idp.example.com:8080/oauth2/token",
        )],
    );
    let error = Chain(&start_error(&config, &env).await).to_string();
    assert!(
        error.contains(
            "plain http:// to http://idp.example.com:8080/oauth2/token (from SERVICE_TOKEN_URL)"
        ),
        "{error}"
    );
}

#[tokio::test]
async fn a_remote_plain_http_ledger_is_refused_before_any_token_is_fetched() {
    let auth = FakeAuth::start(|_| Reply::token(900)).await;
    for (ledger, shown) in [
        (
            "http://ledger.operator.example.com:7575",
            "http://ledger.operator.example.com:7575/",
        ),
        ("http://10.1.2.3:7575/api", "http://10.1.2.3:7575/api"),
        // A password in the URL is not repeated in the message.
        (
            "http://svc:hunter2@ledger.example.com/",
            "http://ledger.example.com/",
        ),
    ] {
        let (config, env) = production(&auth.base_url, ledger, &[]);
        let error = start_error(&config, &env).await;
        assert!(
            matches!(error, OracleError::PlainHttpLedger { .. }),
            "{error:?}"
        );
        assert_eq!(
            Chain(&error).to_string(),
            format!(
                "refusing to send tokens over plain http:// to the ledger at {shown} (the \
                 operator org's ledgerUrl): under `profile: production` it must be https://, or \
                 http:// only to a loopback host (127.0.0.0/8, ::1, localhost)"
            )
        );
        // `check` says so too.
        let report = oracle::check::check(&config, &env).to_string();
        assert!(
            report.contains("refusing to send tokens over plain http://"),
            "{report}"
        );
        assert!(!report.contains("hunter2"), "{report}");
    }
    assert!(auth.requests().is_empty(), "a token was asked for");
}

#[tokio::test]
async fn loopback_hosts_boot_under_production() {
    let auth = FakeAuth::start(|_| Reply::token(900)).await;
    let ledger = FakeLedger::start("secret", serde_json::json!([])).await;
    // 127.0.0.1 as the fakes listen, and `localhost` for the ledger.
    let localhost = ledger.url.replace("127.0.0.1", "localhost");
    for ledger_url in [ledger.url.as_str(), localhost.as_str()] {
        let (config, env) = production(&auth.base_url, ledger_url, &[]);
        let running = oracle::start(&config, &env, OracleOptions::default())
            .await
            .unwrap_or_else(|error| panic!("{ledger_url}: {}", Chain(&error)));
        running.shutdown().await;
    }
    assert_eq!(auth.requests().len(), 4);
}

#[tokio::test]
async fn https_is_accepted_under_production_and_other_profiles_are_unchanged() {
    let (config, env) = production(
        "https://auth.irsforge.example.com",
        "https://ledger.operator.example.com",
        &[],
    );
    LedgerClient::from_config(&config).unwrap();
    let fetcher = ClientCredentialsFetcher::from_config("mark-publisher", &config, &env).unwrap();
    assert_eq!(
        fetcher.endpoint(),
        "https://auth.irsforge.example.com/auth/oauth/token"
    );
    let report = oracle::check::check(&config, &env);
    assert!(report.is_ok(), "{report}");

    // The builtin example (profile: demo) may use plain http:// anywhere.
    let config = builtin_config(
        "http://auth.irsforge.example.com",
        "http://ledger.operator.example.com:7575",
    );
    LedgerClient::from_config(&config).unwrap();
    ClientCredentialsFetcher::from_config("mark-publisher", &config, &secrets()).unwrap();
}
