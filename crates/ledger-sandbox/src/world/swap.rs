//! `IRSForge.Swap:Swap`: a vanilla fixed/float interest-rate swap. Its schedule and fixings are
//! `swap_pricing`'s, the maths the oracle prices with; its choices live in `lifecycle.rs`.

use serde::{Deserialize, Serialize};

use swap_pricing::{Schedule, SwapTerms};

use crate::lf::{Int64, Numeric, Party, Timestamp};
use crate::template::{Template, TemplateDef, choice_def, template_def};
use crate::world::lifecycle::{MatureByScheduler, TriggerLifecycleByScheduler};

/// The Swap template's erased definition.
pub(crate) static SWAP: TemplateDef = template_def::<Swap>(
    "IRSForge.Swap",
    "Swap",
    &[
        choice_def::<TriggerLifecycleByScheduler>(),
        choice_def::<MatureByScheduler>(),
    ],
);

/// A vanilla swap: `fixedPayer` pays `fixedRate`, `floatPayer` pays the floating rate fixed
/// off the discount curve, on `notional`, over periods of `periodSeconds` from `effectiveTime`
/// to `maturityTime` (the last period may be shorter).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Swap {
    pub(crate) operator: Party,
    pub(crate) scheduler: Party,
    pub(crate) regulator: Party,
    pub(crate) fixed_payer: Party,
    pub(crate) float_payer: Party,
    pub(crate) swap_id: String,
    pub(crate) csa_id: String,
    pub(crate) currency: String,
    pub(crate) notional: Numeric,
    pub(crate) fixed_rate: Numeric,
    pub(crate) effective_time: Timestamp,
    pub(crate) maturity_time: Timestamp,
    pub(crate) period_seconds: Int64,
    pub(crate) next_period_index: Int64,
}

impl Template for Swap {
    fn definition() -> &'static TemplateDef {
        &SWAP
    }

    fn signatories(&self) -> Vec<Party> {
        vec![
            self.operator.clone(),
            self.fixed_payer.clone(),
            self.float_payer.clone(),
        ]
    }

    fn observers(&self) -> Vec<Party> {
        vec![self.scheduler.clone(), self.regulator.clone()]
    }

    fn ensure(&self) -> Result<(), String> {
        if self.fixed_payer == self.float_payer {
            return Err("fixedPayer and floatPayer must differ".into());
        }
        if self.swap_id.is_empty() || self.csa_id.is_empty() || self.currency.is_empty() {
            return Err("swapId, csaId and currency must not be empty".into());
        }
        if self.notional <= Numeric::ZERO {
            return Err("notional must be positive".into());
        }
        let periods = self.schedule()?.count();
        if !(0..=periods).contains(&self.next_period_index.0) {
            return Err(format!("nextPeriodIndex must lie in 0..={periods}"));
        }
        Ok(())
    }
}

impl Swap {
    /// The economic terms, as the pricing maths reads them.
    pub(crate) fn terms(&self) -> SwapTerms {
        SwapTerms {
            notional: self.notional.to_f64(),
            fixed_rate: self.fixed_rate.to_f64(),
            effective: self.effective_time,
            maturity: self.maturity_time,
            period_seconds: self.period_seconds.0,
        }
    }

    /// The period schedule; `Err` says which rule of `ensure` it breaks.
    pub(crate) fn schedule(&self) -> Result<Schedule, String> {
        self.terms().schedule().map_err(|error| error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn swap(effective: i64, maturity: i64, period: i64) -> Swap {
        let party = |name: &str| Party::parse(name).unwrap();
        let time = |s: i64| Timestamp::from_micros(s * 1_000_000).unwrap();
        Swap {
            operator: party("Operator"),
            scheduler: party("Scheduler"),
            regulator: party("Regulator"),
            fixed_payer: party("PartyA"),
            float_payer: party("PartyB"),
            swap_id: "S".into(),
            csa_id: "C".into(),
            currency: "USD".into(),
            notional: Numeric::from_units(1_000_000),
            fixed_rate: Numeric::parse("0.04").unwrap(),
            effective_time: time(effective),
            maturity_time: time(maturity),
            period_seconds: Int64(period),
            next_period_index: Int64(0),
        }
    }

    #[test]
    fn schedule_ends_with_a_short_stub() {
        let schedule = swap(100, 150, 20).schedule().unwrap();
        assert_eq!(schedule.count(), 3);
        let seconds =
            |(s, e): (Timestamp, Timestamp)| (s.micros() / 1_000_000, e.micros() / 1_000_000);
        assert_eq!(seconds(schedule.period(0)), (100, 120));
        assert_eq!(seconds(schedule.period(1)), (120, 140));
        assert_eq!(seconds(schedule.period(2)), (140, 150));
    }

    #[test]
    fn exact_multiples_have_no_stub() {
        assert_eq!(swap(0, 60, 20).schedule().unwrap().count(), 3);
        assert_eq!(swap(0, 61, 20).schedule().unwrap().count(), 4);
    }

    #[test]
    fn ensure_bounds_the_schedule() {
        assert!(swap(0, 60, 20).ensure().is_ok());
        assert!(
            swap(0, 60, 0)
                .ensure()
                .unwrap_err()
                .contains("periodSeconds")
        );
        assert!(
            swap(60, 60, 20)
                .ensure()
                .unwrap_err()
                .contains("maturityTime")
        );
        assert!(swap(0, 20_000, 1).ensure().unwrap_err().contains("at most"));
        let mut past_end = swap(0, 60, 20);
        past_end.next_period_index = Int64(4);
        assert!(past_end.ensure().unwrap_err().contains("nextPeriodIndex"));
    }
}
