//! The platform's cross-field rules, one test each, with its path and message.

use super::rules;
use crate::support::{BUILTIN, MINIMAL, PLATFORM, Remove, Set};

rules! {
    rule_1_every_org_needs_a_subdomain_under_subdomain_routing: MINIMAL, [
        Set("routing", "subdomain"),
        Set("platform.frontendUrlTemplate", "'https://{subdomain}.example.com'"),
        Set("orgs.0.subdomain", "a"), Set("orgs.1.subdomain", "''"), Set("orgs.2.subdomain", "o"),
    ] => [
        "orgs.1.subdomain: subdomain is required for every org when routing is 'subdomain'",
        "orgs.3.subdomain: subdomain is required for every org when routing is 'subdomain'",
    ];
    rule_2_subdomain_routing_needs_a_url_template: PLATFORM, [Set("routing", "subdomain")] => [
        "platform.frontendUrlTemplate: frontendUrlTemplate is required when routing is 'subdomain'",
    ];
    rule_3_the_template_holds_the_literal_token: PLATFORM, [
        Set("routing", "subdomain"),
        Set("platform.frontendUrlTemplate", "'https://{sub}.example.com'"),
    ] => [
        "platform.frontendUrlTemplate: frontendUrlTemplate must contain the literal token '{subdomain}'",
    ];
    rule_3_runs_on_a_template_that_is_not_even_a_url: PLATFORM, [
        Set("routing", "subdomain"),
        Set("platform.frontendUrlTemplate", "'{sub}.example.com'"),
    ] => [
        "platform.frontendUrlTemplate: \"{sub}.example.com\" is not a valid URL (relative URL without a base)",
        "platform.frontendUrlTemplate: frontendUrlTemplate must contain the literal token '{subdomain}'",
    ];
    subdomain_routing_with_every_piece_loads: PLATFORM, [
        Set("routing", "subdomain"),
        Set("platform.frontendUrlTemplate", "'https://{subdomain}.example.com'"),
    ] => [];
    rule_4_exactly_one_default_currency_none: PLATFORM, [Set("currencies.0.isDefault", "false")] => [
        "currencies: exactly one currency must have isDefault: true (got 0)",
    ];
    rule_4_exactly_one_default_currency_two: PLATFORM, [Set("currencies.1.isDefault", "true")] => [
        "currencies: exactly one currency must have isDefault: true (got 2)",
    ];
    rule_5_currency_codes_are_unique: PLATFORM, [
        Set("currencies.2", "{code: USD, label: Again, calendarId: USD}"),
        Set("currencies.3", "{code: USD, label: Thrice, calendarId: USD}"),
    ] => [
        "currencies.2.code: duplicate currency code: USD",
        "currencies.3.code: duplicate currency code: USD",
    ];
    rule_5_compares_codes_exactly: PLATFORM, [Set("currencies.2", "{code: usd, label: Lower, calendarId: USD}")] => [];
    rule_6_exactly_one_operator: PLATFORM, [Set("orgs.3.role", "operator")] => [
        "orgs: exactly one org must have role: operator (got 2)",
        "orgs: at least one org must have role: regulator (got 0)",
    ];
    rule_6_no_operator: PLATFORM, [Set("orgs.2.role", "trader")] => [
        "orgs: exactly one org must have role: operator (got 0)",
    ];
    rule_7_at_least_one_regulator: PLATFORM, [Remove("orgs.3")] => [
        "orgs: at least one org must have role: regulator (got 0)",
    ];
    rule_8_at_least_two_traders: PLATFORM, [Set("orgs.1.role", "regulator")] => [
        "orgs: at least two orgs must have role: trader (got 1)",
    ];
    rule_9_production_carries_no_populated_demo: BUILTIN, [Set("profile", "production")] => [
        "demo: profile=production must not carry a populated `demo:` subtree",
    ];
    rule_9_an_empty_map_counts_as_populated: BUILTIN, [Set("profile", "production"), Set("demo", "{fxSpots: {}}")] => [
        "demo: profile=production must not carry a populated `demo:` subtree",
    ];
    rule_9_an_empty_demo_does_not: BUILTIN, [Set("profile", "production"), Set("demo", "{}")] => [];
    rule_9_nor_one_with_unknown_keys_only: BUILTIN, [Set("profile", "production"), Set("demo", "{seedSwaps: true}")] => [];
    rule_10_mark_publisher_is_declared_outside_demo: BUILTIN, [Remove("auth.serviceAccounts.1")] => [
        "auth.serviceAccounts: auth.serviceAccounts must include an entry with id=\"mark-publisher\" when auth.provider != \"demo\" (add auth.serviceAccounts[id=mark-publisher] with its actAs and readAs)",
    ];
    rule_11_scheduler_is_declared_when_enabled: BUILTIN, [Remove("auth.serviceAccounts.0")] => [
        "auth.serviceAccounts: auth.serviceAccounts must include an entry with id=\"scheduler\" when auth.provider != \"demo\" and scheduler.enabled (add auth.serviceAccounts[id=scheduler] with its actAs and readAs)",
    ];
    rule_11_not_when_the_scheduler_is_disabled: BUILTIN, [Remove("auth.serviceAccounts.0"), Set("scheduler.enabled", "false")] => [];
    rules_10_and_11_do_not_apply_to_demo: PLATFORM, [Set("auth.serviceAccounts", "[]")] => [];
    cross_field_rules_wait_for_a_structurally_sound_document: BUILTIN, [
        Remove("auth.serviceAccounts.1"), Remove("csa.mta"),
    ] => [
        "csa.mta: required",
    ];
    the_auth_checks_wait_for_a_structurally_sound_auth_section: BUILTIN, [
        Remove("auth.builtin"), Set("auth.serviceAccounts.0.actAs", "~"),
    ] => [
        "auth.serviceAccounts.0.actAs: expected a list, got null",
    ];
    an_auth_check_does_not_stop_the_top_level_rules: BUILTIN, [
        Remove("auth.builtin"), Set("orgs.0.role", "regulator"),
    ] => [
        "auth.builtin: auth.builtin is required when auth.provider=\"builtin\" (used to mint ledger JWTs)",
        "orgs: at least two orgs must have role: trader (got 1)",
    ];
}
