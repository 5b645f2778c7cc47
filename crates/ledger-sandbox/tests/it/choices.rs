//! The IRSForge choices: preconditions and effects, with the clock moved.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestLedger, assert_error, template};

const CSA: &str = "IRSForge.Csa:Csa";
const SWAP: &str = "IRSForge.Swap:Swap";

fn id(contract: &Value) -> String {
    contract["contractId"].as_str().unwrap().to_owned()
}

fn number(value: &Value) -> f64 {
    value.as_str().unwrap().parse().unwrap()
}

/// The created events of an exercise response, by template (`Module:Entity`).
fn created<'a>(response: &'a Value, module_entity: &str) -> Vec<&'a Value> {
    response["result"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|event| event.get("created"))
        .filter(|c| c["templateId"] == template(module_entity))
        .collect()
}

async fn publish(
    ledger: &TestLedger,
    csa_id: &str,
    as_of: &str,
    exposure: &str,
    call: &str,
) -> (StatusCode, Value) {
    let operator = ledger.token(&["Operator"], &["PartyA", "PartyB"]);
    let argument = json!({"asOf": as_of, "exposure": exposure, "callAmount": call});
    ledger
        .exercise(&operator, CSA, csa_id, "PublishMark", argument)
        .await
}

#[tokio::test]
async fn publish_mark_records_the_mark_and_rotates_the_csa() {
    let ledger = TestLedger::hs256().await;
    let operator = ledger.token(&["Operator"], &["PartyA", "PartyB"]);
    let csa = ledger.find(&operator, CSA, "csaId", "CSA-AB-001").await;
    let response = publish(
        &ledger,
        &id(&csa),
        "2026-01-05T09:00:10Z",
        "-1734021.44",
        "-1480000",
    )
    .await;
    assert_eq!(response.0, StatusCode::OK, "{}", response.1);
    let mark = created(&response.1, "IRSForge.Mark:MarkToMarket")[0];
    assert_eq!(mark["payload"]["csaId"], "CSA-AB-001");
    assert_eq!(mark["payload"]["asOf"], "2026-01-05T09:00:10Z");
    assert_eq!(mark["payload"]["exposure"], "-1734021.44");
    assert_eq!(mark["payload"]["callAmount"], "-1480000.0");
    assert_eq!(mark["payload"]["collateralBalance"], "0.0");
    assert_eq!(mark["signatories"], json!([ledger.party("Operator")]));
    let scheduler = ledger.token(&["Scheduler"], &[]);
    assert_eq!(
        ledger
            .query(&scheduler, "IRSForge.Mark:MarkToMarket")
            .await
            .len(),
        1
    );

    let rotated = ledger.find(&operator, CSA, "csaId", "CSA-AB-001").await;
    assert_ne!(id(&rotated), id(&csa));
    assert_eq!(rotated["payload"]["lastMarkAsOf"], "2026-01-05T09:00:10Z");
    assert_eq!(rotated["payload"]["lastMarkCid"], mark["contractId"]);
    assert_eq!(rotated["payload"]["unsettledCall"], "-1480000.0");

    // The old id is gone; a stale or duplicate asOf on the new id is refused.
    let response = publish(&ledger, &id(&csa), "2026-01-05T09:00:20Z", "0", "0").await;
    assert_error(&response, StatusCode::NOT_FOUND, "CONTRACT_NOT_FOUND");
    for as_of in ["2026-01-05T09:00:10Z", "2026-01-05T09:00:09Z"] {
        let response = publish(&ledger, &id(&rotated), as_of, "0", "0").await;
        assert_error(
            &response,
            StatusCode::BAD_REQUEST,
            "FAILED_PRECONDITION: DAML_INTERPRETATION_ERROR(9,",
        );
        assert_error(
            &response,
            StatusCode::BAD_REQUEST,
            "User abort: STALE_MARK: CSA CSA-AB-001",
        );
    }
    let response = publish(
        &ledger,
        &id(&rotated),
        "2026-01-05T09:00:20Z",
        "-1734000",
        "0",
    )
    .await;
    assert_eq!(response.0, StatusCode::OK, "{}", response.1);
    let latest = ledger.find(&operator, CSA, "csaId", "CSA-AB-001").await;
    assert_eq!(
        latest["payload"]["unsettledCall"], "0.0",
        "the latest mark supersedes"
    );
    ledger.stop().await;
}

