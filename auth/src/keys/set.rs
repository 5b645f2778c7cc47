//! The loaded key set: the signing key (and a staged one with its activation time), every
//! published public key, and the JWKS rendered once.

use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use axum::body::Bytes;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use service_runtime::clock::Clock;

use super::PublicJwk;
use super::manifest::Manifest;
use crate::error::AuthError;

/// A signing key, parsed once.
///
/// Signing uses aws-lc-rs: its RSA is constant-time (BoringSSL lineage). The `rsa` crate 0.9,
/// which `jsonwebtoken`'s other backend uses, is open to the Marvin timing attack
/// (RUSTSEC-2023-0071). We also sign ourselves instead of calling `jsonwebtoken::encode`,
/// which parses the PEM key again for every token; here the key is parsed at start-up and the
/// JOSE header is encoded once.
pub struct SigningKey {
    kid: String,
    key_pair: RsaKeyPair,
    header_b64: String,
    rng: SystemRandom,
}

impl SigningKey {
    pub(crate) fn new(kid: String, key_pair: RsaKeyPair) -> Self {
        let header = serde_json::json!({ "alg": "RS256", "kid": kid, "typ": "JWT" });
        let header_b64 = URL_SAFE_NO_PAD.encode(header.to_string());
        Self {
            kid,
            key_pair,
            header_b64,
            rng: SystemRandom::new(),
        }
    }

    /// The key id every token signed by this key carries.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub(crate) fn key_pair(&self) -> &RsaKeyPair {
        &self.key_pair
    }

    /// Builds a compact JWS (RFC 7515 §7.1) over the already-serialised claims with RS256
    /// (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3).
    pub fn sign_jwt(&self, claims_json: &[u8]) -> Result<String, AuthError> {
        let mut token =
            String::with_capacity(self.header_b64.len() + claims_json.len() * 4 / 3 + 350);
        token.push_str(&self.header_b64);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(claims_json, &mut token);
        let mut signature = vec![0; self.key_pair.public_modulus_len()];
        self.key_pair
            .sign(
                &RSA_PKCS1_SHA256,
                &self.rng,
                token.as_bytes(),
                &mut signature,
            )
            .map_err(|_| AuthError::Internal("signing failed"))?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
        Ok(token)
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The signing key, a staged key if any, and every published public key, with the JWKS
/// document rendered once.
///
/// Which key signs depends on the time: a staged key takes over at its `not_before`, read on
/// the clock the set was loaded with, so every replica holding the same directory switches at
/// the same instant without re-reading anything.
pub struct KeySet {
    current: SigningKey,
    next: Option<(SigningKey, i64)>,
    manifest: Manifest,
    from_manifest: bool,
    published: Vec<PublicJwk>,
    jwks_json: Bytes,
    clock: Arc<dyn Clock>,
}

/// The key set as an operator reads it at one instant (`keys status`, log lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The kid that signs at that instant.
    pub active: String,
    /// A staged key that does not sign yet, and when it starts (Unix seconds).
    pub next: Option<(String, i64)>,
    /// Keys that no longer sign, most recent first, with the instant after which no replica
    /// signs with them (Unix seconds).
    pub earlier: Vec<(String, i64)>,
}

impl KeySet {
    /// The set described by `manifest`, with `published` the earlier keys' JWKs in its order.
    pub(crate) fn assemble(
        current: SigningKey,
        next: Option<(SigningKey, i64)>,
        earlier: Vec<PublicJwk>,
        manifest: Manifest,
        from_manifest: bool,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, AuthError> {
        let mut published = vec![PublicJwk::new(
            current.key_pair.public_key(),
            current.kid.clone(),
        )];
        if let Some((next, _)) = &next {
            published.push(PublicJwk::new(next.key_pair.public_key(), next.kid.clone()));
        }
        published.extend(earlier);
        let jwks_json = serde_json::to_vec(&serde_json::json!({ "keys": published }))
            .map_err(|_| AuthError::Internal("cannot render the JWKS"))?;
        Ok(Self {
            current,
            next,
            manifest,
            from_manifest,
            published,
            jwks_json: Bytes::from(jwks_json),
            clock,
        })
    }

    /// The key tokens are signed with now.
    pub fn active(&self) -> &SigningKey {
        self.active_at(self.clock.unix_seconds())
    }

    /// The key tokens are signed with at `unix_seconds`.
    pub fn active_at(&self, unix_seconds: i64) -> &SigningKey {
        match &self.next {
            Some((next, not_before)) if unix_seconds >= *not_before => next,
            _ => &self.current,
        }
    }

    /// Every published key: the key that signed when the set was written first, then a staged
    /// key, then earlier keys, most recent first.
    pub fn published(&self) -> &[PublicJwk] {
        &self.published
    }

    /// The published kids, in [`KeySet::published`]'s order.
    pub fn published_kids(&self) -> Vec<String> {
        self.published.iter().map(|jwk| jwk.kid.clone()).collect()
    }

    /// `{"keys":[…]}` (RFC 7517 §5), rendered at load time.
    pub fn jwks_json(&self) -> Bytes {
        self.jwks_json.clone()
    }

    /// The staged key and when it starts signing, while it has not yet.
    pub fn pending(&self) -> Option<(&str, i64)> {
        let now = self.clock.unix_seconds();
        self.next
            .as_ref()
            .filter(|(_, not_before)| now < *not_before)
            .map(|(key, not_before)| (key.kid(), *not_before))
    }

    /// The set as it stands now.
    pub fn schedule(&self) -> Schedule {
        self.schedule_at(self.clock.unix_seconds())
    }

    /// The set as it stands at `unix_seconds`: once a staged key signs, the key it replaced
    /// counts among the earlier ones, signing until the staged key's `not_before`.
    pub fn schedule_at(&self, unix_seconds: i64) -> Schedule {
        let mut earlier: Vec<(String, i64)> = self
            .manifest
            .earlier
            .iter()
            .map(|entry| (entry.kid.clone(), entry.signed_until))
            .collect();
        match &self.manifest.next {
            Some(next) if unix_seconds >= next.not_before => {
                earlier.insert(0, (self.manifest.active.kid.clone(), next.not_before));
                Schedule {
                    active: next.kid.clone(),
                    next: None,
                    earlier,
                }
            }
            next => Schedule {
                active: self.manifest.active.kid.clone(),
                next: next
                    .as_ref()
                    .map(|next| (next.kid.clone(), next.not_before)),
                earlier,
            },
        }
    }

    pub(crate) fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Whether the directory had a `manifest.json` (else it was read in the earlier layout).
    pub(crate) fn has_manifest(&self) -> bool {
        self.from_manifest
    }

    pub(crate) fn current(&self) -> &SigningKey {
        &self.current
    }

    pub(crate) fn next(&self) -> Option<&SigningKey> {
        self.next.as_ref().map(|(key, _)| key)
    }
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet")
            .field("current", &self.current)
            .field("next", &self.next)
            .field("published", &self.published_kids())
            .finish_non_exhaustive()
    }
}
