//! The real `irsforge-auth` binary's log lines: the formats every binary accepts, no colour
//! into a pipe, a refused `RUST_LOG`, stable snake_case events with camelCase fields, and
//! never a secret, a hash or a token.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command};
use std::sync::mpsc;
use std::time::Duration;

use rustix::process::Signal;

use crate::binary::{Running, command, run_to_end, stderr_line};
use crate::support::*;

/// Runs the binary against a demo-provider config (it logs `auth_not_needed` and exits 0)
/// with stdout redirected to a pipe, and returns stdout.
fn demo_provider_logs(setup: impl FnOnce(&mut Command)) -> String {
    let fixture = Fixture::new();
    std::fs::write(
        &fixture.config_path,
        CONFIG_TEXT.replace("provider: builtin", "provider: demo"),
    )
    .unwrap();
    let mut command = command(&fixture);
    setup(&mut command);
    let output = run_to_end(command);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn human_logs_redirected_to_a_file_hold_no_escape_codes() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("auth.log");
    let file = std::fs::File::create(&path).unwrap();
    let stdout = demo_provider_logs(|command| {
        command
            .env("AUTH_LOG_FORMAT", "human")
            .env("TERM", "xterm-256color")
            .stdout(file);
    });
    assert!(stdout.is_empty(), "{stdout}");
    let logged = std::fs::read_to_string(&path).unwrap();
    assert!(logged.contains("auth_not_needed"), "{logged}");
    assert!(!logged.contains("\x1b["), "{logged:?}");
}

#[test]
fn log_formats_from_the_flag_or_the_variable_and_no_colour_into_a_pipe() {
    let json = demo_provider_logs(|_| {});
    let line: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(line["event"], "auth_not_needed");
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);
    let cases: [Case; 4] = [
        (&["--log-format", "human"], &[]),
        (&["--log-format", "text"], &[]),
        (&[], &[("AUTH_LOG_FORMAT", "human")]),
        (
            &[],
            &[("AUTH_LOG_FORMAT", "human"), ("TERM", "xterm-256color")],
        ),
    ];
    for (args, vars) in cases {
        let name = format!("{args:?} {vars:?}");
        let human = demo_provider_logs(|command| {
            command.args(args).envs(vars.iter().copied());
        });
        assert!(human.contains("auth_not_needed"), "{name}: {human}");
        assert!(
            serde_json::from_str::<serde_json::Value>(human.trim()).is_err(),
            "{name}: {human}"
        );
        assert!(!human.contains('\x1b'), "{name}: escape codes in {human:?}");
    }
    let mut refused = command(&Fixture::new());
    refused.args(["--log-format", "yaml"]);
    let output = run_to_end(refused);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--log-format"));
}

#[test]
fn an_invalid_rust_log_is_a_one_line_reason() {
    let fixture = Fixture::new();
    let mut command = command(&fixture);
    command.env("RUST_LOG", "auth=loudest");
    let output = run_to_end(command);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr_line(&output).starts_with("irsforge-auth: RUST_LOG is not a valid log filter"),
        "{output:?}"
    );
}

