//! The service-account registry: `service-accounts.yaml`, parsed, validated and cross-checked
//! against `auth.serviceAccounts` of `irsforge.yaml`.
//!
//! The file holds only credentials (bcrypt hashes); what an account may do (actAs, readAs)
//! lives in `irsforge.yaml`. Both must name the same ids, checked in both directions at boot
//! and on every reload, so a typo never leaves an account that authenticates but has no
//! parties, or a declared account that can never authenticate.
//!
//! ```yaml
//! serviceAccounts:
//!   - id: mark-publisher
//!     clientSecretHash: "$2b$10$…"
//!   - id: scheduler
//!     clientSecretHashes: ["$2b$10$…new", "$2b$10$…old"]   # rotation: both valid
//! ```

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use shared_config::Config;

use crate::error::AuthError;
use crate::secret_hash::{BcryptHash, verify_secret};

/// Files larger than this are refused before parsing; a real registry is a few hundred bytes.
const MAX_REGISTRY_BYTES: u64 = 1024 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRegistry {
    service_accounts: Vec<RawAccount>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawAccount {
    id: String,
    #[serde(default)]
    client_secret_hash: Option<String>,
    #[serde(default)]
    client_secret_hashes: Option<Vec<String>>,
}

/// The validated registry: every account id with one or more well-formed bcrypt hashes.
///
/// Verification does the same bcrypt work whether the id exists or not and whichever hash
/// fails: every failed attempt costs as many verifications as the account with the most
/// hashes has, at the highest cost in the file (real hashes first, then dummies). Only a
/// success returns early, which tells nothing to a caller who does not hold the secret.
#[derive(Debug)]
pub struct Registry {
    accounts: HashMap<String, Vec<BcryptHash>>,
    dummy: BcryptHash,
    verifications_per_failure: usize,
}

impl Registry {
    /// Reads and validates `service-accounts.yaml`.
    pub fn load(path: &Path) -> Result<Self, AuthError> {
        let read_error = |source| AuthError::RegistryRead {
            path: path.to_owned(),
            source,
        };
        let size = std::fs::metadata(path).map_err(read_error)?.len();
        if size > MAX_REGISTRY_BYTES {
            return Err(AuthError::RegistryInvalid {
                path: path.to_owned(),
                problems: vec![format!(
                    "file is {size} bytes; refusing files over {MAX_REGISTRY_BYTES} bytes"
                )],
            });
        }
        let text = std::fs::read_to_string(path).map_err(read_error)?;
        Self::from_yaml(&text, path)
    }

    /// Parses and validates registry text; `path` names it in errors.
    pub fn from_yaml(text: &str, path: &Path) -> Result<Self, AuthError> {
        let invalid = |problems| AuthError::RegistryInvalid {
            path: path.to_owned(),
            problems,
        };
        // serde_yaml_ng's messages carry the YAML path and the line and column already, and
        // quote the offending value; in this file that value is a hash, so it is dropped.
        let raw: RawRegistry = serde_yaml_ng::from_str(text)
            .map_err(|error| invalid(vec![without_value(&error.to_string())]))?;
        let mut problems = Vec::new();
        let mut accounts = HashMap::new();
        let mut seen = HashSet::new();
        for (index, account) in raw.service_accounts.into_iter().enumerate() {
            let at = format!("serviceAccounts[{index}]");
            if account.id.trim().is_empty() {
                problems.push(format!("{at}.id: must not be empty"));
                continue;
            }
            let at = format!("serviceAccounts[id={}]", account.id);
            if !seen.insert(account.id.clone()) {
                problems.push(format!("{at}: duplicate id"));
                continue;
            }
            let mut hashes = Vec::new();
            let single = account
                .client_secret_hash
                .map(|hash| (format!("{at}.clientSecretHash"), hash));
            let several = account
                .client_secret_hashes
                .unwrap_or_default()
                .into_iter()
                .enumerate();
            let several = several.map(|(i, hash)| (format!("{at}.clientSecretHashes[{i}]"), hash));
            for (hash_at, text) in single.into_iter().chain(several) {
                match BcryptHash::parse(&text) {
                    Ok(hash) => hashes.push(hash),
                    Err(error) => problems.push(format!("{hash_at}: {error}")),
                }
            }
            if hashes.is_empty() && !problems.iter().any(|p| p.starts_with(&at)) {
                problems.push(format!(
                    "{at}: needs clientSecretHash or a non-empty clientSecretHashes"
                ));
            }
            accounts.insert(account.id, hashes);
        }
        if problems.is_empty() && accounts.is_empty() {
            problems.push("serviceAccounts: must list at least one account".to_owned());
        }
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
        Ok(Self::from_accounts(accounts))
    }

    fn from_accounts(accounts: HashMap<String, Vec<BcryptHash>>) -> Self {
        let all_hashes = accounts.values().flatten();
        let max_cost = all_hashes.map(BcryptHash::cost).max().unwrap_or(4);
        let verifications_per_failure = accounts.values().map(Vec::len).max().unwrap_or(1);
        Self {
            accounts,
            dummy: BcryptHash::dummy(max_cost),
            verifications_per_failure,
        }
    }

    /// Checks both directions between `auth.serviceAccounts` and this registry. Each mismatch
    /// names the id and both files.
    pub fn cross_check(
        &self,
        config: &Config,
        config_path: &Path,
        registry_path: &Path,
    ) -> Result<(), AuthError> {
        let (config_file, registry_file) = (config_path.display(), registry_path.display());
        let declared: HashSet<&str> = config
            .auth
            .service_accounts
            .iter()
            .map(|account| account.id.as_str())
            .collect();
        let mut problems = Vec::new();
        for account in &config.auth.service_accounts {
            if !self.accounts.contains_key(&account.id) {
                problems.push(format!(
                    "service account `{}` is declared in {config_file} (auth.serviceAccounts) but has no entry in {registry_file}",
                    account.id
                ));
            }
        }
        let mut registered: Vec<&String> = self.accounts.keys().collect();
        registered.sort();
        for id in registered {
            if !declared.contains(id.as_str()) {
                problems.push(format!(
                    "service account `{id}` has an entry in {registry_file} but is not declared in {config_file} (auth.serviceAccounts)"
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(AuthError::RegistryMismatch { problems })
        }
    }

    /// Whether `secret` is a current secret of `client_id`. CPU-bound for several bcrypt
    /// verifications: run it on the verification pool.
    pub fn verify(&self, client_id: &str, secret: &[u8]) -> bool {
        let hashes = self
            .accounts
            .get(client_id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for hash in hashes {
            if verify_secret(secret, hash) {
                return true;
            }
        }
        for _ in hashes.len()..self.verifications_per_failure {
            verify_secret(secret, &self.dummy);
        }
        false
    }

    /// How many accounts the registry holds.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether the registry holds no account (never true for a validated one).
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// How many bcrypt verifications a failed attempt costs.
    pub fn verifications_per_failure(&self) -> usize {
        self.verifications_per_failure
    }
}

#[cfg(test)]
mod tests;

/// `…: invalid type: string "$2b$10$…", expected a sequence at line 3 column 25` →
/// `…: invalid type: string, expected a sequence at line 3 column 25`: the kind of value stays,
/// the value (a bcrypt hash, here) goes.
fn without_value(message: &str) -> String {
    for marker in ["invalid type: ", "invalid value: "] {
        if let Some(start) = message.find(marker) {
            let (head, rest) = message.split_at(start + marker.len());
            let kind = rest.split([' ', ',']).next().unwrap_or_default();
            let tail = rest.find(", expected").map_or("", |index| &rest[index..]);
            return format!("{head}{kind}{tail}");
        }
    }
    message.to_owned()
}
