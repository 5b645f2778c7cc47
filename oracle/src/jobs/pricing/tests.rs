use chrono::{Duration, TimeZone};

use super::*;

/// WORLD.md's worked example is stated at this seed time (2026-01-05T09:00:00Z).
fn seed_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

fn seconds(count: i64) -> Duration {
    Duration::seconds(count)
}

fn days(count: i64) -> Duration {
    Duration::days(count)
}

fn decimal(text: &str) -> Decimal {
    Decimal::parse(text).unwrap()
}

fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
    (actual - expected).abs() <= tolerance
}

/// WORLD.md "The seed": pillars at T + days with DF = exp(−z·days/365), rounded to 10
/// decimals as the ledger stores them.
fn seed_curve() -> DiscountCurve {
    let zero_rates = [
        (30, 0.0390),
        (91, 0.0395),
        (182, 0.0400),
        (365, 0.0390),
        (730, 0.0370),
        (1095, 0.0360),
        (1826, 0.0355),
        (2557, 0.0360),
        (3652, 0.0370),
    ];
    let pillars = zero_rates.map(|(tenor, rate): (i64, f64)| {
        let discount_factor = (-rate * tenor as f64 / 365.0).exp();
        let stored = Decimal::from_f64(discount_factor).unwrap().to_f64();
        (seed_time() + days(tenor), stored)
    });
    DiscountCurve::new(seed_time(), pillars).unwrap()
}

/// WORLD.md's seeded swaps: id, PartyA's side, N, K, length, period.
fn seed_swaps() -> Vec<(&'static str, SwapTerms, PartyASide)> {
    let swap = |notional, fixed_rate, length: Duration, period: Duration| SwapTerms {
        notional,
        fixed_rate,
        effective: seed_time(),
        maturity: seed_time() + length,
        period_seconds: period.num_seconds(),
    };
    vec![
        (
            "IRS-SHORT-50S",
            swap(10e6, 0.04, seconds(50), seconds(20)),
            PartyASide::PaysFixed,
        ),
        (
            "IRS-SHORT-5M",
            swap(25e6, 0.039, seconds(300), seconds(30)),
            PartyASide::PaysFloat,
        ),
        (
            "IRS-5Y",
            swap(50e6, 0.0425, days(1826), days(91)),
            PartyASide::PaysFixed,
        ),
        (
            "IRS-2Y",
            swap(30e6, 0.0335, days(730), days(182)),
            PartyASide::PaysFloat,
        ),
    ]
}

/// CSA-AB-001: thresholds 250,000, MTA 100,000, rounding 10,000.
fn seed_collateral(balance: f64) -> CollateralTerms {
    CollateralTerms {
        threshold_a: 250_000.0,
        threshold_b: 250_000.0,
        minimum_transfer_amount: decimal("100000"),
        rounding: decimal("10000"),
        collateral_balance: balance,
    }
}

#[test]
fn the_worked_example_prices_as_world_md_says() {
    let curve = seed_curve();
    let swaps = seed_swaps();
    let value_of = |id: &str, valuation| {
        let (_, terms, side) = swaps.iter().find(|(swap_id, ..)| *swap_id == id).unwrap();
        side.value_to_party_a(terms.value_to_fixed_payer(&curve, valuation).unwrap())
    };
    let at_seed = seed_time();
    assert!(close(value_of("IRS-5Y", at_seed), -1_678_001.85, 0.05));
    assert!(close(value_of("IRS-2Y", at_seed), -195_739.10, 0.05));
    assert!(
        value_of("IRS-SHORT-50S", at_seed).abs() < 1.0,
        "a few cents"
    );
    assert!(value_of("IRS-SHORT-5M", at_seed).abs() < 1.0, "a few cents");

    let netting_set = || swaps.iter().map(|(_, terms, side)| (terms, *side));
    let mark = price_netting_set(&curve, netting_set(), &seed_collateral(0.0), at_seed).unwrap();
    assert!(close(mark.exposure, -1_873_740.85, 0.05), "{mark:?}");
    assert_eq!(mark.published_exposure.to_string(), "-1873740.85");
    assert_eq!(mark.call_amount.to_string(), "-1630000.0");

    // Sixty seconds later, with the first call settled, the delta (≈ 6,257.5) is below the MTA.
    let later = at_seed + seconds(60);
    let settled = seed_collateral(-1_630_000.0);
    let mark = price_netting_set(&curve, netting_set(), &settled, later).unwrap();
    assert!(close(mark.exposure, -1_873_742.47, 0.05), "{mark:?}");
    let delta = settled.required_collateral(mark.exposure) + 1_630_000.0;
    assert!(close(delta, 6_257.5, 0.1), "{delta}");
    assert_eq!(mark.call_amount, Decimal::ZERO);
}