#[tokio::test]
async fn publish_mark_checks_the_call_against_mta_and_rounding() {
    let ledger = TestLedger::hs256().await;
    let operator = ledger.token(&["Operator"], &[]);
    let csa = ledger.find(&operator, CSA, "csaId", "CSA-AB-001").await;
    // The seeded CSA: MTA 100000, rounding 10000.
    let response = publish(
        &ledger,
        &id(&csa),
        "2026-01-05T09:00:10Z",
        "400000",
        "90000",
    )
    .await;
    assert_error(
        &response,
        StatusCode::BAD_REQUEST,
        "INVALID_CALL: CSA CSA-AB-001: callAmount 90000.0 is non-zero but below the minimum transfer amount 100000.0",
    );
    let response = publish(
        &ledger,
        &id(&csa),
        "2026-01-05T09:00:10Z",
        "400000",
        "155000",
    )
    .await;
    assert_error(
        &response,
        StatusCode::BAD_REQUEST,
        "INVALID_CALL: CSA CSA-AB-001: callAmount 155000.0 is not a multiple of the rounding 10000.0",
    );
    let response = publish(
        &ledger,
        &id(&csa),
        "2026-01-05T09:00:10Z",
        "400000",
        "-160000",
    )
    .await;
    assert_eq!(response.0, StatusCode::OK, "{}", response.1);
    ledger.stop().await;
}

/// `docs/ledger-json-api.md` §3: the participant's spellings of numbers are read, finer time
/// digits dropped; an amount the ledger would have to round, or a local time, is refused.
#[tokio::test]
async fn arguments_are_read_as_a_participant_reads_them() {
    let ledger = TestLedger::hs256().await;
    let operator = ledger.token(&["Operator"], &[]);
    let csa = ledger.find(&operator, CSA, "csaId", "CSA-AB-001").await;
    let refused = [
        (
            "2026-01-05T09:00:10Z",
            "0.00000000001",
            "more than 10 decimal places",
        ),
        ("2026-01-05T09:00:10Z", "1 000", "expected a Numeric"),
        ("2026-01-05T10:00:10+01:00", "1", "the offset must be `Z`"),
    ];
    for (as_of, exposure, reason) in refused {
        let response = publish(&ledger, &id(&csa), as_of, exposure, "0").await;
        assert_error(&response, StatusCode::BAD_REQUEST, reason);
    }
    let response = publish(
        &ledger,
        &id(&csa),
        "2026-01-05T09:00:10.1234567Z",
        "-1.734e6",
        "-148e4",
    )
    .await;
    assert_eq!(response.0, StatusCode::OK, "{}", response.1);
    let mark = created(&response.1, "IRSForge.Mark:MarkToMarket")[0];
    assert_eq!(mark["payload"]["asOf"], "2026-01-05T09:00:10.123456Z");
    assert_eq!(mark["payload"]["exposure"], "-1734000.0");
    assert_eq!(mark["payload"]["callAmount"], "-1480000.0");
    let rotated = ledger.find(&operator, CSA, "csaId", "CSA-AB-001").await;
    let response = publish(
        &ledger,
        &id(&rotated),
        "2026-01-05T09:00:11Z",
        "-1734000.",
        "0.",
    )
    .await;
    assert_eq!(response.0, StatusCode::OK, "{}", response.1);
    let mark = created(&response.1, "IRSForge.Mark:MarkToMarket")[0];
    assert_eq!(mark["payload"]["exposure"], "-1734000.0");
    assert_eq!(mark["payload"]["callAmount"], "0.0");
    ledger.stop().await;
}

