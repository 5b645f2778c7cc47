//! `shared-config`: load, validate and explain `irsforge.yaml`.
//!
//! Every binary of the workspace reads the platform's one configuration file through this crate,
//! so they agree on its schema, its defaults and its error messages. The schema is the
//! platform's own, section by section (`docs/irsforge-yaml.md` in the repository describes it):
//! a file the platform accepts loads here with every default filled in, and a file it refuses is
//! refused here, with every problem at once and each at its YAML path. Three refusals go beyond
//! the platform, each for a reason given where it is made: bare party hints in service accounts
//! outside the demo provider, the demo provider under `profile: production`, and a cron
//! expression that is not 5 or 6 valid fields.
//!
//! # Layout
//!
//! - [`load`] / [`load_str`]: read the text ([`yaml`]: syntax errors carry line and column;
//!   alias bombs and deep nesting are refused by the parser's limits), apply the `IRSFORGE_*`
//!   environment overrides ([`env`]), then read the tree against the schema (`schema`, one file
//!   per section, with the combinators of `reader`) into the typed [`Config`].
//! - [`model`]: the validated, typed configuration: parsed URLs, parsed cron schedules
//!   ([`CronSchedule`]), enums instead of strings, and [`Secret`]s that never print.
//! - [`issues`]: [`Issue`], [`Issues`] and [`YamlPath`](issues::YamlPath).
//! - [`yaml`] and [`reader`]: the YAML front door and the schema combinators, public because the
//!   auth service reads `service-accounts.yaml` with them.
//! - [`env`]: [`EnvSource`], the injectable view of the process environment, and the overrides.
//! - [`error`]: the [`ConfigError`] a load fails with.
//!
//! The crate deliberately knows nothing about `service-accounts.yaml` (that registry belongs
//! to the auth service), does no network I/O and does not depend on tokio.

pub mod cron;
pub mod env;
pub mod error;
pub mod issues;
pub mod model;
pub mod reader;
mod schema;
mod secret;
mod suggest;
pub mod yaml;

use std::path::Path;

pub use cron::{CronError, CronSchedule};
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
    // Read as the platform reads it: bytes that are not UTF-8 (a comment saved as Latin-1, say)
    // become U+FFFD instead of refusing the file.
    let bytes = std::fs::read(path).map_err(read_error)?;
    load_str(&String::from_utf8_lossy(&bytes), &origin, env)
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
    let mut document = yaml::parse(text, origin)?;
    let overrides = env::apply_overrides(&mut document, env);
    let mut reader = reader::Reader::default();
    let config = schema::read(&document, &mut reader);
    let (issues, ignored_keys) = reader.finish();
    match config {
        Some(config) if issues.is_empty() => Ok(Config {
            ignored_keys,
            ..config
        }),
        _ => Err(ConfigError::Invalid {
            origin: origin.to_owned(),
            issues: issues.annotate_overrides(&overrides),
        }),
    }
}
