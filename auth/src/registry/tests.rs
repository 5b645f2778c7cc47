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
    assert!(problems[0].starts_with("accounts.0.clientSecretHash: not a bcrypt hash"));
    assert!(problems[1].starts_with("accounts.1.clientSecretHashes.0: not a bcrypt hash"));
}

#[test]
fn the_platforms_format_loads_unchanged_with_hashes_of_every_bcrypt_variant() {
    // The operations page's file: `accounts:` with one `clientSecretHash` each, as the
    // platform's Node one-liner writes them (`$2b$10$`), and the `$2a$`/`$2y$` spellings other
    // tools produce for the same algorithm.
    let hash_b = hash("my-scheduler-secret");
    let text = format!(
        "accounts:\n  - id: scheduler\n    clientSecretHash: \"{hash_b}\"\n  - id: mark-publisher\n    clientSecretHash: \"{}\"\n  - id: legacy\n    clientSecretHash: \"{}\"\n",
        hash_b.replacen("$2b$", "$2a$", 1),
        hash_b.replacen("$2b$", "$2y$", 1),
    );
    let registry = Registry::from_yaml(&text, &path()).unwrap();
    assert_eq!(registry.len(), 3);
    for id in ["scheduler", "mark-publisher", "legacy"] {
        assert!(registry.verify(id, b"my-scheduler-secret"), "{id}");
        assert!(!registry.verify(id, b"my-mark-secret"), "{id}");
    }
}

#[test]
fn a_hash_made_by_the_node_bcrypt_one_liner_verifies() {
    // Printed by the operations page's one-liner, run once with Node's bcrypt 6.0.0:
    // `node -e 'require("bcrypt").hash(process.argv[1], 10).then(console.log)' "my-mark-secret"`.
    let text = "accounts:\n  - id: mark-publisher\n    clientSecretHash: \"$2b$10$0zvfcUgdeqy3XdaC2rBCeOk8/v2D2HhO2.Oz0MvNR1bULWBkLDVpi\"\n";
    let registry = Registry::from_yaml(text, &path()).unwrap();
    assert!(registry.verify("mark-publisher", b"my-mark-secret"));
    assert!(!registry.verify("mark-publisher", b"my-mark-secreT"));
}

#[test]
fn problems_name_their_path() {
    let good = hash("a");
    let cases = [
        (
            "accounts: []".to_owned(),
            "accounts: must list at least 1 item, got 0",
        ),
        ("{}".to_owned(), "accounts: required"),
        (
            "".to_owned(),
            "<document>: the file is empty; expected `accounts:`",
        ),
        (
            "- a".to_owned(),
            "<document>: expected a mapping, got a list",
        ),
        (
            format!("accounts:\n  - id: a\n    clientSecretHsh: \"{good}\"\n"),
            "accounts.0.clientSecretHsh: unknown key `clientSecretHsh`; did you mean `clientSecretHash`?",
        ),
        (
            "acounts: []\n".to_owned(),
            "acounts: unknown key `acounts`; did you mean `accounts`?",
        ),
        (
            format!("serviceAccounts:\n  - id: a\n    clientSecretHash: \"{good}\"\n"),
            "serviceAccounts: this file lists its accounts under `accounts:`",
        ),
        (
            "accounts:\n  - id: a\n".to_owned(),
            "accounts.0: needs clientSecretHash",
        ),
        (
            "accounts:\n  - id: a\n    clientSecretHashes: []\n".to_owned(),
            "accounts.0: needs clientSecretHash",
        ),
        (
            format!("accounts:\n  - id: ''\n    clientSecretHash: \"{good}\"\n"),
            "accounts.0.id: must not be empty",
        ),
        (
            format!("accounts:\n  - id: \n    clientSecretHash: \"{good}\"\n"),
            "accounts.0.id: expected a string, got null",
        ),
        (
            format!(
                "accounts:\n  - id: a\n    clientSecretHash: \"{good}\"\n  - id: a\n    clientSecretHash: \"{good}\"\n"
            ),
            "accounts.1.id: duplicate id \"a\"",
        ),
        (
            "accounts: [\n".to_owned(),
            "auth/service-accounts.yaml:2:1: ",
        ),
    ];
    for (text, expected) in cases {
        let problems = problems(&text);
        assert!(
            problems.iter().any(|p| p.starts_with(expected)),
            "{text}\n{problems:?}"
        );
    }
}

