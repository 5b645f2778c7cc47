//! `/metrics`: Prometheus text for token age, refresh outcomes and tick outcomes per cron.
//!
//! The token handles and cron runners keep their own counters ([`crate::token::TokenStats`],
//! [`CronStats`]); at each scrape [`OracleMetrics::render`] copies them into a private
//! [`PrometheusRecorder`] and renders it. No global recorder is installed, so several oracles
//! (the in-process end-to-end tests) never share metrics, and the library holds no
//! process-global state.
//!
//! | metric | labels | meaning |
//! |---|---|---|
//! | `oracle_service_token_age_seconds` | account | time since the held token was requested |
//! | `oracle_service_token_remaining_seconds` | account | time until it expires |
//! | `oracle_service_token_usable` | account | 1 when `get_token()` would hand it out |
//! | `oracle_service_token_requests_total` | account | requests to the token source |
//! | `oracle_service_token_acquired_total` | account | tokens obtained with none usable |
//! | `oracle_service_token_refreshed_total` | account | scheduled refreshes that succeeded |
//! | `oracle_service_token_failures_total` | account, reason | failed requests |
//! | `oracle_ticks_completed_total` | cron | ticks that completed |
//! | `oracle_ticks_failed_total` | cron, reason | ticks that failed |
//! | `oracle_ticks_missed_total` | cron | fires skipped after an overrun |
//! | `oracle_leader` | | 1 while this replica may fire (always, without a lease) |
//! | `oracle_lease_database_failures_total` | | failed attempts to reach the lease database (with a lease) |

use std::num::NonZeroUsize;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics::{counter, describe_counter, describe_gauge, gauge, with_local_recorder};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};
use service_runtime::serve::ServeLimits;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::lease::Leadership;
use crate::schedule::CronStats;
use crate::token::TokenHandle;

/// What `/metrics` reports on.
pub struct OracleMetrics {
    recorder: PrometheusRecorder,
    tokens: Vec<TokenHandle>,
    crons: Vec<(String, Arc<CronStats>)>,
    leadership: Leadership,
}

impl OracleMetrics {
    /// Metrics of these token handles and crons.
    pub fn new(tokens: Vec<TokenHandle>, crons: Vec<(String, Arc<CronStats>)>) -> Self {
        let recorder = PrometheusBuilder::new().build_recorder();
        with_local_recorder(&recorder, describe);
        Self {
            recorder,
            tokens,
            crons,
            leadership: Leadership::sole(),
        }
    }

    /// Reports this replica's leadership too (`oracle_leader`).
    pub fn with_leadership(mut self, leadership: Leadership) -> Self {
        self.leadership = leadership;
        self
    }

    /// The Prometheus text exposition of the current values.
    pub fn render(&self) -> String {
        with_local_recorder(&self.recorder, || {
            for handle in &self.tokens {
                let account = handle.account_id().to_owned();
                let status = handle.status();
                let seconds = |value: Option<std::time::Duration>| {
                    value.map_or(f64::NAN, |value| value.as_secs_f64())
                };
                gauge!("oracle_service_token_age_seconds", "account" => account.clone())
                    .set(seconds(status.age));
                gauge!("oracle_service_token_remaining_seconds", "account" => account.clone())
                    .set(seconds(status.remaining));
                gauge!("oracle_service_token_usable", "account" => account.clone())
                    .set(if status.usable { 1.0 } else { 0.0 });
                let stats = handle.stats();
                counter!("oracle_service_token_requests_total", "account" => account.clone())
                    .absolute(stats.requests);
                counter!("oracle_service_token_acquired_total", "account" => account.clone())
                    .absolute(stats.acquired);
                counter!("oracle_service_token_refreshed_total", "account" => account.clone())
                    .absolute(stats.refreshed);
                for (reason, count) in stats.failures {
                    counter!(
                        "oracle_service_token_failures_total",
                        "account" => account.clone(),
                        "reason" => reason
                    )
                    .absolute(count);
                }
            }
            for (cron, stats) in &self.crons {
                let counters = stats.snapshot();
                counter!("oracle_ticks_completed_total", "cron" => cron.clone())
                    .absolute(counters.completed);
                counter!("oracle_ticks_missed_total", "cron" => cron.clone())
                    .absolute(counters.missed);
                for (reason, count) in counters.failures {
                    counter!("oracle_ticks_failed_total", "cron" => cron.clone(), "reason" => reason)
                        .absolute(count);
                }
            }
            gauge!("oracle_leader").set(if self.leadership.acting() { 1.0 } else { 0.0 });
            if self.leadership.is_leased() {
                counter!("oracle_lease_database_failures_total")
                    .absolute(self.leadership.database_failures());
            }
        });
        self.recorder.handle().render()
    }
}

fn describe() {
    describe_gauge!(
        "oracle_service_token_age_seconds",
        "Seconds since the held service token was requested."
    );
    describe_gauge!(
        "oracle_service_token_remaining_seconds",
        "Seconds until the held service token expires."
    );
    describe_gauge!(
        "oracle_service_token_usable",
        "1 when get_token() would hand out the held token."
    );
    describe_counter!(
        "oracle_service_token_requests_total",
        "Requests sent to the token source."
    );
    describe_counter!(
        "oracle_service_token_acquired_total",
        "Tokens obtained while none was usable (boot, recovery)."
    );
    describe_counter!(
        "oracle_service_token_refreshed_total",
        "Scheduled token refreshes that succeeded."
    );
    describe_counter!(
        "oracle_service_token_failures_total",
        "Failed token requests by reason."
    );
    describe_counter!("oracle_ticks_completed_total", "Cron ticks that completed.");
    describe_counter!(
        "oracle_ticks_failed_total",
        "Cron ticks that failed, by reason."
    );
    describe_counter!(
        "oracle_ticks_missed_total",
        "Cron fires skipped because a tick overran them."
    );
    describe_gauge!(
        "oracle_leader",
        "1 while this replica may fire its crons (it holds the leader lease, or runs alone)."
    );
    describe_counter!(
        "oracle_lease_database_failures_total",
        "Failed attempts to reach the leader lease database."
    );
}

/// The `/metrics` route.
pub fn router(metrics: Arc<OracleMetrics>) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(metrics)
}

async fn scrape(State(metrics): State<Arc<OracleMetrics>>) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        metrics.render(),
    )
}

/// Binds the metrics port, with an error that names the address.
pub async fn bind(address: std::net::IpAddr, port: u16) -> Result<TcpListener, crate::OracleError> {
    TcpListener::bind((address, port))
        .await
        .map_err(|source| crate::OracleError::MetricsBind {
            address: std::net::SocketAddr::new(address, port),
            source,
        })
}

/// Open connections the metrics endpoint keeps at most: a scraper or two, and whoever runs
/// `curl`; the cap bounds what a stray client flood can hold.
pub const MAX_CONNECTIONS: NonZeroUsize = NonZeroUsize::new(64).unwrap();

/// Serves `/metrics` on `listener` until `cancel` is cancelled, within
/// [`ServeLimits`]' default timeouts and at most [`MAX_CONNECTIONS`] connections.
pub async fn serve(listener: TcpListener, metrics: Arc<OracleMetrics>, cancel: CancellationToken) {
    let limits = ServeLimits {
        max_connections: MAX_CONNECTIONS,
        ..ServeLimits::default()
    };
    service_runtime::serve::serve(listener, router(metrics), limits, cancel.cancelled_owned())
        .await;
}
