//! The validation table: each invalid document and the exact `path: message` lines it produces.
//! Every rule of SPEC.md §3 appears here with its message.

use shared_config::MapEnv;

use crate::support::{BUILTIN, DEMO, FP, Patch, Remove, Set, patched, problems};

struct Case {
    name: &'static str,
    base: &'static str,
    patches: &'static [Patch<'static>],
    expected: &'static [&'static str],
}

const fn case(
    name: &'static str,
    patches: &'static [Patch<'static>],
    expected: &'static [&'static str],
) -> Case {
    Case {
        name,
        base: BUILTIN,
        patches,
        expected,
    }
}

const fn demo_case(
    name: &'static str,
    patches: &'static [Patch<'static>],
    expected: &'static [&'static str],
) -> Case {
    Case {
        name,
        base: DEMO,
        patches,
        expected,
    }
}

const PRODUCTION_DEMO_SECTION: &str = "demo: must be absent or empty when profile is \"production\" (demo seed data must not reach a real ledger)";

const CASES: &[Case] = &[
    // --- top level ---
    case(
        "profile missing",
        &[Remove("profile")],
        &["profile: required; one of \"demo\" or \"production\""],
    ),
    case(
        "profile unknown",
        &[Set("profile", "staging")],
        &["profile: unknown value `staging`; expected one of `demo`, `production`"],
    ),
    case(
        "topology typo",
        &[Set("topology", "sandbx")],
        &["topology: unknown value `sandbx`; did you mean `sandbox`?"],
    ),
    case(
        "routing unknown",
        &[Set("routing", "dns")],
        &["routing: unknown value `dns`; expected one of `path`, `subdomain`"],
    ),
    case(
        "misspelt section",
        &[Set("sheduler", "{enabled: true}")],
        &["sheduler: unknown section `sheduler`; did you mean `scheduler`?"],
    ),
    case(
        "section of the wrong type",
        &[Set("auth", "[builtin]")],
        &[
            "auth: invalid type: list, expected a mapping",
            "auth: required",
        ],
    ),
    // --- auth ---
    case("auth missing", &[Remove("auth")], &["auth: required"]),
    case(
        "provider missing",
        &[Remove("auth.provider")],
        &["auth.provider: required; one of \"demo\", \"builtin\" or \"oidc\""],
    ),
    case(
        "provider typo",
        &[Set("auth.provider", "builtn")],
        &["auth.provider: unknown value `builtn`; did you mean `builtin`?"],
    ),
    case(
        "serviceAccounts misspelt",
        &[
            Set("auth.serviceAcounts", "[]"),
            Remove("auth.serviceAccounts"),
        ],
        &[
            "auth.serviceAcounts: unknown key `serviceAcounts`; did you mean `serviceAccounts`?",
            "auth.serviceAccounts[id=mark-publisher]: required when auth.provider is \"builtin\"",
            "auth.serviceAccounts[id=scheduler]: required when auth.provider is \"builtin\" and scheduler.enabled is true",
        ],
    ),
    case(
        "unknown key with no near match",
        &[Set("auth.audience", "x")],
        &[
            "auth.audience: unknown key `audience`; expected one of `provider`, `builtin`, `oidc`, `serviceAccounts`",
        ],
    ),
    case(
        "builtin missing",
        &[Remove("auth.builtin")],
        &["auth.builtin: required when auth.provider is \"builtin\""],
    ),
    case(
        "oidc without its section",
        &[Set("auth.provider", "oidc")],
        &["auth.oidc: required when auth.provider is \"oidc\""],
    ),
    case(
        "oidc section incomplete",
        &[
            Set("auth.provider", "oidc"),
            Set("auth.oidc", "{scopes: [openid]}"),
        ],
        &[
            "auth.oidc.authority: required",
            "auth.oidc.clientId: required",
        ],
    ),
    case(
        "oidc authority not a URL",
        &[
            Set("auth.provider", "oidc"),
            Set(
                "auth.oidc",
                "{authority: 'keycloak:8080/realms/x', clientId: irsforge}",
            ),
        ],
        &["auth.oidc.authority: \"keycloak:8080/realms/x\" must be an https:// or http:// URL"],
    ),
    case(
        "oidc empty client secret",
        &[
            Set("auth.provider", "oidc"),
            Set(
                "auth.oidc",
                "{authority: 'https://idp.example/realms/x', clientId: irsforge, clientSecret: ''}",
            ),
        ],
        &["auth.oidc.clientSecret: must not be empty; omit it for a public client"],
    ),
    case(
        "key algorithm unsupported",
        &[Set("auth.builtin.keyAlgorithm", "ES256")],
        &[
            "auth.builtin.keyAlgorithm: unsupported algorithm \"ES256\"; the auth service implements \"RS256\"",
        ],
    ),
    case(
        "token TTL so short refresh would storm",
        &[Set("auth.builtin.tokenTtlSeconds", "10")],
        &[
            "auth.builtin.tokenTtlSeconds: must be between 60 and 86400 seconds (clients refresh at 80 % of it: shorter storms the auth service, longer outlives a leaked token), got 10",
        ],
    ),
    case(
        "token TTL zero",
        &[Set("auth.builtin.tokenTtlSeconds", "0")],
        &[
            "auth.builtin.tokenTtlSeconds: must be between 60 and 86400 seconds (clients refresh at 80 % of it: shorter storms the auth service, longer outlives a leaked token), got 0",
        ],
    ),
    case(
        "token TTL negative",
        &[Set("auth.builtin.tokenTtlSeconds", "-5")],
        &[
            "auth.builtin.tokenTtlSeconds: invalid value: integer `-5`, expected a non-negative whole number",
        ],
    ),
    case(
        "token TTL over a day",
        &[Set("auth.builtin.tokenTtlSeconds", "172800")],
        &[
            "auth.builtin.tokenTtlSeconds: must be between 60 and 86400 seconds (clients refresh at 80 % of it: shorter storms the auth service, longer outlives a leaked token), got 172800",
        ],
    ),
    case(
        "refresh TTL shorter than the token's",
        &[Set("auth.builtin.refreshTtlSeconds", "100")],
        &[
            "auth.builtin.refreshTtlSeconds: must be between 900 and 2592000 seconds (at least tokenTtlSeconds, at most 30 days), got 100",
        ],
    ),
    case(
        "port zero",
        &[Set("auth.builtin.port", "0")],
        &["auth.builtin.port: must be between 1 and 65535; 0 would listen on a random port"],
    ),
    case(
        "port out of range",
        &[Set("auth.builtin.port", "70000")],
        &[
            "auth.builtin.port: invalid value: integer `70000`, expected a whole number from 0 to 65535",
        ],
    ),
    case(
        "port not a number",
        &[Set("auth.builtin.port", "abc")],
        &[
            "auth.builtin.port: invalid type: string \"abc\", expected a whole number from 0 to 65535",
        ],
    ),
    case(
        "issuer not a URL",
        &[Set("auth.builtin.issuer", "irsforge-auth")],
        &["auth.builtin.issuer: \"irsforge-auth\" is not a valid URL: relative URL without a base"],
    ),
    // --- service accounts ---
    case(
        "service account id empty",
        &[Set("auth.serviceAccounts[0].id", "''")],
        &[
            "auth.serviceAccounts[0].id: must not be empty",
            "auth.serviceAccounts[id=mark-publisher]: required when auth.provider is \"builtin\"",
        ],
    ),
    case(
        "service account ids duplicated",
        &[Set("auth.serviceAccounts[1].id", "mark-publisher")],
        &[
            "auth.serviceAccounts[1].id: duplicate service account id \"mark-publisher\" (first declared at auth.serviceAccounts[0])",
            "auth.serviceAccounts[id=scheduler]: required when auth.provider is \"builtin\" and scheduler.enabled is true",
        ],
    ),
    case(
        "service account id not kebab-case",
        &[Set("auth.serviceAccounts[1].id", "Scheduler_Bot")],
        &[
            "auth.serviceAccounts[id=Scheduler_Bot].id: \"Scheduler_Bot\" must be kebab-case (lowercase letters, digits, single dashes): it names environment variables such as SERVICE_TOKEN_MARK_PUBLISHER",
            "auth.serviceAccounts[id=scheduler]: required when auth.provider is \"builtin\" and scheduler.enabled is true",
        ],
    ),
    case(
        "mark-publisher undeclared",
        &[Remove("auth.serviceAccounts[0]")],
        &["auth.serviceAccounts[id=mark-publisher]: required when auth.provider is \"builtin\""],
    ),
    case(
        "scheduler undeclared while enabled",
        &[Remove("auth.serviceAccounts[1]")],
        &[
            "auth.serviceAccounts[id=scheduler]: required when auth.provider is \"builtin\" and scheduler.enabled is true",
        ],
    ),
    case(
        "actAs missing",
        &[Remove("auth.serviceAccounts[1].actAs")],
        &["auth.serviceAccounts[id=scheduler].actAs: required; list at least one party"],
    ),
    case(
        "actAs empty",
        &[Set("auth.serviceAccounts[1].actAs", "[]")],
        &["auth.serviceAccounts[id=scheduler].actAs: must list at least one party"],
    ),
    case(
        "actAs bare hint",
        &[Set("auth.serviceAccounts[1].actAs", "[Scheduler]")],
        &[
            "auth.serviceAccounts[id=scheduler].actAs[0]: `Scheduler` is a bare party hint, not a Canton party id; use the exact id `Scheduler::1220…` as the participant reports it (GET /v1/parties) (required when auth.provider is \"builtin\": tokens carry actAs/readAs verbatim)",
        ],
    ),
    case(
        "readAs bare hint",
        &[Set("auth.serviceAccounts[0].readAs[1]", "PartyB")],
        &[
            "auth.serviceAccounts[id=mark-publisher].readAs[1]: `PartyB` is a bare party hint, not a Canton party id; use the exact id `PartyB::1220…` as the participant reports it (GET /v1/parties) (required when auth.provider is \"builtin\": tokens carry actAs/readAs verbatim)",
        ],
    ),
    case(
        "actAs with a truncated fingerprint",
        &[Set(
            "auth.serviceAccounts[0].actAs",
            "['Operator::1220abcd']",
        )],
        &[
            "auth.serviceAccounts[id=mark-publisher].actAs[0]: `Operator::1220abcd` has an invalid namespace fingerprint; expected `1220` followed by 64 lowercase hex digits (required when auth.provider is \"builtin\": tokens carry actAs/readAs verbatim)",
        ],
    ),
    case(
        "bare hints refused in the production profile too",
        &[
            Set("profile", "production"),
            Set("auth.serviceAccounts[0].actAs", "[Operator]"),
        ],
        &[
            "auth.serviceAccounts[id=mark-publisher].actAs[0]: `Operator` is a bare party hint, not a Canton party id; use the exact id `Operator::1220…` as the participant reports it (GET /v1/parties) (required when auth.provider is \"builtin\": tokens carry actAs/readAs verbatim)",
        ],
    ),
    case(
        "service account entry not a mapping",
        &[Set("auth.serviceAccounts[1]", "scheduler")],
        &[
            "auth.serviceAccounts[1]: invalid type: string \"scheduler\", expected a mapping",
            "auth.serviceAccounts[id=scheduler]: required when auth.provider is \"builtin\" and scheduler.enabled is true",
        ],
    ),
    case(
        "service account unknown key",
        &[Set("auth.serviceAccounts[1].reedAs", "[]")],
        &[
            "auth.serviceAccounts[id=scheduler].reedAs: unknown key `reedAs`; did you mean `readAs`?",
        ],
    ),
    // --- platform, daml, ledger, oracle ---
    case(
        "platform missing",
        &[Remove("platform")],
        &["platform: required (authPublicUrl and frontendUrl)"],
    ),
    case(
        "authPublicUrl not a URL",
        &[Set("platform.authPublicUrl", "localhost:3002")],
        &["platform.authPublicUrl: \"localhost:3002\" must be an http:// or https:// URL"],
    ),
    case(
        "frontendUrl with a non-web scheme",
        &[Set("platform.frontendUrl", "ftp://files.example")],
        &["platform.frontendUrl: \"ftp://files.example\" must be an http:// or https:// URL"],
    ),
    case(
        "ledger id empty",
        &[Set("daml.ledgerId", "''")],
        &["daml.ledgerId: must not be empty"],
    ),
    case(
        "secret of the wrong type, its value kept out of the message",
        &[Set("daml.unsafeJwtSecret", "84736251908")],
        &["daml.unsafeJwtSecret: invalid type: integer, expected a string"],
    ),
    case(
        "oracle timeout zero",
        &[Set("oracle.ledgerTimeoutMs", "0")],
        &["oracle.ledgerTimeoutMs: must be between 1 and 600000 ms, got 0"],
    ),
    case(
        "ledger timeout absurd",
        &[Set("ledger.upstreamTimeoutMs", "1000000000")],
        &["ledger.upstreamTimeoutMs: must be between 1 and 600000 ms, got 1000000000"],
    ),
    case(
        "oracle url not a URL",
        &[Set("oracle.url", "'http://'")],
        &["oracle.url: \"http://\" is not a valid URL: empty host"],
    ),
    // --- orgs ---
    case(
        "two operators",
        &[Set("orgs[1].role", "operator")],
        &[
            "orgs: expected exactly one org with role \"operator\", found 2",
            "orgs: expected at least two orgs with role \"trader\", found 1",
        ],
    ),
    case(
        "no regulator",
        &[Remove("orgs[3]")],
        &["orgs: expected at least one org with role \"regulator\", found 0"],
    ),
    case(
        "org role typo",
        &[Set("orgs[1].role", "trade")],
        &[
            "orgs[id=partya].role: unknown value `trade`; did you mean `trader`?",
            "orgs: expected at least two orgs with role \"trader\", found 1",
        ],
    ),
    case(
        "org ledgerUrl misspelt",
        &[
            Set("orgs[0].ledgerURL", "'http://localhost:7575'"),
            Remove("orgs[0].ledgerUrl"),
        ],
        &[
            "orgs[id=operator].ledgerURL: unknown key `ledgerURL`; did you mean `ledgerUrl`?",
            "orgs[id=operator].ledgerUrl: required",
            "orgs: expected exactly one org with role \"operator\", found 0",
        ],
    ),
    case(
        "org ids duplicated",
        &[Set("orgs[2].id", "partya")],
        &["orgs[2].id: duplicate org id \"partya\" (first declared at orgs[1])"],
    ),
    case(
        "orgs missing",
        &[Remove("orgs")],
        &["orgs: required: one operator, at least one regulator and at least two traders"],
    ),
    case(
        "subdomain routing without subdomains or template",
        &[Set("routing", "subdomain")],
        &[
            "orgs[id=operator].subdomain: required when routing is \"subdomain\"",
            "orgs[id=partya].subdomain: required when routing is \"subdomain\"",
            "orgs[id=partyb].subdomain: required when routing is \"subdomain\"",
            "orgs[id=regulator].subdomain: required when routing is \"subdomain\"",
            "orgs: expected exactly one org with role \"operator\", found 0",
            "orgs: expected at least one org with role \"regulator\", found 0",
            "orgs: expected at least two orgs with role \"trader\", found 0",
            "platform.frontendUrlTemplate: required when routing is \"subdomain\"",
        ],
    ),
    case(
        "subdomain template without placeholder",
        &[
            Set("routing", "subdomain"),
            Set("platform.frontendUrlTemplate", "'https://app.example'"),
            Set("orgs[0].subdomain", "ops"),
            Set("orgs[1].subdomain", "alpha"),
            Set("orgs[2].subdomain", "beta"),
            Set("orgs[3].subdomain", "Reg_1"),
        ],
        &[
            "orgs[id=regulator].subdomain: \"Reg_1\" is not a DNS label (1-63 lowercase letters, digits and inner dashes)",
            "orgs: expected at least one org with role \"regulator\", found 0",
            "platform.frontendUrlTemplate: \"https://app.example\" must contain \"{subdomain}\" when routing is \"subdomain\"",
        ],
    ),
    // --- profile rules ---
    case(
        "production with a populated demo section",
        &[
            Set("profile", "production"),
            Set("demo", "{seedSwaps: true}"),
        ],
        &[PRODUCTION_DEMO_SECTION],
    ),
    demo_case(
        "production with the demo provider",
        &[Set("profile", "production"), Set("demo", "{}")],
        &[
            "auth.provider: \"demo\" (unsafe HS256 tokens signed with a shared secret) is not allowed when profile is \"production\"; use \"builtin\" or \"oidc\"",
        ],
    ),
    // --- scheduler and parties ---
    case(
        "five-field cron",
        &[Set("scheduler.cron.trigger", "'*/5 * * * *'")],
        &[
            "scheduler.cron.trigger: \"*/5 * * * *\": expected 6 fields (sec min hour day-of-month month day-of-week, e.g. \"0 */5 * * * *\"), found 5",
        ],
    ),
    case(
        "cron field out of range",
        &[Set("scheduler.cron.mature", "'0 61 * * * *'")],
        &[
            "scheduler.cron.mature: \"0 61 * * * *\": invalid cron expression: Minutes must be less than 59. ('61' specified.)",
        ],
    ),
    case(
        "cron missing while enabled",
        &[Remove("scheduler.cron.settleNet")],
        &["scheduler.cron.settleNet: required when scheduler.enabled is true"],
    ),
    case(
        "cron key misspelt",
        &[
            Set("scheduler.cron.settlenet", "'0 0 18 * * *'"),
            Remove("scheduler.cron.settleNet"),
        ],
        &[
            "scheduler.cron.settlenet: unknown key `settlenet`; did you mean `settleNet`?",
            "scheduler.cron.settleNet: required when scheduler.enabled is true",
        ],
    ),
    case(
        "scheduler.enabled not a boolean",
        &[Set("scheduler.enabled", "'yes'")],
        &["scheduler.enabled: invalid type: string \"yes\", expected true or false"],
    ),
    case(
        "scheduler party hint qualified",
        &[Set("parties.scheduler.partyHint", "'Scheduler::1220ab'")],
        &[
            "parties.scheduler.partyHint: \"Scheduler::1220ab\" is a hint, the part before `::`; write only that part",
        ],
    ),
];

