//! [`Stack`]: the auth service, the ledger sandbox and the oracle, started in this process and
//! wired as a deployment wires them.
//!
//! Start-up order follows the dependencies: bind every port first (so a taken port is
//! reported before anything starts), write the work directory, load the generated config
//! through `shared-config` exactly as the binaries do, start auth (registry, keys, then
//! serve), start the sandbox (in JWKS mode against auth's `/.well-known/jwks.json`, or HS256 in
//! the demo profile), and boot the oracle last: its boot acquires both service tokens from
//! auth over HTTP, so a wiring mistake fails the start, loudly.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ledger_sandbox::{Sandbox, SandboxOptions};
use oracle::{OracleOptions, RunningOracle};
use shared_config::{Config, EnvSource, MapEnv};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::StackError;
use crate::env::LayeredEnv;
use crate::workdir::Workdir;

/// Which auth profile the stack runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Auth service + sandbox in JWKS mode + oracle with OAuth2 client credentials.
    Builtin,
    /// Sandbox in unsafe HS256 mode + oracle signing its own tokens; no auth service.
    Demo,
}

/// The four cron expressions (6 fields, seconds first).
#[derive(Debug, Clone)]
pub struct Crons {
    /// `MARK_PUBLISHER_CRON`.
    pub mark_publisher: String,
    /// `scheduler.cron.trigger`.
    pub trigger: String,
    /// `scheduler.cron.settleNet`.
    pub settle_net: String,
    /// `scheduler.cron.mature`.
    pub mature: String,
}

impl Crons {
    /// Every ten seconds, staggered so a mark is published before it is settled and the
    /// terminal reads in order: mark at :00, trigger at :03, settle at :06, mature at :08.
    pub fn demo() -> Self {
        Self {
            mark_publisher: "*/10 * * * * *".into(),
            trigger: "3-59/10 * * * * *".into(),
            settle_net: "6-59/10 * * * * *".into(),
            mature: "8-59/10 * * * * *".into(),
        }
    }

    /// Every second, for tests.
    pub fn every_second() -> Self {
        let every = "* * * * * *".to_owned();
        Self {
            mark_publisher: every.clone(),
            trigger: every.clone(),
            settle_net: every.clone(),
            mature: every,
        }
    }
}

/// How to start the stack.
pub struct StackOptions {
    /// Builtin or demo.
    pub profile: Profile,
    /// Where secrets, keys and the generated config live.
    pub workdir: Workdir,
    /// The auth service's address (ignored in the demo profile).
    pub auth_address: SocketAddr,
    /// The ledger sandbox's address.
    pub ledger_address: SocketAddr,
    /// bcrypt cost of the generated secrets' hashes.
    pub bcrypt_cost: u32,
    /// The crons.
    pub crons: Crons,
    /// Where the sandbox's seeded schedules start (default: now).
    pub seed_time: Option<DateTime<Utc>>,
    /// The environment under the generated variables: the process environment in the demo,
    /// nothing in tests.
    pub fallback_env: Option<Arc<dyn EnvSource>>,
    /// Variables over the generated ones (a test's wrong client secret, say).
    pub env_overrides: MapEnv,
    /// Replaces `auth.builtin.tokenTtlSeconds` after validation, which refuses lifetimes under
    /// a minute; tests use a few seconds to see refreshes.
    pub token_ttl_seconds: Option<u64>,
    /// The sandbox's clock (default the system clock); tests move it past a token's `exp`.
    pub sandbox_clock: Option<Arc<dyn service_runtime::clock::Clock>>,
    /// Least time between two JWKS refetches of the sandbox (default its own, 5 s).
    pub jwks_refetch_interval: Option<Duration>,
}

impl StackOptions {
    /// Options as tests want them: every port on 127.0.0.1:0, bcrypt cost 4, crons every
    /// second, no fallback environment. The demo changes the ports, cost and crons.
    pub fn new(profile: Profile, workdir: Workdir) -> Self {
        let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
        Self {
            profile,
            workdir,
            auth_address: any_port,
            ledger_address: any_port,
            bcrypt_cost: 4,
            crons: Crons::every_second(),
            seed_time: None,
            fallback_env: None,
            env_overrides: MapEnv::default(),
            token_ttl_seconds: None,
            sandbox_clock: None,
            jwks_refetch_interval: None,
        }
    }
}

/// An auth service running in a background task.
pub struct AuthInstance {
    address: SocketAddr,
    reload: auth::ReloadTrigger,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), auth::AuthError>>,
}

