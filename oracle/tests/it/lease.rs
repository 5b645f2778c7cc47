//! The leader lease against a real PostgreSQL server (a throwaway cluster, see
//! `support/pg.rs`; skipped with a notice where no server is installed): the table and the
//! atomic acquire under a start-up race, expiry on the database's clock, one leader among
//! replicas and the hand-over on release, verified TLS, and the events with no password in
//! them.

use std::sync::Arc;
use std::time::Duration;

use oracle::lease::{
    self, Claim, DatabaseTarget, LeaseHandle, LeaseOptions, LeaseStore as _, LeaseTiming,
    PgLeaseStore,
};
use serde_json::Value;
use service_runtime::report::Chain;
use tokio::time::Instant;

use crate::support::logs::LogCapture;
use crate::support::pg;

const TTL: Duration = Duration::from_secs(5);

fn options(url: &str, lease: &str, instance: &str) -> LeaseOptions {
    LeaseOptions {
        target: DatabaseTarget::parse(url).unwrap(),
        ttl: TTL,
        instance_id: instance.to_owned(),
        lease_name: lease.to_owned(),
        clock: Arc::new(lease::BootClock),
    }
}

fn store(url: &str, lease: &str, holder: &str) -> PgLeaseStore {
    PgLeaseStore::new(
        DatabaseTarget::parse(url).unwrap(),
        lease.to_owned(),
        holder.to_owned(),
        LeaseTiming::for_ttl(TTL),
    )
}

