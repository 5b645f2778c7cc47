//! Several servers on one key directory, each on its own (skewed) manual clock: they publish
//! the same JWKS; through a staged rotation every token any of them issues verifies against
//! every server's JWKS and against every JWKS a verifier fetched earlier and may still use
//! (within its `max-age`); a server started mid-rotation agrees with the others; retiring is
//! refused while tokens may be live, and propagates once allowed.
//!
//! The servers do not poll here: the test tells each one when it notices a change, as late as
//! a poll may (`MAX_NOTICE`), so the walk is exact. `key_watch.rs` tests the poll itself.

use std::sync::Arc;
use std::time::Duration;

use auth::keys::{
    Activation, DEFAULT_JWKS_MAX_AGE, KeyDirectory, MAX_NOTICE, RetireCheck, activation_delay,
};
use chrono::{TimeZone, Utc};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use service_runtime::clock::ManualClock;

use crate::support::*;

/// 2026-01-01T00:00:00Z.
const START: i64 = 1_767_225_600;
/// `auth.builtin.tokenTtlSeconds` of the example config.
const TOKEN_TTL: Duration = Duration::from_secs(900);

struct Replica {
    server: TestServer,
    clock: Arc<ManualClock>,
    /// How far this server's clock is ahead of true time.
    skew: i64,
}

/// A JWKS as a verifier fetched it: usable until `fetched_at + max_age`.
struct Cached {
    fetched_at: i64,
    max_age: i64,
    jwks: JwkSet,
    from: usize,
}

struct Issued {
    token: String,
    kid: String,
    /// Expiry in true time (the issuer's clock may be skewed).
    expires_at: i64,
    from: usize,
}

struct Cluster {
    fixture: Fixture,
    /// True time, seconds after START.
    now: i64,
    replicas: Vec<Replica>,
    cached: Vec<Cached>,
    issued: Vec<Issued>,
}

impl Cluster {
    fn new() -> Self {
        Self {
            fixture: Fixture::new(),
            now: 0,
            replicas: Vec::new(),
            cached: Vec::new(),
            issued: Vec::new(),
        }
    }

    fn instant(seconds: i64) -> chrono::DateTime<Utc> {
        Utc.timestamp_opt(START + seconds, 0).unwrap()
    }

    async fn start_replica(&mut self, skew: i64) {
        let clock = Arc::new(ManualClock::new(Self::instant(self.now + skew)));
        let mut options = self.fixture.options().with_clock(clock.clone());
        options.key_poll_interval = None;
        let server = TestServer::start(options).await;
        self.replicas.push(Replica {
            server,
            clock,
            skew,
        });
    }

    fn advance_to(&mut self, seconds: i64) {
        self.now = seconds;
        for replica in &self.replicas {
            replica.clock.set(Self::instant(seconds + replica.skew));
        }
    }

    /// The key directory as a `keys` command on a host with true time sees it.
    fn keys(&self) -> KeyDirectory {
        let clock = Arc::new(ManualClock::new(Self::instant(self.now)));
        KeyDirectory::new(&self.fixture.keys_dir).with_clock(clock)
    }

    /// Replica `index` reads the directory.
    async fn notice(&self, index: usize) {
        self.replicas[index]
            .server
            .reload
            .reload()
            .await
            .unwrap()
            .keys
            .unwrap();
    }

    /// Fetches every replica's JWKS, has each issue a token, then checks every live token
    /// against every JWKS a verifier may be using now. Returns the kids just signed with.
    async fn observe(&mut self) -> Vec<String> {
        let mut kids = Vec::new();
        for (index, replica) in self.replicas.iter().enumerate() {
            let response = replica
                .server
                .http
                .get(replica.server.url("/.well-known/jwks.json"))
                .send()
                .await
                .unwrap();
            let max_age = response.headers()["cache-control"]
                .to_str()
                .unwrap()
                .strip_prefix("public, max-age=")
                .unwrap()
                .parse()
                .unwrap();
            self.cached.push(Cached {
                fetched_at: self.now,
                max_age,
                jwks: response.json().await.unwrap(),
                from: index,
            });
            let token = replica.server.token(SCHEDULER, SCHEDULER_SECRET).await;
            let claims = json_claims(&token);
            let kid = jsonwebtoken::decode_header(&token).unwrap().kid.unwrap();
            kids.push(kid.clone());
            self.issued.push(Issued {
                token,
                kid,
                expires_at: claims["exp"].as_i64().unwrap() - START - replica.skew,
                from: index,
            });
        }
        self.check();
        kids
    }

    fn check(&self) {
        let usable = self
            .cached
            .iter()
            .filter(|cached| self.now <= cached.fetched_at + cached.max_age);
        for cached in usable {
            for issued in self.issued.iter().filter(|i| i.expires_at > self.now) {
                if let Err(error) = verify_signature(&issued.token, &cached.jwks) {
                    panic!(
                        "at {}: a token of replica {} (kid {}) fails against the JWKS replica {} served at {}: {error}",
                        self.now, issued.from, issued.kid, cached.from, cached.fetched_at
                    );
                }
            }
        }
    }

