//! Reading the key directory: a [`Snapshot`] of every file that matters, read in bounded
//! amounts with a digest of their bytes (so a poll that finds nothing changed parses nothing),
//! then parsed and cross-checked into a [`KeySet`].
//!
//! With `manifest.json`, the manifest alone says which keys are published and which signs
//! when, and each file it names must hold the key with the thumbprint it gives; anything else
//! (a file missing, half written, or from another moment than the manifest) is an error, and
//! a running server keeps its key set and reads again at the next poll. Without a manifest the
//! directory is read the way earlier versions wrote it: `private.pem`, `public.pem`,
//! `kid.txt`, and every `published/<kid>.pem`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_lc_rs::digest::{Context, SHA256};
use aws_lc_rs::signature::{KeyPair, RsaKeyPair};
use service_runtime::clock::Clock;

use super::manifest::{
    ActiveEntry, EarlierEntry, MANIFEST_FILE, MAX_UNIX_SECONDS, Manifest, PrivateFile,
};
use super::timing::MAX_NOTICE;
use super::{
    KID_FILE, KeySet, MAX_PUBLISHED_KEYS, NEXT_KEY_FILE, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE,
    PUBLISHED_DIR, PublicJwk, SigningKey, invalid, is_valid_kid, parse_private_key,
    parse_public_key, same_key, store, thumbprint,
};
use crate::error::AuthError;

/// The most entries `published/` may hold in a directory without a manifest.
pub(crate) const MAX_LISTING: usize = 256;

/// A digest of the bytes a snapshot read.
pub(crate) type Digest = [u8; 32];

/// The raw contents of the key directory at one reading.
pub(crate) struct Snapshot {
    contents: Contents,
    digest: Digest,
}

enum Contents {
    /// No manifest and no `private.pem`.
    Empty,
    Legacy(LegacyFiles),
    Manifest(ManifestFiles),
}

struct LegacyFiles {
    private: Vec<u8>,
    public: Option<Vec<u8>>,
    kid: Option<Vec<u8>>,
    /// kid, path, contents, modification time.
    published: Vec<(String, PathBuf, Vec<u8>, Option<i64>)>,
}

struct ManifestFiles {
    manifest: Manifest,
    active: Vec<u8>,
    next: Option<Vec<u8>>,
    earlier: Vec<Vec<u8>>,
}

/// What a snapshot holds.
pub(crate) enum Parsed {
    /// No key yet.
    Empty,
    /// A usable key set.
    Loaded(Box<KeySet>),
    /// A directory without a manifest whose `public.pem` or `kid.txt` does not match
    /// `private.pem`; the key pair is fine, the two files need rewriting.
    NeedsRepair(RsaKeyPair),
}

/// Reads the directory. Takes no lock: the caller decides.
pub(crate) fn snapshot(dir: &Path) -> Result<Snapshot, AuthError> {
    let mut digest = Context::new(&SHA256);
    let manifest_path = dir.join(MANIFEST_FILE);
    let contents = match store::read_optional(&manifest_path)? {
        Some(bytes) => {
            feed(&mut digest, MANIFEST_FILE, &bytes);
            let manifest =
                Manifest::parse(&bytes).map_err(|reason| invalid(&manifest_path, &reason))?;
            Contents::Manifest(read_named(dir, manifest, &mut digest)?)
        }
        None => match store::read_private_optional(&dir.join(PRIVATE_KEY_FILE))? {
            None => Contents::Empty,
            Some(private) => Contents::Legacy(read_legacy(dir, private, &mut digest)?),
        },
    };
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(digest.finish().as_ref());
    Ok(Snapshot {
        contents,
        digest: bytes,
    })
}

fn feed(digest: &mut Context, name: &str, bytes: &[u8]) {
    digest.update(name.as_bytes());
    digest.update(&[0]);
    digest.update(&(bytes.len() as u64).to_le_bytes());
    digest.update(bytes);
}

