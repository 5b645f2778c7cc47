//! The rules that apply everywhere (absent vs null, scalar types as YAML 1.2 reads them,
//! defaults of defaulted objects) and how the document is parsed.

use shared_config::{ConfigError, MapEnv, load_str};

use super::{check, loaded, rules};
use crate::support::{MINIMAL, PLATFORM, Remove, Set, load, problems};

rules! {
    a_null_section_is_refused_where_its_absence_takes_the_default: MINIMAL, [Set("daml", "~")] => [
        "daml: expected a mapping, got null",
    ];
    a_key_written_without_a_value_is_null_and_refused: MINIMAL, [Set("routing", "null")] => [
        "routing: expected one of `path` or `subdomain`, got null",
    ];
    a_null_list_is_refused: MINIMAL, [Set("orgs.0.subdomain", "~")] => [
        "orgs.0.subdomain: expected a string, got null",
    ];
    a_present_block_must_have_its_own_required_keys_parties: MINIMAL, [Set("parties", "{scheduler: {}}")] => [
        "parties.scheduler.partyHint: required",
    ];
    a_present_block_must_have_its_own_required_keys_observables: MINIMAL, [Set("observables", "{IRS: {}}")] => [
        "observables.IRS.enabled: required",
    ];
    a_present_block_must_have_its_own_required_keys_schedule_defaults: MINIMAL, [Set("scheduleDefaults", "{IRS: {}}")] => [
        "scheduleDefaults.IRS.frequencyMonths: required",
    ];
    non_empty_means_one_character_and_a_space_is_one: MINIMAL, [Set("orgs.0.displayName", "' '")] => [];
    an_empty_required_string_is_refused: MINIMAL, [Set("orgs.0.displayName", "''")] => [
        "orgs.0.displayName: must not be empty",
    ];
    a_url_of_any_scheme_is_a_url: MINIMAL, [
        Set("oracle.url", "ftp://x"),
        Set("platform.frontendUrl", "ws://x"),
        Set("platform.authPublicUrl", "localhost:3000"),
    ] => [];
    text_that_is_not_an_absolute_url_is_refused: MINIMAL, [
        Set("oracle.url", "not-a-url"),
        Set("platform.frontendUrl", "not a url"),
        Set("platform.authPublicUrl", "''"),
    ] => [
        "oracle.url: \"not-a-url\" is not a valid URL (relative URL without a base)",
        "platform.authPublicUrl: \"\" is not a valid URL (relative URL without a base)",
        "platform.frontendUrl: \"not a url\" is not a valid URL (relative URL without a base)",
    ];
    three_characters_of_any_case_make_a_code: MINIMAL, [Set("currencies.0.code", "usd"), Set("csa.valuationCcy", "eur")] => [];
    a_code_of_another_length_is_refused: MINIMAL, [Set("currencies.0.code", "US")] => [
        "currencies.0.code: \"US\" must be exactly 3 characters",
    ];
    integral_floats_are_integers: MINIMAL, [
        Set("auth.builtin", "{issuer: 'http://a', tokenTtlSeconds: 3.0, refreshTtlSeconds: 1e3}"),
    ] => [];
    a_fraction_is_not_an_integer: MINIMAL, [Set("oracle.ledgerTimeoutMs", "1.5")] => [
        "oracle.ledgerTimeoutMs: must be a whole number, got 1.5",
    ];
    a_quoted_number_is_a_string: MINIMAL, [Set("csa.mta", "'5000'")] => [
        "csa.mta: expected a number, got a string",
    ];
    yaml_1_2_booleans_in_three_spellings: MINIMAL, [
        Set("scheduler.enabled", "True"),
        Set("scheduler.manualOverridesEnabled", "FALSE"),
    ] => [];
    yes_and_on_are_strings_not_booleans: MINIMAL, [
        Set("scheduler.enabled", "'yes'"),
        Set("scheduler.manualOverridesEnabled", "'on'"),
    ] => [
        "scheduler.enabled: expected true or false, got a string",
        "scheduler.manualOverridesEnabled: expected true or false, got a string",
    ];
    enumerations_match_exactly: MINIMAL, [Set("profile", "Demo"), Set("topology", "SANDBOX")] => [
        "profile: unknown value `Demo`; did you mean `demo`?",
        "topology: unknown value `SANDBOX`; did you mean `sandbox`?",
    ];
    an_unknown_enumeration_value_lists_the_choices: MINIMAL, [Set("auth.provider", "keycloak")] => [
        "auth.provider: unknown value `keycloak`; expected `demo`, `builtin` or `oidc`",
    ];
}

#[test]
fn scalars_read_as_yaml_1_2_core() {
    // `0x10` and `1e3` are numbers; `1_000` is a string.
    let text = MINIMAL.replace(
        "  url: http://localhost:3001",
        "  url: http://localhost:3001\n  ledgerTimeoutMs: 0x10\n  fetchTimeoutMs: 1e3",
    );
    let config = load(&text).unwrap();
    assert_eq!(
        (
            config.oracle.ledger_timeout_ms,
            config.oracle.fetch_timeout_ms
        ),
        (16, 1000)
    );
    let text = MINIMAL.replace(
        "  url: http://localhost:3001",
        "  url: http://localhost:3001\n  ledgerTimeoutMs: 1_000",
    );
    assert_eq!(
        problems(&text),
        ["oracle.ledgerTimeoutMs: expected a number, got a string"]
    );
}

