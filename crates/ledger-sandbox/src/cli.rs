//! The `ledger-sandbox` binary's flags; every flag also reads an environment variable, and an
//! empty variable counts as unset (`main.rs` parses with
//! `service_runtime::env::parse_command_line`).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::{ArgGroup, Parser};
use service_runtime::logging::LogFormat;
use url::Url;

use crate::options::{DEFAULT_LEDGER_ID, DEFAULT_NAMESPACE_FINGERPRINT};
use crate::{AuthMode, SandboxOptions};

/// A Canton JSON API v1 stand-in holding the IRSForge world.
///
/// Exactly one of `--hs256-secret` and `--jwks-url` chooses how tokens are verified.
#[derive(Parser)]
#[command(name = "ledger-sandbox", version)]
#[command(group(ArgGroup::new("auth").required(true).args(["hs256_secret", "jwks_url"])))]
pub struct Cli {
    /// Address to listen on.
    #[arg(long, env = "SANDBOX_BIND", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Port to listen on.
    #[arg(long, env = "SANDBOX_PORT", default_value_t = 7575)]
    pub port: u16,
    /// Verify HS256 tokens with this shared secret (unsafe; demo profile).
    #[arg(long, env = "SANDBOX_HS256_SECRET", hide_env_values = true)]
    pub hs256_secret: Option<String>,
    /// Verify RS256 tokens against the JWKS at this URL.
    #[arg(long, env = "SANDBOX_JWKS_URL")]
    pub jwks_url: Option<Url>,
    /// The ledger id tokens must carry; also the participant name.
    #[arg(long, env = "SANDBOX_LEDGER_ID", default_value = DEFAULT_LEDGER_ID)]
    pub ledger_id: String,
    /// When set, the applicationId command and query tokens must carry.
    #[arg(long, env = "SANDBOX_APPLICATION_ID")]
    pub application_id: Option<String>,
    /// The namespace fingerprint of allocated party ids (`1220` + 64 hex digits).
    #[arg(long, env = "SANDBOX_NAMESPACE_FINGERPRINT", default_value = DEFAULT_NAMESPACE_FINGERPRINT)]
    pub namespace_fingerprint: String,
    /// Leeway in seconds for the exp, nbf and iat checks.
    #[arg(long, env = "SANDBOX_LEEWAY_SECONDS", default_value_t = 0)]
    pub leeway_seconds: u64,
    /// Minimum seconds between two JWKS fetches triggered by unknown key ids.
    #[arg(
        long,
        env = "SANDBOX_JWKS_REFETCH_INTERVAL_SECONDS",
        default_value_t = 5
    )]
    pub jwks_refetch_interval_seconds: u64,
    /// Log format: JSON lines (default) or human-readable (`text` is accepted for `human`).
    #[arg(long, env = "SANDBOX_LOG_FORMAT", value_enum, default_value_t = LogFormat::Json)]
    pub log_format: LogFormat,
}

impl Cli {
    /// The address to bind.
    pub fn socket_addr(&self) -> SocketAddr {
        SocketAddr::new(self.bind, self.port)
    }

    /// The sandbox options these flags describe (validated when the sandbox starts).
    pub fn options(&self) -> SandboxOptions {
        let auth = match (&self.hs256_secret, &self.jwks_url) {
            (_, Some(url)) => AuthMode::Jwks { url: url.clone() },
            (secret, None) => AuthMode::Hs256 {
                secret: secret.clone().unwrap_or_default(),
            },
        };
        let mut options = match auth {
            AuthMode::Hs256 { secret } => SandboxOptions::hs256(secret),
            AuthMode::Jwks { url } => SandboxOptions::jwks(url),
        };
        options.ledger_id = self.ledger_id.clone();
        options.application_id = self.application_id.clone().filter(|id| !id.is_empty());
        options.namespace_fingerprint = self.namespace_fingerprint.clone();
        options.leeway = Duration::from_secs(self.leeway_seconds);
        options.jwks.refetch_interval = Duration::from_secs(self.jwks_refetch_interval_seconds);
        options
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn log_formats_like_every_binary() {
        let parse = |format: &str| {
            let args = [
                "ledger-sandbox",
                "--hs256-secret",
                "s",
                "--log-format",
                format,
            ];
            service_runtime::env::try_parse_from::<Cli, _, _>(args).map(|cli| cli.log_format)
        };
        assert_eq!(parse("json").unwrap(), LogFormat::Json);
        assert_eq!(parse("human").unwrap(), LogFormat::Human);
        assert_eq!(parse("text").unwrap(), LogFormat::Human);
        assert!(parse("yaml").is_err());
        let default = Cli::try_parse_from(["ledger-sandbox", "--hs256-secret", "s"]).unwrap();
        assert_eq!(default.log_format, LogFormat::Json);
        let command = Cli::command();
        let argument = command
            .get_arguments()
            .find(|arg| arg.get_id() == "log_format")
            .unwrap();
        assert_eq!(
            argument.get_env(),
            Some(std::ffi::OsStr::new("SANDBOX_LOG_FORMAT"))
        );
    }

    #[test]
    fn exactly_one_auth_mode_is_required() {
        assert!(Cli::try_parse_from(["ledger-sandbox"]).is_err());
        assert!(
            Cli::try_parse_from([
                "ledger-sandbox",
                "--hs256-secret",
                "s",
                "--jwks-url",
                "http://localhost/jwks"
            ])
            .is_err()
        );
        let cli = Cli::try_parse_from(["ledger-sandbox", "--hs256-secret", "s", "--port", "1234"])
            .unwrap();
        assert_eq!(cli.socket_addr().port(), 1234);
        assert!(matches!(cli.options().auth, AuthMode::Hs256 { .. }));
        let cli =
            Cli::try_parse_from(["ledger-sandbox", "--jwks-url", "http://localhost/jwks"]).unwrap();
        assert!(matches!(cli.options().auth, AuthMode::Jwks { .. }));
    }

    #[test]
    fn flags_map_onto_options() {
        let cli = Cli::try_parse_from([
            "ledger-sandbox",
            "--hs256-secret",
            "s",
            "--ledger-id",
            "participant1",
            "--application-id",
            "IRSForge",
            "--leeway-seconds",
            "3",
            "--jwks-refetch-interval-seconds",
            "9",
        ])
        .unwrap();
        let options = cli.options();
        assert_eq!(options.ledger_id, "participant1");
        assert_eq!(options.application_id.as_deref(), Some("IRSForge"));
        assert_eq!(options.leeway, Duration::from_secs(3));
        assert_eq!(options.jwks.refetch_interval, Duration::from_secs(9));
        assert!(options.validate().is_ok());
    }
}
