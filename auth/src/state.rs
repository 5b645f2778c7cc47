//! The state every handler shares, and the reload that swaps parts of it.
//!
//! The registry and the key set sit behind `RwLock<Arc<…>>`: a request clones the `Arc` under
//! a read lock held for nanoseconds and never across an await, and a reload builds the new
//! value completely before swapping it in, so a bad file never replaces a good one.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use axum::body::Bytes;
use service_runtime::clock::Clock;
use service_runtime::report::Chain;
use shared_config::{Config, ServiceAccount};

use crate::keys::{self, KeySet};
use crate::metrics::AuthMetrics;
use crate::registry::Registry;
use crate::reload::ReloadOutcome;
use crate::source_address::TrustedProxies;
use crate::throttle::Throttle;
use crate::token::TokenSettings;
use crate::verification_pool::VerificationPool;

/// Shared by every request of one server.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) config_path: PathBuf,
    pub(crate) registry_path: PathBuf,
    pub(crate) keys_dir: PathBuf,
    pub(crate) registry: RwLock<Arc<Registry>>,
    pub(crate) keys: RwLock<Arc<KeySet>>,
    /// `auth.serviceAccounts` by id: what each account's tokens grant.
    pub(crate) accounts: HashMap<String, ServiceAccount>,
    pub(crate) settings: Arc<TokenSettings>,
    pub(crate) health_json: Bytes,
    pub(crate) metadata_json: Bytes,
    pub(crate) throttle: Throttle,
    pub(crate) pool: VerificationPool,
    pub(crate) metrics: AuthMetrics,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) trusted_proxies: TrustedProxies,
}

impl Shared {
    /// Re-reads `service-accounts.yaml` and the key directory; each part that fails keeps
    /// what is in force and logs why. Blocking file I/O: call it from a blocking context.
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
                *self.registry.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(registry);
                tracing::info!(event = "service_accounts_reloaded", accounts, path = %self.registry_path.display(), "service accounts reloaded");
                Ok(accounts)
            }
            Err(error) => {
                tracing::error!(event = "service_accounts_reload_failed", path = %self.registry_path.display(), error = %Chain(&error), "new service accounts file refused; the previous one stays in force");
                Err(error.to_string())
            }
        };
        let keys = match keys::load_existing(&self.keys_dir) {
            Ok(key_set) => {
                let kids: Vec<String> = key_set
                    .published()
                    .iter()
                    .map(|jwk| jwk.kid.clone())
                    .collect();
                let active_kid = key_set.active().kid().to_owned();
                *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(key_set);
                tracing::info!(event = "keys_reloaded", activeKid = %active_kid, published = ?kids, "key set reloaded");
                Ok(kids)
            }
            Err(error) => {
                tracing::error!(event = "keys_reload_failed", dir = %self.keys_dir.display(), error = %Chain(&error), "key set refused; the previous one stays in force");
                Err(error.to_string())
            }
        };
        ReloadOutcome { registry, keys }
    }
}
