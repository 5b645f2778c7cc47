//! The lease's settings: flags and variables ([`LeaseArgs`]), validated into [`LeaseOptions`],
//! and the timing every other figure derives from ([`LeaseTiming`]).
//!
//! `ORACLE_LEASE_DATABASE_URL` / `--lease-database-url` turns the lease on; unset or empty,
//! the oracle runs alone and needs no database. `ORACLE_LEASE_TTL_SECONDS` /
//! `--lease-ttl-seconds` (default 15, 5 to 3600) and `ORACLE_INSTANCE_ID` / `--instance-id`
//! (default `<host name>-<pid>`) shape it. Empty variables count as unset.

use std::sync::Arc;
use std::time::Duration;

use super::clock::{BootClock, LeaseClock};
use super::database::DatabaseTarget;
use super::error::LeaseError;

/// The TTL when none is given.
pub const DEFAULT_TTL: Duration = Duration::from_secs(15);
/// The shortest TTL accepted (tests use it).
pub const MIN_TTL_SECONDS: u64 = 5;
/// The longest TTL accepted: a standby waits up to TTL + TTL/3 after a leader's death.
pub const MAX_TTL_SECONDS: u64 = 3600;
/// The longest instance id accepted.
pub const MAX_INSTANCE_ID_CHARS: usize = 128;
/// The lease row's name when the library's caller does not choose one.
pub const DEFAULT_LEASE_NAME: &str = "irsforge-oracle";

/// The lease's command-line flags, each with its environment variable.
#[derive(Clone, Default, clap::Args)]
pub struct LeaseArgs {
    /// PostgreSQL URL of the leader lease (postgres://…); one leader among replicas. Off (the
    /// oracle runs alone) when unset or empty.
    #[arg(long, env = "ORACLE_LEASE_DATABASE_URL", hide_env_values = true)]
    pub lease_database_url: Option<String>,
    /// How long a lease lasts, in seconds (5 to 3600); renewed every third of it [default: 15].
    #[arg(long, env = "ORACLE_LEASE_TTL_SECONDS")]
    pub lease_ttl_seconds: Option<String>,
    /// This replica's name in the lease and the logs [default: <host name>-<pid>].
    #[arg(long, env = "ORACLE_INSTANCE_ID")]
    pub instance_id: Option<String>,
}

impl std::fmt::Debug for LeaseArgs {
    /// The URL may hold the database password: only whether it is set is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaseArgs")
            .field(
                "lease_database_url",
                &self.lease_database_url.as_ref().map(|_| "<redacted>"),
            )
            .field("lease_ttl_seconds", &self.lease_ttl_seconds)
            .field("instance_id", &self.instance_id)
            .finish()
    }
}

impl LeaseArgs {
    /// The validated options; `None` when no database URL is given (the oracle runs alone).
    pub fn options(&self) -> Result<Option<LeaseOptions>, LeaseError> {
        let Some(url) = non_empty(&self.lease_database_url) else {
            return Ok(None);
        };
        let ttl = match non_empty(&self.lease_ttl_seconds) {
            Some(value) => parse_ttl(value)?,
            None => DEFAULT_TTL,
        };
        let instance_id = match non_empty(&self.instance_id) {
            Some(value) => validate_instance_id(value)?,
            None => default_instance_id(),
        };
        Ok(Some(LeaseOptions {
            target: DatabaseTarget::parse(url)?,
            ttl,
            instance_id,
            lease_name: DEFAULT_LEASE_NAME.to_owned(),
            clock: Arc::new(BootClock),
        }))
    }
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|value| !value.is_empty())
}

