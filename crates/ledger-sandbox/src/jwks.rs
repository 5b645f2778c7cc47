//! RS256 verification keys from a JWKS URL (`docs/ledger-json-api.md` §1.7, RFC 7517).
//!
//! Keys are cached by `kid`. A token whose `kid` is not cached, or a key set older than the
//! cache TTL, triggers a fetch of the whole document, which then replaces the cached set (so a
//! key the auth service stopped publishing stops being trusted at the next fetch; Canton keeps
//! such a key up to 10 h, a documented difference). Unlike Canton, fetches are rate-limited:
//! at most one per `refetch_interval` on the injected clock, whatever the outcome, so a flood
//! of tokens with bogus `kid`s costs the auth service one request per interval. One fetch runs
//! at a time; lookups of cached keys never wait for it, and lookups that need a fetch wait for
//! the one in flight and then use its result.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyAlgorithm, PublicKeyUse};
use serde_json::Value;
use service_runtime::clock::Clock;
use url::Url;

use crate::error::SandboxError;
use crate::options::JwksOptions;

/// A cache of RS256 verification keys backed by a JWKS URL.
#[derive(Debug)]
pub(crate) struct JwksCache {
    url: Url,
    client: reqwest::Client,
    options: JwksOptions,
    clock: Arc<dyn Clock>,
    /// The cached key set. Lookups of cached keys only take this lock, briefly, so they never
    /// wait for a fetch in flight.
    keys: std::sync::RwLock<KeySet>,
    /// Held for the whole of a fetch, so at most one runs; records the last attempt.
    fetch_gate: tokio::sync::Mutex<Option<DateTime<Utc>>>,
}

#[derive(Debug, Default, Clone)]
struct KeySet {
    keys: HashMap<String, DecodingKey>,
    /// When the set was fetched; `None` before the first successful fetch.
    fetched_at: Option<DateTime<Utc>>,
}

/// What the cache holds for a `kid` right now.
enum Cached {
    Fresh(DecodingKey),
    Stale(DecodingKey),
    Missing,
}

impl JwksCache {
    /// Builds the cache and its HTTP client; fetches nothing yet (Canton fetches lazily too).
    pub(crate) fn new(
        url: Url,
        options: JwksOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SandboxError> {
        // One host, fetched at most once per refetch interval: one idle connection is plenty,
        // and a bounded pool keeps a misbehaving JWKS host from accumulating sockets here.
        let client = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.total_timeout)
            .pool_max_idle_per_host(1)
            .pool_idle_timeout(std::time::Duration::from_secs(30))
            // A proxy from the environment (HTTP_PROXY, ALL_PROXY) could hand out its own
            // keys: the JWKS is fetched directly, always.
            .no_proxy()
            .build()
            .map_err(SandboxError::HttpClient)?;
        Ok(Self {
            url,
            client,
            options,
            clock,
            keys: std::sync::RwLock::new(KeySet::default()),
            fetch_gate: tokio::sync::Mutex::new(None),
        })
    }

    /// The verification key for `kid`, fetching the JWKS when it is unknown or stale and the
    /// rate limit allows. `Err` is a reason fit for the client and the logs.
    pub(crate) async fn key_for(&self, kid: &str) -> Result<DecodingKey, String> {
        if let Cached::Fresh(key) = self.cached(kid) {
            return Ok(key);
        }
        let mut attempted_at = self.fetch_gate.lock().await;
        // A fetch that finished while this lookup waited may have brought the key.
        let cached = match self.cached(kid) {
            Cached::Fresh(key) => return Ok(key),
            other => other,
        };
        let now = self.clock.now();
        let interval = TimeDelta::from_std(self.options.refetch_interval).unwrap_or(TimeDelta::MAX);
        if let Some(last) = *attempted_at {
            let wait = interval - (now - last);
            if wait > TimeDelta::zero() {
                // A stale key is better than none while the limit holds.
                if let Cached::Stale(key) = cached {
                    return Ok(key);
                }
                tracing::info!(
                    event = "jwks_refetch_rate_limited",
                    kid = %shorten(kid),
                    retryInMs = wait.num_milliseconds(),
                    "unknown kid; JWKS refetch rate-limited"
                );
                return Err(format!(
                    "no key with kid \"{}\" in the cached JWKS; the next JWKS fetch is allowed \
                     in {} ms",
                    shorten(kid),
                    wait.num_milliseconds()
                ));
            }
        }
        *attempted_at = Some(now);
        let trigger = match (&cached, self.read_keys().fetched_at) {
            (_, None) => "initial",
            (Cached::Stale(_), _) => "cache_expired",
            _ => "unknown_kid",
        };
        let keys = match self.fetch().await {
            Ok(keys) => keys,
            Err(reason) => {
                tracing::warn!(
                    event = "jwks_fetch_failed",
                    url = %self.url,
                    trigger,
                    reason = %reason,
                    "JWKS fetch failed"
                );
                return Err(format!("cannot fetch the JWKS from {}: {reason}", self.url));
            }
        };
        tracing::info!(
            event = "jwks_refetched",
            url = %self.url,
            trigger,
            keyCount = keys.len(),
            "JWKS fetched"
        );
        let found = keys.get(kid).cloned();
        *self
            .keys
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = KeySet {
            keys,
            fetched_at: Some(now),
        };
        found.ok_or_else(|| {
            format!(
                "no key with kid \"{}\" in the JWKS at {}",
                shorten(kid),
                self.url
            )
        })
    }

