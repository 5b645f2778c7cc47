//! `irsforge-auth`: parses the command line, installs logging, runs the command and turns
//! its result into an exit code. Everything else lives in the `auth` library.

use std::process::ExitCode;

use auth::cli::Cli;
use service_runtime::logging::Logging;
use service_runtime::report::exit_failure;

const BINARY: &str = "irsforge-auth";
/// Our own events at info, everyone else's warnings.
const DEFAULT_LOG_FILTER: &str = "warn,auth=info,irsforge_auth=info";

fn main() -> ExitCode {
    let cli: Cli = service_runtime::env::parse_command_line();
    if let Err(error) = Logging::new(cli.log_format, DEFAULT_LOG_FILTER).install() {
        return exit_failure(BINARY, &error);
    }
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
        Err(error) => return exit_failure(BINARY, &error),
    };
    match runtime.block_on(auth::cli::execute(cli)) {
        Ok(outcome) => {
            if let Some(text) = outcome.stdout {
                println!("{text}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => exit_failure(BINARY, &error),
    }
}
