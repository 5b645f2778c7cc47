//! Test fixtures: the example files and a small patch language over YAML paths.

use serde_yaml_ng::{Mapping, Value};
use shared_config::{Config, ConfigError, EnvSource, MapEnv, load_str};

pub(crate) const DEMO: &str = include_str!("../../../examples/irsforge.yaml");
pub(crate) const BUILTIN: &str = include_str!("../../../examples/irsforge.builtin.yaml");
pub(crate) const FP: &str = "12203696af4d665a232458e655f075562034125fc5f34c32555f11e6627ba11fd032";

/// One change to a document: set a path to a YAML value, or remove it.
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
                *node_mut(&mut document, path, true).unwrap() = value;
            }
            Remove(path) => {
                let (parent, last) = path.rsplit_once('.').map_or(("", *path), |(p, l)| (p, l));
                let parent = if parent.is_empty() {
                    &mut document
                } else {
                    node_mut(&mut document, parent, false).unwrap()
                };
                match parse_segment(last) {
                    (key, None) => {
                        parent.as_mapping_mut().unwrap().remove(key).unwrap();
                    }
                    (key, Some(index)) => {
                        parent
                            .get_mut(key)
                            .unwrap()
                            .as_sequence_mut()
                            .unwrap()
                            .remove(index);
                    }
                }
            }
        }
    }
    serde_yaml_ng::to_string(&document).unwrap()
}

fn parse_segment(segment: &str) -> (&str, Option<usize>) {
    match segment.split_once('[') {
        Some((key, index)) => (key, Some(index.trim_end_matches(']').parse().unwrap())),
        None => (segment, None),
    }
}

fn node_mut<'a>(document: &'a mut Value, path: &str, create: bool) -> Option<&'a mut Value> {
    let mut node = document;
    for segment in path.split('.') {
        let (key, index) = parse_segment(segment);
        if create && node.get(key).is_none() {
            node.as_mapping_mut()?
                .insert(key.into(), Value::Mapping(Mapping::new()));
        }
        node = node.get_mut(key)?;
        if let Some(index) = index {
            node = node.get_mut(index)?;
        }
    }
    Some(node)
}

/// Loads text with the given environment.
pub(crate) fn load_with(text: &str, env: &dyn EnvSource) -> Result<Config, ConfigError> {
    load_str(text, "irsforge.yaml", env)
}

/// Loads text with an empty environment.
pub(crate) fn load(text: &str) -> Result<Config, ConfigError> {
    load_with(text, &MapEnv::default())
}

/// The `path: message` lines a document produces; panics if it loads.
pub(crate) fn problems(text: &str, env: &dyn EnvSource) -> Vec<String> {
    match load_with(text, env) {
        Ok(_) => panic!("expected the document to be refused:\n{text}"),
        Err(ConfigError::Invalid { issues, .. }) => issues.lines(),
        Err(other) => vec![other.to_string()],
    }
}
