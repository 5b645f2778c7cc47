//! The command line of `cargo run` (the `irsforge` binary). Every flag but `--json` also reads
//! an environment variable; an empty one counts as unset (`main.rs` parses with
//! `service_runtime::env::parse_command_line`).

use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use service_runtime::logging::LogFormat;

use crate::Profile;

/// Run auth, the ledger sandbox and the oracle together (Ctrl-C stops them).
#[derive(Debug, Parser)]
#[command(name = "irsforge")]
pub struct Cli {
    /// Which auth profile to run.
    #[arg(
        long,
        value_enum,
        default_value = "builtin",
        env = "IRSFORGE_DEMO_PROFILE"
    )]
    pub profile: ProfileArg,
    /// Work directory for generated secrets, keys and config (git-ignored).
    #[arg(long, default_value = ".demo", env = "IRSFORGE_DEMO_DIR")]
    pub dir: PathBuf,
    /// Port of the auth service.
    #[arg(long, default_value_t = 3002, env = "AUTH_PORT")]
    pub auth_port: u16,
    /// Port of the ledger sandbox.
    #[arg(long, default_value_t = 7575, env = "SANDBOX_PORT")]
    pub ledger_port: u16,
    /// Log format: human-readable for a person at a terminal (the demo's default), or JSON
    /// lines (`text` is accepted for `human`).
    #[arg(long, env = "IRSFORGE_DEMO_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    /// Same as `--log-format json`.
    #[arg(long)]
    pub json: bool,
}

/// The profiles the demo runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfileArg {
    /// Auth service, sandbox verifying RS256 against its JWKS, oracle with client credentials.
    Builtin,
    /// No auth service; sandbox in HS256 mode, oracle signing its own tokens.
    Demo,
}

impl Cli {
    /// The stack's profile.
    pub fn profile(&self) -> Profile {
        match self.profile {
            ProfileArg::Builtin => Profile::Builtin,
            ProfileArg::Demo => Profile::Demo,
        }
    }

    /// The log format: `--json` wins, as it always meant JSON lines.
    pub fn log_format(&self) -> LogFormat {
        if self.json {
            LogFormat::Json
        } else {
            self.log_format
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn format_of(args: &[&str]) -> LogFormat {
        let args = std::iter::once("irsforge").chain(args.iter().copied());
        service_runtime::env::try_parse_from::<Cli, _, _>(args)
            .unwrap()
            .log_format()
    }

    #[test]
    fn log_formats_like_every_binary_with_json_as_an_alias() {
        assert_eq!(format_of(&[]), LogFormat::Human);
        assert_eq!(format_of(&["--log-format", "json"]), LogFormat::Json);
        assert_eq!(format_of(&["--log-format", "human"]), LogFormat::Human);
        assert_eq!(format_of(&["--log-format", "text"]), LogFormat::Human);
        assert_eq!(format_of(&["--json"]), LogFormat::Json);
        assert_eq!(
            format_of(&["--json", "--log-format", "human"]),
            LogFormat::Json
        );
        assert!(Cli::try_parse_from(["irsforge", "--log-format", "yaml"]).is_err());
        let command = Cli::command();
        let log_format = command
            .get_arguments()
            .find(|arg| arg.get_id() == "log_format")
            .unwrap();
        assert_eq!(
            log_format.get_env(),
            Some(std::ffi::OsStr::new("IRSFORGE_DEMO_LOG_FORMAT"))
        );
    }
}
