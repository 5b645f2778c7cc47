//! The verified-credential cache: credentials that passed bcrypt recently are recognised again
//! without bcrypt and without waiting in the bcrypt queue.
//!
//! bcrypt is the protection of the registry at rest: whoever reads `service-accounts.yaml`
//! still faces the key stretching. It is not needed again to recognise, a minute later, the
//! very secret that was verified against the very same hash. So after a successful bcrypt
//! verification the server keeps a keyed hash, HMAC-SHA-256 under a key drawn at random when
//! the server starts (never stored, never logged), over an unambiguous encoding of the client
//! id, the presented secret and the exact hash string it matched (each length-prefixed). A
//! request whose id, secret and one of the id's *current* hashes give a digest that is in the
//! cache and not older than its maximum age is authenticated. (Apache httpd's
//! `mod_authn_socache` does the same for its password backends.)
//!
//! - **Only what is in force.** The lookup computes digests for the hashes the registry holds
//!   for the id now; an entry made with a hash that a reload removed is never computed again,
//!   so it stops working at once. A reload also drops the entries of every id whose hashes
//!   changed (`ServiceState::reload`), so no stale entry lingers in memory.
//! - **Only successes.** A failed verification is never remembered; a wrong secret always goes
//!   to bcrypt (and to the failure throttle).
//! - **Bounded.** At most `max_entries` entries (when full: expired ones go first, then the
//!   oldest), each valid `max_age` from its bcrypt verification (`tokio::time::Instant`, so
//!   tests drive it with a paused clock). Memory only: a restart forgets everything.
//! - **Nothing readable.** The key and the digests never leave this module; `Debug` shows the
//!   limits and the number of entries only. A digest is useless without the key, and the key
//!   is useless without the secret.
//! - **Equal work.** A lookup computes as many digests for an unknown id as for the account
//!   with the most hashes, so even its microseconds do not tell which ids exist.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_lc_rs::hmac;
use tokio::time::Instant;

use crate::secret_hash::BcryptHash;

/// Default most entries kept.
pub(crate) const DEFAULT_MAX_ENTRIES: usize = 4096;
/// Default time an entry stays valid after its bcrypt verification.
pub(crate) const DEFAULT_MAX_AGE: Duration = Duration::from_secs(15 * 60);

type Digest = [u8; 32];

/// What the cache knows about one verified (id, secret, hash): whose it is and when bcrypt
/// said yes. The secret itself is not kept.
struct Entry {
    client_id: String,
    verified_at: Instant,
}

/// 32 bytes from the kernel's generator (`getrandom`). Not aws-lc's: seeding its generator
/// costs about 25 ms of CPU, which at start-up would be most of the service's cold start (the
/// first RSA signature pays it instead).
fn random_key() -> std::io::Result<[u8; 32]> {
    let mut key = [0u8; 32];
    let mut filled = 0;
    while filled < key.len() {
        filled +=
            rustix::rand::getrandom(&mut key[filled..], rustix::rand::GetRandomFlags::empty())?;
    }
    Ok(key)
}

/// Keyed digests of recently verified credentials.
pub(crate) struct CredentialCache {
    key: hmac::Key,
    max_entries: usize,
    max_age: Duration,
    entries: Mutex<HashMap<Digest, Entry>>,
}

impl CredentialCache {
    /// An empty cache with a fresh random key; `max_entries` 0 or a zero `max_age` disables it.
    pub(crate) fn new(max_entries: usize, max_age: Duration) -> std::io::Result<Self> {
        Ok(Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, &random_key()?),
            max_entries,
            max_age,
            entries: Mutex::new(HashMap::new()),
        })
    }

    fn enabled(&self) -> bool {
        self.max_entries > 0 && !self.max_age.is_zero()
    }

    /// Whether `secret` was verified for `client_id` against one of `current_hashes` (the
    /// hashes the registry holds for the id now) within the maximum age. Computes at least
    /// `min_digests` digests, padding with a hash no account has.
    pub(crate) fn verified(
        &self,
        client_id: &str,
        secret: &[u8],
        current_hashes: &[BcryptHash],
        min_digests: usize,
        now: Instant,
    ) -> bool {
        if !self.enabled() {
            return false;
        }
        let digests: Vec<Digest> = current_hashes
            .iter()
            .map(|hash| self.digest(client_id, secret, hash.as_bytes()))
            .collect();
        for _ in current_hashes.len()..min_digests {
            std::hint::black_box(self.digest(client_id, secret, PADDING_HASH));
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        for digest in &digests {
            let Some(entry) = entries.get(digest) else {
                continue;
            };
            if self.is_fresh(entry, now) && entry.client_id == client_id {
                return true;
            }
            entries.remove(digest);
        }
        false
    }

    /// Remembers that bcrypt verified `secret` for `client_id` against `hash` at `now`.
    pub(crate) fn remember(&self, client_id: &str, secret: &[u8], hash: &BcryptHash, now: Instant) {
        if !self.enabled() {
            return;
        }
        let digest = self.digest(client_id, secret, hash.as_bytes());
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if !entries.contains_key(&digest) && entries.len() >= self.max_entries {
            entries.retain(|_, entry| self.is_fresh(entry, now));
            if entries.len() >= self.max_entries
                && let Some(oldest) = entries
                    .iter()
                    .min_by_key(|(_, entry)| entry.verified_at)
                    .map(|(digest, _)| *digest)
            {
                entries.remove(&oldest);
            }
        }
        entries.insert(
            digest,
            Entry {
                client_id: client_id.to_owned(),
                verified_at: now,
            },
        );
    }

    /// Drops every entry of the given ids (their hashes changed); returns how many.
    pub(crate) fn forget_accounts(&self, client_ids: &[String]) -> usize {
        if client_ids.is_empty() {
            return 0;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let before = entries.len();
        entries.retain(|_, entry| !client_ids.contains(&entry.client_id));
        before - entries.len()
    }

    /// How many entries are held (expired ones included until they are swept).
    pub(crate) fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    fn is_fresh(&self, entry: &Entry, now: Instant) -> bool {
        now.saturating_duration_since(entry.verified_at) < self.max_age
    }

    /// HMAC-SHA-256 over id, secret and hash, each preceded by its length (8 bytes, big
    /// endian), so no two different triples encode alike.
    fn digest(&self, client_id: &str, secret: &[u8], hash: &[u8]) -> Digest {
        let mut context = hmac::Context::with_key(&self.key);
        for part in [client_id.as_bytes(), secret, hash] {
            context.update(&(part.len() as u64).to_be_bytes());
            context.update(part);
        }
        let mut digest = [0; 32];
        digest.copy_from_slice(context.sign().as_ref());
        digest
    }
}

/// Pads the digests of a lookup for an id with fewer hashes than the largest account.
const PADDING_HASH: &[u8] = b"no account has this hash";

impl std::fmt::Debug for CredentialCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialCache")
            .field("max_entries", &self.max_entries)
            .field("max_age", &self.max_age)
            .field("entries", &self.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
