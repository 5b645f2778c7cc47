//! RS256 signing keys: loading, creating, rotating and retiring them in the key directory,
//! and the published key set (JWKS).
//!
//! # Directory layout
//!
//! ```text
//! keys/
//!   private.pem            the active private key, PKCS#8 PEM, mode 0600
//!   public.pem             the active public key, SPKI PEM
//!   kid.txt                the active key id
//!   published/<kid>.pem    earlier public keys (SPKI PEM), still in the JWKS until retired
//!   .lock                  flock target serialising creation, rotation and retirement
//! ```
//!
//! The first three files are the existing deployment's layout, so its keys carry over
//! unchanged, `kid.txt` included (tokens already issued keep verifying). New keys get the
//! RFC 7638 thumbprint as their kid. `private.pem` is the source of truth: when `public.pem`
//! does not hold its public key or `kid.txt` is missing (an interrupted rotation, a
//! hand-copied directory), both are rewritten from it (`keys_repaired`). Files are written in
//! the order private, kid, public, so "public.pem matches private.pem" implies the kid was
//! written for that key too.
//!
//! Signing uses aws-lc-rs (see [`SigningKey`]).

mod jwk;
mod pem;
mod store;

use std::path::{Path, PathBuf};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair, RsaSubjectPublicKey};
use axum::body::Bytes;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub use jwk::{PublicJwk, is_valid_kid, thumbprint};

use crate::error::AuthError;

/// The active private key's file name.
pub const PRIVATE_KEY_FILE: &str = "private.pem";
/// The active public key's file name.
pub const PUBLIC_KEY_FILE: &str = "public.pem";
/// The active key id's file name.
pub const KID_FILE: &str = "kid.txt";
/// The subdirectory of earlier public keys that stay published.
pub const PUBLISHED_DIR: &str = "published";

/// The active signing key, parsed once.
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
    fn new(kid: String, key_pair: RsaKeyPair) -> Self {
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

/// The active signing key and every published public key, with the JWKS document rendered
/// once.
#[derive(Debug)]
pub struct KeySet {
    active: SigningKey,
    published: Vec<PublicJwk>,
    jwks_json: Bytes,
}

impl KeySet {
    /// The key tokens are signed with.
    pub fn active(&self) -> &SigningKey {
        &self.active
    }

    /// Every published key, the active one first.
    pub fn published(&self) -> &[PublicJwk] {
        &self.published
    }

    /// `{"keys":[…]}` (RFC 7517 §5), rendered at load time.
    pub fn jwks_json(&self) -> Bytes {
        self.jwks_json.clone()
    }
}

/// What [`load_or_create`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrigin {
    /// The key files were there and consistent.
    Loaded,
    /// The directory had no key; one was generated.
    Created,
    /// `public.pem` or `kid.txt` was missing or did not match `private.pem`; both were
    /// rewritten from it.
    Repaired,
}

/// Loads the key set, creating a key when the directory has none (start-up).
pub fn load_or_create(dir: &Path) -> Result<(KeySet, KeyOrigin), AuthError> {
    let _lock = store::lock_exclusive(dir)?;
    let (active, origin) = match read_active(dir)? {
        None => (create_active(dir)?, KeyOrigin::Created),
        Some(active) if active.consistent => (active.key, KeyOrigin::Loaded),
        Some(active) => {
            let key = write_active(dir, active.key.key_pair, None)?;
            (key, KeyOrigin::Repaired)
        }
    };
    Ok((assemble(dir, active)?, origin))
}

/// Loads the key set without writing anything (reload, `check`). Refuses a directory without
/// a key or with inconsistent files.
pub fn load_existing(dir: &Path) -> Result<KeySet, AuthError> {
    if !dir.join(PRIVATE_KEY_FILE).exists() {
        return Err(invalid(
            dir,
            "no private.pem: start the service once to create a key",
        ));
    }
    let _lock = store::lock_shared(dir)?;
    match read_active(dir)? {
        Some(active) if active.consistent => assemble(dir, active.key),
        Some(_) => Err(invalid(
            &dir.join(PUBLIC_KEY_FILE),
            "public.pem or kid.txt does not match private.pem (a start-up repairs it)",
        )),
        None => Err(invalid(dir, "no private.pem")),
    }
}

