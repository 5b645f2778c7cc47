//! Benchmark of `irsforge-auth` (not a test): starts the real binary as a child process with
//! bcrypt cost 10 and throttling off, drives it with a load generator in this process, and
//! prints every figure of issue 3 against its bar.
//!
//! ```sh
//! cargo run --release -p auth --example bench
//! ```
//!
//! Clients in the first part behave as a standard client should: a `503` is retried after its
//! `Retry-After`, with ±50 % jitter so retries do not arrive in lockstep. The second part
//! (`hostile.rs`) measures clients that misbehave: load generators that ignore `Retry-After`,
//! a flood of invalid credentials from 48 loopback addresses, idle and half-sent sockets, and
//! forms of thousands of parameters. `BENCH_PART=polite` or `BENCH_PART=hostile` runs one part.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use auth::secret_hash::{BcryptHash, hash_secret, verify_secret};
use ledger_types::{LedgerApiClaims, LedgerJwtClaims};

mod hostile;

const COST: u32 = 10;
const SECRET: &str = "bench-secret-0123456789abcdef";
const CONFIG: &str = include_str!("../../../examples/irsforge.builtin.yaml");
const PHASE: Duration = Duration::from_secs(12);
const WARM_UP: Duration = Duration::from_secs(3);

fn main() {
    let binary = build_binary();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "irsforge-auth benchmark: {cores} cores, bcrypt cost {COST}, binary {}",
        binary.display()
    );
    println!(
        "(each phase waits for the machine to be quiet and is repeated once when other processes took more than {MAX_FOREIGN_CORES} cores during it; the least disturbed run is reported)"
    );
    let hash = hash_secret(SECRET.as_bytes(), COST).unwrap();
    let mut report = Report::default();
    let part = std::env::var("BENCH_PART").unwrap_or_default();
    if part != "hostile" {
        polite(&binary, &hash, cores, &mut report);
    }
    if part != "polite" {
        let fixture = Fixture::new(&hash);
        hostile::run(&binary, &fixture, &mut report);
    }
    report.print();
}

