//! Load shedding: past the bounded bcrypt queue a request waits up to a second for a place,
//! then gets 503 with Retry-After (never sooner), while health keeps answering; admission is
//! fair between source addresses.

use crate::support::*;

#[tokio::test]
async fn requests_beyond_the_queue_are_shed_with_503_and_retry_after() {
    let fixture = Fixture::new();
    // A costly hash keeps the single worker busy long enough for the burst to pile up.
    let server = TestServer::start(fixture.saturable(SCHEDULER, 12)).await;
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let request = server.http.post(server.url("/auth/oauth/token")).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", SCHEDULER),
            ("client_secret", "slow-secret"),
        ]);
        burst.spawn(async move { request.send().await.unwrap() });
    }
    let responses = burst.join_all().await;
    let mut accepted = 0;
    let mut shed = 0;
    for response in responses {
        match response.status().as_u16() {
            200 => accepted += 1,
            503 => {
                assert_eq!(response.headers()["retry-after"], "1");
                let (error, _) = oauth_error(response, 503).await;
                assert_eq!(error, "temporarily_unavailable");
                shed += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(accepted >= 1, "the queue accepts work");
    assert!(
        shed >= 1,
        "a burst beyond one worker and one queued job is shed"
    );
    let health = server
        .http
        .get(server.url("/auth/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let metrics = server.metrics().await;
    assert!(
        metrics.contains(&format!("auth_token_requests_shed_total {shed}")),
        "{metrics}"
    );
    assert!(metrics.contains(&format!(
        "auth_token_requests_total{{outcome=\"overloaded\"}} {shed}"
    )));
    server.stop().await;
}

/// Clients that resend at once whatever `Retry-After` says: each shed answer comes no earlier
/// than a second after its request, so a connection gets at most one a second, and nothing
/// shed ever ran bcrypt. Paused clock, router driven in-process.
#[tokio::test(start_paused = true)]
async fn a_client_ignoring_retry_after_gets_at_most_one_shed_answer_a_second() {
    use std::net::SocketAddr;

    use tokio::time::{Duration, Instant};
    use tower::ServiceExt;

    let fixture = Fixture::new();
    let mut options = fixture.saturable(SCHEDULER, 10);
    options.request_timeout = None;
    options.credential_cache_size = 0;
    let router = auth::AuthServer::prepare(options).unwrap().router();
    let mut connections = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let router = router.clone();
        connections.spawn(async move {
            let begun = Instant::now();
            let mut shed = 0u32;
            for _ in 0..6 {
                let peer = SocketAddr::from(([192, 0, 2, 1], 40000));
                let request = token_request(peer, None, SCHEDULER, "slow-secret");
                let sent = Instant::now();
                let response = router.clone().oneshot(request).await.unwrap();
                match response.status().as_u16() {
                    200 => {}
                    503 => {
                        assert!(
                            sent.elapsed() >= Duration::from_secs(1),
                            "a shed answer came after {:?}",
                            sent.elapsed()
                        );
                        assert_eq!(response.headers()["retry-after"], "1");
                        shed += 1;
                    }
                    other => panic!("unexpected status {other}"),
                }
            }
            let seconds = begun.elapsed().as_secs_f64();
            assert!(
                f64::from(shed) <= seconds + 1.0,
                "{shed} shed answers in {seconds} s on one connection"
            );
            shed
        });
    }
    let shed: u32 = connections.join_all().await.into_iter().sum();
    assert!(
        shed >= 1,
        "four connections on one worker and one queued place are shed"
    );
}

/// 48 addresses send unknown client ids as fast as they are answered, enough to keep the
/// bcrypt queue full and shed; a new client from a 49th address still gets its first token,
/// on its first or second try. Sources come through a trusted proxy (X-Forwarded-For).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_48_addresses_cannot_keep_a_new_client_out() {
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

    use tower::ServiceExt;

    // Cost 8: every failure (and every unknown id) costs a cost-8 bcrypt.
    let fixture = Fixture::new();
    fixture.write_registry(&format!(
        "accounts:\n  - id: mark-publisher\n    clientSecretHash: \"{}\"\n  - id: scheduler\n    clientSecretHash: \"{}\"\n",
        auth::secret_hash::hash_secret(b"unused", 8).unwrap(),
        hash(SCHEDULER_SECRET)
    ));
    let mut options = fixture.options();
    options.bcrypt_workers = 1;
    options.bcrypt_queue = 2;
    // Normal priority: other tests of this binary run at the same time, and idle-priority
    // bcrypt would measure their load, not the admission order.
    options.bcrypt_nice = 0;
    options.throttle.per_address_per_minute = 0;
    options.throttle.per_client_per_minute = 0;
    options.trusted_proxies = auth::TrustedProxies::parse_list("127.0.0.1").unwrap();
    let router = auth::AuthServer::prepare(options).unwrap().router();
    let request = |source: String, id: &str, secret: &str| {
        let proxy = SocketAddr::from(([127, 0, 0, 1], 40000));
        token_request(proxy, Some(&source), id, secret)
    };
    let stop = Arc::new(AtomicBool::new(false));
    let (answered, shed) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
    let mut flood = tokio::task::JoinSet::new();
    for n in 1..=48 {
        for _ in 0..2 {
            let (router, stop) = (router.clone(), Arc::clone(&stop));
            let (answered, shed) = (Arc::clone(&answered), Arc::clone(&shed));
            flood.spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let attempt = request(format!("203.0.113.{n}"), &format!("intruder-{n}"), "x");
                    let status = router.clone().oneshot(attempt).await.unwrap().status();
                    match status.as_u16() {
                        401 => answered.fetch_add(1, Ordering::Relaxed),
                        503 => shed.fetch_add(1, Ordering::Relaxed),
                        // A flooding request displaced back to waiting may reach the request
                        // timeout on a loaded machine; that is the flood's loss, not the test's.
                        408 => 0,
                        other => panic!("unexpected status {other}"),
                    };
                }
            });
        }
    }
    // Let every flooding address have its turns, and the queue overflow.
    let warm = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while answered.load(Ordering::Relaxed) < 100 || shed.load(Ordering::Relaxed) == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    });
    warm.await.expect("the flood saturates the pool");
    let mut tries = 0;
    let issued = loop {
        tries += 1;
        let attempt = request("198.51.100.49".to_owned(), SCHEDULER, SCHEDULER_SECRET);
        let status = router.clone().oneshot(attempt).await.unwrap().status();
        if status == 200 || tries == 2 {
            break status == 200;
        }
        assert_eq!(status, 503);
    };
    stop.store(true, Ordering::Relaxed);
    flood.join_all().await;
    assert!(issued, "the new client got no token in {tries} tries");
}