fn read_named(
    dir: &Path,
    manifest: Manifest,
    digest: &mut Context,
) -> Result<ManifestFiles, AuthError> {
    let required_private = |file: &str, kid: &str, digest: &mut Context| {
        let path = dir.join(file);
        let bytes = store::read_private_optional(&path)?.ok_or_else(|| {
            invalid(
                &path,
                &format!("missing, but manifest.json names it for key `{kid}`"),
            )
        })?;
        feed(digest, file, &bytes);
        Ok::<_, AuthError>(bytes)
    };
    let active = required_private(manifest.active.file.name(), &manifest.active.kid, digest)?;
    let next = match &manifest.next {
        Some(next) => Some(required_private(NEXT_KEY_FILE, &next.kid, digest)?),
        None => None,
    };
    let mut earlier = Vec::with_capacity(manifest.earlier.len());
    for entry in &manifest.earlier {
        let name = format!("{PUBLISHED_DIR}/{}.pem", entry.kid);
        let path = dir.join(&name);
        let bytes = store::read_optional(&path)?.ok_or_else(|| {
            invalid(
                &path,
                &format!("missing, but manifest.json publishes key `{}`", entry.kid),
            )
        })?;
        feed(digest, &name, &bytes);
        earlier.push(bytes);
    }
    Ok(ManifestFiles {
        manifest,
        active,
        next,
        earlier,
    })
}

fn read_legacy(
    dir: &Path,
    private: Vec<u8>,
    digest: &mut Context,
) -> Result<LegacyFiles, AuthError> {
    feed(digest, PRIVATE_KEY_FILE, &private);
    let public = store::read_optional(&dir.join(PUBLIC_KEY_FILE))?;
    feed(
        digest,
        PUBLIC_KEY_FILE,
        public.as_deref().unwrap_or_default(),
    );
    let kid = store::read_optional(&dir.join(KID_FILE))?;
    feed(digest, KID_FILE, kid.as_deref().unwrap_or_default());
    let published_dir = dir.join(PUBLISHED_DIR);
    let listing_error = |source| AuthError::KeyIo {
        action: "cannot list",
        path: published_dir.clone(),
        source,
    };
    let mut published = Vec::new();
    let entries = match std::fs::read_dir(&published_dir) {
        Ok(entries) => Some(entries),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(listing_error(error)),
    };
    for (index, entry) in entries.into_iter().flatten().enumerate() {
        if index >= MAX_LISTING {
            return Err(invalid(
                &published_dir,
                &format!("holds more than {MAX_LISTING} entries"),
            ));
        }
        let entry = entry.map_err(listing_error)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // Temporary files of a write in progress start with a dot and are never keys.
        let Some(kid) = name.strip_suffix(".pem").filter(|kid| is_valid_kid(kid)) else {
            continue;
        };
        let path = entry.path();
        // A key retired between the listing and the read is simply no longer published.
        let Some(bytes) = store::read_optional(&path)? else {
            continue;
        };
        if published.len() + 1 >= MAX_PUBLISHED_KEYS {
            return Err(invalid(
                &published_dir,
                &format!("more than {MAX_PUBLISHED_KEYS} keys would be published; retire some"),
            ));
        }
        let modified = store::modified_unix_seconds(&path);
        published.push((kid.to_owned(), path, bytes, modified));
    }
    published.sort_by(|a, b| a.0.cmp(&b.0));
    for (kid, _, bytes, _) in &published {
        feed(digest, &format!("{PUBLISHED_DIR}/{kid}.pem"), bytes);
    }
    Ok(LegacyFiles {
        private,
        public,
        kid,
        published,
    })
}

impl Snapshot {
    /// The digest of every byte read.
    pub(crate) fn digest(&self) -> Digest {
        self.digest
    }

    /// Parses and cross-checks the files into a key set that decides with `clock` which key
    /// signs.
    pub(crate) fn parse(self, dir: &Path, clock: Arc<dyn Clock>) -> Result<Parsed, AuthError> {
        match self.contents {
            Contents::Empty => Ok(Parsed::Empty),
            Contents::Legacy(files) => parse_legacy(dir, files, clock),
            Contents::Manifest(files) => {
                parse_manifest(dir, files, clock).map(|set| Parsed::Loaded(Box::new(set)))
            }
        }
    }
}

fn text<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, AuthError> {
    std::str::from_utf8(bytes).map_err(|_| invalid(path, "not a text file"))
}

fn private_key(path: &Path, bytes: &[u8]) -> Result<RsaKeyPair, AuthError> {
    parse_private_key(text(path, bytes)?).map_err(|reason| invalid(path, &reason))
}

fn public_key(
    path: &Path,
    bytes: &[u8],
) -> Result<aws_lc_rs::signature::RsaSubjectPublicKey, AuthError> {
    parse_public_key(text(path, bytes)?).map_err(|reason| invalid(path, &reason))
}

