//! The `platform`, `daml`, `ledger` and `oracle` sections.

use super::fields::{required_url, text_or, timeout_ms, url};
use crate::issues::{Issues, YamlPath};
use crate::model::{DamlConfig, LedgerConfig, OracleConfig, PlatformConfig};
use crate::raw::{RawDaml, RawLedger, RawOracle, RawPlatform};
use crate::secret::Secret;

const WEB: &[&str] = &["http", "https"];

pub(super) fn platform(raw: Option<RawPlatform>, issues: &mut Issues) -> Option<PlatformConfig> {
    let path = YamlPath::root("platform");
    let Some(raw) = raw else {
        issues.push(&path, "required (authPublicUrl and frontendUrl)");
        return None;
    };
    let auth_public_url = required_url(
        raw.auth_public_url.as_deref(),
        &path.key("authPublicUrl"),
        WEB,
        issues,
    );
    let frontend_url = required_url(
        raw.frontend_url.as_deref(),
        &path.key("frontendUrl"),
        WEB,
        issues,
    );
    Some(PlatformConfig {
        auth_public_url: auth_public_url?,
        frontend_url: frontend_url?,
        frontend_url_template: raw.frontend_url_template,
    })
}

pub(super) fn daml(raw: Option<RawDaml>, issues: &mut Issues) -> Option<DamlConfig> {
    let path = YamlPath::root("daml");
    let raw = raw.unwrap_or_default();
    let ledger_id = text_or(raw.ledger_id, "sandbox", &path.key("ledgerId"), issues);
    let application_id = text_or(
        raw.application_id,
        "IRSForge",
        &path.key("applicationId"),
        issues,
    );
    let secret = text_or(
        raw.unsafe_jwt_secret,
        "secret",
        &path.key("unsafeJwtSecret"),
        issues,
    );
    Some(DamlConfig {
        ledger_id: ledger_id?,
        application_id: application_id?,
        unsafe_jwt_secret: Secret::new(secret?),
    })
}

pub(super) fn ledger(raw: Option<RawLedger>, issues: &mut Issues) -> Option<LedgerConfig> {
    let raw = raw.unwrap_or_default();
    let path = YamlPath::root("ledger").key("upstreamTimeoutMs");
    Some(LedgerConfig {
        upstream_timeout_ms: timeout_ms(raw.upstream_timeout_ms, 15_000, &path, issues)?,
    })
}

pub(super) fn oracle(raw: Option<RawOracle>, issues: &mut Issues) -> Option<OracleConfig> {
    let path = YamlPath::root("oracle");
    let raw = raw.unwrap_or_default();
    // `Some(None)`: no URL configured; `None`: a configured URL that does not parse.
    let oracle_url = match raw.url {
        None => Some(None),
        Some(value) => url(&value, &path.key("url"), WEB, issues).map(Some),
    };
    let ledger_timeout_ms = timeout_ms(
        raw.ledger_timeout_ms,
        5_000,
        &path.key("ledgerTimeoutMs"),
        issues,
    );
    let fetch_timeout_ms = timeout_ms(
        raw.fetch_timeout_ms,
        5_000,
        &path.key("fetchTimeoutMs"),
        issues,
    );
    Some(OracleConfig {
        url: oracle_url?,
        ledger_timeout_ms: ledger_timeout_ms?,
        fetch_timeout_ms: fetch_timeout_ms?,
    })
}
