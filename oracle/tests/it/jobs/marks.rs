//! The mark-publisher on the sandbox: WORLD.md's worked example end to end, agreement with
//! the pricing of the ledger's own state, one mark per fire, and the scheduler's token refused.

use std::sync::Arc;
use std::time::Duration;

use ledger_types::lf::{Numeric, Timestamp};
use oracle::jobs::MarkPublisher;
use oracle::jobs::world::{Csa, Curve, StableView, Swap};
use oracle::schedule::{CronStats, CronTask};
use oracle::token::resolve_service_token;
use serde::Deserialize;
use serde_json::{Value, json};
use service_runtime::clock::SystemClock;
use service_runtime::report::Chain;
use shared_config::{CronSchedule, MapEnv};
use swap_pricing::price_netting_set;
use tokio_util::sync::CancellationToken;

use super::{CSA_ID, World, at, client, run_on};
use crate::support::demo_config;
use crate::support::fake_ledger::FakeLedger;
use crate::support::logs::LogCapture;

const MARK: &str = "IRSForge.Mark:MarkToMarket";

fn decimal(value: &Value) -> f64 {
    Numeric::deserialize(value).unwrap().to_f64()
}

#[tokio::test]
async fn the_first_mark_is_world_mds_worked_example() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let world = World::start().await;

    let report = world
        .run(&MarkPublisher, &world.operator, at(0))
        .await
        .unwrap();

    assert_eq!(report.ledger_effects, 1);
    assert_eq!(report.contracts_seen, 6, "one CSA, one curve, four swaps");
    let [mark] = <[Value; 1]>::try_from(world.payloads(MARK)).unwrap();
    assert_eq!(mark["csaId"], CSA_ID);
    assert_eq!(mark["asOf"], "2026-01-05T09:00:00Z");
    assert_eq!(mark["exposure"], "-1873740.85");
    assert_eq!(mark["callAmount"], "-1630000.0");
    assert_eq!(mark["collateralBalance"], "0.0");
    let csa = world.csa();
    assert_eq!(csa["lastMarkAsOf"], "2026-01-05T09:00:00Z");
    assert_eq!(csa["unsettledCall"], "-1630000.0");

    let published = logs.named("mark_published");
    assert_eq!(published.len(), 1);
    assert_eq!(published[0]["csa"], CSA_ID);
    assert_eq!(published[0]["exposure"], "-1873740.85");
    assert_eq!(published[0]["call"], "-1630000.0");
    assert_eq!(published[0]["level"], "INFO");
    world.stop().await;
}

#[tokio::test]
async fn the_mark_is_the_pricing_of_the_ledgers_own_state() {
    let world = World::start().await;
    let csa = Csa::decode(&world.contracts("IRSForge.Csa:Csa")[0]).unwrap();
    let curve = Curve::decode(&world.contracts("IRSForge.Curve:DiscountCurve")[0]).unwrap();
    let swaps: Vec<Swap> = world
        .contracts("IRSForge.Swap:Swap")
        .iter()
        .map(|contract| Swap::decode(contract).unwrap())
        .collect();
    let netting_set = swaps
        .iter()
        .map(|swap| (&swap.terms, swap.side_of(&csa.party_a).unwrap()));
    let valuation = Timestamp::from_datetime(at(55)).unwrap();
    let expected = price_netting_set(
        &curve.curve,
        netting_set,
        &csa.collateral_terms(),
        valuation,
    )
    .unwrap();

    world
        .run(&MarkPublisher, &world.operator, at(55))
        .await
        .unwrap();

    let [mark] = <[Value; 1]>::try_from(world.payloads(MARK)).unwrap();
    assert_eq!(mark["asOf"], "2026-01-05T09:00:55Z");
    assert_eq!(mark["exposure"], expected.published_exposure.to_string());
    assert_eq!(mark["callAmount"], expected.call_amount.to_string());
    // Between WORLD.md's figures at T and T + 60 s.
    let exposure = decimal(&mark["exposure"]);
    assert!(
        (-1_873_742.48..=-1_873_740.84).contains(&exposure),
        "{exposure}"
    );
    world.stop().await;
}

#[tokio::test]
async fn each_fire_publishes_at_most_once() {
    let world = World::start().await;
    let first = world
        .run(&MarkPublisher, &world.operator, at(55))
        .await
        .unwrap();
    let again = world
        .run(&MarkPublisher, &world.operator, at(55))
        .await
        .unwrap();
    let earlier = world
        .run(&MarkPublisher, &world.operator, at(30))
        .await
        .unwrap();
    assert_eq!(first.ledger_effects, 1);
    assert_eq!(again.ledger_effects, 0, "the same fire again");
    assert_eq!(earlier.ledger_effects, 0, "a fire older than the last mark");
    assert_eq!(world.payloads(MARK).len(), 1);
    let later = world
        .run(&MarkPublisher, &world.operator, at(56))
        .await
        .unwrap();
    assert_eq!(later.ledger_effects, 1, "a later fire marks again");
    assert_eq!(world.payloads(MARK).len(), 2);
    world.stop().await;
}

