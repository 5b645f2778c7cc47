//! The changes to the key directory: the first key, the repair of `public.pem`/`kid.txt`,
//! rotation (staged or at once) and retirement. Each runs under the directory's exclusive
//! lock, writes every file atomically, and orders its writes so that a reader between any two
//! of them finds either a set that is safe to use or one it refuses (and keeps its own):
//!
//! - **stage**: `next.pem`, then `manifest.json` naming it with its `notBefore`;
//! - **settle** (once the staged key signs, at the next command): `published/<old>.pem`, the
//!   manifest naming the new key in `next.pem` and the old one among the earlier keys, the
//!   rewritten `private.pem`/`kid.txt`/`public.pem`, the manifest naming `private.pem`, and
//!   last the removal of `next.pem`;
//! - **retire**: the manifest without the key, then `published/<kid>.pem` removed.

use std::path::Path;
use std::time::Duration;

use aws_lc_rs::signature::{KeyPair, RsaKeyPair};

use super::manifest::{ActiveEntry, EarlierEntry, MANIFEST_FILE, Manifest, NextEntry, PrivateFile};
use super::read::Parsed;
use super::rsa::{generate, public_pem};
use super::timing::{MAX_NOTICE, format_instant, retire_delay, seconds};
use super::{
    KID_FILE, KeyDirectory, MAX_PUBLISHED_KEYS, NEXT_KEY_FILE, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE,
    PUBLISHED_DIR, SigningKey, invalid, is_valid_kid, store, thumbprint,
};
use crate::error::AuthError;

/// When a rotated key starts signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// Published at once, signing after this delay (see
    /// [`activation_delay`](super::activation_delay)): every replica switches at the same
    /// instant and every verifier's cached JWKS already has the key.
    After(Duration),
    /// Signing at once (each replica switches when it next reads the directory). For one
    /// replica, or a compromised key: verifiers holding a JWKS from before the rotation refuse
    /// the new tokens until they refetch. A staged rotation in progress is brought forward.
    Now,
}

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The new key's kid.
    pub kid: String,
    /// The key it replaces; `None` when the directory had none (the new key signs at once).
    pub previous: Option<String>,
    /// When the new key starts signing (Unix seconds).
    pub not_before: i64,
}

/// What a retirement checks first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetireCheck {
    /// Refuse while tokens signed with the key may be live: tokens live `token_ttl`.
    TokensExpired {
        /// `auth.builtin.tokenTtlSeconds`.
        token_ttl: Duration,
    },
    /// Retire at once; tokens it signed stop verifying (a compromised key).
    Now,
}

/// What a retirement did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retirement {
    /// The retired kid.
    pub kid: String,
    /// When it stopped signing (Unix seconds).
    pub signed_until: i64,
}

impl KeyDirectory {
    /// Makes a new key. Staged ([`Activation::After`]): published now, signing from
    /// `now + delay`; refused while another staged key does not sign yet. Immediate
    /// ([`Activation::Now`]): signing at once. The previous key stays published until
    /// retired. A directory without a key gets one that signs at once.
    pub fn rotate(&self, activation: Activation) -> Result<Rotation, AuthError> {
        let _lock = store::lock_exclusive(&self.dir)?;
        let now = self.clock.unix_seconds();
        let set = match self.load_locked()? {
            Parsed::Empty => {
                let key = create(&self.dir)?;
                return Ok(Rotation {
                    kid: key.kid().to_owned(),
                    previous: None,
                    not_before: now,
                });
            }
            Parsed::NeedsRepair(key_pair) => {
                repair(&self.dir, key_pair)?;
                self.loaded_locked()?
            }
            Parsed::Loaded(set) => *set,
        };
        let previous = set.schedule_at(now).active;
        let mut manifest = set.manifest().clone();
        let mut active = set.current();
        if let (Some(next), Some(next_key)) = (manifest.next.clone(), set.next()) {
            if now < next.not_before {
                if activation != Activation::Now {
                    return Err(invalid(
                        &self.dir,
                        &format!(
                            "a rotation is already staged: `{}` signs from {} (in {} s); rotate again after that, or with --now to make it sign at once",
                            next.kid,
                            format_instant(next.not_before),
                            next.not_before - now
                        ),
                    ));
                }
                let signed_until = now.saturating_add(seconds(MAX_NOTICE));
                let settled = settle(&self.dir, manifest, active, next_key, signed_until)?;
                tidy(&self.dir, settled, next_key)?;
                return Ok(Rotation {
                    kid: next.kid,
                    previous: Some(previous),
                    not_before: now,
                });
            }
            manifest = settle(&self.dir, manifest, active, next_key, next.not_before)?;
            active = next_key;
        }
        let mut manifest = tidy(&self.dir, manifest, active)?;
        if manifest.kids().count() >= MAX_PUBLISHED_KEYS {
            return Err(invalid(
                &self.dir,
                &format!(
                    "{} keys are published, the most allowed is {MAX_PUBLISHED_KEYS}: retire an earlier key first",
                    manifest.kids().count()
                ),
            ));
        }
        let (key_pair, private_pem) = generate()?;
        let kid = thumbprint(key_pair.public_key());
        let not_before = match activation {
            Activation::After(delay) => now.saturating_add(seconds(delay)),
            Activation::Now => now,
        };
        store::write_atomically(&self.dir.join(NEXT_KEY_FILE), private_pem.as_bytes(), 0o600)?;
        manifest.next = Some(NextEntry {
            kid: kid.clone(),
            thumbprint: kid.clone(),
            not_before,
        });
        write_manifest(&self.dir, &manifest)?;
        if activation == Activation::Now {
            let next = SigningKey::new(kid.clone(), key_pair);
            let signed_until = now.saturating_add(seconds(MAX_NOTICE));
            let settled = settle(&self.dir, manifest, active, &next, signed_until)?;
            tidy(&self.dir, settled, &next)?;
        }
        Ok(Rotation {
            kid,
            previous: Some(previous),
            not_before,
        })
    }

