//! Logging, set up the same way by every binary.
//!
//! - Format: `--log-format json|human` or the binary's `<BINARY>_LOG_FORMAT` variable (each
//!   binary declares the flag with its own variable and this module's [`LogFormat`]). JSON
//!   lines, one event a line with its fields flattened, are the services' default; `text` is
//!   accepted for `human` (the oracle's former name).
//! - Colour: only in the human format, and only when the output is a terminal and `NO_COLOR`
//!   is unset: a log redirected to a file or a pipe never holds escape codes.
//! - Filter: `RUST_LOG` when set (an invalid one is refused with [`RuntimeError::LogFilter`],
//!   not silently replaced), else the binary's default plus `service_runtime=info`, so this
//!   crate's own warnings (a signal handler that could not be installed) always show.

use std::io::IsTerminal;

use clap::ValueEnum;
use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

use crate::RuntimeError;
use crate::env;

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LogFormat {
    /// One JSON object a line, fields flattened, each with a stable `event` field.
    #[default]
    Json,
    /// Compact text for a person; coloured on a terminal.
    #[value(alias = "text")]
    Human,
}

/// Where log lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogOutput {
    /// Standard output (services).
    Stdout,
    /// Standard error (commands whose stdout is their result, e.g. `irsforge-oracle token`).
    Stderr,
}

/// What a binary asks of its logging.
#[derive(Debug, Clone, Copy)]
pub struct Logging {
    /// The format.
    pub format: LogFormat,
    /// The `EnvFilter` directives used when `RUST_LOG` is unset, e.g. `warn,auth=info`.
    pub default_filter: &'static str,
    /// Where lines go.
    pub output: LogOutput,
}

impl Logging {
    /// Lines in `format` on stdout, filtered by `RUST_LOG` or else `default_filter`.
    pub fn new(format: LogFormat, default_filter: &'static str) -> Self {
        Self {
            format,
            default_filter,
            output: LogOutput::Stdout,
        }
    }

    /// The same, on stderr.
    pub fn to_stderr(mut self) -> Self {
        self.output = LogOutput::Stderr;
        self
    }

    /// Installs the process's subscriber. Call once, first thing in `main`.
    pub fn install(self) -> Result<(), RuntimeError> {
        let filter = filter(self.default_filter, env::var("RUST_LOG"))?;
        let no_color = env::var("NO_COLOR").is_some();
        let result = match self.output {
            LogOutput::Stdout => {
                let colour = colour(self.format, std::io::stdout().is_terminal(), no_color);
                subscriber(self.format, filter, colour, std::io::stdout).try_init()
            }
            LogOutput::Stderr => {
                let colour = colour(self.format, std::io::stderr().is_terminal(), no_color);
                subscriber(self.format, filter, colour, std::io::stderr).try_init()
            }
        };
        result.map_err(RuntimeError::Subscriber)
    }
}

/// Whether lines get ANSI colour: human format, on a terminal, `NO_COLOR` unset.
pub fn colour(format: LogFormat, is_terminal: bool, no_color: bool) -> bool {
    format == LogFormat::Human && is_terminal && !no_color
}

/// The filter: `rust_log` when given (strictly parsed), else `default` with this crate's own
/// events at info.
pub fn filter(default: &str, rust_log: Option<String>) -> Result<EnvFilter, RuntimeError> {
    let builder = EnvFilter::builder();
    match rust_log {
        Some(directives) => builder
            .parse(directives)
            .map_err(|source| RuntimeError::LogFilter {
                origin: "RUST_LOG",
                source,
            }),
        None => builder
            .parse(format!("{default},service_runtime=info"))
            .map_err(|source| RuntimeError::LogFilter {
                origin: "the default log filter",
                source,
            }),
    }
}

/// The subscriber a binary installs, writing to `writer`; exposed so tests capture exactly
/// what the binaries print.
pub fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    colour: bool,
    writer: W,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Json => Box::new(
            builder
                .with_ansi(false)
                .json()
                .flatten_event(true)
                .with_current_span(false)
                .with_span_list(false)
                .finish(),
        ),
        LogFormat::Human => Box::new(builder.with_ansi(colour).compact().finish()),
    }
}

#[cfg(test)]
mod tests;
