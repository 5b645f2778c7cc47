//! `IRSForge.Swap:Swap`: a vanilla fixed/float interest-rate swap and its period schedule.
//! Its choices live in `lifecycle.rs`.

use serde::{Deserialize, Serialize};

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

/// Most periods a swap may have, so one exercise or one pricing pass stays cheap.
pub(crate) const MAX_PERIODS: i64 = 10_000;

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
        if self.period_seconds.0 <= 0 {
            return Err("periodSeconds must be positive".into());
        }
        if self.maturity_time <= self.effective_time {
            return Err("maturityTime must be after effectiveTime".into());
        }
        let periods = self.period_count();
        if periods > MAX_PERIODS {
            return Err(format!(
                "the schedule has {periods} periods; at most {MAX_PERIODS} are allowed"
            ));
        }
        if !(0..=periods).contains(&self.next_period_index.0) {
            return Err(format!("nextPeriodIndex must lie in 0..={periods}"));
        }
        Ok(())
    }
}

impl Swap {
    fn period_micros(&self) -> i64 {
        self.period_seconds.0.saturating_mul(1_000_000)
    }

    /// ⌈(maturity − effective) / period⌉.
    pub(crate) fn period_count(&self) -> i64 {
        let length = self.maturity_time.micros() - self.effective_time.micros();
        let period = self.period_micros().max(1);
        length / period + i64::from(length % period != 0)
    }

    /// Period `index` (0-based): start = effective + index·period,
    /// end = min(effective + (index+1)·period, maturity).
    pub(crate) fn period(&self, index: i64) -> (Timestamp, Timestamp) {
        let effective = self.effective_time.micros();
        let maturity = self.maturity_time.micros();
        let at = |k: i64| {
            effective
                .saturating_add(k.saturating_mul(self.period_micros()))
                .min(maturity)
        };
        let start = Timestamp::from_micros(at(index)).unwrap_or(self.maturity_time);
        let end = Timestamp::from_micros(at(index + 1)).unwrap_or(self.maturity_time);
        (start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn swap(effective: i64, maturity: i64, period: i64) -> Swap {
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
        let swap = swap(100, 150, 20);
        assert_eq!(swap.period_count(), 3);
        let seconds =
            |(s, e): (Timestamp, Timestamp)| (s.micros() / 1_000_000, e.micros() / 1_000_000);
        assert_eq!(seconds(swap.period(0)), (100, 120));
        assert_eq!(seconds(swap.period(1)), (120, 140));
        assert_eq!(seconds(swap.period(2)), (140, 150));
    }

    #[test]
    fn exact_multiples_have_no_stub() {
        assert_eq!(swap(0, 60, 20).period_count(), 3);
        assert_eq!(swap(0, 61, 20).period_count(), 4);
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
