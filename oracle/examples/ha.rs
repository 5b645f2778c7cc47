//! Measures failover between two real `irsforge-oracle` replicas sharing a PostgreSQL lease.
//!
//! ```sh
//! cargo run --release -p oracle --example ha            # 3 rounds (about two minutes)
//! cargo run --release -p oracle --example ha -- 5       # 5 rounds
//! ```
//!
//! It starts a throwaway PostgreSQL cluster (`tests/it/support/pg.rs`: `initdb` in a temporary
//! directory, as the `postgres` user when run as root), the ledger sandbox in-process (HS256,
//! the demo profile) and two replicas of the binary (`tests/it/support/replica.rs`: every cron
//! each second, TTL 5 s, each replica behind its own recording proxy to the ledger). Each round
//! freezes the leader (SIGSTOP until the other replica has completed a tick, then SIGCONT) and
//! then kills the new leader (SIGKILL) and starts a fresh replica in its place; a last step
//! stops the leader with SIGTERM, which releases the lease.
//!
//! Printed per event: when the other replica logged `oracle_leader_acquired` and when it
//! completed its first tick, counted from the signal, against the bound TTL + TTL/3 for the
//! lease; and over the whole run, ticks of two replicas that overlapped in time (from each
//! tick's `timestamp` and `durationMs`) and requests that reached the ledger from one replica
//! while another was acting (the changes of replica along the ledger's arrival order beyond
//! the leadership changes). Both must be zero; the run exits non-zero otherwise, or when a
//! takeover misses its bound. Figures of a run are in `oracle/README-ha.md`.

#[allow(dead_code)]
#[path = "../tests/it/support/pg.rs"]
mod pg;
#[allow(dead_code)]
#[path = "../tests/it/support/recording_proxy.rs"]
mod recording_proxy;
#[allow(dead_code)]
#[path = "../tests/it/support/replica.rs"]
mod replica;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use ledger_sandbox::{Sandbox, SandboxOptions};
use replica::{Replica, TTL_SECONDS, leader_changes, wait_for};
use rustix::process::Signal;

const STEP: Duration = Duration::from_secs(60);
/// Ticks (four crons each second) a leader completes between two faults.
const TICKS_BETWEEN: usize = 12;

/// One measured takeover.
struct Takeover {
    what: String,
    acquired: Duration,
    first_tick: Duration,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rounds: usize = match std::env::args().nth(1) {
        Some(rounds) => rounds.parse()?,
        None => 3,
    };
    let binary = oracle_binary()?;
    let cluster = pg::PgCluster::start()
        .ok_or_else(|| anyhow::anyhow!("no PostgreSQL server binaries: install postgresql-15"))?;
    let database = cluster.create_database("ha").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sandbox = Sandbox::start(listener, SandboxOptions::hs256("secret"))?;
    let dir = tempfile::tempdir()?;
    let config = replica::write_config(dir.path());
    let ledger = sandbox.base_url();
    let ttl = Duration::from_secs(TTL_SECONDS);
    let bound = ttl + ttl / 3;
    println!(
        "oracle binary: {}\nTTL {TTL_SECONDS} s, renewal every {} ms, lease takeover bound TTL + \
         TTL/3 = {} ms; every cron fires each second\n",
        binary.display(),
        (ttl / 3).as_millis(),
        bound.as_millis()
    );