/// Whole seconds in `MIN_TTL_SECONDS..=MAX_TTL_SECONDS`.
pub fn parse_ttl(value: &str) -> Result<Duration, LeaseError> {
    let invalid = |detail: String| LeaseError::InvalidTtl {
        value: value.to_owned(),
        detail,
    };
    let seconds: u64 = value
        .trim()
        .parse()
        .map_err(|_| invalid("not a whole number of seconds".to_owned()))?;
    if seconds < MIN_TTL_SECONDS {
        return Err(invalid(format!(
            "the lease must last at least {MIN_TTL_SECONDS} seconds (it is renewed every third \
             of it, and each renewal must fit well inside that); the default is {}",
            DEFAULT_TTL.as_secs()
        )));
    }
    if seconds > MAX_TTL_SECONDS {
        return Err(invalid(format!(
            "at most {MAX_TTL_SECONDS} seconds: a standby waits up to the TTL and a third after \
             a leader dies"
        )));
    }
    Ok(Duration::from_secs(seconds))
}

/// A non-empty id of at most [`MAX_INSTANCE_ID_CHARS`] characters with no control character.
pub fn validate_instance_id(value: &str) -> Result<String, LeaseError> {
    let value = value.trim();
    let invalid = |detail: &str| LeaseError::InvalidInstanceId {
        detail: detail.to_owned(),
    };
    if value.chars().count() > MAX_INSTANCE_ID_CHARS {
        return Err(invalid("longer than 128 characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid("contains a control character"));
    }
    if value.is_empty() {
        return Err(invalid("empty"));
    }
    Ok(value.to_owned())
}

/// `<host name>-<pid>`.
pub fn default_instance_id() -> String {
    let uname = rustix::system::uname();
    let host = uname.nodename().to_string_lossy();
    let host: String = host
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_INSTANCE_ID_CHARS - 12)
        .collect();
    let host = if host.is_empty() {
        "oracle".into()
    } else {
        host
    };
    format!("{host}-{}", std::process::id())
}

/// What the lease needs to run.
#[derive(Clone)]
pub struct LeaseOptions {
    /// The database.
    pub target: DatabaseTarget,
    /// How long a lease lasts.
    pub ttl: Duration,
    /// This replica's name (`instanceId` in the events).
    pub instance_id: String,
    /// The lease row: replicas that share it elect one leader.
    pub lease_name: String,
    /// The clock validity is counted on.
    pub clock: Arc<dyn LeaseClock>,
}

impl std::fmt::Debug for LeaseOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaseOptions")
            .field("target", &self.target)
            .field("ttl", &self.ttl)
            .field("instance_id", &self.instance_id)
            .field("lease_name", &self.lease_name)
            .finish_non_exhaustive()
    }
}

impl LeaseOptions {
    /// One line for `irsforge-oracle check`: database, instance, TTL and renewal.
    pub fn describe(&self) -> String {
        let timing = self.timing();
        format!(
            "one leader among replicas on {} as `{}`; TTL {} s, renewed every {} ms",
            self.target,
            self.instance_id,
            timing.ttl.as_secs(),
            timing.renew_every.as_millis()
        )
    }

    /// The timing derived from the TTL.
    pub fn timing(&self) -> LeaseTiming {
        LeaseTiming::for_ttl(self.ttl)
    }
}

/// Every interval of the lease, derived from its TTL `T`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseTiming {
    /// `T`: how long the database keeps a lease after the statement that took or renewed it.
    pub ttl: Duration,
    /// `T/3`: a leader renews this long after it SENT its last renewal; a standby polls at
    /// this pace. Also the cap of the retry backoff.
    pub renew_every: Duration,
    /// `T/6`: the client-side timeout of each statement, and the server's
    /// `statement_timeout`, so a hung connection never holds up the next attempt.
    pub statement_timeout: Duration,
    /// `T/3`: the client-side timeout of connecting (TCP, TLS, authentication, schema check).
    pub connect_timeout: Duration,
    /// `T/10`: a leader stops acting this long before its lease could expire at the database,
    /// for clock-rate differences and for ledger requests already on the wire.
    pub margin: Duration,
}

impl LeaseTiming {
    /// The timing of a lease of `ttl`.
    pub fn for_ttl(ttl: Duration) -> Self {
        Self {
            ttl,
            renew_every: ttl / 3,
            statement_timeout: ttl / 6,
            connect_timeout: ttl / 3,
            margin: ttl / 10,
        }
    }

