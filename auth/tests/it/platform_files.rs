//! The platform's own files against the real binary: every example `irsforge.yaml` of the
//! repository passes `irsforge-auth check`, and a `service-accounts.yaml` written exactly as the
//! operations page shows it, with hashes from its Node one-liner, boots the service and
//! authenticates.

use std::path::{Path, PathBuf};

use shared_config::{AuthProvider, MapEnv};

use crate::binary::{Running, command, run_to_end};
use crate::support::{Fixture, hash, http_client};

/// Every `examples/irsforge*.yaml`.
fn example_configs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("irsforge") && name.ends_with(".yaml")
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_example_config_passes_check() {
    let files = example_configs();
    assert!(files.len() >= 3, "{files:?}");
    for path in files {
        let config = shared_config::load(&path, &MapEnv::default())
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        let fixture = Fixture::new();
        // A registry in the platform's format for exactly the declared accounts.
        let mut registry = String::from("accounts:\n");
        for account in &config.auth.service_accounts {
            registry.push_str(&format!(
                "  - id: {}\n    clientSecretHash: \"{}\"\n",
                account.id,
                hash(&format!("secret of {}", account.id))
            ));
        }
        fixture.write_registry(&registry);
        std::fs::copy(&path, &fixture.config_path).unwrap();
        let mut check = command(&fixture);
        check.arg("check");
        let output = run_to_end(check);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{}: {stdout}{}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let expected = match config.auth.provider() {
            AuthProvider::Demo => "ok: auth.provider is demo; the auth service is not needed",
            AuthProvider::Builtin | AuthProvider::Oidc => "ok: ",
        };
        assert!(stdout.starts_with(expected), "{}: {stdout}", path.display());
        assert!(!stdout.contains("warning:"), "{}: {stdout}", path.display());
    }
}

#[test]
fn check_warns_about_keys_neither_file_knows() {
    let fixture = Fixture::new();
    let config = std::fs::read_to_string(&fixture.config_path).unwrap();
    std::fs::write(
        &fixture.config_path,
        format!("{config}\ntelemetry:\n  endpoint: x\n"),
    )
    .unwrap();
    let registry = std::fs::read_to_string(&fixture.registry_path).unwrap();
    fixture.write_registry(&format!("{registry}owner: platform-team\n"));
    let mut check = command(&fixture);
    check.arg("check");
    let output = run_to_end(check);
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let warnings: Vec<&str> = stdout
        .lines()
        .filter(|line| line.starts_with("warning:"))
        .collect();
    assert_eq!(warnings.len(), 2, "{stdout}");
    assert!(
        warnings[0].ends_with("irsforge.yaml: unknown key `telemetry` ignored"),
        "{stdout}"
    );
    assert!(
        warnings[1].ends_with("service-accounts.yaml: unknown key `owner` ignored"),
        "{stdout}"
    );
}

/// Printed by the operations page's one-liner with Node's bcrypt 6.0.0:
/// `node -e 'require("bcrypt").hash(process.argv[1], 10).then(console.log)' "<secret>"`.
const NODE_HASH_OF_MY_SCHEDULER_SECRET: &str =
    "$2b$10$7JOvVPwkqMVdA8G4KrTrDuYHO9K9RSamc6VQk8QDYU36FNGQbuCn.";
const NODE_HASH_OF_MY_MARK_SECRET: &str =
    "$2b$10$0zvfcUgdeqy3XdaC2rBCeOk8/v2D2HhO2.Oz0MvNR1bULWBkLDVpi";

#[tokio::test]
async fn the_operations_pages_registry_boots_the_service() {
    // Verifying these cost-10 hashes is the registry's unit tests' job (bcrypt runs at idle
    // priority here, and a loaded test machine would make this test slow, not wrong); this
    // test is about the file booting the real binary unchanged.
    let fixture = Fixture::new();
    fixture.write_registry(&format!(
        "accounts:\n  - id: scheduler\n    clientSecretHash: \"{NODE_HASH_OF_MY_SCHEDULER_SECRET}\"\n  - id: mark-publisher\n    clientSecretHash: \"{NODE_HASH_OF_MY_MARK_SECRET}\"\n"
    ));
    let mut running = Running::start(command(&fixture));
    let loaded = running
        .seen
        .iter()
        .find(|line| line.contains("\"service_accounts_loaded\""))
        .cloned()
        .unwrap_or_else(|| running.wait_for("service_accounts_loaded").to_string());
    assert!(loaded.contains("\"accounts\":2"), "{loaded}");
    let health = http_client()
        .get(format!("{}/auth/health", running.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let (code, _, stderr) = running.terminate();
    assert_eq!(code, Some(0), "{stderr}");
}
