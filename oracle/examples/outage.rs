//! Measures the oracle binary through a 60 s outage of its token endpoint, in real time.
//!
//! ```sh
//! cargo build --release -p oracle --bins --examples
//! target/release/examples/outage            # or IRSFORGE_ORACLE_BIN=/path/to/irsforge-oracle
//! ```
//!
//! Three runs go side by side, one per kind of outage: the endpoint answers `503`, resets every
//! connection, or accepts requests and never answers. Each run starts the real
//! `irsforge-oracle` binary against a scripted token endpoint (tokens live 20 s) and a fake
//! ledger, with every cron firing each second so the services ask for their tokens constantly.
//! The endpoint is healthy for 25 s, down for 60 s, then healthy for 30 s. The fake ledger
//! checks every token presented to it against the expiry the endpoint issued it with.
//!
//! Printed per run and account: requests sent during the outage, the most in any 60 s window,
//! the most in any 1 s window and the smallest gap between two requests, whether an expired
//! token ever reached the ledger, the time from the endpoint healing to the first fresh
//! token, and (for hangs) how long each hung request was held before the client gave up.

#[allow(dead_code)]
#[path = "../tests/it/support/fake_auth.rs"]
mod fake_auth;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use fake_auth::{FakeAuth, Reply};
use tokio::time::Instant;

const TOKEN_SECONDS: u64 = 20;
const OUTAGE_START: f64 = 25.0;
const OUTAGE_END: f64 = 85.0;
const RUN_END: f64 = 115.0;
const ACCOUNTS: [&str; 2] = ["mark-publisher", "scheduler"];

#[derive(Clone, Copy, Debug)]
enum Outage {
    ServiceUnavailable,
    Reset,
    Hang,
}

impl Outage {
    fn reply(self) -> Reply {
        match self {
            Self::ServiceUnavailable => Reply::status(503),
            Self::Reset => Reply::Reset,
            Self::Hang => Reply::Hang,
        }
    }
}

type Presented = Arc<Mutex<Vec<(Instant, String)>>>;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let binary = oracle_binary()?;
    println!("oracle binary: {}", binary.display());
    println!(
        "tokens live {TOKEN_SECONDS} s; endpoint down from {OUTAGE_START} s to {OUTAGE_END} s; \
         run ends at {RUN_END} s; every cron fires each second\n"
    );
    let runs = [Outage::ServiceUnavailable, Outage::Reset, Outage::Hang]
        .map(|outage| tokio::spawn(measure(binary.clone(), outage)));
    let mut failed = false;
    for run in runs {
        let (text, met) = run.await??;
        print!("{text}");
        failed |= !met;
    }
    if failed {
        println!("\nRESULT: a bar was missed");
        std::process::exit(1);
    }
    println!("\nRESULT: every bar met");
    Ok(())
}

fn oracle_binary() -> anyhow::Result<PathBuf> {
    if let Ok(path) = std::env::var("IRSFORGE_ORACLE_BIN") {
        return Ok(path.into());
    }
    // target/<profile>/examples/outage → target/<profile>/irsforge-oracle
    let exe = std::env::current_exe()?;
    let candidate = exe
        .parent()
        .and_then(|examples| examples.parent())
        .map(|profile| profile.join("irsforge-oracle"))
        .filter(|path| path.exists());
    candidate.ok_or_else(|| {
        anyhow::anyhow!(
            "irsforge-oracle not found next to this example; run `cargo build -p oracle --bins` \
             first or set IRSFORGE_ORACLE_BIN"
        )
    })
}