#[tokio::test]
async fn after_the_first_call_settles_the_next_mark_calls_nothing() {
    let world = World::start().await;
    world
        .run(&MarkPublisher, &world.operator, at(0))
        .await
        .unwrap();
    let settled = world
        .run(&oracle::jobs::SettleNet, &world.scheduler, at(30))
        .await
        .unwrap();
    assert_eq!(settled.ledger_effects, 1);

    world
        .run(&MarkPublisher, &world.operator, at(60))
        .await
        .unwrap();

    let marks = world.payloads(MARK);
    let latest = marks
        .iter()
        .find(|mark| mark["asOf"] == "2026-01-05T09:01:00Z")
        .unwrap();
    assert!(
        (decimal(&latest["exposure"]) - -1_873_742.47).abs() < 0.05,
        "{latest}"
    );
    assert_eq!(latest["collateralBalance"], "-1630000.0");
    assert_eq!(
        latest["callAmount"], "0.0",
        "a 6,257.5 delta is below the MTA"
    );
    assert_eq!(world.csa()["unsettledCall"], "0.0");
    world.stop().await;
}

#[tokio::test]
async fn a_stale_mark_refusal_is_nothing_to_do() {
    // The ledger's own STALE_MARK answer, replayed by a fake that still shows the CSA unmarked
    // (as a ledger would to a job that read it just before another replica marked it).
    let world = World::start().await;
    let contracts: Vec<Value> = ["IRSForge.Csa:Csa", "IRSForge.Curve:DiscountCurve"]
        .into_iter()
        .flat_map(|template| world.contracts(template))
        .map(|contract| serde_json::to_value(contract).unwrap())
        .collect();
    world
        .run(&MarkPublisher, &world.operator, at(10))
        .await
        .unwrap();
    let csa = Csa::decode(&world.contracts("IRSForge.Csa:Csa")[0]).unwrap();
    let refusal = reqwest::Client::new()
        .post(format!("{}/v1/exercise", world.sandbox.base_url()))
        .bearer_auth(world.operator.expose())
        .json(&json!({
            "templateId": csa.template_id(),
            "contractId": csa.contract_id(),
            "choice": "PublishMark",
            "argument": {"asOf": "2026-01-05T09:00:10Z", "exposure": "0.0", "callAmount": "0.0"},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(refusal.status(), 400);
    let refusal: Value = refusal.json().await.unwrap();
    assert!(
        refusal.to_string().contains("User abort: STALE_MARK"),
        "{refusal}"
    );

    let fake = FakeLedger::start("unused", json!([])).await;
    fake.answer_with(move |call| match call.path.as_str() {
        "/v1/query" => (200, json!({"status": 200, "result": contracts})),
        _ => (400, refusal.clone()),
    });
    let report = run_on(&client(&fake.url), &MarkPublisher, &world.operator, at(5))
        .await
        .unwrap();
    assert_eq!(report.ledger_effects, 0);
    assert_eq!(fake.calls_to("/v1/exercise").len(), 1);
    world.stop().await;
}

#[tokio::test]
async fn the_schedulers_token_is_refused_for_publish_mark() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let world = World::start().await;

    let error = world
        .run(&MarkPublisher, &world.scheduler, at(55))
        .await
        .unwrap_err();
    assert_eq!(error.reason(), "choice_not_authorized");
    let message = Chain(&error).to_string();
    assert!(
        message.contains("PublishMark on CSA CSA-AB-001")
            && message.contains("DAML_AUTHORIZATION_ERROR"),
        "{message}"
    );
    assert!(world.payloads(MARK).is_empty());
    let failed = logs.named("contract_failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["stableId"], CSA_ID);

    // Through the cron runner, as a misconfigured deployment would run it: the tick fails,
    // logged as tick_failed with the reason, and the runner carries on.
    let config = demo_config(&world.sandbox.base_url());
    let env = MapEnv::new([("SERVICE_TOKEN_MARK_PUBLISHER", world.scheduler.expose())]);
    let handle = resolve_service_token("mark-publisher", &config, &env)
        .await
        .unwrap();
    let task = CronTask {
        name: "mark-publisher".into(),
        schedule: CronSchedule::parse("* * * * * *").unwrap(),
        job: Arc::new(MarkPublisher),
        token: handle.clone(),
        ledger: world.ledger.clone(),
        tick_timeout: Duration::from_secs(10),
        clock: Arc::new(SystemClock),
        stats: Arc::new(CronStats::default()),
    };
    let cancel = CancellationToken::new();
    let runner = tokio::spawn(task.run(cancel.clone()));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while logs.named("tick_failed").is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "no tick_failed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    cancel.cancel();
    runner.await.unwrap();
    handle.stop().await;
    let failed = &logs.named("tick_failed")[0];
    assert_eq!(failed["cron"], "mark-publisher");
    assert_eq!(failed["reason"], "choice_not_authorized");
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("1 of 1 CSAs failed"),
        "{failed}"
    );
    assert!(world.payloads(MARK).is_empty());
    world.stop().await;
}
