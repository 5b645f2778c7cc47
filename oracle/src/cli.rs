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
//! manager can configure it either way; an empty variable counts as unset (`main.rs` parses
//! with `service_runtime::env::parse_command_line`). `/metrics` is off unless a port is given: a scrape
//! endpoint is something an operator opts into and places, not a surprise listener.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use service_runtime::logging::LogFormat;

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
    /// Log format: JSON lines (default) or human-readable (`text` is accepted for `human`).
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        let args = std::iter::once("irsforge-oracle").chain(args.iter().copied());
        service_runtime::env::try_parse_from(args)
    }

    #[test]
    fn log_formats_like_every_binary() {
        assert_eq!(parse(&[]).unwrap().log_format, LogFormat::Json);
        for (value, format) in [
            ("json", LogFormat::Json),
            ("human", LogFormat::Human),
            ("text", LogFormat::Human),
        ] {
            assert_eq!(parse(&["--log-format", value]).unwrap().log_format, format);
            let cli = parse(&["token", "mark-publisher", "--log-format", value]).unwrap();
            assert_eq!(cli.log_format, format);
        }
        assert!(parse(&["--log-format", "yaml"]).is_err());
        let command = Cli::command();
        let argument = command
            .get_arguments()
            .find(|arg| arg.get_id() == "log_format")
            .unwrap();
        assert_eq!(
            argument.get_env(),
            Some(std::ffi::OsStr::new("ORACLE_LOG_FORMAT"))
        );
    }
}