async fn measure(binary: PathBuf, outage: Outage) -> anyhow::Result<(String, bool)> {
    let origin = Instant::now();
    let auth = FakeAuth::start(move |request| {
        let at = (request.at - origin).as_secs_f64();
        if (OUTAGE_START..OUTAGE_END).contains(&at) {
            outage.reply()
        } else {
            Reply::token(TOKEN_SECONDS)
        }
    })
    .await;
    let presented: Presented = Arc::default();
    let ledger_url = fake_ledger(presented.clone()).await?;
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("irsforge.yaml");
    let example = include_str!("../../examples/irsforge.builtin.yaml")
        .replace("\"0 */5 * * * *\"", "\"* * * * * *\"")
        .replace("\"0 0 18 * * *\"", "\"* * * * * *\"")
        .replace("\"0 30 18 * * *\"", "\"* * * * * *\"");
    std::fs::write(&config, example)?;
    let log = std::fs::File::create(dir.path().join("oracle.log"))?;
    let mut child = Command::new(&binary)
        .env_clear()
        .env("IRSFORGE_CONFIG_PATH", &config)
        .env("IRSFORGE_AUTH_PUBLIC_URL", &auth.base_url)
        .env("IRSFORGE_LEDGER_URL", &ledger_url)
        .env("SERVICE_CLIENT_SECRET_MARK_PUBLISHER", "mark-secret")
        .env("SERVICE_CLIENT_SECRET_SCHEDULER", "scheduler-secret")
        .env("MARK_PUBLISHER_CRON", "* * * * * *")
        .stdout(log)
        .stderr(Stdio::null())
        .spawn()?;
    tokio::time::sleep_until(origin + Duration::from_secs_f64(RUN_END)).await;
    stop(&mut child).await?;
    let log = std::fs::read_to_string(dir.path().join("oracle.log"))?;
    Ok(report(
        outage,
        origin,
        &auth,
        &presented.lock().unwrap(),
        &log,
    ))
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

/// A ledger that records every token presented to `POST /v1/query` and answers an empty result.
async fn fake_ledger(presented: Presented) -> anyhow::Result<String> {
    async fn query(
        State(presented): State<Presented>,
        headers: HeaderMap,
    ) -> axum::Json<serde_json::Value> {
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
    let router = Router::new()
        .route("/v1/query", post(query))
        .with_state(presented);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(url)
}

/// The run's figures as text, and whether every bar was met.
fn report(
    outage: Outage,
    origin: Instant,
    auth: &FakeAuth,
    presented: &[(Instant, String)],
    log: &str,
) -> (String, bool) {
    use std::fmt::Write as _;
    let seconds = |at: Instant| (at - origin).as_secs_f64();
    let mut met = true;
    let mut text = String::new();
    let _ = writeln!(text, "== outage: {outage:?}");
    for account in ACCOUNTS {
        let times: Vec<f64> = auth
            .requests()
            .iter()
            .filter(|request| request.client_id.as_deref() == Some(account))
            .map(|request| seconds(request.at))
            .collect();
        let during = times
            .iter()
            .filter(|t| (OUTAGE_START..OUTAGE_END).contains(*t))
            .count();
        let most_in = |window: f64| {
            times
                .iter()
                .enumerate()
                .map(|(index, start)| {
                    times[index..]
                        .iter()
                        .filter(|t| **t < start + window)
                        .count()
                })
                .max()
                .unwrap_or(0)
        };
        let min_gap = times
            .windows(2)
            .map(|pair| pair[1] - pair[0])
            .fold(f64::INFINITY, f64::min);
        let suffix = format!("-{account}");
        let ours: Vec<&(Instant, String)> = presented
            .iter()
            .filter(|(_, token)| token.ends_with(&suffix))
            .collect();
        let expired = ours
            .iter()
            .filter(|(at, token)| auth.issued(token).is_none_or(|(_, expires)| *at >= expires))
            .count();
        let fresh_after_heal = auth
            .requests()
            .iter()
            .filter(|request| request.client_id.as_deref() == Some(account))
            .map(|request| seconds(request.at))
            .find(|t| *t >= OUTAGE_END)
            .map(|t| t - OUTAGE_END);
        let (in_60, in_1) = (most_in(60.0), most_in(1.0));
        let _ = writeln!(
            text,
            "  {account:<15} requests during the 60 s outage: {during:>2}; most in any 60 s: {in_60}; \
             most in any 1 s: {in_1}; smallest gap: {min_gap:.2} s"
        );
        let _ = writeln!(
            text,
            "  {:<15} tokens presented to the ledger: {}; expired among them: {expired}; fresh token \
             {} after the endpoint healed",
            "",
            ours.len(),
            fresh_after_heal.map_or("never".to_owned(), |t| format!("{t:.2} s"))
        );
        met &= during <= 8 && in_60 <= 8 && in_1 <= 1 && expired == 0;
        met &= fresh_after_heal.is_some_and(|t| t <= 20.0);
    }
    let hangs = auth.hang_durations();
    if !hangs.is_empty() {
        let longest = hangs.iter().max().unwrap();
        let _ = writeln!(
            text,
            "  hung requests: {}; longest held before the client gave up: {:.2} s (client timeout 5 s)",
            hangs.len(),
            longest.as_secs_f64()
        );
        met &= *longest <= Duration::from_millis(5_500);
    }
    let count = |event: &str| log.matches(&format!("\"event\":\"{event}\"")).count();
    let _ = writeln!(
        text,
        "  oracle log: {} ticks completed, {} failed; {} refresh failures, {} acquisition failures, {} recoveries",
        count("tick_completed"),
        count("tick_failed"),
        count("service_token_refresh_failed"),
        count("service_token_acquire_failed"),
        log.matches("\"recovered\":true").count()
    );
    (text, met)
}
