//! The oracle's errors.
//!
//! [`OracleError`] is what the crate's entry points ([`crate::start`], [`crate::run`]) fail with.
//! Two smaller enums sit beside it because callers must match on them and recover:
//! [`TokenError`] (why a service token could not be obtained; its [`FailureReason`] is the
//! `reason` field of the `service_token_*` events) and [`LedgerError`] (why a ledger call
//! failed: a contract that is gone, a refused token, a refused request, a server fault or the
//! network). [`TickError`] is why one cron tick failed.
//!
//! Every message names what is wrong and where. None ever contains a token, a client secret or
//! the HS256 secret: errors are built from status codes, field names and server error codes,
//! never from request or response bodies that could carry one.

use std::time::Duration;

/// Why the oracle could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum OracleError {
    /// A service account's token could not be resolved at boot.
    #[error("service account `{account}`")]
    Token {
        /// The account id.
        account: String,
        /// Why.
        #[source]
        source: TokenError,
    },
    /// `MARK_PUBLISHER_CRON` is set but does not parse.
    #[error("{variable}={value:?}")]
    InvalidCronVariable {
        /// The variable.
        variable: &'static str,
        /// Its value.
        value: String,
        /// The parser's complaint.
        #[source]
        source: shared_config::CronError,
    },
    /// An HTTP client could not be built (for example, no TLS backend).
    #[error("cannot build the {purpose} HTTP client: {detail}")]
    HttpClient {
        /// What the client is for.
        purpose: &'static str,
        /// The builder's error.
        detail: String,
    },
    /// Under `profile: production`, a ledger URL that is plain `http://` to a host that is not
    /// loopback: every service token would cross the network readable.
    #[error(
        "refusing to send tokens over plain http:// to the ledger at {url} (the operator org's \
         ledgerUrl): {rule}",
        rule = crate::http::PLAIN_HTTP_RULE
    )]
    PlainHttpLedger {
        /// The ledger URL, without any user name or password.
        url: String,
    },
    /// The metrics port could not be bound (in use, or not permitted).
    #[error("cannot listen for /metrics on {address}")]
    MetricsBind {
        /// The address tried.
        address: std::net::SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The category of a token failure: the `reason` field of `service_token_acquire_failed` and
/// `service_token_refresh_failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureReason {
    /// The token endpoint refused the client credentials (RFC 6749 §5.2 `invalid_client`):
    /// wrong secret or unknown id. Fatal for the token being refreshed.
    InvalidClient,
    /// The endpoint (auth service, or the ledger in the demo profile) could not be reached or
    /// did not answer in time, reset the connection, or answered 5xx/429/408: check
    /// `platform.authPublicUrl` and that the service runs.
    Network,
    /// A 2xx answer that is not a usable token response (not JSON, no `access_token`,
    /// `token_type` not Bearer, `expires_in` missing or out of range): the URL probably points
    /// at something that is not the auth service.
    MalformedResponse,
    /// Another refusal (a 4xx other than `invalid_client`, a redirect, a ledger that refuses the
    /// demo admin token): a configuration mismatch between the oracle and the endpoint.
    Rejected,
    /// The configuration or environment cannot produce a token for this account (missing
    /// secret, undeclared account, a party hint the ledger does not know, an expired token in
    /// the environment).
    Configuration,
    /// No attempt was made: the last one failed moments ago and the backoff has not elapsed.
    Backoff,
    /// The handle was stopped.
    Stopped,
}

impl FailureReason {
    /// The name used in logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidClient => "invalid_client",
            Self::Network => "network",
            Self::MalformedResponse => "malformed_response",
            Self::Rejected => "rejected",
            Self::Configuration => "configuration",
            Self::Backoff => "backoff",
            Self::Stopped => "stopped",
        }
    }
}

