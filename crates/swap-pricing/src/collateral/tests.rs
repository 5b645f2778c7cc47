use super::*;
use crate::test_support::{at, days, origin};

fn numeric(text: &str) -> Numeric {
    Numeric::parse(text).unwrap()
}

/// CSA-AB-001 of WORLD.md's seed: thresholds 250,000, MTA 100,000, rounding 10,000.
fn seed_collateral(balance: f64) -> CollateralTerms {
    CollateralTerms {
        threshold_a: 250_000.0,
        threshold_b: 250_000.0,
        minimum_transfer_amount: numeric("100000"),
        rounding: numeric("10000"),
        collateral_balance: balance,
    }
}

#[test]
fn signs_are_from_party_a_side() {
    // Forwards (≈ 5.1 %) above the fixed rate (4 %): paying fixed is worth something.
    let curve = DiscountCurve::new(origin(), [(at(days(360)), 0.95)]).unwrap();
    let terms = SwapTerms {
        notional: 1_000_000.0,
        fixed_rate: 0.04,
        effective: origin(),
        maturity: at(days(360)),
        period_seconds: days(90),
    };
    let to_fixed_payer = terms.value_to_fixed_payer(&curve, origin()).unwrap();
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
        minimum_transfer_amount: Numeric::ZERO,
        rounding: numeric("1"),
        collateral_balance: 0.0,
    };
    let price = |side| price_netting_set(&curve, [(&terms, side)], &collateral, origin());
    let for_fixed_payer = price(PartyASide::PaysFixed).unwrap();
    let for_float_payer = price(PartyASide::PaysFloat).unwrap();
    assert!(
        for_fixed_payer.call_amount > Numeric::ZERO,
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
    assert_eq!(terms.call_amount(200_000.0).unwrap(), Numeric::ZERO);
    // D = 99,999.99 < MTA.
    assert_eq!(terms.call_amount(349_999.99).unwrap(), Numeric::ZERO);
    // D = MTA exactly is called.
    assert_eq!(terms.call_amount(350_000.0).unwrap(), numeric("100000"));
    // The delta is against the balance: R = 1,000,000, balance 950,000 → D = 50,000 < MTA.
    assert_eq!(
        seed_collateral(950_000.0).call_amount(1_250_000.0).unwrap(),
        Numeric::ZERO
    );
    // Balance above what is required: PartyA returns collateral.
    assert_eq!(
        seed_collateral(500_000.0).call_amount(0.0).unwrap(),
        numeric("-500000")
    );
}

#[test]
fn calls_round_up_in_absolute_value_to_the_transfer_unit() {
    let terms = seed_collateral(0.0);
    assert_eq!(terms.call_amount(350_000.01).unwrap(), numeric("110000"));
    assert_eq!(terms.call_amount(-350_000.01).unwrap(), numeric("-110000"));
    assert_eq!(
        terms.call_amount(-1_873_740.85).unwrap(),
        numeric("-1630000")
    );
    assert_eq!(terms.call_amount(360_000.0).unwrap(), numeric("110000"));

    // A fractional unit still gives an exact multiple, and never one below the MTA.
    let cents = CollateralTerms {
        threshold_a: 0.0,
        threshold_b: 0.0,
        minimum_transfer_amount: numeric("0.3"),
        rounding: numeric("0.1"),
        collateral_balance: 0.0,
    };
    let call = cents.call_amount(0.3).unwrap();
    assert_eq!(call, numeric("0.3"));
    assert!(call.is_multiple_of(numeric("0.1")));
    assert_eq!(cents.call_amount(0.30000000001).unwrap(), numeric("0.4"));

    // Without rounding the call is the delta itself, to the Numeric's precision.
    let unrounded = CollateralTerms {
        rounding: Numeric::ZERO,
        ..cents
    };
    assert_eq!(unrounded.call_amount(-12.345).unwrap(), numeric("-12.345"));
    assert_eq!(unrounded.call_amount(0.2).unwrap(), Numeric::ZERO);
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
    let no_rounding = CollateralTerms {
        rounding: Numeric::ZERO,
        ..terms
    };
    assert!(matches!(
        no_rounding.call_amount(1e40),
        Err(PricingError::Unrepresentable { .. })
    ));
}