/// The figures for clients that honour `Retry-After`, and the service's own costs.
fn polite(binary: &Path, hash: &BcryptHash, cores: usize, report: &mut Report) {
    let (verify, foreign) = least_disturbed(0, || single_verification(hash));
    let limit = cores as f64 / verify.as_secs_f64();
    report.line(
        &format!("single bcrypt verification (cost {COST}, median of 21)"),
        format!("{:.1} ms", ms(verify)),
        None,
    );
    report.foreign(foreign);
    let (parallel, foreign) = least_disturbed(0, || parallel_verification(hash, cores));
    report.line(
        &format!("  one verification while {cores} run at once, in-process"),
        format!(
            "{:.1} ms (the best any server can do is {:.1} tokens/s)",
            ms(parallel),
            cores as f64 / parallel.as_secs_f64()
        ),
        None,
    );
    report.foreign(foreign);
    report.line(
        "bcrypt limit (cores / verification)",
        format!("{limit:.1} tokens/s"),
        None,
    );

    let ((mint, jsonwebtoken_encode), foreign) = least_disturbed(0, mint_cost);
    report.line(
        "RS256 mint per token (pre-parsed aws-lc key)",
        format!("{:.0} µs", us(mint)),
        None,
    );
    report.line(
        "  baseline: jsonwebtoken::encode per token",
        format!("{:.0} µs", us(jsonwebtoken_encode)),
        None,
    );
    report.foreign(foreign);

    let fixture = Fixture::new(hash);
    let (cold, foreign) = least_disturbed(0, || cold_starts(binary, &fixture, true));
    report.line(
        "cold start to first 200, keys present (median of 7)",
        format!("{:.1} ms (max {:.1})", ms(cold.0), ms(cold.1)),
        Some(ms(cold.0) <= 30.0),
    );
    report.foreign(foreign);
    let (cold, foreign) = least_disturbed(0, || cold_starts(binary, &fixture, false));
    report.line(
        "cold start to first 200, generating the key (median of 7)",
        format!("{:.1} ms (max {:.1})", ms(cold.0), ms(cold.1)),
        None,
    );
    report.foreign(foreign);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // Every request pays bcrypt here, as when this part was written: the credential cache
    // would turn these clients into returning ones (the second part measures those).
    let server = Server::start_with(binary, &fixture, &[hostile::CACHE_OFF]);
    let pid = server.pid();
    runtime.block_on(async {
        let client = client();
        for _ in 0..20 {
            client.get(server.url("/auth/health")).send().await.unwrap();
        }
    });
    std::thread::sleep(Duration::from_secs(1));
    report.line(
        "idle RSS",
        format!("{:.1} MB", server.rss_mb()),
        Some(server.rss_mb() <= 15.0),
    );

    let (alone, foreign) = least_disturbed(pid, || {
        (
            probe(&server, "/auth/health", None),
            probe(&server, "/.well-known/jwks.json", None),
        )
    });
    report.line(
        "/auth/health alone p50 / p99",
        format!("{:.3} / {:.3} ms", alone.0.0, alone.0.1),
        None,
    );
    report.line(
        "/.well-known/jwks.json alone p50 / p99",
        format!("{:.3} / {:.3} ms", alone.1.0, alone.1.1),
        None,
    );
    report.foreign(foreign);

    let (c8, foreign) = least_disturbed(pid, || runtime.block_on(token_load(&server, 8, None)));
    let ratio8 = c8.throughput() / limit;
    report.line(
        "token throughput c=8",
        format!("{:.1} tokens/s = {ratio8:.3} of the limit", c8.throughput()),
        Some(ratio8 >= 0.95),
    );
    report.foreign(foreign);
    report.available(c8.throughput(), verify, cores, foreign);

    let peak_rss = Arc::new(std::sync::Mutex::new(0.0f64));
    let (c64, foreign) = least_disturbed(pid, || {
        runtime.block_on(token_load(&server, 64, Some(Arc::clone(&peak_rss))))
    });
    let ratio64 = c64.throughput() / limit;
    report.line(
        "token throughput c=64",
        format!(
            "{:.1} tokens/s = {ratio64:.3} of the limit",
            c64.throughput()
        ),
        Some(ratio64 >= 0.95),
    );
    report.available(c64.throughput(), verify, cores, foreign);
    let mean = runtime.block_on(server_bcrypt_mean(&server));
    report.line(
        "    server's own bcrypt time per request (mean, /metrics)",
        format!("{mean:.1} ms"),
        None,
    );
    let accepted_p99 = percentile(&c64.accepted, 0.99);
    report.line(
        "c=64 accepted token requests p50 / p99",
        format!(
            "{:.1} / {accepted_p99:.1} ms",
            percentile(&c64.accepted, 0.5)
        ),
        Some(accepted_p99 <= 500.0),
    );
    let shed_p99 = percentile(&c64.shed, 0.99);
    report.line(
        &format!(
            "c=64 shed responses ({}) p50 / p99 (paced: a request waits up to 1 s for a place before 503)",
            c64.shed.len()
        ),
        format!("{:.3} / {shed_p99:.3} ms", percentile(&c64.shed, 0.5)),
        None,
    );
    report.foreign(foreign);

    let ((health, jwks, tokens), foreign) =
        least_disturbed(pid, || probed_flood(&server, Arc::clone(&peak_rss)));
    report.line(
        "/auth/health p50 / p99 during a 64-way token flood",
        format!("{:.3} / {:.3} ms", health.0, health.1),
        Some(health.1 <= 1.0),
    );
    report.line(
        "/.well-known/jwks.json p50 / p99 during the flood",
        format!("{:.3} / {:.3} ms", jwks.0, jwks.1),
        Some(jwks.1 <= 1.0),
    );
    report.line(
        "  tokens issued during the probed flood",
        format!("{tokens}"),
        None,
    );
    report.foreign(foreign);
    let peak = *peak_rss.lock().unwrap();
    report.line(
        "flood RSS (peak)",
        format!("{peak:.1} MB"),
        Some(peak <= 25.0),
    );
    drop(server);
}

/// Other processes may use at most this many cores during a phase for it to count as quiet.
const MAX_FOREIGN_CORES: f64 = 0.1;

/// Runs `phase` once the machine is quiet, a second time if other processes disturb
/// it, and returns the least disturbed result with the cores other processes used meanwhile.
fn least_disturbed<T>(server: u32, mut phase: impl FnMut() -> T) -> (T, f64) {
    let mut best: Option<(T, f64)> = None;
    for _ in 0..2 {
        wait_until_quiet(server);
        let meter = CpuMeter::start(server);
        let result = phase();
        let foreign = meter.foreign_cores();
        if best.as_ref().is_none_or(|(_, least)| foreign < *least) {
            best = Some((result, foreign));
        }
        if foreign <= MAX_FOREIGN_CORES {
            break;
        }
    }
    best.expect("at least one run")
}

