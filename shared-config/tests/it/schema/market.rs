//! `currencies`, `cds`, `observables`, `scheduleDefaults`, `curves`, `floatingRateIndices`,
//! `rateFamilies`, `csa`, `masterAgreements` and `demo`.

use shared_config::{DayCount, Interpolation, Product};

use super::{loaded, rules};
use crate::support::{MINIMAL, PLATFORM, Remove, Set};

rules! {
    a_currency_needs_code_label_and_calendar: MINIMAL, [Set("currencies.0", "{isDefault: true}")] => [
        "currencies.0.code: required",
        "currencies.0.label: required",
        "currencies.0.calendarId: required",
    ];
    currencies_need_at_least_one_entry: MINIMAL, [Set("currencies", "[]")] => [
        "currencies: must list at least 1 item, got 0",
        "currencies: exactly one currency must have isDefault: true (got 0)",
    ];

    cds_when_present_needs_reference_names: MINIMAL, [Set("cds", "{}")] => ["cds.referenceNames: required"];
    cds_reference_names_are_non_empty: MINIMAL, [Set("cds.referenceNames", "[]")] => [
        "cds.referenceNames: must list at least 1 item, got 0",
    ];
    cds_reference_names_must_not_be_empty_strings: MINIMAL, [Set("cds.referenceNames", "[TSLA, '']")] => [
        "cds.referenceNames.1: must not be empty",
    ];

    an_observable_needs_enabled: MINIMAL, [Set("observables.FpML", "{}")] => ["observables.FpML.enabled: required"];
    an_unknown_product_is_ignored: MINIMAL, [Set("observables.SWAPTION", "{enabled: maybe}")] => [];

    schedule_defaults_need_a_positive_frequency: MINIMAL, [Set("scheduleDefaults.OIS.frequencyMonths", "0")] => [
        "scheduleDefaults.OIS.frequencyMonths: must be greater than 0, got 0",
    ];
    schedule_day_counts_are_act360_or_act365f: MINIMAL, [
        Set("scheduleDefaults.IRS", "{frequencyMonths: 3, dayCountConvention: Act365}"),
    ] => [
        "scheduleDefaults.IRS.dayCountConvention: unknown value `Act365`; did you mean `Act360`?",
    ];
    // There is no FX key in scheduleDefaults: an entry is ignored unvalidated.
    an_fx_schedule_default_is_ignored: MINIMAL, [Set("scheduleDefaults.FX", "{frequencyMonths: -1}")] => [];

    curves_when_present_need_currencies: MINIMAL, [Set("curves", "{}")] => ["curves.currencies: required"];
    curve_currency_keys_are_three_characters: MINIMAL, [
        Set("curves.currencies", "{DOLLAR: {dayCount: Act360, discount: {provider: nyfed}, projection: {indexId: X, provider: nyfed}}}"),
    ] => [
        "curves.currencies.DOLLAR: key `DOLLAR` must be exactly 3 characters",
    ];
    a_curve_needs_day_count_discount_and_projection: MINIMAL, [Set("curves.currencies.USD", "{}")] => [
        "curves.currencies.USD.dayCount: required",
        "curves.currencies.USD.discount: required",
        "curves.currencies.USD.projection: required",
    ];
    provider_ids_are_lowercase_alphanumeric_with_hyphens: PLATFORM, [
        Set("curves.currencies.USD.discount.provider", "redstone"),
        Set("curves.currencies.EUR.discount.provider", "nyfed-2"),
    ] => [];
    badly_formed_provider_ids_are_refused: PLATFORM, [
        Set("curves.currencies.USD.discount.provider", "NYFED"),
        Set("curves.currencies.USD.projection.provider", "demo_stub"),
        Set("curves.currencies.EUR.discount.provider", "1nyfed"),
        Set("curves.currencies.EUR.projection.provider", "-nyfed"),
    ] => [
        "curves.currencies.USD.discount.provider: \"NYFED\": provider id must be lowercase alphanumeric with optional hyphens (such as `nyfed` or `demo-stub`)",
        "curves.currencies.USD.projection.provider: \"demo_stub\": provider id must be lowercase alphanumeric with optional hyphens (such as `nyfed` or `demo-stub`)",
        "curves.currencies.EUR.discount.provider: \"1nyfed\": provider id must be lowercase alphanumeric with optional hyphens (such as `nyfed` or `demo-stub`)",
        "curves.currencies.EUR.projection.provider: \"-nyfed\": provider id must be lowercase alphanumeric with optional hyphens (such as `nyfed` or `demo-stub`)",
    ];
    interpolation_is_linear_zero_or_log_linear_df: PLATFORM, [Set("curves.interpolation", "LogLinearDF")] => [];
    an_unknown_interpolation_is_refused: PLATFORM, [Set("curves.interpolation", "Cubic")] => [
        "curves.interpolation: unknown value `Cubic`; expected `LinearZero` or `LogLinearDF`",
    ];
    a_projection_index_need_not_be_a_known_index: PLATFORM, [Set("curves.currencies.USD.projection.indexId", "USD-LIBOR")] => [];

    an_index_needs_every_key_and_floor_may_be_null: PLATFORM, [Set("floatingRateIndices.USD-SOFR", "{floor: ~}")] => [
        "floatingRateIndices.USD-SOFR.currency: required",
        "floatingRateIndices.USD-SOFR.family: required",
        "floatingRateIndices.USD-SOFR.compounding: required",
        "floatingRateIndices.USD-SOFR.lookback: required",
    ];
    the_floor_key_must_be_present: PLATFORM, [Remove("floatingRateIndices.EUR-ESTR.floor")] => [
        "floatingRateIndices.EUR-ESTR.floor: required",
    ];
    index_fields_have_their_types: PLATFORM, [
        Set("floatingRateIndices.USD-SOFR.currency", "US"),
        Set("floatingRateIndices.USD-SOFR.family", "LIBOR"),
        Set("floatingRateIndices.USD-SOFR.compounding", "Compounded"),
        Set("floatingRateIndices.USD-SOFR.lookback", "-1"),
        Set("floatingRateIndices.USD-SOFR.floor", "'0'"),
    ] => [
        "floatingRateIndices.USD-SOFR.currency: \"US\" must be exactly 3 characters",
        "floatingRateIndices.USD-SOFR.family: unknown value `LIBOR`; expected `SOFR`, `ESTR`, `SONIA`, `TONA`, `SARON`, `TIIE`, `CORRA`, `BBSW` or `HONIA`",
        "floatingRateIndices.USD-SOFR.compounding: unknown value `Compounded`; expected `Simple`, `CompoundedInArrears` or `OvernightAverage`",
        "floatingRateIndices.USD-SOFR.lookback: must be 0 or more, got -1",
        "floatingRateIndices.USD-SOFR.floor: expected a number, got a string",
    ];
    a_negative_floor_is_a_number: PLATFORM, [Set("floatingRateIndices.USD-SOFR.floor", "-0.01")] => [];

    a_rate_family_needs_ids_and_tenors: MINIMAL, [Set("rateFamilies.SOFR", "{tenors: []}")] => [
        "rateFamilies.SOFR.curveIndexId: required",
        "rateFamilies.SOFR.overnightIndexId: required",
        "rateFamilies.SOFR.tenors: must list at least 1 item, got 0",
    ];
    a_tenor_needs_an_id_and_positive_days: PLATFORM, [Set("rateFamilies.SOFR.tenors.1", "{id: '', days: 0}")] => [
        "rateFamilies.SOFR.tenors.1.id: must not be empty",
        "rateFamilies.SOFR.tenors.1.days: must be greater than 0, got 0",
    ];
    a_tenor_id_repeats_within_a_family: PLATFORM, [Set("rateFamilies.SOFR.tenors.3.id", "SOFR/1M")] => [
        "rateFamilies.SOFR.tenors.3.id: duplicate tenor id: SOFR/1M",
    ];
    tenor_ids_may_repeat_across_families: PLATFORM, [
        Set("rateFamilies.ESTR", "{curveIndexId: E, overnightIndexId: E/ON, tenors: [{id: SOFR/1M, days: 30}]}"),
    ] => [];

    csa_needs_every_term: MINIMAL, [Set("csa", "{threshold: {}}")] => [
        "csa.threshold.DirA: required",
        "csa.threshold.DirB: required",
        "csa.mta: required",
        "csa.rounding: required",
        "csa.valuationCcy: required",
        "csa.eligibleCollateral: required",
    ];
    csa_amounts_are_zero_or_more_and_may_be_fractions: MINIMAL, [
        Set("csa.threshold.DirA", "0.5"), Set("csa.mta", "-1"), Set("csa.rounding", "-0.5"),
    ] => [
        "csa.mta: must be 0 or more, got -1",
        "csa.rounding: must be 0 or more, got -0.5",
    ];
    a_haircut_lies_above_zero_and_at_most_one: MINIMAL, [
        Set("csa.eligibleCollateral", "[{currency: USD, haircut: 1}, {currency: EUR, haircut: 1.01}, {currency: GBP, haircut: 0}]"),
    ] => [
        "csa.eligibleCollateral.1.haircut: must be at most 1, got 1.01",
        "csa.eligibleCollateral.2.haircut: must be greater than 0, got 0",
    ];
    eligible_collateral_is_not_empty: MINIMAL, [Set("csa.eligibleCollateral", "[]")] => [
        "csa.eligibleCollateral: must list at least 1 item, got 0",
    ];
    the_valuation_currency_need_not_be_listed: MINIMAL, [Set("csa.valuationCcy", "JPY")] => [];

    a_master_agreement_has_exactly_two_parties: MINIMAL, [
        Set("masterAgreements", "[{parties: [A, B, C], reference: R, governingLaw: English}]"),
    ] => [
        "masterAgreements.0.parties: must list exactly 2 parties, got 3",
    ];
    one_party_is_a_structural_problem: MINIMAL, [
        Set("masterAgreements", "[{parties: [A], reference: R, governingLaw: English}]"),
        Set("orgs.3.role", "trader"),
    ] => [
        "masterAgreements.0.parties: must list exactly 2 parties, got 1",
    ];
    master_agreement_fields_are_required: MINIMAL, [Set("masterAgreements", "[{parties: [A, '']}]")] => [
        "masterAgreements.0.parties.1: must not be empty",
        "masterAgreements.0.reference: required",
        "masterAgreements.0.governingLaw: required",
    ];
    governing_law_is_one_of_three: MINIMAL, [
        Set("masterAgreements", "[{parties: [A, B], reference: R, governingLaw: Delaware}]"),
    ] => [
        "masterAgreements.0.governingLaw: unknown value `Delaware`; expected `NewYork`, `English` or `Japanese`",
    ];

    a_cds_stub_takes_probabilities: PLATFORM, [Set("demo.cdsStub", "{defaultProb: 1.5, recovery: -0.1}")] => [
        "demo.cdsStub.defaultProb: must be at most 1, got 1.5",
        "demo.cdsStub.recovery: must be 0 or more, got -0.1",
    ];
    a_cds_stub_needs_both_numbers: PLATFORM, [Set("demo.cdsStub", "{recovery: 0.4}")] => [
        "demo.cdsStub.defaultProb: required",
    ];
    stub_curves_need_two_pillars_with_positive_tenors: PLATFORM, [
        Set("demo.stubCurves.EUR.discount.pillars", "[{tenorDays: 0, zeroRate: -0.01}]"),
    ] => [
        "demo.stubCurves.EUR.discount.pillars.0.tenorDays: must be greater than 0, got 0",
        "demo.stubCurves.EUR.discount.pillars: must list at least 2 items, got 1",
    ];
    negative_zero_rates_are_allowed: PLATFORM, [Set("demo.stubCurves.EUR.discount.pillars.0.zeroRate", "-0.005")] => [];
    the_old_flat_projection_shape_is_refused: PLATFORM, [
        Remove("demo.stubCurves.EUR.projections"),
        Set("demo.stubCurves.EUR.projection", "{pillars: [{tenorDays: 1, zeroRate: 0.03}, {tenorDays: 2, zeroRate: 0.03}]}"),
    ] => [
        "demo.stubCurves.EUR.projection: unknown key `projection`; did you mean `projections`? (`projections` is absent, so this looks like a typo)",
        "demo.stubCurves.EUR.projections: required",
    ];
    fx_spot_keys_are_six_characters_and_values_positive: PLATFORM, [Set("demo.fxSpots", "{EURUSD: 0, EUR: 1.1}")] => [
        "demo.fxSpots.EURUSD: must be greater than 0, got 0",
        "demo.fxSpots.EUR: key `EUR` must be exactly 6 characters",
    ];
    initial_funding_is_required_and_may_be_empty: PLATFORM, [Set("demo.csa.initialFunding", "{}")] => [];
    initial_funding_missing_is_refused: PLATFORM, [Set("demo.csa", "{}")] => ["demo.csa.initialFunding: required"];
    the_curve_ticker_range_is_positive: PLATFORM, [Set("demo.curveTicker.bpsRange", "0")] => [
        "demo.curveTicker.bpsRange: must be greater than 0, got 0",
    ];
    demo_blocks_are_fine_under_the_demo_profile: MINIMAL, [Set("demo", "{fxSpots: {}, curveTicker: {}}")] => [];
}

