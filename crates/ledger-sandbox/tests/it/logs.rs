//! Log lines: every line carries a stable `event`, and no token or secret is ever written.

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ledger_sandbox::SandboxOptions;
use reqwest::StatusCode;
use serde_json::{Value, json};
use service_runtime::logging::{self, LogFormat};

use crate::support::{
    APPLICATION_ID, JwksServer, SECRET, Signer, TestLedger, hs256_token, jwk, rs256_token, rsa_keys,
};

/// Collects the log output of one test thread in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

thread_local! {
    static CAPTURE: RefCell<Option<Captured>> = const { RefCell::new(None) };
}

/// Writes each line to the capture registered on the emitting thread, if any.
struct RoutingWriter;

impl Write for RoutingWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|capture| {
            if let Some(captured) = &*capture.borrow() {
                captured.0.lock().unwrap().extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Unregisters the capture when the test ends.
struct CaptureGuard;

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        CAPTURE.with(|capture| capture.borrow_mut().take());
    }
}

impl Captured {
    /// Routes this thread's log lines here. One global JSON subscriber serves every test:
    /// per-thread (scoped) subscribers make tracing cache callsite interest across threads, so
    /// a line first hit by another test could go missing. `#[tokio::test]` runs every task on
    /// the test's own thread, so the sandbox's lines land in this test's capture.
    fn install(&self) -> CaptureGuard {
        static GLOBAL: OnceLock<()> = OnceLock::new();
        GLOBAL.get_or_init(|| {
            // The binary's own JSON format, at every level.
            let filter = logging::filter("trace", None).unwrap();
            let subscriber = logging::subscriber(LogFormat::Json, filter, false, || RoutingWriter);
            tracing::subscriber::set_global_default(subscriber).unwrap();
        });
        CAPTURE.with(|capture| *capture.borrow_mut() = Some(self.clone()));
        CaptureGuard
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// The `event` of every line from this crate, asserting each line has one.
    fn events(&self) -> Vec<String> {
        self.text()
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap())
            .filter(|line| {
                line["target"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("ledger_sandbox"))
            })
            .map(|line| {
                line["event"]
                    .as_str()
                    .unwrap_or_else(|| panic!("a line without event: {line}"))
                    .to_owned()
            })
            .collect()
    }
}

#[tokio::test]
async fn logs_name_stable_events_and_never_a_token_or_the_secret() {
    let captured = Captured::default();
    let _guard = captured.install();
    let ledger = TestLedger::hs256().await;
    let operator = ledger.token(&["Operator"], &[]);
    let csa = ledger
        .find(&operator, "IRSForge.Csa:Csa", "csaId", "CSA-AB-001")
        .await;
    let argument = json!({"asOf": "2026-01-05T09:00:01Z", "exposure": "0", "callAmount": "0"});
    let contract_id = csa["contractId"].as_str().unwrap();
    let (status, _) = ledger
        .exercise(
            &operator,
            "IRSForge.Csa:Csa",
            contract_id,
            "PublishMark",
            argument.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = ledger
        .exercise(
            &operator,
            "IRSForge.Csa:Csa",
            contract_id,
            "PublishMark",
            argument,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let mut expired_claims = ledger.claims(&["Operator"], &[]);
    expired_claims["exp"] = json!(ledger.now_seconds() - 10);
    let expired = ledger.sign(&expired_claims);
    let forged = hs256_token("wrong-secret", &ledger.claims(&["Operator"], &[]));
    for token in [&expired, &forged] {
        let (status, _) = ledger
            .post(
                "/v1/query",
                Some(token),
                &json!({"templateIds": ["IRSForge.Csa:Csa"]}),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let sandbox_url = ledger.sandbox.base_url();
    ledger.stop().await;

    let events = captured.events();
    for expected in [
        "world_seeded",
        "sandbox_started",
        "contract_created",
        "choice_exercised",
        "command_rejected",
        "request_rejected",
        "sandbox_stopped",
    ] {
        assert!(
            events.iter().any(|e| e == expected),
            "no {expected} in {events:?}"
        );
    }
    let text = captured.text();
    assert!(
        text.contains(&sandbox_url.replace("http://", "")),
        "the address is logged"
    );
    assert!(!text.contains(SECRET), "the secret leaked into the logs");
    for token in [&operator, &expired, &forged] {
        let signature = token.rsplit('.').next().unwrap();
        assert!(!text.contains(signature), "a token leaked into the logs");
    }
    // One naming convention for every field: camelCase (`contractId`, `actAs`, `authMode`).
    for line in text.lines() {
        let line: Value = serde_json::from_str(line).unwrap();
        for field in line.as_object().unwrap().keys() {
            assert!(
                field.starts_with(|c: char| c.is_ascii_lowercase())
                    && field.chars().all(|c| c.is_ascii_alphanumeric()),
                "field {field:?} is not camelCase: {line}"
            );
        }
    }
    let exercised = text
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .find(|line| line["event"] == "choice_exercised")
        .unwrap();
    assert_eq!(exercised["contractId"], contract_id, "{exercised}");
}

#[tokio::test]
async fn jwks_fetches_and_rate_limiting_are_logged() {
    let captured = Captured::default();
    let _guard = captured.install();
    let keys = rsa_keys();
    let server = JwksServer::start(vec![jwk(&keys[0], "k1")]).await;
    let mut options = SandboxOptions::jwks(server.url.clone());
    options.application_id = Some(APPLICATION_ID.into());
    options.jwks.refetch_interval = Duration::from_secs(5);
    let ledger = TestLedger::start(
        options,
        Signer::Rs256 {
            kid: "k1".into(),
            key: &keys[0],
        },
    )
    .await;
    let claims = ledger.claims(&["Operator"], &[]);
    for kid in ["k1", "bogus"] {
        let token = rs256_token(&keys[0], Some(kid), &claims);
        ledger
            .post(
                "/v1/query",
                Some(&token),
                &json!({"templateIds": ["IRSForge.Csa:Csa"]}),
            )
            .await;
    }
    server.stop().await;
    ledger.advance(5);
    let token = rs256_token(&keys[0], Some("other"), &claims);
    ledger
        .post(
            "/v1/query",
            Some(&token),
            &json!({"templateIds": ["IRSForge.Csa:Csa"]}),
        )
        .await;
    ledger.stop().await;
    let events = captured.events();
    for expected in [
        "jwks_refetched",
        "jwks_refetch_rate_limited",
        "jwks_fetch_failed",
    ] {
        assert!(
            events.iter().any(|e| e == expected),
            "no {expected} in {events:?}"
        );
    }
}
