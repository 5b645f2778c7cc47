//! The poll of the key directory, on tokio's paused clock: servers follow a staged rotation,
//! its activation and a retirement without SIGHUP, within `MAX_NOTICE`, and keep their key
//! set while the directory holds a half-written file. The servers' wall clock is a manual one:
//! while a request waits for a bcrypt thread, the paused clock jumps to the next timer, so
//! tokio's time runs ahead by an amount the test does not control, which only means more polls.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use auth::keys::{Activation, KeyDirectory, MAX_NOTICE, RetireCheck, activation_delay};
use auth::{AuthOptions, AuthServer};
use chrono::{TimeZone, Utc};
use service_runtime::clock::{Clock, ManualClock};

use crate::support::*;

/// 2026-01-01T00:00:00Z.
const START: i64 = 1_767_225_600;
const MAX_AGE: Duration = Duration::from_secs(60);

fn kids(jwks: &jsonwebtoken::jwk::JwkSet) -> Vec<String> {
    jwks.keys
        .iter()
        .map(|jwk| jwk.common.key_id.clone().unwrap())
        .collect()
}

async fn signing_kid(server: &TestServer) -> String {
    let token = server.token(SCHEDULER, SCHEDULER_SECRET).await;
    jsonwebtoken::decode_header(&token).unwrap().kid.unwrap()
}

/// Both servers publish `published` and sign with `signing`.
async fn both(servers: [&TestServer; 2], published: &[&str], signing: &str) {
    let mut documents = Vec::new();
    for server in servers {
        let jwks = server.jwks().await;
        assert_eq!(kids(&jwks), published);
        assert_eq!(signing_kid(server).await, signing);
        documents.push(serde_json::to_string(&jwks).unwrap());
    }
    assert_eq!(documents[0], documents[1]);
}

/// Overwrites a file in place with its first half, as a tool that does not rename would
/// leave it mid-write; returns the whole contents.
fn half_write(path: &Path) -> Vec<u8> {
    let whole = std::fs::read(path).unwrap();
    std::fs::write(path, &whole[..whole.len() / 2]).unwrap();
    whole
}

#[tokio::test(start_paused = true)]
async fn servers_follow_the_key_directory_without_sighup() {
    let fixture = Fixture::new();
    let clock = Arc::new(ManualClock::new(Utc.timestamp_opt(START, 0).unwrap()));
    let options = || {
        let mut options = fixture.options().with_clock(clock.clone());
        // On a paused clock the request timeout would fire while bcrypt runs.
        options.request_timeout = None;
        options.jwks_max_age = MAX_AGE;
        options
    };
    let a = TestServer::start(options()).await;
    let b = TestServer::start(options()).await;
    let response = a.http.get(a.url(auth::JWKS_PATH)).send().await.unwrap();
    assert_eq!(response.headers()["cache-control"], "public, max-age=60");
    let old = kids(&a.jwks().await).remove(0);

    let keys = KeyDirectory::new(&fixture.keys_dir).with_clock(clock.clone());
    let rotation = keys
        .rotate(Activation::After(activation_delay(MAX_AGE)))
        .unwrap();
    let new = rotation.kid.as_str();
    tokio::time::sleep(MAX_NOTICE).await;
    both([&a, &b], &[&old, new], &old).await;

    // Half-written files are refused; the set in force stays, and the whole file is taken.
    for name in ["manifest.json", "next.pem"] {
        let path = fixture.keys_dir.join(name);
        let whole = half_write(&path);
        tokio::time::sleep(MAX_NOTICE).await;
        both([&a, &b], &[&old, new], &old).await;
        std::fs::write(&path, whole).unwrap();
    }
    let garbage = fixture.keys_dir.join("published").join("garbage.pem");
    std::fs::create_dir_all(garbage.parent().unwrap()).unwrap();
    std::fs::write(&garbage, "-----BEGIN PUBLIC KEY-----\nAAA").unwrap();
    tokio::time::sleep(MAX_NOTICE).await;
    // A file the manifest does not name is not part of the set.
    both([&a, &b], &[&old, new], &old).await;

    // At the activation every server signs with the new key, without reading anything.
    clock.set(Utc.timestamp_opt(rotation.not_before - 1, 0).unwrap());
    both([&a, &b], &[&old, new], &old).await;
    clock.set(Utc.timestamp_opt(rotation.not_before, 0).unwrap());
    both([&a, &b], &[&old, new], new).await;
    assert_eq!(clock.unix_seconds(), rotation.not_before);

    // Retiring propagates within MAX_NOTICE.
    keys.retire(&old, RetireCheck::Now).unwrap();
    tokio::time::sleep(MAX_NOTICE).await;
    both([&a, &b], &[new], new).await;
    a.stop().await;
    b.stop().await;
}

#[test]
fn key_options_out_of_bounds_are_refused() {
    let fixture = Fixture::new();
    type Change = fn(&mut AuthOptions);
    let cases: [(Change, Option<&str>); 5] = [
        (
            |o| o.key_poll_interval = Some(Duration::ZERO),
            Some("key_poll_interval"),
        ),
        (
            |o| o.key_poll_interval = Some(MAX_NOTICE + Duration::from_millis(1)),
            Some("key_poll_interval"),
        ),
        (|o| o.key_poll_interval = Some(MAX_NOTICE), None),
        (
            |o| o.jwks_max_age = Duration::from_secs(86_401),
            Some("jwks_max_age"),
        ),
        (|o| o.jwks_max_age = Duration::from_secs(86_400), None),
    ];
    for (change, refused) in cases {
        let mut options = fixture.options();
        change(&mut options);
        match (AuthServer::prepare(options), refused) {
            (Ok(_), None) => {}
            (Err(error), Some(name)) => {
                let error = error.to_string();
                assert!(error.starts_with(name), "{error}");
            }
            (Ok(_), Some(name)) => panic!("{name} accepted"),
            (Err(error), None) => panic!("refused: {error}"),
        }
    }
}
