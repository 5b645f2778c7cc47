//! `platform` (with `ledgerUi` and `demoReset`), `daml`, `ledger` and `oracle`.

use serde_yaml_ng::Value;

use crate::issues::YamlPath;
use crate::model::{
    DamlConfig, DemoResetConfig, LedgerConfig, LedgerUiConfig, OracleConfig, PlatformConfig,
    TemplateFilter,
};
use crate::reader::Reader;
use crate::secret::Secret;

const DEFAULT_DENY: &[&str] = &[
    "Daml.Finance.Holding",
    "Daml.Finance.Settlement.Instruction",
];
const DEFAULT_SYSTEM_PREFIXES: &[&str] = &[
    "Daml.Finance.Data.V4.Numeric.Observation",
    "Oracle.Curve",
    "Oracle.CurveSnapshot",
    "Csa.Csa",
    "Csa.Mark",
    "Csa.Shortfall",
    "Csa.Netting",
];

pub(super) fn platform(
    reader: &mut Reader,
    value: &Value,
    path: &YamlPath,
) -> Option<PlatformConfig> {
    let object = reader.object(
        value,
        path,
        &[
            "authPublicUrl",
            "frontendUrl",
            "frontendUrlTemplate",
            "ledgerUi",
            "demoReset",
        ],
    )?;
    let auth_public_url = reader.required(&object, "authPublicUrl", Reader::url);
    let frontend_url = reader.required(&object, "frontendUrl", Reader::url);
    // A URL even under path routing; `{subdomain}` is checked with the routing rules.
    let frontend_url_template = reader.optional(&object, "frontendUrlTemplate", Reader::url_text);
    let ledger_ui = reader.defaulted_object(&object, "ledgerUi", ledger_ui);
    let demo_reset = reader.defaulted_object(&object, "demoReset", demo_reset);
    Some(PlatformConfig {
        auth_public_url: auth_public_url?,
        frontend_url: frontend_url?,
        frontend_url_template: frontend_url_template?,
        ledger_ui: ledger_ui?,
        demo_reset: demo_reset?,
    })
}

fn ledger_ui(reader: &mut Reader, value: &Value, path: &YamlPath) -> Option<LedgerUiConfig> {
    let object = reader.object(
        value,
        path,
        &[
            "enabled",
            "bufferSize",
            "templateFilter",
            "toasts",
            "rawPayload",
        ],
    )?;
    let enabled = reader.defaulted(&object, "enabled", || true, Reader::boolean);
    let buffer_size = reader.defaulted(&object, "bufferSize", || 500, Reader::positive_int);
    let template_filter = reader.defaulted_object(&object, "templateFilter", template_filter);
    let toasts = reader.defaulted_object(&object, "toasts", |r, v, p| {
        let toasts = r.object(v, p, &["enabled", "maxVisible", "dismissAfterMs"])?;
        let enabled = r.defaulted(&toasts, "enabled", || true, Reader::boolean);
        let max_visible = r.defaulted(&toasts, "maxVisible", || 3, Reader::non_negative_int);
        let dismiss = r.defaulted(&toasts, "dismissAfterMs", || 5000, Reader::positive_int);
        Some((enabled?, max_visible?, dismiss?))
    });
    let raw_payload = reader.defaulted_object(&object, "rawPayload", |r, v, p| {
        let raw_payload = r.object(v, p, &["enabled"])?;
        r.defaulted(&raw_payload, "enabled", || true, Reader::boolean)
    });
    let (toasts_enabled, toasts_max_visible, toasts_dismiss_after_ms) = toasts?;
    Some(LedgerUiConfig {
        enabled: enabled?,
        buffer_size: buffer_size?,
        template_filter: template_filter?,
        toasts_enabled,
        toasts_max_visible,
        toasts_dismiss_after_ms,
        raw_payload_enabled: raw_payload?,
    })
}

fn template_filter(reader: &mut Reader, value: &Value, path: &YamlPath) -> Option<TemplateFilter> {
    let object = reader.object(value, path, &["allow", "deny", "systemPrefixes"])?;
    let strings = |r: &mut Reader, v: &Value, p: &YamlPath| r.list(v, p, 0, Reader::string);
    let owned = |defaults: &[&str]| defaults.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let allow = reader.defaulted(&object, "allow", Vec::new, strings);
    let deny = reader.defaulted(&object, "deny", || owned(DEFAULT_DENY), strings);
    let system_prefixes = reader.defaulted(
        &object,
        "systemPrefixes",
        || owned(DEFAULT_SYSTEM_PREFIXES),
        strings,
    );
    Some(TemplateFilter {
        allow: allow?,
        deny: deny?,
        system_prefixes: system_prefixes?,
    })
}

fn demo_reset(reader: &mut Reader, value: &Value, path: &YamlPath) -> Option<DemoResetConfig> {
    let object = reader.object(value, path, &["enabled", "intervalMinutes", "message"])?;
    let enabled = reader.defaulted(&object, "enabled", || false, Reader::boolean);
    let interval_minutes =
        reader.defaulted(&object, "intervalMinutes", || 60, Reader::positive_int);
    let message = reader.optional(&object, "message", Reader::string);
    Some(DemoResetConfig {
        enabled: enabled?,
        interval_minutes: interval_minutes?,
        message: message?,
    })
}

pub(super) fn daml(reader: &mut Reader, value: &Value, path: &YamlPath) -> Option<DamlConfig> {
    let object = reader.object(
        value,
        path,
        &["ledgerId", "applicationId", "unsafeJwtSecret"],
    )?;
    let ledger_id = reader.defaulted(&object, "ledgerId", || "sandbox".into(), Reader::non_empty);
    let application_id = reader.defaulted(
        &object,
        "applicationId",
        || "IRSForge".into(),
        Reader::non_empty,
    );
    // Wrong-type messages never quote the value, so a secret cannot leak through one.
    let unsafe_jwt_secret = reader.defaulted(
        &object,
        "unsafeJwtSecret",
        || "secret".into(),
        Reader::non_empty,
    );
    Some(DamlConfig {
        ledger_id: ledger_id?,
        application_id: application_id?,
        unsafe_jwt_secret: Secret::new(unsafe_jwt_secret?),
    })
}

pub(super) fn ledger(reader: &mut Reader, value: &Value, path: &YamlPath) -> Option<LedgerConfig> {
    let object = reader.object(value, path, &["upstreamTimeoutMs"])?;
    let upstream_timeout_ms = reader.defaulted(
        &object,
        "upstreamTimeoutMs",
        || 15_000,
        Reader::positive_int,
    );
    Some(LedgerConfig {
        upstream_timeout_ms: upstream_timeout_ms?,
    })
}

pub(super) fn oracle(reader: &mut Reader, value: &Value, path: &YamlPath) -> Option<OracleConfig> {
    let object = reader.object(value, path, &["url", "ledgerTimeoutMs", "fetchTimeoutMs"])?;
    let url = reader.required(&object, "url", Reader::url);
    let ledger_timeout_ms =
        reader.defaulted(&object, "ledgerTimeoutMs", || 5_000, Reader::positive_int);
    let fetch_timeout_ms =
        reader.defaulted(&object, "fetchTimeoutMs", || 5_000, Reader::positive_int);
    Some(OracleConfig {
        url: url?,
        ledger_timeout_ms: ledger_timeout_ms?,
        fetch_timeout_ms: fetch_timeout_ms?,
    })
}