/// Waits (at most two minutes) until other processes use under [`MAX_FOREIGN_CORES`] for 2 s.
fn wait_until_quiet(server: u32) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        let meter = CpuMeter::start(server);
        std::thread::sleep(Duration::from_secs(2));
        if meter.foreign_cores() <= MAX_FOREIGN_CORES {
            return;
        }
    }
    println!("  (the machine did not become quiet within two minutes; measuring anyway)");
}

/// A 64-way token flood from its own runtime while health and JWKS are probed; returns both
/// probes' p50/p99 and the tokens issued meanwhile.
fn probed_flood(
    server: &Server,
    peak_rss: Arc<std::sync::Mutex<f64>>,
) -> ((f64, f64), (f64, f64), usize) {
    let flooding = Arc::new(AtomicBool::new(true));
    let flood = {
        let flooding = Arc::clone(&flooding);
        let base = server.base.clone();
        let pid = server.pid();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(flood_until(base, pid, flooding, peak_rss))
        })
    };
    std::thread::sleep(WARM_UP);
    let health = probe(server, "/auth/health", Some(PHASE / 2));
    let jwks = probe(server, "/.well-known/jwks.json", Some(PHASE / 2));
    flooding.store(false, Ordering::Relaxed);
    (health, jwks, flood.join().unwrap())
}

/// Builds the release binary next to this example (cargo does not build bins for examples).
fn build_binary() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "auth",
            "--bin",
            "irsforge-auth",
            "--manifest-path",
        ])
        .arg(&manifest)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building irsforge-auth failed");
    let examples = std::env::current_exe().unwrap();
    examples
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("irsforge-auth")
}

fn single_verification(hash: &BcryptHash) -> Duration {
    let mut times: Vec<Duration> = (0..21)
        .map(|_| {
            let started = Instant::now();
            assert!(verify_secret(SECRET.as_bytes(), hash));
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// The median time of one verification while every core verifies at once: what a
/// saturated server's bcrypt workers actually get per verification on this machine.
fn parallel_verification(hash: &BcryptHash, cores: usize) -> Duration {
    let mut times: Vec<Duration> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..cores)
            .map(|_| scope.spawn(|| single_verification_samples(hash, 11)))
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().unwrap())
            .collect()
    });
    times.sort();
    times[times.len() / 2]
}

fn single_verification_samples(hash: &BcryptHash, count: usize) -> Vec<Duration> {
    (0..count)
        .map(|_| {
            let started = Instant::now();
            assert!(verify_secret(SECRET.as_bytes(), hash));
            started.elapsed()
        })
        .collect()
}

/// Mean of `auth_bcrypt_verify_seconds` so far, in ms, from the server's own metrics.
async fn server_bcrypt_mean(server: &Server) -> f64 {
    let text = client()
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|value| value.trim().parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    value("auth_bcrypt_verify_seconds_sum ") / value("auth_bcrypt_verify_seconds_count ") * 1000.0
}

fn mint_cost() -> (Duration, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let (keys, _) = auth::keys::load_or_create(dir.path()).unwrap();
    let claims = LedgerJwtClaims {
        iss: Some("http://localhost:3002".into()),
        sub: Some("service:scheduler".into()),
        iat: Some(1_700_000_000),
        exp: Some(1_700_000_900),
        jti: Some("AAAAAAAAAAAAAAAAAAAAAA".into()),
        ledger_api: LedgerApiClaims {
            ledger_id: Some("sandbox".into()),
            application_id: Some("IRSForge".into()),
            act_as: vec![
                "Scheduler::12203696af4d665a232458e655f075562034125fc5f34c32555f11e6627ba11fd032"
                    .into(),
            ],
            read_as: vec![
                "Operator::12203696af4d665a232458e655f075562034125fc5f34c32555f11e6627ba11fd032"
                    .into(),
            ],
            ..LedgerApiClaims::default()
        },
    };
    const N: u32 = 500;
    let started = Instant::now();
    for _ in 0..N {
        let json = serde_json::to_vec(&claims).unwrap();
        std::hint::black_box(keys.active().sign_jwt(&json).unwrap());
    }
    let ours = started.elapsed() / N;
    let pem = std::fs::read(dir.path().join("private.pem")).unwrap();
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&pem).unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(keys.active().kid().to_owned());
    let started = Instant::now();
    for _ in 0..N {
        std::hint::black_box(jsonwebtoken::encode(&header, &claims, &key).unwrap());
    }
    (ours, started.elapsed() / N)
}

