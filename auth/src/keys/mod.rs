//! RS256 signing keys: the key directory (loading, creating, rotating, retiring), the
//! published key set (JWKS), and signing.
//!
//! # Directory layout
//!
//! ```text
//! keys/
//!   private.pem            the signing key, PKCS#8 PEM, mode 0600 (0400 fine)
//!   public.pem             its public key, SPKI PEM
//!   kid.txt                its key id
//!   manifest.json          which keys are published and which signs when (see `manifest`)
//!   next.pem               a staged key's private key, mode 0600, until it replaces private.pem
//!   published/<kid>.pem    earlier public keys (SPKI PEM), in the JWKS until retired
//!   .lock                  flock target serialising the commands
//! ```
//!
//! The first three files are the existing deployment's layout, so its keys carry over
//! unchanged, `kid.txt` included (tokens already issued keep verifying); a directory without
//! `manifest.json` is read exactly as before. New keys get the RFC 7638 thumbprint as their
//! kid. Without a manifest, `private.pem` is the source of truth: when `public.pem` does not
//! hold its public key or `kid.txt` is missing, a start-up rewrites both (`keys_repaired`).
//! A private key file that group or others may read is refused, with the `chmod` that fixes it.
//!
//! # Several servers, one directory
//!
//! Each server polls the directory (see `crate::key_watch`) and decides from what it read,
//! with its own clock, which key signs: a staged key (`keys rotate`) is published by every
//! server within [`MAX_NOTICE`], and signs from its `notBefore`, [`activation_delay`] later,
//! when no verifier's cached JWKS can lack it. [`KeyDirectory::retire`] refuses while tokens
//! the key signed may be live. `write` orders every command's writes so that any reader in the
//! middle finds a set that is safe or one it refuses; `read` checks every file against the
//! manifest's thumbprints.
//!
//! Signing uses aws-lc-rs (see [`SigningKey`]).

mod jwk;
mod manifest;
mod pem;
mod read;
mod rsa;
mod set;
mod store;
mod timing;
mod write;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use service_runtime::clock::{Clock, SystemClock};

pub use jwk::{PublicJwk, is_valid_kid, thumbprint};
pub(crate) use read::{Digest, Snapshot};
pub use set::{KeySet, Schedule, SigningKey};
pub use timing::{
    CLOCK_MARGIN, DEFAULT_JWKS_MAX_AGE, DEFAULT_POLL_INTERVAL, EXPIRY_LEEWAY, MAX_NOTICE,
    activation_delay, format_instant, retire_delay,
};
pub use write::{Activation, RetireCheck, Retirement, Rotation};

use read::Parsed;
use rsa::{parse_private_key, parse_public_key, same_key};

use crate::error::AuthError;

/// The signing key's file name.
pub const PRIVATE_KEY_FILE: &str = "private.pem";
/// The signing key's public key's file name.
pub const PUBLIC_KEY_FILE: &str = "public.pem";
/// The signing key's id's file name.
pub const KID_FILE: &str = "kid.txt";
/// A staged key's private key's file name.
pub const NEXT_KEY_FILE: &str = "next.pem";
/// The subdirectory of earlier public keys that stay published.
pub const PUBLISHED_DIR: &str = "published";
/// The most keys one directory publishes (signing, staged and earlier together).
pub const MAX_PUBLISHED_KEYS: usize = 32;

/// What [`KeyDirectory::load_or_create`] found.
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

/// A key directory and the clock that decides when staged keys sign.
#[derive(Debug, Clone)]
pub struct KeyDirectory {
    dir: PathBuf,
    clock: Arc<dyn Clock>,
}

impl KeyDirectory {
    /// The directory at `dir`, on the system clock.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            clock: Arc::new(SystemClock),
        }
    }

    /// Decides with `clock` (key sets loaded from here keep it).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Loads the key set, creating a key when the directory has none, or repairing
    /// `public.pem`/`kid.txt` (start-up). Writes nothing when the directory is usable as it
    /// is, so a read-only directory (a mounted secret) works.
    pub fn load_or_create(&self) -> Result<(KeySet, KeyOrigin), AuthError> {
        if self.dir.is_dir() {
            let _lock = store::lock_shared(&self.dir)?;
            if let Parsed::Loaded(set) = self.load_locked()? {
                return Ok((*set, KeyOrigin::Loaded));
            }
        }
        let _lock = store::lock_exclusive(&self.dir)?;
        match self.load_locked()? {
            Parsed::Loaded(set) => Ok((*set, KeyOrigin::Loaded)),
            Parsed::Empty => {
                write::create(&self.dir)?;
                Ok((self.loaded_locked()?, KeyOrigin::Created))
            }
            Parsed::NeedsRepair(key_pair) => {
                write::repair(&self.dir, key_pair)?;
                Ok((self.loaded_locked()?, KeyOrigin::Repaired))
            }
        }
    }

    /// Loads the key set without writing anything (`check`, reloads). Refuses a directory
    /// without a key or with inconsistent files.
    pub fn load(&self) -> Result<KeySet, AuthError> {
        self.parse(self.snapshot()?)
    }

    /// Reads the directory's files (under a shared lock when one can be taken).
    pub(crate) fn snapshot(&self) -> Result<Snapshot, AuthError> {
        if !self.dir.is_dir() {
            return Err(invalid(
                &self.dir,
                "no key directory: start the service once to create a key",
            ));
        }
        let _lock = store::lock_shared(&self.dir)?;
        read::snapshot(&self.dir)
    }

    /// Reads and parses the directory; the caller holds a lock (or knows it cannot).
    fn load_locked(&self) -> Result<Parsed, AuthError> {
        read::snapshot(&self.dir)?.parse(&self.dir, self.clock.clone())
    }

    /// [`KeyDirectory::load_locked`], requiring a usable key set.
    fn loaded_locked(&self) -> Result<KeySet, AuthError> {
        self.parse(read::snapshot(&self.dir)?)
    }

    /// Parses a snapshot into a usable key set.
    pub(crate) fn parse(&self, snapshot: Snapshot) -> Result<KeySet, AuthError> {
        match snapshot.parse(&self.dir, self.clock.clone())? {
            Parsed::Loaded(set) => Ok(*set),
            Parsed::Empty => Err(invalid(
                &self.dir,
                "no private.pem: start the service once to create a key",
            )),
            Parsed::NeedsRepair(_) => Err(invalid(
                &self.dir.join(PUBLIC_KEY_FILE),
                "public.pem or kid.txt does not match private.pem (a start-up repairs it)",
            )),
        }
    }
}

/// [`KeyDirectory::load_or_create`] on the system clock.
pub fn load_or_create(dir: &Path) -> Result<(KeySet, KeyOrigin), AuthError> {
    KeyDirectory::new(dir).load_or_create()
}

/// [`KeyDirectory::load`] on the system clock.
pub fn load_existing(dir: &Path) -> Result<KeySet, AuthError> {
    KeyDirectory::new(dir).load()
}

fn invalid(path: &Path, reason: &str) -> AuthError {
    AuthError::KeyInvalid {
        path: path.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests;
