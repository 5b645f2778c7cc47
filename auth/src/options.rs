//! [`AuthOptions`]: everything the service needs to start, with defaults for the tuning knobs.
//!
//! The binary fills it from flags and `AUTH_*` variables (see `cli`); tests and the demo build
//! it with [`AuthOptions::new`] and change what they need.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use service_runtime::clock::{Clock, SystemClock};
use service_runtime::serve::ServeLimits;
use shared_config::Config;

use crate::keys::{DEFAULT_JWKS_MAX_AGE, DEFAULT_POLL_INTERVAL};
use crate::reload::ReloadRequests;
use crate::source_address::TrustedProxies;
use crate::throttle::ThrottleLimits;

/// How the auth service is set up. Build it with [`AuthOptions::new`].
pub struct AuthOptions {
    /// The loaded `irsforge.yaml`.
    pub config: Config,
    /// Where `config` came from; named in cross-check errors (default `irsforge.yaml`).
    pub config_path: PathBuf,
    /// `service-accounts.yaml`.
    pub service_accounts_path: PathBuf,
    /// The key directory (see [`crate::keys`] for its layout).
    pub keys_dir: PathBuf,
    /// bcrypt worker threads (default: available cores).
    pub bcrypt_workers: usize,
    /// Token requests that may wait for a bcrypt worker before the endpoint sheds with 503
    /// (default: 4 per worker, which keeps the wait of an accepted request near 2.5 bcrypt
    /// verifications).
    pub bcrypt_queue: usize,
    /// How many nice steps the bcrypt workers lower their priority by (default 19). Above 0
    /// they also switch to `SCHED_IDLE` on Linux: they run whenever the async workers are idle
    /// and never delay them. 0 keeps them at normal priority.
    pub bcrypt_nice: i32,
    /// Failure throttling.
    pub throttle: ThrottleLimits,
    /// Most verified credentials remembered (default 4096); 0 disables the cache, and every
    /// request then costs bcrypt.
    pub credential_cache_size: usize,
    /// How long a verified credential is recognised without bcrypt, counted from its bcrypt
    /// verification (default 15 min); zero disables the cache.
    pub credential_cache_ttl: Duration,
    /// Proxies whose `X-Forwarded-For` is believed (default none).
    pub trusted_proxies: TrustedProxies,
    /// Longest time one request may take, body included, before `408` (default 10 s). `None`
    /// disables the limit; tests on a paused clock need that, or tokio's auto-advance would
    /// jump to the deadline while a request waits for a bcrypt thread.
    pub request_timeout: Option<Duration>,
    /// The clock tokens are stamped with (default the system clock).
    pub clock: Arc<dyn Clock>,
    /// Where reload requests come from (the binary's SIGHUP; tests call the trigger directly).
    pub reload: Option<ReloadRequests>,
    /// The JWKS `Cache-Control: max-age` (default 300 s, at most a day). Staged rotations
    /// (`keys rotate`) wait for it; every server on one key directory must use the same.
    pub jwks_max_age: Duration,
    /// How often the key directory is read for changes (default 2 s, at most
    /// [`crate::keys::MAX_NOTICE`], which staged rotations count on); `None` reads it only on
    /// reload requests.
    pub key_poll_interval: Option<Duration>,
    /// The bounds of the HTTP connections (`service_runtime::serve`): a request head within
    /// 10 s, a keep-alive connection idle at most 60 s, at most 1024 open connections (the
    /// binary's `--max-connections`), and shutdown within 10 s.
    pub connections: ServeLimits,
}

impl AuthOptions {
    /// Options with every default: the given config and paths, one bcrypt worker per core,
    /// throttling at its defaults (60 failures a minute per address, 30 per client id and
    /// address), a verified-credential cache of 4096 entries for 15 minutes, no trusted
    /// proxies, the system clock, no reload source.
    pub fn new(
        config: Config,
        service_accounts_path: impl Into<PathBuf>,
        keys_dir: impl Into<PathBuf>,
    ) -> Self {
        let workers = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            config,
            config_path: PathBuf::from(shared_config::DEFAULT_CONFIG_PATH),
            service_accounts_path: service_accounts_path.into(),
            keys_dir: keys_dir.into(),
            bcrypt_workers: workers,
            bcrypt_queue: workers * 4,
            bcrypt_nice: 19,
            throttle: ThrottleLimits::default(),
            credential_cache_size: crate::credential_cache::DEFAULT_MAX_ENTRIES,
            credential_cache_ttl: crate::credential_cache::DEFAULT_MAX_AGE,
            trusted_proxies: TrustedProxies::default(),
            request_timeout: Some(Duration::from_secs(10)),
            clock: Arc::new(SystemClock),
            reload: None,
            jwks_max_age: DEFAULT_JWKS_MAX_AGE,
            key_poll_interval: Some(DEFAULT_POLL_INTERVAL),
            connections: ServeLimits::default(),
        }
    }

    /// Names the config file in error messages.
    pub fn with_config_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.config_path = path.into();
        self
    }

    /// Stamps tokens with this clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Reloads `service-accounts.yaml` and the key set whenever the trigger paired with
    /// `requests` fires (see [`crate::reload_channel`]).
    pub fn with_reload(mut self, requests: ReloadRequests) -> Self {
        self.reload = Some(requests);
        self
    }
}

impl std::fmt::Debug for AuthOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthOptions")
            .field("config_path", &self.config_path)
            .field("service_accounts_path", &self.service_accounts_path)
            .field("keys_dir", &self.keys_dir)
            .field("bcrypt_workers", &self.bcrypt_workers)
            .field("bcrypt_queue", &self.bcrypt_queue)
            .field("bcrypt_nice", &self.bcrypt_nice)
            .field("throttle", &self.throttle)
            .field("credential_cache_size", &self.credential_cache_size)
            .field("credential_cache_ttl", &self.credential_cache_ttl)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("request_timeout", &self.request_timeout)
            .field("jwks_max_age", &self.jwks_max_age)
            .field("key_poll_interval", &self.key_poll_interval)
            .field("connections", &self.connections)
            .finish_non_exhaustive()
    }
}
