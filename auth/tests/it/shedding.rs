//! Load shedding: past the bounded bcrypt queue the endpoint answers 503 with Retry-After at
//! once, while health keeps answering.

use crate::support::*;

#[tokio::test]
async fn requests_beyond_the_queue_are_shed_with_503_and_retry_after() {
    let fixture = Fixture::new();
    // A costly hash keeps the single worker busy long enough for the burst to pile up.
    let slow_hash = auth::secret_hash::hash_secret(b"slow-secret", 12)
        .unwrap()
        .to_string();
    fixture.write_registry(&format!(
        "accounts:\n  - id: mark-publisher\n    clientSecretHash: \"{}\"\n  - id: scheduler\n    clientSecretHash: \"{slow_hash}\"\n",
        hash(MARK_PUBLISHER_SECRET)
    ));
    let mut options = fixture.options();
    options.bcrypt_workers = 1;
    options.bcrypt_queue = 1;
    options.throttle.per_address_per_minute = 0;
    options.throttle.per_client_per_minute = 0;
    let server = TestServer::start(options).await;
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
    let metrics = server
        .http
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
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

    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use axum::http::Request;
    use tokio::time::{Duration, Instant};
    use tower::ServiceExt;

    let fixture = Fixture::new();
    let slow_hash = auth::secret_hash::hash_secret(b"slow-secret", 10)
        .unwrap()
        .to_string();
    fixture.write_registry(&format!(
        "accounts:\n  - id: mark-publisher\n    clientSecretHash: \"{}\"\n  - id: scheduler\n    clientSecretHash: \"{slow_hash}\"\n",
        hash(MARK_PUBLISHER_SECRET)
    ));
    let mut options = fixture.options();
    options.bcrypt_workers = 1;
    options.bcrypt_queue = 1;
    options.request_timeout = None;
    options.credential_cache_size = 0;
    options.throttle.per_address_per_minute = 0;
    options.throttle.per_client_per_minute = 0;
    let router = auth::AuthServer::prepare(options).unwrap().router();
    let mut connections = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let router = router.clone();
        connections.spawn(async move {
            let begun = Instant::now();
            let mut shed = 0u32;
            for _ in 0..6 {
                let body =
                    "grant_type=client_credentials&client_id=scheduler&client_secret=slow-secret";
                let mut request = Request::post("/auth/oauth/token")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(Body::from(body))
                    .unwrap();
                request
                    .extensions_mut()
                    .insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 1], 40000))));
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
