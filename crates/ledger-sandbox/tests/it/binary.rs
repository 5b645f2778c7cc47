//! The `ledger-sandbox` binary: JSON logs, a clear refusal when the port is taken, and a clean
//! exit on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

const BINARY: &str = env!("CARGO_BIN_EXE_ledger-sandbox");

#[test]
fn serves_logs_json_and_exits_cleanly_on_sigterm() {
    let mut child = Command::new(BINARY)
        .args(["--port", "0", "--hs256-secret", "binary-test-secret"])
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let started = lines
        .by_ref()
        .map(|line| serde_json::from_str::<Value>(&line.unwrap()).unwrap())
        .find(|line| line["event"] == "sandbox_started")
        .expect("a sandbox_started line");
    assert_eq!(started["auth_mode"], "hs256");
    assert!(started["addr"].as_str().unwrap().starts_with("127.0.0.1:"));

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let rest: Vec<Value> = lines
        .map(|line| serde_json::from_str(&line.unwrap()).unwrap())
        .collect();
    assert!(
        rest.iter().any(|line| line["event"] == "sandbox_stopped"),
        "{rest:?}"
    );
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_taken_port_is_refused_with_a_one_line_reason() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let output = Command::new(BINARY)
        .args(["--port", &port.to_string(), "--hs256-secret", "s"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(&format!(
            "cannot listen on 127.0.0.1:{port}; is the port taken?"
        )),
        "{stderr}"
    );
}

#[test]
fn exactly_one_auth_mode_must_be_given_and_bad_options_are_named() {
    let output = Command::new(BINARY)
        .args(["--port", "0"])
        .env_remove("SANDBOX_HS256_SECRET")
        .env_remove("SANDBOX_JWKS_URL")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("--hs256-secret") && stderr.contains("--jwks-url"),
        "{stderr}"
    );

    let output = Command::new(BINARY)
        .args([
            "--port",
            "0",
            "--hs256-secret",
            "s",
            "--namespace-fingerprint",
            "1220beef",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("invalid sandbox option `namespace_fingerprint`"),
        "{stderr}"
    );
}