#[test]
fn unknown_keys_that_are_not_typos_are_ignored_and_reported() {
    let good = hash("a");
    let text = format!(
        "owner: platform-team\naccounts:\n  - id: a\n    clientSecretHash: \"{good}\"\n    comment: rotated 2026-11\n"
    );
    let registry = Registry::from_yaml(&text, &path()).unwrap();
    assert_eq!(registry.ignored_keys(), ["owner", "accounts.0.comment"]);
}

#[test]
fn several_hashes_all_verify() {
    let text = format!(
        "accounts:\n  - id: scheduler\n    clientSecretHash: \"{}\"\n    clientSecretHashes: [\"{}\"]\n",
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

fn hash_at(secret: &str, cost: u32) -> String {
    hash_secret(secret.as_bytes(), cost).unwrap().to_string()
}

/// The costs an attempt for `id` verifies when it fails, in the order verified.
fn failure_costs(registry: &Registry, id: &str) -> Vec<u32> {
    registry.checks(id).into_iter().map(Check::cost).collect()
}

fn sorted_highest_first(mut costs: Vec<u32>) -> Vec<u32> {
    costs.sort_unstable_by(|a, b| b.cmp(a));
    costs
}

#[test]
fn failures_cost_the_same_number_of_verifications_for_known_and_unknown_ids() {
    let text = format!(
        "accounts:\n  - id: a\n    clientSecretHash: \"{}\"\n  - id: b\n    clientSecretHashes: [\"{}\", \"{}\"]\n",
        hash("1"),
        hash("2"),
        hash("3")
    );
    let registry = Registry::from_yaml(&text, &path()).unwrap();
    // One cost: every failure pads to the account with the most hashes.
    assert_eq!(registry.failure_plan(), [4, 4]);
    for id in ["a", "b", "nobody"] {
        assert_eq!(failure_costs(&registry, id), [4, 4], "{id}");
    }
}

#[test]
fn failures_verify_the_same_costs_whatever_costs_the_registry_mixes() {
    // A cost being raised account by account: `old` still at 4, `new` at 5, `rotating` holding
    // one of each, `pair` two at 4.
    let text = format!(
        "accounts:\n  - id: old\n    clientSecretHash: \"{}\"\n  - id: new\n    clientSecretHash: \"{}\"\n  - id: rotating\n    clientSecretHashes: [\"{}\", \"{}\"]\n  - id: pair\n    clientSecretHashes: [\"{}\", \"{}\"]\n",
        hash_at("old", 4),
        hash_at("new", 5),
        hash_at("rotating-new", 5),
        hash_at("rotating-old", 4),
        hash_at("pair-1", 4),
        hash_at("pair-2", 4),
    );
    let registry = Registry::from_yaml(&text, &path()).unwrap();
    // Each cost as often as the account with the most hashes of it has: one at 5, two at 4.
    assert_eq!(registry.failure_plan(), [5, 4, 4]);
    assert_eq!(registry.verifications_per_failure(), 3);
    for id in ["old", "new", "rotating", "pair", "unknown", ""] {
        assert_eq!(
            sorted_highest_first(failure_costs(&registry, id)),
            [5, 4, 4],
            "{id}"
        );
    }
    // The account's own hashes come first, in file order, so a success stops early; the
    // dummies fill in the rest of the plan.
    assert_eq!(failure_costs(&registry, "old"), [4, 5, 4]);
    assert_eq!(failure_costs(&registry, "new"), [5, 4, 4]);
    assert_eq!(failure_costs(&registry, "rotating"), [5, 4, 4]);
    assert_eq!(failure_costs(&registry, "unknown"), [5, 4, 4]);
    for id in ["old", "new", "rotating", "pair"] {
        let checks = registry.checks(id);
        let own = checks
            .iter()
            .filter(|check| matches!(check, Check::Account(_)))
            .count();
        assert_eq!(own, registry.accounts[id].len(), "{id}");
    }
    assert!(
        registry
            .checks("unknown")
            .iter()
            .all(|check| matches!(check, Check::Dummy(_)))
    );
    // Every secret still verifies for its own account only.
    for (id, secret) in [
        ("old", "old"),
        ("new", "new"),
        ("rotating", "rotating-new"),
        ("rotating", "rotating-old"),
        ("pair", "pair-2"),
    ] {
        assert!(registry.verify(id, secret.as_bytes()), "{id}");
        assert!(!registry.verify("unknown", secret.as_bytes()), "{id}");
    }
    assert!(!registry.verify("old", b"new"));
}

#[test]
fn the_plan_is_the_smallest_every_account_fits_into() {
    let text = format!(
        "accounts:\n  - id: a\n    clientSecretHash: \"{}\"\n  - id: b\n    clientSecretHashes: [\"{}\", \"{}\"]\n",
        hash_at("a", 5),
        hash_at("b1", 4),
        hash_at("b2", 4),
    );
    let registry = Registry::from_yaml(&text, &path()).unwrap();
    assert_eq!(registry.failure_plan(), [5, 4, 4]);
    assert_eq!(failure_costs(&registry, "a"), [5, 4, 4]);
    assert_eq!(failure_costs(&registry, "b"), [4, 4, 5]);
    // The dummies are hashes of the plan's costs that nothing matches.
    assert_eq!(registry.dummies.keys().copied().collect::<Vec<_>>(), [4, 5]);
    for (cost, dummy) in &registry.dummies {
        assert_eq!(dummy.cost(), *cost);
    }
}

fn config(ids: &[&str]) -> Config {
    let text = include_str!("../../../examples/irsforge.builtin.yaml");
    let mut config = shared_config::load_str(text, "irsforge.yaml", &MapEnv::default()).unwrap();
    let template = config.auth.service_accounts[0].clone();
    config.auth.service_accounts = ids
        .iter()
        .map(|id| shared_config::ServiceAccount {
            id: (*id).to_owned(),
            ..template.clone()
        })
        .collect();
    config
}

#[test]
fn cross_check_names_the_id_and_both_files_in_both_directions() {
    let text = format!(
        "accounts:\n  - id: mark-publisher\n    clientSecretHash: \"{h}\"\n  - id: stray\n    clientSecretHash: \"{h}\"\n",
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
        "accounts:\n  - id: mark-publisher\n    clientSecretHash: \"{h}\"\n  - id: scheduler\n    clientSecretHash: \"{h}\"\n",
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
    text.push_str("accounts: *l8\n");
    let problems = problems(&text);
    assert!(
        problems[0].contains("too many alias expansions"),
        "{problems:?}"
    );
}

#[test]
fn debug_output_never_shows_hashes() {
    let secret_hash = hash("x");
    let text = format!("accounts:\n  - id: a\n    clientSecretHash: \"{secret_hash}\"\n");
    let registry = Registry::from_yaml(&text, &path()).unwrap();
    assert!(!format!("{registry:?}").contains(&secret_hash[7..]));
}

#[test]
fn a_hash_of_the_wrong_yaml_type_is_not_quoted_in_the_error() {
    let good = hash("a");
    let text = format!("accounts:\n  - id: a\n    clientSecretHashes: \"{good}\"\n");
    let problems = problems(&text);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        problems[0],
        "accounts.0.clientSecretHashes: expected a list, got a string"
    );
    assert!(
        !problems[0].contains(&good),
        "the hash leaked: {problems:?}"
    );
}

#[test]
fn changed_accounts_are_those_whose_hashes_differ_or_that_are_gone() {
    let (a, b, c) = (hash("a"), hash("b"), hash("c"));
    let load = |text: String| Registry::from_yaml(&text, &path()).unwrap();
    let before = load(format!(
        "accounts:\n  - id: same\n    clientSecretHash: \"{a}\"\n  - id: rotated\n    clientSecretHash: \"{b}\"\n  - id: gone\n    clientSecretHash: \"{c}\"\n"
    ));
    let after = load(format!(
        "accounts:\n  - id: same\n    clientSecretHash: \"{a}\"\n  - id: rotated\n    clientSecretHashes: [\"{b}\", \"{c}\"]\n  - id: new\n    clientSecretHash: \"{c}\"\n"
    ));
    assert_eq!(before.changed_accounts(&after), ["gone", "rotated"]);
    assert!(before.changed_accounts(&before).is_empty());
    assert_eq!(
        before.matching_hash("rotated", b"b"),
        before.hashes("rotated").first()
    );
    assert_eq!(
        after.matching_hash("rotated", b"c"),
        after.hashes("rotated").get(1)
    );
    assert_eq!(after.matching_hash("rotated", b"a"), None);
    assert!(after.hashes("unknown").is_empty());
}