#[test]
fn every_invalid_document_reports_exactly_its_problems() {
    assert!(
        CASES.len() >= 40,
        "the table must cover at least 40 configurations"
    );
    let mut failures = Vec::new();
    for case in CASES {
        let text = patched(case.base, case.patches);
        let actual = problems(&text, &MapEnv::default());
        if actual != case.expected {
            failures.push(format!(
                "case {:?}\n  expected: {:#?}\n  actual:   {:#?}",
                case.name, case.expected, actual
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn all_problems_are_reported_in_one_pass() {
    let text = patched(
        BUILTIN,
        &[
            Set("topology", "mesh"),
            Set("auth.builtin.tokenTtlSeconds", "5"),
            Set("auth.serviceAccounts[0].actAs", "[Operator]"),
            Set("platform.frontendUrl", "nope"),
            Set("orgs[3].role", "auditor"),
            Set("scheduler.cron.trigger", "'@hourly'"),
        ],
    );
    let lines = problems(&text, &MapEnv::default());
    let paths: Vec<&str> = lines
        .iter()
        .map(|line| line.split(": ").next().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "topology",
            "platform.frontendUrl",
            "auth.builtin.tokenTtlSeconds",
            "auth.serviceAccounts[id=mark-publisher].actAs[0]",
            "orgs[id=regulator].role",
            "orgs",
            "scheduler.cron.trigger",
        ]
    );
}

#[test]
fn the_error_display_lists_every_problem_under_the_file_name() {
    let text = patched(BUILTIN, &[Remove("profile"), Set("auth.builtin.port", "0")]);
    let error = crate::support::load(&text).unwrap_err();
    assert_eq!(
        error.to_string(),
        "irsforge.yaml: 2 problems:\n  profile: required; one of \"demo\" or \"production\"\n  \
         auth.builtin.port: must be between 1 and 65535; 0 would listen on a random port"
    );
}

#[test]
fn fingerprint_constant_matches_the_examples() {
    assert!(BUILTIN.contains(FP));
}
