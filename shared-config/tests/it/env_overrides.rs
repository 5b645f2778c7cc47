//! The `IRSFORGE_*` overrides: applied before validation, checked like file values, and named in
//! the issues they cause.

use shared_config::{AuthProvider, MapEnv, Routing, Topology};

use crate::support::{BUILTIN, DEMO, Remove, Set, load_with, patched, problems};

#[test]
fn every_override_reaches_its_field() {
    let text = patched(
        BUILTIN,
        &[
            Set("auth.provider", "builtin"),
            Set("routing", "subdomain"),
            Set("orgs[0].subdomain", "ops"),
            Set("orgs[1].subdomain", "alpha"),
            Set("orgs[2].subdomain", "beta"),
            Set("orgs[3].subdomain", "reg"),
        ],
    );
    let env = MapEnv::new([
        ("IRSFORGE_TOPOLOGY", "sandbox"),
        ("IRSFORGE_ROUTING", "subdomain"),
        ("IRSFORGE_AUTH_PROVIDER", "oidc"),
        ("IRSFORGE_BUILTIN_ISSUER", "https://issuer.example"),
        ("IRSFORGE_OIDC_AUTHORITY", "https://idp.example/realms/irs"),
        ("IRSFORGE_OIDC_CLIENT_ID", "irsforge-web"),
        ("IRSFORGE_OIDC_CLIENT_SECRET", "from-env"),
        ("IRSFORGE_ORACLE_URL", "https://oracle.example"),
        ("IRSFORGE_AUTH_PUBLIC_URL", "https://auth.example"),
        ("IRSFORGE_FRONTEND_URL", "https://app.example"),
        (
            "IRSFORGE_FRONTEND_URL_TEMPLATE",
            "https://{subdomain}.app.example",
        ),
        ("IRSFORGE_DAML_LEDGER_ID", "participant1"),
        ("IRSFORGE_DAML_APPLICATION_ID", "IRSForge-prod"),
        ("IRSFORGE_DAML_UNSAFE_JWT_SECRET", "env-secret"),
        ("IRSFORGE_LEDGER_UPSTREAM_TIMEOUT_MS", "2500"),
        ("IRSFORGE_LEDGER_URL", "http://ledger.internal:7575"),
    ]);
    let config = load_with(&text, &env).unwrap();
    assert_eq!(config.topology, Topology::Sandbox);
    assert_eq!(config.routing, Routing::Subdomain);
    assert_eq!(config.auth.provider(), AuthProvider::Oidc);
    assert_eq!(
        config.auth.builtin().unwrap().issuer,
        "https://issuer.example"
    );
    let shared_config::AuthMode::Oidc(_, oidc) = &config.auth.mode else {
        panic!()
    };
    assert_eq!(oidc.authority.as_str(), "https://idp.example/realms/irs");
    assert_eq!(oidc.client_id, "irsforge-web");
    assert_eq!(oidc.client_secret.as_ref().unwrap().expose(), "from-env");
    assert_eq!(
        config.oracle.url.as_ref().unwrap().as_str(),
        "https://oracle.example/"
    );
    assert_eq!(
        config.platform.auth_public_url.as_str(),
        "https://auth.example/"
    );
    assert_eq!(
        config.platform.frontend_url.as_str(),
        "https://app.example/"
    );
    assert_eq!(
        config.platform.frontend_url_template.as_deref(),
        Some("https://{subdomain}.app.example")
    );
    assert_eq!(config.daml.ledger_id, "participant1");
    assert_eq!(config.daml.application_id, "IRSForge-prod");
    assert_eq!(config.daml.unsafe_jwt_secret.expose(), "env-secret");
    assert_eq!(config.ledger.upstream_timeout_ms, 2500);
    for org in &config.orgs {
        assert_eq!(
            org.ledger_url.as_str(),
            "http://ledger.internal:7575/",
            "org {}",
            org.id
        );
    }
}

