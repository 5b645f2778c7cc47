//! [`Reader`]: reads a YAML tree against the schema, recording every problem with its path.
//!
//! The platform's schema decides three things serde's derive cannot express together, so the
//! tree is read by hand with these few combinators:
//!
//! - **Absent is not null.** A default applies only when a key is absent; a key written with no
//!   value, `~` or `null` is refused like any other wrong type.
//! - **Unknown keys are kept apart, not refused.** The platform drops them silently; here each
//!   is recorded (the binaries warn about it), unless it is a near miss of a known key that is
//!   absent (`serviceAcounts` without `serviceAccounts`), which is refused with "did you mean".
//! - **Structural problems gate the cross-field rules.** A missing required key, a wrong type,
//!   an unknown enumeration value (and a master agreement with fewer than two parties) are
//!   *structural*; a bad format or range is not. The platform runs its cross-field rules only
//!   when the document (or, for the `auth` rules, the `auth` subtree) has no structural
//!   problem, and [`Reader::structural_count`] lets the schema do the same.
//!
//! Every reading function returns `None` when the value is unusable; the problem is already
//! recorded, so callers carry on and report everything in one pass.
//!
//! The auth service reads `service-accounts.yaml` with the same reader, so both files follow
//! one set of rules and one YAML front door.

use std::collections::BTreeMap;

use serde_yaml_ng::{Mapping, Value};
use url::Url;

use crate::issues::{Issues, YamlPath};
use crate::suggest;
use crate::yaml::{describe, key_text};

/// The state of one read: the problems found and the unknown keys passed over.
#[derive(Default)]
pub struct Reader {
    issues: Issues,
    ignored_keys: Vec<String>,
    structural: usize,
}

/// A mapping whose unknown keys have been checked; fields are read from it by key.
pub struct Object<'v> {
    map: &'v Mapping,
    path: YamlPath,
}

/// What the keys of a free-key map must look like.
#[derive(Debug, Clone, Copy)]
pub enum KeyRule {
    /// At least one character.
    NonEmpty,
    /// Exactly this many characters (currency codes, currency pairs).
    Length(usize),
}

impl<'v> Object<'v> {
    /// The value at `key`, if the key is present (null counts as present).
    pub fn get(&self, key: &str) -> Option<&'v Value> {
        self.map.get(key)
    }

    /// The path of `key` in this object.
    pub fn path(&self, key: &str) -> YamlPath {
        self.path.key(key)
    }
}

impl Reader {
    /// The problems found so far.
    pub fn issues(&self) -> &Issues {
        &self.issues
    }

    /// The problems, and the paths of the unknown keys that were passed over.
    pub fn finish(self) -> (Issues, Vec<String>) {
        (self.issues, self.ignored_keys)
    }

    /// How many structural problems have been recorded so far.
    pub fn structural_count(&self) -> usize {
        self.structural
    }

    /// Records a problem of format, range or a cross-field rule.
    pub fn refuse(&mut self, path: &YamlPath, message: impl Into<String>) {
        self.issues.push(path, message);
    }

    /// Records a structural problem: missing, wrong type, unknown enumeration value.
    pub fn refuse_structure(&mut self, path: &YamlPath, message: impl Into<String>) {
        self.structural += 1;
        self.issues.push(path, message);
    }

    /// Records a structural problem: `value` is not what `expected` describes.
    pub fn wrong_type(&mut self, value: &Value, path: &YamlPath, expected: &str) {
        let got = match value {
            Value::Number(number) if number.as_f64().is_some_and(f64::is_nan) => "NaN",
            other => describe(other),
        };
        self.refuse_structure(path, format!("expected {expected}, got {got}"));
    }

    // ---- objects and fields ----

