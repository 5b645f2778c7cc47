//! The demo profile against the workspace's ledger sandbox (HS256 mode): the bootstrap finds
//! the seeded parties with an admin token, and the services' ticks read the ledger with the
//! tokens it minted. The builtin profile against auth and the sandbox together is the
//! workspace end-to-end tests' business.

use std::time::Duration;

use ledger_sandbox::{Sandbox, SandboxOptions};
use oracle::{OracleOptions, start};
use shared_config::MapEnv;

use crate::support::demo_config;

#[tokio::test]
async fn demo_tokens_resolve_and_read_on_the_sandbox() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sandbox = Sandbox::start(listener, SandboxOptions::hs256("secret")).unwrap();
    let config = demo_config(&sandbox.base_url());
    let env = MapEnv::new([("MARK_PUBLISHER_CRON", "* * * * * *")]);
    let running = start(&config, &env, OracleOptions::default())
        .await
        .unwrap();

    let operator = sandbox.snapshot().party("Operator").unwrap().to_owned();
    let token = running
        .token("mark-publisher")
        .unwrap()
        .get_token()
        .await
        .unwrap();
    let claims: ledger_types::LedgerJwtClaims =
        jsonwebtoken::dangerous::insecure_decode_claims(token.expose()).unwrap();
    assert_eq!(claims.ledger_api.act_as, [operator]);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let metrics = running.render_metrics();
        let completed: u64 = metrics
            .lines()
            .find_map(|line| {
                line.strip_prefix("oracle_ticks_completed_total{cron=\"mark-publisher\"} ")
            })
            .and_then(|value| value.parse().ok())
            .unwrap_or(0);
        if completed >= 1 {
            assert!(!metrics.contains("oracle_ticks_failed_total"), "{metrics}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no tick completed:\n{metrics}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    running.shutdown().await;
    sandbox.shutdown().await.unwrap();
}
