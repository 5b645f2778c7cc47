//! A contract id that rotates between a job's query and its exercise: the job re-queries by
//! stable id once and acts on what it finds; a second rotation fails the tick, and the next
//! fire succeeds.

use oracle::jobs::{MarkPublisher, TriggerLifecycle};
use serde_json::{Value, json};

use super::proxy::{Interference, Proxy};
use super::{CSA_ID, World, at, client, run_on};
use crate::support::logs::LogCapture;

const MARK: &str = "IRSForge.Mark:MarkToMarket";

/// The same contract, another choice.
fn on_same_contract(job_request: &Value, choice: &str, argument: Value) -> Value {
    json!({
        "templateId": job_request["templateId"],
        "contractId": job_request["contractId"],
        "choice": choice,
        "argument": argument,
    })
}

#[tokio::test]
async fn a_csa_settled_under_the_mark_publisher_is_requeried_and_repriced() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let world = World::start().await;
    world
        .run(&MarkPublisher, &world.operator, at(0))
        .await
        .unwrap();
    // Settle-net runs between the mark-publisher's query and its exercise.
    let proxy = Proxy::start(
        &world.sandbox.base_url(),
        Interference {
            choice: "PublishMark",
            times: 1,
            token: world.scheduler.clone(),
            exercise: Box::new(|request, _| {
                on_same_contract(request, "SettleNetByScheduler", json!({}))
            }),
        },
    )
    .await;

    let report = run_on(&client(&proxy.url), &MarkPublisher, &world.operator, at(60))
        .await
        .unwrap();

    assert_eq!(proxy.interferences().len(), 1);
    assert_eq!(
        proxy.interferences()[0].0,
        200,
        "{:?}",
        proxy.interferences()
    );
    assert_eq!(report.ledger_effects, 1);
    let marks = world.payloads(MARK);
    let latest = marks
        .iter()
        .find(|mark| mark["asOf"] == "2026-01-05T09:01:00Z")
        .unwrap();
    // Priced against the settled balance: without the re-query the job would have called
    // another 1.63 million on a CSA that already holds it.
    assert_eq!(latest["collateralBalance"], "-1630000.0");
    assert_eq!(latest["callAmount"], "0.0");
    let rotated = logs.named("contract_rotated");
    assert_eq!(rotated.len(), 1);
    assert_eq!(rotated[0]["stableId"], CSA_ID);
    assert_eq!(rotated[0]["choice"], "PublishMark");
    world.stop().await;
}

#[tokio::test]
async fn a_second_rotation_fails_the_tick_and_the_next_fire_succeeds() {
    let world = World::start().await;
    // Another publisher marks the CSA (at earlier instants) before each of the job's attempts.
    let proxy = Proxy::start(
        &world.sandbox.base_url(),
        Interference {
            choice: "PublishMark",
            times: 2,
            token: world.operator.clone(),
            exercise: Box::new(|request, count| {
                let as_of = ["2026-01-05T09:00:50Z", "2026-01-05T09:00:51Z"][count];
                let argument = json!({"asOf": as_of, "exposure": "0.0", "callAmount": "0.0"});
                on_same_contract(request, "PublishMark", argument)
            }),
        },
    )
    .await;
    let through_proxy = client(&proxy.url);

    let error = run_on(&through_proxy, &MarkPublisher, &world.operator, at(55))
        .await
        .unwrap_err();

    assert!(
        proxy
            .interferences()
            .iter()
            .all(|(status, _)| *status == 200)
    );
    assert_eq!(error.reason(), "contract_not_found");
    let line = service_runtime::report::Chain(&error).to_string();
    assert!(line.contains("PublishMark on CSA CSA-AB-001"), "{line}");
    assert_eq!(world.csa()["lastMarkAsOf"], "2026-01-05T09:00:51Z");

    let next_fire = run_on(&through_proxy, &MarkPublisher, &world.operator, at(56))
        .await
        .unwrap();
    assert_eq!(next_fire.ledger_effects, 1);
    assert_eq!(world.csa()["lastMarkAsOf"], "2026-01-05T09:00:56Z");
    world.stop().await;
}

#[tokio::test]
async fn a_swap_triggered_under_the_trigger_job_is_not_triggered_twice() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let world = World::start().await;
    // Another scheduler replica triggers the first due swap just before this job does.
    let proxy = Proxy::start(
        &world.sandbox.base_url(),
        Interference {
            choice: "TriggerLifecycleByScheduler",
            times: 1,
            token: world.scheduler.clone(),
            exercise: Box::new(|request, _| {
                on_same_contract(request, "TriggerLifecycleByScheduler", json!({}))
            }),
        },
    )
    .await;

    let report = run_on(
        &client(&proxy.url),
        &TriggerLifecycle,
        &world.scheduler,
        at(55),
    )
    .await
    .unwrap();

    assert_eq!(proxy.interferences()[0].0, 200);
    assert_eq!(
        report.ledger_effects, 1,
        "only IRS-SHORT-5M was left to this job"
    );
    assert_eq!(
        world.payloads("IRSForge.Lifecycle:LifecycleEffect").len(),
        4,
        "three periods of IRS-SHORT-50S and one of IRS-SHORT-5M, each once"
    );
    let rotated = logs.named("contract_rotated");
    assert_eq!(rotated.len(), 1);
    assert_eq!(rotated[0]["stableId"], "IRS-SHORT-50S");
    world.stop().await;
}