/// The kids of a rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The new active kid.
    pub active: String,
    /// The previous active kid, now under `published/`; `None` when there was no key.
    pub previous: Option<String>,
}

/// Makes a new active key; the previous public key stays published under `published/`.
pub fn rotate(dir: &Path) -> Result<Rotation, AuthError> {
    let _lock = store::lock_exclusive(dir)?;
    let previous = match read_active(dir)? {
        None => None,
        Some(active) => {
            let public_der = spki_der(&active.key.key_pair)?;
            let published_dir = dir.join(PUBLISHED_DIR);
            store::create_dir(&published_dir)?;
            let path = published_dir.join(format!("{}.pem", active.key.kid));
            // The previous key is published before the new one becomes active, so no moment
            // exists where a token's kid is missing from the JWKS.
            store::write_atomically(
                &path,
                pem::encode("PUBLIC KEY", &public_der).as_bytes(),
                0o644,
            )?;
            Some(active.key.kid)
        }
    };
    let active = create_active(dir)?;
    Ok(Rotation {
        active: active.kid,
        previous,
    })
}

/// Removes a published key from the JWKS. The active key cannot be retired.
pub fn retire(dir: &Path, kid: &str) -> Result<(), AuthError> {
    if !is_valid_kid(kid) {
        return Err(invalid(dir, &format!("`{kid}` is not a key id")));
    }
    let _lock = store::lock_exclusive(dir)?;
    if let Some(active) = read_active(dir)?
        && active.key.kid == kid
    {
        return Err(invalid(
            dir,
            &format!("`{kid}` is the active key; run `irsforge-auth keys rotate` first"),
        ));
    }
    let path = dir.join(PUBLISHED_DIR).join(format!("{kid}.pem"));
    if !path.exists() {
        return Err(invalid(dir, &format!("no published key with kid `{kid}`")));
    }
    store::remove(&path)
}

struct ActiveFiles {
    key: SigningKey,
    consistent: bool,
}

fn invalid(path: &Path, reason: &str) -> AuthError {
    AuthError::KeyInvalid {
        path: path.to_owned(),
        reason: reason.to_owned(),
    }
}

fn read_active(dir: &Path) -> Result<Option<ActiveFiles>, AuthError> {
    let private_path = dir.join(PRIVATE_KEY_FILE);
    let Some(private_text) = store::read_optional(&private_path)? else {
        return Ok(None);
    };
    let key_pair =
        parse_private_key(&private_text).map_err(|reason| invalid(&private_path, &reason))?;
    let public_path = dir.join(PUBLIC_KEY_FILE);
    let public_matches = match store::read_optional(&public_path)? {
        None => false,
        Some(text) => {
            let public =
                parse_public_key(&text).map_err(|reason| invalid(&public_path, &reason))?;
            same_key(&public, key_pair.public_key())
        }
    };
    let kid_path = dir.join(KID_FILE);
    let kid = store::read_optional(&kid_path)?.map(|text| text.trim().to_owned());
    if let Some(kid) = &kid
        && !kid.is_empty()
        && !is_valid_kid(kid)
    {
        return Err(invalid(
            &kid_path,
            "must hold 1 to 128 characters of [A-Za-z0-9._-]",
        ));
    }
    let kid = kid.filter(|kid| !kid.is_empty());
    let consistent = public_matches && kid.is_some();
    let kid = match kid {
        Some(kid) if consistent => kid,
        _ => thumbprint(key_pair.public_key()),
    };
    Ok(Some(ActiveFiles {
        key: SigningKey::new(kid, key_pair),
        consistent,
    }))
}

fn create_active(dir: &Path) -> Result<SigningKey, AuthError> {
    let key_pair = RsaKeyPair::generate(KeySize::Rsa2048)
        .map_err(|_| invalid(dir, "RSA key generation failed"))?;
    let pkcs8 = key_pair
        .as_der()
        .map_err(|_| invalid(dir, "cannot encode the new key as PKCS#8"))?;
    let private_pem = pem::encode("PRIVATE KEY", pkcs8.as_ref());
    write_active(dir, key_pair, Some(private_pem))
}

