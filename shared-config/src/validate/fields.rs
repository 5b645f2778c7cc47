//! Checks of single values, shared by the section validators. Each records an issue and returns
//! `None` when the value is unusable, so callers keep going and report everything.

use url::Url;

use crate::issues::{Issues, YamlPath};
use crate::suggest;

/// Longest accepted timeout: ten minutes. Anything longer hides a hung peer.
pub(super) const MAX_TIMEOUT_MS: u64 = 600_000;

/// A value from a fixed set, with a default when absent (or required when `default` is None).
pub(super) fn choice<T: Copy>(
    value: Option<&str>,
    default: Option<T>,
    path: &YamlPath,
    choices: &[(&str, T)],
    issues: &mut Issues,
) -> Option<T> {
    let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
    match value {
        None => {
            if default.is_none() {
                issues.push(path, format!("required; one of {}", quoted(&names)));
            }
            default
        }
        Some(value) => {
            let found = choices.iter().find(|(name, _)| *name == value);
            if found.is_none() {
                issues.push(path, suggest::unknown("value", value, &names));
            }
            found.map(|(_, choice)| *choice)
        }
    }
}

/// A non-empty string that must be present.
pub(super) fn required_text(
    value: Option<String>,
    path: &YamlPath,
    issues: &mut Issues,
) -> Option<String> {
    match value {
        None => {
            issues.push(path, "required");
            None
        }
        Some(value) => non_empty(value, path, issues),
    }
}

/// A non-empty string with a default.
pub(super) fn text_or(
    value: Option<String>,
    default: &str,
    path: &YamlPath,
    issues: &mut Issues,
) -> Option<String> {
    match value {
        None => Some(default.to_owned()),
        Some(value) => non_empty(value, path, issues),
    }
}

fn non_empty(value: String, path: &YamlPath, issues: &mut Issues) -> Option<String> {
    if value.trim().is_empty() {
        issues.push(path, "must not be empty");
        None
    } else {
        Some(value)
    }
}

/// A URL whose scheme is one of `schemes` and which has a host.
pub(super) fn url(
    value: &str,
    path: &YamlPath,
    schemes: &[&str],
    issues: &mut Issues,
) -> Option<Url> {
    let parsed = match Url::parse(value) {
        Ok(parsed) => parsed,
        Err(error) => {
            issues.push(path, format!("{value:?} is not a valid URL: {error}"));
            return None;
        }
    };
    if !schemes.contains(&parsed.scheme()) {
        let expected: Vec<String> = schemes.iter().map(|s| format!("{s}://")).collect();
        issues.push(
            path,
            format!("{value:?} must be an {} URL", expected.join(" or ")),
        );
        return None;
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        issues.push(path, format!("{value:?} has no host"));
        return None;
    }
    Some(parsed)
}

/// A required URL.
pub(super) fn required_url(
    value: Option<&str>,
    path: &YamlPath,
    schemes: &[&str],
    issues: &mut Issues,
) -> Option<Url> {
    match value {
        None => {
            issues.push(path, "required");
            None
        }
        Some(value) => url(value, path, schemes, issues),
    }
}

/// A whole number in `min..=max` with a default; `unit` reads after the numbers ("seconds").
pub(super) fn bounded(
    value: Option<u64>,
    default: u64,
    (min, max): (u64, u64),
    unit: &str,
    path: &YamlPath,
    issues: &mut Issues,
) -> Option<u64> {
    let value = value.unwrap_or(default);
    if (min..=max).contains(&value) {
        Some(value)
    } else {
        issues.push(
            path,
            format!("must be between {min} and {max} {unit}, got {value}"),
        );
        None
    }
}

/// A timeout in milliseconds.
pub(super) fn timeout_ms(
    value: Option<u64>,
    default: u64,
    path: &YamlPath,
    issues: &mut Issues,
) -> Option<u64> {
    bounded(value, default, (1, MAX_TIMEOUT_MS), "ms", path, issues)
}

/// The present entries of a list whose elements may have been nulled by the loader. A null the
/// operator wrote is reported; one the loader made already has its issue.
pub(super) fn entries<T>(
    items: Vec<Option<T>>,
    path: &YamlPath,
    issues: &mut Issues,
) -> Vec<(usize, T)> {
    items
        .into_iter()
        .enumerate()
        .filter_map(|(index, item)| {
            if item.is_none() {
                let element = path.index(index).to_string();
                if !issues.iter().any(|issue| issue.path.starts_with(&element)) {
                    issues.push(&element, "empty entry");
                }
            }
            item.map(|item| (index, item))
        })
        .collect()
}

/// `` `a`, `b` or `c` ``.
pub(super) fn quoted(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("{name:?}")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}
