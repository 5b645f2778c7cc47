//! The raw shape of `irsforge.yaml`, as serde reads it.
//!
//! Every leaf is optional here: requiredness often depends on other sections (`auth.builtin` is
//! required only when the provider is not `demo`), and reporting a missing value is the
//! validator's job, so all of them are reported together. Enumerations and URLs stay strings
//! for the same reason. Every struct below the top level denies unknown keys; the top level
//! accepts the platform's other sections.

use serde::Deserialize;
use serde_yaml_ng::Value;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawConfig {
    pub(crate) profile: Option<String>,
    pub(crate) topology: Option<String>,
    pub(crate) routing: Option<String>,
    pub(crate) auth: Option<RawAuth>,
    pub(crate) platform: Option<RawPlatform>,
    pub(crate) daml: Option<RawDaml>,
    pub(crate) ledger: Option<RawLedger>,
    pub(crate) oracle: Option<RawOracle>,
    pub(crate) orgs: Option<Vec<Option<RawOrg>>>,
    pub(crate) parties: Option<RawParties>,
    pub(crate) scheduler: Option<RawScheduler>,
    /// Unmodelled, but `profile: production` must not carry a populated one.
    pub(crate) demo: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawAuth {
    pub(crate) provider: Option<String>,
    pub(crate) builtin: Option<RawBuiltin>,
    pub(crate) oidc: Option<RawOidc>,
    pub(crate) service_accounts: Option<Vec<Option<RawServiceAccount>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawBuiltin {
    pub(crate) issuer: Option<String>,
    pub(crate) key_algorithm: Option<String>,
    pub(crate) token_ttl_seconds: Option<u64>,
    pub(crate) refresh_ttl_seconds: Option<u64>,
    pub(crate) port: Option<u16>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawOidc {
    pub(crate) authority: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret: Option<String>,
    pub(crate) scopes: Option<Vec<Option<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawServiceAccount {
    pub(crate) id: Option<String>,
    pub(crate) act_as: Option<Vec<Option<String>>>,
    pub(crate) read_as: Option<Vec<Option<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawPlatform {
    pub(crate) auth_public_url: Option<String>,
    pub(crate) frontend_url: Option<String>,
    pub(crate) frontend_url_template: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawDaml {
    pub(crate) ledger_id: Option<String>,
    pub(crate) application_id: Option<String>,
    pub(crate) unsafe_jwt_secret: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawLedger {
    pub(crate) upstream_timeout_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawOracle {
    pub(crate) url: Option<String>,
    pub(crate) ledger_timeout_ms: Option<u64>,
    pub(crate) fetch_timeout_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawOrg {
    pub(crate) id: Option<String>,
    pub(crate) party: Option<String>,
    pub(crate) display_name: Option<String>,
    pub(crate) hint: Option<String>,
    pub(crate) role: Option<String>,
    pub(crate) ledger_url: Option<String>,
    pub(crate) stream_url: Option<String>,
    pub(crate) subdomain: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawParties {
    pub(crate) scheduler: Option<RawSchedulerParty>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawSchedulerParty {
    pub(crate) party_hint: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawScheduler {
    pub(crate) enabled: Option<bool>,
    pub(crate) manual_overrides_enabled: Option<bool>,
    pub(crate) cron: Option<RawCron>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawCron {
    pub(crate) trigger: Option<String>,
    pub(crate) settle_net: Option<String>,
    pub(crate) mature: Option<String>,
}
