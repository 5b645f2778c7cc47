//! The state every handler shares, and the reload that swaps parts of it.
//!
//! The registry and the key set sit behind `RwLock<Arc<…>>`: a request clones the `Arc` under
//! a read lock held for nanoseconds and never across an await, and a reload builds the new
//! value completely before swapping it in, so a bad file never replaces a good one.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderValue;
use service_runtime::clock::Clock;
use service_runtime::report::Chain;
use shared_config::{Config, ServiceAccount};

use crate::credential_cache::CredentialCache;
use crate::key_watch::KeyTracking;
use crate::keys::KeySet;
use crate::metrics::AuthMetrics;
use crate::registry::Registry;
use crate::reload::ReloadOutcome;
use crate::source_address::TrustedProxies;
use crate::throttle::Throttle;
use crate::token::TokenSettings;
use crate::verification_pool::VerificationPool;

/// What every request of one server reads: config, registry, keys, throttle, metrics.
pub(crate) struct ServiceState {
    pub(crate) config: Config,
    pub(crate) config_path: PathBuf,
    pub(crate) registry_path: PathBuf,
    pub(crate) keys_dir: PathBuf,
    pub(crate) registry: RwLock<Arc<Registry>>,
    pub(crate) keys: RwLock<Arc<KeySet>>,
    /// What key reloads remember between runs (see `key_watch`).
    pub(crate) key_tracking: Mutex<KeyTracking>,
    /// How often the key directory is polled; `None`: only on reload requests.
    pub(crate) key_poll_interval: Option<Duration>,
    /// `Cache-Control` of the JWKS.
    pub(crate) jwks_cache_control: HeaderValue,
    /// `auth.serviceAccounts` by id: what each account's tokens grant.
    pub(crate) accounts: HashMap<String, ServiceAccount>,
    pub(crate) settings: Arc<TokenSettings>,
    pub(crate) health_json: Bytes,
    pub(crate) metadata_json: Bytes,
    pub(crate) throttle: Throttle,
    /// Credentials bcrypt verified recently (see `credential_cache`).
    pub(crate) credential_cache: CredentialCache,
    pub(crate) pool: VerificationPool,
    /// Where tokens for recognised credentials are signed: idle-priority threads of their own,
    /// so a flood of returning clients never delays health or JWKS and never waits for bcrypt.
    pub(crate) signing_pool: VerificationPool,
    pub(crate) metrics: AuthMetrics,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) trusted_proxies: TrustedProxies,
}

impl ServiceState {
    /// Re-reads `service-accounts.yaml` and the key directory (`ServiceState::reload_keys`); each
    /// part that fails keeps what is in force and logs why. Blocking file I/O: call it from a
    /// blocking context.
    pub(crate) fn reload(&self) -> ReloadOutcome {
        let registry = Registry::load(&self.registry_path).and_then(|registry| {
            registry.cross_check(&self.config, &self.config_path, &self.registry_path)?;
            Ok(registry)
        });
        let registry = match registry {
            Ok(registry) => {
                let accounts = registry.len();
                service_runtime::report::log_ignored_keys(
                    &self.registry_path,
                    registry.ignored_keys(),
                );
                let changed = {
                    let mut in_force = self.registry.write().unwrap_or_else(|e| e.into_inner());
                    let changed = in_force.changed_accounts(&registry);
                    *in_force = Arc::new(registry);
                    changed
                };
                // Lookups only consult hashes in force, so a removed hash stopped working with
                // the swap; this frees the memory of every id whose hashes changed.
                self.credential_cache.forget_accounts(&changed);
                tracing::info!(event = "service_accounts_reloaded", accounts, changedAccounts = changed.len(), path = %self.registry_path.display(), "service accounts reloaded");
                Ok(accounts)
            }
            Err(error) => {
                tracing::error!(event = "service_accounts_reload_failed", path = %self.registry_path.display(), error = %Chain(&error), "new service accounts file refused; the previous one stays in force");
                Err(error.to_string())
            }
        };
        let keys = self.reload_keys();
        ReloadOutcome { registry, keys }
    }
}
