use axum::http::HeaderValue;
use base64::engine::general_purpose::STANDARD;

use super::*;

const FORM: &str = "application/x-www-form-urlencoded";

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        headers.append(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    headers
}

async fn read(headers: HeaderMap, body: &[u8]) -> Result<TokenRequest, AuthError> {
    read_token_request(&headers, Body::from(body.to_vec())).await
}

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

fn invalid_request(result: Result<TokenRequest, AuthError>) -> &'static str {
    match result {
        Err(AuthError::InvalidRequest(description)) => description,
        Err(other) => panic!("expected invalid_request, got {other:?}"),
        Ok(_) => panic!("expected invalid_request, got a request"),
    }
}

#[tokio::test]
async fn client_secret_post_is_read_from_the_body() {
    let request = read(
        headers(&[("content-type", FORM)]),
        b"grant_type=client_credentials&client_id=a&client_secret=s%26t",
    )
    .await
    .unwrap();
    assert_eq!(request.grant_type.as_deref(), Some("client_credentials"));
    let credentials = request.credentials.unwrap();
    assert_eq!(
        (credentials.client_id.as_str(), credentials.secret.as_str()),
        ("a", "s&t")
    );
    assert!(!request.used_basic);
}

#[tokio::test]
async fn client_secret_basic_form_decodes_id_and_secret_after_base64() {
    // RFC 6749 §2.3.1: id and secret are form-urlencoded before base64.
    let header = basic("svc%3Aone", "p%40ss+word%3A");
    let request = read(
        headers(&[("content-type", FORM), ("authorization", &header)]),
        b"grant_type=client_credentials",
    )
    .await
    .unwrap();
    let credentials = request.credentials.unwrap();
    assert_eq!(
        (credentials.client_id.as_str(), credentials.secret.as_str()),
        ("svc:one", "p@ss word:")
    );
    assert!(request.used_basic);
}

#[tokio::test]
async fn charset_parameter_is_allowed_when_utf8() {
    for content_type in [
        "application/x-www-form-urlencoded; charset=UTF-8",
        "Application/X-WWW-Form-Urlencoded;charset=\"utf-8\"",
    ] {
        read(
            headers(&[("content-type", content_type)]),
            b"grant_type=client_credentials",
        )
        .await
        .unwrap();
    }
    let refused = read(
        headers(&[(
            "content-type",
            "application/x-www-form-urlencoded; charset=latin1",
        )]),
        b"",
    )
    .await;
    assert_eq!(invalid_request(refused), "the form body must be UTF-8");
}

#[tokio::test]
async fn other_content_types_are_refused() {
    for content_type in [
        None,
        Some("application/json"),
        Some("text/plain"),
        Some("multipart/form-data; boundary=x"),
    ] {
        let headers = content_type
            .map(|value| headers(&[("content-type", value)]))
            .unwrap_or_default();
        let description = invalid_request(read(headers, b"grant_type=client_credentials").await);
        assert!(
            description.contains("x-www-form-urlencoded"),
            "{content_type:?}"
        );
    }
}

#[tokio::test]
async fn repeated_parameters_are_refused() {
    for body in [
        "grant_type=client_credentials&grant_type=client_credentials",
        "client_id=a&client_id=a",
        "scope=a&scope=b",
        "x=1&x=1",
        "client_secret=&client_secret=s",
    ] {
        let description =
            invalid_request(read(headers(&[("content-type", FORM)]), body.as_bytes()).await);
        assert!(description.contains("repeated"), "{body}: {description}");
    }
}

/// `count` distinct parameters: the three the endpoint reads, then `p3=x`, `p4=x`...
fn body_of(count: usize) -> String {
    let mut pairs = vec![
        "grant_type=client_credentials".to_owned(),
        "client_id=a".to_owned(),
        "client_secret=s".to_owned(),
    ];
    pairs.extend((3..count).map(|index| format!("p{index}=x")));
    pairs.truncate(count);
    pairs.join("&")
}

