//! A Canton JSON API v1 stand-in for IRSForge: it authenticates and authorizes bearer tokens
//! exactly as a Canton 2.x participant with the JSON API in front of it would, and holds the
//! IRSForge world (parties, a CSA, swaps, a discount curve) with the choices the oracle drives.
//! The behavioural reference is the repository's `docs/ledger-json-api.md`; the world's contract
//! is in this crate's `WORLD.md`.
//!
//! # Layout
//!
//! - `lib.rs`: [`run`], [`Sandbox`] (spawn in-process, inspect, shut down), snapshots.
//! - `options.rs`: [`SandboxOptions`], [`AuthMode`], [`JwksOptions`].
//! - `clock.rs`: ledger time from the injected `service_runtime::clock::Clock`.
//! - `cli.rs`: [`cli::Cli`], the binary's flags and environment variables.
//! - `error.rs`: [`SandboxError`].
//! - `auth.rs`: token extraction and verification (HS256 or RS256/JWKS), time claims, the
//!   participant's identity checks and the admin right. `claims.rs`: the payload codec and the
//!   JSON API's own claim checks. `jwks.rs`: the key cache with its rate-limited refetch.
//! - `routes/`: the HTTP endpoints; `envelope.rs`: response envelopes and every error shape.
//! - `fuzzing.rs` (doc-hidden): the routes' token verification without a server, for the fuzz
//!   targets in `fuzz/` and the property tests; not a supported API.
//! - `ledger.rs`: create/exercise with Daml authorization, visibility for reads.
//! - `store.rs`: the in-memory ledger. `template.rs`: templates and choices as Rust types.
//! - `template_id.rs`: the three template-id forms. `lf.rs`: the LF JSON value codec, from
//!   `ledger_types::lf`.
//! - `world/`: the IRSForge templates, choices and seed.
//!
//! # Library API
//!
//! ```text
//! pub async fn run(listener: tokio::net::TcpListener, options: SandboxOptions,
//!                  shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), SandboxError>
//! impl Sandbox {
//!     pub fn start(listener: TcpListener, options: SandboxOptions) -> Result<Sandbox, SandboxError>
//!     pub fn local_addr(&self) -> SocketAddr
//!     pub fn base_url(&self) -> String                 // "http://127.0.0.1:PORT", no trailing slash
//!     pub fn snapshot(&self) -> LedgerSnapshot         // parties + active contracts
//!     pub async fn shutdown(self) -> Result<(), SandboxError>
//! }
//! SandboxOptions::hs256(secret) / SandboxOptions::jwks(url), then set the pub fields
//! (ledger_id, application_id, namespace_fingerprint, leeway, clock, seed_time, jwks, …).
//! ```
//!
//! # Log events
//!
//! Every line has a stable `event`: `world_seeded`, `sandbox_started`, `sandbox_stopped`,
//! `shutdown_requested`, `sandbox_failed` (binary), `contract_created` (template,
//! contract_id), `choice_exercised` (template, choice, contract_id, act_as, created),
//! `party_allocated`, `command_rejected` (create/exercise) and `request_rejected` (other
//! endpoints) with `status`, `reason` (stable snake_case) and `detail`, `request_timed_out`,
//! `jwks_refetched` (trigger, key_count), `jwks_fetch_failed`, `jwks_refetch_rate_limited`,
//! `internal_error`. No token or secret is ever logged.
//!
//! # Deliberate differences from a real participant + JSON API
//!
//! - A token the participant cannot authenticate (bad signature, wrong or `none` alg, expired,
//!   not yet valid, unknown `kid`, unparsable payload) gets **401** `UNAUTHENTICATED: <reason>`;
//!   the real JSON API answers 500 with a redacted text (and 200-with-embedded-500 on
//!   `/v1/query`).
//! - PERMISSION_DENIED on commands, queries and party listing is 401 with the reason
//!   (`PERMISSION_DENIED: …`) instead of the redacted text; on allocation it is 403 as on Canton.
//! - A payload that fails the token codec (§1.3) gets 401 where the real JSON API answers 500.
//! - User tokens (audience- or scope-based) are refused with 401: the platform uses
//!   custom-claims tokens and the sandbox has no user store. `/v1/user*` endpoints, packages,
//!   `create-and-exercise` and the WebSocket streams are not served (JSON 404).
//! - When configured with an application id, the sandbox checks a token's `applicationId`
//!   against it on queries too (a participant checks it on commands only).
//! - JWKS: a fetch replaces the cached key set, so a key the auth service stopped publishing
//!   is distrusted at the next fetch (Canton trusts it up to 10 h); fetches are rate-limited to
//!   one per `refetch_interval` (Canton refetches on every miss).
//! - Errors inside queries always carry a real non-2xx status.
//! - Unknown paths get a JSON 404 in the envelope; a known path with the wrong method gets a
//!   JSON 405. Bodies above `max_body_bytes` get a JSON 413. `Content-Type` is not required.
//! - Daml choice bodies are Rust code; a failed precondition is
//!   `DAML_INTERPRETATION_ERROR … User abort: <CODE>: <text>` with a stable `<CODE>`.
//! - Contract keys: only `IRSForge.Curve:DiscountCurve` has one; key lookups inside choices are
//!   not subject to the maintainers' authorization.

