//! The client-credentials branch against the real auth service, in-process on `127.0.0.1`:
//! both accounts acquire RS256 tokens that verify against the served JWKS, refresh after a
//! short TTL, and survive the auth service restarting on the same port.
//!
//! Real time (bcrypt runs on the auth service's worker threads, which a paused clock would
//! race); the TTL is 5 s so the whole test takes seconds.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use ledger_types::LedgerJwtClaims;
use oracle::TokenHandle;
use oracle::token::resolve_with_policy;
use shared_config::{AuthMode, Config, MapEnv};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::support::{FP, builtin_config, exact_policy};

const MARK_PUBLISHER_SECRET: &str = "mark publisher secret: with spaces & symbols";
const SCHEDULER_SECRET: &str = "scheduler-secret";

struct RunningAuth {
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), auth::AuthError>>,
}

impl RunningAuth {
    fn start(listener: TcpListener, config: &Config, dir: &Path) -> Self {
        let options = auth::AuthOptions::new(
            config.clone(),
            dir.join("service-accounts.yaml"),
            dir.join("keys"),
        );
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let task = tokio::spawn(auth::run(listener, options, shutdown));
        Self { stop, task }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
    }
}

/// Polls `condition` every 50 ms for up to `limit`.
async fn eventually(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} did not happen within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn verify(address: SocketAddr, token: &str) -> LedgerJwtClaims {
    let jwks: serde_json::Value = reqwest::get(format!("http://{address}/.well-known/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["kid"].as_str() == header.kid.as_deref())
        .expect("the token's kid is published");
    let decoding =
        DecodingKey::from_rsa_components(key["n"].as_str().unwrap(), key["e"].as_str().unwrap())
            .unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_aud = false;
    validation.set_issuer(&[format!("http://{address}")]);
    jsonwebtoken::decode::<LedgerJwtClaims>(token, &decoding, &validation)
        .unwrap()
        .claims
}

fn wait_usable<'a>(handles: &'a [&'a TokenHandle]) -> impl Future<Output = ()> + 'a {
    eventually(Duration::from_secs(20), "recovery", move || {
        handles.iter().all(|handle| handle.status().usable)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_accounts_acquire_refresh_and_survive_an_auth_restart() {
    let dir = tempfile::tempdir().unwrap();
    let registry = format!(
        "accounts:\n  - id: mark-publisher\n    clientSecretHash: \"{}\"\n  - id: scheduler\n    clientSecretHash: \"{}\"\n",
        bcrypt::hash(MARK_PUBLISHER_SECRET, 4).unwrap(),
        bcrypt::hash(SCHEDULER_SECRET, 4).unwrap(),
    );
    std::fs::write(dir.path().join("service-accounts.yaml"), registry).unwrap();
    std::fs::create_dir(dir.path().join("keys")).unwrap();

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let mut config = builtin_config(&format!("http://{address}"), "http://127.0.0.1:9");
    // Validation refuses TTLs under 60 s; set a short one directly to see refreshes quickly.
    if let AuthMode::Builtin(builtin) = &mut config.auth.mode {
        builtin.token_ttl_seconds = 5;
    }
    let auth = RunningAuth::start(listener, &config, dir.path());

    let env = MapEnv::new([
        (
            "SERVICE_CLIENT_SECRET_MARK_PUBLISHER",
            MARK_PUBLISHER_SECRET,
        ),
        ("SERVICE_CLIENT_SECRET_SCHEDULER", SCHEDULER_SECRET),
    ]);
    let mut handles = Vec::new();
    for account in ["mark-publisher", "scheduler"] {
        // The auth service may still be generating its key: the first attempt is the boot.
        let handle = loop {
            match resolve_with_policy(
                account,
                &config,
                &env,
                exact_policy(),
                std::sync::Arc::new(service_runtime::clock::SystemClock),
            )
            .await
            {
                Ok(handle) => break handle,
                Err(error) if error.reason() == oracle::FailureReason::Network => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("{account}: {error}"),
            }
        };
        handles.push(handle);
    }
    let (mark_publisher, scheduler) = (&handles[0], &handles[1]);

    let first = mark_publisher.get_token().await.unwrap();
    let claims = verify(address, first.expose()).await;
    assert_eq!(claims.sub.as_deref(), Some("service:mark-publisher"));
    assert_eq!(claims.ledger_api.act_as, [format!("Operator::{FP}")]);
    assert_eq!(claims.exp.unwrap() - claims.iat.unwrap(), 5);
    let claims = verify(address, scheduler.get_token().await.unwrap().expose()).await;
    assert_eq!(claims.ledger_api.act_as, [format!("Scheduler::{FP}")]);

    // Refreshed at 80 % of 5 s.
    eventually(Duration::from_secs(10), "both refreshes", || {
        handles.iter().all(|handle| handle.stats().refreshed >= 1)
    })
    .await;
    let refreshed = mark_publisher.get_token().await.unwrap();
    assert_ne!(refreshed, first);
    verify(address, refreshed.expose()).await;

    // Auth goes away for longer than a token lives; the handles refuse expired tokens.
    auth.stop().await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert!(mark_publisher.get_token().await.is_err());
    assert!(scheduler.get_token().await.is_err());

    // The same port, a new process's worth of state (same keys directory): both recover.
    let listener = TcpListener::bind(address).await.unwrap();
    let auth = RunningAuth::start(listener, &config, dir.path());
    wait_usable(&[mark_publisher, scheduler]).await;
    for handle in [mark_publisher, scheduler] {
        let token = handle.get_token().await.unwrap();
        let claims = verify(address, token.expose()).await;
        assert_eq!(
            claims.sub.as_deref(),
            Some(format!("service:{}", handle.account_id()).as_str())
        );
        assert!(handle.stats().failures.get("network").copied().unwrap_or(0) >= 1);
    }
    for handle in &handles {
        handle.stop().await;
    }
    auth.stop().await;
}
