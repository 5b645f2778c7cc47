//! The platform's `irsforge.yaml` schema: one reading function per section, then the
//! cross-field rules.
//!
//! Each section file reads its part of the tree into the typed model with [`Reader`], which
//! records every problem and carries on. The cross-field rules ([`rules`]) run afterwards on the
//! tree itself, and only when nothing structural is wrong, as on the platform; the three
//! refusals this loader adds to the platform's rules live with the fields they concern
//! (`auth.rs`: bare party hints and the demo provider in production; `scheduler.rs`: cron
//! syntax).

mod auth;
mod csa;
mod demo;
mod market;
mod orgs;
mod platform;
mod rules;
mod scheduler;

use serde_yaml_ng::Value;

use crate::issues::YamlPath;
use crate::model::{Config, Profile, Routing, Topology};
use crate::reader::Reader;

/// Every top-level key of the schema.
const SECTIONS: &[&str] = &[
    "profile",
    "topology",
    "routing",
    "auth",
    "oracle",
    "platform",
    "daml",
    "ledger",
    "currencies",
    "cds",
    "observables",
    "scheduleDefaults",
    "curves",
    "floatingRateIndices",
    "rateFamilies",
    "csa",
    "masterAgreements",
    "demo",
    "orgs",
    "parties",
    "scheduler",
    "operator",
];

/// Reads the whole document. Returns `None` when anything is wrong; every problem is in
/// `reader.issues`.
pub(crate) fn read(document: &Value, reader: &mut Reader) -> Option<Config> {
    let root = match document {
        Value::Null => {
            reader.refuse_structure(
                &YamlPath::document(),
                "the file is empty; expected a mapping of sections such as `auth:` and `platform:`",
            );
            return None;
        }
        document => reader.object(document, &YamlPath::document(), SECTIONS)?,
    };
    let profile = reader.defaulted(
        &root,
        "profile",
        || Profile::Demo,
        |r, v, p| {
            r.one_of(
                v,
                p,
                &[("demo", Profile::Demo), ("production", Profile::Production)],
            )
        },
    );
    let topology = reader.required(&root, "topology", |r, v, p| {
        r.one_of(
            v,
            p,
            &[
                ("sandbox", Topology::Sandbox),
                ("network", Topology::Network),
            ],
        )
    });
    let routing = reader.defaulted(
        &root,
        "routing",
        || Routing::Path,
        |r, v, p| {
            r.one_of(
                v,
                p,
                &[("path", Routing::Path), ("subdomain", Routing::Subdomain)],
            )
        },
    );
    let auth = reader.required(&root, "auth", |r, v, p| auth::auth(r, v, p, profile));
    let oracle = reader.required(&root, "oracle", platform::oracle);
    let platform = reader.required(&root, "platform", platform::platform);
    let daml = reader.defaulted_object(&root, "daml", platform::daml);
    let ledger = reader.defaulted_object(&root, "ledger", platform::ledger);
    let currencies = reader.required(&root, "currencies", market::currencies);
    let cds = reader.optional(&root, "cds", market::cds);
    let observables = reader.defaulted_object(&root, "observables", market::observables);
    let schedule_defaults =
        reader.defaulted_object(&root, "scheduleDefaults", market::schedule_defaults);
    let curves = reader.optional(&root, "curves", market::curves);
    let floating_rate_indices =
        reader.optional(&root, "floatingRateIndices", market::floating_rate_indices);
    let rate_families = reader.defaulted(
        &root,
        "rateFamilies",
        Default::default,
        market::rate_families,
    );
    let csa = reader.required(&root, "csa", csa::csa);
    let master_agreements =
        reader.defaulted(&root, "masterAgreements", Vec::new, csa::master_agreements);
    let demo = reader.optional(&root, "demo", demo::demo);
    let orgs = reader.required(&root, "orgs", orgs::orgs);
    let parties = reader.defaulted_object(&root, "parties", orgs::parties);
    let scheduler = reader.defaulted_object(&root, "scheduler", scheduler::scheduler);
    let operator_policy = reader.defaulted_object(&root, "operator", scheduler::operator);

    if reader.structural_count() == 0 {
        rules::check(document, reader);
    }

    Some(Config {
        profile: profile?,
        topology: topology?,
        routing: routing?,
        auth: auth?,
        oracle: oracle?,
        platform: platform?,
        daml: daml?,
        ledger: ledger?,
        currencies: currencies?,
        cds: cds?,
        observables: observables?,
        schedule_defaults: schedule_defaults?,
        curves: curves?,
        floating_rate_indices: floating_rate_indices?,
        rate_families: rate_families?,
        csa: csa?,
        master_agreements: master_agreements?,
        demo: demo?,
        orgs: orgs?,
        parties: parties?,
        scheduler: scheduler?,
        operator_policy: operator_policy?,
        ignored_keys: Vec::new(),
    })
}
