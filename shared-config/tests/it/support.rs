//! Test fixtures: the platform's own file, the repository's examples, a minimal document, and a
//! small patch language over YAML paths in the platform's notation (`orgs.1.subdomain`).

use serde_yaml_ng::{Mapping, Value};
use shared_config::{Config, ConfigError, MapEnv, load_str};

pub(crate) const PLATFORM: &str = include_str!("../fixtures/platform-irsforge.yaml");
pub(crate) const DEMO: &str = include_str!("../../../examples/irsforge.yaml");
pub(crate) const BUILTIN: &str = include_str!("../../../examples/irsforge.builtin.yaml");
pub(crate) const PRODUCTION: &str = include_str!("../../../examples/irsforge.production.yaml");
pub(crate) const FP: &str = "12203696af4d665a232458e655f075562034125fc5f34c32555f11e6627ba11fd032";

/// The smallest document the schema accepts: only what is required.
pub(crate) const MINIMAL: &str = "\
topology: sandbox
auth:
  provider: demo
oracle:
  url: http://localhost:3001
platform:
  authPublicUrl: http://localhost:3002
  frontendUrl: http://localhost:3000
currencies:
  - {code: USD, label: US Dollar, calendarId: USD, isDefault: true}
csa:
  threshold: {DirA: 0, DirB: 0}
  mta: 0
  rounding: 0
  valuationCcy: USD
  eligibleCollateral: [{currency: USD, haircut: 1}]
orgs:
  - {id: a, party: PartyA, displayName: A, hint: PartyA, role: trader, ledgerUrl: http://ledger:7575}
  - {id: b, party: PartyB, displayName: B, hint: PartyB, role: trader, ledgerUrl: http://ledger:7575}
  - {id: o, party: Operator, displayName: O, hint: Operator, role: operator, ledgerUrl: http://ledger:7575}
  - {id: r, party: Regulator, displayName: R, hint: Regulator, role: regulator, ledgerUrl: http://ledger:7575}
";

/// One change to a document: set a path to a YAML value (creating mappings on the way), or
/// remove it. Path segments that are numbers index lists.
pub(crate) enum Patch<'a> {
    Set(&'a str, &'a str),
    Remove(&'a str),
}
pub(crate) use Patch::{Remove, Set};

/// Applies patches to YAML text and returns the new text.
pub(crate) fn patched(base: &str, patches: &[Patch<'_>]) -> String {
    let mut document: Value = serde_yaml_ng::from_str(base).unwrap();
    for patch in patches {
        match patch {
            Set(path, yaml) => {
                let value: Value = serde_yaml_ng::from_str(yaml).unwrap();
                *node_mut(&mut document, path, true).unwrap_or_else(|| panic!("no {path}")) = value;
            }
            Remove(path) => {
                let (parent, last) = path.rsplit_once('.').unwrap_or(("", path));
                let parent = if parent.is_empty() {
                    &mut document
                } else {
                    node_mut(&mut document, parent, false).unwrap_or_else(|| panic!("no {parent}"))
                };
                match (parent, last.parse::<usize>()) {
                    (Value::Sequence(items), Ok(index)) => {
                        items.remove(index);
                    }
                    (Value::Mapping(map), _) => {
                        map.remove(last).unwrap_or_else(|| panic!("no {path}"));
                    }
                    _ => panic!("cannot remove {path}"),
                }
            }
        }
    }
    serde_yaml_ng::to_string(&document).unwrap()
}

fn node_mut<'a>(document: &'a mut Value, path: &str, create: bool) -> Option<&'a mut Value> {
    let mut node = document;
    for segment in path.split('.') {
        node = match (node, segment.parse::<usize>()) {
            (Value::Sequence(items), Ok(index)) => {
                if create && index == items.len() {
                    items.push(Value::Mapping(Mapping::new()));
                }
                items.get_mut(index)?
            }
            (Value::Mapping(map), _) => {
                if create && !map.contains_key(segment) {
                    map.insert(segment.into(), Value::Mapping(Mapping::new()));
                }
                map.get_mut(segment)?
            }
            _ => return None,
        };
    }
    Some(node)
}

/// Loads text with an empty environment.
pub(crate) fn load(text: &str) -> Result<Config, ConfigError> {
    load_str(text, "irsforge.yaml", &MapEnv::default())
}

/// Loads text with these variables.
pub(crate) fn load_with_env(text: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    load_str(text, "irsforge.yaml", &MapEnv::new(vars.iter().copied()))
}

/// The `path: message` lines a document produces with these variables; panics if it loads.
pub(crate) fn problems_with_env(text: &str, vars: &[(&str, &str)]) -> Vec<String> {
    match load_with_env(text, vars) {
        Ok(_) => panic!("expected the document to be refused:\n{text}"),
        Err(ConfigError::Invalid { issues, .. }) => issues.lines(),
        Err(other) => vec![other.to_string()],
    }
}

/// The `path: message` lines a document produces; panics if it loads.
pub(crate) fn problems(text: &str) -> Vec<String> {
    problems_with_env(text, &[])
}
