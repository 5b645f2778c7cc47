//! `manifest.json`: which keys the directory publishes and which one signs when.
//!
//! ```json
//! {
//!   "version": 1,
//!   "active":  { "kid": "…", "thumbprint": "…", "file": "private.pem" },
//!   "next":    { "kid": "…", "thumbprint": "…", "notBefore": 1767226240 },
//!   "earlier": [ { "kid": "…", "thumbprint": "…", "signedUntil": 1767225900 } ]
//! }
//! ```
//!
//! `active` signs until `next.notBefore` (Unix seconds), `next` (its private key in
//! `next.pem`) from then on; every key listed is published. `earlier` keys no longer sign
//! (`signedUntil`: no replica signs with it after that instant); their public keys are in
//! `published/<kid>.pem`. `thumbprint` is each key's RFC 7638 thumbprint, so a file that does
//! not hold the key the manifest names (a command half done, a hand edit) is detected. The
//! manifest is written last by every command, in one rename: it is the commit point, and the
//! files it names are never changed while it names them.

use serde::{Deserialize, Serialize};

use super::MAX_PUBLISHED_KEYS;
use super::jwk::is_valid_kid;

/// The manifest's file name.
pub(crate) const MANIFEST_FILE: &str = "manifest.json";
/// The latest instant accepted in the manifest (9999-12-31T23:59:59Z).
pub(crate) const MAX_UNIX_SECONDS: i64 = 253_402_300_799;

/// The parsed manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Manifest {
    pub(crate) version: u32,
    pub(crate) active: ActiveEntry,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) next: Option<NextEntry>,
    #[serde(default)]
    pub(crate) earlier: Vec<EarlierEntry>,
}

/// The key that signs until `next` takes over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ActiveEntry {
    pub(crate) kid: String,
    pub(crate) thumbprint: String,
    pub(crate) file: PrivateFile,
}

/// Where a signing key's private half lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum PrivateFile {
    /// `private.pem`, the deployment's usual place.
    #[serde(rename = "private.pem")]
    Private,
    /// `next.pem`: a staged key, or the active one while `private.pem` is being rewritten.
    #[serde(rename = "next.pem")]
    Next,
}

impl PrivateFile {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Private => super::PRIVATE_KEY_FILE,
            Self::Next => super::NEXT_KEY_FILE,
        }
    }
}

/// A staged key: published now, signing from `not_before`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct NextEntry {
    pub(crate) kid: String,
    pub(crate) thumbprint: String,
    pub(crate) not_before: i64,
}

/// A key that no longer signs but stays published until retired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct EarlierEntry {
    pub(crate) kid: String,
    pub(crate) thumbprint: String,
    pub(crate) signed_until: i64,
}

impl Manifest {
    /// Parses and validates; the error is the reason, without the file name.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, String> {
        let manifest: Self = serde_json::from_slice(bytes)
            .map_err(|error| format!("not a key manifest: {error}"))?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// The text written to disk.
    pub(crate) fn render(&self) -> Vec<u8> {
        let mut text = serde_json::to_vec_pretty(self).unwrap_or_default();
        text.push(b'\n');
        text
    }

    /// Every kid the manifest publishes: active, next, earlier.
    pub(crate) fn kids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.active.kid.as_str())
            .chain(self.next.iter().map(|next| next.kid.as_str()))
            .chain(self.earlier.iter().map(|earlier| earlier.kid.as_str()))
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.version != 1 {
            return Err(format!(
                "version {} is not supported (this irsforge-auth reads version 1)",
                self.version
            ));
        }
        let mut seen = Vec::new();
        let entries = std::iter::once((&self.active.kid, &self.active.thumbprint))
            .chain(self.next.iter().map(|next| (&next.kid, &next.thumbprint)))
            .chain(
                self.earlier
                    .iter()
                    .map(|entry| (&entry.kid, &entry.thumbprint)),
            );
        for (kid, thumbprint) in entries {
            if !is_valid_kid(kid) {
                return Err(format!(
                    "kid {:?} must hold 1 to 128 characters of [A-Za-z0-9._-]",
                    shorten(kid)
                ));
            }
            if !is_thumbprint(thumbprint) {
                return Err(format!(
                    "thumbprint of `{kid}` is not an RFC 7638 SHA-256 thumbprint"
                ));
            }
            if seen.contains(&kid) {
                return Err(format!("kid `{kid}` is listed twice"));
            }
            seen.push(kid);
        }
        if seen.len() > MAX_PUBLISHED_KEYS {
            return Err(format!(
                "{} keys listed; at most {MAX_PUBLISHED_KEYS} may be published",
                seen.len()
            ));
        }
        if let Some(next) = &self.next {
            if self.active.file == PrivateFile::Next {
                return Err("`active` and `next` both name next.pem".to_owned());
            }
            check_instant("next.notBefore", next.not_before)?;
        }
        for entry in &self.earlier {
            check_instant("earlier[].signedUntil", entry.signed_until)?;
        }
        Ok(())
    }
}

