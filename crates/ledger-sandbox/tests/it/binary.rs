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
    assert_eq!(started["authMode"], "hs256");
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
        stderr.starts_with(&format!(
            "ledger-sandbox: cannot listen on 127.0.0.1:{port}; is the port taken?"
        )),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    // Linux's text for EADDRINUSE.
    let cause = "Address already in use";
    assert_eq!(stderr.matches(cause).count(), 1, "{stderr}");
}

/// Starts the binary on a free port with `vars` set, reads stdout until `sandbox_started`,
/// stops it with SIGTERM and returns everything it wrote on stdout.
fn started_and_stopped(args: &[&str], vars: &[(&str, &str)]) -> String {
    let mut child = Command::new(BINARY)
        .args(["--port", "0", "--hs256-secret", "binary-test-secret"])
        .args(args)
        .env_remove("RUST_LOG")
        .envs(vars.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    while !text.contains("sandbox_started") {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            let status = child.wait().unwrap();
            panic!("exited ({status}) before sandbox_started: {text}");
        }
        text.push_str(&line);
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    std::io::Read::read_to_string(&mut stdout, &mut text).unwrap();
    assert!(child.wait().unwrap().success(), "{text}");
    text
}

#[test]
fn human_logs_from_the_flag_or_the_variable_carry_no_colour_into_a_pipe() {
    for (args, vars) in [
        (&["--log-format", "human"][..], &[][..]),
        (&["--log-format", "text"][..], &[][..]),
        (&[][..], &[("SANDBOX_LOG_FORMAT", "human")][..]),
        (
            &[][..],
            &[("SANDBOX_LOG_FORMAT", "human"), ("TERM", "xterm-256color")][..],
        ),
    ] {
        let text = started_and_stopped(args, vars);
        assert!(text.contains("sandbox_stopped"), "{text}");
        assert!(
            text.lines()
                .all(|line| serde_json::from_str::<Value>(line).is_err()),
            "{args:?} {vars:?}: {text}"
        );
        assert!(!text.contains('\x1b'), "{args:?} {vars:?}: {text:?}");
    }
}

#[test]
fn empty_environment_variables_count_as_unset() {
    let text = started_and_stopped(
        &[],
        &[
            ("SANDBOX_LOG_FORMAT", ""),
            ("SANDBOX_JWKS_URL", ""),
            ("SANDBOX_APPLICATION_ID", ""),
            ("SANDBOX_LEEWAY_SECONDS", ""),
            ("SANDBOX_BIND", ""),
            ("RUST_LOG", ""),
        ],
    );
    let started = text
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .find(|line| line["event"] == "sandbox_started")
        .unwrap();
    assert_eq!(started["authMode"], "hs256");
    assert!(started["addr"].as_str().unwrap().starts_with("127.0.0.1:"));
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

/// Accepts one connection on `listener` within 30 s, reads the request head and answers
/// `{"keys":[]}`; the head, or `None` when nobody connected.
fn serve_empty_jwks_once(
    listener: std::net::TcpListener,
) -> std::thread::JoinHandle<Option<String>> {
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        listener.set_nonblocking(true).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break stream,
                Err(_) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(_) => return None,
            }
        };
        stream.set_nonblocking(false).unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
            head.push(byte[0]);
        }
        let body = r#"{"keys":[]}"#;
        write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        Some(String::from_utf8_lossy(&head).into_owned())
    })
}

#[test]
fn the_jwks_is_fetched_directly_whatever_the_proxy_variables_say() {
    use std::io::{Read, Write};
    let jwks = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let jwks_url = format!("http://{}/jwks", jwks.local_addr().unwrap());
    let fetched = serve_empty_jwks_once(jwks);
    // A proxy that would see the fetch: it never answers, and nothing may connect to it.
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    proxy.set_nonblocking(true).unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let mut child = Command::new(BINARY)
        .args(["--port", "0", "--jwks-url", &jwks_url])
        .env_remove("RUST_LOG")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .envs(
            [
                "HTTP_PROXY",
                "http_proxy",
                "HTTPS_PROXY",
                "ALL_PROXY",
                "all_proxy",
            ]
            .map(|name| (name, proxy_url.as_str())),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let started = lines
        .by_ref()
        .map(|line| serde_json::from_str::<Value>(&line.unwrap()).unwrap())
        .find(|line| line["event"] == "sandbox_started")
        .expect("a sandbox_started line");
    let addr = started["addr"].as_str().unwrap().to_owned();

    // An RS256 token with an unknown kid makes the sandbox fetch its JWKS.
    let encode = |json: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    };
    let token = format!(
        "{}.{}.c2ln",
        encode(r#"{"alg":"RS256","kid":"unknown","typ":"JWT"}"#),
        encode(r#"{"sub":"x"}"#)
    );
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(40)))
        .unwrap();
    write!(
        stream,
        "GET /v1/parties HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {token}\r\n\
         connection: close\r\n\r\n"
    )
    .unwrap();
    let head = fetched.join().unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let Some(head) = head else {
        child.kill().unwrap();
        panic!("the JWKS was never fetched directly: {answer}");
    };
    assert!(head.starts_with("GET /jwks HTTP/1.1\r\n"), "{head}");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert_eq!(
        proxy.accept().map(|_| ()).unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock,
        "the sandbox connected to the proxy"
    );
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    drop(lines);
    assert!(child.wait().unwrap().success());
}
