//! Start-up and serving: [`AuthServer::prepare`] does the start-up checks in order (`auth/README.md`, "Start-up order"),
//! [`AuthServer::serve`] serves on a bound listener until shutdown, and [`run`] does both.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use axum::extract::MatchedPath;
use axum::http::{Request, StatusCode};
use axum::routing::{get, post};
use service_runtime::serve::ServeLimits;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::credential_cache::CredentialCache;
use crate::error::AuthError;
use crate::key_watch::{self, KeyTracking};
use crate::metrics::AuthMetrics;
use crate::options::AuthOptions;
use crate::registry::Registry;
use crate::reload::ReloadRequests;
use crate::routes;
use crate::state::ServiceState;
use crate::throttle::Throttle;
use crate::token::{self, TokenSettings};
use crate::verification_pool::VerificationPool;

/// The token endpoint's path.
pub const TOKEN_PATH: &str = "/auth/oauth/token";
/// The JWKS path.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// Signatures for recognised credentials queued per signing worker (one signature is about
/// 0.3 ms, so a full queue is a few tens of milliseconds of work).
const SIGNING_QUEUE_PER_WORKER: usize = 64;

/// A server that passed its start-up checks and holds its keys, ready to serve.
pub struct AuthServer {
    shared: Arc<ServiceState>,
    reload: Option<ReloadRequests>,
    request_timeout: Option<Duration>,
    connections: ServeLimits,
}

impl AuthServer {
    /// The start-up after the config is loaded, in order: refuse the demo provider;
    /// load and validate `service-accounts.yaml`; cross-check it with `auth.serviceAccounts`;
    /// load or create the signing keys; start the bcrypt workers. Blocking (file I/O, maybe key
    /// generation): call it before serving or through `spawn_blocking`.
    pub fn prepare(options: AuthOptions) -> Result<Self, AuthError> {
        let config = options.config;
        let settings = TokenSettings::from_config(&config)?;
        let issuer = config
            .auth
            .builtin()
            .map(|b| b.issuer.clone())
            .unwrap_or_default();
        let registry = Registry::load(&options.service_accounts_path)?;
        registry.cross_check(
            &config,
            &options.config_path,
            &options.service_accounts_path,
        )?;
        tracing::info!(event = "service_accounts_loaded", accounts = registry.len(), path = %options.service_accounts_path.display(), "service accounts loaded");
        service_runtime::report::log_ignored_keys(&options.config_path, &config.ignored_keys);
        service_runtime::report::log_ignored_keys(
            &options.service_accounts_path,
            registry.ignored_keys(),
        );
        let key_set = key_watch::load_at_start(
            &options.keys_dir,
            &options.clock,
            options.jwks_max_age,
            options.key_poll_interval,
        )?;
        let pool = VerificationPool::start(
            options.bcrypt_workers,
            options.bcrypt_queue,
            options.bcrypt_nice,
        )
        .map_err(|source| AuthError::Io {
            action: "cannot start the bcrypt workers",
            source,
        })?;
        let signing_pool = VerificationPool::start_named(
            "auth-sign",
            options.bcrypt_workers,
            options.bcrypt_workers * SIGNING_QUEUE_PER_WORKER,
            options.bcrypt_nice,
        )
        .map_err(|source| AuthError::Io {
            action: "cannot start the signing workers",
            source,
        })?;
        let credential_cache =
            CredentialCache::new(options.credential_cache_size, options.credential_cache_ttl)
                .map_err(|source| AuthError::Io {
                    action: "cannot draw the credential cache's key",
                    source,
                })?;
        let accounts: HashMap<_, _> = config
            .auth
            .service_accounts
            .iter()
            .map(|account| (account.id.clone(), account.clone()))
            .collect();
        let shared = ServiceState {
            health_json: routes::health_document(&config),
            metadata_json: routes::metadata_document(&config, &issuer),
            config_path: options.config_path,
            registry_path: options.service_accounts_path,
            keys_dir: options.keys_dir,
            registry: RwLock::new(Arc::new(registry)),
            key_tracking: KeyTracking::new(&key_set),
            key_poll_interval: options.key_poll_interval,
            jwks_cache_control: key_watch::jwks_cache_control(options.jwks_max_age),
            keys: RwLock::new(Arc::new(key_set)),
            accounts,
            settings: Arc::new(settings),
            throttle: Throttle::new(options.throttle),
            credential_cache,
            pool,
            signing_pool,
            metrics: AuthMetrics::new(),
            clock: options.clock,
            trusted_proxies: options.trusted_proxies,
            config,
        };
        Ok(Self {
            shared: Arc::new(shared),
            reload: options.reload,
            request_timeout: options.request_timeout,
            connections: options.connections,
        })
    }

