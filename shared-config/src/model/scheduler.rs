//! The `scheduler` and `operator` sections, and [`Product`], the key of the per-product maps.

use crate::cron::CronSchedule;

/// `scheduler`.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// Whether the scheduler service runs (default false).
    pub enabled: bool,
    /// Whether humans may fire lifecycle choices by hand (default true).
    pub manual_overrides_enabled: bool,
    /// The crons, each with its default when absent.
    pub cron: CronConfig,
}

/// `scheduler.cron`.
#[derive(Debug, Clone)]
pub struct CronConfig {
    /// Fires `TriggerLifecycleByScheduler`; also the mark-publisher's default cron (default
    /// `*/5 * * * * *`).
    pub trigger: CronSchedule,
    /// Fires `SettleNetByScheduler` (default `*/5 * * * * *`).
    pub settle_net: CronSchedule,
    /// Fires `MatureByScheduler` (default `*/30 * * * * *`).
    pub mature: CronSchedule,
}

/// A product the platform trades, as the per-product maps name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Product {
    /// Interest-rate swap.
    Irs,
    /// Overnight index swap.
    Ois,
    /// Basis swap.
    Basis,
    /// Cross-currency swap.
    Xccy,
    /// Credit default swap.
    Cds,
    /// Currency swap.
    Ccy,
    /// FX swap.
    Fx,
    /// Asset swap.
    Asset,
    /// A swap described in FpML.
    Fpml,
}

/// `operator.policy.<product>`: whether the operator approves new trades by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorPolicy {
    /// Approved automatically (the default).
    Auto,
    /// Approved by a human.
    Manual,
}
