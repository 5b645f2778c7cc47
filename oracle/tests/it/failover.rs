//! Two real `irsforge-oracle` replicas sharing a lease on a throwaway PostgreSQL cluster, in
//! the demo profile against the in-process ledger sandbox, each behind its own recording proxy.
//! The leader is frozen (SIGSTOP past its TTL, then SIGCONT), killed (-9), stopped with
//! SIGTERM, and the database is stopped and restarted. Who acted when comes from evidence:
//! the order in which the replicas' requests reached the ledger must change replica exactly as
//! often as the leadership changed (a replica acting while another does adds changes), and no
//! request arrives while no one can hold the lease. Timings are printed, not asserted.

use std::time::{Duration, Instant};

use ledger_sandbox::{Sandbox, SandboxOptions};
use rustix::process::Signal;

use crate::support::pg::{self, PgCluster};
use crate::support::recording_proxy::replica_changes;
use crate::support::replica::{Replica, TTL_SECONDS, leader_changes, wait_for, write_config};

const BINARY: &str = env!("CARGO_BIN_EXE_irsforge-oracle");
/// Long enough for any step here (a takeover needs at most TTL + TTL/3 plus a tick).
const STEP: Duration = Duration::from_secs(30);

async fn sandbox() -> Sandbox {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    Sandbox::start(listener, SandboxOptions::hs256("secret")).unwrap()
}

/// Starts `first`, waits until it leads, then starts `second` and waits until it stands by.
async fn pair(config: &std::path::Path, ledger: &str, database: &str) -> (Replica, Replica) {
    let binary = std::path::Path::new(BINARY);
    let a = Replica::start(binary, "replica-a", config, ledger, database).await;
    wait_for("replica-a to lead", STEP, || {
        !a.events("oracle_leader_acquired").is_empty()
    })
    .await;
    let b = Replica::start(binary, "replica-b", config, ledger, database).await;
    wait_for("replica-b to stand by", STEP, || {
        !b.events("oracle_standby").is_empty()
    })
    .await;
    (a, b)
}

/// Waits until `replica` logs `oracle_leader_acquired` after `since`, then completes a tick;
/// returns when the tick completed.
async fn takes_over(replica: &Replica, since: Instant) -> Instant {
    wait_for(&format!("{} to take over", replica.name), STEP, || {
        replica.count_since("oracle_leader_acquired", since) > 0
    })
    .await;
    let acquired = replica.events("oracle_leader_acquired").last().unwrap().0;
    wait_for(&format!("a tick by {}", replica.name), STEP, || {
        replica.count_since("tick_completed", acquired) > 0
    })
    .await;
    replica
        .events("tick_completed")
        .into_iter()
        .find(|(at, _)| *at >= acquired)
        .unwrap()
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_leader_stands_down_a_killed_one_is_replaced_and_sigterm_hands_over() {
    let Some(pg) = pg::shared() else { return };
    let database = pg.create_database("failover").await;
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    let (mut a, mut b) = pair(&config, &sandbox.base_url(), &database).await;
    wait_for("ticks by replica-a", STEP, || {
        a.events("tick_completed").len() >= 2
    })
    .await;

    // Freeze the leader past its TTL: the standby takes over; on waking, the former leader
    // stands down without firing.
    let frozen = Instant::now();
    a.signal(Signal::STOP);
    let first_tick = takes_over(&b, frozen).await;
    eprintln!(
        "freeze: replica-b's first tick {:?} after SIGSTOP",
        first_tick - frozen
    );
    let woke = Instant::now();
    a.signal(Signal::CONT);
    wait_for("replica-a to stand down", STEP, || {
        a.count_since("oracle_standby", woke) > 0
    })
    .await;
    let lost: Vec<_> = a.events("oracle_leader_lost");
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert!(
        ["expired", "taken_over"].contains(&lost[0].1["reason"].as_str().unwrap()),
        "{lost:?}"
    );
    // A few of replica-b's ticks while replica-a is awake again.
    let ticks = b.events("tick_completed").len();
    wait_for("more ticks by replica-b", STEP, || {
        b.events("tick_completed").len() >= ticks + 3
    })
    .await;
    assert_eq!(a.count_since("tick_completed", woke), 0);
    assert_eq!(
        a.work_since(woke),
        0,
        "the woken replica reached the ledger"
    );

    // Kill the leader: the standby takes over once its lease runs out.
    let killed = Instant::now();
    b.kill();
    let first_tick = takes_over(&a, killed).await;
    eprintln!(
        "kill -9: replica-a's first tick {:?} after the kill",
        first_tick - killed
    );

    // A clean stop releases the lease.
    let status = a.terminate().await;
    assert!(status.success(), "{status:?}");
    assert_eq!(a.events("lease_released").len(), 1);

    assert_eq!(leader_changes(&[&a, &b]), 2);
    assert_eq!(
        replica_changes(&[&a.proxy, &b.proxy]),
        2,
        "the replicas' requests interleaved at the ledger"
    );
    sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_acts_while_the_database_is_down_and_a_leader_returns_with_it() {
    let Some(pg) = PgCluster::start() else { return };
    let database = pg.create_database("restart").await;
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    let (mut a, mut b) = pair(&config, &sandbox.base_url(), &database).await;
    wait_for("ticks by replica-a", STEP, || {
        a.events("tick_completed").len() >= 2
    })
    .await;

    let stopped = Instant::now();
    pg.stop_server();
    wait_for("replica-a to stand down", STEP, || {
        a.count_since("oracle_leader_lost", stopped) > 0
    })
    .await;
    let lost = a.events("oracle_leader_lost").last().unwrap().clone();
    assert_eq!(lost.1["reason"], "expired");
    eprintln!(
        "database stopped: replica-a stood down {:?} later (TTL {TTL_SECONDS} s)",
        lost.0 - stopped
    );
    // A window of two renewal periods with the database down: no work reaches the ledger,
    // both replicas keep retrying, neither crashes.
    let quiet = Instant::now() + Duration::from_millis(500);
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(a.work_since(quiet) + b.work_since(quiet), 0);
    for replica in [&a, &b] {
        assert!(replica.count_since("lease_database_unavailable", stopped) >= 2);
    }
    assert!(a.running() && b.running());

    let restarted = Instant::now();
    pg.start_server();
    wait_for("a leader after the restart", STEP, || {
        a.count_since("oracle_leader_acquired", restarted)
            + b.count_since("oracle_leader_acquired", restarted)
            > 0
    })
    .await;
    let leader = if a.count_since("oracle_leader_acquired", restarted) > 0 {
        &a
    } else {
        &b
    };
    let first_tick = takes_over(leader, restarted).await;
    eprintln!(
        "database restarted: {}'s first tick {:?} later",
        leader.name,
        first_tick - restarted
    );
    wait_for("both replicas to reach the database again", STEP, || {
        [&a, &b]
            .iter()
            .all(|replica| replica.count_since("lease_database_available", restarted) > 0)
    })
    .await;
    assert!(a.terminate().await.success());
    assert!(b.terminate().await.success());
    assert_eq!(
        replica_changes(&[&a.proxy, &b.proxy]),
        leader_changes(&[&a, &b]),
        "the replicas' requests interleaved at the ledger"
    );
    sandbox.shutdown().await.unwrap();
}
