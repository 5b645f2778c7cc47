//! The three refusals this loader adds to the platform's schema, and the rules the platform
//! deliberately does not have, which must stay absent here too.

use crate::schema::{check, rules};
use crate::support::{BUILTIN, FP, MINIMAL, PLATFORM, Set};

rules! {
    refusal_1_a_bare_hint_in_service_accounts_outside_demo: BUILTIN, [
        Set("auth.serviceAccounts.1.actAs", "[Operator]"),
        Set("auth.serviceAccounts.1.readAs", "[PartyA, '']"),
    ] => [
        "auth.serviceAccounts.1.actAs.0: `Operator` is a bare party hint, not a Canton party id; use the exact id `Operator::1220…` as the participant reports it (GET /v1/parties) (required when auth.provider is \"builtin\": the auth service copies actAs/readAs verbatim into tokens)",
        "auth.serviceAccounts.1.readAs.0: `PartyA` is a bare party hint, not a Canton party id; use the exact id `PartyA::1220…` as the participant reports it (GET /v1/parties) (required when auth.provider is \"builtin\": the auth service copies actAs/readAs verbatim into tokens)",
        "auth.serviceAccounts.1.readAs.1: is empty; expected a Canton party id such as `Operator::1220…` (required when auth.provider is \"builtin\": the auth service copies actAs/readAs verbatim into tokens)",
    ];
    refusal_1_applies_to_oidc_too: BUILTIN, [
        Set("auth.provider", "oidc"),
        Set("auth.oidc", "{authority: 'https://idp', clientId: web, clientSecret: s}"),
        Set("auth.serviceAccounts.0.actAs", "[Scheduler]"),
    ] => [
        "auth.serviceAccounts.0.actAs.0: `Scheduler` is a bare party hint, not a Canton party id; use the exact id `Scheduler::1220…` as the participant reports it (GET /v1/parties) (required when auth.provider is \"oidc\": the auth service copies actAs/readAs verbatim into tokens)",
    ];
    refusal_1_not_under_demo: PLATFORM, [] => [];
    refusal_2_the_demo_provider_under_production: MINIMAL, [Set("profile", "production")] => [
        "auth.provider: \"demo\" (unsafe HS256 tokens signed with a shared secret) is not allowed when profile is \"production\"; use \"builtin\" or \"oidc\"",
    ];
    refusal_3_a_cron_of_other_than_five_or_six_fields: MINIMAL, [
        Set("scheduler.cron.trigger", "'* * * *'"),
        Set("scheduler.cron.mature", "'@daily'"),
    ] => [
        "scheduler.cron.trigger: \"* * * *\": expected 5 fields (min hour day-of-month month day-of-week) or 6 with seconds first, e.g. \"*/5 * * * * *\"; found 4",
        "scheduler.cron.mature: \"@daily\": expected 5 fields (min hour day-of-month month day-of-week) or 6 with seconds first, e.g. \"*/5 * * * * *\"; found 1",
    ];
    refusal_3_a_field_that_does_not_parse: MINIMAL, [
        Set("scheduler.cron.settleNet", "'61 * * * *'"),
        Set("demo.curveTicker.cron", "'every minute'"),
    ] => [
        "demo.curveTicker.cron: \"every minute\": expected 5 fields (min hour day-of-month month day-of-week) or 6 with seconds first, e.g. \"*/5 * * * * *\"; found 2",
        "scheduler.cron.settleNet: \"61 * * * *\": invalid cron expression: Component error: Number out of bounds.",
    ];
    refusal_3_applies_when_the_scheduler_is_disabled_too: MINIMAL, [
        Set("scheduler.enabled", "false"),
        Set("scheduler.cron.mature", "'0 0 * * 8'"),
    ] => [
        "scheduler.cron.mature: \"0 0 * * 8\": invalid cron expression: Component error: Number out of bounds.",
    ];
}

/// What the platform's schema does not check must not be checked here either.
#[test]
fn nothing_else_is_stricter_than_the_platform() {
    let qualified = |hint: &str| format!("['{hint}::{FP}']");
    for (name, base, patches) in [
        (
            "org parties may be bare hints under builtin",
            BUILTIN,
            vec![Set("orgs.0.party", "PartyA")],
        ),
        (
            "master-agreement parties are any text",
            MINIMAL,
            vec![Set(
                "masterAgreements",
                "[{parties: [X, 'not::a party'], reference: R, governingLaw: NewYork}]",
            )],
        ),
        (
            "org ids, hints and subdomains may repeat",
            MINIMAL,
            vec![
                Set("orgs.0.id", "b"),
                Set("orgs.0.hint", "PartyB"),
                Set("orgs.0.subdomain", "x"),
                Set("orgs.1.subdomain", "x"),
            ],
        ),
        (
            "any positive TTL",
            BUILTIN,
            vec![
                Set("auth.builtin.tokenTtlSeconds", "1"),
                Set("auth.builtin.refreshTtlSeconds", "99999999999"),
            ],
        ),
        (
            "any positive port",
            BUILTIN,
            vec![Set("auth.builtin.port", "123456")],
        ),
        (
            "any key algorithm",
            BUILTIN,
            vec![Set("auth.builtin.keyAlgorithm", "ES256")],
        ),
        (
            "valuation currency need not be listed",
            MINIMAL,
            vec![
                Set("csa.valuationCcy", "CHF"),
                Set("csa.eligibleCollateral.0.currency", "JPY"),
            ],
        ),
        (
            "curve and stub keys need not be listed",
            PLATFORM,
            vec![
                Set("demo.csa.initialFunding", "{GBP: 1}"),
                Set(
                    "demo.stubCurves.CHF",
                    "{discount: {pillars: [{tenorDays: 1, zeroRate: 0}, {tenorDays: 2, zeroRate: 0}]}, projections: {}}",
                ),
            ],
        ),
        (
            "projection index need not exist",
            PLATFORM,
            vec![Set("curves.currencies.EUR.projection.indexId", "EUR-EONIA")],
        ),
        (
            "service accounts need not match orgs",
            BUILTIN,
            vec![Set("auth.serviceAccounts.0.readAs", &qualified("Nobody"))],
        ),
        ("demo blocks under the demo profile", PLATFORM, vec![]),
        (
            "service-account ids of any form",
            MINIMAL,
            vec![Set(
                "auth.serviceAccounts",
                "[{id: 'Mark Publisher', actAs: [Operator]}]",
            )],
        ),
        (
            "a never-firing cron parses",
            MINIMAL,
            vec![Set("scheduler.cron.mature", "'0 0 31 2 *'")],
        ),
        (
            "timeouts of any size",
            MINIMAL,
            vec![
                Set("ledger.upstreamTimeoutMs", "1e12"),
                Set("oracle.fetchTimeoutMs", "3600000"),
            ],
        ),
        (
            "a scheduler party hint that looks qualified",
            MINIMAL,
            vec![Set(
                "parties.scheduler.partyHint",
                &format!("'Scheduler::{FP}'"),
            )],
        ),
        (
            "URL schemes are not restricted",
            MINIMAL,
            vec![
                Set("orgs.2.ledgerUrl", "grpc://ledger:6865"),
                Set("oracle.url", "localhost:3001"),
            ],
        ),
    ] {
        let patches: Vec<_> = patches.into_iter().collect();
        eprintln!("case: {name}");
        check(base, &patches, &[], &[]);
    }
}

rules! {
    refusal_1_is_about_bare_hints_only: BUILTIN, [
        Set("auth.serviceAccounts.0.readAs", "['Operator::not-a-fingerprint', 'Opérateur::1220aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '::x']"),
    ] => [];
}
