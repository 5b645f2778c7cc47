//! The real `irsforge-auth` binary: start-up failures, the demo profile, `check`,
//! `hash-secret`, signals and concurrent key creation. Its log lines are `binary_logs`'s, its
//! `keys` commands `binary_keys`'s.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use auth::secret_hash::{BcryptHash, verify_secret};
use rustix::process::{Pid, Signal, kill_process};

use crate::support::*;

const BIN: &str = env!("CARGO_BIN_EXE_irsforge-auth");

/// The binary with a clean environment and the fixture's paths as flags.
pub(crate) fn command(fixture: &Fixture) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .arg("--config")
        .arg(&fixture.config_path)
        .arg("--service-accounts")
        .arg(&fixture.registry_path)
        .arg("--keys")
        .arg(&fixture.keys_dir)
        .env("AUTH_BIND", "127.0.0.1")
        .env("AUTH_PORT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs to completion, killing the process if it has not ended within a minute (a start-up
/// that wrongly succeeds would otherwise serve forever).
pub(crate) fn run_to_end(mut command: Command) -> Output {
    let mut child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!(
                "the process did not exit: {:?}",
                child.wait_with_output().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

pub(crate) fn stderr_line(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    assert_eq!(
        stderr.lines().count(),
        1,
        "expected a one-line reason, got {stderr:?}"
    );
    stderr
}

#[test]
fn start_up_failures_are_one_line_reasons_and_a_non_zero_exit() {
    let placeholder = include_str!("../../../examples/service-accounts.example.yaml");
    let mismatched = registry_yaml(&[
        (MARK_PUBLISHER, &["a"]),
        (SCHEDULER, &["b"]),
        ("stray", &["c"]),
    ]);
    let only_one = registry_yaml(&[(MARK_PUBLISHER, &["a"])]);
    type Setup = Box<dyn Fn(&Fixture, &mut Command)>;
    let cases: Vec<(&str, Setup, Vec<String>)> = vec![
        (
            "missing config",
            Box::new(|f, _| std::fs::remove_file(&f.config_path).unwrap()),
            vec![
                "cannot read config file".into(),
                "irsforge.yaml: No such file".into(),
            ],
        ),
        (
            "placeholder hash",
            Box::new(move |f, _| f.write_registry(placeholder)),
            vec!["service-accounts.yaml: accounts.0.clientSecretHash: not a bcrypt hash".into()],
        ),
        (
            "registry entry not declared",
            Box::new(move |f, _| f.write_registry(&mismatched)),
            vec![
                "service account `stray` has an entry in".into(),
                "service-accounts.yaml but is not declared in".into(),
                "irsforge.yaml (auth.serviceAccounts)".into(),
            ],
        ),
        (
            "declared account without entry",
            Box::new(move |f, _| f.write_registry(&only_one)),
            vec![
                "service account `scheduler` is declared in".into(),
                "but has no entry in".into(),
            ],
        ),
        (
            "missing registry",
            Box::new(|f, _| std::fs::remove_file(&f.registry_path).unwrap()),
            vec!["cannot read service accounts file".into()],
        ),
        (
            "unusable key",
            Box::new(|f, _| std::fs::write(f.keys_dir.join("private.pem"), "garbage").unwrap()),
            vec!["private.pem: not a PEM file".into()],
        ),
    ];
    for (name, setup, expected) in cases {
        let fixture = Fixture::new();
        let mut command = command(&fixture);
        setup(&fixture, &mut command);
        let output = run_to_end(command);
        assert_eq!(output.status.code(), Some(1), "{name}");
        let line = stderr_line(&output);
        assert!(line.starts_with("irsforge-auth: "), "{name}: {line}");
        for fragment in expected {
            assert!(
                line.contains(&fragment),
                "{name}: {line:?} lacks {fragment:?}"
            );
        }
        assert!(
            !String::from_utf8_lossy(&output.stdout).contains("auth_started"),
            "{name}"
        );
    }
}

#[test]
fn a_failure_prints_its_cause_once() {
    let fixture = Fixture::new();
    std::fs::remove_file(&fixture.registry_path).unwrap();
    let output = run_to_end(command(&fixture));
    let line = stderr_line(&output);
    assert!(
        line.starts_with("irsforge-auth: cannot read service accounts file "),
        "{line}"
    );
    assert!(
        line.ends_with(": No such file or directory (os error 2)"),
        "{line}"
    );
    assert_eq!(
        line.matches("No such file or directory").count(),
        1,
        "{line}"
    );
}

#[test]
fn an_invalid_config_names_the_file_and_every_problem() {
    let fixture = Fixture::new();
    std::fs::write(
        &fixture.config_path,
        CONFIG_TEXT.replace("tokenTtlSeconds: 900", "tokenTtlSeconds: -900"),
    )
    .unwrap();
    let output = run_to_end(command(&fixture));
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut lines = stderr.lines();
    let headline = lines.next().unwrap();
    assert!(
        headline.starts_with("irsforge-auth: ") && headline.contains("irsforge.yaml: 1 problem"),
        "{stderr}"
    );
    // shared-config lists each problem on its own `path: message` line (STYLE §4).
    assert_eq!(
        lines.next().unwrap().trim(),
        "auth.builtin.tokenTtlSeconds: must be greater than 0, got -900",
        "{stderr}"
    );
}

#[test]
fn settings_the_schema_accepts_but_the_service_cannot_honour_are_one_line_reasons() {
    for (from, to, expected) in [
        (
            "keyAlgorithm: RS256",
            "keyAlgorithm: ES256",
            "irsforge-auth: auth.builtin.keyAlgorithm: \"ES256\" is not implemented; irsforge-auth signs ledger JWTs with \"RS256\"",
        ),
        (
            "port: 3002",
            "port: 70000",
            "irsforge-auth: auth.builtin.port: 70000 is not a TCP port (1-65535); fix it or set AUTH_PORT",
        ),
    ] {
        let fixture = Fixture::new();
        std::fs::write(&fixture.config_path, CONFIG_TEXT.replace(from, to)).unwrap();
        let mut command = command(&fixture);
        command.env_remove("AUTH_PORT");
        let output = run_to_end(command);
        assert_eq!(output.status.code(), Some(1), "{to}");
        assert_eq!(stderr_line(&output), expected);
    }
}

#[test]
fn an_occupied_port_is_a_one_line_reason() {
    let fixture = Fixture::new();
    let occupied = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut command = command(&fixture);
    command.env(
        "AUTH_PORT",
        occupied.local_addr().unwrap().port().to_string(),
    );
    let output = run_to_end(command);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_line(&output).contains("cannot bind the listen address"));
}

#[test]
fn the_demo_provider_says_the_service_is_not_needed_and_exits_0() {
    let fixture = Fixture::new();
    std::fs::write(
        &fixture.config_path,
        CONFIG_TEXT.replace("provider: builtin", "provider: demo"),
    )
    .unwrap();
    let output = run_to_end(command(&fixture));
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("the auth service is not needed"));
}

#[test]
fn check_validates_without_binding() {
    let fixture = Fixture::new();
    let mut ok = command(&fixture);
    ok.arg("check");
    let output = run_to_end(ok);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("ok: ") && stdout.contains("active kid"),
        "{stdout}"
    );

    fixture.write_registry(include_str!(
        "../../../examples/service-accounts.example.yaml"
    ));
    let mut bad = command(&fixture);
    bad.arg("check");
    let output = run_to_end(bad);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_line(&output).contains("not a bcrypt hash"));
}

