//! The process environment, injectable, and the `IRSFORGE_*` overrides it applies.
//!
//! Overrides are applied to the parsed YAML tree *before* validation, so an overridden value is
//! checked exactly like one written in the file; an issue about it says which variable set it.
//! An empty variable counts as unset: service managers and Kubernetes manifests often render
//! unset values as empty strings, and an empty provider or URL is never what was meant.
//!
//! The steps, in the order the platform applies them:
//!
//! 1. `IRSFORGE_TOPOLOGY` → `topology`; 2. `IRSFORGE_ROUTING` → `routing`;
//! 3. `IRSFORGE_AUTH_PROVIDER` → `auth.provider` (an absent `auth` becomes `{}` first, whether or
//!    not the variable is set);
//! 4. `IRSFORGE_BUILTIN_ISSUER` → `auth.builtin.issuer`;
//! 5. `IRSFORGE_OIDC_AUTHORITY`, `IRSFORGE_OIDC_CLIENT_ID`, `IRSFORGE_OIDC_CLIENT_SECRET` →
//!    `auth.oidc.authority` / `clientId` / `clientSecret`;
//! 6. `IRSFORGE_ORACLE_URL` → `oracle.url`;
//! 7. `IRSFORGE_AUTH_PUBLIC_URL`, `IRSFORGE_FRONTEND_URL`, `IRSFORGE_FRONTEND_URL_TEMPLATE` →
//!    `platform.authPublicUrl` / `frontendUrl` / `frontendUrlTemplate`;
//! 8. (no variable) an `auth.builtin` mapping whose `issuer` is absent or false in
//!    JavaScript's sense (null, empty, `false`, `0`) takes `platform.authPublicUrl`, verbatim,
//!    under every provider;
//! 9. `IRSFORGE_DAML_LEDGER_ID`, `IRSFORGE_DAML_APPLICATION_ID`,
//!    `IRSFORGE_DAML_UNSAFE_JWT_SECRET` → `daml.ledgerId` / `applicationId` / `unsafeJwtSecret`;
//! 10. `IRSFORGE_LEDGER_UPSTREAM_TIMEOUT_MS` → `ledger.upstreamTimeoutMs`, read as a number the
//!     way JavaScript's `Number()` reads text (`45000`, `1e3`, `0x10`), else kept as text and
//!     then refused as not a number;
//! 11. `IRSFORGE_LEDGER_URL`, else the legacy `LEDGER_URL` → every `orgs[].ledgerUrl`, only in
//!     the `sandbox` topology (in `network` each org has its own participant and the variable is
//!     ignored). `LEDGER_URL` is read only when `IRSFORGE_LEDGER_URL` is not set at all: an
//!     empty `IRSFORGE_LEDGER_URL` turns both off.
//!
//! A step that writes below a missing or null section creates it as a mapping; a section of
//! another type is left alone and its type error reported.

use std::collections::BTreeMap;

use serde_yaml_ng::{Mapping, Value};

use crate::issues::YamlPath;

/// Where environment variables come from. The binaries use [`ProcessEnv`]; tests pass a
/// [`MapEnv`] so they never mutate the process environment.
pub trait EnvSource: Send + Sync {
    /// The variable as set, empty included; `None` when it is unset or not valid UTF-8. Only
    /// the rule that tells "set but empty" from "unset" (the platform's `IRSFORGE_LEDGER_URL`,
    /// whose empty value turns the legacy `LEDGER_URL` off) reads this; everything else reads
    /// [`EnvSource::var`].
    fn raw(&self, name: &str) -> Option<String>;

    /// The variable's value, `None` when it is unset or empty: the rule every setting read
    /// from the environment follows, since service managers and manifests often render an
    /// unset value as an empty one.
    fn var(&self, name: &str) -> Option<String> {
        self.raw(name).filter(|value| !value.is_empty())
    }
}

/// The real process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn raw(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

/// A fixed set of variables, for tests and for embedding.
#[derive(Clone, Default)]
pub struct MapEnv(BTreeMap<String, String>);

