//! Phase two: the raw structs to the typed [`Config`], checking everything serde cannot.
//!
//! One file per section. Each validator records every problem it finds and returns `None` when
//! its section is unusable; sections never stop at the first problem, and no section stops the
//! others.

mod auth;
mod fields;
mod orgs;
mod platform;
mod scheduler;

use serde_yaml_ng::Value;

use crate::issues::{Issues, YamlPath};
use crate::model::{Config, Profile, Routing, Topology};
use crate::raw::RawConfig;

pub(crate) fn validate(raw: RawConfig, issues: &mut Issues) -> Option<Config> {
    let profile = fields::choice(
        raw.profile.as_deref(),
        None,
        &YamlPath::root("profile"),
        &[("demo", Profile::Demo), ("production", Profile::Production)],
        issues,
    );
    let topology = fields::choice(
        raw.topology.as_deref(),
        Some(Topology::Sandbox),
        &YamlPath::root("topology"),
        &[
            ("sandbox", Topology::Sandbox),
            ("network", Topology::Network),
        ],
        issues,
    );
    let routing = fields::choice(
        raw.routing.as_deref(),
        Some(Routing::Path),
        &YamlPath::root("routing"),
        &[("path", Routing::Path), ("subdomain", Routing::Subdomain)],
        issues,
    );
    let raw_auth_public_url = raw
        .platform
        .as_ref()
        .and_then(|platform| platform.auth_public_url.clone());
    let platform = platform::platform(raw.platform, issues);
    let scheduler_enabled = raw
        .scheduler
        .as_ref()
        .and_then(|scheduler| scheduler.enabled)
        .unwrap_or(false);
    let auth = auth::auth(
        raw.auth,
        &auth::AuthContext {
            profile,
            auth_public_url: platform.as_ref().and(raw_auth_public_url.as_deref()),
            scheduler_enabled,
        },
        issues,
    );
    let daml = platform::daml(raw.daml, issues);
    let ledger = platform::ledger(raw.ledger, issues);
    let oracle = platform::oracle(raw.oracle, issues);
    let orgs = orgs::orgs(raw.orgs, routing, issues);
    orgs::routing_rules(routing, platform.as_ref(), orgs.as_deref(), issues);
    let parties = scheduler::parties(raw.parties, issues);
    let scheduler = scheduler::scheduler(raw.scheduler, issues);

    if profile == Some(Profile::Production) && raw.demo.as_ref().is_some_and(is_populated) {
        issues.push(
            "demo",
            "must be absent or empty when profile is \"production\" (demo seed data must not reach a real ledger)",
        );
    }

    Some(Config {
        profile: profile?,
        topology: topology?,
        routing: routing?,
        auth: auth?,
        platform: platform?,
        daml: daml?,
        ledger: ledger?,
        oracle: oracle?,
        orgs: orgs?,
        parties: parties?,
        scheduler: scheduler?,
    })
}

fn is_populated(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Mapping(mapping) => !mapping.is_empty(),
        Value::Sequence(items) => !items.is_empty(),
        Value::String(text) => !text.is_empty(),
        _ => true,
    }
}
