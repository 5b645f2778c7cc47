//! Property tests over hostile input, the quick counterparts of the fuzz targets in `fuzz/`
//! (`token_request`, `service_accounts_loader`): the token endpoint's parsing of body, headers
//! and Basic credentials through `AuthServer::router()` without a socket, and the
//! `service-accounts.yaml` loader.

use std::path::Path;
use std::sync::OnceLock;

use auth::registry::Registry;
use auth::{AuthError, AuthServer, ThrottleLimits};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, header};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use proptest::prelude::*;
use tower::ServiceExt;

use crate::support::{Fixture, MARK_PUBLISHER, MARK_PUBLISHER_SECRET, SCHEDULER, SCHEDULER_SECRET};

const FORM: &str = "application/x-www-form-urlencoded";

/// One server per test binary, throttling off (so failures never turn into 429 and hide the
/// parsing outcome), one bcrypt worker, no request timer.
fn router() -> Router {
    static SERVER: OnceLock<(Fixture, AuthServer)> = OnceLock::new();
    let (_, server) = SERVER.get_or_init(|| {
        let fixture = Fixture::new();
        let mut options = fixture.options();
        options.throttle = ThrottleLimits {
            per_address_per_minute: 0,
            per_client_per_minute: 0,
            ..ThrottleLimits::default()
        };
        options.bcrypt_workers = 1;
        options.request_timeout = None;
        let server = AuthServer::prepare(options).unwrap();
        (fixture, server)
    });
    server.router()
}

struct Answer {
    status: u16,
    headers: axum::http::HeaderMap,
    body: serde_json::Value,
}

/// Posts to the token endpoint on a fresh current-thread runtime (proptest bodies are sync).
fn post(content_type: Option<&[u8]>, authorization: Option<&[u8]>, body: Vec<u8>) -> Answer {
    let mut request = Request::post(auth::TOKEN_PATH)
        .body(Body::from(body))
        .unwrap();
    for (name, value) in [
        (header::CONTENT_TYPE, content_type),
        (header::AUTHORIZATION, authorization),
    ] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_bytes(v).ok()) {
            request.headers_mut().insert(name, value);
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let response = router().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            panic!(
                "{status}: the body is not JSON: {:?}",
                String::from_utf8_lossy(&bytes)
            )
        });
        Answer {
            status,
            headers,
            body,
        }
    })
}

/// Checks an RFC 6749 §5.2 error response and returns its `error` code.
fn oauth_error(answer: &Answer) -> String {
    let object = answer.body.as_object().expect("an error body is an object");
    assert!(
        object
            .keys()
            .all(|key| key == "error" || key == "error_description"),
        "{}",
        answer.body
    );
    assert_eq!(answer.headers["content-type"], "application/json");
    assert_eq!(answer.headers["cache-control"], "no-store");
    object["error"].as_str().expect("a string error").to_owned()
}

/// Percent-encodes `text` for a form or a Basic credential, choosing per character (from
/// `choices`) between the literal and `%XX`, and between `+` and `%20` for a space. Characters
/// with a meaning (`% & = + :`) are always escaped. Every choice decodes to `text`.
fn encode_variously(text: &str, choices: &[bool]) -> String {
    let mut encoded = String::new();
    let mut choice = choices.iter().cycle();
    for character in text.chars() {
        let escape = *choice.next().unwrap_or(&false);
        match character {
            ' ' if !escape => encoded.push('+'),
            '%' | '&' | '=' | '+' | ':' => push_escaped(&mut encoded, character),
            _ if escape || !character.is_ascii_graphic() && !character.is_alphanumeric() => {
                push_escaped(&mut encoded, character)
            }
            _ => encoded.push(character),
        }
    }
    encoded
}

fn push_escaped(encoded: &mut String, character: char) {
    let mut buffer = [0; 4];
    for byte in character.encode_utf8(&mut buffer).bytes() {
        // Either case of hex digit is valid (WHATWG URL §1.3).
        encoded.push_str(&format!("%{byte:02X}"));
    }
}

