//! The `orgs` section.

use url::Url;

/// What an org does on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgRole {
    /// A swap counterparty.
    Trader,
    /// Runs the platform; its participant hosts Operator and Scheduler.
    Operator,
    /// Observes.
    Regulator,
}

/// One entry of `orgs`.
#[derive(Debug, Clone)]
pub struct Org {
    /// Unique id.
    pub id: String,
    /// The org's party (a hint in the demo profile, an exact id otherwise).
    pub party: String,
    /// Human-readable name.
    pub display_name: String,
    /// The party hint.
    pub hint: String,
    /// The org's role.
    pub role: OrgRole,
    /// The JSON API of the org's participant.
    pub ledger_url: Url,
    /// The streaming endpoint, if separate.
    pub stream_url: Option<Url>,
    /// The org's subdomain (required with subdomain routing).
    pub subdomain: Option<String>,
}