impl AuthInstance {
    /// Runs auth's whole start-up (registry, cross-check, keys), then serves on `listener` in a
    /// background task. Start-up errors are returned here, not lost in the task.
    pub async fn start(
        listener: TcpListener,
        options: auth::AuthOptions,
    ) -> Result<Self, StackError> {
        let address = local_addr(&listener, "auth service")?;
        let (reload, requests) = auth::reload_channel();
        let options = auth::AuthOptions {
            reload: Some(requests),
            ..options
        };
        let server = tokio::task::spawn_blocking(move || auth::AuthServer::prepare(options))
            .await
            .map_err(|_| auth::AuthError::Internal("auth start-up panicked"))??;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(listener, async move {
            let _ = stopped.await;
        }));
        Ok(Self {
            address,
            reload,
            stop,
            task,
        })
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Reloads `service-accounts.yaml` and the key set, as SIGHUP does to the binary.
    pub async fn reload(&self) -> Option<auth::ReloadOutcome> {
        self.reload.reload().await
    }

    /// Stops it gracefully and returns how serving ended.
    pub async fn stop(self) -> Result<(), StackError> {
        let _ = self.stop.send(());
        self.task
            .await
            .map_err(|_| auth::AuthError::Internal("auth task panicked"))??;
        Ok(())
    }
}

/// The three services, running.
pub struct Stack {
    /// The configuration they all loaded.
    pub config: Config,
    /// Where the generated configuration was written.
    pub config_path: PathBuf,
    /// The environment the oracle read (generated secrets over the fallback).
    pub env: LayeredEnv,
    /// The work directory.
    pub workdir: Workdir,
    /// The auth service; `None` in the demo profile.
    pub auth: Option<AuthInstance>,
    /// The ledger.
    pub sandbox: Sandbox,
    /// The oracle's services.
    pub oracle: RunningOracle,
}

impl Stack {
    /// Starts everything; see the module docs for the order.
    pub async fn start(options: StackOptions) -> Result<Self, StackError> {
        let auth_listener = match options.profile {
            Profile::Builtin => {
                Some(bind(options.auth_address, "auth service", "--auth-port").await?)
            }
            Profile::Demo => None,
        };
        let ledger_listener =
            bind(options.ledger_address, "ledger sandbox", "--ledger-port").await?;
        let ledger_url = format!("http://{}", local_addr(&ledger_listener, "ledger sandbox")?);
        let auth_url = match &auth_listener {
            Some(listener) => format!("http://{}", local_addr(listener, "auth service")?),
            // Unused in the demo profile, but the platform's schema requires it.
            None => "http://127.0.0.1:3002".to_owned(),
        };

        let workdir = options.workdir;
        let mut generated = MapEnv::new([
            ("MARK_PUBLISHER_CRON", options.crons.mark_publisher.clone()),
            ("IRSFORGE_AUTH_PUBLIC_URL", auth_url),
            ("IRSFORGE_LEDGER_URL", ledger_url),
        ]);
        if options.profile == Profile::Builtin {
            let secrets = workdir.service_secrets(options.bcrypt_cost)?;
            for (name, value) in [
                (
                    crate::workdir::secret_var(shared_config::MARK_PUBLISHER_ACCOUNT),
                    secrets.mark_publisher,
                ),
                (
                    crate::workdir::secret_var(shared_config::SCHEDULER_ACCOUNT),
                    secrets.scheduler,
                ),
            ] {
                generated.set(name, value);
            }
        }
        for (name, value) in options.env_overrides.iter() {
            generated.set(name, value);
        }
        let env = LayeredEnv::new(generated, options.fallback_env);
        let config_path = workdir.write_config(example_config(options.profile))?;
        let mut config = shared_config::load(&config_path, &env)?;
        service_runtime::report::log_ignored_keys(&config_path, &config.ignored_keys);
        set_crons(&mut config, &options.crons)?;
        if let (Some(ttl), shared_config::AuthMode::Builtin(builtin)) =
            (options.token_ttl_seconds, &mut config.auth.mode)
        {
            builtin.token_ttl_seconds = ttl;
        }

        let (auth, mut sandbox_options) = match auth_listener {
            Some(listener) => {
                let auth = start_auth(listener, &config, &config_path, &workdir).await?;
                let jwks =
                    url::Url::parse(&format!("http://{}{}", auth.address(), auth::JWKS_PATH))
                        .expect("a socket address makes a valid URL");
                (Some(auth), SandboxOptions::jwks(jwks))
            }
            None => (
                None,
                SandboxOptions::hs256(config.daml.unsafe_jwt_secret.expose()),
            ),
        };
        sandbox_options.ledger_id = config.daml.ledger_id.clone();
        sandbox_options.application_id = Some(config.daml.application_id.clone());
        sandbox_options.seed_time = options.seed_time;
        if let Some(clock) = options.sandbox_clock {
            sandbox_options.clock = clock;
        }
        if let Some(interval) = options.jwks_refetch_interval {
            sandbox_options.jwks.refetch_interval = interval;
        }
        let sandbox = Sandbox::start(ledger_listener, sandbox_options)?;
        let oracle = match oracle::start(&config, &env, OracleOptions::default()).await {
            Ok(oracle) => oracle,
            Err(error) => {
                let _ = sandbox.shutdown().await;
                if let Some(auth) = auth {
                    let _ = auth.stop().await;
                }
                return Err(error.into());
            }
        };
        Ok(Self {
            config,
            config_path,
            env,
            workdir,
            auth,
            sandbox,
            oracle,
        })
    }

