//! The command line of `irsforge-auth` and what each command does. `main.rs` only parses
//! (with `service_runtime::env::parse_command_line`, so an empty variable counts as unset),
//! installs logging, runs [`execute`] on a runtime and prints its result.
//!
//! Every path has a flag and an environment variable, so a service manager can set either.

use std::io::{IsTerminal, Read};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Parser, Subcommand};
use service_runtime::clock::{Clock, SystemClock};
use service_runtime::logging::LogFormat;
use service_runtime::serve::ServeLimits;
use service_runtime::signal::shutdown_signal;
use shared_config::{Config, ProcessEnv};

use crate::error::AuthError;
use crate::keys::{self, Activation, KeyDirectory, RetireCheck, Schedule};
use crate::options::AuthOptions;
use crate::registry::Registry;
use crate::reload::reload_channel;
use crate::secret_hash::{self, DEFAULT_COST};
use crate::server::AuthServer;
use crate::source_address::TrustedProxies;
use crate::throttle::ThrottleLimits;
use crate::token::TokenSettings;

/// `irsforge-auth`: OAuth2 client-credentials token service minting RS256 Canton ledger JWTs.
#[derive(Debug, Parser)]
#[command(name = "irsforge-auth", version, about)]
pub struct Cli {
    /// irsforge.yaml.
    #[arg(long, env = "IRSFORGE_CONFIG_PATH", default_value = shared_config::DEFAULT_CONFIG_PATH, global = true)]
    pub config: PathBuf,
    /// The service-account registry.
    #[arg(
        long,
        env = "IRSFORGE_SERVICE_ACCOUNTS_PATH",
        default_value = "auth/service-accounts.yaml",
        global = true
    )]
    pub service_accounts: PathBuf,
    /// The key directory (private.pem, public.pem, kid.txt, manifest.json, published/).
    #[arg(
        long,
        env = "IRSFORGE_KEYS_DIR",
        default_value = "auth/keys",
        global = true
    )]
    pub keys: PathBuf,
    /// Log format: JSON lines (default) or human-readable (`text` is accepted for `human`).
    #[arg(long, env = "AUTH_LOG_FORMAT", value_enum, default_value_t = LogFormat::Json, global = true)]
    pub log_format: LogFormat,
    /// Settings of the server (no subcommand).
    #[command(flatten)]
    pub serve: ServeArgs,
    /// What to do; serves when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Settings of the server.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Listen port; default auth.builtin.port.
    #[arg(long, env = "AUTH_PORT")]
    pub port: Option<u16>,
    /// Listen address.
    #[arg(long, env = "AUTH_BIND", default_value_t = IpAddr::V4(Ipv4Addr::UNSPECIFIED))]
    pub bind: IpAddr,
    /// Failed attempts a minute per source address before 429; 0 disables.
    #[arg(long, env = "AUTH_THROTTLE_ADDR_PER_MIN", default_value_t = 60)]
    pub throttle_addr_per_min: u32,
    /// Failed attempts a minute per client id from one source address before 429 (failures
    /// for an id never throttle other addresses); 0 disables.
    #[arg(long, env = "AUTH_THROTTLE_CLIENT_PER_MIN", default_value_t = 30)]
    pub throttle_client_per_min: u32,
    /// Comma-separated proxy addresses or CIDR networks whose X-Forwarded-For is believed.
    #[arg(long, env = "AUTH_TRUSTED_PROXIES", default_value = "", value_parser = TrustedProxies::parse_list)]
    pub trusted_proxies: TrustedProxies,
    /// bcrypt worker threads; default one per core.
    #[arg(long, env = "AUTH_BCRYPT_WORKERS")]
    pub bcrypt_workers: Option<usize>,
    /// Token requests that may wait for a bcrypt worker before 503; default 4 per worker.
    #[arg(long, env = "AUTH_BCRYPT_QUEUE")]
    pub bcrypt_queue: Option<usize>,

    // The verified-credential cache.
    /// Verified credentials remembered, so they are recognised without bcrypt; 0 disables.
    #[arg(long, env = "AUTH_CREDENTIAL_CACHE_SIZE", default_value_t = 4096, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub credential_cache_size: u32,
    /// Seconds a verified credential is recognised after its bcrypt verification; 0 disables.
    #[arg(long, env = "AUTH_CREDENTIAL_CACHE_TTL_SECONDS", default_value_t = 900, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub credential_cache_ttl_seconds: u64,
    /// Open connections at most; past it a new connection is closed at once (logged as
    /// `connections_refused`). Keep the file-descriptor limit (`ulimit -n`) above it.
    #[arg(long, env = "AUTH_MAX_CONNECTIONS", default_value_t = ServeLimits::DEFAULT_MAX_CONNECTIONS, value_parser = parse_max_connections)]
    pub max_connections: NonZeroUsize,
}

