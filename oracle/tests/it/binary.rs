//! The real `irsforge-oracle` binary: `check`, `token`, failing loud at boot, and a clean exit
//! on SIGTERM. The fakes run on this test's multi-threaded runtime while the child runs.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::support::fake_auth::{FakeAuth, Reply};
use crate::support::fake_ledger::FakeLedger;

const BUILTIN_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../examples/irsforge.builtin.yaml"
);

/// The binary with an empty environment plus `vars`.
fn oracle(vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_irsforge-oracle"));
    command.env_clear();
    command.envs(vars.iter().copied());
    command
}

async fn output(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn events(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line.get("event").is_some())
        .collect()
}

const SECRETS: [(&str, &str); 2] = [
    ("SERVICE_CLIENT_SECRET_MARK_PUBLISHER", "mark-secret"),
    ("SERVICE_CLIENT_SECRET_SCHEDULER", "scheduler-secret"),
];

#[tokio::test]
async fn check_reports_each_prerequisite_and_exits_1_on_a_missing_secret() {
    let mut command = oracle(&SECRETS);
    command.args(["--config", BUILTIN_PATH, "check"]);
    let passed = output(command).await;
    assert!(
        passed.status.success(),
        "{}{}",
        stdout(&passed),
        stderr(&passed)
    );
    assert_eq!(
        stdout(&passed),
        format!(
            "ok: config: {BUILTIN_PATH} loads and validates\n\
             ok: schedule: mark-publisher fires on \"0 */5 * * * *\" (from scheduler.cron.trigger)\n\
             ok: schedule: scheduler fires trigger \"0 */5 * * * *\", settleNet \"0 0 18 * * *\", mature \"0 30 18 * * *\"\n\
             ok: mark-publisher: client secret in SERVICE_CLIENT_SECRET_MARK_PUBLISHER; tokens from http://localhost:3002/auth/oauth/token\n\
             ok: scheduler: client secret in SERVICE_CLIENT_SECRET_SCHEDULER; tokens from http://localhost:3002/auth/oauth/token\n"
        )
    );
    assert!(!stdout(&passed).contains("mark-secret"));

    // The config path from the environment, one secret missing, the cron overridden.
    let mut command = oracle(&[
        ("IRSFORGE_CONFIG_PATH", BUILTIN_PATH),
        ("SERVICE_CLIENT_SECRET_MARK_PUBLISHER", "mark-secret"),
        ("MARK_PUBLISHER_CRON", "*/30 * * * * *"),
    ]);
    command.arg("check");
    let failed = output(command).await;
    assert_eq!(failed.status.code(), Some(1));
    let text = stdout(&failed);
    assert!(
        text.contains(
            "ok: schedule: mark-publisher fires on \"*/30 * * * * *\" (from MARK_PUBLISHER_CRON)"
        ),
        "{text}"
    );
    assert!(
        text.contains("error: scheduler: SERVICE_CLIENT_SECRET_SCHEDULER is not set (or is empty)"),
        "{text}"
    );
}

#[tokio::test]
async fn a_config_that_does_not_load_is_a_one_line_reason_and_exit_1() {
    let mut command = oracle(&[]);
    command.args(["--config", "/nonexistent/irsforge.yaml", "check"]);
    let failed = output(command).await;
    assert_eq!(failed.status.code(), Some(1));
    // The cause once: the config error names the file, and the OS error follows it.
    assert_eq!(
        stderr(&failed),
        "irsforge-oracle: cannot read config file /nonexistent/irsforge.yaml: No such file or \
         directory (os error 2)\n"
    );
}

#[tokio::test]
async fn token_prints_only_the_token_on_stdout() {
    let mut command = oracle(&[("SERVICE_TOKEN_MARK_PUBLISHER", "env-token-value")]);
    command.args(["--config", BUILTIN_PATH, "token", "mark-publisher"]);
    let printed = output(command).await;
    assert!(printed.status.success(), "{}", stderr(&printed));
    assert_eq!(stdout(&printed), "env-token-value\n");
    let logged = events(&stderr(&printed));
    assert_eq!(logged[0]["event"], "service_token_env_override");
    assert!(!stderr(&printed).contains("env-token-value"));
}

#[tokio::test]
async fn human_logs_as_the_readme_says_with_no_colour_into_a_pipe() {
    let token = ("SERVICE_TOKEN_MARK_PUBLISHER", "env-token-value");
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: [Case; 4] = [
        (&[token, ("ORACLE_LOG_FORMAT", "human")], &[]),
        (&[token, ("ORACLE_LOG_FORMAT", "text")], &[]),
        (&[token], &["--log-format", "human"]),
        (
            &[
                token,
                ("ORACLE_LOG_FORMAT", "human"),
                ("TERM", "xterm-256color"),
            ],
            &[],
        ),
    ];
    for (vars, flags) in cases {
        let mut command = oracle(vars);
        command.args(flags);
        command.args(["--config", BUILTIN_PATH, "token", "mark-publisher"]);
        let printed = output(command).await;
        assert!(
            printed.status.success(),
            "{vars:?} {flags:?}: {}",
            stderr(&printed)
        );
        assert_eq!(stdout(&printed), "env-token-value\n");
        let logs = stderr(&printed);
        assert!(logs.contains("service_token_env_override"), "{logs}");
        assert!(events(&logs).is_empty(), "not human: {logs}");
        assert!(
            !logs.contains('\x1b'),
            "{vars:?} {flags:?}: escape codes in {logs:?}"
        );
    }
    let mut command = oracle(&[token, ("ORACLE_LOG_FORMAT", "yaml")]);
    command.args(["--config", BUILTIN_PATH, "token", "mark-publisher"]);
    let refused = output(command).await;
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("yaml"), "{}", stderr(&refused));
}

