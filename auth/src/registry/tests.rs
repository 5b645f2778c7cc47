use std::path::PathBuf;

use shared_config::MapEnv;

use super::*;
use crate::secret_hash::hash_secret;

fn path() -> PathBuf {
    PathBuf::from("auth/service-accounts.yaml")
}

fn problems(text: &str) -> Vec<String> {
    match Registry::from_yaml(text, &path()) {
        Err(AuthError::RegistryInvalid { problems, .. }) => problems,
        other => panic!("expected RegistryInvalid, got {other:?}"),
    }
}

fn hash(secret: &str) -> String {
    hash_secret(secret.as_bytes(), 4).unwrap().to_string()
}

#[test]
fn the_example_file_is_refused_for_its_placeholders() {
    let text = include_str!("../../../examples/service-accounts.example.yaml");
    let problems = problems(text);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].starts_with("serviceAccounts[id=mark-publisher].clientSecretHash: "));
    assert!(problems[1].starts_with("serviceAccounts[id=scheduler].clientSecretHashes[0]: "));
}

#[test]
fn structural_problems_name_their_path() {
    let good = hash("a");
    let cases = [
        ("serviceAccounts: []".to_owned(), "at least one account"),
        ("{}".to_owned(), "missing field `serviceAccounts`"),
        (
            format!("serviceAccounts:\n  - id: a\n    clientSecretHsh: \"{good}\"\n"),
            "serviceAccounts[0]: unknown field `clientSecretHsh`",
        ),
        (
            "serviceAcounts: []\n".to_owned(),
            "unknown field `serviceAcounts`",
        ),
        (
            "serviceAccounts:\n  - id: a\n".to_owned(),
            "serviceAccounts[id=a]: needs clientSecretHash",
        ),
        (
            "serviceAccounts:\n  - id: a\n    clientSecretHashes: []\n".to_owned(),
            "needs clientSecretHash",
        ),
        (
            format!("serviceAccounts:\n  - id: ''\n    clientSecretHash: \"{good}\"\n"),
            "serviceAccounts[0].id: must not be empty",
        ),
        (
            format!(
                "serviceAccounts:\n  - id: a\n    clientSecretHash: \"{good}\"\n  - id: a\n    clientSecretHash: \"{good}\"\n"
            ),
            "serviceAccounts[id=a]: duplicate id",
        ),
        ("serviceAccounts: [\n".to_owned(), "line"),
    ];
    for (text, expected) in cases {
        let problems = problems(&text);
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{text}\n{problems:?}"
        );
    }
}

#[test]
fn several_hashes_all_verify() {
    let text = format!(
        "serviceAccounts:\n  - id: scheduler\n    clientSecretHash: \"{}\"\n    clientSecretHashes: [\"{}\"]\n",
        hash("old"),
        hash("new")
    );
    let registry = Registry::from_yaml(&text, &path()).unwrap();
    assert!(registry.verify("scheduler", b"old"));
    assert!(registry.verify("scheduler", b"new"));
    assert!(!registry.verify("scheduler", b"other"));
    assert!(!registry.verify("nobody", b"old"));
    assert_eq!(registry.verifications_per_failure(), 2);
}

#[test]
fn failures_cost_the_same_number_of_verifications_for_known_and_unknown_ids() {
    let text = format!(
        "serviceAccounts:\n  - id: a\n    clientSecretHash: \"{}\"\n  - id: b\n    clientSecretHashes: [\"{}\", \"{}\"]\n",
        hash("1"),
        hash("2"),
        hash("3")
    );
    let registry = Registry::from_yaml(&text, &path()).unwrap();
    // Every failure pads to the account with the most hashes, with a dummy of the top cost.
    assert_eq!(registry.verifications_per_failure(), 2);
    assert_eq!(registry.dummy.cost(), 4);
}

fn config(ids: &[&str]) -> Config {
    let party = "Operator::12203696af4d665a232458e655f075562034125fc5f34c32555f11e6627ba11fd032";
    let mut text = include_str!("../../../examples/irsforge.builtin.yaml").to_owned();
    let start = text.find("  serviceAccounts:").unwrap();
    let end = text.find("\nplatform:").unwrap();
    let mut accounts = String::from("  serviceAccounts:\n");
    for id in ids {
        accounts.push_str(&format!("    - id: {id}\n      actAs: [\"{party}\"]\n"));
    }
    text.replace_range(start..end, &accounts);
    shared_config::load_str(&text, "irsforge.yaml", &MapEnv::default()).unwrap()
}

#[test]
fn cross_check_names_the_id_and_both_files_in_both_directions() {
    let text = format!(
        "serviceAccounts:\n  - id: mark-publisher\n    clientSecretHash: \"{h}\"\n  - id: stray\n    clientSecretHash: \"{h}\"\n",
        h = hash("x")
    );
    let registry = Registry::from_yaml(&text, &path()).unwrap();
    let config = config(&["mark-publisher", "scheduler"]);
    let Err(AuthError::RegistryMismatch { problems }) =
        registry.cross_check(&config, Path::new("conf/irsforge.yaml"), &path())
    else {
        panic!("expected a mismatch");
    };
    assert_eq!(problems, vec![
        "service account `scheduler` is declared in conf/irsforge.yaml (auth.serviceAccounts) but has no entry in auth/service-accounts.yaml".to_owned(),
        "service account `stray` has an entry in auth/service-accounts.yaml but is not declared in conf/irsforge.yaml (auth.serviceAccounts)".to_owned(),
    ]);
}

#[test]
fn matching_files_pass_the_cross_check() {
    let text = format!(
        "serviceAccounts:\n  - id: mark-publisher\n    clientSecretHash: \"{h}\"\n  - id: scheduler\n    clientSecretHash: \"{h}\"\n",
        h = hash("x")
    );
    let registry = Registry::from_yaml(&text, &path()).unwrap();
    registry
        .cross_check(
            &config(&["mark-publisher", "scheduler"]),
            Path::new("irsforge.yaml"),
            &path(),
        )
        .unwrap();
}

#[test]
fn a_yaml_bomb_is_refused_quickly() {
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for level in 0..9 {
        let previous = if level == 0 {
            "a".to_owned()
        } else {
            format!("l{}", level - 1)
        };
        text.push_str(&format!("l{level}: &l{level} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"));
    }
    text.push_str("serviceAccounts: *l8\n");
    assert!(Registry::from_yaml(&text, &path()).is_err());
}

#[test]
fn debug_output_never_shows_hashes() {
    let secret_hash = hash("x");
    let text = format!("serviceAccounts:\n  - id: a\n    clientSecretHash: \"{secret_hash}\"\n");
    let registry = Registry::from_yaml(&text, &path()).unwrap();
    assert!(!format!("{registry:?}").contains(&secret_hash[7..]));
}

#[test]
fn a_hash_of_the_wrong_yaml_type_is_not_quoted_in_the_error() {
    let good = hash("a");
    let text = format!("serviceAccounts:\n  - id: a\n    clientSecretHashes: \"{good}\"\n");
    let problems = problems(&text);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with(
            "serviceAccounts[0].clientSecretHashes: invalid type: string, expected a sequence"
        ),
        "{problems:?}"
    );
    assert!(
        !problems[0].contains(&good),
        "the hash leaked: {problems:?}"
    );
}
