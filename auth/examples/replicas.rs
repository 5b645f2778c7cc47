//! Measurements of `irsforge-auth` replicas on one key directory (not a test): three real
//! binaries, the `keys` commands run as an operator would, and the log lines each replica
//! writes when it notices.
//!
//! ```sh
//! cargo run --release -p auth --example replicas
//! ```
//!
//! Prints: how long after a `keys` command each replica logs that it followed it (the bound is
//! 10 s, the poll every 2 s), what a read of the key directory costs in-process, and the CPU an
//! idle replica spends (mostly on the poll) per minute, beside a replica on a directory
//! without a manifest (three files to read) measured in the same minute. Without `--release`
//! the binary is built in the dev profile (dependencies optimised, ours not).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use auth::keys::{Activation, KeyDirectory};
use auth::secret_hash::hash_secret;

const CONFIG: &str = include_str!("../../examples/irsforge.builtin.yaml");
const REPLICAS: usize = 3;
const ROUNDS: usize = 10;
const IDLE: Duration = Duration::from_secs(60);

fn main() {
    let binary = build_binary();
    let fixture = Fixture::new();
    let profile = if cfg!(debug_assertions) {
        "dev"
    } else {
        "release"
    };
    println!(
        "irsforge-auth replicas ({profile} build): {REPLICAS} binaries on one key directory, {ROUNDS} rounds of rotate / rotate --now / retire --now"
    );
    let mut replicas: Vec<Replica> = (0..REPLICAS)
        .map(|_| Replica::start(&binary, &fixture))
        .collect();

    let mut published = Vec::new();
    let mut activated = Vec::new();
    let mut retired = Vec::new();
    let mut command_times = Vec::new();
    for round in 0..ROUNDS {
        let old = kid(&fixture.keys);
        // Each command at a random moment of the replicas' 2 s poll cycle.
        let at_random = || std::thread::sleep(Duration::from_millis(fastrand::u64(0..2000)));
        at_random();
        let (done, stdout) = keys(&binary, &fixture, &["rotate"]);
        command_times.push(done.1);
        let new = stdout.lines().last().unwrap().to_owned();
        published.extend(wait_all(&mut replicas, "key_published", &new, done.0));
        at_random();
        let (done, _) = keys(&binary, &fixture, &["rotate", "--now"]);
        activated.extend(wait_all(&mut replicas, "key_activated", &new, done.0));
        at_random();
        let (done, _) = keys(&binary, &fixture, &["retire", &old, "--now"]);
        retired.extend(wait_all(&mut replicas, "key_retired", &old, done.0));
        println!(
            "  round {}: {new} staged, activated, {old} retired",
            round + 1
        );
    }
    summary(
        "staged key published by a replica after `keys rotate`",
        &mut published,
    );
    summary(
        "`rotate --now` followed (key_activated) after the command",
        &mut activated,
    );
    summary(
        "`retire --now` followed (key_retired) after the command",
        &mut retired,
    );
    summary(
        "one `keys rotate` (process start to exit, RSA-2048 generation included)",
        &mut command_times,
    );

    // In-process cost of reading and checking the directory (what a poll costs when the
    // directory changed; an unchanged one stops after hashing the same bytes).
    let directory = KeyDirectory::new(&fixture.keys);
    directory
        .rotate(Activation::After(Duration::from_secs(340)))
        .unwrap();
    let mut loads: Vec<Duration> = (0..200)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(directory.load().unwrap());
            started.elapsed()
        })
        .collect();
    summary(
        "read + parse + check of the directory (manifest, 2 private keys), in-process",
        &mut loads,
    );

    // Idle CPU: the replicas above (directory with a manifest and a staged key) against one
    // on a directory without a manifest, in the same minute.
    let plain = Fixture::new();
    let baseline = Replica::start(&binary, &plain);
    let before: Vec<u64> = replicas.iter().map(|r| cpu_ticks(r.child.id())).collect();
    let baseline_before = cpu_ticks(baseline.child.id());
    std::thread::sleep(IDLE);
    let per_minute = |ticks: u64| ticks as f64 * 10.0 * 60.0 / IDLE.as_secs_f64();
    for (replica, before) in replicas.iter().zip(before) {
        println!(
            "idle CPU of a replica (manifest, staged key, polled every 2 s): {:.0} ms per minute",
            per_minute(cpu_ticks(replica.child.id()) - before)
        );
    }
    println!(
        "idle CPU of a replica on a directory without a manifest, same minute: {:.0} ms per minute",
        per_minute(cpu_ticks(baseline.child.id()) - baseline_before)
    );
}

fn summary(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what}: median {:.2} ms, max {:.2} ms (n = {})",
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() - 1]),
        samples.len()
    );
}

fn kid(keys: &Path) -> String {
    std::fs::read_to_string(keys.join("kid.txt"))
        .unwrap()
        .trim()
        .to_owned()
}

/// Runs `irsforge-auth keys …`; returns when it exited and how long it took, and its stdout.
fn keys(binary: &Path, fixture: &Fixture, args: &[&str]) -> ((Instant, Duration), String) {
    let started = Instant::now();
    let output = Command::new(binary)
        .env_clear()
        .arg("--config")
        .arg(&fixture.config)
        .arg("--keys")
        .arg(&fixture.keys)
        .arg("keys")
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let done = Instant::now();
    (
        (done, done - started),
        String::from_utf8(output.stdout).unwrap(),
    )
}

/// Waits until every replica logged `event` for `kid`; the delays after `since`.
fn wait_all(replicas: &mut [Replica], event: &str, kid: &str, since: Instant) -> Vec<Duration> {
    replicas
        .iter_mut()
        .map(|replica| {
            replica
                .wait_for(event, kid)
                .saturating_duration_since(since)
        })
        .collect()
}

/// User plus system CPU ticks (10 ms) of a process.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

struct Fixture {
    _dir: tempfile::TempDir,
    config: PathBuf,
    registry: PathBuf,
    keys: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("irsforge.yaml");
        let registry = dir.path().join("service-accounts.yaml");
        let keys = dir.path().join("keys");
        std::fs::write(&config, CONFIG).unwrap();
        let hash = hash_secret(b"replicas-secret", 4).unwrap();
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

struct Replica {
    child: Child,
    lines: mpsc::Receiver<(Instant, String)>,
}

impl Replica {
    fn start(binary: &Path, fixture: &Fixture) -> Self {
        let mut child = Command::new(binary)
            .env_clear()
            .arg("--config")
            .arg(&fixture.config)
            .arg("--service-accounts")
            .arg(&fixture.registry)
            .arg("--keys")
            .arg(&fixture.keys)
            .env("AUTH_BIND", "127.0.0.1")
            .env("AUTH_PORT", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sender.send((Instant::now(), line));
            }
        });
        let mut replica = Self { child, lines };
        replica.wait_for("auth_started", "");
        replica
    }

    /// When this replica logged `event` (with `kid`, unless empty).
    fn wait_for(&mut self, event: &str, kid: &str) -> Instant {
        loop {
            let (at, line) = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("no {event} for {kid} within 60 s"));
            let value: serde_json::Value = serde_json::from_str(&line).unwrap();
            if value["event"] == event && (kid.is_empty() || value["kid"] == kid) {
                return at;
            }
        }
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Builds the release binary next to this example (cargo does not build bins for examples).
fn build_binary() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let mut build = Command::new(cargo);
    build.args(["build", "--quiet", "-p", "auth", "--bin", "irsforge-auth"]);
    if !cfg!(debug_assertions) {
        build.arg("--release");
    }
    let status = build
        .arg("--manifest-path")
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