    /// Removes an earlier key from the JWKS. Never the key that signs or a staged one; with
    /// [`RetireCheck::TokensExpired`], only once no token it signed can still be live.
    pub fn retire(&self, kid: &str, check: RetireCheck) -> Result<Retirement, AuthError> {
        if !is_valid_kid(kid) {
            return Err(invalid(&self.dir, &format!("`{kid}` is not a key id")));
        }
        let _lock = store::lock_exclusive(&self.dir)?;
        let set = self.loaded_locked()?;
        let now = self.clock.unix_seconds();
        let schedule = set.schedule_at(now);
        if schedule.active == kid {
            let reason = match &schedule.next {
                Some((next, not_before)) => format!(
                    "`{kid}` signs until {}, when `{next}` takes over; retire it once tokens it signed have expired",
                    format_instant(*not_before)
                ),
                None => format!("`{kid}` is the active key; run `irsforge-auth keys rotate` first"),
            };
            return Err(invalid(&self.dir, &reason));
        }
        if let Some((next, not_before)) = &schedule.next
            && next == kid
        {
            return Err(invalid(
                &self.dir,
                &format!(
                    "`{kid}` is the staged key (it signs from {}); it cannot be retired",
                    format_instant(*not_before)
                ),
            ));
        }
        let Some(&(_, signed_until)) = schedule.earlier.iter().find(|(earlier, _)| earlier == kid)
        else {
            return Err(invalid(
                &self.dir,
                &format!("no published key with kid `{kid}`"),
            ));
        };
        if let RetireCheck::TokensExpired { token_ttl } = check {
            let earliest = signed_until.saturating_add(seconds(retire_delay(token_ttl)));
            if now < earliest {
                return Err(invalid(
                    &self.dir,
                    &format!(
                        "tokens signed with `{kid}` until {} stay valid for {} s: retire it from {} (in {} s), or with --now to make them fail verification",
                        format_instant(signed_until),
                        token_ttl.as_secs(),
                        format_instant(earliest),
                        earliest - now
                    ),
                ));
            }
        }
        let path = self.dir.join(PUBLISHED_DIR).join(format!("{kid}.pem"));
        if !set.has_manifest() {
            // The earlier layout: the listing of published/ is the set.
            store::remove(&path)?;
            return Ok(Retirement {
                kid: kid.to_owned(),
                signed_until,
            });
        }
        let mut manifest = set.manifest().clone();
        let mut active = set.current();
        if let (Some(next), Some(next_key)) = (manifest.next.clone(), set.next())
            && now >= next.not_before
        {
            manifest = settle(&self.dir, manifest, active, next_key, next.not_before)?;
            active = next_key;
        }
        let mut manifest = tidy(&self.dir, manifest, active)?;
        manifest.earlier.retain(|entry| entry.kid != kid);
        write_manifest(&self.dir, &manifest)?;
        store::remove(&path)?;
        Ok(Retirement {
            kid: kid.to_owned(),
            signed_until,
        })
    }
}

