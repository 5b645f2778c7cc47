//! `irsforge-oracle`: parses the command line, sets up logging and hands over to the library.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use oracle::cli::{Cli, Command, LogFormat};
use oracle::{OracleOptions, check, error, metrics, service, token};
use shared_config::ProcessEnv;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.clone().unwrap_or(Command::Run);
    // `token` prints the token on stdout and `check` its report; logs must not mix in.
    init_logging(cli.log_format, !matches!(command, Command::Run));
    match execute(&cli, command).await {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("irsforge-oracle: {}", error::one_line(failure.as_ref()));
            ExitCode::FAILURE
        }
    }
}

async fn execute(cli: &Cli, command: Command) -> anyhow::Result<ExitCode> {
    let path = &cli.config;
    let config = shared_config::load(path, &ProcessEnv)
        .with_context(|| format!("loading config from {}", path.display()))?;
    match command {
        Command::Run => {
            let mut options = OracleOptions::default();
            options.lease = cli.lease.options()?;
            if let Some(port) = cli.metrics_port {
                options.metrics_listener = Some(metrics::bind(cli.metrics_bind, port).await?);
            }
            oracle::run(&config, &ProcessEnv, options, service::shutdown_signal()).await?;
        }
        Command::Token { account_id } => {
            let token = token::token_once(&account_id, &config, &ProcessEnv)
                .await
                .with_context(|| format!("service account `{account_id}`"))?;
            println!("{}", token.expose());
        }
        Command::Check => {
            let report = check::check(&config, &ProcessEnv);
            println!("ok: config: {} loads and validates", path.display());
            print!("{report}");
            // The leader lease's settings (no connection is made).
            let lease_ok = match cli.lease.options() {
                Ok(None) => true,
                Ok(Some(lease)) => {
                    println!("ok: lease: {}", lease.describe());
                    true
                }
                Err(error) => {
                    println!("error: lease: {}", error::one_line(&error));
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

fn init_logging(format: LogFormat, to_stderr: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let writer = move || -> Box<dyn std::io::Write> {
        if to_stderr {
            Box::new(std::io::stderr())
        } else {
            Box::new(std::io::stdout())
        }
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_span_list(false)
            .init(),
        LogFormat::Text => builder.init(),
    }
}
