//! The real jobs against the real ledger sandbox, in-process on `127.0.0.1:0` in HS256 mode.
//!
//! The sandbox runs on a `ManualClock` with the world seeded at WORLD.md's seed time T
//! (2026-01-05T09:00:00Z) and ledger time T + 55 s unless a test moves it, so the short
//! swaps' first periods are due, `IRS-SHORT-50S` is past maturity and the figures of
//! WORLD.md's worked example apply. Each test calls a job's `Job::run` with a token minted for
//! `Operator::F` or `Scheduler::F` and a chosen fire time, then reads the ledger through
//! `Sandbox::snapshot()`.

mod marks;
mod proxy;
mod rotation;
mod scheduler;

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ledger_sandbox::{DEFAULT_NAMESPACE_FINGERPRINT, Sandbox, SandboxOptions};
use ledger_types::{LedgerApiClaims, LedgerJwtClaims};
use oracle::jobs::{Job, JobContext, JobReport};
use oracle::ledger::Contract;
use oracle::{BearerToken, LedgerClient, TickError};
use serde_json::Value;
use service_runtime::clock::ManualClock;
use url::Url;

pub(crate) const SECRET: &str = "jobs-test-hs256-secret";
pub(crate) const CSA_ID: &str = "CSA-AB-001";

/// WORLD.md's seed time T.
pub(crate) fn seed_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

/// T + `seconds`.
pub(crate) fn at(seconds: i64) -> DateTime<Utc> {
    seed_time() + Duration::seconds(seconds)
}

/// The sandbox, its clock, a client of it and the two service parties' tokens.
pub(crate) struct World {
    pub(crate) sandbox: Sandbox,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) ledger: LedgerClient,
    pub(crate) operator: BearerToken,
    pub(crate) scheduler: BearerToken,
}

impl World {
    /// A fresh sandbox seeded at T with ledger time T + 55 s.
    pub(crate) async fn start() -> Self {
        let clock = Arc::new(ManualClock::new(at(55)));
        let mut options = SandboxOptions::hs256(SECRET);
        options.application_id = Some("IRSForge".into());
        options.seed_time = Some(seed_time());
        options.clock = clock.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sandbox = Sandbox::start(listener, options).unwrap();
        let ledger = client(&sandbox.base_url());
        Self {
            sandbox,
            clock,
            ledger,
            operator: token_for("Operator"),
            scheduler: token_for("Scheduler"),
        }
    }

    /// Runs one tick of `job` against the sandbox.
    pub(crate) async fn run(
        &self,
        job: &dyn Job,
        token: &BearerToken,
        fired_at: DateTime<Utc>,
    ) -> Result<JobReport, TickError> {
        run_on(&self.ledger, job, token, fired_at).await
    }

    /// The payloads of the active contracts of `module_entity`, in creation order.
    pub(crate) fn payloads(&self, module_entity: &str) -> Vec<Value> {
        self.sandbox
            .snapshot()
            .contracts_of(module_entity)
            .into_iter()
            .map(|contract| contract.payload.clone())
            .collect()
    }

    /// The active contracts of `module_entity` as the oracle's client would return them.
    pub(crate) fn contracts(&self, module_entity: &str) -> Vec<Contract> {
        self.sandbox
            .snapshot()
            .contracts_of(module_entity)
            .into_iter()
            .map(|contract| Contract {
                contract_id: contract.contract_id.clone(),
                template_id: contract.template_id.clone(),
                payload: contract.payload.clone(),
                signatories: contract.signatories.clone(),
                observers: contract.observers.clone(),
                agreement_text: None,
                key: None,
                completion_offset: None,
            })
            .collect()
    }

    /// The one active CSA's payload.
    pub(crate) fn csa(&self) -> Value {
        let [csa] = <[Value; 1]>::try_from(self.payloads("IRSForge.Csa:Csa")).unwrap();
        csa
    }

    /// The active swap `swap_id`'s payload, if it is active.
    pub(crate) fn swap(&self, swap_id: &str) -> Option<Value> {
        self.payloads("IRSForge.Swap:Swap")
            .into_iter()
            .find(|swap| swap["swapId"] == swap_id)
    }

    pub(crate) async fn stop(self) {
        self.sandbox.shutdown().await.unwrap();
    }
}

/// A ledger client of `base`.
pub(crate) fn client(base: &str) -> LedgerClient {
    LedgerClient::new(
        &Url::parse(base).unwrap(),
        std::time::Duration::from_secs(10),
    )
    .unwrap()
}

/// Runs one tick of `job` through `ledger`.
pub(crate) async fn run_on(
    ledger: &LedgerClient,
    job: &dyn Job,
    token: &BearerToken,
    fired_at: DateTime<Utc>,
) -> Result<JobReport, TickError> {
    job.run(JobContext {
        cron: "test",
        account_id: "test-account",
        tokens: token,
        ledger,
        fired_at,
    })
    .await
}

/// An HS256 token acting as `hint::F`, valid on the sandbox's clock and on the system clock.
pub(crate) fn token_for(hint: &str) -> BearerToken {
    let issued = seed_time().timestamp();
    let expires = Utc::now().max(seed_time()).timestamp() + 3600;
    let claims = LedgerJwtClaims {
        iss: None,
        sub: Some(format!("test:{hint}")),
        iat: Some(issued),
        exp: Some(expires),
        jti: None,
        ledger_api: LedgerApiClaims {
            ledger_id: Some("sandbox".into()),
            application_id: Some("IRSForge".into()),
            act_as: vec![format!("{hint}::{DEFAULT_NAMESPACE_FINGERPRINT}")],
            ..LedgerApiClaims::default()
        },
    };
    let key = EncodingKey::from_secret(SECRET.as_bytes());
    BearerToken::new(jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap())
}
