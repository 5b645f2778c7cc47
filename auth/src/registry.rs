//! The service-account registry: `service-accounts.yaml`, parsed, validated and cross-checked
//! against `auth.serviceAccounts` of `irsforge.yaml`.
//!
//! The file holds only credentials (bcrypt hashes); what an account may do (actAs, readAs)
//! lives in `irsforge.yaml`. Both must name the same ids, checked in both directions at boot
//! and on every reload, so a typo never leaves an account that authenticates but has no
//! parties, or a declared account that can never authenticate.
//!
//! The file's format is the platform's (a top-level `accounts:` list of `{id,
//! clientSecretHash}`, hashes from `irsforge-auth hash-secret` or the platform's Node one-liner:
//! `$2a$`, `$2b$` and `$2y$` all verify), plus this service's `clientSecretHashes` for rotating a
//! secret without downtime:
//!
//! ```yaml
//! accounts:
//!   - id: mark-publisher
//!     clientSecretHash: "$2b$10$…"
//!   - id: scheduler
//!     clientSecretHashes: ["$2b$10$…new", "$2b$10$…old"]   # rotation: both valid
//! ```
//!
//! It is read like `irsforge.yaml`, through shared-config's reader: the same YAML limits, a key
//! written with no value is not an absent one, and an unknown key is ignored (and reported)
//! unless it looks like a typo of a known key that is absent.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use shared_config::Config;
use shared_config::issues::YamlPath;
use shared_config::reader::Reader;
use shared_config::yaml::{self, Value};

use crate::error::AuthError;
use crate::secret_hash::{BcryptHash, verify_secret};

/// Files larger than this are refused before parsing; a real registry is a few hundred bytes.
const MAX_REGISTRY_BYTES: u64 = 1024 * 1024;

/// The validated registry: every account id with one or more well-formed bcrypt hashes.
///
/// Verification does the same bcrypt work whether the id exists or not, whichever hash fails
/// and whatever costs the file mixes: every failed attempt verifies the same multiset of costs,
/// the *failure plan*, which holds each cost as many times as the account with the most hashes
/// of that cost has. An attempt checks the account's own hashes first (an unknown id has none),
/// then pads with dummy hashes for the costs of the plan its hashes did not cover. Only a
/// success returns early, which tells nothing to a caller who does not hold the secret.
///
/// The plan is the smallest one that every account's hashes fit into. When all hashes share a
/// cost it is that cost, as many times as the most hashes any account has; when costs are
/// mixed (a cost being raised account by account) it can be more than the costliest account's
/// own work (`a: [$12$]`, `b: [$10$]` gives `[12, 10]` for both), which is the price of failures
/// that are identical in count and cost, not merely equal in total.
#[derive(Debug)]
pub struct Registry {
    accounts: HashMap<String, Vec<BcryptHash>>,
    /// The costs a failed attempt verifies, highest first.
    failure_plan: Vec<u32>,
    /// One dummy hash per cost in the plan; building one costs nothing.
    dummies: BTreeMap<u32, BcryptHash>,
    ignored_keys: Vec<String>,
}

/// One bcrypt verification of an attempt.
#[derive(Debug, Clone, Copy)]
enum Check<'a> {
    /// Against one of the account's hashes: a match authenticates.
    Account(&'a BcryptHash),
    /// Against a dummy, for the work only: never authenticates.
    Dummy(&'a BcryptHash),
}

impl Check<'_> {
    #[cfg(test)]
    fn cost(self) -> u32 {
        match self {
            Self::Account(hash) | Self::Dummy(hash) => hash.cost(),
        }
    }
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
        let document = yaml::parse(text, &path.display().to_string())
            .map_err(|error| invalid(vec![error.to_string()]))?;
        let mut reader = Reader::default();
        let accounts = read_accounts(&mut reader, &document);
        let (issues, ignored_keys) = reader.finish();
        match accounts {
            Some(accounts) if issues.is_empty() => Ok(Self {
                ignored_keys,
                ..Self::from_accounts(accounts)
            }),
            _ => Err(invalid(issues.lines())),
        }
    }

    fn from_accounts(accounts: HashMap<String, Vec<BcryptHash>>) -> Self {
        let mut most_per_cost: BTreeMap<u32, usize> = BTreeMap::new();
        for hashes in accounts.values() {
            for (cost, count) in count_per_cost(hashes) {
                let most = most_per_cost.entry(cost).or_default();
                *most = (*most).max(count);
            }
        }
        let failure_plan = most_per_cost
            .iter()
            .rev()
            .flat_map(|(cost, count)| std::iter::repeat_n(*cost, *count))
            .collect();
        let dummies = most_per_cost
            .keys()
            .map(|cost| (*cost, BcryptHash::dummy(*cost)))
            .collect();
        Self {
            accounts,
            failure_plan,
            dummies,
            ignored_keys: Vec::new(),
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
        self.matching_hash(client_id, secret).is_some()
    }

    /// [`Registry::verify`], telling which hash matched (the verified-credential cache keys
    /// on it).
    pub fn matching_hash(&self, client_id: &str, secret: &[u8]) -> Option<&BcryptHash> {
        for check in self.checks(client_id) {
            match check {
                Check::Account(hash) => {
                    if verify_secret(secret, hash) {
                        return Some(hash);
                    }
                }
                // Done for the work only (kept from being optimised away); a dummy never
                // authenticates.
                Check::Dummy(hash) => {
                    std::hint::black_box(verify_secret(secret, hash));
                }
            }
        }
        None
    }

    /// The verifications an attempt for `client_id` makes until one matches: the account's
    /// hashes in file order, then a dummy for each cost of the failure plan they left
    /// uncovered, highest first. Whatever the id, the costs are those of the plan.
    fn checks(&self, client_id: &str) -> Vec<Check<'_>> {
        let hashes = self.hashes(client_id);
        let mut covered = count_per_cost(hashes);
        let mut checks: Vec<Check<'_>> = hashes.iter().map(Check::Account).collect();
        for cost in &self.failure_plan {
            match covered.get_mut(cost) {
                Some(count) if *count > 0 => *count -= 1,
                _ => checks.push(Check::Dummy(&self.dummies[cost])),
            }
        }
        checks
    }

    /// The hashes in force for `client_id` (none for an unknown id).
    pub fn hashes(&self, client_id: &str) -> &[BcryptHash] {
        self.accounts
            .get(client_id)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The ids whose hashes differ in `newer` (changed, or the account is gone), sorted.
    pub fn changed_accounts(&self, newer: &Registry) -> Vec<String> {
        let mut changed: Vec<String> = self
            .accounts
            .iter()
            .filter(|(id, hashes)| newer.accounts.get(*id) != Some(*hashes))
            .map(|(id, _)| id.clone())
            .collect();
        changed.sort();
        changed
    }

    /// How many accounts the registry holds.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether the registry holds no account (never true for a validated one).
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Paths of the unknown keys the file holds, ignored (the server logs each at load).
    pub fn ignored_keys(&self) -> &[String] {
        &self.ignored_keys
    }

    /// How many bcrypt verifications a failed attempt costs.
    pub fn verifications_per_failure(&self) -> usize {
        self.failure_plan.len()
    }

    /// The cost of each bcrypt verification a failed attempt makes, highest first.
    pub fn failure_plan(&self) -> &[u32] {
        &self.failure_plan
    }
}