#[tokio::test]
async fn settle_net_moves_the_latest_call_into_the_balance_once() {
    let ledger = TestLedger::hs256().await;
    let scheduler = ledger.token(&["Scheduler"], &["Operator"]);
    let csa = ledger.find(&scheduler, CSA, "csaId", "CSA-AB-001").await;
    let response = ledger
        .exercise(
            &scheduler,
            CSA,
            &id(&csa),
            "SettleNetByScheduler",
            json!({}),
        )
        .await;
    assert_error(
        &response,
        StatusCode::BAD_REQUEST,
        "User abort: NOTHING_TO_SETTLE: CSA CSA-AB-001",
    );

    publish(
        &ledger,
        &id(&csa),
        "2026-01-05T09:00:10Z",
        "-1734021.44",
        "-1480000",
    )
    .await;
    let csa = ledger.find(&scheduler, CSA, "csaId", "CSA-AB-001").await;
    ledger.advance(30);
    let (status, response) = ledger
        .exercise(
            &scheduler,
            CSA,
            &id(&csa),
            "SettleNetByScheduler",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{response}");
    let settlement = created(&response, "IRSForge.Settlement:NetSettlement")[0];
    assert_eq!(settlement["payload"]["amount"], "-1480000.0");
    assert_eq!(settlement["payload"]["balanceBefore"], "0.0");
    assert_eq!(settlement["payload"]["balanceAfter"], "-1480000.0");
    assert_eq!(settlement["payload"]["markAsOf"], "2026-01-05T09:00:10Z");
    assert_eq!(settlement["payload"]["settledAt"], "2026-01-05T09:00:30Z");
    assert_eq!(
        response["result"]["exerciseResult"]["settlement"],
        settlement["contractId"]
    );

    let settled = ledger.find(&scheduler, CSA, "csaId", "CSA-AB-001").await;
    assert_eq!(settled["payload"]["collateralBalance"], "-1480000.0");
    assert_eq!(settled["payload"]["unsettledCall"], "0.0");
    let response = ledger
        .exercise(
            &scheduler,
            CSA,
            &id(&settled),
            "SettleNetByScheduler",
            json!({}),
        )
        .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "NOTHING_TO_SETTLE");
    let snapshot = ledger.sandbox.snapshot();
    assert_eq!(
        snapshot
            .contracts_of("IRSForge.Settlement:NetSettlement")
            .len(),
        1
    );
    ledger.stop().await;
}

