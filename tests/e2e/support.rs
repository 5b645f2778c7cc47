//! Starting a stack, waiting for the ledger, and talking to auth and the ledger like a client.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use chrono::Utc;
use irsforge::{Profile, Stack, StackOptions, Workdir};
use ledger_sandbox::LedgerSnapshot;
use serde_json::{Value, json};
use service_runtime::logging::{self, LogFormat};

/// The templates the services' effects create.
pub(crate) const MARK: &str = "IRSForge.Mark:MarkToMarket";
pub(crate) const EFFECT: &str = "IRSForge.Lifecycle:LifecycleEffect";
pub(crate) const SETTLEMENT: &str = "IRSForge.Settlement:NetSettlement";
pub(crate) const MATURED: &str = "IRSForge.Lifecycle:MaturedSwap";
pub(crate) const CSA: &str = "IRSForge.Csa:Csa";

/// Options for a stack in a fresh directory, world seeded 55 s ago.
pub(crate) fn options(profile: Profile) -> (tempfile::TempDir, StackOptions) {
    captured_logs();
    let dir = tempfile::tempdir().unwrap();
    let workdir = Workdir::open(dir.path().join(".demo")).unwrap();
    let mut options = StackOptions::new(profile, workdir);
    options.seed_time = Some(Utc::now() - chrono::Duration::seconds(55));
    (dir, options)
}

/// Polls the ledger until `done` holds, for at most `limit`.
pub(crate) async fn wait_for(
    stack: &Stack,
    limit: Duration,
    done: impl Fn(&LedgerSnapshot) -> bool,
) -> LedgerSnapshot {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let snapshot = stack.sandbox.snapshot();
        if done(&snapshot) {
            return snapshot;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the ledger did not reach the expected state within {limit:?}; contracts: {:#?}",
            snapshot
                .contracts
                .iter()
                .map(|c| &c.template_id)
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many active contracts of a template the ledger holds.
pub(crate) fn count(snapshot: &LedgerSnapshot, template: &str) -> usize {
    snapshot.contracts_of(template).len()
}

/// A client-credentials token straight from the stack's auth service, as any OAuth2 client
/// would get one (HTTP Basic, RFC 6749 §2.3.1).
pub(crate) async fn client_credentials_token(
    stack: &Stack,
    account: &str,
    secret: &str,
) -> reqwest::Response {
    let auth = stack.auth.as_ref().expect("builtin profile");
    reqwest::Client::new()
        .post(format!("http://{}/auth/oauth/token", auth.address()))
        .basic_auth(account, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

/// The generated client secret of an account.
pub(crate) fn secret_of(stack: &Stack, account: &str) -> String {
    use shared_config::EnvSource;
    let variable = format!(
        "SERVICE_CLIENT_SECRET_{}",
        account.to_ascii_uppercase().replace('-', "_")
    );
    stack.env.var(&variable).unwrap()
}

/// A fresh access token for an account.
pub(crate) async fn access_token(stack: &Stack, account: &str) -> String {
    let response = client_credentials_token(stack, account, &secret_of(stack, account)).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// POSTs a JSON API request to the ledger with a bearer token.
pub(crate) async fn ledger_post(
    stack: &Stack,
    token: &str,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", stack.sandbox.base_url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Queries the CSAs with a token.
pub(crate) async fn query_csas(stack: &Stack, token: &str) -> (u16, Value) {
    ledger_post(stack, token, "/v1/query", json!({ "templateIds": [CSA] })).await
}

/// The `kid` in a JWT's header.
pub(crate) fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

/// Every JSON log line the services in this test binary wrote. A thread-local subscriber
/// would miss events from tasks on other worker threads, and tracing caches callsite interest
/// process-wide, so the binary installs one global subscriber the first time a test asks.
pub(crate) fn captured_logs() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer: &'static Mutex<Vec<u8>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        // The binaries' own JSON format.
        let filter = logging::filter("info", None).unwrap();
        let subscriber =
            logging::subscriber(LogFormat::Json, filter, false, move || BufferWriter(buffer));
        tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
        buffer
    })
}

struct BufferWriter(&'static Mutex<Vec<u8>>);

impl std::io::Write for BufferWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The captured lines, parsed.
pub(crate) fn log_lines() -> Vec<Value> {
    String::from_utf8(captured_logs().lock().unwrap().clone())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}
