//! Property tests of token verification, the quick counterpart of the `sandbox_jwt` fuzz target
//! in `fuzz/`: the routes' own verifier (`ledger_sandbox::fuzzing::TokenVerifier`) on arbitrary
//! headers and payloads, in HS256 mode and in JWKS mode, with the clock pinned at `t0()`.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, header};
use ledger_sandbox::SandboxOptions;
use ledger_sandbox::fuzzing::{Accepted, Endpoint, Rejection, TokenVerifier};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use service_runtime::clock::ManualClock;

use crate::support::{
    APPLICATION_ID, JwksServer, LEDGER_ID, SECRET, b64, hs256_options, jwk, rs256_token, rsa_keys,
    t0,
};

fn with_clock(mut options: SandboxOptions) -> SandboxOptions {
    options.clock = Arc::new(ManualClock::new(t0()));
    options
}

fn authenticate(
    verifier: &TokenVerifier,
    runtime: &tokio::runtime::Runtime,
    authorization: &[u8],
    endpoint: Endpoint,
) -> Result<Accepted, Rejection> {
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_bytes(authorization) {
        headers.insert(header::AUTHORIZATION, value);
    }
    runtime.block_on(verifier.authenticate(&headers, endpoint))
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// An HS256 token over arbitrary payload bytes, signed with the sandbox's secret.
fn hs256_over(payload: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        b64(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64(payload)
    );
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, SECRET.as_bytes());
    let signature = aws_lc_rs::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", b64(signature.as_ref()))
}

fn endpoint() -> impl Strategy<Value = Endpoint> {
    prop_oneof![
        Just(Endpoint::Command),
        Just(Endpoint::Query),
        Just(Endpoint::PartyList),
        Just(Endpoint::PartyAllocate),
    ]
}

fn assert_refused(outcome: Result<Accepted, Rejection>, endpoint: Endpoint) -> Rejection {
    let rejection = outcome.expect_err("an unsigned or malformed token was accepted");
    let allowed: &[u16] = match endpoint {
        Endpoint::PartyAllocate => &[401, 403],
        _ => &[401],
    };
    assert!(allowed.contains(&rejection.status), "{rejection:?}");
    assert!(!rejection.message.is_empty() && !rejection.reason.is_empty());
    rejection
}

/// A party id of the sandbox's namespace, or an arbitrary string (the verifier does not
/// resolve parties; the ledger does, later).
fn party() -> impl Strategy<Value = String> {
    prop_oneof!["(Operator|PartyA|Scheduler)::1220[0-9a-f]{8}", ".{0,12}",]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary header values (not signed by anyone) are refused with 401, or 403 for party
    /// allocation, and a reason.
    #[test]
    fn arbitrary_authorization_headers_are_refused(
        value in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..96),
            "Bearer [A-Za-z0-9_=.-]{0,80}".prop_map(String::into_bytes),
        ],
        endpoint in endpoint(),
    ) {
        let verifier = TokenVerifier::new(&with_clock(hs256_options())).unwrap();
        assert_refused(authenticate(&verifier, &current_thread(), &value, endpoint), endpoint);
    }

    /// Correctly signed arbitrary payloads never panic the codec, and a signed payload that is
    /// not a JSON object is refused.
    #[test]
    fn signed_arbitrary_payloads_are_decoded_safely(
        payload in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..128),
            "[{}\\[\\]\":,0-9a-zA-Z .-]{0,96}".prop_map(String::into_bytes),
        ],
        endpoint in endpoint(),
    ) {
        let verifier = TokenVerifier::new(&with_clock(hs256_options())).unwrap();
        let value = format!("Bearer {}", hs256_over(&payload));
        let outcome = authenticate(&verifier, &current_thread(), value.as_bytes(), endpoint);
        let is_object = serde_json::from_slice::<Value>(&payload).is_ok_and(|v| v.is_object());
        if !is_object {
            assert_refused(outcome, endpoint);
        }
    }

    /// A complete custom-claims token is accepted exactly while it is valid in time
    /// (`exp` strictly after now, `nbf` not after now; leeway 0), and grants what it claims.
    #[test]
    fn well_formed_claims_are_accepted_exactly_while_valid(
        act_as in proptest::collection::vec(party(), 1..4),
        read_as in proptest::collection::vec(party(), 0..3),
        exp_offset in -600i64..600,
        nbf_offset in proptest::option::of(-600i64..600),
    ) {
        let now = t0().timestamp();
        let mut payload = json!({
            "https://daml.com/ledger-api": {"ledgerId": LEDGER_ID, "applicationId": APPLICATION_ID,
                                            "actAs": act_as, "readAs": read_as},
            "exp": now + exp_offset,
        });
        if let Some(offset) = nbf_offset {
            payload["nbf"] = json!(now + offset);
        }
        let verifier = TokenVerifier::new(&with_clock(hs256_options())).unwrap();
        let value = format!("Bearer {}", hs256_over(payload.to_string().as_bytes()));
        let outcome = authenticate(&verifier, &current_thread(), value.as_bytes(), Endpoint::Command);
        let valid = exp_offset > 0 && nbf_offset.is_none_or(|offset| offset <= 0);
        if valid {
            let accepted = outcome.unwrap();
            prop_assert_eq!(accepted.act_as, act_as);
            prop_assert_eq!(accepted.read_as, read_as);
        } else {
            let rejection = assert_refused(outcome, Endpoint::Command);
            prop_assert!(rejection.message.contains("UNAUTHENTICATED"), "{}", rejection.message);
        }
    }
}

/// In JWKS mode only the published key under its `kid` verifies: the same claims signed with
/// another key, under another `kid`, or with the wrong algorithm are refused, and the key set
/// is fetched once (the pinned clock keeps it fresh and rate-limits refetches).
#[test]
fn jwks_tokens_verify_only_with_the_published_key() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let keys = rsa_keys();
    let server = runtime.block_on(JwksServer::start(vec![jwk(&keys[0], "k1")]));
    let mut options = with_clock(SandboxOptions::jwks(server.url.clone()));
    options.application_id = Some(APPLICATION_ID.into());
    let verifier = TokenVerifier::new(&options).unwrap();
    let strategy = (
        proptest::collection::vec(party(), 1..3),
        0usize..4,
        "[a-z0-9-]{1,12}",
    );
    let mut runner = TestRunner::new(Config::with_cases(64));
    runner
        .run(&strategy, |(act_as, variant, other_kid)| {
            let claims = json!({
                "https://daml.com/ledger-api": {"ledgerId": LEDGER_ID,
                    "applicationId": APPLICATION_ID, "actAs": act_as},
                "exp": t0().timestamp() + 60,
            });
            let token = match variant {
                0 => rs256_token(&keys[0], Some("k1"), &claims),
                1 => rs256_token(&keys[1], Some("k1"), &claims),
                2 => rs256_token(&keys[0], Some(&format!("x{other_kid}")), &claims),
                _ => crate::support::hs256_token(SECRET, &claims),
            };
            let value = format!("Bearer {token}");
            let outcome = authenticate(&verifier, &runtime, value.as_bytes(), Endpoint::Query);
            if variant == 0 {
                prop_assert_eq!(outcome.unwrap().act_as, act_as);
            } else {
                let rejection = assert_refused(outcome, Endpoint::Query);
                let expected = [
                    "",
                    "signature is invalid",
                    "no key with kid",
                    "accepts only RS256",
                ];
                prop_assert!(
                    rejection.message.contains(expected[variant]),
                    "{}",
                    rejection.message
                );
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(server.hits(), 1, "the key set is fetched once");
    runtime.block_on(server.stop());
}