#[tokio::test]
async fn trigger_processes_due_periods_and_says_nothing_due_otherwise() {
    let ledger = TestLedger::hs256().await;
    let scheduler = ledger.token(&["Scheduler"], &[]);
    let swap = ledger
        .find(&scheduler, SWAP, "swapId", "IRS-SHORT-50S")
        .await;
    let trigger = |contract_id: String| {
        let token = scheduler.clone();
        let ledger = &ledger;
        async move {
            ledger
                .exercise(
                    &token,
                    SWAP,
                    &contract_id,
                    "TriggerLifecycleByScheduler",
                    json!({}),
                )
                .await
        }
    };
    let response = trigger(id(&swap)).await;
    assert_error(
        &response,
        StatusCode::BAD_REQUEST,
        "User abort: NOTHING_DUE: swap IRS-SHORT-50S: period 0 ends at 2026-01-05T09:00:20Z, after ledger time 2026-01-05T09:00:00Z",
    );

    ledger.advance(20);
    let (status, response) = trigger(id(&swap)).await;
    assert_eq!(status, StatusCode::OK, "{response}");
    let effects = created(&response, "IRSForge.Lifecycle:LifecycleEffect");
    assert_eq!(effects.len(), 1);
    let effect = &effects[0]["payload"];
    assert_eq!(effect["periodIndex"], "0");
    assert_eq!(effect["periodStart"], "2026-01-05T09:00:00Z");
    assert_eq!(effect["periodEnd"], "2026-01-05T09:00:20Z");
    assert_eq!(effect["processedAt"], "2026-01-05T09:00:20Z");
    // Act/360 accrual and the fixed leg, to Numeric precision.
    let accrual = 20.0 / (360.0 * 86_400.0);
    assert!((number(&effect["accrualFraction"]) - accrual).abs() < 1e-10);
    assert!((number(&effect["fixedAmount"]) - 10_000_000.0 * 0.04 * accrual).abs() < 1e-9);
    // The float leg from the on-ledger curve: DF log-linear from 1 at asOf to the 30-day pillar.
    let curve = &ledger
        .query(&scheduler, "IRSForge.Curve:DiscountCurve")
        .await[0]["payload"];
    assert_eq!(curve["pillars"][0]["maturity"], "2026-02-04T09:00:00Z");
    let df_30d = number(&curve["pillars"][0]["discountFactor"]);
    let df_end = (df_30d.ln() * 20.0 / (30.0 * 86_400.0)).exp();
    let float = 10_000_000.0 * (1.0 / df_end - 1.0);
    assert!(
        (number(&effect["floatAmount"]) - float).abs() < 1e-6,
        "{effect}"
    );
    assert!((number(&effect["fixingRate"]) - (1.0 / df_end - 1.0) / accrual).abs() < 1e-9);
    let net = number(&effect["floatAmount"]) - number(&effect["fixedAmount"]);
    assert!((number(&effect["netToFixedPayer"]) - net).abs() < 1e-9);

    let advanced = created(&response, SWAP)[0];
    assert_eq!(advanced["payload"]["nextPeriodIndex"], "1");
    assert_eq!(
        response["result"]["exerciseResult"]["swap"],
        advanced["contractId"]
    );
    let response = trigger(id(&swap)).await;
    assert_error(&response, StatusCode::NOT_FOUND, "CONTRACT_NOT_FOUND");
    let response = trigger(id(advanced)).await;
    assert_error(&response, StatusCode::BAD_REQUEST, "NOTHING_DUE");

    // Two periods due at once are both processed.
    ledger.advance(30);
    let (status, response) = trigger(id(advanced)).await;
    assert_eq!(status, StatusCode::OK, "{response}");
    let effects = created(&response, "IRSForge.Lifecycle:LifecycleEffect");
    let indices: Vec<&Value> = effects
        .iter()
        .map(|e| &e["payload"]["periodIndex"])
        .collect();
    assert_eq!(indices, [&json!("1"), &json!("2")]);
    assert_eq!(effects[1]["payload"]["periodEnd"], "2026-01-05T09:00:50Z");
    let done = created(&response, SWAP)[0];
    assert_eq!(done["payload"]["nextPeriodIndex"], "3");
    let response = trigger(id(done)).await;
    assert_error(
        &response,
        StatusCode::BAD_REQUEST,
        "NOTHING_DUE: swap IRS-SHORT-50S: every period is processed",
    );
    ledger.stop().await;
}

