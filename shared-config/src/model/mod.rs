//! The validated configuration: every section of `irsforge.yaml`, typed, with every default
//! filled in. URLs are parsed, cron expressions are schedules, enumerations are enums, and the
//! platform's cross-field rules hold (for example, exactly one org is the operator, and a
//! non-demo provider always has its [`BuiltinAuth`] section and the service accounts the oracle
//! needs).
//!
//! The services read `auth`, `platform`, `daml`, `oracle`, `orgs`, `parties` and `scheduler`;
//! the other sections belong to the platform's frontend and ledger code and are typed here so
//! that a file the platform would refuse never boots a service.

mod auth;
mod csa;
mod demo;
mod market;
mod orgs;
mod platform;
mod scheduler;

pub use auth::{AuthConfig, AuthMode, AuthProvider, BuiltinAuth, OidcAuth, ServiceAccount};
pub use csa::{CsaConfig, CsaThreshold, EligibleCollateral, GoverningLaw, MasterAgreement};
pub use demo::{CdsStub, CurveTicker, DemoConfig, DemoCsa, Pillar, StubCurve};
pub use market::{
    Compounding, Currency, CurrencyCurves, CurvesConfig, DayCount, FloatingRateIndex,
    Interpolation, ProjectionCurve, RateFamily, RateFamilyName, ScheduleDefault, Tenor,
};
pub use orgs::{Org, OrgRole, PartiesConfig};
pub use platform::{
    DamlConfig, DemoResetConfig, LedgerConfig, LedgerUiConfig, OracleConfig, PlatformConfig,
    TemplateFilter,
};
pub use scheduler::{CronConfig, OperatorPolicy, Product, SchedulerConfig};

use std::collections::BTreeMap;

/// The service account that publishes marks; acts as Operator.
pub const MARK_PUBLISHER_ACCOUNT: &str = "mark-publisher";
/// The service account that fires the `*ByScheduler` choices; acts as Scheduler.
pub const SCHEDULER_ACCOUNT: &str = "scheduler";

/// A loaded and validated `irsforge.yaml`.
#[derive(Debug, Clone)]
pub struct Config {
    /// `profile` (default `demo`).
    pub profile: Profile,
    /// `topology`: `sandbox` (one participant hosts every org) or `network`.
    pub topology: Topology,
    /// `routing` (default `path`): how the frontend addresses orgs.
    pub routing: Routing,
    /// `auth`: provider, token service settings and service accounts.
    pub auth: AuthConfig,
    /// `oracle`: the oracle's URL and outbound timeouts.
    pub oracle: OracleConfig,
    /// `platform`: public URLs and the frontend's ledger UI and demo-reset settings.
    pub platform: PlatformConfig,
    /// `daml`: ledger id, application id, demo HS256 secret.
    pub daml: DamlConfig,
    /// `ledger`: the JSON API proxy.
    pub ledger: LedgerConfig,
    /// `currencies`: at least one, exactly one the default, codes unique.
    pub currencies: Vec<Currency>,
    /// `cds`: reference names of credit default swaps, when present.
    pub cds: Option<Vec<String>>,
    /// `observables`: whether each product's observables are published (absent products take
    /// their defaults).
    pub observables: BTreeMap<Product, bool>,
    /// `scheduleDefaults`: payment frequency and day count per product.
    pub schedule_defaults: BTreeMap<Product, ScheduleDefault>,
    /// `curves`, when present.
    pub curves: Option<CurvesConfig>,
    /// `floatingRateIndices`, when present, by index id.
    pub floating_rate_indices: Option<BTreeMap<String, FloatingRateIndex>>,
    /// `rateFamilies`, by family name.
    pub rate_families: BTreeMap<String, RateFamily>,
    /// `csa`: the credit support annex terms.
    pub csa: CsaConfig,
    /// `masterAgreements`.
    pub master_agreements: Vec<MasterAgreement>,
    /// `demo`: seed data of the demo profile, when present.
    pub demo: Option<DemoConfig>,
    /// `orgs`: exactly one operator, at least one regulator, at least two traders.
    pub orgs: Vec<Org>,
    /// `parties`: party hints of non-org parties.
    pub parties: PartiesConfig,
    /// `scheduler`: whether the scheduler runs, and its crons.
    pub scheduler: SchedulerConfig,
    /// `operator.policy`: whether the operator approves each product automatically.
    pub operator_policy: BTreeMap<Product, OperatorPolicy>,
    /// Paths of the keys the schema does not know, accepted and ignored as the platform
    /// ignores them. The binaries log each at start-up so a misplaced key does not go unseen.
    pub ignored_keys: Vec<String>,
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
    /// A real deployment: no populated `demo` section, no unsafe HS256 provider.
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
