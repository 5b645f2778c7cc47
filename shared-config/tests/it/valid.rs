//! Documents that load, and the values and defaults they produce.

use shared_config::{AuthMode, AuthProvider, KeyAlgorithm, OrgRole, Profile, Routing, Topology};

use crate::support::{BUILTIN, DEMO, FP, Remove, Set, load, patched};

#[test]
fn the_demo_example_loads_with_every_platform_section() {
    let config = load(DEMO).unwrap();
    assert_eq!(config.profile, Profile::Demo);
    assert_eq!(config.topology, Topology::Sandbox);
    assert_eq!(config.routing, Routing::Path);
    assert_eq!(config.auth.provider(), AuthProvider::Demo);
    assert!(config.auth.builtin().is_none(), "demo has no token service");
    // Bare hints are fine in the demo provider: the oracle resolves them on the ledger.
    assert_eq!(
        config
            .auth
            .service_account("mark-publisher")
            .unwrap()
            .act_as,
        ["Operator"]
    );
    assert_eq!(config.daml.unsafe_jwt_secret.expose(), "secret");
    assert_eq!(config.operator_org().id, "operator");
    assert_eq!(
        config.operator_ledger_url().as_str(),
        "http://localhost:7575/"
    );
    assert!(config.scheduler.enabled);
    assert_eq!(
        config.scheduler.cron.trigger.as_ref().unwrap().expression(),
        "0 * * * * *"
    );
    assert_eq!(config.parties.scheduler_party_hint, "Scheduler");
}

#[test]
fn the_builtin_example_loads_with_qualified_parties_and_the_issuer_default() {
    let config = load(BUILTIN).unwrap();
    assert_eq!(config.auth.provider(), AuthProvider::Builtin);
    let AuthMode::Builtin(builtin) = &config.auth.mode else {
        panic!("builtin mode expected");
    };
    assert_eq!(
        builtin.issuer, "http://localhost:3002",
        "defaults to authPublicUrl"
    );
    assert_eq!(builtin.key_algorithm, KeyAlgorithm::Rs256);
    assert_eq!(builtin.token_ttl_seconds, 900);
    assert_eq!(builtin.refresh_ttl_seconds, 86_400);
    assert_eq!(builtin.port, 3002);
    let scheduler = config.auth.service_account("scheduler").unwrap();
    assert_eq!(scheduler.act_as, [format!("Scheduler::{FP}")]);
    assert_eq!(scheduler.read_as, [format!("Operator::{FP}")]);
    assert_eq!(
        config.platform.token_endpoint(),
        "http://localhost:3002/auth/oauth/token"
    );
    assert_eq!(
        config
            .orgs
            .iter()
            .filter(|o| o.role == OrgRole::Trader)
            .count(),
        2
    );
}

#[test]
fn defaults_fill_every_optional_value() {
    let text = patched(
        BUILTIN,
        &[
            Remove("topology"),
            Remove("routing"),
            Remove("auth.builtin"),
            Set("auth.builtin", "{}"),
            Remove("daml"),
            Remove("oracle"),
            Remove("parties"),
            Remove("scheduler"),
        ],
    );
    let config = load(&text).unwrap();
    assert_eq!(config.topology, Topology::Sandbox);
    assert_eq!(config.routing, Routing::Path);
    let builtin = config.auth.builtin().unwrap();
    assert_eq!(
        (
            builtin.token_ttl_seconds,
            builtin.refresh_ttl_seconds,
            builtin.port
        ),
        (900, 86_400, 3002)
    );
    assert_eq!(config.daml.ledger_id, "sandbox");
    assert_eq!(config.daml.application_id, "IRSForge");
    assert_eq!(config.daml.unsafe_jwt_secret.expose(), "secret");
    assert_eq!(config.ledger.upstream_timeout_ms, 15_000);
    assert_eq!(config.oracle.ledger_timeout_ms, 5_000);
    assert_eq!(config.oracle.fetch_timeout_ms, 5_000);
    assert!(config.oracle.url.is_none());
    assert_eq!(config.parties.scheduler_party_hint, "Scheduler");
    assert!(!config.scheduler.enabled);
    assert!(config.scheduler.manual_overrides_enabled);
    assert!(config.scheduler.cron.trigger.is_none());
}