/// Waits (real time, bounded) until `done` holds.
async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn query_one(url: &str, sql: &str) -> tokio_postgres::Row {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client.query_one(sql, &[]).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_starting_together_create_the_table_once_and_one_of_them_wins() {
    let Some(pg) = pg::shared() else { return };
    let url = pg.create_database("lease_race").await;
    let racers: Vec<_> = (0..8)
        .map(|index| {
            let mut store = store(&url, "race", &format!("racer-{index}#0"));
            tokio::spawn(async move { store.acquire(TTL).await })
        })
        .collect();
    let mut claims = Vec::new();
    for racer in racers {
        claims.push(racer.await.unwrap().expect("every replica gets an answer"));
    }
    assert_eq!(
        claims.iter().filter(|claim| **claim == Claim::Held).count(),
        1,
        "{claims:?}"
    );
    let holder: String = query_one(&url, "SELECT holder FROM irsforge_oracle_lease")
        .await
        .get(0);
    for claim in claims {
        match claim {
            Claim::Held => {}
            // A loser whose snapshot predates the winner's row cannot name it.
            Claim::HeldBy(seen) => assert!(seen.is_none() || seen == Some(holder.clone())),
        }
    }
}

#[tokio::test]
async fn the_lease_expires_on_the_database_clock_and_only_its_holder_renews_it() {
    let Some(pg) = pg::shared() else { return };
    let url = pg.create_database("lease_clock").await;
    let mut first = store(&url, "clock", "first#1");
    let mut second = store(&url, "clock", "second#2");
    assert_eq!(first.acquire(TTL).await.unwrap(), Claim::Held);
    let row = query_one(
        &url,
        "SELECT (expires_at - renewed_at) = interval '5 seconds', expires_at > now() \
         FROM irsforge_oracle_lease WHERE name = 'clock'",
    )
    .await;
    assert!(row.get::<_, bool>(0), "expiry = the database's now() + TTL");
    assert!(row.get::<_, bool>(1));
    assert_eq!(
        second.acquire(TTL).await.unwrap(),
        Claim::HeldBy(Some("first#1".into()))
    );
    assert_eq!(first.acquire(TTL).await.unwrap(), Claim::Held, "renewal");
    // Releasing expires it now: the other replica gets it at once; a stale release by the
    // former holder changes nothing.
    assert!(first.release().await.unwrap());
    assert_eq!(second.acquire(TTL).await.unwrap(), Claim::Held);
    assert!(!first.release().await.unwrap());
    assert_eq!(
        first.acquire(TTL).await.unwrap(),
        Claim::HeldBy(Some("second#2".into()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_acts_at_a_time_and_a_release_hands_over_at_the_next_poll() {
    let Some(pg) = pg::shared() else { return };
    let url = pg.create_database("lease_replicas").await;
    let mut replicas: Vec<Option<LeaseHandle>> = ["a", "b", "c"]
        .into_iter()
        .map(|id| Some(lease::start(options(&url, "replicas", id))))
        .collect();
    let acting = |replicas: &[Option<LeaseHandle>]| -> Vec<usize> {
        (0..replicas.len())
            .filter(|index| {
                replicas[*index]
                    .as_ref()
                    .is_some_and(|replica| replica.leadership().acting())
            })
            .collect()
    };
    wait_for("a leader", || acting(&replicas).len() == 1).await;
    // Sampled for two renewal periods: never more than one.
    for _ in 0..200 {
        assert!(acting(&replicas).len() <= 1, "{:?}", acting(&replicas));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let leader = acting(&replicas)[0];
    let stopped = Instant::now();
    replicas[leader].take().unwrap().shutdown(true).await;
    wait_for("a new leader", || acting(&replicas).len() == 1).await;
    let handover = stopped.elapsed();
    let holder: String = query_one(&url, "SELECT holder FROM irsforge_oracle_lease")
        .await
        .get(0);
    let new_leader = acting(&replicas)[0];
    assert!(
        holder.starts_with(["a#", "b#", "c#"][new_leader]),
        "{holder} vs replica {new_leader}"
    );
    // Printed, not asserted: the hand-over waits for a standby's next poll (≤ T/3).
    eprintln!("hand-over after release: {handover:?}");
    for replica in replicas.into_iter().flatten() {
        replica.shutdown(true).await;
    }
}

#[tokio::test]
async fn tls_is_verified_against_the_roots_the_url_names() {
    let Some(pg) = pg::shared() else { return };
    let Some(ca) = &pg.ca else {
        eprintln!("SKIPPED: no test certificates (openssl missing)");
        return;
    };
    pg.create_database("tls_only").await;
    let base = format!("postgres://postgres@127.0.0.1:{}/tls_only", pg.port);
    let verified = format!("{base}?sslmode=require&sslrootcert={}", ca.display());
    let mut tls = store(&verified, "tls", "tls#1");
    assert_eq!(tls.acquire(TTL).await.unwrap(), Claim::Held);

    // The server refuses plain connections to this database: TLS above was real.
    let mut plain = store(&base, "tls", "plain#1");
    let refused = Chain(&plain.acquire(TTL).await.unwrap_err()).to_string();
    assert!(refused.contains("pg_hba.conf"), "{refused}");

    // The platform's roots do not know the test CA: the certificate is refused.
    let mut unverified = store(&format!("{base}?sslmode=require"), "tls", "platform#1");
    let refused = Chain(&unverified.acquire(TTL).await.unwrap_err()).to_string();
    assert!(refused.contains("certificate"), "{refused}");
}

#[tokio::test]
async fn role_changes_are_logged_with_the_instance_and_never_the_password() {
    let Some(pg) = pg::shared() else { return };
    let logs = LogCapture::default();
    let _guard = logs.install();
    let url = pg.create_database("lease_events").await;
    let with_password = url.replace("postgres@", "postgres:hunter2-lease@");
    let leader = lease::start(options(&with_password, "events", "replica-a"));
    wait_for("the lease", || leader.leadership().acting()).await;
    leader.shutdown(true).await;

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down = format!(
        "postgres://postgres:hunter2-lease@{}/db",
        closed.local_addr().unwrap()
    );
    drop(closed);
    let orphan = lease::start(options(&down, "events", "replica-b"));
    wait_for("a failed attempt", || {
        orphan.leadership().database_failures() >= 2
    })
    .await;
    assert!(!orphan.leadership().acting());
    orphan.shutdown(true).await;

    assert!(!logs.text().contains("hunter2"), "{}", logs.text());
    let events: Vec<Value> = logs
        .events()
        .into_iter()
        .filter(|event| {
            ["lease_", "oracle_"]
                .iter()
                .any(|prefix| event["event"].as_str().unwrap().starts_with(prefix))
        })
        .collect();
    let names: Vec<(&str, &str)> = events
        .iter()
        .map(|event| {
            (
                event["instanceId"].as_str().unwrap(),
                event["event"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names[..4],
        [
            ("replica-a", "lease_started"),
            ("replica-a", "oracle_leader_acquired"),
            ("replica-a", "oracle_leader_lost"),
            ("replica-a", "lease_released"),
        ],
        "{events:#?}"
    );
    assert_eq!(
        names[4..7],
        [
            ("replica-b", "lease_started"),
            ("replica-b", "lease_database_unavailable"),
            ("replica-b", "oracle_standby"),
        ],
        "{events:#?}"
    );
    let started = &events[0];
    assert_eq!(
        started["database"],
        format!("postgres://postgres@127.0.0.1:{}/lease_events", pg.port)
    );
    assert_eq!(events[1]["ttlMs"], 5000);
    assert_eq!(events[1]["actingWindowMs"], 4500);
    assert_eq!(events[2]["reason"], "shutdown");
    let unavailable = &events[5];
    assert_eq!(unavailable["reason"], "connect_failed");
    assert!(
        unavailable["error"]
            .as_str()
            .unwrap()
            .starts_with("cannot connect to the lease database postgres://postgres@127.0.0.1:"),
        "{unavailable}"
    );
    assert_eq!(events[6]["leader"], "unknown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_oracle_fires_only_as_leader_and_reports_it_in_metrics() {
    let Some(pg) = pg::shared() else { return };
    let url = pg.create_database("lease_service").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sandbox =
        ledger_sandbox::Sandbox::start(listener, ledger_sandbox::SandboxOptions::hs256("secret"))
            .unwrap();
    let config = crate::support::demo_config(&sandbox.base_url());
    let env = shared_config::MapEnv::new([("MARK_PUBLISHER_CRON", "* * * * * *")]);
    let boot = |instance: &str| oracle::OracleOptions {
        jobs: oracle::Jobs::probes(),
        lease: Some(options(&url, "service", instance)),
        ..oracle::OracleOptions::default()
    };
    let leader = oracle::start(&config, &env, boot("leader")).await.unwrap();
    wait_for("the lease", || leader.leadership().acting()).await;
    let standby = oracle::start(&config, &env, boot("standby")).await.unwrap();
    let completed = |metrics: &str| -> u64 {
        metrics
            .lines()
            .find_map(|line| {
                line.strip_prefix("oracle_ticks_completed_total{cron=\"mark-publisher\"} ")
            })
            .and_then(|value| value.parse().ok())
            .unwrap_or(0)
    };
    wait_for("two ticks by the leader", || {
        completed(&leader.render_metrics()) >= 2
    })
    .await;
    let metrics = leader.render_metrics();
    assert!(metrics.contains("\noracle_leader 1\n"), "{metrics}");
    assert!(
        metrics.contains("\noracle_lease_database_failures_total 0\n"),
        "{metrics}"
    );
    let metrics = standby.render_metrics();
    assert!(metrics.contains("\noracle_leader 0\n"), "{metrics}");
    assert_eq!(completed(&metrics), 0, "a standby fired: {metrics}");

    // Shutdown releases the lease: the standby leads and fires.
    leader.shutdown().await;
    wait_for("the standby to fire", || {
        completed(&standby.render_metrics()) >= 1
    })
    .await;
    assert!(standby.render_metrics().contains("\noracle_leader 1\n"));
    standby.shutdown().await;
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_binary_refuses_bad_lease_settings_and_treats_empty_ones_as_unset() {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/irsforge.yaml");
    let run = |vars: &[(&str, &str)], args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_irsforge-oracle"));
        command.env_clear().envs(vars.iter().copied());
        command.args(["--config", config]).args(args);
        command.output().unwrap()
    };
    let url = (
        "ORACLE_LEASE_DATABASE_URL",
        "postgres://oracle:hunter2@db.internal/irsforge",
    );
    let checked = run(&[url, ("ORACLE_INSTANCE_ID", "replica-a")], &["check"]);
    let text = String::from_utf8(checked.stdout).unwrap();
    assert!(checked.status.success(), "{text}");
    assert!(
        text.ends_with(
            "ok: lease: one leader among replicas on postgres://oracle@db.internal:5432/irsforge \
             as `replica-a`; TTL 15 s, renewed every 5000 ms\n"
        ),
        "{text}"
    );
    assert!(!text.contains("hunter2"));

    let short = run(&[url, ("ORACLE_LEASE_TTL_SECONDS", "3")], &["check"]);
    assert_eq!(short.status.code(), Some(1));
    let text = String::from_utf8(short.stdout).unwrap();
    assert!(
        text.contains(
            "error: lease: ORACLE_LEASE_TTL_SECONDS / --lease-ttl-seconds is \"3\": the lease \
             must last at least 5 seconds"
        ),
        "{text}"
    );
    let refused = run(&[url], &["--lease-ttl-seconds", "4", "run"]);
    assert_eq!(refused.status.code(), Some(1));
    let reason = String::from_utf8(refused.stderr).unwrap();
    assert!(
        reason.starts_with(
            "irsforge-oracle: ORACLE_LEASE_TTL_SECONDS / --lease-ttl-seconds is \"4\""
        ),
        "{reason}"
    );
    let prefer = run(
        &[(
            "ORACLE_LEASE_DATABASE_URL",
            "postgres://db/x?sslmode=prefer",
        )],
        &["run"],
    );
    assert_eq!(prefer.status.code(), Some(1));
    assert!(
        String::from_utf8(prefer.stderr)
            .unwrap()
            .contains("sslmode=prefer is not supported")
    );

    // Empty variables count as unset: no lease, and the TTL is not even read.
    let empty = run(
        &[
            ("ORACLE_LEASE_DATABASE_URL", ""),
            ("ORACLE_LEASE_TTL_SECONDS", ""),
        ],
        &["check"],
    );
    let text = String::from_utf8(empty.stdout).unwrap();
    assert!(empty.status.success(), "{text}");
    assert!(!text.contains("ok: lease:"), "{text}");

    // --help names the variables but never shows the URL's value.
    let help = run(&[url], &["--help"]);
    let text = String::from_utf8(help.stdout).unwrap();
    assert!(text.contains("ORACLE_LEASE_DATABASE_URL"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}
