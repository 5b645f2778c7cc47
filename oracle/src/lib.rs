//! `oracle`: the IRSForge oracle's services and their self-healing service tokens
//! (SPEC.md §5).
//!
//! Two long-lived services hold ledger JWTs with no human in the loop: the mark-publisher
//! (acts as Operator) and the scheduler (acts as Scheduler). Each gets its token from a
//! [`TokenHandle`] that [`resolve_service_token`] builds from the config, and fires its jobs on
//! crons against the operator's ledger.
//!
//! # Layout
//!
//! - [`token`]: the three-branch resolver (environment override, demo HS256 bootstrap, OAuth2
//!   client credentials) and the handle that refreshes at 80 %, retries at 90 %, recovers with
//!   capped jittered backoff and never hands out an expired token.
//! - [`ledger`]: [`LedgerClient`], a typed client of the Canton JSON API v1 endpoints the oracle
//!   uses, with errors a job can act on.
//! - [`schedule`]: [`CronTask`], the cron loop (next fire, sleep or cancel, tick under a
//!   timeout, log, loop; missed fires are skipped).
//! - [`jobs`]: the [`Job`] trait the runner calls each tick, and the jobs (one file each).
//! - [`service`]: boot order and shutdown; [`start`] and [`run`] are the in-process entry
//!   points the binary, the end-to-end tests and the demo call.
//! - [`config`]: schedules and accounts derived from the config and the environment
//!   (`MARK_PUBLISHER_CRON`).
//! - [`check`]: what `irsforge-oracle check` verifies.
//! - [`metrics`]: `/metrics` in Prometheus text.
//! - [`cli`]: the command line.
//! - [`error`]: [`OracleError`] and the smaller enums callers match on.
//!
//! The library never installs a tracing subscriber or a metrics recorder and holds no
//! process-global state; the environment comes in through [`shared_config::EnvSource`].

pub mod check;
pub mod cli;
pub mod config;
pub mod error;
mod http;
pub mod jobs;
pub mod ledger;
pub mod metrics;
pub mod schedule;
pub mod service;
pub mod token;

pub use error::{FailureReason, LedgerError, OracleError, TickError, TokenError};
pub use jobs::{Job, JobContext, JobReport, Jobs};
pub use ledger::LedgerClient;
pub use schedule::CronTask;
pub use service::{OracleOptions, RunningOracle, run, start};
pub use token::{BearerToken, TokenHandle, resolve_service_token};