/// Writes private (when given), kid, public, in that order (see the module docs).
fn write_active(
    dir: &Path,
    key_pair: RsaKeyPair,
    private_pem: Option<String>,
) -> Result<SigningKey, AuthError> {
    if let Some(private_pem) = private_pem {
        store::write_atomically(&dir.join(PRIVATE_KEY_FILE), private_pem.as_bytes(), 0o600)?;
    }
    let kid = thumbprint(key_pair.public_key());
    store::write_atomically(&dir.join(KID_FILE), format!("{kid}\n").as_bytes(), 0o644)?;
    let public_pem = pem::encode("PUBLIC KEY", &spki_der(&key_pair)?);
    store::write_atomically(&dir.join(PUBLIC_KEY_FILE), public_pem.as_bytes(), 0o644)?;
    Ok(SigningKey::new(kid, key_pair))
}

fn spki_der(key_pair: &RsaKeyPair) -> Result<Vec<u8>, AuthError> {
    key_pair
        .public_key()
        .as_der()
        .map(|der| der.as_ref().to_vec())
        .map_err(|_| AuthError::Internal("cannot encode a public key"))
}

fn parse_private_key(text: &str) -> Result<RsaKeyPair, String> {
    let (label, der) = pem::decode(text)?;
    let key_pair = match label.as_str() {
        "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
        "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der),
        other => {
            return Err(format!(
                "expected an RSA private key (PRIVATE KEY), found {other}"
            ));
        }
    }
    .map_err(|error| format!("not a usable RSA private key: {error}"))?;
    if key_pair.public_modulus_len() < 256 {
        return Err("RSA keys must have at least 2048 bits".to_owned());
    }
    Ok(key_pair)
}

fn parse_public_key(text: &str) -> Result<RsaSubjectPublicKey, String> {
    let (label, der) = pem::decode(text)?;
    if label != "PUBLIC KEY" && label != "RSA PUBLIC KEY" {
        return Err(format!(
            "expected an RSA public key (PUBLIC KEY), found {label}"
        ));
    }
    RsaSubjectPublicKey::from_der(&der)
        .map_err(|error| format!("not a usable RSA public key: {error}"))
}

fn same_key(a: &RsaSubjectPublicKey, b: &RsaSubjectPublicKey) -> bool {
    a.modulus().big_endian_without_leading_zero() == b.modulus().big_endian_without_leading_zero()
        && a.exponent().big_endian_without_leading_zero()
            == b.exponent().big_endian_without_leading_zero()
}

fn assemble(dir: &Path, active: SigningKey) -> Result<KeySet, AuthError> {
    let mut published = vec![PublicJwk::new(
        active.key_pair.public_key(),
        active.kid.clone(),
    )];
    let published_dir = dir.join(PUBLISHED_DIR);
    let mut earlier: Vec<(String, PathBuf)> = Vec::new();
    match std::fs::read_dir(&published_dir) {
        Ok(entries) => {
            for entry in entries {
                let entry = entry.map_err(|source| AuthError::KeyIo {
                    action: "cannot list",
                    path: published_dir.clone(),
                    source,
                })?;
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                // Temporary files of an interrupted write start with a dot; skip them.
                if let Some(kid) = name.strip_suffix(".pem").filter(|kid| is_valid_kid(kid)) {
                    earlier.push((kid.to_owned(), path));
                }
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(AuthError::KeyIo {
                action: "cannot list",
                path: published_dir,
                source,
            });
        }
    }
    earlier.sort();
    for (kid, path) in earlier {
        if kid == active.kid {
            continue;
        }
        let text = store::read_optional(&path)?.unwrap_or_default();
        let public = parse_public_key(&text).map_err(|reason| invalid(&path, &reason))?;
        published.push(PublicJwk::new(&public, kid));
    }
    let jwks_json = serde_json::to_vec(&serde_json::json!({ "keys": published }))
        .map_err(|_| AuthError::Internal("cannot render the JWKS"))?;
    Ok(KeySet {
        active,
        published,
        jwks_json: Bytes::from(jwks_json),
    })
}

#[cfg(test)]
mod tests;
