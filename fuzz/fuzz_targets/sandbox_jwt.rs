//! The ledger sandbox's bearer-token verification (`ledger_sandbox::fuzzing::TokenVerifier`, the
//! routes' own `Authenticator`) in HS256 mode and in RS256/JWKS mode.
//!
//! The JWKS-mode verifier fetches its key set once, at start-up, from a tiny JWKS server on
//! loopback. Its clock stands still at `2026-01-05T09:00:00Z` (1767603600), so that key set stays
//! fresh and the refetch rate limit never lets another fetch through: every later lookup of an
//! unknown `kid` is refused from the cache, as a flood of bogus tokens would be.
//!
//! # Input format
//!
//! Directive lines `name: value` up to the first empty line, then a payload (any bytes):
//!
//! - `mode: jwks` verifies with RS256 keys from the JWKS (default HS256 with a shared secret);
//! - `endpoint: command|query|party-list|party-allocate` (default `query`);
//! - `authorization: <value>` adds an `Authorization` header verbatim (repeatable);
//! - `header: <json>` replaces the JWS header the harness signs (default `{"alg":"HS256",
//!   "typ":"JWT"}`, or `{"alg":"RS256","typ":"JWT","kid":"fuzz-key"}` in JWKS mode);
//! - `scheme: <text>` replaces the `Bearer ` prefix of the signed token;
//! - `tamper:` flips a bit of the signature.
//!
//! When a payload section is present, the harness signs `base64url(header).base64url(payload)`
//! with the mode's real key (HMAC-SHA256 with the secret, or RSA PKCS#1 v1.5 SHA-256 with the
//! published key) and sends it first, so the fuzzer reaches the claim checks behind the
//! signature.
//!
//! # Checks
//!
//! - no panic; rejections are 401, or 403 for party allocation, with a reason and a message;
//! - only an untampered token signed by the harness, whose header names the mode's algorithm,
//!   is ever accepted (no `alg` confusion, no unsigned token);
//! - an accepted token is not expired and not used before its `nbf`/`iat`; a command token acts
//!   as a party, a query token acts or reads as one;
//! - no rejection message contains the token's signature.

#![no_main]

use std::io::{Read, Write};
use std::sync::{Arc, OnceLock};

use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;
use ledger_sandbox::fuzzing::{Endpoint, TokenVerifier};
use ledger_sandbox::SandboxOptions;
use service_runtime::clock::ManualClock;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

const SECRET: &str = "fuzz-hs256-secret-not-for-production";
const KID: &str = "fuzz-key";
const NOW: i64 = 1_767_603_600;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    hs256: TokenVerifier,
    jwks: TokenVerifier,
    rsa: KeyPair,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let rsa = KeyPair::generate(KeySize::Rsa2048).expect("RSA key");
        let clock = Arc::new(ManualClock::new(
            DateTime::from_timestamp(NOW, 0).expect("t0"),
        ));
        let mut hs256_options = SandboxOptions::hs256(SECRET);
        hs256_options.clock = clock.clone();
        let hs256 = TokenVerifier::new(&hs256_options).expect("HS256 verifier");
        let mut jwks_options = SandboxOptions::jwks(serve_jwks(jwk(&rsa)));
        jwks_options.clock = clock;
        let jwks = TokenVerifier::new(&jwks_options).expect("JWKS verifier");
        // Populate the key cache now; the fixed clock keeps it fresh for the whole run.
        let payload = json!({"https://daml.com/ledger-api": {"ledgerId": "sandbox",
                             "applicationId": "fuzz", "actAs": ["Operator::1220ab"]}});
        let token = sign(
            &rsa_header(),
            payload.to_string().as_bytes(),
            Mode::Jwks,
            &rsa,
        );
        let headers = bearer_headers(&format!("Bearer {token}"));
        runtime
            .block_on(jwks.authenticate(&headers, Endpoint::Query))
            .expect("the JWKS verifier accepts a token signed with the published key");
        Fixture {
            runtime,
            hs256,
            jwks,
            rsa,
        }
    })
}

/// Serves `{"keys": [jwk]}` to every connection, from a background thread, for the whole run.
fn serve_jwks(jwk: Value) -> url::Url {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind JWKS server");
    let address = listener.local_addr().expect("JWKS address");
    let body = json!({ "keys": [jwk] }).to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buffer = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(read) => request.extend_from_slice(&buffer[..read]),
                }
            }
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    url::Url::parse(&format!("http://{address}/.well-known/jwks.json")).expect("JWKS URL")
}

fn jwk(key: &KeyPair) -> Value {
    let public = key.public_key();
    json!({
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": KID,
        "n": URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
        "e": URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
    })
}

fn rsa_header() -> Vec<u8> {
    json!({"alg": "RS256", "typ": "JWT", "kid": KID})
        .to_string()
        .into_bytes()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Hs256,
    Jwks,
}

/// `base64url(header).base64url(payload).base64url(signature)` with the mode's real key.
fn sign(header: &[u8], payload: &[u8], mode: Mode, rsa: &KeyPair) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature = match mode {
        Mode::Hs256 => {
            let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, SECRET.as_bytes());
            aws_lc_rs::hmac::sign(&key, input.as_bytes())
                .as_ref()
                .to_vec()
        }
        Mode::Jwks => {
            let mut signature = vec![0; rsa.public_modulus_len()];
            rsa.sign(
                &RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .expect("RSA signature");
            signature
        }
    };
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn bearer_headers(value: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(value).expect("header value"),
    );
    headers
}