struct Fixture {
    _dir: tempfile::TempDir,
    config: PathBuf,
    registry: PathBuf,
    keys: PathBuf,
}

impl Fixture {
    fn new(hash: &BcryptHash) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("irsforge.yaml");
        let registry = dir.path().join("service-accounts.yaml");
        let keys = dir.path().join("keys");
        std::fs::write(&config, CONFIG).unwrap();
        std::fs::write(&registry, format!("accounts:\n  - id: mark-publisher\n    clientSecretHash: \"{hash}\"\n  - id: scheduler\n    clientSecretHash: \"{hash}\"\n")).unwrap();
        auth::keys::load_or_create(&keys).unwrap();
        Self {
            _dir: dir,
            config,
            registry,
            keys,
        }
    }
}

struct Server {
    child: Child,
    base: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn(binary: &Path, fixture: &Fixture, keys: &Path, port: u16) -> Child {
    spawn_with(binary, fixture, keys, port, &[])
}

/// The server with bcrypt cost [`COST`], throttling off, and `extra` environment variables.
fn spawn_with(
    binary: &Path,
    fixture: &Fixture,
    keys: &Path,
    port: u16,
    extra: &[(&str, &str)],
) -> Child {
    Command::new(binary)
        .env_clear()
        .arg("--config")
        .arg(&fixture.config)
        .arg("--service-accounts")
        .arg(&fixture.registry)
        .arg("--keys")
        .arg(keys)
        .env("AUTH_BIND", "127.0.0.1")
        .env("AUTH_PORT", port.to_string())
        .env("AUTH_THROTTLE_ADDR_PER_MIN", "0")
        .env("AUTH_THROTTLE_CLIENT_PER_MIN", "0")
        .envs(extra.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Plain HTTP/1.1 health check on a fresh connection; true on a 200.
fn health_ok(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let request = b"GET /auth/health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";
    if stream.write_all(request).is_err() {
        return false;
    }
    let mut response = [0u8; 12];
    stream.read_exact(&mut response).is_ok() && &response[9..12] == b"200"
}

/// Median and max of seven cold starts: spawn to the first 200 from /auth/health.
fn cold_starts(binary: &Path, fixture: &Fixture, keys_present: bool) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..7)
        .map(|_| {
            let empty = tempfile::tempdir().unwrap();
            let keys = if keys_present {
                fixture.keys.clone()
            } else {
                empty.path().join("keys")
            };
            let port = free_port();
            let started = Instant::now();
            let mut child = spawn(binary, fixture, &keys, port);
            while !health_ok(port) {
                std::thread::sleep(Duration::from_micros(200));
                assert!(
                    started.elapsed() < Duration::from_secs(30),
                    "no health response"
                );
            }
            let elapsed = started.elapsed();
            child.kill().unwrap();
            child.wait().unwrap();
            elapsed
        })
        .collect();
    times.sort();
    (times[times.len() / 2], times[times.len() - 1])
}

impl Server {
    fn start_with(binary: &Path, fixture: &Fixture, extra: &[(&str, &str)]) -> Self {
        let port = free_port();
        let child = spawn_with(binary, fixture, &fixture.keys, port, extra);
        while !health_ok(port) {
            std::thread::sleep(Duration::from_millis(1));
        }
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn rss_mb(&self) -> f64 {
        rss_mb(self.pid())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU time used by everything on the machine and by the server and this process, so the
/// report can say how much of the machine other processes took during a phase (the bars
/// assume an otherwise idle machine).
struct CpuMeter {
    server: u32,
    started: Instant,
    total: u64,
    ours: u64,
}

impl CpuMeter {
    fn start(server: u32) -> Self {
        Self {
            server,
            started: Instant::now(),
            total: busy_ticks(),
            ours: process_ticks("self") + process_ticks(&server.to_string()),
        }
    }

    /// Cores' worth of CPU other processes used since `start`.
    fn foreign_cores(&self) -> f64 {
        let total = busy_ticks() - self.total;
        let ours = process_ticks("self") + process_ticks(&self.server.to_string()) - self.ours;
        let ticks_per_second = 100.0;
        total.saturating_sub(ours) as f64 / ticks_per_second / self.started.elapsed().as_secs_f64()
    }
}

fn busy_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
    fields
        .iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, v)| v)
        .sum()
}

fn process_ticks(pid: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line; the first token after the name is field 3.
    let field = |index: usize| {
        fields
            .get(index)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // For this process, add cutime and cstime (fields 16 and 17): the servers it spawned and
    // waited for (cold starts) are ours too.
    let children = if pid == "self" {
        field(13) + field(14)
    } else {
        0
    };
    field(11) + field(12) + children
}

fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn record_peak(peak: &std::sync::Mutex<f64>, rss: f64) {
    let mut peak = peak.lock().unwrap();
    *peak = peak.max(rss);
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(128)
        .build()
        .unwrap()
}

#[derive(Default)]
struct LoadResult {
    issued: usize,
    elapsed: Duration,
    accepted: Vec<f64>,
    shed: Vec<f64>,
}

impl LoadResult {
    fn throughput(&self) -> f64 {
        self.issued as f64 / self.elapsed.as_secs_f64()
    }
}

/// `concurrency` clients requesting tokens back to back for the warm-up plus [`PHASE`];
/// only the phase after the warm-up is counted.
async fn token_load(
    server: &Server,
    concurrency: usize,
    peak_rss: Option<Arc<std::sync::Mutex<f64>>>,
) -> LoadResult {
    let started = Instant::now();
    let measure_from = started + WARM_UP;
    let deadline = measure_from + PHASE;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let mut client = TokenClient::new(&server.base);
        tasks.spawn(async move {
            let mut result = LoadResult::default();
            while Instant::now() < deadline {
                let (status, latency, retry_after) = client.request().await;
                let counted = Instant::now() >= measure_from && Instant::now() < deadline;
                match status {
                    200 if counted => {
                        result.issued += 1;
                        result.accepted.push(latency);
                    }
                    503 => {
                        if counted {
                            result.shed.push(latency);
                        }
                        tokio::time::sleep(jittered(retry_after)).await;
                    }
                    200 => {}
                    other => panic!("unexpected status {other}"),
                }
            }
            result
        });
    }
    if let Some(peak) = peak_rss {
        let pid = server.pid();
        while !tasks.is_empty() && Instant::now() < deadline {
            record_peak(&peak, rss_mb(pid));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let mut total = LoadResult {
        elapsed: PHASE,
        ..LoadResult::default()
    };
    for result in tasks.join_all().await {
        total.issued += result.issued;
        total.accepted.extend(result.accepted);
        total.shed.extend(result.shed);
    }
    total
}

/// A minimal HTTP/1.1 keep-alive client for token requests. The load generator shares the
/// machine with the server, so it should cost as little CPU as possible: this one writes a
/// prepared request and reads the status line, two headers and the body, where reqwest does
/// several times the work. Health and JWKS probes still use reqwest.
struct TokenClient {
    address: std::net::SocketAddr,
    /// The loopback address this client connects from (the server throttles and queues by it).
    from: std::net::IpAddr,
    request: Vec<u8>,
    connection: Option<tokio::io::BufReader<tokio::net::TcpStream>>,
}

impl TokenClient {
    fn new(base: &str) -> Self {
        Self::with_body(
            base,
            std::net::Ipv4Addr::LOCALHOST.into(),
            &format!("grant_type=client_credentials&client_id=scheduler&client_secret={SECRET}"),
        )
    }

    /// A client sending `body` from the loopback address `from`.
    fn with_body(base: &str, from: std::net::IpAddr, body: &str) -> Self {
        let address = base.trim_start_matches("http://");
        let request = format!(
            "POST /auth/oauth/token HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        Self {
            address: address.parse().expect("the server's address is ip:port"),
            from,
            request: request.into_bytes(),
            connection: None,
        }
    }

    /// Status, latency in ms, and the Retry-After (1 s when absent).
    /// Status (0 when three connections in a row failed), latency in ms, and the Retry-After.
    async fn request(&mut self) -> (u16, f64, Duration) {
        let started = Instant::now();
        for _ in 0..3 {
            match self.try_request().await {
                Ok((status, retry_after)) => return (status, ms(started.elapsed()), retry_after),
                // The server closed the connection (idle, or refused at its cap): reconnect
                // and send again.
                Err(_) => self.connection = None,
            }
        }
        (0, ms(started.elapsed()), Duration::ZERO)
    }

    async fn try_request(&mut self) -> std::io::Result<(u16, Duration)> {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
        if self.connection.is_none() {
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.bind(std::net::SocketAddr::new(self.from, 0))?;
            let stream = socket.connect(self.address).await?;
            stream.set_nodelay(true)?;
            self.connection = Some(tokio::io::BufReader::new(stream));
        }
        let connection = self.connection.as_mut().expect("connected above");
        connection.get_mut().write_all(&self.request).await?;
        let mut line = String::new();
        let mut status = 0;
        let mut length = 0usize;
        let mut retry_after = Duration::from_secs(1);
        loop {
            line.clear();
            if connection.read_line(&mut line).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some(rest) = header.strip_prefix("HTTP/1.1 ") {
                status = rest
                    .get(..3)
                    .and_then(|code| code.parse().ok())
                    .unwrap_or(0);
            } else if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                } else if name.eq_ignore_ascii_case("retry-after") {
                    retry_after = value
                        .trim()
                        .parse()
                        .map_or(retry_after, Duration::from_secs);
                }
            }
        }
        let mut body = vec![0; length];
        connection.read_exact(&mut body).await?;
        Ok((status, retry_after))
    }
}

fn jittered(retry_after: Duration) -> Duration {
    retry_after.mul_f64(0.5 + fastrand::f64())
}

/// A 64-way token flood until `flooding` is cleared; returns the tokens issued.
async fn flood_until(
    base: String,
    pid: u32,
    flooding: Arc<AtomicBool>,
    peak_rss: Arc<std::sync::Mutex<f64>>,
) -> usize {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let mut client = TokenClient::new(&base);
        let flooding = Arc::clone(&flooding);
        tasks.spawn(async move {
            let mut issued = 0;
            while flooding.load(Ordering::Relaxed) {
                let (status, _, retry_after) = client.request().await;
                match status {
                    200 => issued += 1,
                    503 => tokio::time::sleep(jittered(retry_after)).await,
                    other => panic!("unexpected status {other}"),
                }
            }
            issued
        });
    }
    while flooding.load(Ordering::Relaxed) {
        record_peak(&peak_rss, rss_mb(pid));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tasks.join_all().await.into_iter().sum()
}

/// p50 and p99 (ms) of sequential GETs on one keep-alive connection from a thread of its own:
/// 2000 requests, or as many as fit in `duration`.
fn probe(server: &Server, path: &str, duration: Option<Duration>) -> (f64, f64) {
    let url = server.url(path);
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    let client = client();
                    let mut latencies = Vec::new();
                    let started = Instant::now();
                    for _ in 0..200 {
                        client
                            .get(&url)
                            .send()
                            .await
                            .unwrap()
                            .bytes()
                            .await
                            .unwrap();
                    }
                    loop {
                        let at = Instant::now();
                        let response = client.get(&url).send().await.unwrap();
                        assert_eq!(response.status(), 200);
                        response.bytes().await.unwrap();
                        latencies.push(ms(at.elapsed()));
                        let done = match duration {
                            Some(duration) => started.elapsed() >= duration,
                            None => latencies.len() >= 2000,
                        };
                        if done {
                            break;
                        }
                        // Spaced like a monitoring probe, not a second flood.
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    }
                    (percentile(&latencies, 0.5), percentile(&latencies, 0.99))
                })
            })
            .join()
            .unwrap()
    })
}