fn account() -> impl Strategy<Value = (&'static str, &'static str)> {
    prop_oneof![
        Just((MARK_PUBLISHER, MARK_PUBLISHER_SECRET)),
        Just((SCHEDULER, SCHEDULER_SECRET)),
    ]
}

fn content_type() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        Just(None),
        Just(Some(FORM.as_bytes().to_vec())),
        Just(Some(
            b"application/x-www-form-urlencoded; charset=latin1".to_vec()
        )),
        Just(Some(
            b"Application/X-WWW-Form-Urlencoded;charset=\"UTF-8\"".to_vec()
        )),
        Just(Some(b"application/json".to_vec())),
        proptest::collection::vec(any::<u8>(), 0..48).prop_map(Some),
    ]
}

fn authorization() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        Just(None),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(Some),
        proptest::collection::vec(any::<u8>(), 0..64)
            .prop_map(|raw| Some(format!("Basic {}", STANDARD.encode(raw)).into_bytes())),
        "[A-Za-z0-9+/=%: ]{0,40}".prop_map(|text| Some(format!("Basic {text}").into_bytes())),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        "(grant_type|client_id|client_secret|scope|[a-z%+=&]{1,6})(=[a-zA-Z0-9%+&=_-]{0,20})?(&(grant_type|client_id|client_secret)=[a-z%+_-]{0,20}){0,4}"
            .prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever arrives, the answer is a token or an RFC 6749 §5.2 error: never another 4xx
    /// shape, never a 5xx (one request at a time cannot fill the bcrypt queue, so not even 503).
    #[test]
    fn arbitrary_requests_get_a_token_or_an_oauth2_error(
        content_type in content_type(),
        authorization in authorization(),
        body in body(),
    ) {
        let answer = post(content_type.as_deref(), authorization.as_deref(), body);
        match answer.status {
            200 => prop_assert_eq!(&answer.body["token_type"], "Bearer"),
            400 | 413 => {
                let code = oauth_error(&answer);
                prop_assert!(code == "invalid_request" || code == "unsupported_grant_type", "{}", code);
            }
            401 => {
                prop_assert_eq!(oauth_error(&answer), "invalid_client");
                if authorization.is_some_and(|value| HeaderValue::from_bytes(&value).is_ok()) {
                    prop_assert!(answer.headers.contains_key("www-authenticate"));
                }
            }
            status => prop_assert!(false, "unexpected status {}: {}", status, answer.body),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every valid encoding of the real credentials authenticates, by either method
    /// (RFC 6749 §2.3.1: form-urlencode id and secret, then Basic base64 with or without padding).
    #[test]
    fn every_valid_encoding_of_real_credentials_is_accepted(
        (client_id, secret) in account(),
        choices in proptest::collection::vec(any::<bool>(), 1..16),
        use_basic in any::<bool>(),
        padded in any::<bool>(),
        scheme in prop_oneof![Just("Basic"), Just("basic"), Just("BASIC")],
    ) {
        let (id, secret_encoded) = (encode_variously(client_id, &choices), encode_variously(secret, &choices));
        let answer = if use_basic {
            let credentials = format!("{id}:{secret_encoded}");
            let base64 = if padded { STANDARD.encode(&credentials) } else { STANDARD_NO_PAD.encode(&credentials) };
            let value = format!("{scheme} {base64}");
            post(Some(FORM.as_bytes()), Some(value.as_bytes()), b"grant_type=client_credentials".to_vec())
        } else {
            let body = format!("client_secret={secret_encoded}&grant_type=client_credentials&client_id={id}");
            post(Some(FORM.as_bytes()), None, body.into_bytes())
        };
        prop_assert_eq!(answer.status, 200, "{}", answer.body);
        prop_assert_eq!(&answer.body["expires_in"], 900);
    }

    /// Any other credentials, however encoded, are `invalid_client` with the Basic challenge.
    #[test]
    fn other_basic_credentials_are_invalid_client(
        client_id in "[^:]{1,24}",
        secret in ".{1,90}",
        choices in proptest::collection::vec(any::<bool>(), 1..16),
    ) {
        prop_assume!(![(MARK_PUBLISHER, MARK_PUBLISHER_SECRET), (SCHEDULER, SCHEDULER_SECRET)]
            .contains(&(client_id.as_str(), secret.as_str())));
        let credentials = format!("{}:{}", encode_variously(&client_id, &choices), encode_variously(&secret, &choices));
        let value = format!("Basic {}", STANDARD.encode(credentials));
        let answer = post(Some(FORM.as_bytes()), Some(value.as_bytes()), b"grant_type=client_credentials".to_vec());
        prop_assert_eq!(answer.status, 401, "{}", answer.body);
        prop_assert_eq!(oauth_error(&answer), "invalid_client");
        prop_assert!(answer.headers.contains_key("www-authenticate"));
    }
}

fn registry_problems(text: &str) -> Result<Registry, Vec<String>> {
    match Registry::from_yaml(text, Path::new("service-accounts.yaml")) {
        Ok(registry) => Ok(registry),
        Err(AuthError::RegistryInvalid { problems, .. }) => Err(problems),
        Err(other) => panic!("unexpected error: {other}"),
    }
}

/// 22 + 31 characters of bcrypt base64 whose last characters carry no padding bits.
const SALT_AND_HASH: &str = "dummydummydummydummydedummydummydummydummydummydummye";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary text is refused with at least one problem, never a panic.
    #[test]
    fn arbitrary_registry_text_is_refused_with_problems(text in any::<String>()) {
        if let Err(problems) = registry_problems(&text) {
            prop_assert!(!problems.is_empty() && problems.iter().all(|p| !p.is_empty()));
        }
    }

    /// YAML-shaped text, with the registry's own keys, never panics and never loads empty.
    #[test]
    fn registry_shaped_text_never_panics(
        text in "(accounts:|- id: |clientSecretHash(es)?: |\\$2[abxy]\\$[0-9]{2}\\$|[a-z:\\[\\]{}&*\"' \\n-]){0,40}"
    ) {
        match registry_problems(&text) {
            Ok(registry) => prop_assert!(!registry.is_empty()),
            Err(problems) => prop_assert!(!problems.is_empty()),
        }
    }

    /// A well-formed registry of unique ids loads with every account, whatever the bcrypt
    /// variant and cost of each hash, and a failure verifies each cost as many times as the
    /// account with the most hashes of that cost has, highest cost first.
    #[test]
    fn well_formed_registries_load_every_account(
        accounts in proptest::collection::btree_map(
            "[a-z][a-z0-9-]{0,15}",
            proptest::collection::vec((prop_oneof![Just('a'), Just('b'), Just('x'), Just('y')], 4u32..=31), 1..4),
            1..6,
        ),
    ) {
        let mut text = String::from("accounts:\n");
        for (id, hashes) in &accounts {
            text.push_str(&format!("  - id: \"{id}\"\n    clientSecretHashes:\n"));
            for (variant, cost) in hashes {
                text.push_str(&format!("      - \"$2{variant}${cost:02}${SALT_AND_HASH}\"\n"));
            }
        }
        let registry = registry_problems(&text).unwrap();
        prop_assert_eq!(registry.len(), accounts.len());
        let mut plan = Vec::new();
        for cost in (4..=31).rev() {
            let most = accounts
                .values()
                .map(|hashes| hashes.iter().filter(|(_, c)| *c == cost).count())
                .max()
                .unwrap();
            plan.extend(std::iter::repeat_n(cost, most));
        }
        prop_assert_eq!(registry.failure_plan(), &plan[..]);
        prop_assert_eq!(registry.verifications_per_failure(), plan.len());
        let debug = format!("{registry:?}");
        prop_assert!(!debug.contains(SALT_AND_HASH), "{}", debug);
    }
}