pub mod cli;
mod clock;
mod error;
mod options;

mod auth;
mod claims;
mod envelope;
mod jwks;
mod ledger;
mod lf;
mod routes;
mod store;
mod template;
mod template_id;
mod world;

#[doc(hidden)]
pub mod fuzzing;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use chrono::Timelike;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio_util::sync::{CancellationToken, DropGuard};

pub use error::SandboxError;
pub use options::{
    AuthMode, DEFAULT_LEDGER_ID, DEFAULT_NAMESPACE_FINGERPRINT, JwksOptions, SandboxOptions,
};
pub use world::{PACKAGE_ID, PACKAGE_NAME};

use crate::auth::Authenticator;
use crate::lf::Timestamp;
use crate::routes::{AppState, lock_ledger};
use crate::store::LedgerState;

/// Serves the sandbox on `listener` until `shutdown` completes, then stops accepting and lets
/// in-flight requests finish (each is bounded by `request_timeout`).
pub async fn run(
    listener: TcpListener,
    options: SandboxOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), SandboxError> {
    let prepared = prepare(&listener, options)?;
    serve(listener, prepared, shutdown).await
}

/// A sandbox running in a background task: its address, a view of its ledger, and a handle
/// to stop it. For tests and the one-command demo. Dropping it stops the server without
/// waiting; [`Sandbox::shutdown`] stops it and waits.
#[derive(Debug)]
pub struct Sandbox {
    local_addr: SocketAddr,
    ledger: Arc<Mutex<LedgerState>>,
    /// Stops the server when dropped, so a forgotten handle cannot leak a server.
    stop: DropGuard,
    task: tokio::task::JoinHandle<Result<(), SandboxError>>,
}

impl Sandbox {
    /// Seeds the world and starts serving on `listener` in a task spawned on the current tokio
    /// runtime ([`SandboxError::NoRuntime`] outside one).
    pub fn start(listener: TcpListener, options: SandboxOptions) -> Result<Self, SandboxError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| SandboxError::NoRuntime)?;
        let prepared = prepare(&listener, options)?;
        let local_addr = prepared.local_addr;
        let ledger = prepared.state.ledger.clone();
        let cancel = CancellationToken::new();
        let stop = cancel.clone();
        let task = runtime.spawn(serve(listener, prepared, async move {
            stop.cancelled().await;
        }));
        Ok(Self {
            local_addr,
            ledger,
            stop: cancel.drop_guard(),
            task,
        })
    }

    /// The address the sandbox listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://<addr>` with no trailing slash; append `/v1/...`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// A consistent copy of the ledger: parties and active contracts.
    pub fn snapshot(&self) -> LedgerSnapshot {
        snapshot_of(&lock_ledger(&self.ledger))
    }

    /// Stops accepting, waits for in-flight requests and returns how serving ended.
    pub async fn shutdown(self) -> Result<(), SandboxError> {
        let Self { stop, task, .. } = self;
        drop(stop);
        task.await.map_err(SandboxError::Task)?
    }
}

/// A copy of the ledger's parties and active contracts.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerSnapshot {
    /// Allocated parties, the admin party first.
    pub parties: Vec<PartySnapshot>,
    /// Active contracts in creation order.
    pub contracts: Vec<ContractSnapshot>,
}

