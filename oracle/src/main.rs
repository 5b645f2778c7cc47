//! `irsforge-oracle`: parses the command line, sets up logging and hands over to the library.

use std::process::ExitCode;

use anyhow::Context as _;
use oracle::cli::{Cli, Command};
use oracle::{OracleOptions, check, metrics, token};
use service_runtime::logging::Logging;
use service_runtime::report::exit_failure;
use shared_config::ProcessEnv;

const BINARY: &str = "irsforge-oracle";
/// Our own events at info, everyone else's warnings.
const DEFAULT_LOG_FILTER: &str = "warn,oracle=info,irsforge_oracle=info";

#[tokio::main]
async fn main() -> ExitCode {
    let cli: Cli = service_runtime::env::parse_command_line();
    let command = cli.command.clone().unwrap_or(Command::Run);
    let logging = Logging::new(cli.log_format, DEFAULT_LOG_FILTER);
    // `token` prints the token on stdout and `check` its report; logs must not mix in.
    let logging = match command {
        Command::Run => logging,
        _ => logging.to_stderr(),
    };
    if let Err(error) = logging.install() {
        return exit_failure(BINARY, &error);
    }
    match execute(&cli, command).await {
        Ok(code) => code,
        Err(failure) => exit_failure(BINARY, &*failure),
    }
}

async fn execute(cli: &Cli, command: Command) -> anyhow::Result<ExitCode> {
    let environment = ProcessEnv;
    let path = &cli.config;
    // The error names the file.
    let config = shared_config::load(path, &environment)?;
    if !matches!(command, Command::Check) {
        service_runtime::report::log_ignored_keys(path, &config.ignored_keys);
    }
    match command {
        Command::Run => {
            let mut options = OracleOptions::default();
            options.lease = cli.lease.options()?;
            if let Some(port) = cli.metrics_port {
                options.metrics_listener = Some(metrics::bind(cli.metrics_bind, port).await?);
            }
            let stop = service_runtime::signal::shutdown_signal();
            let shutdown = async {
                let signal = stop.await;
                tracing::info!(
                    event = "shutdown_requested",
                    signal = signal.name(),
                    "shutting down"
                );
            };
            oracle::run(&config, &environment, options, shutdown).await?;
        }
        Command::Token { account_id } => {
            let token = token::token_once(&account_id, &config, &environment)
                .await
                .with_context(|| format!("service account `{account_id}`"))?;
            println!("{}", token.expose());
        }
        Command::Check => {
            let report = check::check(&config, &environment);
            println!("ok: config: {} loads and validates", path.display());
            for key in &config.ignored_keys {
                println!("warning: config: unknown key `{key}` ignored");
            }
            print!("{report}");
            // The leader lease's settings (no connection is made).
            let lease_ok = match cli.lease.options() {
                Ok(None) => true,
                Ok(Some(lease)) => {
                    println!("ok: lease: {}", lease.describe());
                    true
                }
                Err(error) => {
                    println!("error: lease: {}", service_runtime::report::Chain(&error));
                    false
                }
            };
            if !report.is_ok() || !lease_ok {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
