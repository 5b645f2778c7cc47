//! Boot and shutdown of the oracle's services.
//!
//! Boot order: work out the schedules (a missing or bad cron fails before any request),
//! resolve the mark-publisher's token, resolve the scheduler's token when `scheduler.enabled`,
//! then start the crons and log `mark_publisher_service_started` and
//! `scheduler_service_started`. Each successful resolution has logged
//! `service_token_acquired` (or `service_token_env_override`); a failed one has logged
//! `service_token_acquire_failed` with its reason and [`start`] returns the error, so the
//! binary exits non-zero.
//!
//! With [`OracleOptions::lease`], the lease runner starts once the tokens resolve (a replica
//! that cannot get its tokens never leads) and the crons fire only while it holds the lease.
//!
//! Shutdown: cancel every cron and the metrics server, wait for them under
//! [`OracleOptions::shutdown_deadline`], release the leader lease (only if they all stopped in
//! time; otherwise it runs out), then stop the token handles.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use service_runtime::clock::{Clock, SystemClock};
use shared_config::{Config, EnvSource, MARK_PUBLISHER_ACCOUNT, SCHEDULER_ACCOUNT};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{self, DEFAULT_TICK_TIMEOUT};
use crate::error::OracleError;
use crate::jobs::{Job, Jobs};
use crate::lease::{self, Leadership, LeaseHandle, LeaseOptions};
use crate::ledger::LedgerClient;
use crate::metrics::{self, OracleMetrics};
use crate::schedule::{CronStats, CronTask};
use crate::token::{RefreshPolicy, TokenHandle, resolve_with_policy};

/// How the services run. `Default` is what the binary uses.
pub struct OracleOptions {
    /// The job of each cron.
    pub jobs: Jobs,
    /// The most one tick may take.
    pub tick_timeout: Duration,
    /// Where the crons read the time of day, and the token handles read a JWT's `exp` against.
    pub clock: Arc<dyn Clock>,
    /// Serve `/metrics` on this listener; `None` serves no metrics.
    pub metrics_listener: Option<TcpListener>,
    /// The token handles' policy; `None` derives it from the config.
    pub refresh_policy: Option<RefreshPolicy>,
    /// How long shutdown waits for crons to stop.
    pub shutdown_deadline: Duration,
    /// One leader among replicas; `None` runs alone.
    pub lease: Option<LeaseOptions>,
}

impl Default for OracleOptions {
    fn default() -> Self {
        Self {
            jobs: Jobs::default(),
            tick_timeout: DEFAULT_TICK_TIMEOUT,
            clock: Arc::new(SystemClock),
            metrics_listener: None,
            refresh_policy: None,
            shutdown_deadline: Duration::from_secs(10),
            lease: None,
        }
    }
}

/// The oracle's services, running.
pub struct RunningOracle {
    tokens: Vec<TokenHandle>,
    crons: Vec<String>,
    metrics: Arc<OracleMetrics>,
    metrics_addr: Option<SocketAddr>,
    cancel: CancellationToken,
    tracker: TaskTracker,
    shutdown_deadline: Duration,
    lease: Option<LeaseHandle>,
    leadership: Leadership,
}

impl RunningOracle {
    /// Whether this replica may fire its crons (always, without a lease).
    pub fn leadership(&self) -> &Leadership {
        &self.leadership
    }

    /// The token handle of an account, for inspection.
    pub fn token(&self, account_id: &str) -> Option<&TokenHandle> {
        self.tokens
            .iter()
            .find(|handle| handle.account_id() == account_id)
    }

    /// The names of the crons that run.
    pub fn crons(&self) -> &[String] {
        &self.crons
    }

    /// Where `/metrics` is served, if it is.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The current metrics text (what `/metrics` would answer).
    pub fn render_metrics(&self) -> String {
        self.metrics.render()
    }

    /// Stops the crons, the metrics server and the token handles.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        self.tracker.close();
        let stopped = tokio::time::timeout(self.shutdown_deadline, self.tracker.wait())
            .await
            .is_ok();
        if !stopped {
            tracing::warn!(
                event = "shutdown_deadline_passed",
                deadlineMs = self.shutdown_deadline.as_millis() as u64,
                "some tasks did not stop in time"
            );
        }
        if let Some(lease) = self.lease {
            lease.shutdown(stopped).await;
        }
        for handle in &self.tokens {
            handle.stop().await;
        }
        tracing::info!(event = "oracle_stopped", "oracle stopped");
    }
}