#[test]
fn scheduler_account_is_optional_while_the_scheduler_is_disabled() {
    let text = patched(
        BUILTIN,
        &[
            Set("scheduler.enabled", "false"),
            Remove("auth.serviceAccounts[1]"),
        ],
    );
    let config = load(&text).unwrap();
    assert!(config.auth.service_account("scheduler").is_none());
}

#[test]
fn explicit_issuer_is_kept_verbatim_and_trailing_slash_of_the_default_dropped() {
    let explicit = patched(
        BUILTIN,
        &[Set(
            "auth.builtin.issuer",
            "'https://auth.irsforge.example/'",
        )],
    );
    assert_eq!(
        load(&explicit).unwrap().auth.builtin().unwrap().issuer,
        "https://auth.irsforge.example/"
    );
    let slash = patched(
        BUILTIN,
        &[Set(
            "platform.authPublicUrl",
            "'https://auth.irsforge.example/'",
        )],
    );
    let config = load(&slash).unwrap();
    assert_eq!(
        config.auth.builtin().unwrap().issuer,
        "https://auth.irsforge.example"
    );
    assert_eq!(
        config.platform.token_endpoint(),
        "https://auth.irsforge.example/auth/oauth/token"
    );
}

#[test]
fn oidc_profile_carries_both_sections_and_default_scopes() {
    let text = patched(
        BUILTIN,
        &[
            Set("auth.provider", "oidc"),
            Set(
                "auth.oidc",
                "{authority: 'https://idp.example/realms/irs', clientId: irsforge, clientSecret: s3cr3t}",
            ),
        ],
    );
    let config = load(&text).unwrap();
    let AuthMode::Oidc(builtin, oidc) = &config.auth.mode else {
        panic!("oidc mode expected");
    };
    assert_eq!(builtin.port, 3002);
    assert_eq!(oidc.authority.as_str(), "https://idp.example/realms/irs");
    assert_eq!(oidc.scopes, ["openid"]);
    assert_eq!(oidc.client_secret.as_ref().unwrap().expose(), "s3cr3t");
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let text = patched(
        BUILTIN,
        &[
            Set("daml.unsafeJwtSecret", "hunter2-daml"),
            Set("auth.provider", "oidc"),
            Set(
                "auth.oidc",
                "{authority: 'https://idp.example', clientId: irsforge, clientSecret: hunter2-oidc}",
            ),
        ],
    );
    let config = load(&text).unwrap();
    let debug = format!("{config:?} {config:#?}");
    assert!(
        !debug.contains("hunter2"),
        "a secret leaked into Debug output"
    );
    assert!(debug.contains("[redacted]"));
}

#[test]
fn cron_schedules_are_parsed_once_and_fire_on_time() {
    use chrono::{TimeZone, Utc};
    let config = load(BUILTIN).unwrap();
    let trigger = config.scheduler.cron.trigger.unwrap();
    let at = Utc.with_ymd_and_hms(2026, 11, 28, 10, 2, 30).unwrap();
    assert_eq!(
        trigger.next_after(at),
        Some(Utc.with_ymd_and_hms(2026, 11, 28, 10, 5, 0).unwrap())
    );
}

#[test]
fn load_reads_a_file_and_names_it_in_errors() {
    let dir = std::env::temp_dir().join(format!("shared-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("irsforge.yaml");
    std::fs::write(&path, "profile: [\n").unwrap();
    let error = shared_config::load(&path, &shared_config::MapEnv::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with(&format!("{}:2:1: ", path.display())),
        "{error}"
    );
    let missing =
        shared_config::load(&dir.join("nope.yaml"), &shared_config::MapEnv::default()).unwrap_err();
    assert!(
        missing.to_string().starts_with("cannot read config file "),
        "{missing}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
