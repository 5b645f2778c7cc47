//! `irsforge-auth`: parses the command line, installs logging, runs the command and turns
//! its result into an exit code. Everything else lives in the `auth` library.

use std::process::ExitCode;

use auth::cli::{Cli, LogFormat};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse_args();
    install_logging(cli.log_format);
    // The async workers only parse requests and answer them; two of them (one per core on
    // the target machine) keep their caches warm, while bcrypt runs on its own threads.
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(4);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .max_blocking_threads(4)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("irsforge-auth: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(auth::cli::execute(cli)) {
        Ok(outcome) => {
            if let Some(text) = outcome.stdout {
                println!("{text}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("irsforge-auth: {error}");
            ExitCode::FAILURE
        }
    }
}

fn install_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("auth=info,irsforge_auth=info,tower_http=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stdout);
    match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
        LogFormat::Human => builder.init(),
    }
}
