//! The lease row in PostgreSQL: the table, the one atomic acquire-or-renew statement, and the
//! release.
//!
//! ```sql
//! CREATE TABLE IF NOT EXISTS irsforge_oracle_lease (
//!     name        text        PRIMARY KEY,  -- replicas sharing a name elect one leader
//!     holder      text        NOT NULL,     -- '<instance id>#<per-process nonce>'
//!     expires_at  timestamptz NOT NULL,     -- the database's now() + TTL at the last renewal
//!     renewed_at  timestamptz NOT NULL
//! );
//! ```
//!
//! The table is created at each (re)connection if absent, inside a transaction holding a
//! transaction-level advisory lock, so replicas starting together never race on the catalog.
//! Acquire and renew are the same statement ([`ACQUIRE`]): an `INSERT … ON CONFLICT DO UPDATE
//! … WHERE the lease has expired OR we hold it`, with expiry computed by the database's
//! `now()`, so the replicas' wall clocks play no part. It returns whether we hold the lease
//! and, if not, who does. The holder is the instance id plus a random per-process nonce, so two
//! replicas misconfigured with one id still never share a lease, and a restarted replica waits
//! out its predecessor's lease like any other.
//!
//! Every statement has a client-side timeout and the session a server-side
//! `statement_timeout` ([`super::LeaseTiming::statement_timeout`]). After any error or timeout
//! the connection is dropped and the next attempt opens a new one.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio_postgres::{Client, Statement};

use super::database::DatabaseTarget;
use super::error::LeaseError;
use super::settings::LeaseTiming;

/// The table's name.
pub const TABLE: &str = "irsforge_oracle_lease";

/// Creates the table; the advisory lock (key: "IRSFLEAS" as a big-endian i64) serialises
/// replicas that start together.
const SCHEMA: &str = "BEGIN;
SELECT pg_advisory_xact_lock(5283376874251436371);
CREATE TABLE IF NOT EXISTS irsforge_oracle_lease (
    name        text        PRIMARY KEY,
    holder      text        NOT NULL,
    expires_at  timestamptz NOT NULL,
    renewed_at  timestamptz NOT NULL
);
COMMIT;";

/// Acquire or renew, in one statement: `$1` lease name, `$2` holder, `$3` TTL in ms.
pub const ACQUIRE: &str = "WITH attempt AS (
    INSERT INTO irsforge_oracle_lease AS lease (name, holder, expires_at, renewed_at)
    VALUES ($1, $2, now() + $3::bigint * interval '1 millisecond', now())
    ON CONFLICT (name) DO UPDATE
        SET holder = excluded.holder,
            expires_at = excluded.expires_at,
            renewed_at = excluded.renewed_at
        WHERE lease.expires_at <= now() OR lease.holder = excluded.holder
    RETURNING lease.holder
)
SELECT true AS held, holder FROM attempt
UNION ALL
SELECT false AS held, holder FROM irsforge_oracle_lease
WHERE name = $1 AND NOT EXISTS (SELECT 1 FROM attempt)";

/// Give the lease up: expire it now if we still hold it.
pub const RELEASE: &str =
    "UPDATE irsforge_oracle_lease SET expires_at = now() WHERE name = $1 AND holder = $2";

/// The most characters of another holder's name kept for the logs.
pub const MAX_HOLDER_CHARS: usize = 160;

/// The answer to an acquire or renewal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// We hold the lease for another TTL from the statement's execution.
    Held,
    /// Another replica holds an unexpired lease (its holder string, when the row was visible).
    HeldBy(Option<String>),
}

/// The future of a store call.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, LeaseError>> + Send + 'a>>;

/// Where the lease row lives; PostgreSQL in production, scripted in the runner's tests.
pub trait LeaseStore: Send + 'static {
    /// Acquire or renew the lease for `ttl` from the database's now.
    fn acquire(&mut self, ttl: Duration) -> StoreFuture<'_, Claim>;
    /// Expire the lease now if we hold it; `true` when we did.
    fn release(&mut self) -> StoreFuture<'_, bool>;
}

/// The lease in a PostgreSQL table, over one connection opened on demand.
pub struct PgLeaseStore {
    target: DatabaseTarget,
    lease_name: String,
    holder: String,
    timing: LeaseTiming,
    session: Option<Session>,
}

