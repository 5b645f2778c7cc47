//! `shared-config`: load, validate and explain `irsforge.yaml`.
//!
//! Every binary of the workspace reads the platform's one configuration file through this crate,
//! so they agree on its schema, its defaults and its error messages.
//!
//! # Layout
//!
//! - [`load`] / [`load_str`]: the two-phase loader. Phase one parses YAML (syntax errors carry
//!   line and column; alias bombs and deep nesting are refused by the YAML parser's limits),
//!   applies the `IRSFORGE_*` environment overrides ([`env`]) and deserialises the modelled
//!   sections into private raw structs, collecting every type error and unknown key. Phase two
//!   ([`validate`]) checks what serde cannot and converts the raw structs into the typed
//!   [`Config`]. Problems from both phases come back together as one list of [`Issue`]s, each
//!   with its YAML path, so an operator fixes everything in one pass.
//! - [`model`]: the validated, typed configuration the services consume: parsed URLs, parsed
//!   cron schedules, enums instead of strings, and [`Secret`]s that never print.
//! - [`issues`]: [`Issue`], [`Issues`] and the YAML path builder.
//! - [`env`]: [`EnvSource`], the injectable view of the process environment, and the table of
//!   overrides.
//! - [`error`]: the [`ConfigError`] a load fails with.
//!
//! The crate deliberately knows nothing about `service-accounts.yaml` (that registry belongs
//! to the auth service), does no network I/O and does not depend on tokio.

pub mod env;
pub mod error;
pub mod issues;
pub mod model;
mod parse;
mod raw;
mod secret;
mod suggest;
mod validate;

use std::path::Path;

pub use env::{EnvSource, MapEnv, ProcessEnv};
pub use error::ConfigError;
pub use issues::{Issue, Issues};
pub use model::*;
pub use secret::Secret;

/// Environment variable naming the config file when no `--config` flag is given.
pub const CONFIG_PATH_ENV: &str = "IRSFORGE_CONFIG_PATH";
/// The config file used when neither the flag nor [`CONFIG_PATH_ENV`] names one.
pub const DEFAULT_CONFIG_PATH: &str = "irsforge.yaml";
/// Files larger than this are refused before parsing; a real `irsforge.yaml` is a few KiB.
pub const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;

/// Reads, overrides and validates the config file at `path`.
pub fn load(path: &Path, env: &dyn EnvSource) -> Result<Config, ConfigError> {
    let origin = path.display().to_string();
    let read_error = |source| ConfigError::Read {
        path: origin.clone(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read_error)?.len();
    if size > MAX_CONFIG_BYTES {
        return Err(ConfigError::TooLarge {
            origin,
            size,
            limit: MAX_CONFIG_BYTES,
        });
    }
    let text = std::fs::read_to_string(path).map_err(read_error)?;
    load_str(&text, &origin, env)
}

/// Parses, overrides and validates configuration text. `origin` names the text in errors
/// (usually the file path).
pub fn load_str(text: &str, origin: &str, env: &dyn EnvSource) -> Result<Config, ConfigError> {
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(ConfigError::TooLarge {
            origin: origin.to_owned(),
            size: text.len() as u64,
            limit: MAX_CONFIG_BYTES,
        });
    }
    let mut document = parse::parse_document(text, origin)?;
    let mut issues = Issues::default();
    let overrides = env::apply_overrides(&mut document, env, &mut issues);
    parse::check_top_level_keys(&document, &mut issues);
    let raw = parse::deserialize_collecting::<raw::RawConfig>(document, &mut issues);
    let config = raw.and_then(|raw| validate::validate(raw, &mut issues));
    match config {
        Some(config) if issues.is_empty() => Ok(config),
        _ => Err(ConfigError::Invalid {
            origin: origin.to_owned(),
            issues: issues.annotate_overrides(&overrides),
        }),
    }
}
