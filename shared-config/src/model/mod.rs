//! The validated configuration. Everything here has passed validation: URLs are parsed, cron
//! expressions are schedules, enumerations are enums, and cross-section rules hold (for example,
//! a non-demo provider always has its [`BuiltinAuth`] section and the two service accounts the
//! oracle needs).

mod auth;
mod orgs;
mod platform;
mod scheduler;

pub use auth::{
    AuthConfig, AuthMode, AuthProvider, BuiltinAuth, KeyAlgorithm, OidcAuth, ServiceAccount,
};
pub use orgs::{Org, OrgRole};
pub use platform::{DamlConfig, LedgerConfig, OracleConfig, PlatformConfig};
pub use scheduler::{CronConfig, CronError, CronSchedule, PartiesConfig, SchedulerConfig};

/// The service account that publishes marks; acts as Operator.
pub const MARK_PUBLISHER_ACCOUNT: &str = "mark-publisher";
/// The service account that fires the `*ByScheduler` choices; acts as Scheduler.
pub const SCHEDULER_ACCOUNT: &str = "scheduler";

/// A loaded and validated `irsforge.yaml`.
#[derive(Debug, Clone)]
pub struct Config {
    /// `demo` or `production`.
    pub profile: Profile,
    /// `sandbox` (one participant hosts every org) or `network`.
    pub topology: Topology,
    /// How the frontend addresses orgs.
    pub routing: Routing,
    /// `auth`: provider, token service settings and service accounts.
    pub auth: AuthConfig,
    /// `platform`: public URLs.
    pub platform: PlatformConfig,
    /// `daml`: ledger id, application id, demo HS256 secret.
    pub daml: DamlConfig,
    /// `ledger`: JSON API proxy settings.
    pub ledger: LedgerConfig,
    /// `oracle`: the oracle's URL and outbound timeouts.
    pub oracle: OracleConfig,
    /// `orgs`: exactly one operator, at least one regulator, at least two traders.
    pub orgs: Vec<Org>,
    /// `parties`: party hints of non-org parties.
    pub parties: PartiesConfig,
    /// `scheduler`: whether the scheduler runs, and its crons.
    pub scheduler: SchedulerConfig,
}

impl Config {
    /// The org whose role is `operator`; validation guarantees exactly one.
    pub fn operator_org(&self) -> &Org {
        self.orgs
            .iter()
            .find(|org| org.role == OrgRole::Operator)
            .expect("validation guarantees exactly one operator org")
    }

    /// The ledger the oracle talks to: the operator org's participant, which hosts Operator and
    /// Scheduler.
    pub fn operator_ledger_url(&self) -> &url::Url {
        &self.operator_org().ledger_url
    }
}

/// `profile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Local demo.
    Demo,
    /// A real deployment: no demo section, no unsafe HS256 provider.
    Production,
}

/// `topology`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topology {
    /// One participant hosts every org.
    Sandbox,
    /// Each org has its own participant.
    Network,
}

/// `routing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routing {
    /// Orgs live under a path of one frontend URL.
    Path,
    /// Each org has its own subdomain, built from `platform.frontendUrlTemplate`.
    Subdomain,
}
