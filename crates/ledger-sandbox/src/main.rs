//! `ledger-sandbox`: parses flags, sets up logging, binds the port and runs the library until
//! SIGINT or SIGTERM.

use std::process::ExitCode;

use anyhow::Context;
use ledger_sandbox::cli::Cli;
use service_runtime::logging::Logging;
use service_runtime::report::{Chain, exit_failure};

const BINARY: &str = "ledger-sandbox";
/// Our own events at info, everyone else's warnings.
const DEFAULT_LOG_FILTER: &str = "warn,ledger_sandbox=info";

#[tokio::main]
async fn main() -> ExitCode {
    let cli: Cli = service_runtime::env::parse_command_line();
    if let Err(error) = Logging::new(cli.log_format, DEFAULT_LOG_FILTER).install() {
        return exit_failure(BINARY, &error);
    }
    match serve(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(event = "sandbox_failed", reason = %Chain(&*error), "sandbox failed");
            exit_failure(BINARY, &*error)
        }
    }
}

async fn serve(cli: Cli) -> anyhow::Result<()> {
    let options = cli.options();
    service_runtime::serve::raise_descriptor_limit(options.connections.max_connections);
    let addr = cli.socket_addr();
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!(
            "cannot listen on {addr}; is the port taken? choose another with --port or SANDBOX_PORT"
        )
    })?;
    let stop = service_runtime::signal::shutdown_signal();
    let shutdown = async {
        let signal = stop.await;
        tracing::info!(
            event = "shutdown_requested",
            signal = signal.name(),
            "shutdown signal received"
        );
    };
    ledger_sandbox::run(listener, options, shutdown).await?;
    Ok(())
}
