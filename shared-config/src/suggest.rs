//! "Did you mean" suggestions for misspelt keys and values.

/// The candidate closest to `word`, if it is close enough to be a plausible typo.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            let distance = strsim::damerau_levenshtein(&lower, &candidate.to_ascii_lowercase());
            (distance, candidate)
        })
        .filter(|(distance, candidate)| *distance <= tolerance(word.len().max(candidate.len())))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Every candidate at the smallest distance from `word`, when that distance is a plausible
/// typo.
pub(crate) fn closest_all<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Vec<&'a str> {
    let lower = word.to_ascii_lowercase();
    let scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|candidate| {
            let distance = strsim::damerau_levenshtein(&lower, &candidate.to_ascii_lowercase());
            (distance, candidate)
        })
        .filter(|(distance, candidate)| *distance <= tolerance(word.len().max(candidate.len())))
        .collect();
    let best = scored.iter().map(|(distance, _)| *distance).min();
    scored
        .into_iter()
        .filter(|(distance, _)| Some(*distance) == best)
        .map(|(_, candidate)| candidate)
        .collect()
}

/// How many edits still count as a typo: one up to ten characters, two beyond. A looser
/// bound would call a misplaced key (`ledgerUi` at the top level) a typo of another
/// (`ledger`) and refuse a file the platform accepts.
fn tolerance(len: usize) -> usize {
    if len <= 10 { 1 } else { 2 }
}

/// `unknown value `x`; did you mean `y`?`, or the list of what is accepted.
pub(crate) fn unknown(what: &str, word: &str, expected: &[&str]) -> String {
    match closest(word, expected.iter().copied()) {
        Some(candidate) => format!("unknown {what} `{word}`; did you mean `{candidate}`?"),
        None if expected.is_empty() => format!("unknown {what} `{word}`"),
        None => format!("unknown {what} `{word}`; expected {}", listed(expected)),
    }
}

/// `` `a`, `b` or `c` ``.
pub(crate) fn listed(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_key() {
        let keys = ["provider", "builtin", "oidc", "serviceAccounts"];
        assert_eq!(closest("serviceAcounts", keys), Some("serviceAccounts"));
        assert_eq!(closest("servicAccounts", keys), Some("serviceAccounts"));
        assert_eq!(closest("ServiceAccounts", keys), Some("serviceAccounts"));
        assert_eq!(closest("provdier", keys), Some("provider"));
        assert_eq!(closest("odic", keys), Some("oidc"));
        assert_eq!(closest("clients", keys), None);
        assert_eq!(closest("ledgerUi", ["ledger", "daml"]), None);
        assert_eq!(
            closest("ledgerTimeout", ["ledgerTimeoutMs"]),
            Some("ledgerTimeoutMs")
        );
    }
}
