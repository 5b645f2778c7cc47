//! Both profiles end to end: the services acquire their tokens and do their jobs on the ledger.

use std::time::Duration;

use irsforge::{Profile, Stack};

use crate::support::{CSA, EFFECT, MARK, MATURED, SETTLEMENT, count, log_lines, options, wait_for};

async fn every_service_does_its_job(stack: &Stack) {
    let snapshot = wait_for(stack, Duration::from_secs(30), |s| {
        count(s, MARK) >= 1
            && count(s, EFFECT) >= 1
            && count(s, SETTLEMENT) >= 1
            && count(s, MATURED) >= 1
    })
    .await;
    // The mark was priced, not made up: the seeded netting set is worth about −1.87 million
    // to PartyA, so the first call asks PartyA to deliver collateral.
    let mark = &snapshot.contracts_of(MARK)[0].payload;
    let exposure: f64 = mark["exposure"].as_str().unwrap().parse().unwrap();
    assert!(
        (-1_900_000.0..-1_850_000.0).contains(&exposure),
        "exposure {exposure}"
    );
    let csa = &snapshot.contracts_of(CSA)[0].payload;
    let balance: f64 = csa["collateralBalance"].as_str().unwrap().parse().unwrap();
    assert!(
        balance < 0.0,
        "the settled call moved collateral to PartyB's side: {balance}"
    );
    let matured = &snapshot.contracts_of(MATURED)[0].payload;
    assert_eq!(matured["swapId"], "IRS-SHORT-50S");
    // Each effect was logged under the name operators alert on.
    let events: Vec<String> = log_lines()
        .iter()
        .filter_map(|line| line["event"].as_str().map(str::to_owned))
        .collect();
    for event in [
        "service_token_acquired",
        "scheduler_service_started",
        "mark_published",
        "lifecycle_triggered",
        "net_settled",
        "instrument_matured",
    ] {
        assert!(
            events.iter().any(|e| e == event),
            "no `{event}` line was logged"
        );
    }
    assert_fields_are_camel_case(&log_lines());
}

/// One naming convention for every structured field of every service: camelCase; `event`
/// values are snake_case.
fn assert_fields_are_camel_case(lines: &[serde_json::Value]) {
    for line in lines {
        if let Some(event) = line["event"].as_str() {
            assert!(
                event.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "event {event:?} is not snake_case"
            );
        }
        for field in line.as_object().unwrap().keys() {
            assert!(
                field.starts_with(|c: char| c.is_ascii_lowercase())
                    && field.chars().all(|c| c.is_ascii_alphanumeric()),
                "field {field:?} is not camelCase: {line}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builtin_profile_runs_the_whole_chain() {
    let (_dir, options) = options(Profile::Builtin);
    let stack = Stack::start(options).await.unwrap();
    for account in ["mark-publisher", "scheduler"] {
        let handle = stack
            .oracle
            .token(account)
            .expect("both services hold a token");
        let token = handle.get_token().await.unwrap();
        let claims = jsonwebtoken::dangerous::insecure_decode::<serde_json::Value>(token.expose())
            .unwrap()
            .claims;
        assert_eq!(claims["sub"], format!("service:{account}"));
        assert_eq!(
            jsonwebtoken::decode_header(token.expose()).unwrap().alg,
            jsonwebtoken::Algorithm::RS256
        );
    }
    every_service_does_its_job(&stack).await;
    let issued: Vec<serde_json::Value> = log_lines()
        .into_iter()
        .filter(|line| line["event"] == "token_issued")
        .collect();
    assert!(
        issued.iter().any(|line| line["accountId"] == "scheduler"),
        "token_issued names the account as accountId: {issued:?}"
    );
    stack.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_profile_runs_without_an_auth_service() {
    let (_dir, options) = options(Profile::Demo);
    let stack = Stack::start(options).await.unwrap();
    assert!(stack.auth.is_none());
    let token = stack
        .oracle
        .token("scheduler")
        .unwrap()
        .get_token()
        .await
        .unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(token.expose()).unwrap().alg,
        jsonwebtoken::Algorithm::HS256
    );
    every_service_does_its_job(&stack).await;
    stack.shutdown().await.unwrap();
}
