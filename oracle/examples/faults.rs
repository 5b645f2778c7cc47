//! Measures the real `irsforge-oracle` binary through every token-endpoint fault of the
//! fault-injection suite, in real time, with all scenarios side by side (about two minutes).
//!
//! ```sh
//! cargo run --release -p oracle --example faults                 # all 18 scenarios
//! cargo run --release -p oracle --example faults -- 503 hang     # those whose name contains a word
//! ```
//!
//! The example first builds the binary in its own profile (`cargo build -p oracle --bin
//! irsforge-oracle`, a no-op when it is fresh) unless `IRSFORGE_ORACLE_BIN` names one.
//! `-- http-503 connection-reset hang` repeats what the former `outage` example measured.
//!
//! The scenarios and their timeline are `tests/it/support/fault_scenarios.rs`, the same ones
//! the paused-clock suite `tests/it/faults.rs` asserts on: tokens live 20 s (in
//! `whole-second-exp-10s-outage`, 10 s JWTs whose whole-second `exp` falls before receipt +
//! `expires_in`, checked against that `exp` at the ledger); the endpoint is healthy for 25 s,
//! faulty for 60 s (three token lifetimes), then healed for 40 s. Each
//! scenario gets its own scripted token endpoint (`tests/it/support/fake_auth.rs`), its own fake
//! ledger and its own `irsforge-oracle` child process, configured from
//! `examples/irsforge.builtin.yaml` with every cron firing each second, so both service
//! accounts present a token to the ledger each second, each request taking it from the
//! account's handle just before it is sent.
//!
//! Printed per scenario and account: requests during the fault (which lasts a minute, so this is
//! the rate per minute), the most in any 60 s and in any 1 s of the run, the smallest gap, the
//! tokens presented to the ledger and how many of them had expired (against the expiry the
//! endpoint issued each one with), ticks that got no token, the time from healing until a token
//! reached the ledger again and until the first request. Requests are counted at the endpoint;
//! with the port closed none arrives, so those refused connections are counted from the
//! oracle's log (each failed attempt logs one event). The run exits non-zero when a bar is
//! missed. Figures of a run are in `oracle/README-faults.md`.

#[allow(dead_code)]
#[path = "../tests/it/support/fake_auth.rs"]
mod fake_auth;
#[allow(dead_code)]
#[path = "../tests/it/support/fault_scenarios.rs"]
mod fault_scenarios;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use fake_auth::FakeAuth;
use fault_scenarios::{CLIENT_TIMEOUT, FAULT_END, FAULT_START, Fault, Figures, RUN_END, Use};
use serde_json::Value;
use tokio::time::{Instant, sleep_until};

const ACCOUNTS: [&str; 2] = ["mark-publisher", "scheduler"];

/// Every token presented to the ledger, with when.
type Presented = Arc<Mutex<Vec<(Instant, String)>>>;

/// One account's figures in one scenario.
struct Row {
    account: &'static str,
    figures: Figures,
    /// Ticks that failed for want of a token.
    ticks_without_token: usize,
}

/// One scenario's run.
struct Measured {
    fault: Fault,
    rows: Vec<Row>,
    longest_hang: Option<Duration>,
    missed: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let words: Vec<String> = std::env::args().skip(1).collect();
    let faults: Vec<Fault> = Fault::ALL
        .into_iter()
        .filter(|fault| words.is_empty() || words.iter().any(|word| fault.name().contains(word)))
        .collect();
    if faults.is_empty() {
        let names: Vec<&str> = Fault::ALL.iter().map(|fault| fault.name()).collect();
        anyhow::bail!(
            "no scenario matches {words:?}; they are: {}",
            names.join(", ")
        );
    }
    let binary = oracle_binary()?;
    println!("oracle binary: {}", binary.display());
    println!(
        "{} scenarios side by side; tokens live {} s ({} s in {}); fault from {} s to {} s; run \
         ends at {} s; client timeout {} ms; every cron fires each second\n",
        faults.len(),
        fault_scenarios::TOKEN_SECONDS,
        fault_scenarios::SHORT_TOKEN_SECONDS,
        Fault::WholeSecondExpOutage.name(),
        FAULT_START.as_secs(),
        FAULT_END.as_secs(),
        RUN_END.as_secs(),
        CLIENT_TIMEOUT.as_millis()
    );
    let runs: Vec<_> = faults
        .into_iter()
        .map(|fault| tokio::spawn(measure(binary.clone(), fault)))
        .collect();
    let mut measured = Vec::new();
    for run in runs {
        measured.push(run.await??);
    }
    print!("{}", table(&measured));
    let missed: Vec<String> = measured
        .iter()
        .flat_map(|run| {
            run.missed
                .iter()
                .map(|why| format!("{}: {why}", run.fault.name()))
        })
        .collect();
    if !missed.is_empty() {
        println!("\nRESULT: bars missed:\n  {}", missed.join("\n  "));
        std::process::exit(1);
    }
    println!("\nRESULT: every bar met");
    Ok(())
}

