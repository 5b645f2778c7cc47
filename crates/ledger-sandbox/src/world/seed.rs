//! The world seeded at start: the participant's admin party, the five IRSForge parties, a USD
//! discount curve, one CSA between PartyA and PartyB and four swaps in its netting set whose
//! schedules run from the seed time (WORLD.md, "Seed").

use crate::lf::{Int64, Numeric, Party, Timestamp};
use crate::store::{Contract, LedgerState, PartyRecord};
use crate::template::{Template, instance_of};
use crate::world::csa::Csa;
use crate::world::curve::{DiscountCurve, Interpolation, Pillar};
use crate::world::swap::Swap;

/// The seeded parties: hint and display name.
pub(crate) const PARTIES: [(&str, &str); 5] = [
    ("Operator", "IRSForge Operator"),
    ("Scheduler", "IRSForge Scheduler"),
    ("PartyA", "Alpha Bank"),
    ("PartyB", "Beta Capital"),
    ("Regulator", "Market Regulator"),
];

/// The seeded CSA's id.
pub(crate) const CSA_ID: &str = "CSA-AB-001";

/// Curve pillars: tenor in days and the continuously compounded zero rate (Act/365) the
/// discount factor is computed from, `DF = exp(−z · days / 365)`.
const CURVE_ZERO_RATES: [(i64, f64); 9] = [
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

/// One seeded swap: id, PartyA pays fixed?, notional, fixed rate, length, period (seconds).
struct SwapSeed {
    swap_id: &'static str,
    party_a_pays_fixed: bool,
    notional: i64,
    fixed_rate: &'static str,
    length_seconds: i64,
    period_seconds: i64,
}

const DAY: i64 = 86_400;

const SWAPS: [SwapSeed; 4] = [
    SwapSeed {
        swap_id: "IRS-SHORT-50S",
        party_a_pays_fixed: true,
        notional: 10_000_000,
        fixed_rate: "0.04",
        length_seconds: 50,
        period_seconds: 20,
    },
    SwapSeed {
        swap_id: "IRS-SHORT-5M",
        party_a_pays_fixed: false,
        notional: 25_000_000,
        fixed_rate: "0.039",
        length_seconds: 300,
        period_seconds: 30,
    },
    SwapSeed {
        swap_id: "IRS-5Y",
        party_a_pays_fixed: true,
        notional: 50_000_000,
        fixed_rate: "0.0425",
        length_seconds: 1826 * DAY,
        period_seconds: 91 * DAY,
    },
    SwapSeed {
        swap_id: "IRS-2Y",
        party_a_pays_fixed: false,
        notional: 30_000_000,
        fixed_rate: "0.0335",
        length_seconds: 730 * DAY,
        period_seconds: 182 * DAY,
    },
];

/// Allocates the parties and creates the seed contracts. `Err` is a bug in the seed data.
pub(crate) fn seed(
    state: &mut LedgerState,
    admin_party: &str,
    fingerprint: &str,
    seed_time: Timestamp,
) -> Result<(), String> {
    let party_error = |error: &dyn std::fmt::Display| format!("seed party: {error}");
    state
        .add_party(PartyRecord {
            identifier: admin_party.to_owned(),
            display_name: None,
        })
        .map_err(|_| "admin party allocated twice".to_owned())?;
    let mut ids = Vec::new();
    for (hint, display_name) in PARTIES {
        let identifier = format!("{hint}::{fingerprint}");
        ids.push(Party::parse(&identifier).map_err(|e| party_error(&e))?);
        state
            .add_party(PartyRecord {
                identifier,
                display_name: Some(display_name.to_owned()),
            })
            .map_err(|p| format!("party {} allocated twice", p.identifier))?;
    }
    let [operator, scheduler, party_a, party_b, regulator] =
        <[Party; 5]>::try_from(ids).map_err(|_| "five parties expected".to_owned())?;
    let at = |offset_seconds: i64| {
        Timestamp::from_micros(seed_time.micros() + offset_seconds * 1_000_000)
            .map_err(|_| "seed time out of range".to_owned())
    };

    let mut pillars = Vec::new();
    for (days, zero_rate) in CURVE_ZERO_RATES {
        let discount_factor = (-zero_rate * days as f64 / 365.0).exp();
        pillars.push(Pillar {
            maturity: at(days * DAY)?,
            discount_factor: Numeric::from_f64(discount_factor).map_err(|e| e.to_string())?,
        });
    }
    store(
        state,
        &DiscountCurve {
            operator: operator.clone(),
            observers: vec![
                party_a.clone(),
                party_b.clone(),
                scheduler.clone(),
                regulator.clone(),
            ],
            currency: "USD".into(),
            as_of: seed_time,
            interpolation: Interpolation::LogLinearDiscount,
            pillars,
        },
    )?;
    store(
        state,
        &Csa {
            operator: operator.clone(),
            party_a: party_a.clone(),
            party_b: party_b.clone(),
            scheduler: scheduler.clone(),
            regulator: regulator.clone(),
            csa_id: CSA_ID.into(),
            currency: "USD".into(),
            threshold_a: Numeric::from_units(250_000),
            threshold_b: Numeric::from_units(250_000),
            minimum_transfer_amount: Numeric::from_units(100_000),
            rounding: Numeric::from_units(10_000),
            collateral_balance: Numeric::ZERO,
            last_mark_as_of: None,
            last_mark_cid: None,
            unsettled_call: Numeric::ZERO,
        },
    )?;
    for seed in SWAPS {
        let (fixed_payer, float_payer) = if seed.party_a_pays_fixed {
            (party_a.clone(), party_b.clone())
        } else {
            (party_b.clone(), party_a.clone())
        };
        store(
            state,
            &Swap {
                operator: operator.clone(),
                scheduler: scheduler.clone(),
                regulator: regulator.clone(),
                fixed_payer,
                float_payer,
                swap_id: seed.swap_id.into(),
                csa_id: CSA_ID.into(),
                currency: "USD".into(),
                notional: Numeric::from_units(seed.notional),
                fixed_rate: Numeric::parse(seed.fixed_rate).map_err(|e| e.to_string())?,
                effective_time: seed_time,
                maturity_time: at(seed.length_seconds)?,
                period_seconds: Int64(seed.period_seconds),
                next_period_index: Int64(0),
            },
        )?;
    }
    Ok(())
}

fn store<T: Template>(state: &mut LedgerState, contract: &T) -> Result<(), String> {
    contract.ensure()?;
    let instance = instance_of(contract)?;
    let (contract_id, seq) = state.allocate_contract_id();
    let contract = Contract {
        contract_id,
        template: T::definition(),
        instance,
        seq,
    };
    let next_seq = state.next_seq();
    state.commit(&[], vec![contract], next_seq);
    Ok(())
}

#[cfg(test)]
mod tests;
