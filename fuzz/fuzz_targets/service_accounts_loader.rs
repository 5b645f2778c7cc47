//! The `service-accounts.yaml` loader (`auth::registry::Registry::from_yaml`) on arbitrary
//! text, followed by the cross-check against the example `irsforge.yaml`.
//!
//! # Checks
//!
//! - no panic; a refusal is `RegistryInvalid` with at least one non-empty problem;
//! - an accepted registry is non-empty, costs at least one verification per failure, and its
//!   `Debug` shows no hash text that appears in the input;
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

/// Every 60-character `$2…` run in the text: what a hash in the input could look like.
fn hash_like(text: &str) -> Vec<&str> {
    text.match_indices("$2")
        .filter_map(|(at, _)| text.get(at..at + 60))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let path = Path::new("service-accounts.yaml");
    match Registry::from_yaml(&text, path) {
        Ok(registry) => {
            assert!(!registry.is_empty(), "an accepted registry is empty");
            assert!(registry.len() >= 1 && registry.verifications_per_failure() >= 1);
            let debug = format!("{registry:?}");
            for hash in hash_like(&text) {
                assert!(!debug.contains(hash), "Debug shows a hash: {debug}");
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
