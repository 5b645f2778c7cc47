//! The seed against WORLD.md: a reference mark computed exactly as WORLD.md tells the oracle
//! to, on the seeded contracts, must give the figures WORLD.md quotes.

use chrono::DateTime;

use super::*;
use crate::world::curve::act_360;

fn seeded() -> (LedgerState, Timestamp) {
    let seed_time =
        Timestamp::from_datetime(DateTime::from_timestamp(1_767_603_600, 0).unwrap()).unwrap();
    let mut state = LedgerState::new();
    let fingerprint = crate::options::DEFAULT_NAMESPACE_FINGERPRINT;
    seed(
        &mut state,
        &format!("sandbox::{fingerprint}"),
        fingerprint,
        seed_time,
    )
    .unwrap();
    (state, seed_time)
}

fn contracts<T: Template>(state: &LedgerState) -> Vec<T> {
    state
        .active_contracts()
        .into_iter()
        .filter(|c| std::ptr::eq(c.template, T::definition()))
        .map(|c| serde_json::from_value(c.instance.payload.clone()).unwrap())
        .collect()
}

/// WORLD.md "Pricing": the value of a swap to PartyA at valuation time `v`.
fn value_to_party_a(swap: &Swap, curve: &DiscountCurve, party_a: &Party, v: Timestamp) -> f64 {
    let p = |x: Timestamp| curve.discount_factor(x.max(v)) / curve.discount_factor(v);
    let (notional, rate) = (swap.notional.to_f64(), swap.fixed_rate.to_f64());
    let (mut float_leg, mut fixed_leg) = (0.0, 0.0);
    for index in 0..swap.period_count() {
        let (start, end) = swap.period(index);
        if end <= v {
            continue;
        }
        float_leg += notional * (p(start) - p(end));
        fixed_leg += notional * rate * act_360(start, end) * p(end);
    }
    let to_fixed_payer = float_leg - fixed_leg;
    if swap.fixed_payer == *party_a {
        to_fixed_payer
    } else {
        -to_fixed_payer
    }
}

/// WORLD.md "Collateral": threshold, minimum transfer amount, rounding.
fn call_amount(csa: &Csa, exposure: f64) -> f64 {
    let (threshold_a, threshold_b) = (csa.threshold_a.to_f64(), csa.threshold_b.to_f64());
    let required = if exposure > threshold_b {
        exposure - threshold_b
    } else if exposure < -threshold_a {
        exposure + threshold_a
    } else {
        0.0
    };
    let delta = required - csa.collateral_balance.to_f64();
    if delta.abs() < csa.minimum_transfer_amount.to_f64() {
        return 0.0;
    }
    let rounding = csa.rounding.to_f64();
    (delta.abs() / rounding).ceil() * rounding * delta.signum()
}

#[test]
fn the_seeded_netting_set_marks_as_world_md_says() {
    let (state, seed_time) = seeded();
    let [csa] = <[Csa; 1]>::try_from(contracts::<Csa>(&state)).unwrap();
    let [curve] = <[DiscountCurve; 1]>::try_from(contracts::<DiscountCurve>(&state)).unwrap();
    let swaps = contracts::<Swap>(&state);
    assert_eq!(swaps.len(), 4);
    let values: Vec<(String, f64)> = swaps
        .iter()
        .filter(|swap| swap.csa_id == csa.csa_id)
        .map(|swap| {
            (
                swap.swap_id.clone(),
                value_to_party_a(swap, &curve, &csa.party_a, seed_time),
            )
        })
        .collect();
    let value_of = |id: &str| values.iter().find(|(s, _)| s == id).unwrap().1;
    assert!(
        (value_of("IRS-5Y") - -1_678_001.85).abs() < 0.05,
        "{values:?}"
    );
    assert!(
        (value_of("IRS-2Y") - -195_739.10).abs() < 0.05,
        "{values:?}"
    );
    let exposure: f64 = values.iter().map(|(_, value)| value).sum();
    assert!((exposure - -1_873_740.85).abs() < 0.05, "{exposure}");
    assert_eq!(call_amount(&csa, exposure), -1_630_000.0);
    // A later valuation barely moves the long-dated marks; the short swaps expire.
    let later = Timestamp::from_micros(seed_time.micros() + 60_000_000).unwrap();
    let exposure_later: f64 = swaps
        .iter()
        .map(|swap| value_to_party_a(swap, &curve, &csa.party_a, later))
        .sum();
    assert!(
        (exposure_later - -1_873_742.47).abs() < 0.05,
        "{exposure_later}"
    );
    let settled = Csa {
        collateral_balance: Numeric::from_units(-1_630_000),
        ..csa
    };
    assert_eq!(
        call_amount(&settled, exposure_later),
        0.0,
        "a 6,257.5 delta is below the MTA"
    );
}

#[test]
fn the_seed_allocates_qualified_parties_and_valid_contracts() {
    let (state, seed_time) = seeded();
    let ids: Vec<&str> = state
        .parties()
        .iter()
        .map(|p| p.identifier.as_str())
        .collect();
    assert_eq!(ids.len(), 6);
    assert!(ids[0].starts_with("sandbox::1220"));
    assert!(
        ids[1..]
            .iter()
            .all(|id| ledger_types::PartyId::parse(id).is_ok())
    );
    let swaps = contracts::<Swap>(&state);
    let first = swaps.iter().find(|s| s.swap_id == "IRS-SHORT-50S").unwrap();
    assert_eq!(
        first.maturity_time.micros() - seed_time.micros(),
        50_000_000
    );
    assert!(
        swaps
            .iter()
            .all(|s| s.ensure().is_ok() && s.effective_time == seed_time)
    );
}
