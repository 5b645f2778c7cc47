//! The `orgs` and `parties` sections.

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
    /// The org's id (the schema does not require ids to be unique).
    pub id: String,
    /// The org's party: a bare hint or an exact `Hint::fingerprint` id.
    pub party: String,
    /// Human-readable name.
    pub display_name: String,
    /// The party hint.
    pub hint: String,
    /// The org's role.
    pub role: OrgRole,
    /// The JSON API of the org's participant.
    pub ledger_url: Url,
    /// The streaming endpoint (`ws://` or `wss://`), if separate.
    pub stream_url: Option<Url>,
    /// The org's subdomain (required and non-empty with subdomain routing).
    pub subdomain: Option<String>,
}

/// `parties`.
#[derive(Debug, Clone)]
pub struct PartiesConfig {
    /// `parties.scheduler.partyHint` (default `Scheduler`).
    pub scheduler_party_hint: String,
}