/// Boots the services and returns once they run. Fails, without leaving anything running,
/// when a schedule is missing or a token cannot be resolved.
pub async fn start(
    config: &Config,
    env: &dyn EnvSource,
    options: OracleOptions,
) -> Result<RunningOracle, OracleError> {
    let schedules = config::schedules(config, env)?;
    let ledger = LedgerClient::from_config(config)?;
    let policy = options
        .refresh_policy
        .clone()
        .unwrap_or_else(|| RefreshPolicy::from_config(config));
    let resolve = |account: &'static str| {
        let policy = policy.clone();
        let clock = options.clock.clone();
        async move {
            resolve_with_policy(account, config, env, policy, clock.clone())
                .await
                .map_err(|source| OracleError::Token {
                    account: account.to_owned(),
                    source,
                })
        }
    };
    let mark_publisher = resolve(MARK_PUBLISHER_ACCOUNT).await?;
    let scheduler = match &schedules.scheduler {
        Some(_) => match resolve(SCHEDULER_ACCOUNT).await {
            Ok(handle) => Some(handle),
            Err(error) => {
                mark_publisher.stop().await;
                return Err(error);
            }
        },
        None => None,
    };

    let lease = options.lease.map(lease::start);
    let leadership = lease
        .as_ref()
        .map_or_else(Leadership::sole, |lease| lease.leadership().clone());
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let mut tokens = vec![mark_publisher.clone()];
    let mut crons: Vec<(String, Arc<CronStats>)> = Vec::new();
    let mut spawn_cron = |name: &str, schedule, job: &Arc<dyn Job>, token: &TokenHandle| {
        let stats = Arc::new(CronStats::default());
        crons.push((name.to_owned(), stats.clone()));
        let task = CronTask {
            name: name.to_owned(),
            schedule,
            job: job.clone(),
            token: token.clone(),
            ledger: ledger.clone(),
            tick_timeout: options.tick_timeout,
            clock: options.clock.clone(),
            stats,
        };
        tracker.spawn(task.run_led(cancel.clone(), leadership.clone()));
    };
    spawn_cron(
        MARK_PUBLISHER_ACCOUNT,
        schedules.mark_publisher.clone(),
        &options.jobs.mark_publisher,
        &mark_publisher,
    );
    tracing::info!(
        event = "mark_publisher_service_started",
        accountId = MARK_PUBLISHER_ACCOUNT,
        cron = %schedules.mark_publisher,
        "mark-publisher service started"
    );
    if let (Some(crons), Some(scheduler)) = (&schedules.scheduler, &scheduler) {
        spawn_cron(
            "trigger",
            crons.trigger.clone(),
            &options.jobs.trigger,
            scheduler,
        );
        spawn_cron(
            "settleNet",
            crons.settle_net.clone(),
            &options.jobs.settle_net,
            scheduler,
        );
        spawn_cron(
            "mature",
            crons.mature.clone(),
            &options.jobs.mature,
            scheduler,
        );
        tokens.push(scheduler.clone());
        tracing::info!(
            event = "scheduler_service_started",
            accountId = SCHEDULER_ACCOUNT,
            trigger = %crons.trigger,
            settleNet = %crons.settle_net,
            mature = %crons.mature,
            "scheduler service started"
        );
    }

    let cron_names = crons.iter().map(|(name, _)| name.clone()).collect();
    let metrics =
        Arc::new(OracleMetrics::new(tokens.clone(), crons).with_leadership(leadership.clone()));
    let mut metrics_addr = None;
    if let Some(listener) = options.metrics_listener {
        metrics_addr = listener.local_addr().ok();
        let (metrics, cancel) = (metrics.clone(), cancel.clone());
        tracker.spawn(metrics::serve(listener, metrics, cancel));
        tracing::info!(
            event = "metrics_listening",
            address = ?metrics_addr,
            "serving /metrics"
        );
    }
    Ok(RunningOracle {
        tokens,
        crons: cron_names,
        metrics,
        metrics_addr,
        cancel,
        tracker,
        shutdown_deadline: options.shutdown_deadline,
        lease,
        leadership,
    })
}

/// Boots the services, runs them until `shutdown` completes, then stops them. This is the
/// in-process entry point of the end-to-end tests and the one-command demo; the binary calls it
/// with `service_runtime::signal::shutdown_signal`.
pub async fn run(
    config: &Config,
    env: &dyn EnvSource,
    options: OracleOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<(), OracleError> {
    let running = start(config, env, options).await?;
    shutdown.await;
    running.shutdown().await;
    Ok(())
}
