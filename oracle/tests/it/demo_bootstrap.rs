//! Branch 2 of the resolver against a fake participant: the admin bootstrap token, hint →
//! qualified id, readAs = every party, no admin right in the service token, and the failures.

use std::time::Duration;

use oracle::token::TokenSourceKind;
use oracle::{FailureReason, resolve_service_token};
use serde_json::{Value, json};
use shared_config::MapEnv;

use crate::support::fake_ledger::FakeLedger;
use crate::support::logs::LogCapture;
use crate::support::{FP, demo_config};

fn parties() -> Value {
    json!([
        {"identifier": format!("sandbox::{FP}"), "isLocal": true},
        {"identifier": format!("Operator::{FP}"), "displayName": "IRSForge Operator", "isLocal": true},
        {"identifier": format!("Scheduler::{FP}"), "isLocal": true},
        {"identifier": format!("PartyA::{FP}"), "displayName": "Alpha Bank", "isLocal": true},
        {"identifier": format!("party-7f3c::{FP}"), "displayName": "Night Batch", "isLocal": true}
    ])
}

fn all_ids(parties: &Value) -> Vec<String> {
    parties
        .as_array()
        .unwrap()
        .iter()
        .map(|party| party["identifier"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn bootstraps_with_an_admin_token_and_signs_the_qualified_party() {
    let ledger = FakeLedger::start("secret", parties()).await;
    let config = demo_config(&ledger.url);
    let handle = resolve_service_token("mark-publisher", &config, &MapEnv::default())
        .await
        .unwrap();
    assert_eq!(handle.status().source, TokenSourceKind::Demo);

    let listing = ledger.calls_to("/v1/parties");
    assert_eq!(listing.len(), 1);
    let admin = ledger
        .verify(listing[0].token.as_deref().unwrap())
        .expect("the bootstrap token is HS256 with daml.unsafeJwtSecret");
    assert!(
        admin.ledger_api.admin,
        "GET /v1/parties needs an admin token"
    );
    assert!(admin.ledger_api.act_as.is_empty() && admin.ledger_api.read_as.is_empty());
    assert_eq!(admin.ledger_api.ledger_id.as_deref(), Some("sandbox"));
    assert_eq!(admin.ledger_api.application_id.as_deref(), Some("IRSForge"));
    assert_eq!(admin.exp.unwrap() - admin.iat.unwrap(), 60);

    let token = handle.get_token().await.unwrap();
    let claims = ledger.verify(token.expose()).unwrap();
    assert_eq!(claims.ledger_api.act_as, [format!("Operator::{FP}")]);
    assert_eq!(claims.ledger_api.read_as, all_ids(&parties()));
    assert!(
        !claims.ledger_api.admin,
        "the service token carries no admin right"
    );
    assert_eq!(claims.ledger_api.ledger_id.as_deref(), Some("sandbox"));
    assert_eq!(
        claims.ledger_api.application_id.as_deref(),
        Some("IRSForge")
    );
    assert_eq!(claims.sub.as_deref(), Some("service:mark-publisher"));
    assert_eq!(claims.exp.unwrap() - claims.iat.unwrap(), 900);
    handle.stop().await;
}

#[tokio::test]
async fn the_scheduler_hint_comes_from_the_config_and_may_match_a_display_name() {
    let ledger = FakeLedger::start("secret", parties()).await;
    let mut config = demo_config(&ledger.url);
    let handle = resolve_service_token("scheduler", &config, &MapEnv::default())
        .await
        .unwrap();
    let claims = ledger
        .verify(handle.get_token().await.unwrap().expose())
        .unwrap();
    assert_eq!(claims.ledger_api.act_as, [format!("Scheduler::{FP}")]);
    handle.stop().await;

    config.parties.scheduler_party_hint = "Night Batch".into();
    let handle = resolve_service_token("scheduler", &config, &MapEnv::default())
        .await
        .unwrap();
    let claims = ledger
        .verify(handle.get_token().await.unwrap().expose())
        .unwrap();
    assert_eq!(claims.ledger_api.act_as, [format!("party-7f3c::{FP}")]);
    handle.stop().await;
}

#[tokio::test]
async fn failures_say_what_to_check() {
    let ledger =
        FakeLedger::start("secret", json!([{"identifier": format!("PartyA::{FP}")}])).await;
    let config = demo_config(&ledger.url);
    let error = resolve_service_token("mark-publisher", &config, &MapEnv::default())
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "no party with hint or display name `Operator` on the ledger at {} (1 parties \
             listed): the ledger is unreachable or the party is not allocated",
            ledger.url
        )
    );

    let wrong_secret = FakeLedger::start("not-the-configured-secret", parties()).await;
    let config = demo_config(&wrong_secret.url);
    let error = resolve_service_token("mark-publisher", &config, &MapEnv::default())
        .await
        .unwrap_err();
    assert_eq!(error.reason(), FailureReason::Rejected);
    assert!(
        error
            .to_string()
            .contains("is daml.unsafeJwtSecret the participant's HS256 secret"),
        "{error}"
    );

    let config = demo_config("http://127.0.0.1:9");
    let error = resolve_service_token("scheduler", &config, &MapEnv::default())
        .await
        .unwrap_err();
    assert_eq!(error.reason(), FailureReason::Network);
    assert!(
        error
            .to_string()
            .contains("the party `Scheduler` cannot be resolved until the ledger answers"),
        "{error}"
    );

    let error = resolve_service_token("risk-feed", &config, &MapEnv::default())
        .await
        .unwrap_err();
    assert_eq!(error.reason(), FailureReason::Configuration);
}

#[tokio::test(start_paused = true)]
async fn each_refresh_repeats_the_bootstrap_and_survives_a_ledger_outage() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let ledger = FakeLedger::start("secret", parties()).await;
    let config = demo_config(&ledger.url);
    let handle = resolve_service_token("mark-publisher", &config, &MapEnv::default())
        .await
        .unwrap();
    let first = handle.get_token().await.unwrap();

    // A party allocated since boot appears in readAs after the refresh at 80 % (720 s).
    let mut grown = parties();
    grown
        .as_array_mut()
        .unwrap()
        .push(json!({"identifier": format!("PartyB::{FP}"), "isLocal": true}));
    ledger.set_parties(grown.clone());
    tokio::time::sleep(Duration::from_secs(721)).await;
    let second = handle.get_token().await.unwrap();
    assert_ne!(first, second);
    assert_eq!(
        ledger.verify(second.expose()).unwrap().ledger_api.read_as,
        all_ids(&grown)
    );
    assert_eq!(ledger.calls_to("/v1/parties").len(), 2);

    // With the ledger gone, the next refresh re-signs with the parties found before.
    drop(ledger);
    tokio::time::sleep(Duration::from_secs(721)).await;
    // (The wall clock has not moved under the paused tokio clock, so the re-signed token may
    // be byte-identical to the last; the refresh count shows it was re-signed.)
    let third = handle.get_token().await.unwrap();
    let verifier = FakeLedger::start("secret", json!([])).await;
    let claims = verifier.verify(third.expose()).unwrap();
    assert_eq!(claims.ledger_api.act_as, [format!("Operator::{FP}")]);
    assert_eq!(claims.ledger_api.read_as, all_ids(&grown));
    assert_eq!(logs.named("demo_party_lookup_failed").len(), 1);
    assert_eq!(logs.named("service_token_refreshed").len(), 2);
    handle.stop().await;
}