/// `--max-connections`: a whole number of at least 1.
fn parse_max_connections(value: &str) -> Result<NonZeroUsize, String> {
    let count: usize = value
        .trim()
        .parse()
        .map_err(|_| format!("`{value}` is not a whole number of connections"))?;
    NonZeroUsize::new(count).ok_or_else(|| {
        "must be at least 1: it is the number of connections the server keeps open".to_owned()
    })
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the bcrypt hash of a secret read from stdin (or prompted for without echo).
    HashSecret {
        /// bcrypt cost.
        #[arg(long, default_value_t = DEFAULT_COST)]
        cost: u32,
    },
    /// Validate the config, the registry, their agreement and the key directory; bind nothing.
    Check,
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
}

/// `keys` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Stage a new signing key: every server on the key directory publishes it within 10 s
    /// and signs with it 340 s later (the JWKS cache time and margins); prints its kid.
    Rotate {
        /// Sign with the new key at once (one server, or a compromised key): verifiers holding
        /// an older JWKS refuse new tokens until they fetch it again. With a staged rotation
        /// in progress, its key signs at once.
        #[arg(long)]
        now: bool,
    },
    /// Remove an earlier key from the JWKS once no token it signed can be live
    /// (auth.builtin.tokenTtlSeconds after it stopped signing, plus 90 s).
    Retire {
        /// The kid to retire (not the signing or the staged one).
        kid: String,
        /// Retire even though tokens it signed may be live; they stop verifying.
        #[arg(long)]
        now: bool,
    },
    /// Print the signing key, a staged key and when it signs, and the earlier keys with when
    /// each may be retired.
    Status,
}

/// What a command leaves for `main` to print on stdout.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Printed on stdout when present.
    pub stdout: Option<String>,
}

/// Runs the command.
pub async fn execute(cli: Cli) -> Result<Outcome, AuthError> {
    match cli.command {
        None => serve(&cli).await.map(|()| Outcome::default()),
        Some(Command::HashSecret { cost }) => {
            hash_secret(cost).map(|hash| Outcome { stdout: Some(hash) })
        }
        Some(Command::Check) => check(&cli).map(|report| Outcome {
            stdout: Some(report),
        }),
        Some(Command::Keys(command)) => {
            keys_command(&cli.config, &cli.keys, command).map(|stdout| Outcome { stdout })
        }
    }
}

