//! YAML text to a tree, with the guards a hostile file needs.
//!
//! The platform parses `irsforge.yaml` with YAML 1.2 core-schema rules: `yes`/`no` are strings,
//! `True`/`TRUE` booleans, `0x10` and `1e3` numbers, `1_000` a string; a duplicate key and a
//! second document (`---`) are syntax errors; anchors and aliases resolve, but merge keys
//! (`<<: *x`) are not applied, so `<<` is an ordinary key. serde_yaml_ng reads every scalar a
//! configuration writes the same way. A differential run of both validators over 55,386
//! generated documents found where the two parsers part, none of which a real configuration
//! writes: a plain integer with a leading zero (`012` is a string here, 12 for the platform),
//! binary and signed hexadecimal or octal (`0b101`, `-0x10` are numbers here, strings there),
//! integers past 64 bits (a syntax error here), the `%YAML 1.1` directive (which switches the
//! platform's parser to YAML 1.1), core tags on quoted scalars (`!!int "12"`), control
//! characters inside scalars and comments, and more than 100 aliases (refused by the
//! platform). `docs/irsforge-yaml.md` lists them for operators.

pub use serde_yaml_ng::Value;

use crate::error::ConfigError;

/// Deepest flow nesting (`[` and `{`) accepted. libyaml's scanner slows quadratically with
/// open flow collections (40 000 `[` take seconds) before serde's depth limit ever sees them,
/// so they are counted first, in one linear pass.
const MAX_FLOW_DEPTH: usize = 64;

/// Parses YAML text into a tree. Custom tags (`!foo bar`) are dropped and their values kept, as
/// the platform's parser does with tags it does not know.
pub fn parse(text: &str, origin: &str) -> Result<Value, ConfigError> {
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
    let mut value: Value = serde_yaml_ng::from_str(text).map_err(|error| {
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
    untag(&mut value);
    Ok(value)
}

/// Replaces every tagged value by the value itself.
fn untag(value: &mut Value) {
    match value {
        Value::Tagged(tagged) => {
            let mut inner = std::mem::replace(&mut tagged.value, Value::Null);
            untag(&mut inner);
            *value = inner;
        }
        Value::Sequence(items) => items.iter_mut().for_each(untag),
        Value::Mapping(mapping) => mapping.values_mut().for_each(untag),
        _ => {}
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

/// The text a mapping key stands for. The platform turns every key into a string the way
/// JavaScript does, so `1:` and `1.0:` are the key `"1"`, `1e2:` is `"100"` and `true:` is
/// `"true"`.
pub(crate) fn key_text(key: &Value) -> String {
    match key {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        Value::Bool(value) => value.to_string(),
        Value::Number(number) => match (number.as_i64(), number.as_u64(), number.as_f64()) {
            (Some(integer), _, _) => integer.to_string(),
            (_, Some(integer), _) => integer.to_string(),
            (_, _, Some(float)) => js_number_text(float),
            _ => number.to_string(),
        },
        Value::Sequence(_) | Value::Mapping(_) | Value::Tagged(_) => {
            serde_yaml_ng::to_string(key).map_or_else(|_| "?".to_owned(), |t| t.trim().to_owned())
        }
    }
}

/// A number as JavaScript's `String()` writes it: `100` for `1e2`, `1` for `1.0`, `1e+21`.
fn js_number_text(number: f64) -> String {
    if number.is_nan() {
        "NaN".to_owned()
    } else if number.is_infinite() {
        if number > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
        .to_owned()
    } else if number == 0.0 {
        "0".to_owned()
    } else if number.abs() >= 1e21 || number.abs() < 1e-6 {
        let text = format!("{number:e}");
        match text.split_once('e') {
            Some((mantissa, exponent)) if !exponent.starts_with('-') => {
                format!("{mantissa}e+{exponent}")
            }
            _ => text,
        }
    } else {
        // Rust prints the shortest text that reads back as the same number, as JavaScript
        // does, and no exponent in this range.
        format!("{number}")
    }
}

/// How a value reads in a message: "a string", "null", "a list"...
pub(crate) fn describe(value: &Value) -> &'static str {
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