    fn published(&self) -> Vec<Vec<String>> {
        let fresh = self.cached.iter().rev().take(self.replicas.len());
        let mut sets: Vec<(usize, Vec<String>)> = fresh
            .map(|cached| {
                let kids = cached
                    .jwks
                    .keys
                    .iter()
                    .map(|jwk| jwk.common.key_id.clone().unwrap())
                    .collect();
                (cached.from, kids)
            })
            .collect();
        sets.sort();
        sets.into_iter().map(|(_, kids)| kids).collect()
    }
}

fn json_claims(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The signature, by the key the header names; expiry is the walk's business (true time).
fn verify_signature(token: &str, jwks: &JwkSet) -> Result<(), String> {
    let kid = jsonwebtoken::decode_header(token)
        .map_err(|e| e.to_string())?
        .kid
        .ok_or("no kid")?;
    let jwk = jwks.find(&kid).ok_or(format!("kid {kid} is not in it"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.set_required_spec_claims::<&str>(&[]);
    jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn a_staged_rotation_never_breaks_a_token_for_any_verifier() {
    let notice = MAX_NOTICE.as_secs() as i64;
    let mut cluster = Cluster::new();
    cluster.start_replica(0).await;
    cluster.start_replica(5).await;
    let old = cluster.observe().await;
    assert_eq!(old[0], old[1]);
    assert_eq!(cluster.published()[0], cluster.published()[1]);

    cluster.advance_to(5);
    let rotation = cluster
        .keys()
        .rotate(Activation::After(activation_delay(DEFAULT_JWKS_MAX_AGE)))
        .unwrap();
    let not_before = rotation.not_before - START;
    assert_eq!(not_before, 345);
    // Replica 0 notices at once, replica 1 as late as a poll may.
    cluster.notice(0).await;
    assert_eq!(cluster.observe().await, old);
    cluster.advance_to(5 + notice);
    cluster.observe().await;
    cluster.notice(1).await;
    assert_eq!(cluster.observe().await, old);
    let both = vec![old[0].clone(), rotation.kid.clone()];
    assert_eq!(cluster.published(), [both.clone(), both.clone()]);

    // A replica started mid-rotation, its clock 5 s behind, agrees with the others.
    cluster.advance_to(100);
    cluster.start_replica(-5).await;
    assert_eq!(cluster.observe().await, vec![old[0].clone(); 3]);
    assert_eq!(
        cluster.published(),
        [both.clone(), both.clone(), both.clone()]
    );

    // Through the activation, step by step: each replica switches by its own clock.
    for seconds in [
        200, 305, 306, 339, 340, 341, 344, 345, 346, 349, 350, 351, 400, 700,
    ] {
        cluster.advance_to(seconds);
        let kids = cluster.observe().await;
        for (index, kid) in kids.iter().enumerate() {
            let local = seconds + cluster.replicas[index].skew;
            let expected = if local >= not_before {
                &rotation.kid
            } else {
                &old[0]
            };
            assert_eq!(kid, expected, "replica {index} at {seconds}");
        }
    }

    // Retiring the old key waits for the tokens it signed (900 s, plus margins).
    let refused = cluster
        .keys()
        .retire(
            &old[0],
            RetireCheck::TokensExpired {
                token_ttl: TOKEN_TTL,
            },
        )
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("retire it from 2026-01-01T00:22:15Z (in 635 s)"),
        "{refused}"
    );
    cluster.advance_to(1335);
    cluster.observe().await;
    cluster
        .keys()
        .retire(
            &old[0],
            RetireCheck::TokensExpired {
                token_ttl: TOKEN_TTL,
            },
        )
        .unwrap();
    // Replicas notice at different moments; every live token still verifies everywhere.
    cluster.notice(2).await;
    cluster.observe().await;
    cluster.advance_to(1335 + notice);
    cluster.notice(0).await;
    cluster.notice(1).await;
    cluster.observe().await;
    let new = vec![rotation.kid.clone()];
    assert_eq!(cluster.published(), [new.clone(), new.clone(), new]);
    for replica in cluster.replicas {
        replica.server.stop().await;
    }
}

#[tokio::test]
async fn replicas_starting_together_on_a_staged_directory_publish_the_same_jwks() {
    let mut cluster = Cluster::new();
    cluster.advance_to(0);
    let rotation = cluster
        .keys()
        .rotate(Activation::After(activation_delay(DEFAULT_JWKS_MAX_AGE)))
        .unwrap();
    cluster.start_replica(0).await;
    cluster.start_replica(0).await;
    let documents: Vec<String> = {
        let mut documents = Vec::new();
        for replica in &cluster.replicas {
            let url = replica.server.url("/.well-known/jwks.json");
            documents.push(
                replica
                    .server
                    .http
                    .get(url)
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap(),
            );
        }
        documents
    };
    assert_eq!(documents[0], documents[1]);
    assert!(documents[0].contains(&rotation.kid));
    cluster.observe().await;
    for replica in cluster.replicas {
        replica.server.stop().await;
    }
}
