//! The token endpoint over HTTP, one test per rule of RFC 6749 §2.3, §3.2, §4.4, §5.1, §5.2.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::support::*;

const FORM: &str = "application/x-www-form-urlencoded";

fn form(pairs: &[(&str, &str)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        serializer.append_pair(name, value);
    }
    serializer.finish()
}

/// RFC 6749 §2.3.1: id and secret are form-urlencoded, then joined and base64-encoded.
fn basic(client_id: &str, secret: &str) -> String {
    let encode = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", encode(client_id), encode(secret)))
    )
}

async fn start() -> (Fixture, TestServer) {
    let fixture = Fixture::new();
    let server = TestServer::start(fixture.options()).await;
    (fixture, server)
}

#[tokio::test]
async fn client_secret_post_issues_a_bearer_token_that_is_not_cached() {
    let (_fixture, server) = start().await;
    let response = server
        .post_token(MARK_PUBLISHER, MARK_PUBLISHER_SECRET)
        .await;
    assert_eq!(response.status(), 200);
    // §5.1: no-store and no-cache on the token response.
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let claims = verify(body["access_token"].as_str().unwrap(), &server.jwks().await).unwrap();
    assert_eq!(claims.sub.as_deref(), Some("service:mark-publisher"));
    server.stop().await;
}

#[tokio::test]
async fn client_secret_basic_form_decodes_id_and_secret_after_base64() {
    let (_fixture, server) = start().await;
    let response = server
        .http
        .post(server.url("/auth/oauth/token"))
        .header(
            "authorization",
            basic(MARK_PUBLISHER, MARK_PUBLISHER_SECRET),
        )
        .header("content-type", FORM)
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn a_charset_parameter_on_the_content_type_is_accepted() {
    let (_fixture, server) = start().await;
    let body = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", SCHEDULER),
        ("client_secret", SCHEDULER_SECRET),
    ]);
    let response = server
        .raw(
            Some("application/x-www-form-urlencoded; charset=UTF-8"),
            body,
        )
        .await;
    assert_eq!(response.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn both_authentication_methods_at_once_are_invalid_request() {
    let (_fixture, server) = start().await;
    let response = server
        .http
        .post(server.url("/auth/oauth/token"))
        .header("authorization", basic(SCHEDULER, SCHEDULER_SECRET))
        .header("content-type", FORM)
        .body(form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", SCHEDULER_SECRET),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(oauth_error(response, 400).await.0, "invalid_request");
    server.stop().await;
}

#[tokio::test]
async fn a_repeated_parameter_is_invalid_request() {
    let (_fixture, server) = start().await;
    let body = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", SCHEDULER),
        ("client_secret", SCHEDULER_SECRET),
        ("client_id", SCHEDULER),
    ]);
    assert_eq!(
        oauth_error(server.raw(Some(FORM), body).await, 400).await.0,
        "invalid_request"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_64_kib_body_of_10_000_distinct_parameters_is_invalid_request() {
    // Within the size limit, every name different: once a quadratic repeat check's worst case.
    let (_fixture, server) = start().await;
    let mut body = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", SCHEDULER),
        ("client_secret", SCHEDULER_SECRET),
    ]);
    for index in 0..10_000 {
        body.push_str(&format!("&n{index}"));
    }
    body.push_str("&pad=");
    body.push_str(&"x".repeat(auth::MAX_BODY_BYTES - body.len()));
    assert_eq!(body.len(), auth::MAX_BODY_BYTES);
    let response = server.raw(Some(FORM), body).await;
    assert_eq!(response.status(), 400);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(answer["error"], "invalid_request");
    assert_eq!(
        answer["error_description"],
        "the form body has more than 32 parameters; a token request needs at most 3"
    );
    server.stop().await;
}

