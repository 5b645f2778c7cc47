//! Top level, `oracle`, `daml`, `ledger`, `orgs`, `parties`, `scheduler` and `operator`.

use shared_config::{OperatorPolicy, Product, Profile, Routing};

use super::{loaded, rules};
use crate::support::{MINIMAL, PLATFORM, Remove, Set};

rules! {
    profile_defaults_to_demo_and_routing_to_path: MINIMAL, [] => [];
    topology_is_required: MINIMAL, [Remove("topology")] => ["topology: required"];
    topology_is_sandbox_or_network: MINIMAL, [Set("topology", "cloud")] => [
        "topology: unknown value `cloud`; expected `sandbox` or `network`",
    ];
    profile_is_demo_or_production: MINIMAL, [Set("profile", "staging")] => [
        "profile: unknown value `staging`; expected `demo` or `production`",
    ];
    auth_oracle_platform_currencies_csa_and_orgs_are_required: MINIMAL, [
        Remove("oracle"), Remove("platform"), Remove("currencies"), Remove("csa"), Remove("orgs"),
    ] => [
        "oracle: required",
        "platform: required",
        "currencies: required",
        "csa: required",
        "orgs: required",
    ];
    // The platform turns an absent `auth` into `{}` before validating, so the provider is what
    // is reported missing.
    an_absent_auth_reports_its_provider: MINIMAL, [Remove("auth")] => ["auth.provider: required"];
    // Too few items is not a structural problem, so the cross-field rules still speak.
    orgs_need_at_least_one_entry: MINIMAL, [Set("orgs", "[]")] => [
        "orgs: must list at least 1 item, got 0",
        "orgs: exactly one org must have role: operator (got 0)",
        "orgs: at least one org must have role: regulator (got 0)",
        "orgs: at least two orgs must have role: trader (got 0)",
    ];
    a_section_of_the_wrong_type_is_refused: MINIMAL, [Set("scheduler", "[]"), Set("operator", "auto")] => [
        "scheduler: expected a mapping, got a list",
        "operator: expected a mapping, got a string",
    ];

    oracle_url_is_required: MINIMAL, [Remove("oracle.url")] => ["oracle.url: required"];
    oracle_timeouts_are_positive_whole_numbers: MINIMAL, [
        Set("oracle.ledgerTimeoutMs", "0"), Set("oracle.fetchTimeoutMs", "-5"),
    ] => [
        "oracle.ledgerTimeoutMs: must be greater than 0, got 0",
        "oracle.fetchTimeoutMs: must be greater than 0, got -5",
    ];
    oracle_timeouts_have_no_upper_bound: MINIMAL, [Set("oracle.ledgerTimeoutMs", "86400000")] => [];

    daml_strings_must_not_be_empty: MINIMAL, [
        Set("daml.ledgerId", "''"), Set("daml.applicationId", "''"), Set("daml.unsafeJwtSecret", "''"),
    ] => [
        "daml.ledgerId: must not be empty",
        "daml.applicationId: must not be empty",
        "daml.unsafeJwtSecret: must not be empty",
    ];
    ledger_upstream_timeout_is_positive: MINIMAL, [Set("ledger.upstreamTimeoutMs", "0")] => [
        "ledger.upstreamTimeoutMs: must be greater than 0, got 0",
    ];

    every_org_field_but_two_is_required: MINIMAL, [
        Remove("orgs.0.id"), Remove("orgs.0.party"), Remove("orgs.0.displayName"),
        Remove("orgs.0.hint"), Remove("orgs.0.role"), Remove("orgs.0.ledgerUrl"),
    ] => [
        "orgs.0.id: required",
        "orgs.0.party: required",
        "orgs.0.displayName: required",
        "orgs.0.hint: required",
        "orgs.0.role: required",
        "orgs.0.ledgerUrl: required",
    ];
    org_ids_parties_hints_and_subdomains_may_repeat: MINIMAL, [
        Set("orgs.1.id", "a"), Set("orgs.1.party", "PartyA"), Set("orgs.1.hint", "PartyA"),
        Set("orgs.0.subdomain", "x"), Set("orgs.1.subdomain", "x"),
    ] => [];
    an_org_party_may_be_a_bare_hint_under_any_provider: PLATFORM, [
        Set("auth.provider", "builtin"),
        Set("auth.serviceAccounts", "[{id: mark-publisher, actAs: ['Operator::1220aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa']}, {id: scheduler, actAs: ['Scheduler::1220aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa']}]"),
    ] => [];
    a_stream_url_is_a_ws_or_wss_url: MINIMAL, [Set("orgs.0.streamUrl", "wss://x"), Set("orgs.1.streamUrl", "ws://y:1/s")] => [];
    an_http_stream_url_is_refused: MINIMAL, [Set("orgs.0.streamUrl", "http://x"), Set("orgs.1.streamUrl", "WSS://x")] => [
        "orgs.0.streamUrl: streamUrl must be a ws:// or wss:// URL",
        "orgs.1.streamUrl: streamUrl must be a ws:// or wss:// URL",
    ];
    a_stream_url_must_also_be_a_url: MINIMAL, [Set("orgs.0.streamUrl", "ws://")] => [
        "orgs.0.streamUrl: \"ws://\" is not a valid URL (empty host)",
    ];
    an_empty_subdomain_is_allowed_under_path_routing: MINIMAL, [Set("orgs.0.subdomain", "''")] => [];

    the_scheduler_party_hint_must_not_be_empty: MINIMAL, [Set("parties.scheduler.partyHint", "''")] => [
        "parties.scheduler.partyHint: must not be empty",
    ];
    the_scheduler_party_hint_is_any_text: MINIMAL, [Set("parties.scheduler.partyHint", "Scheduler::x")] => [];

    scheduler_flags_are_booleans: MINIMAL, [Set("scheduler.enabled", "1")] => [
        "scheduler.enabled: expected true or false, got a number",
    ];
    an_enabled_scheduler_needs_no_crons: MINIMAL, [Set("scheduler.enabled", "true")] => [];
    crons_may_have_five_or_six_fields: MINIMAL, [
        Set("scheduler.cron.trigger", "'*/5 * * * *'"), Set("scheduler.cron.mature", "'0 0 18 * * 1-5'"),
    ] => [];

    operator_policies_are_auto_or_manual: MINIMAL, [Set("operator.policy.IRS", "manual"), Set("operator.policy.FpML", "auto")] => [];
    an_unknown_operator_policy_is_refused: MINIMAL, [Set("operator.policy.CDS", "manually")] => [
        "operator.policy.CDS: unknown value `manually`; expected `auto` or `manual`",
    ];
}

#[test]
fn defaults_fill_in_for_absent_sections() {
    let config = loaded(MINIMAL, &[]);
    assert_eq!(config.profile, Profile::Demo);
    assert_eq!(config.routing, Routing::Path);
    assert!(!config.scheduler.enabled);
    assert_eq!(config.operator_policy.len(), 9);
    let config = loaded(
        MINIMAL,
        &[
            Set("operator.policy.OIS", "manual"),
            Set("scheduler.cron", "{}"),
        ],
    );
    assert_eq!(
        config.operator_policy[&Product::Ois],
        OperatorPolicy::Manual
    );
    assert_eq!(config.operator_policy[&Product::Irs], OperatorPolicy::Auto);
    assert_eq!(
        config.scheduler.cron.settle_net.expression(),
        "*/5 * * * * *"
    );
}