    /// A mapping with the keys `known`. Other keys are recorded as ignored, or refused when they
    /// are a near miss of a known key that is absent.
    pub fn object<'v>(
        &mut self,
        value: &'v Value,
        path: &YamlPath,
        known: &[&str],
    ) -> Option<Object<'v>> {
        let Value::Mapping(map) = value else {
            self.wrong_type(value, path, "a mapping");
            return None;
        };
        for key in map.keys() {
            let key = key_text(key);
            if known.contains(&key.as_str()) {
                continue;
            }
            // A near miss of an absent key is a typo; one as near a key that is present is not.
            let near_miss = suggest::closest(&key, known.iter().copied()).filter(|_| {
                !suggest::closest_all(&key, known.iter().copied())
                    .iter()
                    .any(|candidate| map.contains_key(*candidate))
            });
            match near_miss {
                Some(candidate) => self.refuse(
                    &path.key(&key),
                    format!(
                        "unknown key `{key}`; did you mean `{candidate}`? (`{candidate}` is absent, so this looks like a typo)"
                    ),
                ),
                None => self.ignored_keys.push(path.key(&key).to_string()),
            }
        }
        Some(Object {
            map,
            path: path.clone(),
        })
    }

    /// A field that must be present.
    pub fn required<T>(
        &mut self,
        object: &Object<'_>,
        key: &str,
        read: impl FnOnce(&mut Self, &Value, &YamlPath) -> Option<T>,
    ) -> Option<T> {
        let path = object.path(key);
        match object.get(key) {
            Some(value) => read(self, value, &path),
            None => {
                self.refuse_structure(&path, "required");
                None
            }
        }
    }

    /// A field that may be absent: `Some(None)` when it is.
    pub fn optional<T>(
        &mut self,
        object: &Object<'_>,
        key: &str,
        read: impl FnOnce(&mut Self, &Value, &YamlPath) -> Option<T>,
    ) -> Option<Option<T>> {
        match object.get(key) {
            Some(value) => read(self, value, &object.path(key)).map(Some),
            None => Some(None),
        }
    }

    /// A field with a default for when it is absent.
    pub fn defaulted<T>(
        &mut self,
        object: &Object<'_>,
        key: &str,
        default: impl FnOnce() -> T,
        read: impl FnOnce(&mut Self, &Value, &YamlPath) -> Option<T>,
    ) -> Option<T> {
        match object.get(key) {
            Some(value) => read(self, value, &object.path(key)),
            None => Some(default()),
        }
    }

    /// An object-valued field that defaults to `{}`; the empty mapping is read like a written
    /// one, so every nested default fills in.
    pub fn defaulted_object<T>(
        &mut self,
        object: &Object<'_>,
        key: &str,
        read: impl FnOnce(&mut Self, &Value, &YamlPath) -> Option<T>,
    ) -> Option<T> {
        let empty = Value::Mapping(Mapping::new());
        read(self, object.get(key).unwrap_or(&empty), &object.path(key))
    }

    // ---- lists and maps ----

    /// A list of at least `min` items, each read by `read`.
    pub fn list<T>(
        &mut self,
        value: &Value,
        path: &YamlPath,
        min: usize,
        mut read: impl FnMut(&mut Self, &Value, &YamlPath) -> Option<T>,
    ) -> Option<Vec<T>> {
        let Value::Sequence(items) = value else {
            self.wrong_type(value, path, "a list");
            return None;
        };
        let mut complete = true;
        let mut read_items = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            match read(self, item, &path.index(index)) {
                Some(item) => read_items.push(item),
                None => complete = false,
            }
        }
        if items.len() < min {
            let noun = if min == 1 { "item" } else { "items" };
            self.refuse(
                path,
                format!("must list at least {min} {noun}, got {}", items.len()),
            );
            complete = false;
        }
        complete.then_some(read_items)
    }

    /// A map whose keys are data: every key is checked by `rule` and every value read by `read`;
    /// nothing is ignored.
    pub fn map<T>(
        &mut self,
        value: &Value,
        path: &YamlPath,
        rule: KeyRule,
        mut read: impl FnMut(&mut Self, &Value, &YamlPath) -> Option<T>,
    ) -> Option<BTreeMap<String, T>> {
        let Value::Mapping(map) = value else {
            self.wrong_type(value, path, "a mapping");
            return None;
        };
        // The platform turns every key into text, and a later key with the same text replaces
        // an earlier one (`123456:` and `"123456":` are one key): only the last is read.
        let mut last: Vec<(String, &Value)> = Vec::with_capacity(map.len());
        for (key, value) in map {
            let key = key_text(key);
            last.retain(|(earlier, _)| *earlier != key);
            last.push((key, value));
        }
        let mut complete = true;
        let mut entries = BTreeMap::new();
        for (key, value) in last {
            let entry_path = path.key(&key);
            let key_ok = match rule {
                KeyRule::NonEmpty if key.is_empty() => {
                    self.refuse(&entry_path, "key must not be empty");
                    false
                }
                KeyRule::Length(length) if utf16_length(&key) != length => {
                    self.refuse(
                        &entry_path,
                        format!("key `{key}` must be exactly {length} characters"),
                    );
                    false
                }
                _ => true,
            };
            match read(self, value, &entry_path) {
                Some(value) if key_ok => {
                    entries.insert(key, value);
                }
                _ => complete = false,
            }
        }
        complete.then_some(entries)
    }

    // ---- scalars ----

    /// Any string, empty included.
    pub fn string(&mut self, value: &Value, path: &YamlPath) -> Option<String> {
        match value {
            Value::String(text) => Some(text.clone()),
            other => {
                self.wrong_type(other, path, "a string");
                None
            }
        }
    }

    /// A string of at least one character (a single space passes, as on the platform).
    pub fn non_empty(&mut self, value: &Value, path: &YamlPath) -> Option<String> {
        let text = self.string(value, path)?;
        if text.is_empty() {
            self.refuse(path, "must not be empty");
            return None;
        }
        Some(text)
    }

    /// A string of exactly `length` characters (currency codes and pairs; any letters).
    pub fn exact_length(
        &mut self,
        value: &Value,
        path: &YamlPath,
        length: usize,
    ) -> Option<String> {
        let text = self.string(value, path)?;
        if utf16_length(&text) != length {
            self.refuse(
                path,
                format!("{text:?} must be exactly {length} characters"),
            );
            return None;
        }
        Some(text)
    }

    /// An absolute URL of any scheme, as the WHATWG URL parser reads it (`localhost:3000` is a
    /// URL with the scheme `localhost:`).
    pub fn url(&mut self, value: &Value, path: &YamlPath) -> Option<Url> {
        let text = self.string(value, path)?;
        self.parse_url(&text, path)
    }

    /// A URL, kept as written (for values such as the `iss` claim, where the parser's
    /// normalisation, e.g. a trailing `/`, would change the meaning).
    pub fn url_text(&mut self, value: &Value, path: &YamlPath) -> Option<String> {
        let text = self.string(value, path)?;
        self.parse_url(&text, path).map(|_| text)
    }

    fn parse_url(&mut self, text: &str, path: &YamlPath) -> Option<Url> {
        match Url::parse(text) {
            Ok(url) => Some(url),
            Err(error) => {
                self.refuse(path, format!("{text:?} is not a valid URL ({error})"));
                None
            }
        }
    }

    /// `true` or `false` (also `True`, `TRUE`, `False`, `FALSE`; `yes`/`no` are strings).
    pub fn boolean(&mut self, value: &Value, path: &YamlPath) -> Option<bool> {
        match value {
            Value::Bool(flag) => Some(*flag),
            other => {
                self.wrong_type(other, path, "true or false");
                None
            }
        }
    }

    /// A number. NaN is refused; the infinities are numbers, as on the platform.
    pub fn number(&mut self, value: &Value, path: &YamlPath) -> Option<f64> {
        match value {
            Value::Number(number) => match number.as_f64() {
                Some(number) if !number.is_nan() => Some(number),
                _ => {
                    self.wrong_type(value, path, "a number");
                    None
                }
            },
            other => {
                self.wrong_type(other, path, "a number");
                None
            }
        }
    }

    /// A number with checks: each failed check is reported, as the platform reports every one.
    pub fn checked_number(
        &mut self,
        value: &Value,
        path: &YamlPath,
        checks: &[NumberCheck],
    ) -> Option<f64> {
        let number = self.number(value, path)?;
        let mut ok = true;
        for check in checks {
            if let Some(message) = check.failure(number) {
                self.refuse(path, message);
                ok = false;
            }
        }
        ok.then_some(number)
    }

    /// A whole number greater than zero; values past `u64::MAX` saturate.
    pub fn positive_int(&mut self, value: &Value, path: &YamlPath) -> Option<u64> {
        self.checked_number(value, path, &[NumberCheck::Integer, NumberCheck::Positive])
            .map(saturating_u64)
    }

    /// A whole number of zero or more.
    pub fn non_negative_int(&mut self, value: &Value, path: &YamlPath) -> Option<u64> {
        self.checked_number(
            value,
            path,
            &[NumberCheck::Integer, NumberCheck::NonNegative],
        )
        .map(saturating_u64)
    }

    /// One of a fixed set of strings, matched exactly.
    pub fn one_of<T: Copy>(
        &mut self,
        value: &Value,
        path: &YamlPath,
        choices: &[(&str, T)],
    ) -> Option<T> {
        let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
        let Value::String(text) = value else {
            let expected = format!("one of {}", suggest::listed(&names));
            self.wrong_type(value, path, &expected);
            return None;
        };
        let found = choices.iter().find(|(name, _)| name == text);
        if found.is_none() {
            self.refuse_structure(path, suggest::unknown("value", text, &names));
        }
        found.map(|(_, choice)| *choice)
    }
}