/// `IRSFORGE_ORACLE_BIN`, or the binary of this example's profile, built first.
fn oracle_binary() -> anyhow::Result<PathBuf> {
    if let Ok(path) = std::env::var("IRSFORGE_ORACLE_BIN") {
        return Ok(path.into());
    }
    // target/<profile>/examples/faults → target/<profile>/irsforge-oracle
    let exe = std::env::current_exe()?;
    let profile_dir = exe
        .parent()
        .and_then(|examples| examples.parent())
        .ok_or_else(|| anyhow::anyhow!("cannot place {}", exe.display()))?;
    // `cargo run --example` builds the example only; cargo tells its children where it is.
    if let Ok(cargo) = std::env::var("CARGO") {
        let mut build = Command::new(cargo);
        build.args(["build", "-p", "oracle", "--bin", "irsforge-oracle"]);
        if !cfg!(debug_assertions) {
            build.arg("--release");
        }
        anyhow::ensure!(build.status()?.success(), "building irsforge-oracle failed");
    }
    let binary = profile_dir.join("irsforge-oracle");
    anyhow::ensure!(
        binary.exists(),
        "{} not found: run `cargo build --release -p oracle --bins` or set IRSFORGE_ORACLE_BIN",
        binary.display()
    );
    Ok(binary)
}

async fn measure(binary: PathBuf, fault: Fault) -> anyhow::Result<Measured> {
    let (origin, wall_origin) = (Instant::now(), SystemTime::now());
    let auth = Arc::new(FakeAuth::start(move |request| fault.reply_at(request.at - origin)).await);
    if fault == Fault::PortClosed {
        let auth = auth.clone();
        tokio::spawn(async move {
            sleep_until(origin + FAULT_START).await;
            auth.close().await;
            sleep_until(origin + FAULT_END).await;
            auth.reopen().await;
        });
    }
    let presented = Presented::default();
    let ledger_url = fake_ledger(presented.clone()).await?;
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("irsforge.yaml");
    let every_second = include_str!("../../examples/irsforge.builtin.yaml")
        .replace("\"0 */5 * * * *\"", "\"* * * * * *\"")
        .replace("\"0 0 18 * * *\"", "\"* * * * * *\"")
        .replace("\"0 30 18 * * *\"", "\"* * * * * *\"");
    std::fs::write(&config, every_second)?;
    let log_path = dir.path().join("oracle.log");
    let mut child = Command::new(&binary)
        .env_clear()
        .env("IRSFORGE_CONFIG_PATH", &config)
        .env("IRSFORGE_AUTH_PUBLIC_URL", &auth.base_url)
        .env("IRSFORGE_LEDGER_URL", &ledger_url)
        .env("SERVICE_CLIENT_SECRET_MARK_PUBLISHER", "mark-secret")
        .env("SERVICE_CLIENT_SECRET_SCHEDULER", "scheduler-secret")
        .env("MARK_PUBLISHER_CRON", "* * * * * *")
        .stdout(std::fs::File::create(&log_path)?)
        .stderr(Stdio::null())
        .spawn()?;
    sleep_until(origin + RUN_END).await;
    stop(&mut child).await?;
    let events: Vec<Value> = std::fs::read_to_string(&log_path)?
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let since_start = |event: &Value| -> Option<Duration> {
        let stamp = chrono::DateTime::parse_from_rfc3339(event["timestamp"].as_str()?).ok()?;
        SystemTime::from(stamp).duration_since(wall_origin).ok()
    };
    let presented = presented.lock().unwrap().clone();
    let mut rows = Vec::new();
    let mut missed = Vec::new();
    for account in ACCOUNTS {
        let is_ours = |event: &Value| event["accountId"] == account;
        let mut requests: Vec<Duration> = auth
            .requests()
            .iter()
            .filter(|request| request.client_id.as_deref() == Some(account))
            .map(|request| request.at - origin)
            .collect();
        // Attempts the closed port refused never reached the endpoint; the log has them.
        requests.extend(
            events
                .iter()
                .filter(|event| is_ours(event) && is_failed_attempt(event))
                .filter(|event| {
                    event["error"]
                        .as_str()
                        .is_some_and(|error| error.contains("cannot connect"))
                })
                .filter_map(since_start),
        );
        let suffix = format!("-{account}");
        let uses: Vec<Use> = presented
            .iter()
            .filter(|(_, token)| token.ends_with(&suffix))
            .map(|(at, token)| Use {
                at: *at - origin,
                expires: auth.issued(token).map(|(_, expires)| expires - origin),
            })
            .collect();
        let figures = Figures::measure(&requests, &uses);
        missed.extend(
            figures
                .missed_bars(fault)
                .into_iter()
                .map(|why| format!("{account}: {why}")),
        );
        let ticks_without_token = events
            .iter()
            .filter(|event| is_ours(event) && event["event"] == "tick_failed")
            .filter(|event| event["reason"] == "token_unavailable")
            .count();
        rows.push(Row {
            account,
            figures,
            ticks_without_token,
        });
    }
    let longest_hang = auth.hang_durations().into_iter().max();
    if let Some(hang) = longest_hang
        && hang > CLIENT_TIMEOUT + Duration::from_millis(500)
    {
        missed.push(format!("a hung request was held {hang:?}"));
    }
    Ok(Measured {
        fault,
        rows,
        longest_hang,
        missed,
    })
}

