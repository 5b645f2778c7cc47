//! Failure throttling on tokio's paused clock. The router is driven in-process with
//! `oneshot`, with the peer address set per request, and without the request timeout (a
//! pending timer would make the paused clock jump while a request waits for bcrypt).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use auth::{AuthServer, ThrottleLimits, TrustedProxies};
use axum::Router;
use axum::body::Body;
use axum::http::Response;
use tower::ServiceExt;

use crate::support::*;

fn router(limits: ThrottleLimits, proxies: TrustedProxies) -> (Fixture, Router) {
    let fixture = Fixture::new();
    let mut options = fixture.options();
    options.request_timeout = None;
    options.throttle = limits;
    options.trusted_proxies = proxies;
    let router = AuthServer::prepare(options).unwrap().router();
    (fixture, router)
}

fn limits(per_address: u32, per_client: u32) -> ThrottleLimits {
    ThrottleLimits {
        per_address_per_minute: per_address,
        per_client_per_minute: per_client,
        ..ThrottleLimits::default()
    }
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

async fn attempt(
    router: &Router,
    peer: IpAddr,
    forwarded: Option<&str>,
    id: &str,
    secret: &str,
) -> Response<Body> {
    let request = token_request(SocketAddr::new(peer, 40000), forwarded, id, secret);
    router.clone().oneshot(request).await.unwrap()
}

async fn status(router: &Router, peer: &str, id: &str, secret: &str) -> u16 {
    attempt(router, ip(peer), None, id, secret)
        .await
        .status()
        .as_u16()
}

async fn bcrypt_runs(router: &Router) -> u64 {
    metric_in(
        &router_metrics(router).await,
        "auth_bcrypt_verify_seconds_count",
    ) as u64
}

#[tokio::test(start_paused = true)]
async fn an_address_is_throttled_after_its_failures_before_any_bcrypt_work_and_released_later() {
    let (_fixture, router) = router(limits(3, 0), TrustedProxies::default());
    for _ in 0..3 {
        assert_eq!(status(&router, "192.0.2.1", SCHEDULER, "wrong").await, 401);
    }
    let response = attempt(&router, ip("192.0.2.1"), None, SCHEDULER, SCHEDULER_SECRET).await;
    assert_eq!(response.status(), 429);
    // 3 a minute: one more attempt every 20 s.
    assert_eq!(response.headers()["retry-after"], "20");
    assert_eq!(
        bcrypt_runs(&router).await,
        3,
        "a throttled request costs no bcrypt work"
    );
    assert_eq!(
        status(&router, "192.0.2.2", SCHEDULER, SCHEDULER_SECRET).await,
        200
    );

    tokio::time::advance(Duration::from_secs(19)).await;
    assert_eq!(
        status(&router, "192.0.2.1", SCHEDULER, SCHEDULER_SECRET).await,
        429
    );
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(
        status(&router, "192.0.2.1", SCHEDULER, SCHEDULER_SECRET).await,
        200
    );
}

#[tokio::test(start_paused = true)]
async fn a_sprayed_client_id_is_throttled_at_the_sprayer_only() {
    let (_fixture, router) = router(limits(0, 2), TrustedProxies::default());
    assert_eq!(
        status(&router, "198.51.100.1", SCHEDULER, "guess-1").await,
        401
    );
    assert_eq!(
        status(&router, "198.51.100.1", SCHEDULER, "guess-2").await,
        401
    );
    let response = attempt(&router, ip("198.51.100.1"), None, SCHEDULER, "guess-3").await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "30");
    // Another address is not throttled for the id, whether it is the real client or not.
    assert_eq!(
        status(&router, "198.51.100.2", SCHEDULER, "guess-3").await,
        401
    );
    // Another account is unaffected at the sprayer's address.
    assert_eq!(
        status(
            &router,
            "198.51.100.1",
            MARK_PUBLISHER,
            MARK_PUBLISHER_SECRET
        )
        .await,
        200
    );
    tokio::time::advance(Duration::from_secs(30)).await;
    assert_eq!(
        status(&router, "198.51.100.1", SCHEDULER, "guess-3").await,
        401
    );
}