/// A string's length as the platform measures it: in UTF-16 code units (an emoji counts two).
fn utf16_length(text: &str) -> usize {
    text.encode_utf16().count()
}

/// A range or integrality check of a number.
#[derive(Debug, Clone, Copy)]
pub enum NumberCheck {
    /// A whole number (`3`, `3.0`, `1e3`).
    Integer,
    /// Greater than zero.
    Positive,
    /// Zero or more.
    NonNegative,
    /// At most this.
    AtMost(f64),
}

impl NumberCheck {
    fn failure(self, number: f64) -> Option<String> {
        match self {
            Self::Integer if number.fract() != 0.0 || number.is_infinite() => {
                Some(format!("must be a whole number, got {number}"))
            }
            Self::Positive if number <= 0.0 => {
                Some(format!("must be greater than 0, got {number}"))
            }
            Self::NonNegative if number < 0.0 => Some(format!("must be 0 or more, got {number}")),
            Self::AtMost(limit) if number > limit => {
                Some(format!("must be at most {limit}, got {number}"))
            }
            _ => None,
        }
    }
}

/// `number` as a `u64`, saturating: the platform has no upper bounds, and a value past 2^64 is
/// as good as infinite for a count of seconds or milliseconds.
fn saturating_u64(number: f64) -> u64 {
    // `as` saturates at the bounds; validation has already refused negatives and fractions.
    number as u64
}