#[tokio::test]
async fn a_body_holds_at_most_32_parameters() {
    use crate::token::form::MAX_PARAMETERS;
    assert_eq!(MAX_PARAMETERS, 32);
    let at_limit = read(
        headers(&[("content-type", FORM)]),
        body_of(MAX_PARAMETERS).as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(at_limit.credentials.unwrap().client_id, "a");
    let over = read(
        headers(&[("content-type", FORM)]),
        body_of(MAX_PARAMETERS + 1).as_bytes(),
    )
    .await;
    assert_eq!(
        invalid_request(over),
        "the form body has more than 32 parameters; a token request needs at most 3"
    );
}

#[tokio::test]
async fn a_repeat_is_found_wherever_it_is_within_the_limit() {
    let full = body_of(32);
    for (repeat, named) in [
        ("client_id=a", "parameter client_id is repeated"),
        (
            "grant_type=client_credentials",
            "parameter grant_type is repeated",
        ),
        ("p3=x", "a parameter is repeated"),
        ("p30=y", "a parameter is repeated"),
    ] {
        // Replace the last parameter with the repeat, so the two are 30 or more apart.
        let (kept, _) = full.rsplit_once('&').unwrap();
        let body = format!("{kept}&{repeat}");
        let description =
            invalid_request(read(headers(&[("content-type", FORM)]), body.as_bytes()).await);
        assert_eq!(description, named, "{repeat}");
    }
}

#[tokio::test]
async fn both_authentication_methods_at_once_are_refused() {
    let header = basic("a", "s");
    for body in [
        "grant_type=client_credentials&client_secret=s",
        "grant_type=client_credentials&client_id=b",
    ] {
        let description = invalid_request(
            read(
                headers(&[("content-type", FORM), ("authorization", &header)]),
                body.as_bytes(),
            )
            .await,
        );
        assert!(
            description.contains("exactly one client authentication method"),
            "{body}"
        );
    }
    // The same id in the body as in the header is not a second method.
    let same = read(
        headers(&[("content-type", FORM), ("authorization", &header)]),
        b"grant_type=client_credentials&client_id=a",
    )
    .await;
    assert!(same.unwrap().credentials.is_some());
}

#[tokio::test]
async fn empty_values_count_as_omitted() {
    let request = read(
        headers(&[("content-type", FORM)]),
        b"grant_type=&client_id=a&client_secret=",
    )
    .await
    .unwrap();
    assert!(request.grant_type.is_none());
    assert!(request.credentials.is_none());
}

#[tokio::test]
async fn malformed_bodies_are_invalid_requests() {
    for body in [
        &b"grant_type=%zz"[..],
        b"client_secret=%ff%fe",
        b"client_secret=\xc3\x28",
        b"a=%",
    ] {
        invalid_request(read(headers(&[("content-type", FORM)]), body).await);
    }
}

#[tokio::test]
async fn oversized_bodies_are_refused_whether_declared_or_not() {
    let big = vec![b'a'; MAX_BODY_BYTES + 1];
    let declared = read(
        headers(&[
            ("content-type", FORM),
            ("content-length", &big.len().to_string()),
        ]),
        &big,
    )
    .await;
    assert!(matches!(declared, Err(AuthError::BodyTooLarge)));
    let undeclared = read(headers(&[("content-type", FORM)]), &big).await;
    assert!(matches!(undeclared, Err(AuthError::BodyTooLarge)));
    let exact = vec![b'a'; MAX_BODY_BYTES];
    assert!(
        read(headers(&[("content-type", FORM)]), &exact)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn malformed_basic_headers_fail_client_authentication_with_a_challenge() {
    let no_colon = format!("Basic {}", STANDARD.encode("nocolon"));
    let empty_secret = basic("a", "");
    let bad_escape = basic("a", "%zz");
    for value in [
        "Basic",
        "Basic !!!",
        no_colon.as_str(),
        empty_secret.as_str(),
        bad_escape.as_str(),
        "Bearer abc",
    ] {
        let result = read(
            headers(&[("content-type", FORM), ("authorization", value)]),
            b"grant_type=client_credentials",
        )
        .await;
        assert!(
            matches!(result, Err(AuthError::InvalidClient { challenge: true })),
            "{value}"
        );
    }
    let unpadded = format!("basic {}", STANDARD.encode("ab:cd").trim_end_matches('='));
    assert!(
        read(
            headers(&[("content-type", FORM), ("authorization", &unpadded)]),
            b""
        )
        .await
        .is_ok()
    );
}

#[tokio::test]
async fn credentials_never_show_the_secret_in_debug() {
    let credentials = ClientCredentials {
        client_id: "a".into(),
        secret: "hunter2".into(),
    };
    assert!(!format!("{credentials:?}").contains("hunter2"));
}