    let mut all: Vec<Replica> = Vec::new();
    let start = |name: String| {
        let (binary, config, ledger, database) = (&binary, &config, &ledger, &database);
        async move { Replica::start(binary, &name, config, ledger, database).await }
    };
    let mut leader = start("replica-1".into()).await;
    wait_for("the first leader", STEP, || {
        !leader.events("oracle_leader_acquired").is_empty()
    })
    .await;
    let mut standby = start("replica-2".into()).await;
    wait_for("a standby", STEP, || {
        !standby.events("oracle_standby").is_empty()
    })
    .await;
    let mut takeovers = Vec::new();
    for round in 1..=rounds {
        let since = Instant::now();
        wait_for("ticks by the leader", STEP, || {
            leader.count_since("tick_completed", since) >= TICKS_BETWEEN
        })
        .await;
        // Freeze the leader until the standby has taken over and ticked.
        let signal = Instant::now();
        leader.signal(Signal::STOP);
        let (acquired, first_tick) = takes_over(&standby, signal).await;
        takeovers.push(Takeover {
            what: format!("round {round}: SIGSTOP the leader"),
            acquired,
            first_tick,
        });
        // Read the clock first: the woken replica may log before this thread runs again.
        let woke = Instant::now();
        leader.signal(Signal::CONT);
        wait_for("the frozen leader to stand down", STEP, || {
            leader.count_since("oracle_standby", woke) > 0
        })
        .await;
        std::mem::swap(&mut leader, &mut standby);
        wait_for("ticks by the new leader", STEP, || {
            leader.count_since("tick_completed", woke) >= TICKS_BETWEEN
        })
        .await;
        // Kill the leader; a fresh replica replaces it as the standby.
        let signal = Instant::now();
        leader.kill();
        let (acquired, first_tick) = takes_over(&standby, signal).await;
        takeovers.push(Takeover {
            what: format!("round {round}: SIGKILL the leader"),
            acquired,
            first_tick,
        });
        let dead = std::mem::replace(&mut leader, standby);
        all.push(dead);
        // replica-1 and -2 came first; each round adds one.
        standby = start(format!("replica-{}", round + 2)).await;
        wait_for("the new standby", STEP, || {
            !standby.events("oracle_standby").is_empty()
        })
        .await;
    }
    let since = Instant::now();
    wait_for("ticks by the leader", STEP, || {
        leader.count_since("tick_completed", since) >= TICKS_BETWEEN
    })
    .await;
    let signal = Instant::now();
    let status = leader.terminate().await;
    anyhow::ensure!(status.success(), "SIGTERM: {status:?}");
    let (acquired, first_tick) = takes_over(&standby, signal).await;
    takeovers.push(Takeover {
        what: "SIGTERM the leader (releases the lease)".into(),
        acquired,
        first_tick,
    });
    standby.terminate().await;
    all.push(leader);
    all.push(standby);

    println!("| event | lease acquired after | first tick after | within TTL + TTL/3 |");
    println!("|---|---:|---:|---|");
    let mut missed = Vec::new();
    for takeover in &takeovers {
        let within = takeover.acquired <= bound;
        if !within {
            missed.push(format!(
                "{}: acquired after {:?}",
                takeover.what, takeover.acquired
            ));
        }
        println!(
            "| {} | {:.2} s | {:.2} s | {} |",
            takeover.what,
            takeover.acquired.as_secs_f64(),
            takeover.first_tick.as_secs_f64(),
            if within { "yes" } else { "NO" }
        );
    }
    let replicas: Vec<&Replica> = all.iter().collect();
    let ticks: usize = replicas
        .iter()
        .map(|replica| replica.events("tick_completed").len())
        .sum();
    let mut failed = std::collections::BTreeMap::<String, usize>::new();
    for replica in &replicas {
        for (_, line) in replica.events("tick_failed") {
            let key = format!(
                "{}/{}",
                line["cron"].as_str().unwrap_or("?"),
                line["reason"].as_str().unwrap_or("?")
            );
            *failed.entry(key).or_default() += 1;
        }
    }
    let mut completed = std::collections::BTreeMap::<String, usize>::new();
    for replica in &replicas {
        for (_, line) in replica.events("tick_completed") {
            *completed
                .entry(line["cron"].as_str().unwrap_or("?").to_owned())
                .or_default() += 1;
        }
    }
    println!("\nticks completed by cron: {completed:?}; ticks failed by cron/reason: {failed:?}");
    let overlapping = overlapping_ticks(&replicas);
    let proxies: Vec<&recording_proxy::RecordingProxy> =
        replicas.iter().map(|replica| &replica.proxy).collect();
    let interleaved =
        recording_proxy::replica_changes(&proxies).saturating_sub(leader_changes(&replicas));
    let summary = |signal: &str| {
        let chosen: Vec<&Takeover> = takeovers
            .iter()
            .filter(|takeover| takeover.what.contains(signal))
            .collect();
        let stats = |f: fn(&Takeover) -> Duration| {
            let values: Vec<f64> = chosen.iter().map(|t| f(t).as_secs_f64()).collect();
            let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
            let max = values.iter().copied().fold(0.0, f64::max);
            format!("mean {mean:.2} s, max {max:.2} s")
        };
        println!(
            "{signal} ({}): lease acquired {}; first tick {}",
            chosen.len(),
            stats(|t| t.acquired),
            stats(|t| t.first_tick)
        );
    };
    println!();
    for signal in ["SIGKILL", "SIGSTOP", "SIGTERM"] {
        summary(signal);
    }
    println!(
        "{} replicas, {} leadership changes, {ticks} ticks completed; ticks of two replicas at \
         once: {overlapping}; ledger requests while another replica acted: {interleaved}",
        replicas.len(),
        leader_changes(&replicas),
    );
    if overlapping > 0 || interleaved > 0 {
        missed.push("two replicas acted at once".into());
    }
    sandbox.shutdown().await?;
    drop(cluster);
    if missed.is_empty() {
        println!("\nRESULT: every bar met");
        Ok(())
    } else {
        println!("\nRESULT: bars missed:\n  {}", missed.join("\n  "));
        std::process::exit(1);
    }
}