#[tokio::test]
async fn another_grant_type_is_unsupported_grant_type() {
    let (_fixture, server) = start().await;
    for grant in [
        "password",
        "authorization_code",
        "refresh_token",
        "CLIENT_CREDENTIALS",
    ] {
        let body = form(&[
            ("grant_type", grant),
            ("client_id", SCHEDULER),
            ("client_secret", SCHEDULER_SECRET),
        ]);
        assert_eq!(
            oauth_error(server.raw(Some(FORM), body).await, 400).await.0,
            "unsupported_grant_type"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn a_missing_grant_type_is_invalid_request() {
    let (_fixture, server) = start().await;
    let body = form(&[
        ("client_id", SCHEDULER),
        ("client_secret", SCHEDULER_SECRET),
    ]);
    assert_eq!(
        oauth_error(server.raw(Some(FORM), body).await, 400).await.0,
        "invalid_request"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_secret_in_the_body_is_invalid_client_without_a_challenge() {
    let (_fixture, server) = start().await;
    let (error, headers) = oauth_error(server.post_token(SCHEDULER, "wrong").await, 401).await;
    assert_eq!(error, "invalid_client");
    assert!(!headers.contains_key("www-authenticate"));
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_secret_over_basic_is_invalid_client_with_a_basic_challenge() {
    let (_fixture, server) = start().await;
    let response = server
        .http
        .post(server.url("/auth/oauth/token"))
        .header("authorization", basic(SCHEDULER, "wrong"))
        .header("content-type", FORM)
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    let (error, headers) = oauth_error(response, 401).await;
    assert_eq!(error, "invalid_client");
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic realm=")
    );
    server.stop().await;
}

#[tokio::test]
async fn an_unknown_client_is_invalid_client() {
    let (_fixture, server) = start().await;
    assert_eq!(
        oauth_error(server.post_token("nobody", SCHEDULER_SECRET).await, 401)
            .await
            .0,
        "invalid_client"
    );
    server.stop().await;
}

#[tokio::test]
async fn no_client_authentication_is_invalid_client_with_a_challenge() {
    let (_fixture, server) = start().await;
    for body in [
        "grant_type=client_credentials",
        "grant_type=client_credentials&client_id=scheduler",
    ] {
        let (error, headers) = oauth_error(server.raw(Some(FORM), body).await, 401).await;
        assert_eq!(error, "invalid_client");
        assert!(headers.contains_key("www-authenticate"));
    }
    server.stop().await;
}

#[tokio::test]
async fn malformed_bodies_are_4xx_oauth_errors() {
    let (_fixture, server) = start().await;
    let cases: Vec<(Option<&str>, Vec<u8>, u16)> = vec![
        (
            Some(FORM),
            b"grant_type=client_credentials&client_secret=%zz".to_vec(),
            400,
        ),
        (
            Some(FORM),
            b"grant_type=client_credentials&client_secret=%ff%fe".to_vec(),
            400,
        ),
        (
            Some(FORM),
            b"grant_type=client_credentials&client_secret=\xff\xfe".to_vec(),
            400,
        ),
        (
            Some("application/json"),
            br#"{"grant_type":"client_credentials"}"#.to_vec(),
            400,
        ),
        (None, b"grant_type=client_credentials".to_vec(), 400),
        (Some(FORM), vec![b'a'; 70 * 1024], 413),
    ];
    for (content_type, body, status) in cases {
        let (error, _) = oauth_error(server.raw(content_type, body).await, status).await;
        assert_eq!(error, "invalid_request");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_secret_longer_than_72_bytes_never_matches_by_prefix() {
    let fixture = Fixture::new();
    let secret = "s".repeat(72);
    fixture.write_registry(&registry_yaml(&[
        (MARK_PUBLISHER, &[&secret]),
        (SCHEDULER, &[SCHEDULER_SECRET]),
    ]));
    let server = TestServer::start(fixture.options()).await;
    assert_eq!(
        server.post_token(MARK_PUBLISHER, &secret).await.status(),
        200
    );
    let longer = format!("{secret}extra");
    assert_eq!(
        oauth_error(server.post_token(MARK_PUBLISHER, &longer).await, 401)
            .await
            .0,
        "invalid_client"
    );
    server.stop().await;
}

#[tokio::test]
async fn extra_parameters_such_as_scope_are_ignored() {
    let (_fixture, server) = start().await;
    let body = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", SCHEDULER),
        ("client_secret", SCHEDULER_SECRET),
        ("scope", "anything"),
        ("audience", "x"),
    ]);
    assert_eq!(server.raw(Some(FORM), body).await.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn a_body_that_never_arrives_gets_a_408_oauth_error_not_a_hang() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let fixture = Fixture::new();
    let mut options = fixture.options();
    options.request_timeout = Some(std::time::Duration::from_millis(300));
    let server = TestServer::start(options).await;
    let mut stream = tokio::net::TcpStream::connect(server.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = "POST /auth/oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\nConnection: close\r\n\r\ngrant_type";
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("cache-control: no-store"), "{response}");
    assert!(
        response.contains(r#""error":"invalid_request""#),
        "{response}"
    );
    server.stop().await;
}
