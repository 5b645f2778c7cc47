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

#[test]
fn jwt_exp_is_read_only_from_a_jwt_with_a_numeric_exp() {
    // Not a JWT: opaque, two or four segments, bad base64, a payload that is not an object.
    assert_eq!(jwt_exp("opaque-token"), None);
    assert_eq!(jwt_exp("a.b"), None);
    let payload = URL_SAFE_NO_PAD.encode(json!({"exp": 2_000_000_000}).to_string());
    assert_eq!(jwt_exp(&format!("h.{payload}.s.x")), None);
    assert_eq!(jwt_exp(&format!("h.{payload}.s")), Some(2_000_000_000));
    assert_eq!(jwt_exp("h.***.s"), None);
    assert_eq!(jwt_exp("h.e30.s"), None);
    assert_eq!(jwt_exp(&jwt(json!([1, 2]))), None);
    assert_eq!(
        jwt_exp(&format!("h.{}.s", URL_SAFE_NO_PAD.encode("not json"))),
        None
    );
    // exp missing, not a number.
    assert_eq!(jwt_exp(&jwt(json!({"iat": 5}))), None);
    assert_eq!(jwt_exp(&jwt(json!({"exp": "2000000000"}))), None);
    assert_eq!(jwt_exp(&jwt(json!({"exp": null}))), None);
    assert_eq!(jwt_exp(&jwt(json!({"exp": true}))), None);
    // Fractions round down; huge values saturate; negative ones are kept (and refused later).
    assert_eq!(
        jwt_exp(&jwt(json!({"exp": 1_700_000_000.9}))),
        Some(1_700_000_000)
    );
    assert_eq!(jwt_exp(&jwt(json!({"exp": 1e300}))), Some(i64::MAX));
    assert_eq!(jwt_exp(&jwt(json!({"exp": u64::MAX}))), Some(i64::MAX));
    assert_eq!(jwt_exp(&jwt(json!({"exp": -5}))), Some(-5));
    // Past the length bound a token is opaque, whatever it holds.
    let padded = jwt(json!({"exp": 2_000_000_000, "pad": "x".repeat(MAX_JWT_BYTES)}));
    assert!(padded.len() > MAX_JWT_BYTES);
    assert_eq!(jwt_exp(&padded), None);
}

#[test]
fn the_effective_lifetime_is_the_earlier_of_exp_and_expires_in() {
    // Sent at 1_700_000_000.700 by the oracle's clock.
    let sent = DateTime::from_timestamp(1_700_000_000, 700_000_000).unwrap();
    let life = |token: &str, expires_in: u64| {
        effective_lifetime(token, Duration::from_secs(expires_in), sent)
    };
    // Not a JWT, or no exp: expires_in alone.
    assert_eq!(life("opaque", 10), Ok(Duration::from_secs(10)));
    assert_eq!(
        life(&jwt(json!({"iat": 1_700_000_000})), 10),
        Ok(Duration::from_secs(10))
    );
    // A whole-second exp one second short of expires_in: 8.3 s from the send time.
    let whole_second = jwt(json!({"iat": 1_700_000_000, "exp": 1_700_000_009}));
    assert_eq!(life(&whole_second, 10), Ok(Duration::from_millis(8_300)));
    // An exp later than expires_in: expires_in wins.
    let later = jwt(json!({"exp": 1_700_000_900}));
    assert_eq!(life(&later, 10), Ok(Duration::from_secs(10)));
    assert_eq!(
        life(&jwt(json!({"exp": 1e300})), 86_400),
        Ok(Duration::from_secs(86_400))
    );
    // Less than two seconds left by exp (or already past, or negative): refused, clearly.
    for exp in [json!(1_700_000_002), json!(1_700_000_000), json!(-5)] {
        let error = life(&jwt(json!({ "exp": exp })), 10).unwrap_err();
        assert!(error.contains("after the request was sent"), "{error}");
        assert!(error.contains("is this host's clock ahead"), "{error}");
        assert!(!error.contains("eyJ"), "{error}");
    }
    assert_eq!(
        life(&jwt(json!({"exp": 1_700_000_003})), 10),
        Ok(Duration::from_millis(2_300))
    );
}
