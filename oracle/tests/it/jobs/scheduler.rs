//! The scheduler's jobs on the sandbox: trigger, settle-net and mature make their ledger
//! effects once, log them, and take the ledger's "nothing to do" answers as success.

use oracle::jobs::{MarkPublisher, Mature, SettleNet, TriggerLifecycle};
use serde_json::Value;

use super::{CSA_ID, World, at};
use crate::support::logs::LogCapture;

const EFFECT: &str = "IRSForge.Lifecycle:LifecycleEffect";
const SETTLEMENT: &str = "IRSForge.Settlement:NetSettlement";
const MATURED: &str = "IRSForge.Lifecycle:MaturedSwap";

fn period_indices(world: &World, swap_id: &str) -> Vec<String> {
    world
        .payloads(EFFECT)
        .iter()
        .filter(|effect| effect["swapId"] == swap_id)
        .map(|effect| effect["periodIndex"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn trigger_lifecycles_every_period_that_has_ended_once() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let world = World::start().await;

    let report = world
        .run(&TriggerLifecycle, &world.scheduler, at(55))
        .await
        .unwrap();

    // At T + 55 s: IRS-SHORT-50S's three periods (ends T+20, T+40, T+50) and IRS-SHORT-5M's
    // first (ends T+30) have ended; the long swaps have nothing due.
    assert_eq!(report.ledger_effects, 2);
    assert_eq!(period_indices(&world, "IRS-SHORT-50S"), ["0", "1", "2"]);
    assert_eq!(period_indices(&world, "IRS-SHORT-5M"), ["0"]);
    assert_eq!(world.payloads(EFFECT).len(), 4);
    let next = |swap_id: &str| world.swap(swap_id).unwrap()["nextPeriodIndex"].clone();
    assert_eq!(next("IRS-SHORT-50S"), "3");
    assert_eq!(next("IRS-SHORT-5M"), "1");
    assert_eq!(next("IRS-5Y"), "0");

    let triggered = logs.named("lifecycle_triggered");
    let swaps: Vec<&Value> = triggered.iter().map(|line| &line["swap"]).collect();
    assert_eq!(swaps, ["IRS-SHORT-50S", "IRS-SHORT-5M"]);
    assert_eq!(triggered[0]["effect"], 3);
    assert_eq!(triggered[0]["periods"], "0,1,2");
    assert_eq!(triggered[0]["nextPeriodIndex"], "3");

    let again = world
        .run(&TriggerLifecycle, &world.scheduler, at(55))
        .await
        .unwrap();
    assert_eq!(again.ledger_effects, 0);
    assert_eq!(world.payloads(EFFECT).len(), 4);
    assert_eq!(logs.named("lifecycle_triggered").len(), 2);
    world.stop().await;
}

#[tokio::test]
async fn nothing_due_on_the_ledger_is_success_without_effect() {
    let world = World::start().await;
    // The job's clock says T + 55 s; the ledger's says T + 10 s: no period has ended there.
    world.clock.set(at(10));

    let report = world
        .run(&TriggerLifecycle, &world.scheduler, at(55))
        .await
        .unwrap();

    assert_eq!(report.ledger_effects, 0);
    assert!(world.payloads(EFFECT).is_empty());
    assert_eq!(world.swap("IRS-SHORT-50S").unwrap()["nextPeriodIndex"], "0");
    world.stop().await;
}

#[tokio::test]
async fn settle_net_moves_the_call_into_the_balance_once() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let world = World::start().await;
    let nothing_yet = world
        .run(&SettleNet, &world.scheduler, at(55))
        .await
        .unwrap();
    assert_eq!(nothing_yet.ledger_effects, 0, "no mark, no call");
    world
        .run(&MarkPublisher, &world.operator, at(0))
        .await
        .unwrap();

    let report = world
        .run(&SettleNet, &world.scheduler, at(55))
        .await
        .unwrap();

    assert_eq!(report.ledger_effects, 1);
    let [settlement] = <[Value; 1]>::try_from(world.payloads(SETTLEMENT)).unwrap();
    assert_eq!(settlement["amount"], "-1630000.0");
    assert_eq!(settlement["balanceBefore"], "0.0");
    assert_eq!(settlement["balanceAfter"], "-1630000.0");
    assert_eq!(settlement["markAsOf"], "2026-01-05T09:00:00Z");
    let csa = world.csa();
    assert_eq!(csa["collateralBalance"], "-1630000.0");
    assert_eq!(csa["unsettledCall"], "0.0");
    let settled = logs.named("net_settled");
    assert_eq!(settled.len(), 1);
    assert_eq!(settled[0]["csa"], CSA_ID);
    assert_eq!(settled[0]["amount"], "-1630000.0");

    let again = world
        .run(&SettleNet, &world.scheduler, at(56))
        .await
        .unwrap();
    assert_eq!(again.ledger_effects, 0);
    assert_eq!(world.payloads(SETTLEMENT).len(), 1);
    world.stop().await;
}

#[tokio::test]
async fn mature_archives_the_matured_swap_with_its_last_periods() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let world = World::start().await;

    let report = world.run(&Mature, &world.scheduler, at(55)).await.unwrap();

    assert_eq!(report.ledger_effects, 1);
    assert!(world.swap("IRS-SHORT-50S").is_none(), "archived");
    assert!(world.swap("IRS-SHORT-5M").is_some());
    let [matured] = <[Value; 1]>::try_from(world.payloads(MATURED)).unwrap();
    assert_eq!(matured["swapId"], "IRS-SHORT-50S");
    assert_eq!(matured["maturedAt"], "2026-01-05T09:00:55Z");
    // Nothing was triggered before: maturing lifecycled all three periods.
    assert_eq!(period_indices(&world, "IRS-SHORT-50S"), ["0", "1", "2"]);
    let logged = logs.named("instrument_matured");
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["swap"], "IRS-SHORT-50S");
    assert_eq!(logged[0]["finalPeriods"], 3);

    let again = world.run(&Mature, &world.scheduler, at(55)).await.unwrap();
    assert_eq!(again.ledger_effects, 0);
    assert_eq!(world.payloads(MATURED).len(), 1);
    world.stop().await;
}

#[tokio::test]
async fn not_matured_on_the_ledger_is_success_without_effect() {
    let world = World::start().await;
    world.clock.set(at(45));

    let report = world.run(&Mature, &world.scheduler, at(55)).await.unwrap();

    assert_eq!(report.ledger_effects, 0);
    assert!(world.swap("IRS-SHORT-50S").is_some());
    assert!(world.payloads(MATURED).is_empty());
    world.stop().await;
}