/// When `replica` logged `oracle_leader_acquired` after `since`, and then completed its first
/// tick, counted from `since`.
async fn takes_over(replica: &Replica, since: Instant) -> (Duration, Duration) {
    wait_for("a takeover", STEP, || {
        replica.count_since("oracle_leader_acquired", since) > 0
    })
    .await;
    let acquired = replica.events("oracle_leader_acquired").last().unwrap().0;
    wait_for("the new leader's first tick", STEP, || {
        replica.count_since("tick_completed", acquired) > 0
    })
    .await;
    let ticked = replica
        .events("tick_completed")
        .into_iter()
        .find(|(at, _)| *at >= acquired)
        .unwrap()
        .0;
    (acquired - since, ticked - since)
}

/// Pairs of completed ticks of different replicas whose spans (log timestamp minus
/// `durationMs`, to the timestamp) overlap.
fn overlapping_ticks(replicas: &[&Replica]) -> usize {
    let spans: Vec<(usize, DateTime<Utc>, DateTime<Utc>)> = replicas
        .iter()
        .enumerate()
        .flat_map(|(index, replica)| {
            replica
                .events("tick_completed")
                .into_iter()
                .filter_map(move |(_, line)| {
                    let end: DateTime<Utc> = line["timestamp"].as_str()?.parse().ok()?;
                    let took = chrono::Duration::milliseconds(line["durationMs"].as_i64()?);
                    Some((index, end - took, end))
                })
        })
        .collect();
    let mut overlapping = 0;
    for (i, a) in spans.iter().enumerate() {
        for b in &spans[i + 1..] {
            if a.0 != b.0 && a.1 < b.2 && b.1 < a.2 {
                overlapping += 1;
            }
        }
    }
    overlapping
}

/// `IRSFORGE_ORACLE_BIN`, or the binary of this example's profile, built first.
fn oracle_binary() -> anyhow::Result<PathBuf> {
    if let Ok(path) = std::env::var("IRSFORGE_ORACLE_BIN") {
        return Ok(path.into());
    }
    let exe = std::env::current_exe()?;
    let profile_dir: &Path = exe
        .parent()
        .and_then(|examples| examples.parent())
        .ok_or_else(|| anyhow::anyhow!("cannot place {}", exe.display()))?;
    if let Ok(cargo) = std::env::var("CARGO") {
        let mut build = Command::new(cargo);
        build.args(["build", "-p", "oracle", "--bin", "irsforge-oracle"]);
        if !cfg!(debug_assertions) {
            build.arg("--release");
        }
        anyhow::ensure!(build.status()?.success(), "building irsforge-oracle failed");
    }
    let binary = profile_dir.join("irsforge-oracle");
    anyhow::ensure!(binary.exists(), "{} not found", binary.display());
    Ok(binary)
}