#[test]
fn issuer_default_follows_an_overridden_public_url() {
    let env = MapEnv::new([("IRSFORGE_AUTH_PUBLIC_URL", "https://auth.prod.example")]);
    let config = load_with(BUILTIN, &env).unwrap();
    assert_eq!(
        config.auth.builtin().unwrap().issuer,
        "https://auth.prod.example"
    );
}

#[test]
fn an_empty_variable_counts_as_unset() {
    let env = MapEnv::new([("IRSFORGE_AUTH_PROVIDER", ""), ("IRSFORGE_LEDGER_URL", "")]);
    let config = load_with(BUILTIN, &env).unwrap();
    assert_eq!(config.auth.provider(), AuthProvider::Builtin);
    assert_eq!(
        config.operator_ledger_url().as_str(),
        "http://localhost:7575/"
    );
}

#[test]
fn overrides_create_missing_sections() {
    let text = patched(BUILTIN, &[Remove("oracle")]);
    let env = MapEnv::new([("IRSFORGE_ORACLE_URL", "http://oracle:3001")]);
    let config = load_with(&text, &env).unwrap();
    assert_eq!(config.oracle.url.unwrap().as_str(), "http://oracle:3001/");
}

#[test]
fn a_bad_overridden_value_names_its_variable() {
    let env = MapEnv::new([
        ("IRSFORGE_AUTH_PROVIDER", "okta"),
        ("IRSFORGE_AUTH_PUBLIC_URL", "auth.example"),
        ("IRSFORGE_LEDGER_UPSTREAM_TIMEOUT_MS", "15s"),
        ("IRSFORGE_LEDGER_URL", "ledger:7575"),
    ]);
    assert_eq!(
        problems(BUILTIN, &env),
        [
            "IRSFORGE_LEDGER_UPSTREAM_TIMEOUT_MS: expected a whole number of milliseconds, got \"15s\"",
            "platform.authPublicUrl: \"auth.example\" is not a valid URL: relative URL without a base (value from IRSFORGE_AUTH_PUBLIC_URL)",
            "auth.provider: unknown value `okta`; expected one of `demo`, `builtin`, `oidc` (value from IRSFORGE_AUTH_PROVIDER)",
            "orgs[id=operator].ledgerUrl: \"ledger:7575\" must be an http:// or https:// URL (value from IRSFORGE_LEDGER_URL)",
            "orgs[id=partya].ledgerUrl: \"ledger:7575\" must be an http:// or https:// URL (value from IRSFORGE_LEDGER_URL)",
            "orgs[id=partyb].ledgerUrl: \"ledger:7575\" must be an http:// or https:// URL (value from IRSFORGE_LEDGER_URL)",
            "orgs[id=regulator].ledgerUrl: \"ledger:7575\" must be an http:// or https:// URL (value from IRSFORGE_LEDGER_URL)",
            "orgs: expected exactly one org with role \"operator\", found 0",
            "orgs: expected at least one org with role \"regulator\", found 0",
            "orgs: expected at least two orgs with role \"trader\", found 0",
        ]
    );
}

#[test]
fn ledger_url_override_is_refused_in_the_network_topology() {
    let env = MapEnv::new([
        ("IRSFORGE_TOPOLOGY", "network"),
        ("IRSFORGE_LEDGER_URL", "http://one:7575"),
    ]);
    assert_eq!(
        problems(BUILTIN, &env),
        [
            "IRSFORGE_LEDGER_URL: applies only to topology \"sandbox\"; with topology \"network\" set each orgs[].ledgerUrl in the file",
        ]
    );
}

#[test]
fn switching_the_provider_by_environment_applies_the_provider_rules() {
    // The demo example holds bare hints; forcing the builtin provider must refuse them.
    let env = MapEnv::new([("IRSFORGE_AUTH_PROVIDER", "builtin")]);
    let lines = problems(DEMO, &env);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(lines[0].starts_with(
        "auth.serviceAccounts[id=mark-publisher].actAs[0]: `Operator` is a bare party hint"
    ));
    assert!(lines[1].starts_with(
        "auth.serviceAccounts[id=scheduler].actAs[0]: `Scheduler` is a bare party hint"
    ));
}
