//! Public keys as JWKs (RFC 7517 §4, RFC 7518 §6.3.1) and the RFC 7638 thumbprint that names
//! them.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::signature::RsaSubjectPublicKey;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

/// One entry of the JWKS: public members only, so a private key can never leak through it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicJwk {
    /// Always `RSA`.
    pub kty: &'static str,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub use_: &'static str,
    /// Always `RS256`.
    pub alg: &'static str,
    /// The key id tokens carry in their header.
    pub kid: String,
    /// The modulus, base64url without padding.
    pub n: String,
    /// The public exponent, base64url without padding.
    pub e: String,
}

impl PublicJwk {
    /// The JWK of `public_key`, published under `kid`.
    pub fn new(public_key: &RsaSubjectPublicKey, kid: String) -> Self {
        let (n, e) = members(public_key);
        Self {
            kty: "RSA",
            use_: "sig",
            alg: "RS256",
            kid,
            n,
            e,
        }
    }
}

/// The RFC 7638 thumbprint: SHA-256 over `{"e":…,"kty":"RSA","n":…}` (required members only,
/// lexicographic order, no whitespace), base64url without padding.
pub fn thumbprint(public_key: &RsaSubjectPublicKey) -> String {
    let (n, e) = members(public_key);
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    URL_SAFE_NO_PAD.encode(digest(&SHA256, canonical.as_bytes()))
}

fn members(public_key: &RsaSubjectPublicKey) -> (String, String) {
    // RFC 7518 §6.3.1: unsigned big-endian, minimal length.
    let n = URL_SAFE_NO_PAD.encode(public_key.modulus().big_endian_without_leading_zero());
    let e = URL_SAFE_NO_PAD.encode(public_key.exponent().big_endian_without_leading_zero());
    (n, e)
}

/// Whether `kid` is safe as a file name and a header value: 1 to 128 characters of
/// `[A-Za-z0-9._-]`, not starting with a dot. Thumbprints always are; legacy `kid.txt` values
/// must be.
pub fn is_valid_kid(kid: &str) -> bool {
    (1..=128).contains(&kid.len())
        && !kid.starts_with('.')
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}