/// Someone who knows a client id (ids are not secret) sprays wrong secrets for it from one
/// address past every limit; the real client, from an address it never used, still gets its
/// token. Both arrive through a trusted proxy, as behind a load balancer.
#[tokio::test(start_paused = true)]
async fn a_spray_for_an_id_does_not_lock_its_client_out_of_a_new_address() {
    let proxies = TrustedProxies::parse_list("127.0.0.1").unwrap();
    let (_fixture, router) = router(ThrottleLimits::default(), proxies);
    let proxy = ip("127.0.0.1");
    let sprayer = "203.0.113.66";
    let mut refused = 0;
    for i in 0..200 {
        let response = attempt(
            &router,
            proxy,
            Some(sprayer),
            SCHEDULER,
            &format!("guess-{i}"),
        )
        .await;
        match response.status().as_u16() {
            401 => {}
            429 => refused += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(
        refused >= 150,
        "the sprayer is throttled ({refused} refused)"
    );
    let real = attempt(
        &router,
        proxy,
        Some("198.51.100.20"),
        SCHEDULER,
        SCHEDULER_SECRET,
    )
    .await;
    assert_eq!(real.status(), 200, "the real client gets its token");
    // And directly, from another loopback address with no proxy in between.
    assert_eq!(
        status(&router, "127.0.0.2", SCHEDULER, SCHEDULER_SECRET).await,
        200
    );
    let still = attempt(&router, proxy, Some(sprayer), SCHEDULER, SCHEDULER_SECRET).await;
    assert_eq!(still.status(), 429, "the sprayer's address stays throttled");
}

#[tokio::test(start_paused = true)]
async fn successes_are_never_counted() {
    let (_fixture, router) = router(limits(1, 1), TrustedProxies::default());
    for _ in 0..5 {
        assert_eq!(
            status(&router, "192.0.2.1", SCHEDULER, SCHEDULER_SECRET).await,
            200
        );
    }
    assert_eq!(
        status(&router, "192.0.2.1", MARK_PUBLISHER, "wrong").await,
        401
    );
    assert_eq!(
        status(&router, "192.0.2.1", MARK_PUBLISHER, "wrong").await,
        429
    );
}

#[tokio::test(start_paused = true)]
async fn zero_turns_throttling_off() {
    let (_fixture, router) = router(limits(0, 0), TrustedProxies::default());
    for _ in 0..40 {
        assert_eq!(status(&router, "192.0.2.1", SCHEDULER, "wrong").await, 401);
    }
}

#[tokio::test(start_paused = true)]
async fn behind_a_trusted_proxy_the_forwarded_address_is_throttled() {
    let proxies = TrustedProxies::parse_list("127.0.0.1").unwrap();
    let (_fixture, router) = router(limits(2, 0), proxies);
    let proxy = ip("127.0.0.1");
    for _ in 0..2 {
        let response = attempt(
            &router,
            proxy,
            Some("spoofed, 203.0.113.7"),
            SCHEDULER,
            "wrong",
        )
        .await;
        assert_eq!(response.status(), 401);
    }
    let throttled = attempt(
        &router,
        proxy,
        Some("203.0.113.7"),
        SCHEDULER,
        SCHEDULER_SECRET,
    )
    .await;
    assert_eq!(throttled.status(), 429);
    let other_client = attempt(
        &router,
        proxy,
        Some("203.0.113.8"),
        SCHEDULER,
        SCHEDULER_SECRET,
    )
    .await;
    assert_eq!(other_client.status(), 200);
    // An untrusted peer's header is ignored: the peer itself is the source.
    let direct = attempt(
        &router,
        ip("192.0.2.50"),
        Some("203.0.113.7"),
        SCHEDULER,
        SCHEDULER_SECRET,
    )
    .await;
    assert_eq!(direct.status(), 200);
}
