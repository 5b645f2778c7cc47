//! [`LedgerProbe`]: the interim job of every cron, one authenticated `POST /v1/query`.
//!
//! It proves the whole chain on each fire (the handle's token is accepted by the ledger and
//! grants a read) and logs `ledger_query_completed` with the number of contracts visible. The
//! template ids are the IRSForge world's, in the package-name form the JSON API accepts
//! (`docs/ledger-json-api.md` §2.2).

use crate::jobs::{Job, JobContext, JobFuture, JobReport};
use crate::ledger::QueryRequest;

/// The CSA template of the IRSForge world.
pub const CSA_TEMPLATE_ID: &str = "#irsforge:IRSForge.Csa:Csa";
/// The vanilla swap template of the IRSForge world.
pub const SWAP_TEMPLATE_ID: &str = "#irsforge:IRSForge.Swap:Swap";

/// Queries the active contracts of some templates and reports how many are visible.
#[derive(Debug, Clone)]
pub struct LedgerProbe {
    request: QueryRequest,
}

impl LedgerProbe {
    /// A probe of these templates.
    pub fn new(template_ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            request: QueryRequest::templates(template_ids),
        }
    }
}

impl Job for LedgerProbe {
    fn run<'a>(&'a self, context: JobContext<'a>) -> JobFuture<'a> {
        Box::pin(async move {
            let contracts = context
                .ledger
                .query(&context.token().await?, &self.request)
                .await?;
            tracing::info!(
                event = "ledger_query_completed",
                cron = %context.cron,
                accountId = %context.account_id,
                contracts = contracts.len(),
                "ledger query completed"
            );
            Ok(JobReport {
                contracts_seen: contracts.len() as u64,
                ledger_effects: 0,
            })
        })
    }
}