#[test]
fn absent_observables_and_schedule_defaults_take_their_defaults() {
    let config = loaded(
        MINIMAL,
        &[
            Set("observables.BASIS", "{enabled: true}"),
            Set("scheduleDefaults.CDS", "{frequencyMonths: 1}"),
        ],
    );
    assert!(config.observables[&Product::Basis]);
    assert!(!config.observables[&Product::Asset]);
    assert_eq!(config.schedule_defaults[&Product::Cds].frequency_months, 1);
    assert_eq!(
        config.schedule_defaults[&Product::Cds].day_count_convention,
        DayCount::Act360
    );
    assert_eq!(config.schedule_defaults[&Product::Fpml].frequency_months, 3);
    let config = loaded(PLATFORM, &[Remove("curves.interpolation")]);
    assert_eq!(
        config.curves.unwrap().interpolation,
        Interpolation::LinearZero
    );
    let ticker = loaded(MINIMAL, &[Set("demo.curveTicker", "{}")])
        .demo
        .unwrap()
        .curve_ticker
        .unwrap();
    assert!(!ticker.enabled);
    assert_eq!(ticker.cron.expression(), "*/30 * * * * *");
    assert_eq!(ticker.bps_range, 0.25);
}

rules! {
    lengths_count_utf16_units_as_the_platform_does: MINIMAL, [Set("currencies.0.code", "'💵U'"), Set("csa.valuationCcy", "'💵U'")] => [];
    an_emoji_counts_twice: MINIMAL, [Set("currencies.0.code", "'💵US'")] => [
        "currencies.0.code: \"💵US\" must be exactly 3 characters",
    ];
    number_keys_read_as_javascript_writes_them: PLATFORM, [Set("demo.csa.initialFunding", "{1e2: 5}")] => [];
    a_float_key_of_one_digit_is_one_character: PLATFORM, [Set("demo.csa.initialFunding", "{1.0: 5}")] => [
        "demo.csa.initialFunding.1: key `1` must be exactly 3 characters",
    ];
}

#[test]
fn a_later_key_with_the_same_text_replaces_an_earlier_one() {
    let text = PLATFORM.replace(
        "  fxSpots:\n    EURUSD: 1.08\n",
        "  fxSpots:\n    123456: -1\n    \"123456\": 2\n",
    );
    let config = crate::support::load(&text).unwrap();
    assert_eq!(config.demo.unwrap().fx_spots.unwrap()["123456"], 2.0);
}
