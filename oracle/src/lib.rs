//! `oracle`: the IRSForge oracle's services and their self-healing service tokens.
//!
//! Two long-lived services hold ledger JWTs with no human in the loop: the mark-publisher
//! (acts as Operator) and the scheduler (acts as Scheduler). Each gets its token from a
//! [`TokenHandle`] that [`resolve_service_token`] builds from the config, and fires its jobs on
//! crons against the operator's ledger.
//!
//! # Layout
//!
//! - `http` (private, a leaf): what every outbound exchange shares: [`BearerToken`], the client
//!   settings, capped body reads and the cleaning of server text. `ledger` and `token` build on
//!   it; `ledger` never imports `token`, and `token` uses `ledger` only for the demo branch's
//!   party lookup.
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
//! - [`lease`]: one leader among replicas on a PostgreSQL lease (`ORACLE_LEASE_DATABASE_URL`);
//!   [`lease::Leadership`] tells the crons whether this replica may fire now.
//! - [`metrics`]: `/metrics` in Prometheus text.
//! - [`cli`]: the command line.
//! - [`error`]: [`OracleError`] and the smaller enums callers match on.
//!
//! The library never installs a tracing subscriber or a metrics recorder and holds no
//! process-global state; the environment comes in through [`shared_config::EnvSource`].
//!
//! # Entry points
//!
//! ```text
//! pub async fn start(config: &Config, env: &dyn EnvSource, options: OracleOptions)
//!     -> Result<RunningOracle, OracleError>            // boot; returns once the crons run
//! pub async fn run(config: &Config, env: &dyn EnvSource, options: OracleOptions,
//!     shutdown: impl Future<Output = ()>) -> Result<(), OracleError>   // start, wait, stop
//! impl RunningOracle { token(id), crons(), metrics_addr(), render_metrics(), shutdown().await }
//! pub async fn resolve_service_token(account_id: &str, config: &Config, env: &dyn EnvSource)
//!     -> Result<TokenHandle, TokenError>
//! impl TokenHandle { get_token().await, stop().await, status(), stats(), account_id() }
//! ```
//!
//! # Events
//!
//! Every log line carries a stable `event` (operators know the first six from the README's
//! troubleshooting table; ARCHITECTURE.md lists them all):
//!
//! | event | fields |
//! |---|---|
//! | `service_token_acquired` | accountId, source, expiresIn, clampedFrom?, recovered |
//! | `service_token_refreshed` | accountId, source, expiresIn, clampedFrom? |
//! | `service_token_refresh_failed` | accountId, reason, attempt (1 at 80 %, 2 at 90 %), willRetry, tokenExpiresInMs, error |
//! | `service_token_acquire_failed` | accountId, reason, error, nextAttemptInMs (when recovering) |
//! | `service_token_env_override` | accountId, variable (never the value) |
//! | `scheduler_service_started` | accountId, trigger, settleNet, mature |
//! | `mark_publisher_service_started` | accountId, cron |
//! | `tick_completed` / `tick_failed` | cron, accountId, durationMs; contractsSeen, ledgerEffects / reason, error |
//! | `ticks_missed` | cron, missed |
//! | `ledger_query_completed` | cron, accountId, contracts |
//! | `lease_started` | instanceId, holder, database (no password), lease, ttlMs, renewEveryMs |
//! | `oracle_leader_acquired` / `oracle_leader_lost` / `oracle_standby` | instanceId; ttlMs, actingWindowMs / reason (`expired`, `taken_over`, `shutdown`) / leader |
//! | `lease_database_unavailable` / `lease_database_available` | instanceId; reason, error, failures, nextAttemptInMs / failures |
//! | `lease_released` / `lease_release_failed` | instanceId; released / reason, error |
//! | `tick_skipped` (debug) | cron, reason (`standby`) |
//! | `ledger_warnings`, `demo_party_lookup_failed`, `cron_exhausted`, `metrics_listening`, `shutdown_requested`, `shutdown_deadline_passed`, `oracle_stopped` | |
//!
//! `reason` of the token events ([`FailureReason`]): `invalid_client` (wrong secret or unknown
//! id), `network` (unreachable, reset, timeout, 5xx, 429, 408), plus three more because each
//! needs a different fix: `malformed_response` (a 2xx that is not a token
//! response: the URL points at something else), `rejected` (another 4xx or a redirect; in the
//! demo profile, a ledger refusing the admin token) and `configuration` (missing secret,
//! undeclared account, unknown party hint, expired environment token, plain http:// to a
//! remote token endpoint under `profile: production`). `tick_failed` reasons
//! are [`TickError::reason`]: `token_unavailable`, `timeout`, `job_failed` and the
//! [`LedgerError::reason`]s, plus `leadership_lost` (the lease lapsed during the tick).
//!
//! # Decisions where the requirements leave room
//!
//! - Refresh at 80 %, one retry at 90 %, then recovery with 2/4/8/15 s backoff (−15 % jitter),
//!   at least 1 s between the end of one request and the start of the next, shared by the
//!   background refresher and on-demand callers ([`token::policy`]). The recovery runs in the
//!   background once the held token is past use, so a service holds a fresh token within about
//!   15 s of auth returning even when its cron fires rarely.
//! - A token ends at the earlier of the request's send time + `expires_in` and its own JWT
//!   `exp` (read, not verified, against the injected wall clock); `get_token()` stops handing
//!   it out `lifetime / 20`, between 1 s and 5 s, before that. Jobs take a token for each
//!   ledger request, not one per tick ([`jobs::JobContext::token`]).
//! - Under `profile: production`, a token endpoint or ledger URL that is plain `http://` to a
//!   host other than loopback is refused at start; no client honours proxy variables.
//! - `invalid_client` on refresh: no 90 % retry; the token is still handed out until its end
//!   (it cannot be revoked anyway); recovery then waits at least 60 s between attempts, so a
//!   registry fixed by a SIGHUP reload heals the service without a restart while the auth
//!   service's per-client throttle (30 failures a minute from one address) is never approached.
//! - Lifetimes under 5 s are refused, over 24 h clamped, and never longer than the JWT's own
//!   `exp − iat` ([`token::response`]).
//! - At boot each account gets exactly one attempt: an unreachable auth service or a refused
//!   secret fails the boot at once with `service_token_acquire_failed` naming the account and
//!   the cause, and a service manager's restart policy is the retry.
//! - Demo tokens live 15 minutes and are re-minted through the same refresh machinery; each
//!   refresh repeats the party lookup, falling back to the parties found before when the ledger
//!   cannot be asked ([`token::demo`]).
//! - An environment token is never refreshed; when it is a JWT whose `exp` has passed it is
//!   refused with an error naming the variable. Empty variables count as unset.
//! - Missed cron fires are skipped, not caught up; a tick (token and job) is cut at 60 s by
//!   default ([`schedule`], [`config::DEFAULT_TICK_TIMEOUT`]).
//! - `/metrics` is off unless `--metrics-port` / `ORACLE_METRICS_PORT` is given
//!   (`--metrics-bind` / `ORACLE_METRICS_BIND`, default `0.0.0.0`).
//! - `token` and `check` log to stderr, so stdout carries only their output.

pub mod check;
pub mod cli;
pub mod config;
pub mod error;
mod http;
pub mod jobs;
pub mod lease;
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
