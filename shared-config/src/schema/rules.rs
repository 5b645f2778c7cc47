//! The platform's cross-field rules, in its order, with its paths and messages. They run only
//! when the document has no structural problem (so every value below has its schema type), and
//! read the tree itself: a value with a format problem (a bad URL, say) still takes part, as it
//! does on the platform.

use serde_yaml_ng::Value;

use crate::issues::YamlPath;
use crate::model::{MARK_PUBLISHER_ACCOUNT, SCHEDULER_ACCOUNT};
use crate::reader::Reader;

/// The keys of `demo` whose presence makes it populated.
const DEMO_KEYS: &[&str] = &["cdsStub", "stubCurves", "fxSpots", "csa", "curveTicker"];

pub(super) fn check(document: &Value, reader: &mut Reader) {
    let text = |value: Option<&Value>, default: &'static str| -> String {
        value.and_then(Value::as_str).unwrap_or(default).to_owned()
    };
    let items = |key: &str| -> &[Value] {
        document
            .get(key)
            .and_then(Value::as_sequence)
            .map_or(&[], Vec::as_slice)
    };
    let orgs = items("orgs");

    if text(document.get("routing"), "path") == "subdomain" {
        subdomain_routing(document, orgs, reader);
    }

    let currencies = items("currencies");
    let defaults = currencies
        .iter()
        .filter(|currency| currency.get("isDefault").and_then(Value::as_bool) == Some(true))
        .count();
    if defaults != 1 {
        reader.refuse(
            &YamlPath::root("currencies"),
            format!("exactly one currency must have isDefault: true (got {defaults})"),
        );
    }
    let mut codes: Vec<&str> = Vec::new();
    for (index, currency) in currencies.iter().enumerate() {
        let Some(code) = currency.get("code").and_then(Value::as_str) else {
            continue;
        };
        if codes.contains(&code) {
            reader.refuse(
                &YamlPath::root("currencies").index(index).key("code"),
                format!("duplicate currency code: {code}"),
            );
        } else {
            codes.push(code);
        }
    }

    let with_role = |role: &str| {
        orgs.iter()
            .filter(|org| org.get("role").and_then(Value::as_str) == Some(role))
            .count()
    };
    let orgs_path = YamlPath::root("orgs");
    let operators = with_role("operator");
    if operators != 1 {
        reader.refuse(
            &orgs_path,
            format!("exactly one org must have role: operator (got {operators})"),
        );
    }
    if with_role("regulator") == 0 {
        reader.refuse(
            &orgs_path,
            "at least one org must have role: regulator (got 0)",
        );
    }
    let traders = with_role("trader");
    if traders < 2 {
        reader.refuse(
            &orgs_path,
            format!("at least two orgs must have role: trader (got {traders})"),
        );
    }

    let production = text(document.get("profile"), "demo") == "production";
    let demo_populated = document
        .get("demo")
        .is_some_and(|demo| DEMO_KEYS.iter().any(|key| demo.get(*key).is_some()));
    if production && demo_populated {
        reader.refuse(
            &YamlPath::root("demo"),
            "profile=production must not carry a populated `demo:` subtree",
        );
    }

    service_accounts(document, reader);
}

/// Rules 1 to 3: every org needs a subdomain and the frontend a template to put it in.
fn subdomain_routing(document: &Value, orgs: &[Value], reader: &mut Reader) {
    for (index, org) in orgs.iter().enumerate() {
        let subdomain = org.get("subdomain").and_then(Value::as_str);
        if subdomain.is_none_or(str::is_empty) {
            reader.refuse(
                &YamlPath::root("orgs").index(index).key("subdomain"),
                "subdomain is required for every org when routing is 'subdomain'",
            );
        }
    }
    let template_path = YamlPath::root("platform").key("frontendUrlTemplate");
    match document
        .get("platform")
        .and_then(|platform| platform.get("frontendUrlTemplate"))
        .and_then(Value::as_str)
    {
        None => reader.refuse(
            &template_path,
            "frontendUrlTemplate is required when routing is 'subdomain'",
        ),
        Some(template) if !template.contains("{subdomain}") => reader.refuse(
            &template_path,
            "frontendUrlTemplate must contain the literal token '{subdomain}'",
        ),
        Some(_) => {}
    }
}

/// Rules 10 and 11: the oracle's accounts must be declared whenever the auth service mints
/// their tokens.
fn service_accounts(document: &Value, reader: &mut Reader) {
    let provider = document
        .get("auth")
        .and_then(|auth| auth.get("provider"))
        .and_then(Value::as_str);
    if provider.is_none_or(|provider| provider == "demo") {
        return;
    }
    let declared = |id: &str| {
        document
            .get("auth")
            .and_then(|auth| auth.get("serviceAccounts"))
            .and_then(Value::as_sequence)
            .is_some_and(|accounts| {
                accounts
                    .iter()
                    .any(|account| account.get("id").and_then(Value::as_str) == Some(id))
            })
    };
    let scheduler_enabled = document
        .get("scheduler")
        .and_then(|scheduler| scheduler.get("enabled"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let path = YamlPath::root("auth").key("serviceAccounts");
    if !declared(MARK_PUBLISHER_ACCOUNT) {
        reader.refuse(
            &path,
            format!(
                "auth.serviceAccounts must include an entry with id=\"{MARK_PUBLISHER_ACCOUNT}\" when auth.provider != \"demo\" (add auth.serviceAccounts[id={MARK_PUBLISHER_ACCOUNT}] with its actAs and readAs)"
            ),
        );
    }
    if scheduler_enabled && !declared(SCHEDULER_ACCOUNT) {
        reader.refuse(
            &path,
            format!(
                "auth.serviceAccounts must include an entry with id=\"{SCHEDULER_ACCOUNT}\" when auth.provider != \"demo\" and scheduler.enabled (add auth.serviceAccounts[id={SCHEDULER_ACCOUNT}] with its actAs and readAs)"
            ),
        );
    }
}