/// Whether a log line is the one event a failed token request logs (not a tick that could
/// not get a token, which quotes the same error).
fn is_failed_attempt(event: &Value) -> bool {
    event["event"] == "service_token_refresh_failed"
        || event["event"] == "service_token_acquire_failed"
}

async fn stop(child: &mut Child) -> anyhow::Result<()> {
    rustix::process::kill_process(
        rustix::process::Pid::from_child(child),
        rustix::process::Signal::TERM,
    )?;
    for _ in 0..100 {
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill()?;
    Ok(())
}

/// A ledger that records the bearer token of every request and answers an empty result.
async fn fake_ledger(presented: Presented) -> anyhow::Result<String> {
    async fn answer(State(presented): State<Presented>, headers: HeaderMap) -> axum::Json<Value> {
        if let Some(token) = headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
        {
            presented
                .lock()
                .unwrap()
                .push((Instant::now(), token.to_owned()));
        }
        axum::Json(serde_json::json!({"status": 200, "result": []}))
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let router = Router::new().fallback(answer).with_state(presented);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(url)
}

/// The figures as a table, one line per scenario and account.
fn table(measured: &[Measured]) -> String {
    use std::fmt::Write as _;
    let seconds = |value: Option<Duration>| {
        value.map_or_else(
            || "-".to_owned(),
            |value| format!("{:.2}", value.as_secs_f64()),
        )
    };
    let mut text = String::new();
    let _ = writeln!(
        text,
        "| scenario | account | requests/min in fault | max in 60 s | max in 1 s | smallest gap s \
         | presented | expired presented | ticks without token | served again after heal s \
         | first request after heal s | longest hang s |"
    );
    let _ = writeln!(
        text,
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for run in measured {
        for row in &run.rows {
            let figures = &row.figures;
            let _ = writeln!(
                text,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                run.fault.name(),
                row.account,
                figures.during_fault,
                figures.most_in_60s,
                figures.most_in_1s,
                seconds(figures.smallest_gap),
                figures.used,
                figures.expired,
                row.ticks_without_token,
                seconds(figures.served_after_heal),
                seconds(figures.first_request_after_heal),
                seconds(run.longest_hang),
            );
        }
    }
    text
}
