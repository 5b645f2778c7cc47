//! The command line of `irsforge-oracle`.
//!
//! With no subcommand (or `run`) the binary runs the services. `token <account-id>` prints one
//! token from the resolver on stdout (logs go to stderr), for scripts. `check` validates the
//! config and the presence of what each account needs, without network, and exits 0 or 1.
//!
//! `--lease-database-url` / `ORACLE_LEASE_DATABASE_URL` (with `--lease-ttl-seconds`,
//! `--instance-id`) elects one leader among replicas ([`crate::lease`]); unset, the oracle
//! runs alone.
//!
//! Every path and setting can come from a flag or an environment variable, so a service
//! manager can configure it either way. `/metrics` is off unless a port is given: a scrape
//! endpoint is something an operator opts into and places, not a surprise listener.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// `irsforge-oracle`: the IRSForge oracle's mark-publisher and scheduler services.
#[derive(Debug, Parser)]
#[command(name = "irsforge-oracle", version)]
pub struct Cli {
    /// The platform config file.
    #[arg(
        long,
        env = shared_config::CONFIG_PATH_ENV,
        default_value = shared_config::DEFAULT_CONFIG_PATH,
        global = true
    )]
    pub config: PathBuf,
    /// Log format: JSON lines (default) or human-readable text.
    #[arg(long, env = "ORACLE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Json, global = true)]
    pub log_format: LogFormat,
    /// Serve Prometheus metrics at /metrics on this port; off when unset.
    #[arg(long, env = "ORACLE_METRICS_PORT")]
    pub metrics_port: Option<u16>,
    /// The address the metrics port listens on.
    #[arg(long, env = "ORACLE_METRICS_BIND", default_value = "0.0.0.0")]
    pub metrics_bind: IpAddr,
    /// The leader lease among replicas (`ORACLE_LEASE_*`, `ORACLE_INSTANCE_ID`).
    #[command(flatten)]
    pub lease: crate::lease::LeaseArgs,
    /// What to do; the default is `run`.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Run the services until SIGTERM or SIGINT.
    Run,
    /// Print a token for a service account from the resolver.
    Token {
        /// The service account, e.g. `mark-publisher`.
        account_id: String,
    },
    /// Validate the config and the presence of secrets and schedules; exit 0 or 1.
    Check,
}

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line, with a stable `event` field.
    Json,
    /// Human-readable text.
    Text,
}