/// The `keys` commands; returns what to print.
fn keys_command(
    config_path: &Path,
    keys_dir: &Path,
    command: KeysCommand,
) -> Result<Option<String>, AuthError> {
    let directory = KeyDirectory::new(keys_dir);
    match command {
        KeysCommand::Rotate { now } => {
            let activation = if now {
                Activation::Now
            } else {
                Activation::After(keys::activation_delay(keys::DEFAULT_JWKS_MAX_AGE))
            };
            let rotation = directory.rotate(activation)?;
            let not_before = keys::format_instant(rotation.not_before);
            let previous = rotation.previous.as_deref().unwrap_or_default();
            if now {
                tracing::info!(event = "keys_rotated", kid = %rotation.kid, previousKid = previous, notBefore = %not_before, "new key signs now; every server on the directory switches within 10 s");
            } else {
                tracing::info!(event = "keys_rotated", kid = %rotation.kid, previousKid = previous, notBefore = %not_before, "new key published; every server on the directory publishes it within 10 s and signs with it from notBefore");
            }
            Ok(Some(rotation.kid))
        }
        KeysCommand::Retire { kid, now } => {
            let check = if now {
                RetireCheck::Now
            } else {
                RetireCheck::TokensExpired {
                    token_ttl: token_ttl(config_path)?,
                }
            };
            let retirement = directory.retire(&kid, check)?;
            let signed_until = keys::format_instant(retirement.signed_until);
            tracing::info!(event = "keys_retired", kid = %kid, signedUntil = %signed_until, "key removed from the JWKS; every server on the directory drops it within 10 s");
            Ok(None)
        }
        KeysCommand::Status => {
            let token_ttl = token_ttl(config_path)?;
            let key_set = directory.load()?;
            let now = SystemClock.unix_seconds();
            Ok(Some(status_text(&key_set.schedule_at(now), now, token_ttl)))
        }
    }
}

/// `auth.builtin.tokenTtlSeconds`: how long a token signed by a key may outlive its signing.
fn token_ttl(config_path: &Path) -> Result<Duration, AuthError> {
    let config = load_config(config_path)?;
    let builtin = config.auth.builtin().ok_or(AuthError::DemoProvider)?;
    Ok(Duration::from_secs(builtin.token_ttl_seconds))
}

/// One line per key: what signs, what is staged, and when each earlier key may be retired.
fn status_text(schedule: &Schedule, now: i64, token_ttl: Duration) -> String {
    let in_seconds = |instant: i64| {
        if instant > now {
            format!(" (in {} s)", instant - now)
        } else {
            String::new()
        }
    };
    let mut lines = vec![format!("signing  {}", schedule.active)];
    if let Some((kid, not_before)) = &schedule.next {
        lines.push(format!(
            "staged   {kid}  signs from {}{}",
            keys::format_instant(*not_before),
            in_seconds(*not_before)
        ));
    }
    let delay = i64::try_from(keys::retire_delay(token_ttl).as_secs()).unwrap_or(i64::MAX);
    for (kid, signed_until) in &schedule.earlier {
        let retirable = signed_until.saturating_add(delay);
        let when = if retirable <= now {
            "may be retired now".to_owned()
        } else {
            format!(
                "may be retired from {}{}",
                keys::format_instant(retirable),
                in_seconds(retirable)
            )
        };
        lines.push(format!(
            "earlier  {kid}  signed until {}; {when}",
            keys::format_instant(*signed_until)
        ));
    }
    lines.join("\n")
}

fn load_config(path: &Path) -> Result<Config, AuthError> {
    let environment = ProcessEnv;
    Ok(shared_config::load(path, &environment)?)
}

async fn serve(cli: &Cli) -> Result<(), AuthError> {
    let config = load_config(&cli.config)?;
    let Some(builtin) = config.auth.builtin() else {
        tracing::info!(
            event = "auth_not_needed",
            "auth.provider is demo: the auth service is not needed; exiting"
        );
        return Ok(());
    };
    let port = listen_port(cli, builtin.port)?;
    let (trigger, requests) = reload_channel();
    let mut options = AuthOptions::new(config, &cli.service_accounts, &cli.keys)
        .with_config_path(&cli.config)
        .with_reload(requests);
    options.throttle = ThrottleLimits {
        per_address_per_minute: cli.serve.throttle_addr_per_min,
        per_client_per_minute: cli.serve.throttle_client_per_min,
        ..ThrottleLimits::default()
    };
    options.trusted_proxies = cli.serve.trusted_proxies.clone();
    if let Some(workers) = cli.serve.bcrypt_workers {
        options.bcrypt_workers = workers.max(1);
        options.bcrypt_queue = options.bcrypt_workers * 4;
    }
    if let Some(queue) = cli.serve.bcrypt_queue {
        options.bcrypt_queue = queue;
    }
    options.credential_cache_size = cli.serve.credential_cache_size as usize;
    options.credential_cache_ttl = Duration::from_secs(cli.serve.credential_cache_ttl_seconds);
    options.connections.max_connections = cli.serve.max_connections;
    service_runtime::serve::raise_descriptor_limit(cli.serve.max_connections);
    let server = AuthServer::prepare(options)?;
    let address = SocketAddr::new(cli.serve.bind, port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|source| AuthError::Io {
            action: "cannot bind the listen address",
            source,
        })?;
    let hangups = tokio::spawn(reload_on_sighup(trigger));
    let stop = shutdown_signal();
    let served = server
        .serve(listener, async {
            let signal = stop.await;
            tracing::info!(
                event = "auth_stopping",
                signal = signal.name(),
                "shutdown signal received; finishing requests in flight"
            );
        })
        .await;
    hangups.abort();
    served
}