impl std::fmt::Display for FailureReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a service token could not be obtained.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TokenError {
    /// Under `profile: production`, a token endpoint that is plain `http://` to a host that is
    /// not loopback: the client secret would cross the network readable.
    #[error(
        "refusing to send the client secret over plain http:// to {url} (from {setting}): \
         {rule}",
        rule = crate::http::PLAIN_HTTP_RULE
    )]
    PlainHttpTokenEndpoint {
        /// The endpoint, without any user name or password.
        url: String,
        /// Where it came from: `platform.authPublicUrl` or `SERVICE_TOKEN_URL`.
        setting: &'static str,
    },
    /// A `SERVICE_TOKEN_*` / `SERVICE_CLIENT_ID_*` variable holds an unusable value.
    #[error("{variable}: {detail}")]
    InvalidSetting {
        /// The variable.
        variable: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The account's client secret is not in the environment.
    #[error(
        "{variable} is not set (or is empty); the `{account}` service account needs its client \
         secret to use the OAuth2 client-credentials grant"
    )]
    MissingClientSecret {
        /// The account id.
        account: String,
        /// The exact variable name.
        variable: String,
    },
    /// The account is not one this profile can produce a token for.
    #[error("unknown service account `{account}`: {detail}")]
    UnknownAccount {
        /// The account id.
        account: String,
        /// What the configuration does declare.
        detail: String,
    },
    /// RFC 6749 §5.2 `invalid_client`: the secret is wrong or the id unknown.
    #[error(
        "token endpoint {endpoint} refused the client credentials (invalid_client{}): check \
         SERVICE_CLIENT_SECRET_* and the auth service's service-accounts.yaml",
        description.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
    )]
    InvalidClient {
        /// The token endpoint.
        endpoint: String,
        /// The server's `error_description`, sanitised.
        description: Option<String>,
    },
    /// The endpoint could not be reached, timed out, reset the connection or answered
    /// 5xx/429/408.
    #[error("{endpoint} is unreachable: {detail}")]
    Network {
        /// The URL called.
        endpoint: String,
        /// What happened, e.g. `connection refused` or `HTTP 503`.
        detail: String,
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },
    /// A 2xx answer that is not a usable token response.
    #[error("token endpoint {endpoint} returned a malformed response: {detail}")]
    MalformedResponse {
        /// The token endpoint.
        endpoint: String,
        /// What is wrong with it (never the token itself).
        detail: String,
    },
    /// Another refusal.
    #[error("{endpoint} refused the request: {detail}")]
    Rejected {
        /// The URL called.
        endpoint: String,
        /// The status and the server's error code.
        detail: String,
    },
    /// Demo profile: no party with this hint on the ledger.
    #[error(
        "no party with hint or display name `{hint}` on the ledger at {ledger} ({known} parties \
         listed): the ledger is unreachable or the party is not allocated"
    )]
    PartyNotFound {
        /// The hint looked for.
        hint: String,
        /// The ledger asked.
        ledger: String,
        /// How many parties it listed.
        known: usize,
    },
    /// Demo profile: several parties match the hint.
    #[error("several parties on the ledger at {ledger} match `{hint}`: {candidates}")]
    AmbiguousParty {
        /// The hint looked for.
        hint: String,
        /// The ledger asked.
        ledger: String,
        /// The matching party ids, comma-separated.
        candidates: String,
    },
    /// Demo profile: HS256 signing failed.
    #[error("cannot sign the demo HS256 token: {0}")]
    Signing(String),
    /// The token from the environment has expired; such tokens are used verbatim and never
    /// refreshed.
    #[error(
        "the token in {variable} expired {expired_ago_secs} s ago; tokens from the environment are \
         used verbatim and never refreshed: replace it, or unset it to use the resolver"
    )]
    EnvTokenExpired {
        /// The variable that holds it.
        variable: String,
        /// How long ago it expired.
        expired_ago_secs: u64,
    },
    /// No usable token and no attempt allowed yet: the last attempt failed and the backoff has
    /// not elapsed.
    #[error("no valid token; next attempt in {} ms; last failure: {last}", retry_in.as_millis())]
    Unavailable {
        /// Time until the next attempt is allowed.
        retry_in: Duration,
        /// The last failure.
        last: Box<TokenError>,
    },
    /// The HTTP client could not be built (for example, no TLS backend).
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(String),
    /// The handle was stopped.
    #[error("the token handle is stopped")]
    Stopped,
}

impl TokenError {
    /// The category logged as `reason`.
    pub fn reason(&self) -> FailureReason {
        match self {
            Self::InvalidClient { .. } => FailureReason::InvalidClient,
            Self::Network { .. } => FailureReason::Network,
            Self::MalformedResponse { .. } => FailureReason::MalformedResponse,
            Self::Rejected { .. } => FailureReason::Rejected,
            Self::MissingClientSecret { .. }
            | Self::InvalidSetting { .. }
            | Self::PlainHttpTokenEndpoint { .. }
            | Self::UnknownAccount { .. }
            | Self::PartyNotFound { .. }
            | Self::AmbiguousParty { .. }
            | Self::Signing(_)
            | Self::HttpClient(_)
            | Self::EnvTokenExpired { .. } => FailureReason::Configuration,
            Self::Unavailable { .. } => FailureReason::Backoff,
            Self::Stopped => FailureReason::Stopped,
        }
    }

