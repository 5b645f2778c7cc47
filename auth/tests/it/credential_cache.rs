//! The verified-credential cache: a returning client is served without bcrypt and without
//! the bcrypt queue; a wrong secret always goes to bcrypt; reloads drop what changed; the
//! size and age bounds hold (paused clock, router driven in-process).

use std::net::SocketAddr;
use std::time::Duration;

use auth::AuthServer;
use axum::Router;
use tower::ServiceExt;

use crate::support::*;

/// A metric's value from `/metrics` (0 when absent).
async fn metric(server: &TestServer, name: &str) -> f64 {
    metric_in(&server.metrics().await, name)
}

const HITS: &str = "auth_credential_cache_hits_total";
const BCRYPT_RUNS: &str = "auth_bcrypt_verify_seconds_count";
const IN_FLIGHT: &str = "auth_token_requests_in_flight";

#[tokio::test]
async fn a_returning_client_is_served_while_the_bcrypt_queue_is_saturated() {
    let fixture = Fixture::new();
    // mark-publisher's costly hash keeps the single worker and its queue busy.
    let server = TestServer::start(fixture.saturable(MARK_PUBLISHER, 12)).await;
    server.token(SCHEDULER, SCHEDULER_SECRET).await;
    assert_eq!(metric(&server, BCRYPT_RUNS).await, 1.0);

    let mut flood = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let request = server.http.post(server.url("/auth/oauth/token")).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", MARK_PUBLISHER),
            ("client_secret", "slow-secret"),
        ]);
        flood.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    // Wait until the pool is saturated: one running, one queued, the rest waiting for room.
    let saturated = async {
        while metric(&server, IN_FLIGHT).await < 3.0 {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), saturated)
        .await
        .expect("the burst reaches the server");
    let token = server.token(SCHEDULER, SCHEDULER_SECRET).await;
    assert!(
        metric(&server, IN_FLIGHT).await >= 1.0,
        "served while the slow burst still holds the pool"
    );
    assert_eq!(metric(&server, HITS).await, 1.0);
    verify(&token, &server.jwks().await).unwrap();
    for status in flood.join_all().await {
        // The burst's own outcome: served, shed, or (on a loaded machine) timed out.
        assert!(matches!(status, 200 | 503 | 408), "{status}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_secret_never_uses_the_cache_and_is_never_cached() {
    let fixture = Fixture::new();
    let server = TestServer::start(fixture.options()).await;
    server.token(SCHEDULER, SCHEDULER_SECRET).await;
    for _ in 0..2 {
        assert_eq!(server.post_token(SCHEDULER, "wrong").await.status(), 401);
    }
    // Another account's real secret is wrong here too.
    assert_eq!(
        server
            .post_token(MARK_PUBLISHER, SCHEDULER_SECRET)
            .await
            .status(),
        401
    );
    assert_eq!(
        metric(&server, BCRYPT_RUNS).await,
        4.0,
        "each failure cost bcrypt"
    );
    assert_eq!(metric(&server, HITS).await, 0.0);
    server.token(SCHEDULER, SCHEDULER_SECRET).await;
    assert_eq!(metric(&server, HITS).await, 1.0);
    assert_eq!(metric(&server, BCRYPT_RUNS).await, 4.0);
    server.stop().await;
}

#[tokio::test]
async fn a_hash_removed_by_a_reload_stops_working_at_once_though_it_was_cached() {
    let fixture = Fixture::new();
    let next = "scheduler-secret-next";
    fixture.write_registry(&registry_yaml(&[
        (MARK_PUBLISHER, &[MARK_PUBLISHER_SECRET]),
        (SCHEDULER, &[SCHEDULER_SECRET, next]),
    ]));
    let server = TestServer::start(fixture.options()).await;
    for _ in 0..2 {
        server.token(SCHEDULER, SCHEDULER_SECRET).await;
        server.token(SCHEDULER, next).await;
    }
    assert_eq!(metric(&server, HITS).await, 2.0, "both secrets are cached");
    fixture.write_registry(&registry_yaml(&[
        (MARK_PUBLISHER, &[MARK_PUBLISHER_SECRET]),
        (SCHEDULER, &[next]),
    ]));
    server.reload.reload().await.unwrap().registry.unwrap();
    let (error, _) = oauth_error(server.post_token(SCHEDULER, SCHEDULER_SECRET).await, 401).await;
    assert_eq!(error, "invalid_client");
    server.token(SCHEDULER, next).await;
    server.stop().await;
}

#[tokio::test]
async fn a_reload_that_changes_an_ids_hashes_drops_its_entries_only() {
    let fixture = Fixture::new();
    let server = TestServer::start(fixture.options()).await;
    server.token(SCHEDULER, SCHEDULER_SECRET).await;
    server.token(MARK_PUBLISHER, MARK_PUBLISHER_SECRET).await;
    assert_eq!(metric(&server, BCRYPT_RUNS).await, 2.0);
    // scheduler gains a second hash (a rotation starts); mark-publisher's entry is untouched
    // by the reload (the file is rewritten, but its hash is re-read unchanged).
    let text = std::fs::read_to_string(&fixture.registry_path).unwrap();
    let text = text.replacen(
        "  - id: scheduler\n    clientSecretHashes:\n",
        &format!(
            "  - id: scheduler\n    clientSecretHashes:\n      - \"{}\"\n",
            hash("scheduler-secret-next")
        ),
        1,
    );
    fixture.write_registry(&text);
    server.reload.reload().await.unwrap().registry.unwrap();
    server.token(SCHEDULER, SCHEDULER_SECRET).await;
    assert_eq!(
        metric(&server, BCRYPT_RUNS).await,
        3.0,
        "the changed id goes through bcrypt again"
    );
    server.token(MARK_PUBLISHER, MARK_PUBLISHER_SECRET).await;
    assert_eq!(metric(&server, BCRYPT_RUNS).await, 3.0);
    assert_eq!(
        metric(&server, HITS).await,
        1.0,
        "the unchanged id stays cached"
    );
    server.token(SCHEDULER, SCHEDULER_SECRET).await;
    assert_eq!(metric(&server, HITS).await, 2.0);
    server.stop().await;
}

/// The router in-process on a paused clock (no request timeout, as in `throttling`).
fn cache_router(size: usize, ttl: Duration) -> (Fixture, Router) {
    let fixture = Fixture::new();
    let mut options = fixture.options();
    options.request_timeout = None;
    options.credential_cache_size = size;
    options.credential_cache_ttl = ttl;
    let router = AuthServer::prepare(options).unwrap().router();
    (fixture, router)
}

async fn issue(router: &Router, id: &str, secret: &str) {
    let peer = SocketAddr::from(([192, 0, 2, 1], 40000));
    let request = token_request(peer, None, id, secret);
    let response = router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
}

async fn router_metric(router: &Router, name: &str) -> f64 {
    metric_in(&router_metrics(router).await, name)
}

#[tokio::test(start_paused = true)]
async fn an_entry_lasts_its_maximum_age_from_the_bcrypt_verification() {
    let (_fixture, router) = cache_router(16, Duration::from_secs(60));
    issue(&router, SCHEDULER, SCHEDULER_SECRET).await;
    tokio::time::advance(Duration::from_secs(59)).await;
    issue(&router, SCHEDULER, SCHEDULER_SECRET).await;
    assert_eq!(router_metric(&router, HITS).await, 1.0);
    assert_eq!(router_metric(&router, BCRYPT_RUNS).await, 1.0);
    // A hit does not renew the entry: the age counts from bcrypt.
    tokio::time::advance(Duration::from_secs(1)).await;
    issue(&router, SCHEDULER, SCHEDULER_SECRET).await;
    assert_eq!(router_metric(&router, BCRYPT_RUNS).await, 2.0);
    assert_eq!(router_metric(&router, HITS).await, 1.0);
}

#[tokio::test(start_paused = true)]
async fn the_cache_holds_at_most_its_size_and_zero_disables_it() {
    let (_fixture, router) = cache_router(1, Duration::from_secs(900));
    issue(&router, SCHEDULER, SCHEDULER_SECRET).await;
    tokio::time::advance(Duration::from_secs(1)).await;
    issue(&router, MARK_PUBLISHER, MARK_PUBLISHER_SECRET).await;
    // One entry: mark-publisher's displaced the older one.
    issue(&router, SCHEDULER, SCHEDULER_SECRET).await;
    assert_eq!(router_metric(&router, BCRYPT_RUNS).await, 3.0);
    assert_eq!(router_metric(&router, HITS).await, 0.0);
    issue(&router, SCHEDULER, SCHEDULER_SECRET).await;
    assert_eq!(router_metric(&router, HITS).await, 1.0);

    let (_fixture, disabled) = cache_router(0, Duration::from_secs(900));
    for _ in 0..3 {
        issue(&disabled, SCHEDULER, SCHEDULER_SECRET).await;
    }
    assert_eq!(router_metric(&disabled, BCRYPT_RUNS).await, 3.0);
    assert_eq!(router_metric(&disabled, HITS).await, 0.0);
}
