//! The read-only routes: JWKS, RFC 8414 metadata, health, metrics.

use crate::support::*;

#[tokio::test]
async fn the_jwks_holds_public_members_only_and_is_cacheable() {
    let fixture = Fixture::new();
    let server = TestServer::start(fixture.options()).await;
    let response = server
        .http
        .get(server.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("public, max-age=")
    );
    let body: serde_json::Value = response.json().await.unwrap();
    let keys = body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let mut members: Vec<&str> = keys[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    members.sort_unstable();
    assert_eq!(members, ["alg", "e", "kid", "kty", "n", "use"]);
    assert_eq!(keys[0]["kty"], "RSA");
    assert_eq!(keys[0]["use"], "sig");
    assert_eq!(keys[0]["alg"], "RS256");
    server.stop().await;
}

#[tokio::test]
async fn rfc_8414_metadata_is_served_at_both_well_known_paths() {
    let fixture = Fixture::new();
    let server = TestServer::start(fixture.options()).await;
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let body: serde_json::Value = server
            .http
            .get(server.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["issuer"], ISSUER);
        assert_eq!(
            body["token_endpoint"],
            "http://localhost:3002/auth/oauth/token"
        );
        assert_eq!(
            body["jwks_uri"],
            "http://localhost:3002/.well-known/jwks.json"
        );
        assert_eq!(
            body["grant_types_supported"],
            serde_json::json!(["client_credentials"])
        );
        assert_eq!(
            body["token_endpoint_auth_methods_supported"],
            serde_json::json!(["client_secret_basic", "client_secret_post"])
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn health_reports_ok_and_the_provider() {
    let fixture = Fixture::new();
    let server = TestServer::start(fixture.options()).await;
    let body: serde_json::Value = server
        .http
        .get(server.url("/auth/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body,
        serde_json::json!({ "status": "ok", "provider": "builtin" })
    );
    server.stop().await;
}

#[tokio::test]
async fn metrics_count_outcomes_and_bcrypt_time() {
    let fixture = Fixture::new();
    let server = TestServer::start(fixture.options()).await;
    server.token(SCHEDULER, SCHEDULER_SECRET).await;
    assert_eq!(server.post_token(SCHEDULER, "wrong").await.status(), 401);
    let response = server
        .http
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    for expected in [
        "auth_token_requests_total{outcome=\"issued\"} 1",
        "auth_token_requests_total{outcome=\"invalid_client\"} 1",
        "auth_bcrypt_verify_seconds_count 2",
        "auth_token_requests_in_flight 0",
        "auth_token_requests_shed_total 0",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    server.stop().await;
}

#[tokio::test]
async fn two_servers_in_one_process_keep_separate_metrics() {
    let first_fixture = Fixture::new();
    let second_fixture = Fixture::new();
    let first = TestServer::start(first_fixture.options()).await;
    let second = TestServer::start(second_fixture.options()).await;
    first.token(SCHEDULER, SCHEDULER_SECRET).await;
    let text = second.metrics().await;
    assert!(
        text.contains("auth_token_requests_total{outcome=\"issued\"} 0"),
        "{text}"
    );
    first.stop().await;
    second.stop().await;
}

#[tokio::test]
async fn a_restart_on_the_same_port_serves_again() {
    let fixture = Fixture::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = TestServer::start_on(listener, fixture.options()).await;
    server.stop().await;
    let listener = tokio::net::TcpListener::bind(address).await.unwrap();
    let server = TestServer::start_on(listener, fixture.options()).await;
    server.token(SCHEDULER, SCHEDULER_SECRET).await;
    server.stop().await;
}
