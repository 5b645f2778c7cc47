//! `cargo run`: the whole chain on this machine. Auth service, ledger sandbox (JWKS mode) and
//! oracle in the builtin profile, with generated secrets and keys in `.demo/`; or, with
//! `--profile demo`, the sandbox in HS256 mode and the oracle signing its own tokens.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use irsforge::cli::Cli;
use irsforge::{Crons, Stack, StackOptions, Workdir};
use service_runtime::logging::Logging;
use service_runtime::report::exit_failure;
use shared_config::ProcessEnv;

const BINARY: &str = "irsforge";
/// The services' events at info; the sandbox's per-request lines only when they are warnings.
const DEFAULT_LOG_FILTER: &str = "info,ledger_sandbox=warn,tower_http=warn";

#[tokio::main]
async fn main() -> ExitCode {
    let cli: Cli = service_runtime::env::parse_command_line();
    if let Err(error) = Logging::new(cli.log_format(), DEFAULT_LOG_FILTER).install() {
        return exit_failure(BINARY, &error);
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => exit_failure(BINARY, &*error),
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    // Installed first, so a Ctrl-C while the stack starts stops it once it runs.
    let stop = service_runtime::signal::shutdown_signal();
    let mut options = StackOptions::new(cli.profile(), Workdir::open(&cli.dir)?);
    options.auth_address = SocketAddr::from(([127, 0, 0, 1], cli.auth_port));
    options.ledger_address = SocketAddr::from(([127, 0, 0, 1], cli.ledger_port));
    options.bcrypt_cost = 10;
    options.crons = Crons::demo();
    options.fallback_env = Some(Arc::new(ProcessEnv));
    let stack = Stack::start(options).await?;
    tracing::info!(
        event = "demo_started",
        ledger = %stack.sandbox.base_url(),
        auth = ?stack.auth.as_ref().map(|auth| format!("http://{}", auth.address())),
        "demo running: marks, lifecycle, netting and maturity follow within a minute; Ctrl-C stops"
    );
    let signal = stop.await;
    tracing::info!(event = "demo_stopping", signal = signal.name(), "stopping");
    stack.shutdown().await?;
    Ok(())
}
