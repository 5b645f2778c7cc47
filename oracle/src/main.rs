//! `irsforge-oracle`: parses the command line, sets up logging and hands over to the library.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use oracle::cli::{Cli, Command, LogFormat};
use oracle::{OracleOptions, check, resolve_service_token};
use shared_config::ProcessEnv;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.clone().unwrap_or(Command::Run);
    // `token` prints the token on stdout; its logs must not mix with it.
    let to_stderr = !matches!(command, Command::Run);
    init_logging(cli.log_format, to_stderr);
    match execute(&cli, command).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("irsforge-oracle: {error:#}");
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
            if let Some(port) = cli.metrics_port {
                let address = (cli.metrics_bind, port);
                let listener = tokio::net::TcpListener::bind(address)
                    .await
                    .with_context(|| {
                        format!("binding the metrics port {}:{port}", cli.metrics_bind)
                    })?;
                options.metrics_listener = Some(listener);
            }
            oracle::run(&config, &ProcessEnv, options, shutdown_signal()).await?;
        }
        Command::Token { account_id } => {
            let handle = resolve_service_token(&account_id, &config, &ProcessEnv)
                .await
                .with_context(|| format!("service account `{account_id}`"))?;
            let token = handle.get_token().await?;
            handle.stop().await;
            println!("{}", token.expose());
        }
        Command::Check => {
            let report = check::check(&config, &ProcessEnv);
            println!("ok: config: {} loads and validates", path.display());
            for finding in &report.findings {
                println!("{finding}");
            }
            if !report.is_ok() {
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

/// Completes on SIGTERM or SIGINT.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = interrupt => {}
        () = async { match terminate.as_mut() { Some(signal) => { signal.recv().await; } None => std::future::pending().await } } => {}
    }
    tracing::info!(event = "shutdown_requested", "shutting down");
}