#[tokio::test]
async fn empty_environment_variables_count_as_unset() {
    let mut vars = SECRETS.to_vec();
    vars.extend([
        ("ORACLE_LOG_FORMAT", ""),
        ("ORACLE_METRICS_PORT", ""),
        ("ORACLE_METRICS_BIND", ""),
        ("MARK_PUBLISHER_CRON", ""),
        ("RUST_LOG", ""),
        ("IRSFORGE_AUTH_PROVIDER", ""),
    ]);
    let mut command = oracle(&vars);
    command.args(["--config", BUILTIN_PATH, "check"]);
    let checked = output(command).await;
    assert!(
        checked.status.success(),
        "{}{}",
        stdout(&checked),
        stderr(&checked)
    );
    assert!(stdout(&checked).contains("(from scheduler.cron.trigger)"));
}

#[tokio::test]
async fn a_taken_metrics_port_prints_its_cause_once() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let mut command = oracle(&SECRETS);
    command.args(["--config", BUILTIN_PATH, "--metrics-bind", "127.0.0.1"]);
    command.args(["--metrics-port", &port]);
    let failed = output(command).await;
    assert_eq!(failed.status.code(), Some(1));
    let line = stderr(&failed);
    // Linux's text for EADDRINUSE.
    let cause = "Address already in use";
    assert!(
        line.starts_with(&format!(
            "irsforge-oracle: cannot listen for /metrics on 127.0.0.1:{port}: {cause}"
        )),
        "{line}"
    );
    assert_eq!(line.lines().count(), 1, "{line}");
    assert_eq!(line.matches(cause).count(), 1, "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_asks_the_auth_service_with_client_credentials() {
    let auth = FakeAuth::start(|_| Reply::token(900)).await;
    let mut command = oracle(&[
        ("IRSFORGE_AUTH_PUBLIC_URL", auth.base_url.as_str()),
        ("SERVICE_CLIENT_SECRET_SCHEDULER", "scheduler-secret"),
    ]);
    command.args(["--config", BUILTIN_PATH, "token", "scheduler"]);
    let printed = output(command).await;
    assert!(printed.status.success(), "{}", stderr(&printed));
    assert_eq!(stdout(&printed), "tok-1-scheduler\n");
    assert_eq!(
        auth.requests()[0].client_secret.as_deref(),
        Some("scheduler-secret")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boot_fails_loud_on_unreachable_auth_and_on_invalid_client() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut vars = SECRETS.to_vec();
    vars.push(("IRSFORGE_AUTH_PUBLIC_URL", down.as_str()));
    let mut command = oracle(&vars);
    command.args(["--config", BUILTIN_PATH]);
    let failed = output(command).await;
    assert_eq!(failed.status.code(), Some(1));
    let logged = events(&stdout(&failed));
    let last = logged.last().unwrap();
    assert_eq!(last["event"], "service_token_acquire_failed");
    assert_eq!(last["accountId"], "mark-publisher");
    assert_eq!(last["reason"], "network");
    let reason = stderr(&failed);
    assert_eq!(reason.lines().count(), 1, "{reason}");
    assert!(
        reason.starts_with(&format!(
            "irsforge-oracle: service account `mark-publisher`: {down}/auth/oauth/token is \
             unreachable: cannot connect"
        )),
        "{reason}"
    );

    let auth = FakeAuth::start(|_| Reply::invalid_client()).await;
    let mut vars = SECRETS.to_vec();
    vars.push(("IRSFORGE_AUTH_PUBLIC_URL", auth.base_url.as_str()));
    let mut command = oracle(&vars);
    command.args(["--config", BUILTIN_PATH, "run"]);
    let failed = output(command).await;
    assert_eq!(failed.status.code(), Some(1));
    let logged = events(&stdout(&failed));
    let last = logged.last().unwrap();
    assert_eq!(last["event"], "service_token_acquire_failed");
    assert_eq!(last["reason"], "invalid_client");
    assert!(!stdout(&failed).contains("mark-secret") && !stderr(&failed).contains("mark-secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_until_sigterm_and_exits_cleanly() {
    let auth = FakeAuth::start(|_| Reply::token(900)).await;
    let ledger = FakeLedger::start("secret", serde_json::json!([])).await;
    let mut vars = SECRETS.to_vec();
    vars.push(("IRSFORGE_AUTH_PUBLIC_URL", auth.base_url.as_str()));
    vars.push(("IRSFORGE_LEDGER_URL", ledger.url.as_str()));
    vars.push(("MARK_PUBLISHER_CRON", "* * * * * *"));
    let mut command = oracle(&vars);
    command
        .args([
            "--config",
            BUILTIN_PATH,
            "--metrics-port",
            "0",
            "--metrics-bind",
            "127.0.0.1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let (lines, received) = mpsc::channel::<String>();
    let child_stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(child_stdout).lines() {
            if lines.send(line.unwrap()).is_err() {
                return;
            }
        }
    });
    // Boot, then at least one tick: everything before the first tick_completed.
    let (booted, received) = tokio::task::spawn_blocking(move || {
        let mut seen = Vec::new();
        loop {
            let line = received
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("no tick_completed in {seen:#?}"));
            let done = line.contains("\"event\":\"tick_completed\"");
            seen.push(line);
            if done {
                return (seen, received);
            }
        }
    })
    .await
    .unwrap();
    let booted = booted.join("\n");
    for event in [
        "service_token_acquired",
        "mark_publisher_service_started",
        "scheduler_service_started",
        "metrics_listening",
    ] {
        assert!(
            booted.contains(&format!("\"event\":\"{event}\"")),
            "{event}: {booted}"
        );
    }
    assert!(!ledger.calls_to("/v1/query").is_empty());

    rustix::process::kill_process(
        rustix::process::Pid::from_child(&child),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "{status:?}");
    let rest: Vec<String> = received.iter().collect();
    assert!(
        rest.iter()
            .any(|line| line.contains("\"event\":\"oracle_stopped\"")),
        "{rest:#?}"
    );
    let stopping = events(&rest.join("\n"));
    assert!(
        stopping
            .iter()
            .any(|line| line["event"] == "shutdown_requested" && line["signal"] == "SIGTERM"),
        "{rest:#?}"
    );
    for line in events(&booted).iter().chain(&stopping) {
        for field in line.as_object().unwrap().keys() {
            assert!(
                field.starts_with(|c: char| c.is_ascii_lowercase())
                    && field.chars().all(|c| c.is_ascii_alphanumeric()),
                "field {field:?} is not camelCase: {line}"
            );
        }
    }
}

#[tokio::test]
async fn every_example_config_passes_check() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("irsforge") && name.ends_with(".yaml")
        })
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{files:?}");
    for path in files {
        let mut command = oracle(&SECRETS);
        command.arg("--config").arg(&path).arg("check");
        let checked = output(command).await;
        let report = stdout(&checked);
        assert!(
            checked.status.success(),
            "{}: {report}{}",
            path.display(),
            stderr(&checked)
        );
        assert!(
            report.starts_with(&format!(
                "ok: config: {} loads and validates",
                path.display()
            )),
            "{report}"
        );
        assert!(
            !report.contains("error:") && !report.contains("warning:"),
            "{report}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_variables_are_ignored_by_the_token_and_ledger_clients() {
    let auth = FakeAuth::start(|_| Reply::token(900)).await;
    let ledger = FakeLedger::start("secret", serde_json::json!([])).await;
    // A proxy that would see every secret and token: nothing may connect to it.
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    proxy.set_nonblocking(true).unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let mut vars = SECRETS.to_vec();
    vars.push(("IRSFORGE_AUTH_PUBLIC_URL", auth.base_url.as_str()));
    vars.push(("IRSFORGE_LEDGER_URL", ledger.url.as_str()));
    vars.push(("MARK_PUBLISHER_CRON", "* * * * * *"));
    for name in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
    ] {
        vars.push((name, proxy_url.as_str()));
    }
    let mut command = oracle(&vars);
    command
        .args(["--config", BUILTIN_PATH])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = command.spawn().unwrap();
    let child_stdout = child.stdout.take().unwrap();
    // Through boot (a token from the auth service) and one tick (a query to the ledger).
    let seen = tokio::task::spawn_blocking(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(child_stdout).lines() {
            let line = line.unwrap();
            let done = line.contains("\"event\":\"tick_completed\"")
                || line.contains("\"event\":\"tick_failed\"");
            seen.push(line);
            if done {
                break;
            }
        }
        seen
    });
    let seen = tokio::time::timeout(Duration::from_secs(60), seen)
        .await
        .expect("a tick within 60 s")
        .unwrap();
    rustix::process::kill_process(
        rustix::process::Pid::from_child(&child),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    let last = seen.last().map(String::as_str).unwrap_or_default();
    assert!(last.contains("\"event\":\"tick_completed\""), "{seen:#?}");
    assert!(!auth.requests().is_empty());
    assert!(!ledger.calls_to("/v1/query").is_empty());
    assert_eq!(
        proxy.accept().map(|_| ()).unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock,
        "the oracle connected to the proxy"
    );
}
