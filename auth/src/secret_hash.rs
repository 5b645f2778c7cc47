//! Client-secret hashes: the bcrypt strings of `service-accounts.yaml`, checked for form at
//! boot, and the verification that never lets bcrypt's 72-byte truncation match by prefix.
//!
//! bcrypt only reads the first 72 bytes of a secret, so `hash(s)` also matches every extension
//! of `s` past byte 72. [`hash_secret`] refuses such secrets, and [`verify_secret`] treats a
//! presented secret over 72 bytes as wrong (after doing the same bcrypt work as any other
//! attempt, so its length is not a timing signal).

use std::fmt;

/// bcrypt reads at most this many bytes of a secret.
pub const MAX_SECRET_BYTES: usize = 72;
/// The lowest and highest cost bcrypt accepts.
pub const COST_RANGE: std::ops::RangeInclusive<u32> = 4..=31;
/// The cost `hash-secret` uses unless told otherwise.
pub const DEFAULT_COST: u32 = 10;

/// 22 salt characters and 31 hash characters, the last of each canonical (zero padding bits).
const DUMMY_SALT_AND_HASH: &str = "dummydummydummydummydedummydummydummydummydummydummye";

/// A well-formed bcrypt hash string. Its `Debug` never shows the hash.
#[derive(Clone, PartialEq, Eq)]
pub struct BcryptHash {
    text: String,
    cost: u32,
}

/// Why a string is not a bcrypt hash. The message never repeats the string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MalformedHash(&'static str);

impl BcryptHash {
    /// Checks the modular-crypt form `$2a$`/`$2b$`/`$2x$`/`$2y$`, two cost digits in 4..=31,
    /// `$`, then 53 characters of bcrypt's base64 alphabet (22 of salt, 31 of hash).
    pub fn parse(text: &str) -> Result<Self, MalformedHash> {
        let bytes = text.as_bytes();
        if bytes.len() != 60 {
            return Err(MalformedHash(
                "not a bcrypt hash: expected 60 characters like $2b$10$ followed by 53 more (generate one with `irsforge-auth hash-secret`)",
            ));
        }
        if !(bytes[0] == b'$'
            && bytes[1] == b'2'
            && b"abxy".contains(&bytes[2])
            && bytes[3] == b'$')
        {
            return Err(MalformedHash(
                "not a bcrypt hash: must start with $2a$, $2b$, $2x$ or $2y$",
            ));
        }
        let cost = match (bytes[4], bytes[5], bytes[6]) {
            (tens @ b'0'..=b'9', units @ b'0'..=b'9', b'$') => {
                u32::from(tens - b'0') * 10 + u32::from(units - b'0')
            }
            _ => {
                return Err(MalformedHash(
                    "not a bcrypt hash: the cost must be two digits followed by $",
                ));
            }
        };
        if !COST_RANGE.contains(&cost) {
            return Err(MalformedHash("bcrypt cost must be between 04 and 31"));
        }
        let is_bcrypt_base64 = |b: &u8| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'/';
        if !bytes[7..].iter().all(is_bcrypt_base64) {
            return Err(MalformedHash(
                "not a bcrypt hash: salt and hash must use bcrypt's base64 alphabet [./A-Za-z0-9] (is this the example's placeholder?)",
            ));
        }
        // The last character of the salt and of the hash carry padding bits that must be zero;
        // bcrypt refuses such a hash at verification time without doing the work, so it is
        // refused here, at boot. Parsing does no key stretching.
        if text.parse::<bcrypt::HashParts>().is_err() {
            return Err(MalformedHash(
                "not a bcrypt hash: the salt or hash is not canonical bcrypt base64",
            ));
        }
        Ok(Self {
            text: text.to_owned(),
            cost,
        })
    }

    /// A syntactically valid hash of the given cost that no secret is known to match. Verifying
    /// against it costs exactly what verifying against a real hash of that cost does; building it
    /// costs nothing.
    pub fn dummy(cost: u32) -> Self {
        let cost = cost.clamp(*COST_RANGE.start(), *COST_RANGE.end());
        Self {
            text: format!("$2b${cost:02}${DUMMY_SALT_AND_HASH}"),
            cost,
        }
    }

    /// The work factor.
    pub fn cost(&self) -> u32 {
        self.cost
    }
}

impl fmt::Debug for BcryptHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BcryptHash(cost {}, [redacted])", self.cost)
    }
}

/// Why `hash-secret` refused a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashSecretError {
    /// The secret is empty.
    #[error("the secret is empty")]
    Empty,
    /// bcrypt would silently ignore everything past byte 72.
    #[error(
        "the secret is {0} bytes; bcrypt uses only the first 72, so use a secret of at most 72 bytes"
    )]
    TooLong(usize),
    /// The cost is out of range.
    #[error("the bcrypt cost must be between 4 and 31, not {0}")]
    Cost(u32),
}

