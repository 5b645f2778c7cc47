//! The environment overrides, step by step in the platform's order: applied to the document
//! before validation, checked like file values, and named in the issues they cause.

use shared_config::{AuthMode, AuthProvider, Routing, Topology};

use crate::schema::{check, loaded};
use crate::support::{
    BUILTIN, MINIMAL, PLATFORM, Remove, Set, load_with_env, patched, problems_with_env,
};

#[test]
fn every_override_reaches_its_field() {
    let text = patched(
        BUILTIN,
        &[
            Set("orgs.0.subdomain", "goldman"),
            Set("orgs.1.subdomain", "jpm"),
            Set("orgs.2.subdomain", "ops"),
            Set("orgs.3.subdomain", "reg"),
        ],
    );
    let config = load_with_env(
        &text,
        &[
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
        ],
    )
    .unwrap();
    assert_eq!(config.topology, Topology::Sandbox);
    assert_eq!(config.routing, Routing::Subdomain);
    assert_eq!(config.auth.provider(), AuthProvider::Oidc);
    assert_eq!(
        config.auth.builtin().unwrap().issuer,
        "https://issuer.example"
    );
    let AuthMode::Oidc(_, oidc) = &config.auth.mode else {
        panic!()
    };
    assert_eq!(oidc.authority.as_str(), "https://idp.example/realms/irs");
    assert_eq!(oidc.client_id, "irsforge-web");
    assert_eq!(oidc.client_secret.expose(), "from-env");
    assert_eq!(config.oracle.url.as_str(), "https://oracle.example/");
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
    assert!(
        config
            .orgs
            .iter()
            .all(|org| org.ledger_url.as_str() == "http://ledger.internal:7575/")
    );
}

#[test]
fn an_empty_variable_counts_as_unset() {
    let config = load_with_env(
        BUILTIN,
        &[
            ("IRSFORGE_AUTH_PROVIDER", ""),
            ("IRSFORGE_AUTH_PUBLIC_URL", ""),
        ],
    )
    .unwrap();
    assert_eq!(config.auth.provider(), AuthProvider::Builtin);
    assert_eq!(
        config.platform.auth_public_url.as_str(),
        "http://localhost:3002/"
    );
}

#[test]
fn an_override_is_validated_like_a_file_value_and_names_its_variable() {
    let lines = problems_with_env(
        MINIMAL,
        &[
            ("IRSFORGE_ROUTING", "subdomains"),
            ("IRSFORGE_ORACLE_URL", "oracle"),
            ("IRSFORGE_LEDGER_URL", "ledger:"),
        ],
    );
    assert_eq!(
        lines,
        [
            "routing: unknown value `subdomains`; did you mean `subdomain`? (value from IRSFORGE_ROUTING)",
            "oracle.url: \"oracle\" is not a valid URL (relative URL without a base) (value from IRSFORGE_ORACLE_URL)",
        ]
    );
}

#[test]
fn an_absent_auth_becomes_an_empty_one_and_the_provider_can_come_from_the_environment() {
    let text = patched(MINIMAL, &[Remove("auth")]);
    let config = load_with_env(&text, &[("IRSFORGE_AUTH_PROVIDER", "demo")]).unwrap();
    assert_eq!(config.auth.provider(), AuthProvider::Demo);
    assert!(config.auth.service_accounts.is_empty());
}

#[test]
fn overrides_create_the_sections_they_write() {
    let text = patched(MINIMAL, &[Remove("oracle"), Remove("platform")]);
    let config = load_with_env(
        &text,
        &[
            ("IRSFORGE_ORACLE_URL", "http://o"),
            ("IRSFORGE_AUTH_PUBLIC_URL", "http://a"),
            ("IRSFORGE_FRONTEND_URL", "http://f"),
            ("IRSFORGE_DAML_LEDGER_ID", "l"),
        ],
    )
    .unwrap();
    assert_eq!(config.oracle.url.as_str(), "http://o/");
    assert_eq!(config.daml.ledger_id, "l");
    assert_eq!(
        config.daml.application_id, "IRSForge",
        "the rest of daml takes its defaults"
    );
    // One variable of a group creates the section; the others stay missing.
    let lines = problems_with_env(
        &text,
        &[
            ("IRSFORGE_ORACLE_URL", "http://o"),
            ("IRSFORGE_AUTH_PUBLIC_URL", "http://a"),
        ],
    );
    assert_eq!(lines, ["platform.frontendUrl: required"]);
    let lines = problems_with_env(MINIMAL, &[("IRSFORGE_OIDC_CLIENT_ID", "web")]);
    assert_eq!(
        lines,
        [
            "auth.oidc.authority: required",
            "auth.oidc.clientSecret: required"
        ]
    );
}

#[test]
fn an_override_below_a_value_of_another_type_leaves_it_alone() {
    let text = patched(MINIMAL, &[Set("oracle", "'http://o'")]);
    let lines = problems_with_env(&text, &[("IRSFORGE_ORACLE_URL", "http://o")]);
    assert_eq!(lines, ["oracle: expected a mapping, got a string"]);
}

