//! The `orgs` section and the routing rules that depend on it.

use super::fields::{choice, entries, quoted, required_text, required_url, url};
use crate::issues::{Issues, YamlPath};
use crate::model::{Org, OrgRole, PlatformConfig, Routing};
use crate::raw::RawOrg;

const ROLES: &[(&str, OrgRole)] = &[
    ("trader", OrgRole::Trader),
    ("operator", OrgRole::Operator),
    ("regulator", OrgRole::Regulator),
];

pub(super) fn orgs(
    raw: Option<Vec<Option<RawOrg>>>,
    routing: Option<Routing>,
    issues: &mut Issues,
) -> Option<Vec<Org>> {
    let path = YamlPath::root("orgs");
    let Some(raw) = raw else {
        issues.push(
            &path,
            "required: one operator, at least one regulator and at least two traders",
        );
        return None;
    };
    let ids: Vec<Option<String>> = raw
        .iter()
        .map(|org| org.as_ref().and_then(|org| org.id.clone()))
        .collect();
    let id_refs: Vec<Option<&str>> = ids.iter().map(Option::as_deref).collect();
    let mut orgs = Vec::new();
    let mut complete = true;
    for (index, raw_org) in entries(raw, &path, issues) {
        let org_path = path.element(index, &id_refs);
        if let Some(id) = &raw_org.id
            && let Some(first) = id_refs[..index]
                .iter()
                .position(|other| *other == Some(id.as_str()))
        {
            issues.push(
                path.index(index).key("id"),
                format!(
                    "duplicate org id {id:?} (first declared at {})",
                    path.index(first)
                ),
            );
            complete = false;
        }
        match org(raw_org, routing, &org_path, issues) {
            Some(org) => orgs.push(org),
            None => complete = false,
        }
    }
    cardinality(&orgs, &path, issues);
    complete.then_some(orgs)
}

fn org(raw: RawOrg, routing: Option<Routing>, path: &YamlPath, issues: &mut Issues) -> Option<Org> {
    let id = required_text(raw.id, &path.key("id"), issues);
    let party = required_text(raw.party, &path.key("party"), issues);
    let display_name = required_text(raw.display_name, &path.key("displayName"), issues);
    let hint = required_text(raw.hint, &path.key("hint"), issues);
    let role = choice(raw.role.as_deref(), None, &path.key("role"), ROLES, issues);
    let ledger_url = required_url(
        raw.ledger_url.as_deref(),
        &path.key("ledgerUrl"),
        &["http", "https"],
        issues,
    );
    let stream_url = match raw.stream_url {
        None => Some(None),
        Some(value) => url(
            &value,
            &path.key("streamUrl"),
            &["ws", "wss", "http", "https"],
            issues,
        )
        .map(Some),
    };
    let subdomain = match raw.subdomain {
        Some(subdomain) if !is_dns_label(&subdomain) => {
            issues.push(
                path.key("subdomain"),
                format!("{subdomain:?} is not a DNS label (1-63 lowercase letters, digits and inner dashes)"),
            );
            None
        }
        None if routing == Some(Routing::Subdomain) => {
            issues.push(
                path.key("subdomain"),
                "required when routing is \"subdomain\"",
            );
            None
        }
        subdomain => Some(subdomain),
    };
    Some(Org {
        id: id?,
        party: party?,
        display_name: display_name?,
        hint: hint?,
        role: role?,
        ledger_url: ledger_url?,
        stream_url: stream_url?,
        subdomain: subdomain?,
    })
}

/// Exactly one operator (its participant hosts Operator and Scheduler), at least one regulator,
/// at least two traders (a swap needs two sides).
fn cardinality(orgs: &[Org], path: &YamlPath, issues: &mut Issues) {
    let count = |role| orgs.iter().filter(|org| org.role == role).count();
    let operators = count(OrgRole::Operator);
    if operators != 1 {
        issues.push(
            path,
            format!("expected exactly one org with role \"operator\", found {operators}"),
        );
    }
    let regulators = count(OrgRole::Regulator);
    if regulators < 1 {
        issues.push(
            path,
            "expected at least one org with role \"regulator\", found 0",
        );
    }
    let traders = count(OrgRole::Trader);
    if traders < 2 {
        issues.push(
            path,
            format!("expected at least two orgs with role \"trader\", found {traders}"),
        );
    }
}

/// Subdomain routing needs a template to build each org's URL from.
pub(super) fn routing_rules(
    routing: Option<Routing>,
    platform: Option<&PlatformConfig>,
    orgs: Option<&[Org]>,
    issues: &mut Issues,
) {
    if routing != Some(Routing::Subdomain) {
        return;
    }
    let template_path = YamlPath::root("platform").key("frontendUrlTemplate");
    if let Some(platform) = platform {
        match &platform.frontend_url_template {
            None => issues.push(&template_path, "required when routing is \"subdomain\""),
            Some(template) if !template.contains("{subdomain}") => issues.push(
                &template_path,
                format!(
                    "{template:?} must contain {} when routing is \"subdomain\"",
                    quoted(&["{subdomain}"])
                ),
            ),
            Some(_) => {}
        }
    }
    let Some(orgs) = orgs else { return };
    for (index, org) in orgs.iter().enumerate() {
        let Some(subdomain) = &org.subdomain else {
            continue;
        };
        if let Some(first) = orgs[..index]
            .iter()
            .find(|other| other.subdomain.as_ref() == Some(subdomain))
        {
            issues.push(
                YamlPath::root("orgs").id(&org.id).key("subdomain"),
                format!(
                    "subdomain {subdomain:?} is already used by org {:?}",
                    first.id
                ),
            );
        }
    }
}

fn is_dns_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}