/// Hashes a secret for `service-accounts.yaml`, refusing secrets bcrypt would truncate.
pub fn hash_secret(secret: &[u8], cost: u32) -> Result<BcryptHash, HashSecretError> {
    if !COST_RANGE.contains(&cost) {
        return Err(HashSecretError::Cost(cost));
    }
    if secret.is_empty() {
        return Err(HashSecretError::Empty);
    }
    if secret.len() > MAX_SECRET_BYTES {
        return Err(HashSecretError::TooLong(secret.len()));
    }
    let text = bcrypt::hash(secret, cost).map_err(|_| HashSecretError::Cost(cost))?;
    Ok(BcryptHash { text, cost })
}

/// Whether `secret` matches `hash`. A secret over 72 bytes never matches, but is still run
/// through bcrypt (truncated, as bcrypt would) so rejecting it takes the usual time. This is
/// CPU-bound for the whole bcrypt cost: call it on the verification pool, never on an async
/// worker.
pub fn verify_secret(secret: &[u8], hash: &BcryptHash) -> bool {
    let fits = secret.len() <= MAX_SECRET_BYTES;
    let checked = &secret[..secret.len().min(MAX_SECRET_BYTES)];
    // An error here means the hash text was refused by bcrypt, which `parse` rules out; either
    // way it is not a match.
    let matched = bcrypt::verify(checked, &hash.text).unwrap_or(false);
    matched && fits
}

impl BcryptHash {
    /// The hash text as bytes, for keyed digests (`credential_cache`); never for output.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }
}

impl fmt::Display for BcryptHash {
    /// The hash text, for `hash-secret` to print. Nothing else formats a hash.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLACEHOLDER: &str =
        "$2b$10$REPLACE_WITH_A_REAL_BCRYPT_HASH_FROM_irsforge-auth_hash-secret";

    #[test]
    fn the_examples_placeholder_is_refused() {
        assert!(BcryptHash::parse(PLACEHOLDER).is_err());
    }

    #[test]
    fn malformed_hashes_are_refused_with_a_reason() {
        let good = hash_secret(b"s3cret", 4).unwrap().to_string();
        assert!(BcryptHash::parse(&good).is_ok());
        let cases = [
            ("", "60 characters"),
            (&good[..59], "60 characters"),
            (&good.replacen("$2b$", "$2c$", 1), "must start with"),
            (&good.replacen("$04$", "$4x$", 1), "two digits"),
            (&good.replacen("$04$", "$03$", 1), "between 04 and 31"),
            (&good.replacen("$04$", "$32$", 1), "between 04 and 31"),
            (&format!("{}!", &good[..59]), "alphabet"),
        ];
        for (text, expected) in cases {
            let error = BcryptHash::parse(text).unwrap_err().to_string();
            assert!(error.contains(expected), "{text:?}: {error}");
        }
    }

    #[test]
    fn every_bcrypt_prefix_variant_is_accepted() {
        let good = hash_secret(b"s3cret", 4).unwrap().to_string();
        for variant in ["$2a$", "$2x$", "$2y$"] {
            let text = good.replacen("$2b$", variant, 1);
            assert_eq!(BcryptHash::parse(&text).unwrap().cost(), 4);
        }
    }

    #[test]
    fn the_dummy_hash_is_well_formed_and_matches_nothing() {
        let dummy = BcryptHash::dummy(4);
        assert_eq!(BcryptHash::parse(&dummy.to_string()).unwrap(), dummy);
        assert!(!verify_secret(b"", &dummy));
        assert!(!verify_secret(b"dummy", &dummy));
        // bcrypt accepts it, so verifying against it runs the full key schedule rather than
        // failing fast.
        assert!(matches!(
            bcrypt::verify(b"dummy", &dummy.to_string()),
            Ok(false)
        ));
    }

    #[test]
    fn hash_and_verify_round_trip() {
        let hash = hash_secret(b"s3cret", 4).unwrap();
        assert!(verify_secret(b"s3cret", &hash));
        assert!(!verify_secret(b"s3cret ", &hash));
        assert!(!verify_secret(b"", &hash));
    }

    #[test]
    fn secrets_over_72_bytes_are_refused_and_never_match_by_prefix() {
        let secret = [b'a'; 72];
        let hash = hash_secret(&secret, 4).unwrap();
        assert!(verify_secret(&secret, &hash));
        let mut longer = secret.to_vec();
        longer.push(b'b');
        assert!(!verify_secret(&longer, &hash));
        assert_eq!(
            hash_secret(&longer, 4).unwrap_err(),
            HashSecretError::TooLong(73)
        );
        assert_eq!(hash_secret(b"", 4).unwrap_err(), HashSecretError::Empty);
        assert_eq!(hash_secret(b"x", 3).unwrap_err(), HashSecretError::Cost(3));
    }

    #[test]
    fn debug_never_shows_the_hash() {
        let hash = hash_secret(b"s3cret", 4).unwrap();
        let debug = format!("{hash:?}");
        assert!(!debug.contains(&hash.to_string()[7..]), "{debug}");
    }
}