#[test]
fn step_8_fills_an_absent_null_or_empty_issuer_from_the_public_url_under_every_provider() {
    for issuer in [None, Some("~"), Some("''")] {
        let mut patches = vec![Remove("auth.builtin.issuer")];
        if let Some(issuer) = issuer {
            patches = vec![Set("auth.builtin.issuer", issuer)];
        }
        // Under the demo provider the section is ignored but still filled and validated.
        loaded(PLATFORM, &patches);
        let builtin = patched(BUILTIN, if issuer.is_some() { &patches } else { &[] });
        let config = load_with_env(
            &builtin,
            &[("IRSFORGE_AUTH_PUBLIC_URL", "https://auth.example/")],
        )
        .unwrap();
        assert_eq!(
            config.auth.builtin().unwrap().issuer,
            "https://auth.example/",
            "{issuer:?}"
        );
    }
    // An explicit variable wins over the default.
    let config = load_with_env(
        BUILTIN,
        &[
            ("IRSFORGE_BUILTIN_ISSUER", "https://iss"),
            ("IRSFORGE_AUTH_PUBLIC_URL", "https://auth"),
        ],
    )
    .unwrap();
    assert_eq!(config.auth.builtin().unwrap().issuer, "https://iss");
    // Without a public URL nothing fills it.
    let text = patched(BUILTIN, &[Remove("platform.authPublicUrl")]);
    assert_eq!(
        problems_with_env(&text, &[]),
        [
            "auth.builtin.issuer: required",
            "platform.authPublicUrl: required"
        ]
    );
}

#[test]
fn step_10_reads_the_timeout_as_javascript_reads_a_number() {
    for (value, expected) in [
        ("45000", 45_000),
        ("1e3", 1_000),
        ("0x10", 16),
        (" 250 ", 250),
    ] {
        let config =
            load_with_env(MINIMAL, &[("IRSFORGE_LEDGER_UPSTREAM_TIMEOUT_MS", value)]).unwrap();
        assert_eq!(config.ledger.upstream_timeout_ms, expected, "{value:?}");
    }
    for (value, line) in [
        (
            "0",
            "ledger.upstreamTimeoutMs: must be greater than 0, got 0 (value from IRSFORGE_LEDGER_UPSTREAM_TIMEOUT_MS)",
        ),
        (
            "1.5",
            "ledger.upstreamTimeoutMs: must be a whole number, got 1.5 (value from IRSFORGE_LEDGER_UPSTREAM_TIMEOUT_MS)",
        ),
        (
            "1_000",
            "ledger.upstreamTimeoutMs: expected a number, got a string (value from IRSFORGE_LEDGER_UPSTREAM_TIMEOUT_MS)",
        ),
        (
            "Infinity",
            "ledger.upstreamTimeoutMs: expected a number, got a string (value from IRSFORGE_LEDGER_UPSTREAM_TIMEOUT_MS)",
        ),
        (
            "soon",
            "ledger.upstreamTimeoutMs: expected a number, got a string (value from IRSFORGE_LEDGER_UPSTREAM_TIMEOUT_MS)",
        ),
    ] {
        assert_eq!(
            problems_with_env(MINIMAL, &[("IRSFORGE_LEDGER_UPSTREAM_TIMEOUT_MS", value)]),
            [line],
            "{value:?}"
        );
    }
}

#[test]
fn step_11_replaces_every_ledger_url_in_the_sandbox_topology_only() {
    let config = load_with_env(MINIMAL, &[("IRSFORGE_LEDGER_URL", "http://one:1")]).unwrap();
    assert!(
        config
            .orgs
            .iter()
            .all(|org| org.ledger_url.as_str() == "http://one:1/")
    );
    // The topology is read after its own override.
    let config = load_with_env(
        MINIMAL,
        &[
            ("IRSFORGE_TOPOLOGY", "network"),
            ("IRSFORGE_LEDGER_URL", "http://one:1"),
        ],
    )
    .unwrap();
    assert!(
        config
            .orgs
            .iter()
            .all(|org| org.ledger_url.as_str() == "http://ledger:7575/")
    );
    let network = patched(MINIMAL, &[Set("topology", "network")]);
    let config = load_with_env(&network, &[("IRSFORGE_LEDGER_URL", "not a url")]).unwrap();
    assert_eq!(
        config.operator_ledger_url().as_str(),
        "http://ledger:7575/",
        "ignored, not refused"
    );
    let config = load_with_env(
        &network,
        &[
            ("IRSFORGE_TOPOLOGY", "sandbox"),
            ("IRSFORGE_LEDGER_URL", "http://two:2"),
        ],
    )
    .unwrap();
    assert_eq!(config.operator_ledger_url().as_str(), "http://two:2/");
}