fn flat_curve(pillars: &[(i64, f64)]) -> DiscountCurve {
    let origin = seed_time();
    DiscountCurve::new(
        origin,
        pillars
            .iter()
            .map(|&(offset, discount_factor)| (origin + seconds(offset), discount_factor)),
    )
    .unwrap()
}

#[test]
fn discount_factors_are_one_up_to_as_of_and_hit_the_pillars() {
    let curve = flat_curve(&[(100, 0.9), (200, 0.8)]);
    let at = |offset| curve.discount_factor(seed_time() + seconds(offset));
    assert_eq!(at(-3600), 1.0);
    assert_eq!(at(0), 1.0);
    assert!(close(at(100), 0.9, 1e-15));
    assert!(close(at(200), 0.8, 1e-15));
}

#[test]
fn discount_factors_are_log_linear_between_and_beyond_pillars() {
    let curve = flat_curve(&[(100, 0.9), (200, 0.8)]);
    let at = |offset| curve.discount_factor(seed_time() + seconds(offset));
    assert!(close(at(50), 0.9_f64.sqrt(), 1e-15));
    assert!(close(at(150), (0.9_f64 * 0.8).sqrt(), 1e-15));
    // Beyond the last pillar the last segment's forward rate continues.
    assert!(close(at(300), 0.8 * 0.8 / 0.9, 1e-15));
    // With a single pillar, the segment from asOf is extended.
    let single = flat_curve(&[(100, 0.9)]);
    assert!(close(
        single.discount_factor(seed_time() + seconds(200)),
        0.81,
        1e-15
    ));
    assert!(close(
        single.discount_factor(seed_time() + seconds(50)),
        0.9_f64.sqrt(),
        1e-15
    ));
    // To the microsecond: half a second in is a two-hundredth of the first segment.
    let fine = curve.discount_factor(seed_time() + Duration::microseconds(500_000));
    assert!(close(fine, (0.9_f64.ln() / 200.0).exp(), 1e-15));
}

#[test]
fn curves_that_break_the_template_rules_are_refused() {
    let origin = seed_time();
    let curve = |pillars: Vec<(i64, f64)>| {
        DiscountCurve::new(
            origin,
            pillars
                .into_iter()
                .map(|(offset, discount_factor)| (origin + seconds(offset), discount_factor)),
        )
    };
    let message = |pillars| curve(pillars).unwrap_err().to_string();
    assert!(message(vec![]).contains("at least one pillar"));
    assert!(message(vec![(0, 0.9)]).contains("pillars[0]"));
    assert!(message(vec![(100, 0.9), (50, 0.95)]).contains("pillars[1]"));
    assert!(message(vec![(100, 0.0)]).contains("not positive"));
    assert!(message(vec![(100, f64::NAN)]).contains("not positive"));
}

fn swap(length: i64, period: i64) -> SwapTerms {
    SwapTerms {
        notional: 1_000_000.0,
        fixed_rate: 0.04,
        effective: seed_time(),
        maturity: seed_time() + seconds(length),
        period_seconds: period,
    }
}

#[test]
fn the_schedule_ends_with_a_short_stub() {
    let terms = swap(50, 20);
    assert_eq!(terms.period_count().unwrap(), 3);
    let offsets = |(start, end): (DateTime<Utc>, DateTime<Utc>)| {
        (
            (start - seed_time()).num_seconds(),
            (end - seed_time()).num_seconds(),
        )
    };
    assert_eq!(offsets(terms.period(0)), (0, 20));
    assert_eq!(offsets(terms.period(1)), (20, 40));
    assert_eq!(offsets(terms.period(2)), (40, 50));
    assert_eq!(swap(60, 20).period_count().unwrap(), 3);
    assert_eq!(swap(61, 20).period_count().unwrap(), 4);
}

