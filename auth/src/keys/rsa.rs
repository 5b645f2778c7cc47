//! RSA keys in and out of their files: parsing the PEM forms the directory holds (PKCS#8 or
//! PKCS#1 private keys, SPKI public keys), generating a key, and comparing public keys.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RsaKeyPair, RsaSubjectPublicKey};

use super::pem;
use crate::error::AuthError;

/// A new 2048-bit key and its PKCS#8 PEM.
pub(crate) fn generate() -> Result<(RsaKeyPair, String), AuthError> {
    let key_pair = RsaKeyPair::generate(KeySize::Rsa2048)
        .map_err(|_| AuthError::Internal("RSA key generation failed"))?;
    let pkcs8 = key_pair
        .as_der()
        .map_err(|_| AuthError::Internal("cannot encode a new key as PKCS#8"))?;
    let private_pem = pem::encode("PRIVATE KEY", pkcs8.as_ref());
    Ok((key_pair, private_pem))
}

/// The SPKI PEM of a key pair's public half.
pub(crate) fn public_pem(key_pair: &RsaKeyPair) -> Result<String, AuthError> {
    key_pair
        .public_key()
        .as_der()
        .map(|der| pem::encode("PUBLIC KEY", der.as_ref()))
        .map_err(|_| AuthError::Internal("cannot encode a public key"))
}

/// Reads a PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`) PEM of at least 2048 bits.
pub(crate) fn parse_private_key(text: &str) -> Result<RsaKeyPair, String> {
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

/// Reads an SPKI (`PUBLIC KEY`) or PKCS#1 (`RSA PUBLIC KEY`) PEM.
pub(crate) fn parse_public_key(text: &str) -> Result<RsaSubjectPublicKey, String> {
    let (label, der) = pem::decode(text)?;
    if label != "PUBLIC KEY" && label != "RSA PUBLIC KEY" {
        return Err(format!(
            "expected an RSA public key (PUBLIC KEY), found {label}"
        ));
    }
    RsaSubjectPublicKey::from_der(&der)
        .map_err(|error| format!("not a usable RSA public key: {error}"))
}

/// Whether two public keys are the same key.
pub(crate) fn same_key(a: &RsaSubjectPublicKey, b: &RsaSubjectPublicKey) -> bool {
    a.modulus().big_endian_without_leading_zero() == b.modulus().big_endian_without_leading_zero()
        && a.exponent().big_endian_without_leading_zero()
            == b.exponent().big_endian_without_leading_zero()
}