/// How many of `hashes` have each cost.
fn count_per_cost(hashes: &[BcryptHash]) -> BTreeMap<u32, usize> {
    let mut counts = BTreeMap::new();
    for hash in hashes {
        *counts.entry(hash.cost()).or_default() += 1;
    }
    counts
}

#[cfg(test)]
mod tests;

/// `accounts`: at least one account, ids unique, each with one or more well-formed hashes.
fn read_accounts(
    reader: &mut Reader,
    document: &Value,
) -> Option<HashMap<String, Vec<BcryptHash>>> {
    let root_path = YamlPath::document();
    let root = match document {
        Value::Null => {
            reader.refuse_structure(&root_path, "the file is empty; expected `accounts:`");
            return None;
        }
        document => reader.object(document, &root_path, &["accounts"])?,
    };
    if root.get("accounts").is_none() && root.get("serviceAccounts").is_some() {
        reader.refuse(
            &root_path.key("serviceAccounts"),
            "this file lists its accounts under `accounts:` (rename `serviceAccounts:`); `serviceAccounts` belongs to irsforge.yaml",
        );
    }
    let list = reader.required(&root, "accounts", |r, v, p| r.list(v, p, 1, account))?;
    let mut accounts = HashMap::new();
    let mut complete = true;
    for (index, (id, hashes)) in list.into_iter().enumerate() {
        match accounts.entry(id) {
            std::collections::hash_map::Entry::Occupied(entry) => {
                reader.refuse(
                    &YamlPath::root("accounts").index(index).key("id"),
                    format!("duplicate id {:?}", entry.key()),
                );
                complete = false;
            }
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(hashes);
            }
        }
    }
    complete.then_some(accounts)
}

fn account(
    reader: &mut Reader,
    value: &Value,
    path: &YamlPath,
) -> Option<(String, Vec<BcryptHash>)> {
    let object = reader.object(
        value,
        path,
        &["id", "clientSecretHash", "clientSecretHashes"],
    )?;
    let id = reader.required(&object, "id", Reader::non_empty);
    let single = reader.optional(&object, "clientSecretHash", bcrypt_hash);
    let several = reader.optional(&object, "clientSecretHashes", |r, v, p| {
        r.list(v, p, 0, bcrypt_hash)
    });
    let (single, several) = (single?, several?);
    let hashes: Vec<BcryptHash> = single
        .into_iter()
        .chain(several.into_iter().flatten())
        .collect();
    if hashes.is_empty() {
        reader.refuse(
            path,
            "needs clientSecretHash or a non-empty clientSecretHashes (generate one with `irsforge-auth hash-secret`)",
        );
        return None;
    }
    Some((id?, hashes))
}

/// A bcrypt hash in modular-crypt form. Messages never quote the hash.
fn bcrypt_hash(reader: &mut Reader, value: &Value, path: &YamlPath) -> Option<BcryptHash> {
    let text = reader.string(value, path)?;
    match BcryptHash::parse(&text) {
        Ok(hash) => Some(hash),
        Err(error) => {
            reader.refuse(path, error.to_string());
            None
        }
    }
}