#[test]
fn accrual_is_act_360_to_the_microsecond() {
    let start = seed_time();
    assert_eq!(act_360(start, start + days(360)), 1.0);
    assert_eq!(act_360(start, start + seconds(20)), 20.0 / 31_104_000.0);
    assert_eq!(
        act_360(start, start + Duration::microseconds(1)),
        1e-6 / 31_104_000.0
    );
}

#[test]
fn schedules_that_break_the_template_rules_are_refused() {
    let message = |terms: SwapTerms| terms.period_count().unwrap_err().to_string();
    assert!(message(swap(60, 0)).contains("periodSeconds"));
    assert!(message(swap(0, 20)).contains("maturityTime"));
    assert!(message(swap(20_001, 2)).contains("at most 10000"));
    let curve = flat_curve(&[(100, 0.9)]);
    assert!(
        swap(60, -5)
            .value_to_fixed_payer(&curve, seed_time())
            .is_err()
    );
}

#[test]
fn a_one_period_swap_is_worth_its_discounted_net_leg() {
    // One period of 360 days on a single-pillar curve: PV_float = N·(1 − DF(e)),
    // PV_fixed = N·K·1·DF(e).
    let curve = DiscountCurve::new(seed_time(), [(seed_time() + days(360), 0.95)]).unwrap();
    let terms = SwapTerms {
        notional: 1_000_000.0,
        fixed_rate: 0.04,
        effective: seed_time(),
        maturity: seed_time() + days(360),
        period_seconds: 360 * 86_400,
    };
    let value = terms.value_to_fixed_payer(&curve, seed_time()).unwrap();
    let expected = 1_000_000.0 * (1.0 - 0.95) - 1_000_000.0 * 0.04 * 0.95;
    assert!(close(value, expected, 1e-6), "{value} vs {expected}");
    // Before the start the value is discounted to the valuation time as well (P(x) = 1 for
    // instants before v only).
    let early = terms
        .value_to_fixed_payer(&curve, seed_time() - days(10))
        .unwrap();
    assert!(close(early, expected, 1e-6), "DF is 1 before asOf");
    // Half-way, the floating leg is N·(1 − P(e)) with P(e) = DF(e)/DF(v).
    let half_way = seed_time() + days(180);
    let forward = 0.95 / curve.discount_factor(half_way);
    let value = terms.value_to_fixed_payer(&curve, half_way).unwrap();
    let expected = 1_000_000.0 * (1.0 - forward) - 1_000_000.0 * 0.04 * forward;
    assert!(close(value, expected, 1e-6), "{value} vs {expected}");
    // Once every period has ended nothing is left.
    let after = terms
        .value_to_fixed_payer(&curve, seed_time() + days(360))
        .unwrap();
    assert_eq!(after, 0.0);
}

#[test]
fn signs_are_from_party_a_side() {
    // Forwards (≈ 5.1 %) above the fixed rate (4 %): paying fixed is worth something.
    let curve = DiscountCurve::new(seed_time(), [(seed_time() + days(360), 0.95)]).unwrap();
    let terms = swap(360 * 86_400, 90 * 86_400);
    let to_fixed_payer = terms.value_to_fixed_payer(&curve, seed_time()).unwrap();
    assert!(to_fixed_payer > 0.0);
    assert_eq!(
        PartyASide::PaysFixed.value_to_party_a(to_fixed_payer),
        to_fixed_payer
    );
    assert_eq!(
        PartyASide::PaysFloat.value_to_party_a(to_fixed_payer),
        -to_fixed_payer
    );
    let collateral = CollateralTerms {
        threshold_a: 0.0,
        threshold_b: 0.0,
        minimum_transfer_amount: Decimal::ZERO,
        rounding: decimal("1"),
        collateral_balance: 0.0,
    };
    let for_fixed_payer = price_netting_set(
        &curve,
        [(&terms, PartyASide::PaysFixed)],
        &collateral,
        seed_time(),
    )
    .unwrap();
    let for_float_payer = price_netting_set(
        &curve,
        [(&terms, PartyASide::PaysFloat)],
        &collateral,
        seed_time(),
    )
    .unwrap();
    assert!(
        for_fixed_payer.call_amount > Decimal::ZERO,
        "PartyB delivers"
    );
    assert!(for_float_payer.call_amount.is_negative(), "PartyA delivers");
    assert_eq!(
        for_fixed_payer.published_exposure,
        for_float_payer.published_exposure.negate()
    );
}

