//! The seed against WORLD.md: the seeded netting set, priced with the maths the oracle uses
//! (`swap_pricing`), must give the figures of WORLD.md's worked example.

use chrono::DateTime;
use swap_pricing::{CollateralTerms, PartyASide, price_netting_set};

use super::*;

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

fn side(swap: &Swap, csa: &Csa) -> PartyASide {
    if swap.fixed_payer == csa.party_a {
        PartyASide::PaysFixed
    } else {
        PartyASide::PaysFloat
    }
}

fn collateral(csa: &Csa) -> CollateralTerms {
    CollateralTerms {
        threshold_a: csa.threshold_a.to_f64(),
        threshold_b: csa.threshold_b.to_f64(),
        minimum_transfer_amount: csa.minimum_transfer_amount,
        rounding: csa.rounding,
        collateral_balance: csa.collateral_balance.to_f64(),
    }
}

fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
    (actual - expected).abs() <= tolerance
}

#[test]
fn the_seeded_netting_set_marks_as_world_md_says() {
    let (state, seed_time) = seeded();
    let [csa] = <[Csa; 1]>::try_from(contracts::<Csa>(&state)).unwrap();
    let [curve] = <[DiscountCurve; 1]>::try_from(contracts::<DiscountCurve>(&state)).unwrap();
    let curve = curve.pricing_curve().unwrap();
    let swaps = contracts::<Swap>(&state);
    assert_eq!(swaps.len(), 4);
    assert!(swaps.iter().all(|swap| swap.csa_id == csa.csa_id));
    let terms: Vec<_> = swaps
        .iter()
        .map(|swap| (swap.swap_id.as_str(), swap.terms(), side(swap, &csa)))
        .collect();
    let value_of = |id: &str, valuation| {
        let (_, terms, side) = terms.iter().find(|(swap_id, ..)| *swap_id == id).unwrap();
        side.value_to_party_a(terms.value_to_fixed_payer(&curve, valuation).unwrap())
    };
    assert!(close(value_of("IRS-5Y", seed_time), -1_678_001.85, 0.05));
    assert!(close(value_of("IRS-2Y", seed_time), -195_739.10, 0.05));
    assert!(
        value_of("IRS-SHORT-50S", seed_time).abs() < 1.0,
        "a few cents"
    );
    assert!(
        value_of("IRS-SHORT-5M", seed_time).abs() < 1.0,
        "a few cents"
    );

    let netting_set = || terms.iter().map(|(_, terms, side)| (terms, *side));
    let mark = price_netting_set(&curve, netting_set(), &collateral(&csa), seed_time).unwrap();
    assert!(close(mark.exposure, -1_873_740.85, 0.05), "{mark:?}");
    assert_eq!(mark.published_exposure.to_string(), "-1873740.85");
    assert_eq!(mark.call_amount, Numeric::from_units(-1_630_000));
    assert_eq!(mark.call_amount.to_string(), "-1630000.0");

    // Sixty seconds later, with the first call settled, the delta (≈ 6,257.5) is below the
    // MTA: the long-dated marks barely move and the short swaps expire.
    let later = seed_time.checked_add_micros(60_000_000).unwrap();
    let settled = collateral(&Csa {
        collateral_balance: Numeric::from_units(-1_630_000),
        ..csa
    });
    let mark = price_netting_set(&curve, netting_set(), &settled, later).unwrap();
    assert!(close(mark.exposure, -1_873_742.47, 0.05), "{mark:?}");
    let delta = settled.required_collateral(mark.exposure) + 1_630_000.0;
    assert!(close(delta, 6_257.5, 0.1), "{delta}");
    assert_eq!(mark.call_amount, Numeric::ZERO, "below the MTA");
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
