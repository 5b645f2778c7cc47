//! `POST /auth/oauth/token` with arbitrary headers and body, through the real router
//! (`AuthServer::router()` + `tower::ServiceExt::oneshot`, no socket).
//!
//! # Input format
//!
//! An HTTP-message-like text, so seeds are readable and mutations stay meaningful: header lines
//! `Name: value` up to the first empty line, then the body, verbatim (any bytes). A header line
//! whose name or value is not a valid HTTP header is skipped. Lines starting with `@` are
//! directives for the harness:
//!
//! - `@basic: <id>:<secret>`: `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))`,
//!   the encoding RFC 6749 §2.3.1 prescribes;
//! - `@basic-raw: <bytes>` / `@basic-nopad: <bytes>`: `Authorization: Basic base64(bytes)` with
//!   or without padding, so the fuzzer controls the percent-encoding inside;
//! - `@throttle:` serves the request from the server with the default throttling (the
//!   other server has throttling off, so failures never hide the later checks).
//!
//! Both servers trust the proxy `127.0.0.1`, the peer of every request, so `X-Forwarded-For`
//! lines are parsed too. The registry holds cost-4 hashes of the test secrets below.
//!
//! # Checks
//!
//! - no 5xx except the documented `503` shedding;
//! - every 4xx and the 503 carry an RFC 6749 §5.2 JSON body (`error` from the RFC's codes,
//!   optional `error_description`, nothing else), `Cache-Control: no-store`, and the headers
//!   their status requires (`Retry-After` on 429/503, a Basic challenge on 401 after Basic);
//! - a 200 is an RFC 6749 §5.1 token response;
//! - no response body contains a secret of the registry.

#![no_main]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::OnceLock;

use auth::{AuthOptions, AuthServer, ThrottleLimits, TrustedProxies};
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderName, HeaderValue, Method, Request, header};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tower::ServiceExt;

const CONFIG_TEXT: &str = include_str!("../../examples/irsforge.builtin.yaml");
/// The two accounts of the example config, with test-only secrets (the first needs encoding).
const ACCOUNTS: [(&str, &str); 2] = [
    ("mark-publisher", "mp s3cr3t:/+=&%é"),
    ("scheduler", "scheduler-secret-0123456789"),
];

struct Fixture {
    runtime: tokio::runtime::Runtime,
    unthrottled: Router,
    throttled: Router,
    /// Holds the registry and the key directory for the life of the process.
    _dir: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let registry_path = dir.path().join("service-accounts.yaml");
        let keys_dir = dir.path().join("keys");
        let mut registry = String::from("accounts:\n");
        for (id, secret) in ACCOUNTS {
            let hash = auth::secret_hash::hash_secret(secret.as_bytes(), 4).expect("hash");
            registry.push_str(&format!("  - id: {id}\n    clientSecretHash: \"{hash}\"\n"));
        }
        std::fs::write(&registry_path, registry).expect("write registry");
        auth::keys::load_or_create(&keys_dir).expect("key directory");
        let server = |throttle: ThrottleLimits| {
            let config = shared_config::load_str(
                CONFIG_TEXT,
                "irsforge.yaml",
                &shared_config::MapEnv::default(),
            )
            .expect("example config");
            let mut options = AuthOptions::new(config, &registry_path, &keys_dir);
            options.bcrypt_workers = 1;
            options.bcrypt_queue = 4;
            options.bcrypt_nice = 0;
            options.throttle = throttle;
            options.trusted_proxies = TrustedProxies::parse_list("127.0.0.1").expect("proxies");
            // Requests are driven one at a time without a socket; no timer is needed.
            options.request_timeout = None;
            AuthServer::prepare(options).expect("auth server").router()
        };
        let unthrottled = server(ThrottleLimits {
            per_address_per_minute: 0,
            per_client_per_minute: 0,
            ..ThrottleLimits::default()
        });
        let throttled = server(ThrottleLimits::default());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        Fixture {
            runtime,
            unthrottled,
            throttled,
            _dir: dir,
        }
    })
}

/// What the harness built from the input.
struct Built {
    request: Request<Body>,
    throttled: bool,
    used_basic: bool,
}