async fn reload_on_sighup(trigger: crate::ReloadTrigger) {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangups = match signal(SignalKind::hangup()) {
        Ok(hangups) => hangups,
        Err(error) => {
            tracing::warn!(event = "signal_handler_unavailable", signal = "SIGHUP", error = %error, "cannot install the SIGHUP handler; restart the service to reload");
            return;
        }
    };
    while hangups.recv().await.is_some() {
        // The server logs the outcome.
        let _ = trigger.reload().await;
    }
}

/// `AUTH_PORT` (or `--port`), else `auth.builtin.port`, which the schema bounds only below.
fn listen_port(cli: &Cli, configured: u64) -> Result<u16, AuthError> {
    match cli.serve.port {
        Some(port) => Ok(port),
        None => u16::try_from(configured).map_err(|_| AuthError::Unsupported {
            path: "auth.builtin.port",
            reason: format!("{configured} is not a TCP port (1-65535); fix it or set AUTH_PORT"),
        }),
    }
}

fn check(cli: &Cli) -> Result<String, AuthError> {
    let config = load_config(&cli.config)?;
    let Some(builtin) = config.auth.builtin() else {
        return Ok("ok: auth.provider is demo; the auth service is not needed".to_owned());
    };
    TokenSettings::from_config(&config)?;
    listen_port(cli, builtin.port)?;
    let registry = Registry::load(&cli.service_accounts)?;
    registry.cross_check(&config, &cli.config, &cli.service_accounts)?;
    let keys = if cli.keys.join(keys::PRIVATE_KEY_FILE).exists() {
        let key_set = keys::load_existing(&cli.keys)?;
        let staged = match key_set.pending() {
            Some((kid, not_before)) => {
                format!(", `{kid}` signs from {}", keys::format_instant(not_before))
            }
            None => String::new(),
        };
        format!(
            "active kid {}, {} published{staged}",
            key_set.active().kid(),
            key_set.published().len()
        )
    } else {
        "no key yet; one is created at start-up".to_owned()
    };
    let mut report = format!(
        "ok: {} valid; {} valid, {} accounts, matching auth.serviceAccounts; {}: {keys}",
        cli.config.display(),
        cli.service_accounts.display(),
        registry.len(),
        cli.keys.display(),
    );
    let ignored = [
        (&cli.config, config.ignored_keys.as_slice()),
        (&cli.service_accounts, registry.ignored_keys()),
    ];
    for (file, keys) in ignored {
        for key in keys {
            report.push_str(&format!(
                "\nwarning: {}: unknown key `{key}` ignored",
                file.display()
            ));
        }
    }
    Ok(report)
}