    fn read_keys(&self) -> std::sync::RwLockReadGuard<'_, KeySet> {
        // Writers replace the whole set in one assignment, so a poisoned lock is consistent.
        self.keys
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn cached(&self, kid: &str) -> Cached {
        let set = self.read_keys();
        let ttl = TimeDelta::from_std(self.options.cache_ttl).unwrap_or(TimeDelta::MAX);
        let fresh = set.fetched_at.is_some_and(|at| self.clock.now() - at < ttl);
        match (set.keys.get(kid), fresh) {
            (Some(key), true) => Cached::Fresh(key.clone()),
            (Some(key), false) => Cached::Stale(key.clone()),
            (None, _) => Cached::Missing,
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, DecodingKey>, String> {
        let response = self
            .client
            .get(self.url.clone())
            .send()
            .await
            .map_err(describe_reqwest_error)?;
        if !response.status().is_success() {
            return Err(format!("HTTP status {}", response.status()));
        }
        let limit = self.options.max_document_bytes;
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(format!("the document is larger than {limit} bytes"));
        }
        let body = response.bytes().await.map_err(describe_reqwest_error)?;
        if body.len() > limit {
            return Err(format!("the document is larger than {limit} bytes"));
        }
        parse_key_set(&body)
    }
}

/// Reads the RS256 signing keys of a JWKS document, skipping keys of other kinds or uses.
fn parse_key_set(body: &[u8]) -> Result<HashMap<String, DecodingKey>, String> {
    let document: Value =
        serde_json::from_slice(body).map_err(|error| format!("not JSON: {error}"))?;
    let Some(Value::Array(entries)) = document.get("keys") else {
        return Err("no `keys` array (RFC 7517 §5)".into());
    };
    let mut keys = HashMap::new();
    for entry in entries {
        let Ok(jwk) = serde_json::from_value::<Jwk>(entry.clone()) else {
            continue;
        };
        let Some(kid) = jwk.common.key_id.clone() else {
            continue;
        };
        let rs256 = matches!(jwk.algorithm, AlgorithmParameters::RSA(_))
            && matches!(jwk.common.key_algorithm, None | Some(KeyAlgorithm::RS256))
            && matches!(
                jwk.common.public_key_use,
                None | Some(PublicKeyUse::Signature)
            );
        if !rs256 {
            continue;
        }
        if let Ok(key) = DecodingKey::from_jwk(&jwk) {
            keys.insert(kid, key);
        }
    }
    Ok(keys)
}

/// A short, printable form of a client-supplied `kid` for messages and logs.
fn shorten(kid: &str) -> String {
    kid.chars()
        .take(64)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn describe_reqwest_error(error: reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".into()
    } else if error.is_connect() {
        "connection failed".into()
    } else {
        // Callers name the URL themselves.
        error.without_url().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_set_keeps_only_rs256_signing_keys_with_a_kid() {
        // n and e of a tiny (insecure, test-only) RSA modulus are enough for parsing.
        let rsa = |kid: Option<&str>, alg: Option<&str>, use_: Option<&str>| {
            let mut key = serde_json::json!({"kty": "RSA", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB"});
            if let Some(kid) = kid {
                key["kid"] = kid.into();
            }
            if let Some(alg) = alg {
                key["alg"] = alg.into();
            }
            if let Some(use_) = use_ {
                key["use"] = use_.into();
            }
            key
        };
        let document = serde_json::json!({"keys": [
            rsa(Some("good"), Some("RS256"), Some("sig")),
            rsa(Some("plain"), None, None),
            rsa(None, Some("RS256"), Some("sig")),
            rsa(Some("enc"), Some("RS256"), Some("enc")),
            rsa(Some("ps"), Some("PS256"), None),
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {"garbage": true}
        ]});
        let keys = parse_key_set(document.to_string().as_bytes()).unwrap();
        let mut kids: Vec<&str> = keys.keys().map(String::as_str).collect();
        kids.sort_unstable();
        assert_eq!(kids, ["good", "plain"]);
    }

    #[test]
    fn malformed_documents_are_errors() {
        assert!(parse_key_set(b"not json").unwrap_err().contains("not JSON"));
        assert!(parse_key_set(b"{}").unwrap_err().contains("keys"));
    }

    #[test]
    fn shorten_bounds_and_cleans_client_text() {
        assert_eq!(shorten(&"k".repeat(100)).len(), 64);
        assert_eq!(shorten("a\nb"), "a?b");
    }
}
