//! `cargo run`: the whole chain on this machine. Auth service, ledger sandbox (JWKS mode) and
//! oracle in the builtin profile, with generated secrets and keys in `.demo/`; or, with
//! `--profile demo`, the sandbox in HS256 mode and the oracle signing its own tokens.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, ValueEnum};
use irsforge::{Crons, Profile, Stack, StackOptions, Workdir};
use shared_config::ProcessEnv;
use tracing_subscriber::EnvFilter;

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
    /// Log lines as JSON instead of for humans.
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
    let cli = Cli::parse();
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,ledger_sandbox=warn,tower_http=warn"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    if cli.json {
        logs.json().flatten_event(true).init()
    } else {
        logs.compact().init()
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("irsforge: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let profile = match cli.profile {
        ProfileArg::Builtin => Profile::Builtin,
        ProfileArg::Demo => Profile::Demo,
    };
    let mut options = StackOptions::new(profile, Workdir::open(&cli.dir)?);
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
    shutdown_signal().await;
    tracing::info!(event = "demo_stopping", "stopping");
    stack.shutdown().await?;
    Ok(())
}

async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}