fn check_instant(what: &str, value: i64) -> Result<(), String> {
    if (0..=MAX_UNIX_SECONDS).contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "{what} {value} is not a time between 1970 and 9999"
        ))
    }
}

/// 43 characters of base64url: the unpadded encoding of a SHA-256 digest.
fn is_thumbprint(text: &str) -> bool {
    text.len() == 43
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// At most 64 characters of something read from the file, for an error message.
fn shorten(text: &str) -> String {
    text.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const THUMB_A: &str = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

    fn thumb(i: usize) -> String {
        format!("{i:0>43}")
    }

    fn manifest() -> Manifest {
        Manifest {
            version: 1,
            active: ActiveEntry {
                kid: "a".into(),
                thumbprint: THUMB_A.into(),
                file: PrivateFile::Private,
            },
            next: Some(NextEntry {
                kid: "b".into(),
                thumbprint: thumb(1),
                not_before: 1_767_226_240,
            }),
            earlier: vec![EarlierEntry {
                kid: "legacy-2024".into(),
                thumbprint: thumb(2),
                signed_until: 1_767_225_900,
            }],
        }
    }

    #[test]
    fn round_trips_in_the_documented_form() {
        let text = manifest().render();
        let value: serde_json::Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(value["active"]["file"], "private.pem");
        assert_eq!(value["next"]["notBefore"], 1_767_226_240);
        assert_eq!(value["earlier"][0]["signedUntil"], 1_767_225_900);
        assert_eq!(Manifest::parse(&text).unwrap(), manifest());
        assert_eq!(
            manifest().kids().collect::<Vec<_>>(),
            ["a", "b", "legacy-2024"]
        );
    }

    #[test]
    fn refuses_what_it_does_not_understand() {
        let mut too_many = manifest();
        too_many.earlier = (0..MAX_PUBLISHED_KEYS - 1)
            .map(|i| EarlierEntry {
                kid: format!("k{i}"),
                thumbprint: thumb(i + 10),
                signed_until: 0,
            })
            .collect();
        assert_eq!(too_many.kids().count(), MAX_PUBLISHED_KEYS + 1);
        let mut at_limit = too_many.clone();
        at_limit.earlier.pop();
        assert!(at_limit.validate().is_ok());

        let mut duplicate = manifest();
        duplicate.earlier[0].kid = "b".into();
        let mut both_next = manifest();
        both_next.active.file = PrivateFile::Next;
        let mut bad_kid = manifest();
        bad_kid.active.kid = "../private".into();
        let mut bad_thumbprint = manifest();
        bad_thumbprint.earlier[0].thumbprint = "short".into();
        let mut bad_time = manifest();
        bad_time.next.as_mut().unwrap().not_before = -1;
        let mut version = manifest();
        version.version = 2;
        let cases = [
            (too_many.render(), "33 keys listed; at most 32"),
            (duplicate.render(), "`b` is listed twice"),
            (both_next.render(), "both name next.pem"),
            (bad_kid.render(), "must hold 1 to 128"),
            (bad_thumbprint.render(), "thumbprint of `legacy-2024`"),
            (bad_time.render(), "next.notBefore -1"),
            (version.render(), "version 2 is not supported"),
            (b"{\"version\":1}".to_vec(), "missing field `active`"),
            (
                br#"{"version":1,"active":{"kid":"a","thumbprint":"x","file":"/etc/passwd"}}"#
                    .to_vec(),
                "unknown variant",
            ),
            (
                String::from_utf8(manifest().render())
                    .unwrap()
                    .replacen("\"version\"", "\"extra\": 1, \"version\"", 1)
                    .into_bytes(),
                "unknown field `extra`",
            ),
            (b"{".to_vec(), "not a key manifest"),
        ];
        for (text, expected) in cases {
            let error = Manifest::parse(&text).unwrap_err();
            assert!(error.contains(expected), "{expected:?} not in {error:?}");
        }
    }
}