impl MapEnv {
    /// An environment holding exactly these variables.
    pub fn new<K: Into<String>, V: Into<String>>(vars: impl IntoIterator<Item = (K, V)>) -> Self {
        Self(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// Sets one variable.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }

    /// Every variable, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }
}

impl std::fmt::Debug for MapEnv {
    // Values may be secrets (tokens, client secrets): show the names only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl EnvSource for MapEnv {
    fn raw(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

/// `(variable, YAML path)` of the overrides that write one value, in the order they apply.
/// Step 8 (the issuer default) runs between the two groups; step 11 fans out to every org.
const BEFORE_ISSUER_DEFAULT: &[(&str, &[&str])] = &[
    ("IRSFORGE_TOPOLOGY", &["topology"]),
    ("IRSFORGE_ROUTING", &["routing"]),
    ("IRSFORGE_AUTH_PROVIDER", &["auth", "provider"]),
    ("IRSFORGE_BUILTIN_ISSUER", &["auth", "builtin", "issuer"]),
    ("IRSFORGE_OIDC_AUTHORITY", &["auth", "oidc", "authority"]),
    ("IRSFORGE_OIDC_CLIENT_ID", &["auth", "oidc", "clientId"]),
    (
        "IRSFORGE_OIDC_CLIENT_SECRET",
        &["auth", "oidc", "clientSecret"],
    ),
    ("IRSFORGE_ORACLE_URL", &["oracle", "url"]),
    ("IRSFORGE_AUTH_PUBLIC_URL", &["platform", "authPublicUrl"]),
    ("IRSFORGE_FRONTEND_URL", &["platform", "frontendUrl"]),
    (
        "IRSFORGE_FRONTEND_URL_TEMPLATE",
        &["platform", "frontendUrlTemplate"],
    ),
];

/// Step 9.
const AFTER_ISSUER_DEFAULT: &[(&str, &[&str])] = &[
    ("IRSFORGE_DAML_LEDGER_ID", &["daml", "ledgerId"]),
    ("IRSFORGE_DAML_APPLICATION_ID", &["daml", "applicationId"]),
    (
        "IRSFORGE_DAML_UNSAFE_JWT_SECRET",
        &["daml", "unsafeJwtSecret"],
    ),
];

/// Step 10.
pub const UPSTREAM_TIMEOUT_ENV: &str = "IRSFORGE_LEDGER_UPSTREAM_TIMEOUT_MS";
/// Step 11: the variable that sets every org's `ledgerUrl` in the sandbox topology.
pub const LEDGER_URL_ENV: &str = "IRSFORGE_LEDGER_URL";
/// Step 11's legacy name, read only when [`LEDGER_URL_ENV`] is not set at all.
pub const LEGACY_LEDGER_URL_ENV: &str = "LEDGER_URL";

/// The names of every variable the loader reads, in the order they apply.
pub fn override_names() -> impl Iterator<Item = &'static str> {
    BEFORE_ISSUER_DEFAULT
        .iter()
        .chain(AFTER_ISSUER_DEFAULT)
        .map(|(var, _)| *var)
        .chain([UPSTREAM_TIMEOUT_ENV, LEDGER_URL_ENV, LEGACY_LEDGER_URL_ENV])
}

/// Applies the overrides to the document. Returns which YAML paths each variable set, so issues
/// on those paths can name the variable. A document that is not a mapping is left alone (it is
/// refused as such).
pub(crate) fn apply_overrides(
    document: &mut Value,
    env: &dyn EnvSource,
) -> Vec<(String, &'static str)> {
    let Value::Mapping(document) = document else {
        return Vec::new();
    };
    let mut applied = Vec::new();
    let mut set = |document: &mut Mapping, var: &'static str, path: &[&str], value: Value| {
        if set_path(document, path, value) {
            applied.push((path.join("."), var));
        }
    };
    // Step 3 creates `auth` before reading any variable.
    ensure_mapping(document, "auth");
    for &(var, path) in BEFORE_ISSUER_DEFAULT {
        if let Some(text) = env.var(var) {
            set(document, var, path, Value::String(text));
        }
    }
    default_issuer(document);
    for &(var, path) in AFTER_ISSUER_DEFAULT {
        if let Some(text) = env.var(var) {
            set(document, var, path, Value::String(text));
        }
    }
    if let Some(text) = env.var(UPSTREAM_TIMEOUT_ENV) {
        let value = js_number(&text).map_or(Value::String(text), |number| {
            serde_yaml_ng::to_value(number).unwrap_or(Value::Null)
        });
        set(
            document,
            UPSTREAM_TIMEOUT_ENV,
            &["ledger", "upstreamTimeoutMs"],
            value,
        );
    }
    let ledger_url = match env.raw(LEDGER_URL_ENV) {
        Some(value) => Some((value, LEDGER_URL_ENV)),
        None => env
            .var(LEGACY_LEDGER_URL_ENV)
            .map(|value| (value, LEGACY_LEDGER_URL_ENV)),
    };
    if let Some((url, var)) = ledger_url.filter(|(url, _)| !url.is_empty()) {
        apply_ledger_url(document, &url, var, &mut applied);
    }
    applied
}

/// Step 8: `auth.builtin.issuer` defaults to `platform.authPublicUrl`.
fn default_issuer(document: &mut Mapping) {
    let public_url = document
        .get("platform")
        .and_then(|platform| platform.get("authPublicUrl"))
        .and_then(Value::as_str)
        .filter(|url| !url.is_empty())
        .map(str::to_owned);
    let Some(public_url) = public_url else {
        return;
    };
    let builtin = document
        .get_mut("auth")
        .and_then(|auth| auth.get_mut("builtin"))
        .and_then(Value::as_mapping_mut);
    if let Some(builtin) = builtin {
        // Whatever JavaScript counts as false: absent, null, false, 0, NaN, "".
        let missing = match builtin.get("issuer") {
            None | Some(Value::Null) | Some(Value::Bool(false)) => true,
            Some(Value::String(issuer)) => issuer.is_empty(),
            Some(Value::Number(number)) => number
                .as_f64()
                .is_none_or(|number| number == 0.0 || number.is_nan()),
            Some(_) => false,
        };
        if missing {
            builtin.insert("issuer".into(), Value::String(public_url));
        }
    }
}

/// Step 11: in the sandbox topology one participant hosts every org, so one URL serves all of
/// them. In the network topology the platform ignores the variable, and so does this loader.
fn apply_ledger_url(
    document: &mut Mapping,
    url: &str,
    var: &'static str,
    applied: &mut Vec<(String, &'static str)>,
) {
    if document.get("topology").and_then(Value::as_str) != Some("sandbox") {
        return;
    }
    // The platform maps over `orgs`, an empty list when there is none.
    let orgs = document
        .entry(Value::String("orgs".to_owned()))
        .or_insert(Value::Null);
    if orgs.is_null() {
        *orgs = Value::Sequence(Vec::new());
    }
    let Value::Sequence(orgs) = orgs else {
        return;
    };
    for (index, org) in orgs.iter_mut().enumerate() {
        if let Value::Mapping(org) = org {
            org.insert("ledgerUrl".into(), Value::String(url.to_owned()));
            applied.push((
                YamlPath::root("orgs")
                    .index(index)
                    .key("ledgerUrl")
                    .to_string(),
                var,
            ));
        }
    }
}

/// Makes `key` a mapping when it is absent or null.
fn ensure_mapping(document: &mut Mapping, key: &str) {
    let entry = document
        .entry(Value::String(key.to_owned()))
        .or_insert(Value::Null);
    if entry.is_null() {
        *entry = Value::Mapping(Mapping::new());
    }
}

/// Sets `path` to `value`, creating missing or null mappings on the way. Returns false (and
/// leaves the document alone) when something on the path is another type: its type error is
/// reported by validation, which is clearer than an override quietly replacing it.
fn set_path(document: &mut Mapping, path: &[&str], value: Value) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut node = document;
    for key in parents {
        ensure_mapping(node, key);
        match node.get_mut(*key) {
            Some(Value::Mapping(child)) => node = child,
            _ => return false,
        }
    }
    node.insert(Value::String((*last).to_owned()), value);
    true
}

/// Text read as a number the way JavaScript's `Number()` reads it, when the result is finite:
/// surrounding white space ignored, blank text is 0, `0x`/`0o`/`0b` prefixes (unsigned only),
/// decimal literals with an optional sign, fraction and exponent. Anything else, and the
/// infinities, is `None`.
fn js_number(text: &str) -> Option<f64> {
    let text = text.trim_matches(is_js_white_space);
    if text.is_empty() {
        return Some(0.0);
    }
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        let prefixed = text
            .get(..2)
            .is_some_and(|start| start.eq_ignore_ascii_case(prefix));
        if prefixed {
            let digits = &text[2..];
            if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
                return None;
            }
            let value = digits.chars().fold(0.0, |acc, c| {
                acc * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0))
            });
            return value.is_finite().then_some(value);
        }
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok =
        digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty());
    let exponent_ok = exponent.is_none_or(|exponent| {
        let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        !exponent.is_empty() && digits(exponent)
    });
    if !(mantissa_ok && exponent_ok) {
        return None;
    }
    text.parse::<f64>().ok().filter(|value| value.is_finite())
}

