//! Hostile and broken input: YAML bombs, deep nesting, oversized files, and arbitrary text that
//! must never panic the loader. Each bomb is refused by a named limit (the error says which),
//! which is what keeps it fast; the benchmarks, not these tests, time it.

use proptest::prelude::*;
use shared_config::{ConfigError, MapEnv, load_str};

use crate::support::{BUILTIN, PLATFORM, load};

fn syntax_error(text: &str) -> (Option<(usize, usize)>, String) {
    match load(text) {
        Err(ConfigError::Syntax {
            location, message, ..
        }) => (location, message),
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn an_alias_bomb_is_refused_by_the_alias_expansion_limit() {
    let mut text = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (name, previous) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
    {
        let refs = vec![format!("*{previous}"); 9].join(",");
        text.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    let (_, message) = syntax_error(&text);
    assert_eq!(
        message,
        "too many alias expansions (a YAML alias bomb?); refusing the document"
    );
}

#[test]
fn deeply_nested_documents_are_refused_by_the_nesting_limits() {
    for (text, expected) in [
        (
            format!("a: {}", "[".repeat(1_000_000)),
            (
                (1, 68),
                "document nested too deeply (more than 64 levels of [ and {)",
            ),
        ),
        (
            format!("a:\n  b: {}", "{c: ".repeat(100_000)),
            (
                (2, 262),
                "document nested too deeply (more than 64 levels of [ and {)",
            ),
        ),
        (
            (0..1_000)
                .map(|depth| format!("{}k:\n", " ".repeat(depth)))
                .collect::<String>(),
            (
                (129, 129),
                "document nested too deeply (more than 128 levels)",
            ),
        ),
    ] {
        let (location, message) = syntax_error(&text);
        assert_eq!((location.unwrap(), message.as_str()), expected);
    }
}

#[test]
fn brackets_in_comments_do_not_count_towards_nesting() {
    let text = format!("# {}\n{}", "[".repeat(500), crate::support::BUILTIN);
    assert!(load(&text).is_ok());
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let text = format!("profile: demo\n#{}\n", "x".repeat(5 * 1024 * 1024));
    let error = load(&text).unwrap_err();
    assert!(matches!(error, ConfigError::TooLarge { .. }), "{error}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = load_str(&text, "fuzz.yaml", &MapEnv::default());
    }

    #[test]
    fn yaml_shaped_text_never_panics(text in "[a-zA-Z:\\-\\[\\]{}&*!|>'\" \n\t0-9#,.]{0,300}") {
        let _ = load_str(&text, "fuzz.yaml", &MapEnv::default());
    }

    /// Mutations of a real file reach deep into validation, where panics would hide.
    #[test]
    fn mutated_platform_files_never_panic(cut in 0..PLATFORM.len(), insert in "[ a-zA-Z:\\-\\[\\]{}~\n0-9]{0,12}") {
        let mut text = PLATFORM.to_owned();
        let cut = (0..=cut).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        text.insert_str(cut, &insert);
        let _ = load_str(&text, "fuzz.yaml", &MapEnv::default());
    }

    #[test]
    fn mutated_real_files_never_panic(cut in 0..BUILTIN.len(), insert in "[ a-z:\\-\\[\\]{}\n0-9]{0,12}") {
        let mut text = BUILTIN.to_owned();
        let cut = (0..=cut).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        text.insert_str(cut, &insert);
        let _ = load_str(&text, "fuzz.yaml", &MapEnv::default());
    }
}

#[test]
fn the_secret_values_never_reach_an_error_message() {
    // A secret of the wrong shape must not be quoted back, whichever check refuses it.
    for (key, value) in [
        ("unsafeJwtSecret", "[s3cr3t-value]"),
        ("unsafeJwtSecret", "{s3cr3t-value: 1}"),
    ] {
        let text = crate::support::patched(
            crate::support::MINIMAL,
            &[crate::support::Set(&format!("daml.{key}"), value)],
        );
        let error = load(&text).unwrap_err().to_string();
        assert!(!error.contains("s3cr3t"), "{error}");
    }
}
