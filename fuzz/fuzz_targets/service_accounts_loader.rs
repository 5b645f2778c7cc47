//! The `service-accounts.yaml` loader (`auth::registry::Registry::from_yaml`) on arbitrary
//! text, followed by the cross-check against the example `irsforge.yaml`.
//!
//! # Checks
//!
//! - no panic; a refusal is `RegistryInvalid` with at least one non-empty problem;
//! - an accepted registry is non-empty, costs at least one verification per failure, and its
//!   `Debug` shows none of its hashes;
//! - the cross-check either passes or lists its mismatches.
//!
//! Verification itself is not run: an accepted hash may have cost 31, hours of bcrypt.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use auth::AuthError;
use auth::registry::Registry;
use libfuzzer_sys::fuzz_target;

const CONFIG_TEXT: &str = include_str!("../../examples/irsforge.builtin.yaml");

fn config() -> &'static shared_config::Config {
    static CONFIG: OnceLock<shared_config::Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        shared_config::load_str(
            CONFIG_TEXT,
            "irsforge.yaml",
            &shared_config::MapEnv::default(),
        )
        .expect("example config")
    })
}

/// The ids and the hash strings of the accounts in the text, read the way the loader reads it.
fn ids_and_hashes(text: &str) -> (Vec<String>, Vec<String>) {
    let document: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).unwrap_or_default();
    let accounts = document["accounts"]
        .as_sequence()
        .cloned()
        .unwrap_or_default();
    let strings = |value: &serde_yaml_ng::Value| value.as_str().map(str::to_owned);
    let ids = accounts
        .iter()
        .filter_map(|account| strings(&account["id"]))
        .collect();
    let hashes = accounts
        .iter()
        .flat_map(|account| {
            let several = account["clientSecretHashes"]
                .as_sequence()
                .cloned()
                .unwrap_or_default();
            strings(&account["clientSecretHash"])
                .into_iter()
                .chain(several.iter().filter_map(strings).collect::<Vec<_>>())
        })
        .collect();
    (ids, hashes)
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let path = Path::new("service-accounts.yaml");
    match Registry::from_yaml(&text, path) {
        Ok(registry) => {
            assert!(!registry.is_empty(), "an accepted registry is empty");
            assert!(registry.len() >= 1 && registry.verifications_per_failure() >= 1);
            // Ids are shown, and an id may contain anything, a hash included.
            let debug = format!("{registry:?}");
            let (ids, hashes) = ids_and_hashes(&text);
            for hash in hashes {
                if !ids.iter().any(|id| id.contains(&hash)) {
                    assert!(!debug.contains(&hash), "Debug shows a hash: {debug}");
                }
            }
            match registry.cross_check(config(), Path::new("irsforge.yaml"), path) {
                Ok(()) => {}
                Err(AuthError::RegistryMismatch { problems }) => assert!(!problems.is_empty()),
                Err(other) => panic!("unexpected cross-check error: {other}"),
            }
        }
        Err(AuthError::RegistryInvalid { problems, .. }) => {
            assert!(!problems.is_empty(), "RegistryInvalid without problems");
            assert!(problems.iter().all(|problem| !problem.is_empty()));
        }
        Err(other) => panic!("unexpected error: {other}"),
    }
});