fn percentile(values: &[f64], quantile: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let index = ((sorted.len() as f64 * quantile).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn us(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000_000.0
}

#[derive(Default)]
struct Report(Vec<(String, String, Option<bool>)>);

impl Report {
    fn line(&mut self, name: &str, value: String, passed: Option<bool>) {
        println!("  {name}: {value}{}", verdict(passed));
        self.0.push((name.to_owned(), value, passed));
    }

    fn foreign(&mut self, cores: f64) {
        self.line(
            "  other processes' CPU meanwhile",
            format!("{cores:.2} cores"),
            None,
        );
    }

    /// The throughput against what the CPU left by other processes allows, since bcrypt runs
    /// at idle priority and yields every cycle they take.
    fn available(&mut self, throughput: f64, verify: Duration, cores: usize, foreign: f64) {
        let available = (cores as f64 - foreign).max(0.1) / verify.as_secs_f64();
        self.line(
            "    against the CPU other processes left",
            format!("{:.3} of {available:.1} tokens/s", throughput / available),
            None,
        );
    }

    fn print(&self) {
        println!("\n| figure | value | bar |\n|---|---|---|");
        for (name, value, passed) in &self.0 {
            println!("| {name} | {value} |{} |", verdict(*passed));
        }
        let failed = self
            .0
            .iter()
            .filter(|(_, _, passed)| *passed == Some(false))
            .count();
        println!("\n{failed} bar(s) missed");
    }
}

fn verdict(passed: Option<bool>) -> &'static str {
    match passed {
        Some(true) => " ✔ meets the bar",
        Some(false) => " ✘ MISSES the bar",
        None => "",
    }
}