fn parse_manifest(
    dir: &Path,
    files: ManifestFiles,
    clock: Arc<dyn Clock>,
) -> Result<KeySet, AuthError> {
    let ManifestFiles {
        manifest,
        active,
        next,
        earlier,
    } = files;
    let signing = |file: &str, kid: &str, expected: &str, bytes: &[u8]| {
        let path = dir.join(file);
        let key_pair = private_key(&path, bytes)?;
        check_thumbprint(&path, kid, expected, &thumbprint(key_pair.public_key()))?;
        Ok::<_, AuthError>(SigningKey::new(kid.to_owned(), key_pair))
    };
    let current = signing(
        manifest.active.file.name(),
        &manifest.active.kid,
        &manifest.active.thumbprint,
        &active,
    )?;
    let next = match (&manifest.next, next) {
        (Some(entry), Some(bytes)) => Some((
            signing(NEXT_KEY_FILE, &entry.kid, &entry.thumbprint, &bytes)?,
            entry.not_before,
        )),
        _ => None,
    };
    let mut published = Vec::with_capacity(manifest.earlier.len());
    for (entry, bytes) in manifest.earlier.iter().zip(earlier) {
        let path = dir.join(PUBLISHED_DIR).join(format!("{}.pem", entry.kid));
        let public = public_key(&path, &bytes)?;
        check_thumbprint(&path, &entry.kid, &entry.thumbprint, &thumbprint(&public))?;
        published.push(PublicJwk::new(&public, entry.kid.clone()));
    }
    KeySet::assemble(current, next, published, manifest, true, clock)
}

fn check_thumbprint(path: &Path, kid: &str, expected: &str, found: &str) -> Result<(), AuthError> {
    if expected == found {
        Ok(())
    } else {
        Err(invalid(
            path,
            &format!(
                "holds the key with thumbprint {found}, but manifest.json names `{kid}` with {expected} (a change in progress, or a file edited by hand)"
            ),
        ))
    }
}

fn parse_legacy(
    dir: &Path,
    files: LegacyFiles,
    clock: Arc<dyn Clock>,
) -> Result<Parsed, AuthError> {
    let private_path = dir.join(PRIVATE_KEY_FILE);
    let key_pair = private_key(&private_path, &files.private)?;
    let public_path = dir.join(PUBLIC_KEY_FILE);
    let public_matches = match &files.public {
        None => false,
        Some(bytes) => same_key(&public_key(&public_path, bytes)?, key_pair.public_key()),
    };
    let kid_path = dir.join(KID_FILE);
    let kid = match &files.kid {
        None => None,
        Some(bytes) => Some(text(&kid_path, bytes)?.trim().to_owned()),
    };
    if let Some(kid) = &kid
        && !kid.is_empty()
        && !is_valid_kid(kid)
    {
        return Err(invalid(
            &kid_path,
            "must hold 1 to 128 characters of [A-Za-z0-9._-]",
        ));
    }
    let Some(kid) = kid.filter(|kid| !kid.is_empty() && public_matches) else {
        return Ok(Parsed::NeedsRepair(key_pair));
    };
    let active_thumbprint = thumbprint(key_pair.public_key());
    let mut published = Vec::with_capacity(files.published.len());
    let mut earlier = Vec::with_capacity(files.published.len());
    let now = clock.unix_seconds();
    for (published_kid, path, bytes, modified) in files.published {
        if published_kid == kid {
            continue;
        }
        let public = public_key(&path, &bytes)?;
        earlier.push(EarlierEntry {
            kid: published_kid.clone(),
            thumbprint: thumbprint(&public),
            // Written by `keys rotate` when the key stopped being the active one; servers of
            // earlier versions switched at their next SIGHUP, assumed to follow at once.
            signed_until: modified
                .unwrap_or(now)
                .saturating_add(MAX_NOTICE.as_secs() as i64)
                .clamp(0, MAX_UNIX_SECONDS),
        });
        published.push(PublicJwk::new(&public, published_kid));
    }
    let manifest = Manifest {
        version: 1,
        active: ActiveEntry {
            kid: kid.clone(),
            thumbprint: active_thumbprint,
            file: PrivateFile::Private,
        },
        next: None,
        earlier,
    };
    let current = SigningKey::new(kid, key_pair);
    KeySet::assemble(current, None, published, manifest, false, clock)
        .map(|set| Parsed::Loaded(Box::new(set)))
}