#[test]
fn required_collateral_is_the_exposure_beyond_the_threshold() {
    let terms = CollateralTerms {
        threshold_a: 100.0,
        threshold_b: 300.0,
        ..seed_collateral(0.0)
    };
    assert_eq!(terms.required_collateral(0.0), 0.0);
    assert_eq!(terms.required_collateral(300.0), 0.0);
    assert_eq!(terms.required_collateral(-100.0), 0.0);
    assert_eq!(terms.required_collateral(450.0), 150.0);
    assert_eq!(terms.required_collateral(-400.0), -300.0);
}

#[test]
fn calls_below_the_minimum_transfer_amount_are_not_made() {
    let terms = seed_collateral(0.0);
    // Exposure within the threshold: R = 0 = balance.
    assert_eq!(terms.call_amount(200_000.0).unwrap(), Decimal::ZERO);
    // D = 99,999.99 < MTA.
    assert_eq!(terms.call_amount(349_999.99).unwrap(), Decimal::ZERO);
    // D = MTA exactly is called.
    assert_eq!(terms.call_amount(350_000.0).unwrap(), decimal("100000"));
    // The delta is against the balance: R = 1,000,000, balance 950,000 → D = 50,000 < MTA.
    assert_eq!(
        seed_collateral(950_000.0).call_amount(1_250_000.0).unwrap(),
        Decimal::ZERO
    );
    // Balance above what is required: PartyA returns collateral.
    assert_eq!(
        seed_collateral(500_000.0).call_amount(0.0).unwrap(),
        decimal("-500000")
    );
}

#[test]
fn calls_round_up_in_absolute_value_to_the_transfer_unit() {
    let terms = seed_collateral(0.0);
    assert_eq!(terms.call_amount(350_000.01).unwrap(), decimal("110000"));
    assert_eq!(terms.call_amount(-350_000.01).unwrap(), decimal("-110000"));
    assert_eq!(
        terms.call_amount(-1_873_740.85).unwrap(),
        decimal("-1630000")
    );
    assert_eq!(terms.call_amount(360_000.0).unwrap(), decimal("110000"));

    // A fractional unit still gives an exact multiple, and never one below the MTA.
    let cents = CollateralTerms {
        threshold_a: 0.0,
        threshold_b: 0.0,
        minimum_transfer_amount: decimal("0.3"),
        rounding: decimal("0.1"),
        collateral_balance: 0.0,
    };
    let call = cents.call_amount(0.3).unwrap();
    assert_eq!(call, decimal("0.3"));
    assert!(call.is_multiple_of(decimal("0.1")));
    assert_eq!(cents.call_amount(0.30000000001).unwrap(), decimal("0.4"));

    // Without rounding the call is the delta itself, to the Decimal's precision.
    let unrounded = CollateralTerms {
        rounding: Decimal::ZERO,
        ..cents
    };
    assert_eq!(unrounded.call_amount(-12.345).unwrap(), decimal("-12.345"));
    assert_eq!(unrounded.call_amount(0.2).unwrap(), Decimal::ZERO);
}

#[test]
fn absurd_amounts_are_errors_not_garbage() {
    let terms = seed_collateral(0.0);
    assert!(matches!(
        terms.call_amount(f64::INFINITY),
        Err(PricingError::Unrepresentable { .. })
    ));
    assert!(matches!(
        terms.call_amount(1e40),
        Err(PricingError::Unrepresentable { .. })
    ));
}
