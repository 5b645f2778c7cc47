//! The `irsforge` demo binary (`cargo run`): its log formats, no colour when its output is not
//! a terminal, and a clean stop on Ctrl-C (SIGINT) or SIGTERM.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

/// Starts the demo (demo profile: no auth service, nothing to hash) in `dir` on free ports
/// with stdout piped, waits for `demo_started`, sends `signal` and returns the exit status's
/// success and everything written on stdout.
fn run_demo(dir: &std::path::Path, args: &[&str], vars: &[(&str, &str)], signal: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_irsforge"))
        .args([
            "--profile",
            "demo",
            "--auth-port",
            "0",
            "--ledger-port",
            "0",
            "--dir",
        ])
        .arg(dir)
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("IRSFORGE_DEMO_LOG_FORMAT")
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    while !text.contains("demo_started") {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            let mut stderr = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            panic!("the demo ended before demo_started: {text}{stderr}");
        }
        text.push_str(&line);
    }
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    stdout.read_to_string(&mut text).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{signal}: {status}: {text}");
    assert!(text.contains("demo_stopping"), "{text}");
    text
}

#[test]
fn human_by_default_without_colour_into_a_pipe_and_ctrl_c_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    for (args, vars) in [
        (&[][..], &[][..]),
        (&[][..], &[("TERM", "xterm-256color")][..]),
        (&["--log-format", "text"][..], &[][..]),
    ] {
        let text = run_demo(dir.path(), args, vars, "-INT");
        assert!(!text.contains('\x1b'), "{args:?} {vars:?}: {text:?}");
        assert!(
            text.lines()
                .all(|line| serde_json::from_str::<serde_json::Value>(line).is_err()),
            "{text}"
        );
        assert!(text.contains("signal=\"SIGINT\""), "{text}");
    }
}

#[test]
fn json_from_the_old_flag_the_new_one_or_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    for (args, vars) in [
        (&["--json"][..], &[][..]),
        (&["--log-format", "json"][..], &[][..]),
        (&[][..], &[("IRSFORGE_DEMO_LOG_FORMAT", "json")][..]),
        (
            &["--json"][..],
            &[("IRSFORGE_DEMO_LOG_FORMAT", "human")][..],
        ),
    ] {
        let text = run_demo(dir.path(), args, vars, "-TERM");
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("{args:?}: {line}")))
            .collect();
        let stopping = lines
            .iter()
            .find(|line| line["event"] == "demo_stopping")
            .unwrap();
        assert_eq!(stopping["signal"], "SIGTERM");
    }
}

#[test]
fn empty_variables_count_as_unset() {
    let dir = tempfile::tempdir().unwrap();
    let text = run_demo(
        dir.path(),
        &[],
        &[
            ("IRSFORGE_DEMO_LOG_FORMAT", ""),
            ("IRSFORGE_DEMO_PROFILE", ""),
            ("RUST_LOG", ""),
        ],
        "-TERM",
    );
    assert!(
        !text.trim_start().starts_with('{'),
        "human by default: {text}"
    );
}