#[test]
fn a_missing_file_is_named() {
    let error = shared_config::load(
        std::path::Path::new("/nonexistent/irsforge.yaml"),
        &MapEnv::default(),
    )
    .unwrap_err();
    let ConfigError::Read { source, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
    assert_eq!(
        error.to_string(),
        "cannot read config file /nonexistent/irsforge.yaml"
    );
}

#[test]
fn anchors_and_aliases_resolve() {
    let text = MINIMAL
        .replace(
            "ledgerUrl: http://ledger:7575}\n  - {id: b",
            "ledgerUrl: &l http://anchored:1}\n  - {id: b",
        )
        .replace(
            "role: operator, ledgerUrl: http://ledger:7575",
            "role: operator, ledgerUrl: *l",
        );
    assert_eq!(
        load(&text).unwrap().operator_ledger_url().as_str(),
        "http://anchored:1/"
    );
}

#[test]
fn merge_keys_are_not_applied_so_merged_fields_are_missing() {
    // `<<` is an ordinary (unknown) key for the platform's parser: what it would merge is absent.
    let text = MINIMAL.replace(
        "csa:\n  threshold: {DirA: 0, DirB: 0}\n  mta: 0\n  rounding: 0\n",
        "terms: &terms {mta: 0, rounding: 0}\ncsa:\n  <<: *terms\n  threshold: {DirA: 0, DirB: 0}\n",
    );
    assert_eq!(
        problems(&text),
        ["csa.mta: required", "csa.rounding: required"]
    );
}

#[test]
fn syntax_problems_are_refused_with_their_position() {
    for (text, position, message) in [
        (
            "profile: demo\nprofile: production\n",
            Some((1, 1)),
            "duplicate entry with key \"profile\"",
        ),
        ("a: 1\n---\nb: 2\n", None, "more than one document"),
        (
            "auth:\n\tprovider: demo\n",
            Some((2, 1)),
            "found character that cannot start any token",
        ),
        (
            "profile: demo\nauth:\n  provider: [builtin\nplatform: {}\n",
            Some((4, 9)),
            "did not find expected ',' or ']'",
        ),
    ] {
        match load(text) {
            Err(ConfigError::Syntax {
                location,
                message: got,
                ..
            }) => {
                assert_eq!(location, position, "{text:?}");
                assert!(got.contains(message), "{text:?}: {got}");
            }
            other => panic!("{text:?}: expected a syntax error, got {other:?}"),
        }
    }
    let error = load("a: [b\n").unwrap_err().to_string();
    assert!(error.starts_with("irsforge.yaml:2:1: "), "{error}");
}

#[test]
fn an_empty_file_and_a_root_that_is_not_a_mapping_are_refused() {
    for (text, line) in [
        (
            "",
            "<document>: the file is empty; expected a mapping of sections such as `auth:` and `platform:`",
        ),
        (
            "# only a comment\n",
            "<document>: the file is empty; expected a mapping of sections such as `auth:` and `platform:`",
        ),
        ("- a\n- b\n", "<document>: expected a mapping, got a list"),
        (
            "just text\n",
            "<document>: expected a mapping, got a string",
        ),
    ] {
        assert_eq!(problems(text), [line], "{text:?}");
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = crate::support::patched(
        MINIMAL,
        &[
            Remove("topology"),
            Set("oracle.url", "nope"),
            Set("currencies.0.code", "DOLLAR"),
            Set("orgs.3.role", "auditor"),
            Set("csa.eligibleCollateral.0.haircut", "0"),
        ],
    );
    assert_eq!(
        problems(&text),
        [
            "topology: required",
            "oracle.url: \"nope\" is not a valid URL (relative URL without a base)",
            "currencies.0.code: \"DOLLAR\" must be exactly 3 characters",
            "csa.eligibleCollateral.0.haircut: must be greater than 0, got 0",
            "orgs.3.role: unknown value `auditor`; expected `trader`, `operator` or `regulator`",
        ]
    );
}

#[test]
fn the_error_headline_names_the_file_and_counts_the_problems() {
    let text = crate::support::patched(MINIMAL, &[Remove("topology"), Remove("csa")]);
    let error = load_str(&text, "conf/irsforge.yaml", &MapEnv::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "conf/irsforge.yaml: 2 problems:\n  topology: required\n  csa: required"
    );
}

rules! {
    a_structural_problem_keeps_the_cross_field_rules_quiet: MINIMAL, [Set("orgs.3.role", "trader"), Remove("orgs.2.id")] => [
        "orgs.2.id: required",
    ];
    a_format_problem_does_not: MINIMAL, [Set("orgs.3.role", "trader"), Set("orgs.2.id", "''")] => [
        "orgs.2.id: must not be empty",
        "orgs: at least one org must have role: regulator (got 0)",
    ];
}

#[test]
fn the_platforms_own_file_keeps_loading_after_a_round_trip_through_a_yaml_writer() {
    // The patch machinery itself must not change a document's meaning.
    let config = loaded(PLATFORM, &[]);
    assert_eq!(config.orgs.len(), 4);
    check(PLATFORM, &[], &[], &[]);
}

#[test]
fn bytes_that_are_not_utf8_are_read_as_the_platform_reads_them() {
    let dir = std::env::temp_dir().join(format!("irsforge-latin1-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("irsforge.yaml");
    let mut bytes = b"# Op\xe9rateur (saved as Latin-1)\n".to_vec();
    bytes.extend_from_slice(MINIMAL.as_bytes());
    std::fs::write(&path, bytes).unwrap();
    let loaded = shared_config::load(&path, &MapEnv::default());
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(loaded.is_ok(), "{loaded:?}");
}
