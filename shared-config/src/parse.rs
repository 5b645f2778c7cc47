//! Phase one: YAML text to a tree, and the tree to the raw serde structs.
//!
//! serde stops at the first error. To report every problem in one pass, deserialisation runs in
//! a loop: each error is recorded with its path, the offending node is removed from the tree,
//! and deserialisation runs again. Unknown keys come back from serde with the list of expected
//! keys, which feeds the "did you mean" hint.

use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;
use serde_yaml_ng::{Mapping, Value};

use crate::error::ConfigError;
use crate::issues::{Issues, YamlPath};
use crate::suggest;

/// The top-level sections this crate models. Inside them an unknown key is an error.
pub(crate) const MODELLED_SECTIONS: &[&str] = &[
    "profile",
    "topology",
    "routing",
    "auth",
    "platform",
    "daml",
    "ledger",
    "oracle",
    "orgs",
    "parties",
    "scheduler",
];

/// Sections of the platform's full file that the services do not use. They are accepted as they
/// are; naming them here keeps them from being mistaken for typos of modelled sections
/// (`ledgerUi` is one edit-distance step from nothing, but `demo` is two from `daml`).
pub(crate) const PLATFORM_SECTIONS: &[&str] = &[
    "currencies",
    "curves",
    "csa",
    "rateFamilies",
    "observables",
    "demo",
    "ledgerUi",
    "floatingRateIndices",
    "calendars",
    "holidays",
    "instruments",
    "products",
    "ui",
    "features",
    "branding",
    "logging",
    "telemetry",
];

/// Deepest flow nesting (`[` and `{`) accepted. libyaml's scanner slows quadratically with
/// open flow collections (40 000 `[` take seconds) before serde's depth limit ever sees them,
/// so they are counted first, in one linear pass.
const MAX_FLOW_DEPTH: usize = 64;

/// Paths whose values are secrets. serde quotes the offending value in type errors
/// ("invalid type: integer `8473…`"); for these paths the value is left out.
const SECRET_PATHS: &[&str] = &["daml.unsafeJwtSecret", "auth.oidc.clientSecret"];

/// A bound on the retry loop, far above any real file's error count.
const MAX_ERRORS: usize = 200;

/// Parses YAML text into the top-level mapping.
pub(crate) fn parse_document(text: &str, origin: &str) -> Result<Mapping, ConfigError> {
    let syntax = |location, message: String| ConfigError::Syntax {
        origin: origin.to_owned(),
        location,
        message,
    };
    check_flow_depth(text).map_err(|location| {
        syntax(
            Some(location),
            format!("document nested too deeply (more than {MAX_FLOW_DEPTH} levels of [ and {{)"),
        )
    })?;
    // serde_yaml_ng caps nesting depth (128) and alias expansion, so a billion-laughs document
    // or a thousand nested blocks fails here in milliseconds instead of eating the machine.
    let value: Value = serde_yaml_ng::from_str(text).map_err(|error| {
        let location = error.location().map(|l| (l.line(), l.column()));
        let message = match strip_location(&error.to_string()).as_str() {
            "recursion limit exceeded" => {
                "document nested too deeply (more than 128 levels)".to_owned()
            }
            "repetition limit exceeded" => {
                "too many alias expansions (a YAML alias bomb?); refusing the document".to_owned()
            }
            other => other.to_owned(),
        };
        syntax(location, message)
    })?;
    match value {
        Value::Mapping(mapping) => Ok(mapping),
        Value::Null => Err(syntax(
            None,
            "the file is empty; expected a mapping of sections such as `auth:` and `platform:`"
                .into(),
        )),
        other => Err(syntax(
            None,
            format!(
                "the document is {}; expected a mapping of sections such as `auth:` and `platform:`",
                describe(&other)
            ),
        )),
    }
}