/// The characters JavaScript's `Number()` trims: white space and line terminators as
/// ECMAScript defines them. Unlike Unicode's White_Space, NEL (U+0085) is not among them.
fn is_js_white_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

#[cfg(test)]
mod tests {
    use super::js_number;

    #[test]
    fn numbers_read_like_javascript() {
        for (text, expected) in [
            ("45000", Some(45000.0)),
            ("1e3", Some(1000.0)),
            ("0x10", Some(16.0)),
            ("0X1f", Some(31.0)),
            ("0o17", Some(15.0)),
            ("0b101", Some(5.0)),
            (" 12 ", Some(12.0)),
            ("   ", Some(0.0)),
            ("+5", Some(5.0)),
            ("-5", Some(-5.0)),
            ("5.", Some(5.0)),
            (".5", Some(0.5)),
            ("1.5e-1", Some(0.15)),
            ("1_000", None),
            ("-0x10", None),
            ("0x", None),
            ("0xg", None),
            ("Infinity", None),
            ("1e400", None),
            ("inf", None),
            ("NaN", None),
            ("5é", None),
            ("é", None),
            ("\u{2212}5", None),
            ("\u{200b}5", None),
            ("\u{85}5000", None),
            ("\u{a0}5000\u{3000}", Some(5000.0)),
            ("\u{feff}5000", Some(5000.0)),
            ("12abc", None),
            (".", None),
            ("1e", None),
            ("e5", None),
        ] {
            assert_eq!(js_number(text), expected, "{text:?}");
        }
    }
}