/// What the input asks for.
struct Case<'a> {
    mode: Mode,
    endpoint: Endpoint,
    raw_authorizations: Vec<&'a [u8]>,
    header: Option<&'a [u8]>,
    scheme: &'a [u8],
    tamper: bool,
    payload: Option<&'a [u8]>,
}

fn parse(data: &[u8]) -> Case<'_> {
    let (head, payload) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], Some(&data[at + 2..])),
        None => (data, None),
    };
    let mut case = Case {
        mode: Mode::Hs256,
        endpoint: Endpoint::Query,
        raw_authorizations: Vec::new(),
        header: None,
        scheme: b"Bearer ",
        tamper: false,
        payload,
    };
    for line in head.split(|byte| *byte == b'\n') {
        let Some(colon) = line.iter().position(|byte| *byte == b':') else {
            continue;
        };
        let value = &line[colon + 1..];
        let trimmed = value.strip_prefix(b" ").unwrap_or(value);
        match &line[..colon] {
            b"mode" => {
                if trimmed == b"jwks" {
                    case.mode = Mode::Jwks;
                }
            }
            b"endpoint" => {
                case.endpoint = match trimmed {
                    b"command" => Endpoint::Command,
                    b"party-list" => Endpoint::PartyList,
                    b"party-allocate" => Endpoint::PartyAllocate,
                    _ => Endpoint::Query,
                }
            }
            b"authorization" => case.raw_authorizations.push(trimmed),
            b"header" => case.header = Some(trimmed),
            b"scheme" => case.scheme = trimmed,
            b"tamper" => case.tamper = true,
            _ => {}
        }
    }
    case
}

fn integer_claim(payload: &Value, claim: &str) -> Option<i64> {
    payload.get(claim).and_then(Value::as_i64)
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let case = parse(data);
    let default_header = match case.mode {
        Mode::Hs256 => br#"{"alg":"HS256","typ":"JWT"}"#.to_vec(),
        Mode::Jwks => rsa_header(),
    };
    let header_bytes = case.header.map_or(default_header, <[u8]>::to_vec);
    let mut headers = HeaderMap::new();
    let mut signed = None;
    if let Some(payload) = case.payload {
        let mut token = sign(&header_bytes, payload, case.mode, &fixture.rsa);
        if case.tamper {
            // Flip one character of the signature within the base64url alphabet.
            let last = token.pop().expect("non-empty token");
            token.push(if last == 'A' { 'B' } else { 'A' });
        }
        let mut value = case.scheme.to_vec();
        value.extend_from_slice(token.as_bytes());
        if let Ok(value) = HeaderValue::from_bytes(&value) {
            headers.append(header::AUTHORIZATION, value);
            signed = Some(token);
        }
    }
    for raw in &case.raw_authorizations {
        if let Ok(value) = HeaderValue::from_bytes(raw) {
            headers.append(header::AUTHORIZATION, value);
        }
    }
    let verifier = match case.mode {
        Mode::Hs256 => &fixture.hs256,
        Mode::Jwks => &fixture.jwks,
    };
    let outcome = fixture
        .runtime
        .block_on(verifier.authenticate(&headers, case.endpoint));
    match outcome {
        Ok(accepted) => {
            let token = signed
                .as_deref()
                .expect("accepted a token the harness did not sign");
            assert!(!case.tamper, "accepted a tampered signature");
            let first = headers
                .get(header::AUTHORIZATION)
                .expect("a header was sent");
            assert!(first.as_bytes().ends_with(token.as_bytes()));
            let header: Value =
                serde_json::from_slice(&header_bytes).expect("accepted header is JSON");
            let expected_alg = match case.mode {
                Mode::Hs256 => "HS256",
                Mode::Jwks => "RS256",
            };
            assert_eq!(header["alg"], expected_alg, "alg confusion");
            let payload: Value = serde_json::from_slice(case.payload.expect("signed"))
                .expect("accepted payload is JSON");
            if let Some(exp) = integer_claim(&payload, "exp") {
                assert!(exp > NOW, "accepted an expired token (exp {exp})");
            }
            for claim in ["nbf", "iat"] {
                if let Some(not_before) = integer_claim(&payload, claim) {
                    assert!(not_before <= NOW, "accepted a token before its {claim}");
                }
            }
            match case.endpoint {
                Endpoint::Command => assert!(!accepted.act_as.is_empty()),
                Endpoint::Query => {
                    assert!(!accepted.act_as.is_empty() || !accepted.read_as.is_empty())
                }
                Endpoint::PartyList | Endpoint::PartyAllocate => {}
            }
        }
        Err(rejection) => {
            let allowed: &[u16] = match case.endpoint {
                Endpoint::PartyAllocate => &[401, 403],
                _ => &[401],
            };
            assert!(
                allowed.contains(&rejection.status),
                "status {}",
                rejection.status
            );
            assert!(!rejection.reason.is_empty() && !rejection.message.is_empty());
            if let Some(token) = &signed {
                let signature = token.rsplit('.').next().unwrap_or_default();
                assert!(
                    !rejection.message.contains(signature),
                    "a rejection message contains the signature: {}",
                    rejection.message
                );
            }
        }
    }
});