/// Finds the position where flow nesting passes [`MAX_FLOW_DEPTH`]. Comments are skipped (the
/// parser skips them too); brackets anywhere else count, even inside quoted scalars, which can
/// only make the check stricter: no real configuration has 64 unclosed brackets in its strings,
/// and skipping quotes would let a stray apostrophe hide a bomb from the check.
fn check_flow_depth(text: &str) -> Result<(), (usize, usize)> {
    let mut depth = 0usize;
    for (index, line) in text.lines().enumerate() {
        let mut previous = ' ';
        for (column, c) in line.chars().enumerate() {
            match c {
                '#' if previous.is_whitespace() => break,
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_FLOW_DEPTH {
                        return Err((index + 1, column + 1));
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
            previous = c;
        }
    }
    Ok(())
}

/// Flags top-level keys that look like misspelt modelled sections. Other unknown sections are
/// the platform's own and are accepted.
pub(crate) fn check_top_level_keys(document: &Mapping, issues: &mut Issues) {
    for key in document.keys() {
        let Some(key) = key.as_str() else {
            issues.push(
                "<document>",
                format!("top-level key {} is not a string", describe(key)),
            );
            continue;
        };
        if MODELLED_SECTIONS.contains(&key) || PLATFORM_SECTIONS.contains(&key) {
            continue;
        }
        if let Some(section) = suggest::closest(key, MODELLED_SECTIONS.iter().copied()) {
            issues.push(
                key,
                format!("unknown section `{key}`; did you mean `{section}`?"),
            );
        }
    }
}

/// Deserialises `T` from the document, recording every error and unknown key. Returns `None`
/// when an error could not be worked around (the issue is recorded either way).
pub(crate) fn deserialize_collecting<T: DeserializeOwned>(
    document: Mapping,
    issues: &mut Issues,
) -> Option<T> {
    let mut tree = Value::Mapping(document);
    let mut seen = Vec::new();
    for _ in 0..MAX_ERRORS {
        let error = match serde_path_to_error::deserialize::<_, T>(tree.clone()) {
            Ok(value) => return Some(value),
            Err(error) => error,
        };
        let segments: Vec<&Segment> = error.path().iter().collect();
        let path = render_path(&tree, &segments).to_string();
        // Every list element is `Option<T>` in the raw model, so a nulled element always
        // deserialises and each round removes one problem. The guard is for the unforeseen.
        if seen.contains(&path) {
            return None;
        }
        let mut message = error.inner().to_string();
        if SECRET_PATHS.contains(&path.as_str()) {
            message = without_value(&message);
        }
        issues.push(&path, humanize(&message, &segments));
        if !remove_at(&mut tree, &segments) {
            return None;
        }
        seen.push(path);
    }
    None
}

/// The ids of a list's elements, for [`YamlPath::element`].
pub(crate) fn element_ids(items: &[Value]) -> Vec<Option<&str>> {
    items
        .iter()
        .map(|item| item.get("id").and_then(Value::as_str))
        .collect()
}

/// Renders serde's path in our notation, naming list elements by `id` where possible.
fn render_path(tree: &Value, segments: &[&Segment]) -> YamlPath {
    let mut path = YamlPath::default();
    let mut node = Some(tree);
    for segment in segments {
        match segment {
            Segment::Map { key } => {
                path = path.key(key);
                node = node.and_then(|n| n.get(key.as_str()));
            }
            Segment::Seq { index } => {
                path = match node.and_then(Value::as_sequence) {
                    Some(items) => path.element(*index, &element_ids(items)),
                    None => path.index(*index),
                };
                node = node.and_then(|n| n.get(*index));
            }
            Segment::Enum { variant } => path = path.key(variant),
            Segment::Unknown => path = path.key("?"),
        }
    }
    if path.to_string().is_empty() {
        YamlPath::root("<document>")
    } else {
        path
    }
}

/// Removes the node at `segments`. Returns false when the path cannot be followed.
fn remove_at(tree: &mut Value, segments: &[&Segment]) -> bool {
    let Some((last, parents)) = segments.split_last() else {
        return false;
    };
    let mut node = tree;
    for segment in parents {
        let next = match segment {
            Segment::Map { key } => node.get_mut(key.as_str()),
            Segment::Seq { index } => node.get_mut(*index),
            _ => None,
        };
        match next {
            Some(next) => node = next,
            None => return false,
        }
    }
    match (last, node) {
        (Segment::Map { key }, Value::Mapping(map)) => map.remove(key.as_str()).is_some(),
        (Segment::Seq { index }, Value::Sequence(items)) if *index < items.len() => {
            // Replace rather than remove, so later elements keep their positions in messages.
            items[*index] = Value::Null;
            true
        }
        _ => false,
    }
}

/// `invalid type: integer `123`, expected a string` → `invalid type: integer, expected a
/// string`: the kind of value stays, the value itself goes.
fn without_value(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let kind = rest.split([' ', ',']).next().unwrap_or_default();
            let expected = rest.find(", expected").map_or("", |index| &rest[index..]);
            return format!("{prefix}{kind}{expected}");
        }
    }
    "invalid value".to_owned()
}

/// Rewrites serde's messages in the operator's terms: YAML words instead of Rust types, and a
/// "did you mean" for unknown keys.
fn humanize(message: &str, segments: &[&Segment]) -> String {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (word, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let expected: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        return suggest::unknown("key", word, &expected);
    }
    let mut text = strip_location(message);
    for (from, to) in [
        ("invalid type: map", "invalid type: mapping"),
        ("invalid type: sequence", "invalid type: list"),
        ("invalid type: unit value", "invalid type: null"),
        ("expected a sequence", "expected a list"),
        ("expected u16", "expected a whole number from 0 to 65535"),
        (
            "expected u32",
            "expected a whole number from 0 to 4294967295",
        ),
        ("expected u64", "expected a non-negative whole number"),
        ("expected a boolean", "expected true or false"),
    ] {
        text = text.replace(from, to);
    }
    if let Some(start) = text.find("expected struct ") {
        text.replace_range(start.., "expected a mapping");
    }
    if text.ends_with("expected a mapping") && segments.is_empty() {
        text = "expected a mapping of sections".to_owned();
    }
    text
}

/// serde_yaml_ng writes the location into the message (" at line L column C"); the location
/// is reported separately, so the first occurrence is dropped. Later ones ("while parsing a
/// flow sequence at line 2 column 13") point elsewhere and stay.
fn strip_location(message: &str) -> String {
    let Some(start) = message.find(" at line ") else {
        return message.to_owned();
    };
    let rest = &message[start + " at line ".len()..];
    let digits = |s: &str| s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let line_len = digits(rest);
    let Some(after_column) = rest[line_len..].strip_prefix(" column ") else {
        return message.to_owned();
    };
    let column_len = digits(after_column);
    let end = start + " at line ".len() + line_len + " column ".len() + column_len;
    format!("{}{}", &message[..start], &message[end..])
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}
