use axum::body::to_bytes;

use super::*;

async fn parts(error: AuthError) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
    let response = error.into_response();
    let status = response.status();
    let headers = response.headers().clone();
    let body = to_bytes(response.into_body(), 4096).await.unwrap();
    (status, headers, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn every_request_error_maps_to_its_rfc_6749_status_and_code() {
    let cases = [
        (AuthError::InvalidRequest("x"), 400, "invalid_request"),
        (AuthError::BodyTooLarge, 413, "invalid_request"),
        (AuthError::RequestTimeout, 408, "invalid_request"),
        (
            AuthError::InvalidClient { challenge: false },
            401,
            "invalid_client",
        ),
        (
            AuthError::UnsupportedGrantType,
            400,
            "unsupported_grant_type",
        ),
        (
            AuthError::Throttled {
                retry_after_secs: 3,
            },
            429,
            "temporarily_unavailable",
        ),
        (
            AuthError::Overloaded {
                retry_after_secs: 1,
            },
            503,
            "temporarily_unavailable",
        ),
        (AuthError::Internal("secret detail"), 500, "server_error"),
    ];
    for (error, status, code) in cases {
        let (actual_status, headers, body) = parts(error).await;
        assert_eq!(actual_status.as_u16(), status, "{body}");
        assert_eq!(body["error"], code);
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert_eq!(headers[header::PRAGMA], "no-cache");
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    }
}

#[tokio::test]
async fn internal_details_stay_out_of_500_bodies() {
    let (_, _, body) = parts(AuthError::Internal("secret detail")).await;
    assert_eq!(body, serde_json::json!({ "error": "server_error" }));
}

#[tokio::test]
async fn basic_challenge_and_retry_after_headers() {
    let (_, headers, _) = parts(AuthError::InvalidClient { challenge: true }).await;
    assert!(
        headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Basic ")
    );
    let (_, headers, _) = parts(AuthError::InvalidClient { challenge: false }).await;
    assert!(!headers.contains_key(header::WWW_AUTHENTICATE));
    let (_, headers, _) = parts(AuthError::Throttled {
        retry_after_secs: 7,
    })
    .await;
    assert_eq!(headers[header::RETRY_AFTER], "7");
}
