//! `service-runtime`: what every IRSForge binary (`irsforge-auth`, `irsforge-oracle`,
//! `ledger-sandbox`, the `irsforge` demo) does, done once so the binaries cannot disagree.
//!
//! # Layout
//!
//! - [`env`]: the empty-variable rule (a variable set to the empty string counts as unset),
//!   the one place the binaries read the process environment, and clap parsing that follows
//!   the rule for `env = …` arguments.
//! - [`logging`]: `--log-format json|human` / `<BINARY>_LOG_FORMAT`, JSON lines by default,
//!   colour only on a terminal, an `EnvFilter` from `RUST_LOG` or the binary's default.
//! - [`signal`]: the shutdown future (SIGTERM or SIGINT) with one fallback for a handler that
//!   cannot be installed.
//! - [`clock`]: [`Clock`](clock::Clock), the system clock and two test clocks.
//! - [`report`]: an error and its causes on one line, each cause once; the binaries'
//!   `<binary>: <reason>` start-up failure.
//! - [`serve`]: the HTTP/1 serving loop of every server, with header-read and idle timeouts,
//!   a cap on open connections and a shutdown deadline ([`ServeLimits`](serve::ServeLimits));
//!   and, for binaries, the open-file limit raised to fit the cap.
//! - [`error`]: why logging could not be set up ([`RuntimeError`]).
//!
//! Binaries use all of it. Libraries use [`clock`], [`report`], [`serve`] and the
//! [`LogFormat`](logging::LogFormat) their `cli` modules declare; they never install a
//! subscriber nor read the process environment themselves.

pub mod clock;
pub mod env;
pub mod error;
pub mod logging;
pub mod report;
pub mod serve;
pub mod signal;

pub use error::RuntimeError;
