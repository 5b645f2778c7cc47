//! One leader among oracle replicas, elected on a PostgreSQL lease.
//!
//! Unset, the oracle runs alone and needs no database ([`Leadership::sole`]). With
//! `ORACLE_LEASE_DATABASE_URL`, every replica runs its token handles as usual (standbys keep
//! their tokens fresh, so a new leader's first tick needs no token request) and its crons fire
//! only while [`Leadership::acting`] says the lease is certainly held.
//!
//! - [`settings`]: flags and variables, validation, the timing derived from the TTL.
//! - [`database`]: the URL, TLS (`rustls` with aws-lc-rs, certificates always verified) and
//!   connecting.
//! - [`store`]: the table and the one atomic acquire-or-renew statement.
//! - [`runner`]: the task that acquires, renews, logs the role changes and releases at
//!   shutdown.
//! - [`leadership`]: the shared answer to "may this replica act now?", counted on
//!   [`clock`]'s monotonic clock from when the last renewal was sent.
//! - [`error`]: the [`LeaseError`] enum.
//!
//! Guarantee: a leader acts only until `send time of its last successful renewal + T − T/10`,
//! while the database keeps the lease until its own `now()` at that statement `+ T`, which is
//! later; a standby acquires only once the database's `now()` has passed that expiry. So two
//! replicas never act at once, whatever their wall clocks say, provided the lease database's
//! clock does not jump forward by more than `T/10` and the replicas' monotonic clocks run at
//! the same rate as it within that margin. Takeover after a leader's death, freeze or loss of
//! the database takes at most `T + T/3` (plus one statement), and at most `T/3` after a clean
//! shutdown, which releases the lease.

pub mod clock;
pub mod database;
pub mod error;
pub mod leadership;
pub mod runner;
pub mod settings;
pub mod store;

pub use clock::{BootClock, LeaseClock, TokioLeaseClock};
pub use database::DatabaseTarget;
pub use error::LeaseError;
pub use leadership::{Leadership, LeadershipLost};
pub use runner::LeaseHandle;
pub use settings::{LeaseArgs, LeaseOptions, LeaseTiming};
pub use store::{Claim, LeaseStore, PgLeaseStore};

/// Starts the lease runner for `options`; the replica is a standby until the first attempt
/// succeeds. Must be called inside a tokio runtime.
pub fn start(options: LeaseOptions) -> LeaseHandle {
    let timing = options.timing();
    let holder = format!("{}#{:08x}", options.instance_id, fastrand::u32(..));
    tracing::info!(
        event = "lease_started",
        instanceId = %options.instance_id,
        holder = %holder,
        database = %options.target,
        lease = %options.lease_name,
        ttlMs = timing.ttl.as_millis() as u64,
        renewEveryMs = timing.renew_every.as_millis() as u64,
        "leader election on the lease database"
    );
    let store = PgLeaseStore::new(options.target, options.lease_name, holder, timing);
    start_with_store(
        store,
        options.instance_id,
        timing,
        Leadership::leased(options.clock),
    )
}

/// Starts the lease runner on any [`LeaseStore`] (tests script one).
pub fn start_with_store<S: LeaseStore>(
    store: S,
    instance_id: String,
    timing: LeaseTiming,
    leadership: Leadership,
) -> LeaseHandle {
    runner::spawn(store, instance_id, timing, leadership)
}
