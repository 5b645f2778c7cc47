//! The process environment, injectable, and the `IRSFORGE_*` overrides it applies.
//!
//! Overrides are applied to the parsed YAML tree *before* validation, so an overridden value is
//! checked exactly like one written in the file; an issue about it says which variable set it.
//! An empty variable counts as unset: service managers and Kubernetes manifests often render
//! unset values as empty strings, and an empty provider or URL is never what was meant.

use std::collections::BTreeMap;

use serde_yaml_ng::{Mapping, Value};

use crate::issues::{Issues, YamlPath};
use crate::parse::element_ids;

/// Where environment variables come from. The binaries use [`ProcessEnv`]; tests pass a
/// [`MapEnv`] so they never mutate the process environment.
pub trait EnvSource: Send + Sync {
    /// The variable's value, or `None` when it is unset or not valid UTF-8.
    fn var(&self, name: &str) -> Option<String>;
}

/// The real process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
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
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

/// How an override's text becomes a YAML value.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Millis,
}

/// Every scalar override: variable, YAML path, kind. `IRSFORGE_LEDGER_URL` is handled apart
/// because it fans out to every org.
const OVERRIDES: &[(&str, &[&str], Kind)] = &[
    ("IRSFORGE_TOPOLOGY", &["topology"], Kind::Text),
    ("IRSFORGE_ROUTING", &["routing"], Kind::Text),
    ("IRSFORGE_AUTH_PROVIDER", &["auth", "provider"], Kind::Text),
    (
        "IRSFORGE_BUILTIN_ISSUER",
        &["auth", "builtin", "issuer"],
        Kind::Text,
    ),
    (
        "IRSFORGE_OIDC_AUTHORITY",
        &["auth", "oidc", "authority"],
        Kind::Text,
    ),
    (
        "IRSFORGE_OIDC_CLIENT_ID",
        &["auth", "oidc", "clientId"],
        Kind::Text,
    ),
    (
        "IRSFORGE_OIDC_CLIENT_SECRET",
        &["auth", "oidc", "clientSecret"],
        Kind::Text,
    ),
    ("IRSFORGE_ORACLE_URL", &["oracle", "url"], Kind::Text),
    (
        "IRSFORGE_AUTH_PUBLIC_URL",
        &["platform", "authPublicUrl"],
        Kind::Text,
    ),
    (
        "IRSFORGE_FRONTEND_URL",
        &["platform", "frontendUrl"],
        Kind::Text,
    ),
    (
        "IRSFORGE_FRONTEND_URL_TEMPLATE",
        &["platform", "frontendUrlTemplate"],
        Kind::Text,
    ),
    ("IRSFORGE_DAML_LEDGER_ID", &["daml", "ledgerId"], Kind::Text),
    (
        "IRSFORGE_DAML_APPLICATION_ID",
        &["daml", "applicationId"],
        Kind::Text,
    ),
    (
        "IRSFORGE_DAML_UNSAFE_JWT_SECRET",
        &["daml", "unsafeJwtSecret"],
        Kind::Text,
    ),
    (
        "IRSFORGE_LEDGER_UPSTREAM_TIMEOUT_MS",
        &["ledger", "upstreamTimeoutMs"],
        Kind::Millis,
    ),
];

/// The variable that sets every org's `ledgerUrl` in the sandbox topology.
pub const LEDGER_URL_ENV: &str = "IRSFORGE_LEDGER_URL";

/// The names of every variable the loader reads, for `check` commands and docs.
pub fn override_names() -> impl Iterator<Item = &'static str> {
    OVERRIDES
        .iter()
        .map(|(var, _, _)| *var)
        .chain(std::iter::once(LEDGER_URL_ENV))
}

/// Applies the overrides to the document. Returns which YAML paths each variable set, so issues
/// on those paths can name the variable.
pub(crate) fn apply_overrides(
    document: &mut Mapping,
    env: &dyn EnvSource,
    issues: &mut Issues,
) -> Vec<(String, &'static str)> {
    let mut applied = Vec::new();
    for &(var, path, kind) in OVERRIDES {
        let Some(text) = env.var(var).filter(|v| !v.is_empty()) else {
            continue;
        };
        let value = match kind {
            Kind::Text => Value::String(text),
            Kind::Millis => match text.trim().parse::<u64>() {
                Ok(ms) => Value::Number(ms.into()),
                Err(_) => {
                    issues.push(
                        var,
                        format!("expected a whole number of milliseconds, got {text:?}"),
                    );
                    continue;
                }
            },
        };
        if set_path(document, path, value) {
            applied.push((path.join("."), var));
        }
    }
    if let Some(url) = env.var(LEDGER_URL_ENV).filter(|v| !v.is_empty()) {
        apply_ledger_url(document, url, issues, &mut applied);
    }
    applied
}

/// `IRSFORGE_LEDGER_URL`: in the sandbox topology one participant hosts every org, so one URL
/// serves all of them. In the network topology each org has its own participant and a single
/// URL cannot be right, so the variable is refused rather than silently ignored.
fn apply_ledger_url(
    document: &mut Mapping,
    url: String,
    issues: &mut Issues,
    applied: &mut Vec<(String, &'static str)>,
) {
    let topology = document
        .get("topology")
        .and_then(Value::as_str)
        .unwrap_or("sandbox");
    if topology != "sandbox" {
        issues.push(
            LEDGER_URL_ENV,
            format!(
                "applies only to topology \"sandbox\"; with topology {topology:?} set each \
                 orgs[].ledgerUrl in the file"
            ),
        );
        return;
    }
    let Some(Value::Sequence(orgs)) = document.get_mut("orgs") else {
        return;
    };
    let paths: Vec<YamlPath> = {
        let ids = element_ids(orgs);
        (0..orgs.len())
            .map(|index| YamlPath::root("orgs").element(index, &ids))
            .collect()
    };
    for (org, path) in orgs.iter_mut().zip(paths) {
        if let Value::Mapping(org) = org {
            org.insert("ledgerUrl".into(), Value::String(url.clone()));
            applied.push((path.key("ledgerUrl").to_string(), LEDGER_URL_ENV));
        }
    }
}

/// Sets `path` to `value`, creating missing mappings on the way. Returns false (and leaves the
/// document alone) when something on the path is not a mapping: the type error is reported by
/// deserialisation, which is clearer than an override quietly replacing the operator's value.
fn set_path(document: &mut Mapping, path: &[&str], value: Value) -> bool {
    let (last, parents) = path.split_last().expect("override paths are never empty");
    let mut node = document;
    for key in parents {
        let entry = node
            .entry(Value::String((*key).to_owned()))
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        if entry.is_null() {
            *entry = Value::Mapping(Mapping::new());
        }
        match entry {
            Value::Mapping(child) => node = child,
            _ => return false,
        }
    }
    node.insert(Value::String((*last).to_owned()), value);
    true
}