#[test]
fn every_path_can_come_from_its_environment_variable() {
    let fixture = Fixture::new();
    let mut check = Command::new(BIN);
    check
        .env_clear()
        .env("IRSFORGE_CONFIG_PATH", &fixture.config_path)
        .env("IRSFORGE_SERVICE_ACCOUNTS_PATH", &fixture.registry_path)
        .env("IRSFORGE_KEYS_DIR", &fixture.keys_dir)
        .arg("check")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let output = run_to_end(check);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&fixture.registry_path.display().to_string()),
        "{stdout}"
    );
}

#[test]
fn empty_environment_variables_count_as_unset() {
    let fixture = Fixture::new();
    let mut check = command(&fixture);
    for name in [
        "AUTH_PORT",
        "AUTH_BIND",
        "AUTH_TRUSTED_PROXIES",
        "AUTH_THROTTLE_ADDR_PER_MIN",
        "AUTH_BCRYPT_WORKERS",
        "AUTH_MAX_CONNECTIONS",
        "AUTH_LOG_FORMAT",
        "IRSFORGE_KEYS_DIR",
        "IRSFORGE_CONFIG_PATH",
        "RUST_LOG",
    ] {
        check.env(name, "");
    }
    check.arg("check");
    let output = run_to_end(check);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}

/// `GET /auth/health` on a new connection (blocking); the status line.
fn health_status(address: &str) -> String {
    try_health_status(address).expect("an answer")
}