#[tokio::test]
async fn mature_refuses_before_maturity_then_archives_and_records() {
    let ledger = TestLedger::hs256().await;
    let scheduler = ledger.token(&["Scheduler"], &[]);
    let swap = ledger
        .find(&scheduler, SWAP, "swapId", "IRS-SHORT-50S")
        .await;
    ledger.advance(49);
    let scheduler = ledger.token(&["Scheduler"], &[]);
    let response = ledger
        .exercise(&scheduler, SWAP, &id(&swap), "MatureByScheduler", json!({}))
        .await;
    assert_error(
        &response,
        StatusCode::BAD_REQUEST,
        "User abort: NOT_MATURED: swap IRS-SHORT-50S: maturityTime 2026-01-05T09:00:50Z is after ledger time 2026-01-05T09:00:49Z",
    );

    ledger.advance(1);
    let (status, response) = ledger
        .exercise(&scheduler, SWAP, &id(&swap), "MatureByScheduler", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{response}");
    // No period was triggered, so maturing settles all three.
    assert_eq!(
        created(&response, "IRSForge.Lifecycle:LifecycleEffect").len(),
        3
    );
    let matured = created(&response, "IRSForge.Lifecycle:MaturedSwap")[0];
    assert_eq!(matured["payload"]["swapId"], "IRS-SHORT-50S");
    assert_eq!(matured["payload"]["maturedAt"], "2026-01-05T09:00:50Z");
    assert_eq!(
        response["result"]["exerciseResult"]["matured"],
        matured["contractId"]
    );
    assert_eq!(
        response["result"]["events"][0]["archived"]["contractId"],
        swap["contractId"]
    );

    let swaps = ledger.query(&scheduler, SWAP).await;
    assert_eq!(swaps.len(), 3);
    assert!(
        swaps
            .iter()
            .all(|s| s["payload"]["swapId"] != "IRS-SHORT-50S")
    );
    let response = ledger
        .exercise(&scheduler, SWAP, &id(&swap), "MatureByScheduler", json!({}))
        .await;
    assert_error(&response, StatusCode::NOT_FOUND, "CONTRACT_NOT_FOUND");
    ledger.stop().await;
}

#[tokio::test]
async fn long_dated_swaps_have_nothing_due_at_the_start() {
    let ledger = TestLedger::hs256().await;
    ledger.advance(600);
    let scheduler = ledger.token(&["Scheduler"], &[]);
    for swap_id in ["IRS-5Y", "IRS-2Y"] {
        let swap = ledger.find(&scheduler, SWAP, "swapId", swap_id).await;
        let response = ledger
            .exercise(
                &scheduler,
                SWAP,
                &id(&swap),
                "TriggerLifecycleByScheduler",
                json!({}),
            )
            .await;
        assert_error(&response, StatusCode::BAD_REQUEST, "NOTHING_DUE");
        let response = ledger
            .exercise(&scheduler, SWAP, &id(&swap), "MatureByScheduler", json!({}))
            .await;
        assert_error(&response, StatusCode::BAD_REQUEST, "NOT_MATURED");
    }
    // The 5-minute swap has had ten 30-second periods end by now.
    let swap = ledger
        .find(&scheduler, SWAP, "swapId", "IRS-SHORT-5M")
        .await;
    let (status, response) = ledger
        .exercise(
            &scheduler,
            SWAP,
            &id(&swap),
            "TriggerLifecycleByScheduler",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{response}");
    assert_eq!(
        created(&response, "IRSForge.Lifecycle:LifecycleEffect").len(),
        10
    );
    ledger.stop().await;
}

#[tokio::test]
async fn lifecycle_without_a_curve_is_refused_and_changes_nothing() {
    let ledger = TestLedger::hs256().await;
    let operator = ledger.token(&["Operator"], &[]);
    let curve = &ledger
        .query(&operator, "IRSForge.Curve:DiscountCurve")
        .await[0];
    let (status, _) = ledger
        .exercise(
            &operator,
            "IRSForge.Curve:DiscountCurve",
            &id(curve),
            "Archive",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    ledger.advance(20);
    let scheduler = ledger.token(&["Scheduler"], &[]);
    let swap = ledger
        .find(&scheduler, SWAP, "swapId", "IRS-SHORT-50S")
        .await;
    let before = ledger.sandbox.snapshot();
    let response = ledger
        .exercise(
            &scheduler,
            SWAP,
            &id(&swap),
            "TriggerLifecycleByScheduler",
            json!({}),
        )
        .await;
    assert_error(&response, StatusCode::BAD_REQUEST, "NO_CURVE");
    assert_eq!(ledger.sandbox.snapshot(), before);
    ledger.stop().await;
}