fn hash_secret(cost: u32) -> Result<String, AuthError> {
    let secret = if std::io::stdin().is_terminal() {
        let first =
            rpassword::prompt_password("Client secret: ").map_err(|source| AuthError::Io {
                action: "cannot read the secret",
                source,
            })?;
        let again = rpassword::prompt_password("Again: ").map_err(|source| AuthError::Io {
            action: "cannot read the secret",
            source,
        })?;
        if first != again {
            return Err(AuthError::Option {
                name: "secret",
                reason: "the two entries differ".to_owned(),
            });
        }
        first.into_bytes()
    } else {
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(4096)
            .read_to_end(&mut bytes)
            .map_err(|source| AuthError::Io {
                action: "cannot read the secret from stdin",
                source,
            })?;
        // `echo secret | irsforge-auth hash-secret` appends one newline that is not part of it.
        if bytes.ends_with(b"\n") {
            bytes.pop();
            if bytes.ends_with(b"\r") {
                bytes.pop();
            }
        }
        bytes
    };
    secret_hash::hash_secret(&secret, cost)
        .map(|hash| hash.to_string())
        .map_err(|error| AuthError::Option {
            name: "secret",
            reason: error.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        let args = std::iter::once("irsforge-auth").chain(args.iter().copied());
        service_runtime::env::try_parse_from(args)
    }

    #[test]
    fn log_formats_like_every_binary() {
        assert_eq!(parse(&[]).unwrap().log_format, LogFormat::Json);
        for (value, format) in [
            ("json", LogFormat::Json),
            ("human", LogFormat::Human),
            ("text", LogFormat::Human),
        ] {
            assert_eq!(parse(&["--log-format", value]).unwrap().log_format, format);
            // Global: after a subcommand too.
            let cli = parse(&["check", "--log-format", value]).unwrap();
            assert_eq!(cli.log_format, format);
        }
        assert!(parse(&["--log-format", "yaml"]).is_err());
        let command = Cli::command();
        let argument = command
            .get_arguments()
            .find(|arg| arg.get_id() == "log_format")
            .unwrap();
        assert_eq!(
            argument.get_env(),
            Some(std::ffi::OsStr::new("AUTH_LOG_FORMAT"))
        );
    }

    #[test]
    fn credential_cache_settings_have_their_variables_defaults_and_bounds() {
        let cli = parse(&[]).unwrap();
        assert_eq!(cli.serve.credential_cache_size, 4096);
        assert_eq!(cli.serve.credential_cache_ttl_seconds, 900);
        let cli = parse(&[
            "--credential-cache-size",
            "0",
            "--credential-cache-ttl-seconds",
            "60",
        ])
        .unwrap();
        assert_eq!(cli.serve.credential_cache_size, 0);
        assert_eq!(cli.serve.credential_cache_ttl_seconds, 60);
        for arg in [
            "--credential-cache-size=-1",
            "--credential-cache-size=many",
            "--credential-cache-size=1000001",
            "--credential-cache-ttl-seconds=86401",
        ] {
            let error = parse(&[arg]).unwrap_err().to_string();
            let name = arg.split('=').next().unwrap();
            assert!(error.contains(name), "{error}");
        }
        let command = Cli::command();
        for (id, variable) in [
            ("credential_cache_size", "AUTH_CREDENTIAL_CACHE_SIZE"),
            (
                "credential_cache_ttl_seconds",
                "AUTH_CREDENTIAL_CACHE_TTL_SECONDS",
            ),
        ] {
            let argument = command
                .get_arguments()
                .find(|arg| arg.get_id() == id)
                .unwrap();
            assert_eq!(argument.get_env(), Some(std::ffi::OsStr::new(variable)));
        }
    }

    #[test]
    fn max_connections_defaults_to_1024_and_refuses_0_and_non_numbers() {
        assert_eq!(parse(&[]).unwrap().serve.max_connections.get(), 1024);
        let cli = parse(&["--max-connections", "16"]).unwrap();
        assert_eq!(cli.serve.max_connections.get(), 16);
        let zero = parse(&["--max-connections", "0"]).unwrap_err().to_string();
        assert!(zero.contains("--max-connections"), "{zero}");
        assert!(zero.contains("must be at least 1"), "{zero}");
        let word = parse(&["--max-connections", "many"])
            .unwrap_err()
            .to_string();
        assert!(word.contains("`many` is not a whole number"), "{word}");
        assert!(parse(&["--max-connections", "-1"]).is_err());
        let command = Cli::command();
        let argument = command
            .get_arguments()
            .find(|arg| arg.get_id() == "max_connections")
            .unwrap();
        assert_eq!(
            argument.get_env(),
            Some(std::ffi::OsStr::new("AUTH_MAX_CONNECTIONS"))
        );
    }
}