    /// The server's `Retry-After`, if the failure carried one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Network { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Why a call to the ledger's JSON API failed (`docs/ledger-json-api.md` §2.1, §2.5).
#[derive(Debug, Clone, thiserror::Error)]
pub enum LedgerError {
    /// 404 `CONTRACT_NOT_FOUND`: the contract was archived or never existed; re-query.
    #[error("{endpoint}: contract not found: {message}")]
    ContractNotFound {
        /// The URL called.
        endpoint: String,
        /// The ledger's first error.
        message: String,
    },
    /// 401 or 403 (or the real JSON API's 500 `UNAUTHENTICATED`): the token was refused or
    /// does not grant the parties the request needs.
    #[error("{endpoint}: the ledger refused the token (HTTP {status}): {message}")]
    Unauthorized {
        /// The URL called.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// The ledger's first error.
        message: String,
    },
    /// Another 4xx: the request itself is wrong (unknown template, bad payload, Daml
    /// authorization error, unknown submitters).
    #[error("{endpoint}: the ledger refused the request (HTTP {status}): {message}")]
    Rejected {
        /// The URL called.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// The ledger's first error.
        message: String,
    },
    /// A 5xx: the ledger failed.
    #[error("{endpoint}: the ledger failed (HTTP {status}): {message}")]
    Server {
        /// The URL called.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// The ledger's first error.
        message: String,
    },
    /// No answer within `oracle.ledgerTimeoutMs`.
    #[error("{endpoint}: no answer within {} ms", timeout.as_millis())]
    Timeout {
        /// The URL called.
        endpoint: String,
        /// The timeout that elapsed.
        timeout: Duration,
    },
    /// The connection failed.
    #[error("{endpoint}: {detail}")]
    Network {
        /// The URL called.
        endpoint: String,
        /// What happened.
        detail: String,
    },
    /// The answer is not the JSON API envelope.
    #[error("{endpoint}: unexpected response (HTTP {status}): {detail}")]
    Malformed {
        /// The URL called.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// What is wrong with it.
        detail: String,
    },
}

impl LedgerError {
    /// True when retrying later may succeed without a change on our side (network, timeout,
    /// 5xx).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Timeout { .. } | Self::Network { .. } | Self::Server { .. }
        )
    }

    /// The `<CODE>` of a Daml `User abort: <CODE>: <text>` refusal: a choice whose
    /// precondition failed (`crates/ledger-sandbox/WORLD.md`, "Errors a client must
    /// recognise"), e.g. `NOTHING_DUE` or `STALE_MARK`.
    pub fn user_abort_code(&self) -> Option<&str> {
        let Self::Rejected { message, .. } = self else {
            return None;
        };
        let (_, rest) = message.split_once("User abort: ")?;
        let end = rest
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(rest.len());
        (end > 0).then(|| &rest[..end])
    }

    /// Whether the ledger refused a command because its `actAs` lacks a required authorizer
    /// (`DAML_AUTHORIZATION_ERROR`), e.g. the scheduler's token on an Operator choice.
    pub fn is_daml_authorization_error(&self) -> bool {
        matches!(self, Self::Rejected { message, .. } if message.contains("DAML_AUTHORIZATION_ERROR"))
    }

    /// The short name logged as a tick failure's `reason`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::ContractNotFound { .. } => "contract_not_found",
            Self::Unauthorized { .. } => "ledger_unauthorized",
            Self::Rejected { .. } => "ledger_rejected",
            Self::Server { .. } => "ledger_server_error",
            Self::Timeout { .. } => "ledger_timeout",
            Self::Network { .. } => "ledger_unreachable",
            Self::Malformed { .. } => "ledger_malformed_response",
        }
    }
}

/// Why one cron tick failed. The tick is logged as `tick_failed` with [`TickError::reason`]
/// and the next fire tries again.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TickError {
    /// The token handle had no valid token to give.
    #[error("no service token")]
    Token(#[source] TokenError),
    /// A ledger call failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The tick did not finish within its timeout.
    #[error("the tick did not finish within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// The job found the ledger in a state it cannot work with.
    #[error("{0}")]
    Job(String),
    /// A choice the job exercised was refused or failed.
    #[error("{choice} on {target}")]
    Choice {
        /// The choice.
        choice: &'static str,
        /// What it was exercised on, by stable id (e.g. `CSA CSA-AB-001`).
        target: String,
        /// The ledger's answer.
        #[source]
        source: LedgerError,
    },
    /// Some of the contracts a tick acted on failed, each logged as `contract_failed`; the
    /// others were processed.
    #[error("{failed} of {total} {items} failed; the first")]
    Contracts {
        /// How many failed.
        failed: usize,
        /// How many the tick acted on.
        total: usize,
        /// What they are (`CSAs`, `swaps`).
        items: &'static str,
        /// The first failure.
        #[source]
        first: Box<TickError>,
    },
}

impl TickError {
    /// The `reason` field of `tick_failed`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Token(_) => "token_unavailable",
            Self::Ledger(error) => error.reason(),
            Self::Timeout(_) => "timeout",
            Self::Job(_) => "job_failed",
            Self::Choice { source, .. } if source.is_daml_authorization_error() => {
                "choice_not_authorized"
            }
            Self::Choice { source, .. } if source.user_abort_code().is_some() => {
                "choice_precondition_failed"
            }
            Self::Choice { source, .. } => source.reason(),
            Self::Contracts { first, .. } => first.reason(),
        }
    }
}

#[cfg(test)]
mod tests;