#[test]
fn step_11_falls_back_to_ledger_url_only_when_the_new_name_is_unset() {
    let config = load_with_env(MINIMAL, &[("LEDGER_URL", "http://legacy:1")]).unwrap();
    assert_eq!(config.operator_ledger_url().as_str(), "http://legacy:1/");
    let config = load_with_env(
        MINIMAL,
        &[
            ("LEDGER_URL", "http://legacy:1"),
            ("IRSFORGE_LEDGER_URL", "http://new:2"),
        ],
    )
    .unwrap();
    assert_eq!(config.operator_ledger_url().as_str(), "http://new:2/");
    // An empty IRSFORGE_LEDGER_URL turns both off.
    let config = load_with_env(
        MINIMAL,
        &[
            ("LEDGER_URL", "http://legacy:1"),
            ("IRSFORGE_LEDGER_URL", ""),
        ],
    )
    .unwrap();
    assert_eq!(config.operator_ledger_url().as_str(), "http://ledger:7575/");
    assert_eq!(
        problems_with_env(MINIMAL, &[("LEDGER_URL", "nope")]),
        [
            "orgs.0.ledgerUrl: \"nope\" is not a valid URL (relative URL without a base) (value from LEDGER_URL)",
            "orgs.1.ledgerUrl: \"nope\" is not a valid URL (relative URL without a base) (value from LEDGER_URL)",
            "orgs.2.ledgerUrl: \"nope\" is not a valid URL (relative URL without a base) (value from LEDGER_URL)",
            "orgs.3.ledgerUrl: \"nope\" is not a valid URL (relative URL without a base) (value from LEDGER_URL)",
        ]
    );
}

#[test]
fn no_other_variable_is_read() {
    // A sample of names an operator might expect but the platform does not read.
    check(
        MINIMAL,
        &[],
        &[
            ("IRSFORGE_PROFILE", "production"),
            ("IRSFORGE_SCHEDULER_ENABLED", "yes"),
            ("IRSFORGE_CURRENCIES", "x"),
        ],
        &[],
    );
    assert_eq!(
        shared_config::env::override_names().collect::<Vec<_>>(),
        [
            "IRSFORGE_TOPOLOGY",
            "IRSFORGE_ROUTING",
            "IRSFORGE_AUTH_PROVIDER",
            "IRSFORGE_BUILTIN_ISSUER",
            "IRSFORGE_OIDC_AUTHORITY",
            "IRSFORGE_OIDC_CLIENT_ID",
            "IRSFORGE_OIDC_CLIENT_SECRET",
            "IRSFORGE_ORACLE_URL",
            "IRSFORGE_AUTH_PUBLIC_URL",
            "IRSFORGE_FRONTEND_URL",
            "IRSFORGE_FRONTEND_URL_TEMPLATE",
            "IRSFORGE_DAML_LEDGER_ID",
            "IRSFORGE_DAML_APPLICATION_ID",
            "IRSFORGE_DAML_UNSAFE_JWT_SECRET",
            "IRSFORGE_LEDGER_UPSTREAM_TIMEOUT_MS",
            "IRSFORGE_LEDGER_URL",
            "LEDGER_URL",
        ]
    );
}

#[test]
fn a_timeout_variable_that_is_not_a_number_is_refused_never_a_panic() {
    // Non-ASCII text where a `0x` prefix would be, JavaScript's white space and what it does
    // not count as white space (NEL).
    for value in [
        "5é",
        "é",
        "\u{2212}5",
        "\u{200b}5",
        "\u{85}5000",
        "0x",
        "0b2",
    ] {
        assert_eq!(
            problems_with_env(MINIMAL, &[("IRSFORGE_LEDGER_UPSTREAM_TIMEOUT_MS", value)]),
            [
                "ledger.upstreamTimeoutMs: expected a number, got a string (value from IRSFORGE_LEDGER_UPSTREAM_TIMEOUT_MS)"
            ],
            "{value:?}"
        );
    }
    let config = load_with_env(
        MINIMAL,
        &[("IRSFORGE_LEDGER_UPSTREAM_TIMEOUT_MS", "\u{a0}5000\u{3000}")],
    )
    .unwrap();
    assert_eq!(config.ledger.upstream_timeout_ms, 5000);
}

#[test]
fn step_8_replaces_any_issuer_javascript_counts_as_false() {
    for issuer in ["false", "0", "-0", ".nan"] {
        let text = patched(BUILTIN, &[Set("auth.builtin.issuer", issuer)]);
        let config = load_with_env(&text, &[]).unwrap_or_else(|error| panic!("{issuer}: {error}"));
        assert_eq!(
            config.auth.builtin().unwrap().issuer,
            "http://localhost:3002",
            "{issuer}"
        );
    }
    assert_eq!(
        problems_with_env(
            &patched(BUILTIN, &[Set("auth.builtin.issuer", "true")]),
            &[]
        ),
        ["auth.builtin.issuer: expected a string, got a boolean"]
    );
}

#[test]
fn step_11_without_orgs_writes_an_empty_list() {
    let text = patched(MINIMAL, &[Remove("orgs")]);
    assert_eq!(
        problems_with_env(&text, &[("IRSFORGE_LEDGER_URL", "http://l")]),
        [
            "orgs: must list at least 1 item, got 0",
            "orgs: exactly one org must have role: operator (got 0)",
            "orgs: at least one org must have role: regulator (got 0)",
            "orgs: at least two orgs must have role: trader (got 0)",
        ]
    );
}
