use serde_json::json;

use super::*;

const ENDPOINT: &str = "http://auth.test/auth/oauth/token";

fn ok(body: serde_json::Value) -> Result<FetchedToken, TokenError> {
    interpret(
        ENDPOINT,
        200,
        Some("application/json"),
        body.to_string().as_bytes(),
        None,
    )
}

fn malformed_detail(result: Result<FetchedToken, TokenError>) -> String {
    match result {
        Err(TokenError::MalformedResponse { detail, .. }) => detail,
        other => panic!("expected a malformed-response error, got {other:?}"),
    }
}

/// A JWT-shaped token with the given payload (header and signature are irrelevant here).
fn jwt(payload: serde_json::Value) -> String {
    format!(
        "eyJhbGciOiJSUzI1NiJ9.{}.c2ln",
        URL_SAFE_NO_PAD.encode(payload.to_string())
    )
}

#[test]
fn accepts_a_well_formed_answer() {
    let fetched =
        ok(json!({"access_token": "abc.def", "token_type": "Bearer", "expires_in": 900})).unwrap();
    assert_eq!(fetched.token.expose(), "abc.def");
    assert_eq!(fetched.lifetime, Duration::from_secs(900));
    assert_eq!(fetched.clamped_from, None);
}

#[test]
fn token_type_is_case_insensitive_and_expires_in_may_be_a_digit_string() {
    let fetched =
        ok(json!({"access_token": "t", "token_type": "bearer", "expires_in": "60"})).unwrap();
    assert_eq!(fetched.lifetime, Duration::from_secs(60));
}

#[test]
fn every_malformed_answer_has_a_clear_message() {
    let cases: Vec<(serde_json::Value, &str)> = vec![
        (json!([1, 2]), "the body is JSON but not an object"),
        (
            json!({"token_type": "Bearer", "expires_in": 60}),
            "access_token is missing",
        ),
        (
            json!({"access_token": null, "token_type": "Bearer", "expires_in": 60}),
            "access_token is missing",
        ),
        (
            json!({"access_token": "", "token_type": "Bearer", "expires_in": 60}),
            "access_token is empty",
        ),
        (
            json!({"access_token": 42, "token_type": "Bearer", "expires_in": 60}),
            "access_token is not a string",
        ),
        (
            json!({"access_token": "a b\n", "token_type": "Bearer", "expires_in": 60}),
            "access_token holds characters a bearer token cannot carry (RFC 6750 §2.1)",
        ),
        (
            json!({"access_token": "t", "expires_in": 60}),
            "token_type is missing (RFC 6749 §5.1 requires it)",
        ),
        (
            json!({"access_token": "t", "token_type": "mac", "expires_in": 60}),
            "token_type \"mac\" is not Bearer",
        ),
        (
            json!({"access_token": "t", "token_type": 1, "expires_in": 60}),
            "token_type is not a string",
        ),
        (
            json!({"access_token": "t", "token_type": "Bearer"}),
            "expires_in is missing",
        ),
        (
            json!({"access_token": "t", "token_type": "Bearer", "expires_in": 0}),
            "expires_in is 0; a token lifetime must be a positive number of seconds",
        ),
        (
            json!({"access_token": "t", "token_type": "Bearer", "expires_in": -30}),
            "expires_in is -30; a token lifetime must be a positive number of seconds",
        ),
        (
            json!({"access_token": "t", "token_type": "Bearer", "expires_in": 12.5}),
            "expires_in is 12.5, not a whole number of seconds",
        ),
        (
            json!({"access_token": "t", "token_type": "Bearer", "expires_in": "soon"}),
            "expires_in \"soon\" is not a number of seconds",
        ),
        (
            json!({"access_token": "t", "token_type": "Bearer", "expires_in": true}),
            "expires_in is not a number",
        ),
        (
            json!({"access_token": "t", "token_type": "Bearer", "expires_in": 2}),
            "the token lives 2 s; at least 5 s are needed to use and refresh it",
        ),
        (
            json!({"access_token": jwt(json!({"iat": 100, "exp": 100})), "token_type": "Bearer", "expires_in": 60}),
            "the token's own exp (100) is not after its iat (100)",
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(malformed_detail(ok(body.clone())), expected, "{body}");
    }
}

#[test]
fn a_body_that_is_not_json_names_its_content_type_and_size_only() {
    let result = interpret(
        ENDPOINT,
        200,
        Some("text/html"),
        b"<html>secret-token</html>",
        None,
    );
    let detail = malformed_detail(result);
    assert_eq!(
        detail,
        "the body is not JSON (content-type text/html, 25 bytes); is platform.authPublicUrl the \
         auth service?"
    );
}

#[test]
fn huge_lifetimes_are_clamped_and_reported() {
    for huge in [
        json!(1_000_000_000_000u64),
        json!(1e300),
        json!("99999999999999999999999"),
    ] {
        let fetched =
            ok(json!({"access_token": "t", "token_type": "Bearer", "expires_in": huge})).unwrap();
        assert_eq!(fetched.lifetime, MAX_LIFETIME, "{huge}");
        assert!(fetched.clamped_from.unwrap() > MAX_LIFETIME.as_secs());
    }
}

#[test]
fn a_jwt_whose_own_life_is_shorter_than_expires_in_wins() {
    let token = jwt(json!({"iat": 1_000, "exp": 1_300}));
    let fetched =
        ok(json!({"access_token": token, "token_type": "Bearer", "expires_in": 900})).unwrap();
    assert_eq!(fetched.lifetime, Duration::from_secs(300));
    let token = jwt(json!({"iat": 1_000, "exp": 1_000_000_000}));
    let fetched =
        ok(json!({"access_token": token, "token_type": "Bearer", "expires_in": 1e12})).unwrap();
    assert_eq!(fetched.lifetime, MAX_LIFETIME);
}

#[test]
fn error_statuses_are_classified() {
    let classify = |status: u16, body: serde_json::Value| {
        interpret(
            ENDPOINT,
            status,
            None,
            body.to_string().as_bytes(),
            Some(Duration::from_secs(3)),
        )
        .unwrap_err()
    };
    assert!(matches!(
        classify(401, json!({"error": "invalid_client", "error_description": "bad secret"})),
        TokenError::InvalidClient { description: Some(d), .. } if d == "bad secret"
    ));
    // RFC 6749 §5.2 allows invalid_client with 400 too.
    assert!(matches!(
        classify(400, json!({"error": "invalid_client"})),
        TokenError::InvalidClient { .. }
    ));
    for status in [408, 429, 500, 502, 503, 504] {
        let error = classify(status, json!({}));
        assert_eq!(
            error.reason(),
            crate::error::FailureReason::Network,
            "{status}"
        );
        assert_eq!(error.retry_after(), Some(Duration::from_secs(3)));
    }
    let error = classify(
        400,
        json!({"error": "unsupported_grant_type", "error_description": "no"}),
    );
    assert_eq!(
        error.to_string(),
        "http://auth.test/auth/oauth/token refused the request: HTTP 400 unsupported_grant_type: no"
    );
    assert_eq!(error.reason(), crate::error::FailureReason::Rejected);
    let error = classify(302, json!({}));
    assert!(
        error.to_string().contains("redirects are not followed"),
        "{error}"
    );
    assert_eq!(
        classify(404, json!("x")).reason(),
        crate::error::FailureReason::Rejected
    );
}