impl LedgerSnapshot {
    /// Active contracts whose template is `module_entity` (`"IRSForge.Csa:Csa"`).
    pub fn contracts_of(&self, module_entity: &str) -> Vec<&ContractSnapshot> {
        self.contracts
            .iter()
            .filter(|contract| contract.template_id.ends_with(&format!(":{module_entity}")))
            .collect()
    }

    /// The party id whose hint is `hint` (`"Operator"` → `Operator::1220…`).
    pub fn party(&self, hint: &str) -> Option<&str> {
        self.parties
            .iter()
            .map(|party| party.identifier.as_str())
            .find(|id| id.split_once("::").is_some_and(|(h, _)| h == hint))
    }
}

/// A party as `GET /v1/parties` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartySnapshot {
    /// The full party id.
    pub identifier: String,
    /// The display name, when set.
    pub display_name: Option<String>,
}

/// An active contract as the JSON API reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractSnapshot {
    /// The contract id.
    pub contract_id: String,
    /// `pkgId:Module:Entity`.
    pub template_id: String,
    /// The LF JSON payload.
    pub payload: Value,
    /// Signatories.
    pub signatories: Vec<String>,
    /// Observers that are not signatories.
    pub observers: Vec<String>,
}

fn snapshot_of(state: &LedgerState) -> LedgerSnapshot {
    LedgerSnapshot {
        parties: state
            .parties()
            .iter()
            .map(|party| PartySnapshot {
                identifier: party.identifier.clone(),
                display_name: party.display_name.clone(),
            })
            .collect(),
        contracts: state
            .active_contracts()
            .into_iter()
            .map(|contract| ContractSnapshot {
                contract_id: contract.contract_id.clone(),
                template_id: contract.template.template_id(),
                payload: contract.instance.payload.clone(),
                signatories: contract.instance.signatories.clone(),
                observers: contract.instance.observers.clone(),
            })
            .collect(),
    }
}

struct Prepared {
    state: Arc<AppState>,
    local_addr: SocketAddr,
    request_timeout: std::time::Duration,
    connections: service_runtime::serve::ServeLimits,
    mode: &'static str,
}

fn prepare(listener: &TcpListener, options: SandboxOptions) -> Result<Prepared, SandboxError> {
    options.validate()?;
    let local_addr = listener.local_addr().map_err(SandboxError::LocalAddress)?;
    let authenticator = Authenticator::new(&options)?;
    let seed_time = Timestamp::from_datetime(
        options
            .seed_time
            .unwrap_or_else(|| options.clock.now())
            .with_nanosecond(0)
            .unwrap_or_else(|| options.clock.now()),
    )
    .map_err(|error| SandboxError::InvalidOption {
        field: "seed_time",
        reason: error.to_string(),
    })?;
    let mut ledger = LedgerState::new();
    world::seed::seed(
        &mut ledger,
        &options.participant_id(),
        &options.namespace_fingerprint,
        seed_time,
    )
    .map_err(|reason| SandboxError::InvalidOption {
        field: "seed_time",
        reason: format!("the world cannot be seeded: {reason}"),
    })?;
    tracing::info!(
        event = "world_seeded",
        seedTime = %seed_time,
        contracts = ledger.active_contracts().len(),
        parties = ledger.parties().len(),
        "IRSForge world seeded"
    );
    let mode = match options.auth {
        AuthMode::Hs256 { .. } => "hs256",
        AuthMode::Jwks { .. } => "jwks",
    };
    let state = Arc::new(AppState {
        authenticator,
        ledger: Arc::new(Mutex::new(ledger)),
        clock: options.clock.clone(),
        namespace_fingerprint: options.namespace_fingerprint.clone(),
        max_body_bytes: options.max_body_bytes,
    });
    Ok(Prepared {
        state,
        local_addr,
        request_timeout: options.request_timeout,
        connections: options.connections,
        mode,
    })
}

async fn serve(
    listener: TcpListener,
    prepared: Prepared,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), SandboxError> {
    let app = routes::router(prepared.state, prepared.request_timeout);
    tracing::info!(
        event = "sandbox_started",
        addr = %prepared.local_addr,
        authMode = prepared.mode,
        "ledger sandbox listening"
    );
    service_runtime::serve::serve(listener, app, prepared.connections, shutdown).await;
    tracing::info!(event = "sandbox_stopped", addr = %prepared.local_addr, "ledger sandbox stopped");
    Ok(())
}