    /// Stops the auth service, as an outage or a redeploy would. Returns its address.
    pub async fn stop_auth(&mut self) -> Result<Option<SocketAddr>, StackError> {
        let Some(auth) = self.auth.take() else {
            return Ok(None);
        };
        let address = auth.address();
        auth.stop().await?;
        Ok(Some(address))
    }

    /// Starts the auth service again at `address` with the same config, registry and keys.
    pub async fn start_auth_at(&mut self, address: SocketAddr) -> Result<(), StackError> {
        let listener = bind(address, "auth service", "--auth-port").await?;
        self.auth =
            Some(start_auth(listener, &self.config, &self.config_path, &self.workdir).await?);
        Ok(())
    }

    /// Stops the oracle first (so no tick runs against a stopped ledger), then the sandbox and
    /// auth.
    pub async fn shutdown(self) -> Result<(), StackError> {
        self.oracle.shutdown().await;
        self.sandbox.shutdown().await?;
        if let Some(auth) = self.auth {
            auth.stop().await?;
        }
        Ok(())
    }
}

async fn start_auth(
    listener: TcpListener,
    config: &Config,
    config_path: &std::path::Path,
    workdir: &Workdir,
) -> Result<AuthInstance, StackError> {
    let options = auth::AuthOptions::new(
        config.clone(),
        workdir.service_accounts_path(),
        workdir.keys_dir(),
    )
    .with_config_path(config_path);
    AuthInstance::start(listener, options).await
}

async fn bind(
    address: SocketAddr,
    service: &'static str,
    flag: &'static str,
) -> Result<TcpListener, StackError> {
    TcpListener::bind(address)
        .await
        .map_err(|source| StackError::Bind {
            service,
            address,
            flag,
            source,
        })
}

fn local_addr(listener: &TcpListener, service: &'static str) -> Result<SocketAddr, StackError> {
    listener.local_addr().map_err(|source| StackError::Bind {
        service,
        address: SocketAddr::from(([0, 0, 0, 0], 0)),
        flag: "--help",
        source,
    })
}

/// The `irsforge.yaml` the stack runs: the repository's example for the profile, as an operator
/// would deploy it. What varies per run (the ports in use) reaches it the way it reaches a real
/// deployment, through the platform's `IRSFORGE_AUTH_PUBLIC_URL` and `IRSFORGE_LEDGER_URL`
/// overrides; the crons are set on the typed [`shared_config::Config`] after loading.
pub fn example_config(profile: Profile) -> &'static str {
    match profile {
        Profile::Builtin => include_str!("../examples/irsforge.builtin.yaml"),
        Profile::Demo => include_str!("../examples/irsforge.yaml"),
    }
}

/// Sets the scheduler's crons on a loaded config.
fn set_crons(config: &mut shared_config::Config, crons: &Crons) -> Result<(), StackError> {
    let parse = |expression: &str| {
        shared_config::CronSchedule::parse(expression).map_err(|source| StackError::Cron {
            expression: expression.to_owned(),
            source,
        })
    };
    let schedule = &mut config.scheduler;
    schedule.enabled = true;
    schedule.cron.trigger = parse(&crons.trigger)?;
    schedule.cron.settle_net = parse(&crons.settle_net)?;
    schedule.cron.mature = parse(&crons.mature)?;
    Ok(())
}
