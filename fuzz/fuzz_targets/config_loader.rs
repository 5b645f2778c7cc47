//! `shared_config::load_str` on arbitrary text and environments.
//!
//! # Input format
//!
//! The bytes up to the first NUL are the config text; after it, `NAME=value` lines form the
//! environment (`MapEnv`), so the `IRSFORGE_*` overrides are fuzzed with the file. Text that is
//! valid UTF-8 is loaded as is; the whole input is also loaded after lossy UTF-8 conversion
//! (NULs and invalid sequences included), with an empty environment.
//!
//! # Checks
//!
//! - no panic, and every error formats (`Display` and `Debug`) and names the origin;
//! - an `Invalid` error lists at least one issue, each with a non-empty message;
//! - with both secret overrides (`IRSFORGE_OIDC_CLIENT_SECRET`,
//!   `IRSFORGE_DAML_UNSAFE_JWT_SECRET`) set to a marker the text does not contain, neither the
//!   loaded config's `Debug` nor any error text contains the marker.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shared_config::{ConfigError, MapEnv, load_str};

const ORIGIN: &str = "fuzz/irsforge.yaml";
const SECRET_MARKER: &str = "fuzz-marker-secret-9f3c1d";
const SECRET_VARIABLES: [&str; 2] = [
    "IRSFORGE_OIDC_CLIENT_SECRET",
    "IRSFORGE_DAML_UNSAFE_JWT_SECRET",
];

fn environment(bytes: &[u8]) -> MapEnv {
    let text = String::from_utf8_lossy(bytes);
    MapEnv::new(text.lines().filter_map(|line| line.split_once('=')))
}

/// Loads `text` and checks the outcome; returns everything the caller may see of it.
fn load_and_check(text: &str, env: &MapEnv) -> String {
    match load_str(text, ORIGIN, env) {
        Ok(config) => format!("{config:?}"),
        Err(error) => {
            let shown = error.to_string();
            assert!(
                shown.starts_with(ORIGIN),
                "error does not name the origin: {shown}"
            );
            if let ConfigError::Invalid { issues, .. } = &error {
                assert!(!issues.is_empty(), "Invalid without issues");
                for issue in issues.iter() {
                    assert!(
                        !issue.message.is_empty(),
                        "issue without a message at {}",
                        issue.path
                    );
                }
            }
            format!("{shown}\n{error:?}")
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (text, env) = match data.iter().position(|byte| *byte == 0) {
        Some(at) => (&data[..at], environment(&data[at + 1..])),
        None => (data, MapEnv::default()),
    };
    if let Ok(text) = std::str::from_utf8(text) {
        load_and_check(text, &env);
        if !text.contains(SECRET_MARKER) {
            let mut env = env.clone();
            for variable in SECRET_VARIABLES {
                env.set(variable, SECRET_MARKER);
            }
            let seen = load_and_check(text, &env);
            assert!(!seen.contains(SECRET_MARKER), "a secret leaked: {seen}");
        }
    }
    load_and_check(&String::from_utf8_lossy(data), &MapEnv::default());
});