struct Session {
    client: Client,
    acquire: Statement,
    release: Statement,
    connection: tokio::task::JoinHandle<()>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.connection.abort();
    }
}

impl PgLeaseStore {
    /// A store for `lease_name`, holding as `holder`.
    pub fn new(
        target: DatabaseTarget,
        lease_name: String,
        holder: String,
        timing: LeaseTiming,
    ) -> Self {
        Self {
            target,
            lease_name,
            holder,
            timing,
            session: None,
        }
    }

    /// The holder string this store writes.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    async fn session(&mut self) -> Result<&Session, LeaseError> {
        if self
            .session
            .as_ref()
            .is_some_and(|session| session.client.is_closed())
        {
            self.session = None;
        }
        if self.session.is_none() {
            let timing = self.timing;
            let (client, connection) = self
                .target
                .connect(timing.connect_timeout, timing.statement_timeout)
                .await?;
            let prepared = async {
                ensure_schema(&client, timing.connect_timeout).await?;
                let prepare = |sql| timed(timing.statement_timeout, "prepare", client.prepare(sql));
                Ok::<_, LeaseError>((prepare(ACQUIRE).await?, prepare(RELEASE).await?))
            };
            let (acquire, release) = match prepared.await {
                Ok(statements) => statements,
                Err(error) => {
                    connection.abort();
                    return Err(error);
                }
            };
            self.session = Some(Session {
                client,
                acquire,
                release,
                connection,
            });
        }
        Ok(self.session.as_ref().expect("set above"))
    }

    async fn try_acquire(&mut self, ttl: Duration) -> Result<Claim, LeaseError> {
        let timeout = self.timing.statement_timeout;
        let (name, holder) = (self.lease_name.clone(), self.holder.clone());
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let session = self.session().await?;
        let rows = timed(
            timeout,
            "acquire",
            session
                .client
                .query(&session.acquire, &[&name, &holder, &ttl_ms]),
        )
        .await?;
        Ok(match rows.first() {
            Some(row) if row.get::<_, bool>(0) => Claim::Held,
            Some(row) => Claim::HeldBy(Some(bounded(row.get::<_, String>(1)))),
            None => Claim::HeldBy(None),
        })
    }

    async fn try_release(&mut self) -> Result<bool, LeaseError> {
        let timeout = self.timing.statement_timeout;
        let (name, holder) = (self.lease_name.clone(), self.holder.clone());
        let session = self.session().await?;
        let updated = timed(
            timeout,
            "release",
            session.client.execute(&session.release, &[&name, &holder]),
        )
        .await?;
        Ok(updated == 1)
    }
}

impl LeaseStore for PgLeaseStore {
    fn acquire(&mut self, ttl: Duration) -> StoreFuture<'_, Claim> {
        Box::pin(async move {
            let outcome = self.try_acquire(ttl).await;
            if outcome.is_err() {
                self.session = None;
            }
            outcome
        })
    }

    fn release(&mut self) -> StoreFuture<'_, bool> {
        Box::pin(async move {
            let outcome = self.try_release().await;
            self.session = None;
            outcome
        })
    }
}

/// Creates the table if it is absent, serialised by an advisory lock.
async fn ensure_schema(client: &Client, timeout: Duration) -> Result<(), LeaseError> {
    let exists = timed(
        timeout,
        "schema",
        client.query_one("SELECT to_regclass($1) IS NOT NULL", &[&TABLE]),
    )
    .await?;
    if !exists.get::<_, bool>(0) {
        timed(timeout, "schema", client.batch_execute(SCHEMA)).await?;
    }
    Ok(())
}

async fn timed<T>(
    after: Duration,
    statement: &'static str,
    call: impl Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, LeaseError> {
    match tokio::time::timeout(after, call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(source)) => Err(LeaseError::Statement { statement, source }),
        Err(_) => Err(LeaseError::Timeout {
            operation: statement,
            after,
        }),
    }
}

fn bounded(holder: String) -> String {
    if holder.chars().count() <= MAX_HOLDER_CHARS {
        return holder;
    }
    holder.chars().take(MAX_HOLDER_CHARS).chain(['…']).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_holder_is_cut_for_the_logs() {
        assert_eq!(bounded("a#1".into()), "a#1");
        let long = bounded("x".repeat(1000));
        assert_eq!(long.chars().count(), MAX_HOLDER_CHARS + 1);
        assert!(long.ends_with('…'));
    }
}