    /// How long after sending a successful acquire or renewal the leader may act: `T − T/10`.
    pub fn acting_window(&self) -> Duration {
        self.ttl - self.margin
    }

    /// The first retry delay after a failed attempt, doubled on each failure up to
    /// [`Self::renew_every`].
    pub fn first_retry(&self) -> Duration {
        Duration::from_millis(250).min(self.renew_every)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(url: &str, ttl: &str, id: &str) -> LeaseArgs {
        let some = |value: &str| Some(value.to_owned());
        LeaseArgs {
            lease_database_url: some(url),
            lease_ttl_seconds: some(ttl),
            instance_id: some(id),
        }
    }

    #[test]
    fn no_url_or_an_empty_one_means_no_lease() {
        assert!(LeaseArgs::default().options().unwrap().is_none());
        assert!(args("  ", "15", "a").options().unwrap().is_none());
    }

    #[test]
    fn defaults_apply_to_empty_values() {
        let options = args("postgres://oracle@db.internal/irsforge", "", "")
            .options()
            .unwrap()
            .unwrap();
        assert_eq!(options.ttl, DEFAULT_TTL);
        assert!(
            options
                .instance_id
                .ends_with(&format!("-{}", std::process::id())),
            "{}",
            options.instance_id
        );
        assert_eq!(options.lease_name, DEFAULT_LEASE_NAME);
    }

    #[test]
    fn a_ttl_below_five_seconds_is_refused_with_the_minimum() {
        let error = parse_ttl("4").unwrap_err().to_string();
        assert_eq!(
            error,
            "ORACLE_LEASE_TTL_SECONDS / --lease-ttl-seconds is \"4\": the lease must last at \
             least 5 seconds (it is renewed every third of it, and each renewal must fit well \
             inside that); the default is 15"
        );
        assert_eq!(parse_ttl("5").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_ttl(" 3600 ").unwrap(), Duration::from_secs(3600));
        assert!(
            parse_ttl("3601")
                .unwrap_err()
                .to_string()
                .contains("at most 3600")
        );
        for bad in ["1.5", "-5", "15s", "ten"] {
            assert!(
                parse_ttl(bad)
                    .unwrap_err()
                    .to_string()
                    .contains("not a whole number of seconds"),
                "{bad}"
            );
        }
    }

    #[test]
    fn instance_ids_are_bounded_and_printable() {
        assert_eq!(validate_instance_id(" oracle-a ").unwrap(), "oracle-a");
        let longest = "x".repeat(MAX_INSTANCE_ID_CHARS);
        assert_eq!(validate_instance_id(&longest).unwrap(), longest);
        let too_long = "x".repeat(MAX_INSTANCE_ID_CHARS + 1);
        assert_eq!(
            validate_instance_id(&too_long).unwrap_err().to_string(),
            "ORACLE_INSTANCE_ID / --instance-id: longer than 128 characters"
        );
        assert!(validate_instance_id("a\nb").is_err());
        assert!(default_instance_id().chars().count() <= MAX_INSTANCE_ID_CHARS);
    }

    #[test]
    fn the_timing_leaves_room_for_one_failed_renewal() {
        for seconds in [5, 15, 3600] {
            let timing = LeaseTiming::for_ttl(Duration::from_secs(seconds));
            // A renewal sent on time and answered within its timeout extends validity before
            // it runs out; so does the retry after one failed renewal.
            let renewed_by = timing.renew_every + timing.statement_timeout;
            assert!(renewed_by < timing.acting_window());
            assert!(2 * timing.renew_every + timing.statement_timeout < timing.acting_window());
            assert!(timing.statement_timeout < timing.renew_every);
        }
    }

    #[test]
    fn debug_output_hides_the_database_password() {
        let args = args("postgres://oracle:hunter2@db/irsforge", "15", "a");
        assert!(!format!("{args:?}").contains("hunter2"));
        let options = args.options().unwrap().unwrap();
        let shown = format!("{options:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("oracle@db"), "{shown}");
    }
}