fn try_health_status(address: &str) -> std::io::Result<String> {
    let mut stream = std::net::TcpStream::connect(address)?;
    stream.write_all(b"GET /auth/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
    let mut response = String::new();
    std::io::Read::read_to_string(&mut stream, &mut response)?;
    Ok(response.lines().next().unwrap_or_default().to_owned())
}

#[test]
fn sigterm_with_half_sent_requests_and_idle_sockets_open_exits_within_10_seconds() {
    let fixture = Fixture::new();
    let running = Running::start(command(&fixture));
    let address = running.base.trim_start_matches("http://").to_owned();
    let mut sockets = Vec::new();
    for _ in 0..5 {
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        stream
            .write_all(b"POST /auth/oauth/token HTTP/1.1\r\nHost: x\r\nContent-Le")
            .unwrap();
        sockets.push(stream);
    }
    for _ in 0..20 {
        sockets.push(std::net::TcpStream::connect(&address).unwrap());
    }
    // Connections are accepted in order: once this one is answered, the others are held.
    assert_eq!(health_status(&address), "HTTP/1.1 200 OK");
    let exit = running.terminate_within(Duration::from_secs(10));
    assert_eq!(exit, Some(Some(0)), "a clean exit within 10 s of SIGTERM");
}

#[test]
fn the_connection_cap_comes_from_auth_max_connections_and_refusals_are_logged() {
    let fixture = Fixture::new();
    let mut command = command(&fixture);
    command.env("AUTH_MAX_CONNECTIONS", "2");
    let mut running = Running::start(command);
    let address = running.base.trim_start_matches("http://").to_owned();
    let sockets: Vec<_> = (0..4)
        .map(|_| std::net::TcpStream::connect(&address).unwrap())
        .collect();
    let refused = running.wait_for("connections_refused");
    assert_eq!(refused["level"], "WARN");
    assert_eq!(refused["maxConnections"], 2);
    assert!(refused["refused"].as_u64().unwrap() >= 1, "{refused}");
    assert_eq!(refused["address"], address.as_str());
    drop(sockets);
    assert_eq!(running.terminate().0, Some(0));
}

/// `serve` run by a shell that first sets `ulimit <limit>`, with the same arguments and
/// environment, its output piped.
fn under_ulimit(serve: &Command, limit: &str) -> Command {
    let mut command = Command::new("/bin/sh");
    command
        .arg("-c")
        .arg(format!("ulimit {limit} && exec \"$0\" \"$@\""))
        .arg(serve.get_program())
        .args(serve.get_args())
        .env_clear()
        .envs(
            serve
                .get_envs()
                .filter_map(|(name, value)| Some((name, value?))),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

#[test]
fn out_of_file_descriptors_the_server_pauses_and_recovers() {
    let fixture = Fixture::new();
    let serve = command(&fixture);
    // The same command under a shell that lowers the descriptor limit first: the cap (1024)
    // is then never reached and accept itself fails (EMFILE).
    let command = under_ulimit(&serve, "-n 40");
    let mut running = Running::start(command);
    let low = running
        .seen
        .iter()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .find(|line| line["event"] == "descriptor_limit_low")
        .expect("a warning that the limit cannot be raised");
    assert_eq!(low["limit"], 40);
    assert_eq!(low["maxConnections"], 1024);
    let address = running.base.trim_start_matches("http://").to_owned();
    let sockets: Vec<_> = (0..60)
        .map(|_| std::net::TcpStream::connect(&address).unwrap())
        .collect();
    let first = running.wait_for("accept_failed");
    assert_eq!(first["level"], "WARN");
    assert!(
        first["error"].as_str().unwrap().contains("os error 24"),
        "{first}"
    );
    // One line a second at most, each counting the failures since the previous one: a loop
    // that retried at once would count thousands.
    let second = running.wait_for("accept_failed");
    assert!(second["failures"].as_u64().unwrap() < 100, "{second}");
    drop(sockets);
    let recovered = (0..500).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        try_health_status(&address).is_ok_and(|status| status == "HTTP/1.1 200 OK")
    });
    assert!(recovered, "health answers once descriptors are free");
    assert_eq!(running.terminate().0, Some(0));
}

#[test]
fn the_soft_descriptor_limit_is_raised_to_fit_the_connection_cap() {
    let fixture = Fixture::new();
    let mut serve = command(&fixture);
    serve.env("AUTH_MAX_CONNECTIONS", "200");
    let command = under_ulimit(&serve, "-S -n 100");
    let running = Running::start(command);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", running.child.id())).unwrap();
    let open_files = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .unwrap();
    // "Max open files  <soft>  <hard>  files"
    let fields: Vec<&str> = open_files.split_whitespace().collect();
    let hard: u64 = fields[4].parse().unwrap_or(u64::MAX);
    let expected = hard.min(200 + 64);
    assert_eq!(fields[3], expected.to_string(), "{open_files}");
    let warned = running
        .seen
        .iter()
        .any(|line| line.contains("descriptor_limit_low"));
    assert_eq!(
        warned,
        hard < 264,
        "a warning only when the hard limit is too low"
    );
    assert_eq!(running.terminate().0, Some(0));
}

#[test]
fn a_connection_cap_of_0_is_refused_with_a_reason() {
    let fixture = Fixture::new();
    for (flag, variable) in [(Some("0"), None), (None, Some("0"))] {
        let mut command = command(&fixture);
        if let Some(value) = variable {
            command.env("AUTH_MAX_CONNECTIONS", value);
        }
        if let Some(value) = flag {
            command.args(["--max-connections", value]);
        }
        let output = run_to_end(command);
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--max-connections"), "{stderr}");
        assert!(stderr.contains("must be at least 1"), "{stderr}");
    }
}

fn hash_secret(input: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .env_clear()
        .args(["hash-secret", "--cost", "4"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn hash_secret_prints_only_the_hash_of_stdin() {
    let output = hash_secret(b"fresh secret\n");
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1);
    let hash = BcryptHash::parse(stdout.trim()).unwrap();
    assert_eq!(hash.cost(), 4);
    assert!(
        verify_secret(b"fresh secret", &hash),
        "the trailing newline is not part of the secret"
    );
    assert!(!stdout.contains("fresh secret"));
}

#[test]
fn hash_secret_refuses_secrets_bcrypt_would_truncate() {
    let output = hash_secret(&[b'x'; 73]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_line(&output).contains("at most 72 bytes"));
    assert!(output.stdout.is_empty());
}

/// A running binary whose stdout lines are collected as they come.
pub(crate) struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    pub(crate) seen: Vec<String>,
    pub(crate) base: String,
}

impl Running {
    pub(crate) fn start(mut command: Command) -> Self {
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let mut running = Self {
            child,
            lines,
            seen: Vec::new(),
            base: String::new(),
        };
        let started = running.wait_for("auth_started");
        running.base = format!("http://{}", started["address"].as_str().unwrap());
        running
    }

    /// The next log line with this event, waiting up to a minute.
    pub(crate) fn wait_for(&mut self, event: &str) -> serde_json::Value {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("no {event} line; saw {:?}", self.seen));
            self.seen.push(line.clone());
            let value: serde_json::Value =
                serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
            if value["event"] == event {
                return value;
            }
        }
    }

    pub(crate) fn signal(&self, signal: Signal) {
        kill_process(Pid::from_child(&self.child), signal).unwrap();
    }

    /// SIGTERM, then the exit status if the process ends within `limit`; `None` (and the
    /// process killed) if it does not.
    pub(crate) fn terminate_within(mut self, limit: Duration) -> Option<Option<i32>> {
        self.signal(Signal::TERM);
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status.code());
            }
            if Instant::now() > deadline {
                self.child.kill().unwrap();
                self.child.wait().unwrap();
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then the exit status and every remaining line of stdout and stderr.
    pub(crate) fn terminate(mut self) -> (Option<i32>, Vec<String>, String) {
        self.signal(Signal::TERM);
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut self.child.stderr.take().unwrap(), &mut stderr).unwrap();
        let status = self.child.wait().unwrap();
        self.seen.extend(self.lines.iter());
        (status.code(), self.seen, stderr)
    }
}

