//! `cargo run`: the whole chain on this machine. Auth service, ledger sandbox (JWKS mode) and
//! oracle in the builtin profile, with generated secrets and keys in `.demo/`; or, with
//! `--profile demo`, the sandbox in HS256 mode and the oracle signing its own tokens.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, ValueEnum};
use irsforge::{Crons, Profile, Stack, StackOptions, Workdir};
use service_runtime::logging::{LogFormat, Logging};
use service_runtime::report::exit_failure;
use shared_config::MapEnv;

const BINARY: &str = "irsforge";
/// The services' events at info; the sandbox's per-request lines only when they are warnings.
const DEFAULT_LOG_FILTER: &str = "info,ledger_sandbox=warn,tower_http=warn";

#[derive(Parser)]
#[command(about = "Run auth, the ledger sandbox and the oracle together (Ctrl-C stops them)")]
struct Cli {
    /// Which auth profile to run.
    #[arg(
        long,
        value_enum,
        default_value = "builtin",
        env = "IRSFORGE_DEMO_PROFILE"
    )]
    profile: ProfileArg,
    /// Work directory for generated secrets, keys and config (git-ignored).
    #[arg(long, default_value = ".demo", env = "IRSFORGE_DEMO_DIR")]
    dir: std::path::PathBuf,
    /// Port of the auth service.
    #[arg(long, default_value_t = 3002, env = "AUTH_PORT")]
    auth_port: u16,
    /// Port of the ledger sandbox.
    #[arg(long, default_value_t = 7575, env = "SANDBOX_PORT")]
    ledger_port: u16,
    /// Log format: human-readable for a person at a terminal (the demo's default), or JSON
    /// lines (`text` is accepted for `human`).
    #[arg(long, env = "IRSFORGE_DEMO_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    log_format: LogFormat,
    /// Same as `--log-format json`.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum ProfileArg {
    Builtin,
    Demo,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli: Cli = service_runtime::env::parse_command_line();
    let format = if cli.json {
        LogFormat::Json
    } else {
        cli.log_format
    };
    if let Err(error) = Logging::new(format, DEFAULT_LOG_FILTER).install() {
        return exit_failure(BINARY, &error);
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => exit_failure(BINARY, &*error),
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let stop = service_runtime::signal::shutdown_signal();
    let profile = match cli.profile {
        ProfileArg::Builtin => Profile::Builtin,
        ProfileArg::Demo => Profile::Demo,
    };
    let mut options = StackOptions::new(profile, Workdir::open(&cli.dir)?);
    options.auth_address = SocketAddr::from(([127, 0, 0, 1], cli.auth_port));
    options.ledger_address = SocketAddr::from(([127, 0, 0, 1], cli.ledger_port));
    options.bcrypt_cost = 10;
    options.crons = Crons::demo();
    options.fallback_env = Some(Arc::new(MapEnv::new(service_runtime::env::vars())));
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