    /// The kid new tokens are signed with.
    pub fn active_kid(&self) -> String {
        self.shared
            .keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .active()
            .kid()
            .to_owned()
    }

    /// The routes, for driving the service without a socket (`tower::ServiceExt::oneshot`).
    pub fn router(&self) -> Router {
        build_router(Arc::clone(&self.shared), self.request_timeout)
    }

    /// Serves on `listener` until `shutdown` completes, then stops accepting, lets requests in
    /// flight finish (within the connections' shutdown deadline) and returns. Logs
    /// `auth_started` once listening.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), AuthError> {
        let Self {
            shared,
            reload,
            request_timeout,
            connections,
        } = self;
        let address = listener.local_addr().map_err(|source| AuthError::Io {
            action: "cannot read the listen address",
            source,
        })?;
        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();
        tracker.spawn(cancel_on(shutdown, cancel.clone()));
        tracker.spawn(metrics_upkeep(Arc::clone(&shared), cancel.clone()));
        if let Some(requests) = reload {
            tracker.spawn(serve_reloads(Arc::clone(&shared), requests, cancel.clone()));
        }
        if let Some(interval) = shared.key_poll_interval {
            tracker.spawn(key_watch::watch(
                Arc::clone(&shared),
                interval,
                cancel.clone(),
            ));
        }
        tracing::info!(
            event = "auth_started",
            address = %address,
            provider = shared.config.auth.provider().as_str(),
            kid = %shared.keys.read().unwrap_or_else(|e| e.into_inner()).active().kid(),
            accounts = shared.accounts.len(),
            "auth service listening"
        );
        let app = build_router(shared, request_timeout);
        service_runtime::serve::serve(listener, app, connections, cancel.clone().cancelled_owned())
            .await;
        cancel.cancel();
        tracker.close();
        tracker.wait().await;
        tracing::info!(event = "auth_stopped", "auth service stopped");
        Ok(())
    }
}

fn build_router(shared: Arc<ServiceState>, request_timeout: Option<Duration>) -> Router {
    let trace = TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
        let path = request
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str);
        tracing::debug_span!("request", method = %request.method(), path)
    });
    let router = Router::new()
        .route(TOKEN_PATH, post(token::token_endpoint))
        .route(JWKS_PATH, get(routes::jwks))
        .route(
            "/.well-known/oauth-authorization-server",
            get(routes::metadata),
        )
        .route("/.well-known/openid-configuration", get(routes::metadata))
        .route("/auth/health", get(routes::health))
        .route("/metrics", get(routes::metrics))
        .with_state(shared);
    let router = match request_timeout {
        Some(timeout) => router
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                timeout,
            ))
            .layer(axum::middleware::map_response(timeout_as_oauth_error)),
        None => router,
    };
    router.layer(trace)
}

/// The timeout layer answers 408 with an empty body; a client of the token endpoint gets the
/// OAuth2 JSON error instead, like every other refusal.
async fn timeout_as_oauth_error(response: axum::response::Response) -> axum::response::Response {
    if response.status() == StatusCode::REQUEST_TIMEOUT
        && !response
            .headers()
            .contains_key(axum::http::header::CONTENT_TYPE)
    {
        return axum::response::IntoResponse::into_response(AuthError::RequestTimeout);
    }
    response
}

/// Prepares (off the async workers) and serves until `shutdown`: the whole service in one
/// call. The caller binds the listener, so tests use `127.0.0.1:0` and can restart on the
/// same port.
pub async fn run(
    listener: tokio::net::TcpListener,
    options: AuthOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), AuthError> {
    let server = tokio::task::spawn_blocking(move || AuthServer::prepare(options))
        .await
        .map_err(|_| AuthError::Internal("start-up panicked"))??;
    server.serve(listener, shutdown).await
}

async fn cancel_on(shutdown: impl Future<Output = ()>, cancel: CancellationToken) {
    tokio::select! {
        () = shutdown => cancel.cancel(),
        () = cancel.cancelled() => {}
    }
}

async fn metrics_upkeep(shared: Arc<ServiceState>, cancel: CancellationToken) {
    let mut interval = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            _ = interval.tick() => shared.metrics.run_upkeep(),
            () = cancel.cancelled() => return,
        }
    }
}

async fn serve_reloads(
    shared: Arc<ServiceState>,
    mut requests: ReloadRequests,
    cancel: CancellationToken,
) {
    loop {
        let reply = tokio::select! {
            reply = requests.0.recv() => reply,
            () = cancel.cancelled() => return,
        };
        let Some(reply) = reply else {
            return;
        };
        let shared = Arc::clone(&shared);
        let outcome = tokio::task::spawn_blocking(move || shared.reload()).await;
        if let Ok(outcome) = outcome {
            let _ = reply.send(outcome);
        }
    }
}
