//! Unknown keys: accepted and reported (the platform drops them silently), except a near miss of
//! a known key that is absent, which is refused with "did you mean".

use crate::schema::{loaded, rules};
use crate::support::{BUILTIN, MINIMAL, PLATFORM, Set};

#[test]
fn unknown_keys_anywhere_are_accepted_and_their_paths_reported() {
    let config = loaded(
        PLATFORM,
        &[
            Set("telemetry", "{endpoint: 'http://otel:4317'}"),
            Set("platform.theme", "dark"),
            Set("orgs.1.region", "eu-west-1"),
            Set(
                "auth.serviceAccounts.0.description",
                "fires lifecycle choices",
            ),
            Set("observables.SWAPTION", "{enabled: true}"),
            Set("scheduleDefaults.FX", "{frequencyMonths: 3}"),
            Set("demo.seedSwaps", "true"),
        ],
    );
    let mut ignored = config.ignored_keys.clone();
    ignored.sort();
    assert_eq!(
        ignored,
        [
            "auth.serviceAccounts.0.description",
            "demo.seedSwaps",
            "observables.SWAPTION",
            "orgs.1.region",
            "platform.theme",
            "scheduleDefaults.FX",
            "telemetry",
        ]
    );
}

#[test]
fn free_key_maps_report_nothing_as_unknown() {
    let config = loaded(
        PLATFORM,
        &[Set(
            "rateFamilies.SONIA",
            "{curveIndexId: S, overnightIndexId: S/ON, tenors: [{id: S/ON, days: 1}]}",
        )],
    );
    assert!(config.ignored_keys.is_empty(), "{:?}", config.ignored_keys);
}

#[test]
fn a_yaml_merge_key_is_reported_as_ignored() {
    let text = MINIMAL.replace("csa:\n", "base: &base {mta: 0}\ncsa:\n  <<: *base\n");
    let config = crate::support::load(&text).unwrap();
    assert_eq!(config.ignored_keys, ["base", "csa.<<"]);
}

rules! {
    a_near_miss_of_an_absent_key_is_refused: MINIMAL, [Set("auth.serviceAcounts", "[{id: x, actAs: [y]}]")] => [
        "auth.serviceAcounts: unknown key `serviceAcounts`; did you mean `serviceAccounts`? (`serviceAccounts` is absent, so this looks like a typo)",
    ];
    a_near_miss_beside_the_key_itself_is_only_ignored: BUILTIN, [Set("auth.serviceAcount", "x")] => [];
    a_misspelt_section_is_refused: MINIMAL, [Set("schedular", "{enabled: true}")] => [
        "schedular: unknown key `schedular`; did you mean `scheduler`? (`scheduler` is absent, so this looks like a typo)",
    ];
    a_case_slip_is_a_near_miss: MINIMAL, [Set("platform.ledgerUI", "{enabled: false}")] => [
        "platform.ledgerUI: unknown key `ledgerUI`; did you mean `ledgerUi`? (`ledgerUi` is absent, so this looks like a typo)",
    ];
    a_near_miss_of_an_optional_field_is_refused_too: MINIMAL, [Set("orgs.0.streamURL", "wss://x")] => [
        "orgs.0.streamURL: unknown key `streamURL`; did you mean `streamUrl`? (`streamUrl` is absent, so this looks like a typo)",
    ];
    fpml_spelt_the_other_way_in_schedule_defaults: MINIMAL, [Set("scheduleDefaults.FpML", "{frequencyMonths: 6}")] => [
        "scheduleDefaults.FpML: unknown key `FpML`; did you mean `FPML`? (`FPML` is absent, so this looks like a typo)",
    ];
    a_required_key_misspelt_is_reported_twice_over: MINIMAL, [Set("oracle", "{uri: 'http://x'}")] => [
        "oracle.uri: unknown key `uri`; did you mean `url`? (`url` is absent, so this looks like a typo)",
        "oracle.url: required",
    ];
}

#[test]
fn a_misplaced_key_is_not_mistaken_for_a_typo_of_another() {
    // `ledgerUi` belongs under `platform`; at the top level it is two edits from `ledger`,
    // which is absent here, and the platform accepts the file.
    let config = crate::schema::loaded(MINIMAL, &[Set("ledgerUi", "{enabled: false}")]);
    assert_eq!(config.ignored_keys, ["ledgerUi"]);
}

#[test]
fn a_key_as_near_a_present_key_as_an_absent_one_is_not_a_typo() {
    // `cs` is one edit from the absent `cds` and from the present `csa`.
    let config = crate::schema::loaded(MINIMAL, &[Set("cs", "x")]);
    assert_eq!(config.ignored_keys, ["cs"]);
}