#[tokio::test]
async fn logs_are_json_events_that_never_carry_a_secret_a_hash_or_a_token() {
    let fixture = Fixture::new();
    let mark_publisher_hash = hash(MARK_PUBLISHER_SECRET);
    let scheduler_hash = hash(SCHEDULER_SECRET);
    let registry = format!(
        "accounts:\n  - id: mark-publisher\n    clientSecretHash: \"{mark_publisher_hash}\"\n  - id: scheduler\n    clientSecretHash: \"{scheduler_hash}\"\n"
    );
    fixture.write_registry(&registry);
    let mut running = Running::start(command(&fixture));
    let http = http_client();
    let token_url = format!("{}/auth/oauth/token", running.base);
    let mut tokens = Vec::new();
    for (id, secret) in [
        (MARK_PUBLISHER, MARK_PUBLISHER_SECRET),
        (SCHEDULER, SCHEDULER_SECRET),
    ] {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ];
        let body: serde_json::Value = http
            .post(&token_url)
            .form(&form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        tokens.push(body["access_token"].as_str().unwrap().to_owned());
        running.wait_for("token_issued");
    }
    let basic = http
        .post(&token_url)
        .basic_auth(SCHEDULER, Some(SCHEDULER_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 200);
    tokens.push(
        basic.json::<serde_json::Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    // A secret sent for the wrong account, so the real secret travels with a failure too.
    let wrong = [
        ("grant_type", "client_credentials"),
        ("client_id", MARK_PUBLISHER),
        ("client_secret", SCHEDULER_SECRET),
    ];
    assert_eq!(
        http.post(&token_url)
            .form(&wrong)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let rejected = running.wait_for("token_request_rejected");
    assert_eq!(rejected["reason"], "invalid_client");

    // SIGHUP reloads the registry; a bad file is refused with its own event.
    running.signal(Signal::HUP);
    running.wait_for("service_accounts_reloaded");
    fixture.write_registry("accounts: []\n");
    running.signal(Signal::HUP);
    running.wait_for("service_accounts_reload_failed");
    let after = [
        ("grant_type", "client_credentials"),
        ("client_id", SCHEDULER),
        ("client_secret", SCHEDULER_SECRET),
    ];
    assert_eq!(
        http.post(&token_url)
            .form(&after)
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "the old registry stays"
    );

    let metrics = http
        .get(format!("{}/metrics", running.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !metrics.contains("auth_credential_cache_hits_total 0"),
        "credentials recognised by the cache were logged too: {metrics}"
    );
    let (status, lines, stderr) = running.terminate();
    assert_eq!(
        status,
        Some(0),
        "SIGTERM is a clean shutdown; stderr: {stderr}"
    );
    let everything = format!("{}\n{stderr}", lines.join("\n"));
    let mut forbidden = vec![
        MARK_PUBLISHER_SECRET.to_owned(),
        SCHEDULER_SECRET.to_owned(),
    ];
    for hash in [&mark_publisher_hash, &scheduler_hash] {
        forbidden.push(hash.clone());
        forbidden.push(hash[7..].to_owned());
    }
    for token in &tokens {
        forbidden.push(token.clone());
        forbidden.extend(token.split('.').skip(1).map(str::to_owned));
    }
    for secret in forbidden {
        assert!(!everything.contains(&secret), "the logs contain {secret:?}");
    }
    let events: Vec<String> = lines
        .iter()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    for expected in [
        "service_accounts_loaded",
        "keys_loaded",
        "auth_started",
        "token_issued",
        "token_request_rejected",
        "service_accounts_reloaded",
        "service_accounts_reload_failed",
        "auth_stopping",
        "auth_stopped",
    ] {
        assert!(
            events.iter().any(|event| event == expected),
            "no {expected} in {events:?}"
        );
    }
    let issued = lines
        .iter()
        .find(|line| line.contains("\"token_issued\""))
        .unwrap();
    let issued: serde_json::Value = serde_json::from_str(issued).unwrap();
    for field in ["accountId", "kid", "jti", "exp"] {
        assert!(
            !issued[field].is_null(),
            "token_issued lacks {field}: {issued}"
        );
    }
    assert_eq!(issued["accountId"], MARK_PUBLISHER, "{issued}");
    for line in &lines {
        let line: serde_json::Value = serde_json::from_str(line).unwrap();
        let event = line["event"].as_str().unwrap();
        assert!(
            event.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "event {event:?} is not snake_case"
        );
        for field in line.as_object().unwrap().keys() {
            assert!(
                field.starts_with(|c: char| c.is_ascii_lowercase())
                    && field.chars().all(|c| c.is_ascii_alphanumeric()),
                "field {field:?} of {event} is not camelCase: {line}"
            );
        }
    }
}

/// Posts a wrong secret for `client_id` in the body and checks the 401.
async fn post_unknown_client(base: &str, client_id: &str) {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", "wrong"),
    ];
    let response = http_client()
        .post(format!("{base}/auth/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_presented_client_id_is_logged_in_at_most_128_bytes_escaped() {
    let fixture = Fixture::new();
    let mut running = Running::start(command(&fixture));
    let long = "A".repeat(10 * 1024);
    post_unknown_client(&running.base, &long).await;
    let rejected = running.wait_for("token_request_rejected");
    let shown = rejected["clientId"].as_str().unwrap();
    assert!(shown.len() <= 128, "{shown}");
    assert_eq!(shown, format!("{}…", "A".repeat(125)));
    assert_eq!(rejected["clientIdBytes"], 10 * 1024);
    let line = running.seen.last().unwrap();
    assert!(line.len() < 512, "{line}");

    let hostile = "evil\n2026-12-02T00:00:00Z INFO forged\x1b[31m\u{9b}\u{202e}\\";
    post_unknown_client(&running.base, hostile).await;
    let rejected = running.wait_for("token_request_rejected");
    assert_eq!(
        rejected["clientId"],
        "evil\\u{a}2026-12-02T00:00:00Z INFO forged\\u{1b}[31m\\u{9b}\\u{202e}\\\\"
    );
    assert!(rejected.get("clientIdBytes").is_none(), "{rejected}");
    let (status, _, stderr) = running.terminate();
    assert_eq!(status, Some(0), "{stderr}");
}

/// The binary in the human format: its stdout lines, and SIGKILL if the test ends early.
struct HumanRunning {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl HumanRunning {
    fn start(mut command: Command) -> Self {
        command.args(["--log-format", "human"]);
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        Self { child, lines }
    }

    /// The next line containing `text`, waiting up to a minute.
    fn next_with(&self, text: &str) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("no line with {text}"));
            if line.contains(text) {
                return line;
            }
        }
    }
}

impl Drop for HumanRunning {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn the_human_format_shows_a_hostile_client_id_escaped_on_one_line() {
    let fixture = Fixture::new();
    let running = HumanRunning::start(command(&fixture));
    let started = running.next_with("auth_started");
    let port: String = started[started.find("127.0.0.1:").unwrap() + "127.0.0.1:".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();

    let hostile = format!(
        "evil\n2026-12-02T00:00:00Z INFO forged\x1b[31m{}",
        "B".repeat(200)
    );
    post_unknown_client(&format!("http://127.0.0.1:{port}"), &hostile).await;
    let rejected = running.next_with("token_request_rejected");
    // The human format quotes string fields as Rust does, so the id's escapes show their
    // backslash doubled.
    let escaped = r"evil\u{a}2026-12-02T00:00:00Z INFO forged\u{1b}[31m";
    let shown = format!("{escaped}{}…", "B".repeat(125 - escaped.len()));
    let expected = format!("clientId=\"{}\"", shown.replace('\\', r"\\"));
    assert!(rejected.contains(&expected), "{rejected}");
    assert!(
        rejected.contains(&format!("clientIdBytes={}", hostile.len())),
        "{rejected}"
    );
    assert!(!rejected.contains('\x1b'), "{rejected:?}");
    // One line: the text after the id's newline is on the line of the text before it.
    assert!(rejected.len() < 512, "{rejected}");
}