/// Generates the first key in the directory's earlier layout (no manifest).
pub(crate) fn create(dir: &Path) -> Result<SigningKey, AuthError> {
    let (key_pair, private_pem) = generate()?;
    let kid = thumbprint(key_pair.public_key());
    write_trio(dir, &key_pair, &kid, Some(private_pem.as_bytes()))?;
    Ok(SigningKey::new(kid, key_pair))
}

/// Rewrites `kid.txt` and `public.pem` from `private.pem` (no manifest).
pub(crate) fn repair(dir: &Path, key_pair: RsaKeyPair) -> Result<SigningKey, AuthError> {
    let kid = thumbprint(key_pair.public_key());
    write_trio(dir, &key_pair, &kid, None)?;
    Ok(SigningKey::new(kid, key_pair))
}

/// Writes private (when given), kid, public, in that order: "public.pem matches private.pem"
/// then implies the kid was written for that key too.
fn write_trio(
    dir: &Path,
    key_pair: &RsaKeyPair,
    kid: &str,
    private_pem: Option<&[u8]>,
) -> Result<(), AuthError> {
    if let Some(private_pem) = private_pem {
        store::write_atomically(&dir.join(PRIVATE_KEY_FILE), private_pem, 0o600)?;
    }
    store::write_atomically(&dir.join(KID_FILE), format!("{kid}\n").as_bytes(), 0o644)?;
    let public = public_pem(key_pair)?;
    store::write_atomically(&dir.join(PUBLIC_KEY_FILE), public.as_bytes(), 0o644)
}

fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), AuthError> {
    manifest
        .validate()
        .map_err(|_| AuthError::Internal("a key command built an invalid manifest"))?;
    store::write_atomically(&dir.join(MANIFEST_FILE), &manifest.render(), 0o644)
}

/// The staged key `next` (in `next.pem`) becomes the active one and `active` an earlier key
/// signing until `signed_until`: its public key is published first, then the manifest
/// switches to the staged key in `next.pem`. [`tidy`] moves it to `private.pem` afterwards.
fn settle(
    dir: &Path,
    manifest: Manifest,
    active: &SigningKey,
    next: &SigningKey,
    signed_until: i64,
) -> Result<Manifest, AuthError> {
    let Some(staged) = manifest.next else {
        return Ok(manifest);
    };
    let published_dir = dir.join(PUBLISHED_DIR);
    store::create_dir(&published_dir)?;
    store::write_atomically(
        &published_dir.join(format!("{}.pem", active.kid())),
        public_pem(active.key_pair())?.as_bytes(),
        0o644,
    )?;
    let mut earlier = vec![EarlierEntry {
        kid: manifest.active.kid,
        thumbprint: manifest.active.thumbprint,
        signed_until,
    }];
    earlier.extend(manifest.earlier);
    let settled = Manifest {
        version: 1,
        active: ActiveEntry {
            kid: staged.kid,
            thumbprint: staged.thumbprint,
            file: PrivateFile::Next,
        },
        next: None,
        earlier,
    };
    debug_assert_eq!(settled.active.kid, next.kid());
    write_manifest(dir, &settled)?;
    Ok(settled)
}

/// When the active key sits in `next.pem` (a settle, or a command interrupted after one),
/// rewrites `private.pem`, `kid.txt` and `public.pem` with it, points the manifest at
/// `private.pem`, and removes `next.pem`. `active` is the manifest's active key.
fn tidy(dir: &Path, manifest: Manifest, active: &SigningKey) -> Result<Manifest, AuthError> {
    if manifest.active.file != PrivateFile::Next {
        return Ok(manifest);
    }
    let next_path = dir.join(NEXT_KEY_FILE);
    let private_pem = store::read_private_optional(&next_path)?
        .ok_or_else(|| invalid(&next_path, "missing, but manifest.json names it"))?;
    write_trio(dir, active.key_pair(), active.kid(), Some(&private_pem))?;
    let mut tidied = manifest;
    tidied.active.file = PrivateFile::Private;
    write_manifest(dir, &tidied)?;
    store::remove(&next_path)?;
    Ok(tidied)
}

#[cfg(test)]
mod tests;
