//! Prometheus metrics of the token endpoint, rendered at `GET /metrics`.
//!
//! Each server builds its own recorder and registers its handles once, instead of installing
//! a process-global recorder: several servers can then run in one process (the tests, the
//! demo) without sharing or fighting over counters, and nothing depends on global state.
//!
//! | metric | type | meaning |
//! |---|---|---|
//! | `auth_token_requests_total{outcome}` | counter | token requests by outcome: `issued`, `invalid_request`, `invalid_client`, `unsupported_grant_type`, `throttled`, `overloaded`, `server_error` |
//! | `auth_bcrypt_verify_seconds` | histogram | time of one request's bcrypt work on the pool |
//! | `auth_token_requests_in_flight` | gauge | token requests being served |
//! | `auth_token_requests_shed_total` | counter | requests shed with 503 because the bcrypt queue had no room for them within a second |
//! | `auth_credential_cache_hits_total` | counter | token requests authenticated by the verified-credential cache, without bcrypt |

use metrics::{Counter, Gauge, Histogram, Key, Label, Metadata, Recorder, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

const OUTCOMES: [&str; 7] = [
    "issued",
    "invalid_request",
    "invalid_client",
    "unsupported_grant_type",
    "throttled",
    "overloaded",
    "server_error",
];
const BCRYPT_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

/// This server's metric handles and the handle that renders them.
pub(crate) struct AuthMetrics {
    handle: PrometheusHandle,
    requests: Vec<Counter>,
    pub(crate) bcrypt_seconds: Histogram,
    pub(crate) in_flight: Gauge,
    pub(crate) shed: Counter,
    pub(crate) credential_cache_hits: Counter,
}

impl AuthMetrics {
    pub(crate) fn new() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&BCRYPT_BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        recorder.describe_counter(
            "auth_token_requests_total".into(),
            None,
            "Token requests by outcome".into(),
        );
        recorder.describe_histogram(
            "auth_bcrypt_verify_seconds".into(),
            Some(Unit::Seconds),
            "bcrypt work of one token request".into(),
        );
        recorder.describe_gauge(
            "auth_token_requests_in_flight".into(),
            None,
            "Token requests being served".into(),
        );
        recorder.describe_counter(
            "auth_token_requests_shed_total".into(),
            None,
            "Token requests shed because the bcrypt queue had no room for them".into(),
        );
        recorder.describe_counter(
            "auth_credential_cache_hits_total".into(),
            None,
            "Token requests authenticated by the verified-credential cache, without bcrypt".into(),
        );
        let requests = OUTCOMES
            .iter()
            .map(|outcome| {
                let key = Key::from_parts(
                    "auth_token_requests_total",
                    vec![Label::new("outcome", *outcome)],
                );
                recorder.register_counter(&key, &METADATA)
            })
            .collect();
        let register = |name: &'static str| Key::from_name(name);
        Self {
            requests,
            bcrypt_seconds: recorder
                .register_histogram(&register("auth_bcrypt_verify_seconds"), &METADATA),
            in_flight: recorder
                .register_gauge(&register("auth_token_requests_in_flight"), &METADATA),
            shed: recorder.register_counter(&register("auth_token_requests_shed_total"), &METADATA),
            credential_cache_hits: recorder
                .register_counter(&register("auth_credential_cache_hits_total"), &METADATA),
            handle: recorder.handle(),
        }
    }

    /// Counts one finished token request.
    pub(crate) fn count_outcome(&self, outcome: &str) {
        if let Some(index) = OUTCOMES.iter().position(|known| *known == outcome) {
            self.requests[index].increment(1);
        }
    }

    /// The Prometheus text exposition.
    pub(crate) fn render(&self) -> String {
        self.handle.render()
    }

    /// Drains histogram samples into their buckets; called periodically so memory stays flat
    /// between scrapes.
    pub(crate) fn run_upkeep(&self) {
        self.handle.run_upkeep();
    }
}

impl std::fmt::Debug for AuthMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthMetrics").finish_non_exhaustive()
    }
}

/// Decrements the in-flight gauge when the request ends, however it ends.
pub(crate) struct InFlight<'a>(&'a Gauge);

impl<'a> InFlight<'a> {
    pub(crate) fn enter(gauge: &'a Gauge) -> Self {
        gauge.increment(1.0);
        Self(gauge)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}