fn build(data: &[u8]) -> Built {
    let (head, body) = match find(data, b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(auth::TOKEN_PATH)
        .body(Body::from(body.to_vec()))
        .expect("request");
    let peer = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 40_000);
    request.extensions_mut().insert(ConnectInfo(peer));
    let mut throttled = false;
    for line in head.split(|byte| *byte == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|byte| *byte == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], trim_start(&line[colon + 1..]));
        let authorization = |encoded: String| format!("Basic {encoded}").into_bytes();
        let (name, value): (&[u8], Vec<u8>) = match name {
            b"@throttle" => {
                throttled = true;
                continue;
            }
            b"@basic" => {
                let split = value.iter().position(|byte| *byte == b':');
                let (id, secret) = match split {
                    Some(at) => (&value[..at], &value[at + 1..]),
                    None => (value, &[][..]),
                };
                let encoded = format!("{}:{}", urlencode(id), urlencode(secret));
                (b"authorization", authorization(STANDARD.encode(encoded)))
            }
            b"@basic-raw" => (b"authorization", authorization(STANDARD.encode(value))),
            b"@basic-nopad" => (
                b"authorization",
                authorization(STANDARD_NO_PAD.encode(value)),
            ),
            _ => (name, value.to_vec()),
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name),
            HeaderValue::from_bytes(&value),
        ) else {
            continue;
        };
        request.headers_mut().append(name, value);
    }
    let used_basic = request.headers().contains_key(header::AUTHORIZATION);
    Built {
        request,
        throttled,
        used_basic,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|byte| *byte != b' ')
        .unwrap_or(bytes.len());
    &bytes[start..]
}

fn urlencode(bytes: &[u8]) -> String {
    form_urlencoded::byte_serialize(bytes).collect()
}

fn check_oauth_error(status: u16, headers: &axum::http::HeaderMap, body: &[u8], used_basic: bool) {
    let json: Value = serde_json::from_slice(body).unwrap_or_else(|_| {
        panic!(
            "{status} body is not JSON: {:?}",
            String::from_utf8_lossy(body)
        )
    });
    let object = json
        .as_object()
        .unwrap_or_else(|| panic!("{status} body is not an object: {json}"));
    let code = object["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no string error: {json}"));
    let allowed: &[&str] = match status {
        400 | 413 => &["invalid_request", "unsupported_grant_type"],
        401 => &["invalid_client"],
        429 | 503 => &["temporarily_unavailable"],
        _ => panic!("unexpected status {status}: {json}"),
    };
    assert!(allowed.contains(&code), "{status} with error {code}");
    if let Some(description) = object.get("error_description") {
        assert!(
            description.is_string(),
            "error_description is not a string: {json}"
        );
    }
    assert!(
        object
            .keys()
            .all(|key| key == "error" || key == "error_description"),
        "extra members: {json}"
    );
    assert_eq!(
        headers.get(header::CONTENT_TYPE).map(HeaderValue::as_bytes),
        Some(&b"application/json"[..])
    );
    assert_eq!(
        headers
            .get(header::CACHE_CONTROL)
            .map(HeaderValue::as_bytes),
        Some(&b"no-store"[..])
    );
    if matches!(status, 429 | 503) {
        assert!(
            headers.contains_key(header::RETRY_AFTER),
            "{status} without Retry-After"
        );
    }
    if status == 401 && used_basic {
        assert!(
            headers.contains_key(header::WWW_AUTHENTICATE),
            "401 after Basic without a challenge"
        );
    }
}

fn check_token_response(headers: &axum::http::HeaderMap, body: &[u8]) {
    let json: Value = serde_json::from_slice(body).expect("token response is JSON");
    let token = json["access_token"].as_str().expect("access_token");
    assert_eq!(token.split('.').count(), 3, "access_token is not a JWS");
    assert_eq!(json["token_type"], "Bearer");
    assert!(
        json["expires_in"]
            .as_u64()
            .is_some_and(|seconds| seconds > 0)
    );
    assert_eq!(
        headers
            .get(header::CACHE_CONTROL)
            .map(HeaderValue::as_bytes),
        Some(&b"no-store"[..])
    );
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let Built {
        request,
        throttled,
        used_basic,
    } = build(data);
    let router = if throttled {
        fixture.throttled.clone()
    } else {
        fixture.unthrottled.clone()
    };
    let (status, headers, body) = fixture.runtime.block_on(async {
        let response = router.oneshot(request).await.expect("infallible router");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("response body");
        (status, headers, body)
    });
    match status {
        200 => check_token_response(&headers, &body),
        400..=499 | 503 => check_oauth_error(status, &headers, &body, used_basic),
        _ => panic!(
            "unexpected status {status}: {:?}",
            String::from_utf8_lossy(&body)
        ),
    }
    for (_, secret) in ACCOUNTS {
        assert!(
            find(&body, secret.as_bytes()).is_none(),
            "a response body contains a client secret"
        );
    }
});
