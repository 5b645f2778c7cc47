//! The real `irsforge-auth` binary's `keys` commands, a running binary following them without
//! SIGHUP (and its events), and the key files' permissions and links.

use std::os::unix::fs::PermissionsExt;

use crate::binary::{Running, command, run_to_end, stderr_line};
use crate::support::*;

/// Runs `irsforge-auth keys <args>` on the fixture; returns the exit code, stdout and stderr.
fn keys(fixture: &Fixture, args: &[&str]) -> (Option<i32>, String, String) {
    let mut command = command(fixture);
    command.arg("keys").args(args);
    let output = run_to_end(command);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).trim().to_owned(),
    )
}

#[test]
fn keys_rotate_stages_and_retire_waits_for_live_tokens() {
    let fixture = Fixture::new();
    let old_kid = std::fs::read_to_string(fixture.keys_dir.join("kid.txt"))
        .unwrap()
        .trim()
        .to_owned();
    let (code, stdout, _) = keys(&fixture, &["rotate"]);
    assert_eq!(code, Some(0));
    let new_kid = stdout.lines().last().unwrap().to_owned();
    assert_ne!(new_kid, old_kid);
    let rotated: serde_json::Value = stdout
        .lines()
        .find(|line| line.contains("keys_rotated"))
        .map(|line| serde_json::from_str(line).unwrap())
        .unwrap();
    assert_eq!(rotated["kid"], new_kid.as_str());
    assert_eq!(rotated["previousKid"], old_kid.as_str());
    assert!(rotated["notBefore"].as_str().unwrap().ends_with('Z'));

    let (code, stdout, _) = keys(&fixture, &["status"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains(&format!("signing  {old_kid}")), "{stdout}");
    assert!(
        stdout.contains(&format!("staged   {new_kid}  signs from ")),
        "{stdout}"
    );

    // Neither key may go while a rotation is staged.
    for (kid, reason) in [
        (&new_kid, "is the staged key"),
        (&old_kid, "when `"),
        (&"nope".to_owned(), "no published key"),
    ] {
        let (code, _, stderr) = keys(&fixture, &["retire", kid]);
        assert_eq!(code, Some(1));
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(reason), "{stderr}");
    }
    let (code, _, stderr) = keys(&fixture, &["rotate"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("a rotation is already staged"), "{stderr}");

    // --now makes the staged key sign at once.
    let (code, stdout, _) = keys(&fixture, &["rotate", "--now"]);
    assert_eq!(code, Some(0));
    assert_eq!(stdout.lines().last().unwrap(), new_kid);
    let kid = std::fs::read_to_string(fixture.keys_dir.join("kid.txt")).unwrap();
    assert_eq!(kid.trim(), new_kid);
    // Tokens the old key signed live 900 s (the example config): retiring waits for them.
    let (code, _, stderr) = keys(&fixture, &["retire", &old_kid]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("stay valid for 900 s: retire it from") && stderr.contains("--now"),
        "{stderr}"
    );
    let (code, _, stderr) = keys(&fixture, &["retire", &new_kid]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("is the active key"), "{stderr}");
    let (code, _, _) = keys(&fixture, &["retire", &old_kid, "--now"]);
    assert_eq!(code, Some(0));
    assert!(
        !fixture
            .keys_dir
            .join("published")
            .join(format!("{old_kid}.pem"))
            .exists()
    );
    let (_, stdout, _) = keys(&fixture, &["status"]);
    assert_eq!(stdout.trim(), format!("signing  {new_kid}"));
}

#[tokio::test]
async fn a_running_server_follows_rotate_and_retire_without_sighup() {
    let fixture = Fixture::new();
    let old_kid = std::fs::read_to_string(fixture.keys_dir.join("kid.txt"))
        .unwrap()
        .trim()
        .to_owned();
    let mut running = Running::start(command(&fixture));
    let (code, stdout, _) = keys(&fixture, &["rotate"]);
    assert_eq!(code, Some(0));
    let new_kid = stdout.lines().last().unwrap().to_owned();
    let published = running.wait_for("key_published");
    assert_eq!(published["kid"], new_kid.as_str());
    assert!(published["notBefore"].as_str().unwrap().ends_with('Z'));
    let reloaded = running.wait_for("keys_reloaded");
    assert_eq!(reloaded["activeKid"], old_kid.as_str());
    assert_eq!(reloaded["nextKid"], new_kid.as_str());

    let http = http_client();
    let base = running.base.clone();
    let token_kid = |token: &str| jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
    let token = || async {
        let response = http
            .post(format!("{base}/auth/oauth/token"))
            .basic_auth(SCHEDULER, Some(SCHEDULER_SECRET))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    };
    assert_eq!(token_kid(&token().await), old_kid);

    let (code, _, _) = keys(&fixture, &["rotate", "--now"]);
    assert_eq!(code, Some(0));
    let activated = running.wait_for("key_activated");
    assert_eq!(activated["kid"], new_kid.as_str());
    assert_eq!(activated["previousKid"], old_kid.as_str());
    assert_eq!(token_kid(&token().await), new_kid);

    let (code, _, _) = keys(&fixture, &["retire", &old_kid, "--now"]);
    assert_eq!(code, Some(0));
    let retired = running.wait_for("key_retired");
    assert_eq!(retired["kid"], old_kid.as_str());
    let jwks: serde_json::Value = http
        .get(format!("{}/.well-known/jwks.json", running.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(jwks["keys"][0]["kid"], new_kid.as_str());
    let (status, lines, stderr) = running.terminate();
    assert_eq!(status, Some(0), "{stderr}");
    assert!(
        !lines.iter().any(|line| line.contains("keys_reload_failed")),
        "{lines:?}"
    );
}

#[test]
fn a_private_key_group_or_others_may_read_is_refused_at_start_up() {
    let fixture = Fixture::new();
    let private = fixture.keys_dir.join("private.pem");
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o640)).unwrap();
    for args in [&[][..], &["check"][..]] {
        let mut command = command(&fixture);
        command.args(args);
        let output = run_to_end(command);
        assert_eq!(output.status.code(), Some(1));
        assert_eq!(
            stderr_line(&output),
            format!(
                "irsforge-auth: {}: mode 0640 lets group or others read the private key; run `chmod 600 {}`",
                private.display(),
                private.display()
            )
        );
    }
}

#[test]
fn links_planted_at_key_paths_are_replaced_not_written_through() {
    let fixture = Fixture::new();
    std::fs::remove_dir_all(&fixture.keys_dir).unwrap();
    std::fs::create_dir(&fixture.keys_dir).unwrap();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("stolen.pem");
    let precious = outside.path().join("precious.txt");
    std::fs::write(&precious, "precious").unwrap();
    std::os::unix::fs::symlink(&victim, fixture.keys_dir.join("private.pem")).unwrap();
    std::os::unix::fs::symlink(&precious, fixture.keys_dir.join("kid.txt")).unwrap();
    let running = Running::start(command(&fixture));
    let (status, lines, stderr) = running.terminate();
    assert_eq!(status, Some(0), "{stderr}");
    assert!(lines.iter().any(|line| line.contains("keys_created")));
    assert!(
        !victim.exists(),
        "the private key was written through the link"
    );
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "precious");
    for name in ["private.pem", "kid.txt"] {
        let path = fixture.keys_dir.join(name);
        assert!(!path.symlink_metadata().unwrap().is_symlink(), "{name}");
    }
    auth::keys::load_existing(&fixture.keys_dir).unwrap();
}