#[tokio::test]
async fn two_instances_starting_at_once_on_an_empty_key_directory_share_one_key_set() {
    let fixture = Fixture::new();
    std::fs::remove_dir_all(&fixture.keys_dir).unwrap();
    let first = command(&fixture);
    let second = command(&fixture);
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(|| Running::start(first));
        let second = scope.spawn(|| Running::start(second));
        (first.join().unwrap(), second.join().unwrap())
    });
    let http = http_client();
    let mut documents = Vec::new();
    for running in [&first, &second] {
        let url = format!("{}/.well-known/jwks.json", running.base);
        documents.push(http.get(url).send().await.unwrap().text().await.unwrap());
    }
    assert_eq!(documents[0], documents[1]);
    let kid = std::fs::read_to_string(fixture.keys_dir.join("kid.txt")).unwrap();
    assert!(documents[0].contains(kid.trim()));
    assert_eq!(
        auth::keys::load_existing(&fixture.keys_dir)
            .unwrap()
            .published()
            .len(),
        1
    );
    let created = [&first, &second]
        .iter()
        .filter(|running| {
            running
                .seen
                .iter()
                .any(|line| line.contains("keys_created"))
        })
        .count();
    assert_eq!(created, 1, "exactly one instance generated the key");
    for running in [first, second] {
        assert_eq!(running.terminate().0, Some(0));
    }
    assert_private_key_mode(&fixture.keys_dir);
}

fn assert_private_key_mode(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.join("private.pem"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}
