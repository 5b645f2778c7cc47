//! The platform's own file and every example of the repository load, with the values and
//! defaults the services rely on.

use shared_config::{AuthMode, AuthProvider, OrgRole, Product, Profile, Routing, Topology};

use crate::support::{BUILTIN, DEMO, FP, PLATFORM, PRODUCTION, load, load_with_env};

#[test]
fn the_platforms_own_file_loads_unchanged() {
    let config = load(PLATFORM).unwrap();
    assert_eq!(config.profile, Profile::Demo);
    assert_eq!(config.topology, Topology::Sandbox);
    assert_eq!(config.auth.provider(), AuthProvider::Demo);
    assert_eq!(config.operator_org().id, "operator");
    assert_eq!(config.currencies.len(), 2);
    assert_eq!(config.rate_families["SOFR"].tenors.len(), 9);
    assert_eq!(
        config.floating_rate_indices.as_ref().unwrap()["USD-EFFR"].floor,
        None
    );
    assert_eq!(
        config.floating_rate_indices.as_ref().unwrap()["USD-SOFR"].floor,
        Some(0.0)
    );
    assert!(config.platform.ledger_ui.enabled);
    assert_eq!(
        config
            .platform
            .ledger_ui
            .template_filter
            .system_prefixes
            .len(),
        21
    );
    assert_eq!(config.scheduler.cron.mature.expression(), "*/30 * * * * *");
    assert!(config.ignored_keys.is_empty(), "{:?}", config.ignored_keys);
}

#[test]
fn the_demo_example_with_comments_and_anchors_loads_like_the_platforms_file() {
    let config = load(DEMO).unwrap();
    assert!(config.ignored_keys.is_empty(), "{:?}", config.ignored_keys);
    // Anchored values arrive wherever they are aliased.
    let demo = config.demo.as_ref().unwrap();
    let usd = &demo.stub_curves.as_ref().unwrap()["USD"];
    assert_eq!(usd.projections["USD-SOFR"], usd.discount);
    assert!(
        config
            .orgs
            .iter()
            .all(|org| org.ledger_url.as_str() == "http://localhost:7575/")
    );
    // Bare hints are fine in the demo provider: the oracle resolves them on the ledger.
    assert_eq!(
        config
            .auth
            .service_account("mark-publisher")
            .unwrap()
            .act_as,
        ["Operator"]
    );
}

#[test]
fn the_builtin_example_loads_with_qualified_parties_and_the_issuer_default() {
    let config = load(BUILTIN).unwrap();
    assert!(config.ignored_keys.is_empty(), "{:?}", config.ignored_keys);
    let AuthMode::Builtin(builtin) = &config.auth.mode else {
        panic!("builtin mode expected");
    };
    assert_eq!(
        builtin.issuer, "http://localhost:3002",
        "defaults to authPublicUrl"
    );
    assert_eq!(builtin.key_algorithm, "RS256");
    assert_eq!(
        (
            builtin.token_ttl_seconds,
            builtin.refresh_ttl_seconds,
            builtin.port
        ),
        (900, 86_400, 3002)
    );
    let scheduler = config.auth.service_account("scheduler").unwrap();
    assert_eq!(scheduler.act_as, [format!("Scheduler::{FP}")]);
    assert_eq!(scheduler.read_as.len(), 4);
    let operator = config.operator_org();
    assert_eq!(operator.party, format!("Operator::{FP}"));
    assert_eq!(
        config.platform.token_endpoint(),
        "http://localhost:3002/auth/oauth/token"
    );
}

#[test]
fn the_production_example_loads_once_the_secret_comes_from_the_environment() {
    let config = load_with_env(
        PRODUCTION,
        &[("IRSFORGE_OIDC_CLIENT_SECRET", "s3cr3t-value")],
    )
    .unwrap();
    assert!(config.ignored_keys.is_empty(), "{:?}", config.ignored_keys);
    assert_eq!(config.profile, Profile::Production);
    assert_eq!(config.topology, Topology::Network);
    assert_eq!(config.routing, Routing::Subdomain);
    let AuthMode::Oidc(_, oidc) = &config.auth.mode else {
        panic!("oidc mode expected");
    };
    assert_eq!(oidc.client_secret.expose(), "s3cr3t-value");
    assert!(
        !format!("{config:?}").contains("s3cr3t-value"),
        "Debug shows the secret"
    );
    assert!(config.demo.is_none());
    assert_eq!(
        config.operator_ledger_url().as_str(),
        "https://ledger.operator.irsforge.example.com/"
    );
    assert!(
        config
            .orgs
            .iter()
            .all(|org| org.role != OrgRole::Operator || org.stream_url.is_some())
    );
    assert_eq!(config.scheduler.cron.mature.expression(), "30 18 * * 1-5");
}

#[test]
fn a_minimal_document_takes_every_default() {
    let config = load(crate::support::MINIMAL).unwrap();
    assert_eq!(config.profile, Profile::Demo);
    assert_eq!(config.routing, Routing::Path);
    assert!(!config.scheduler.enabled);
    assert!(config.scheduler.manual_overrides_enabled);
    assert_eq!(config.scheduler.cron.trigger.expression(), "*/5 * * * * *");
    assert_eq!(
        config.scheduler.cron.settle_net.expression(),
        "*/5 * * * * *"
    );
    assert_eq!(config.scheduler.cron.mature.expression(), "*/30 * * * * *");
    assert_eq!(config.parties.scheduler_party_hint, "Scheduler");
    assert_eq!(config.daml.ledger_id, "sandbox");
    assert_eq!(config.daml.application_id, "IRSForge");
    assert_eq!(config.daml.unsafe_jwt_secret.expose(), "secret");
    assert_eq!(config.ledger.upstream_timeout_ms, 15_000);
    assert_eq!(
        (
            config.oracle.ledger_timeout_ms,
            config.oracle.fetch_timeout_ms
        ),
        (5_000, 5_000)
    );
    let ui = &config.platform.ledger_ui;
    assert!(ui.enabled && ui.toasts_enabled && ui.raw_payload_enabled);
    assert_eq!(
        (
            ui.buffer_size,
            ui.toasts_max_visible,
            ui.toasts_dismiss_after_ms
        ),
        (500, 3, 5000)
    );
    assert_eq!(
        ui.template_filter.deny,
        [
            "Daml.Finance.Holding",
            "Daml.Finance.Settlement.Instruction"
        ]
    );
    assert_eq!(ui.template_filter.system_prefixes.len(), 7);
    assert!(!config.platform.demo_reset.enabled);
    assert_eq!(config.platform.demo_reset.interval_minutes, 60);
    let enabled: Vec<bool> = config.observables.values().copied().collect();
    assert_eq!(
        enabled,
        [true, true, false, false, true, true, true, false, true]
    );
    assert_eq!(config.schedule_defaults[&Product::Ois].frequency_months, 12);
    assert_eq!(config.schedule_defaults[&Product::Xccy].frequency_months, 6);
    assert!(!config.schedule_defaults.contains_key(&Product::Fx));
    assert!(
        config
            .operator_policy
            .values()
            .all(|p| *p == shared_config::OperatorPolicy::Auto)
    );
    assert!(config.master_agreements.is_empty() && config.rate_families.is_empty());
    assert!(config.curves.is_none() && config.cds.is_none() && config.demo.is_none());
    assert!(config.auth.service_accounts.is_empty());
}
