//! Hostile and broken input: syntax errors with positions, YAML bombs, and arbitrary text that
//! must never panic the loader.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use shared_config::{ConfigError, MapEnv, load_str};

use crate::support::{BUILTIN, load};

fn syntax_error(text: &str) -> (Option<(usize, usize)>, String) {
    match load(text) {
        Err(ConfigError::Syntax {
            location, message, ..
        }) => (location, message),
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn syntax_errors_carry_line_and_column() {
    let text = "profile: demo\nauth:\n  provider: [builtin\nplatform: {}\n";
    let (location, message) = syntax_error(text);
    assert_eq!(location, Some((4, 9)));
    assert!(
        message.starts_with("did not find expected ',' or ']'"),
        "{message}"
    );
    let error = load(text).unwrap_err().to_string();
    assert!(
        error.starts_with("irsforge.yaml:4:9: did not find expected"),
        "{error}"
    );
}

#[test]
fn tabs_used_for_indentation_are_a_positioned_syntax_error() {
    let (location, _) = syntax_error("auth:\n\tprovider: demo\n");
    assert_eq!(location.map(|(line, _)| line), Some(2));
}

#[test]
fn duplicate_keys_are_refused() {
    let (_, message) = syntax_error("profile: demo\nprofile: production\n");
    assert!(
        message.contains("duplicate entry with key \"profile\""),
        "{message}"
    );
}

#[test]
fn empty_and_non_mapping_documents_are_refused_clearly() {
    assert_eq!(
        syntax_error("").1,
        "the file is empty; expected a mapping of sections such as `auth:` and `platform:`"
    );
    assert_eq!(
        syntax_error("- a\n- b\n").1,
        "the document is a list; expected a mapping of sections such as `auth:` and `platform:`"
    );
    assert!(
        syntax_error("a: 1\n---\nb: 2\n")
            .1
            .contains("more than one document")
    );
}

#[test]
fn alias_bomb_is_refused_within_a_second() {
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
    let start = Instant::now();
    let (_, message) = syntax_error(&text);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(
        message,
        "too many alias expansions (a YAML alias bomb?); refusing the document"
    );
}

#[test]
fn deeply_nested_documents_are_refused_within_a_second() {
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
        let start = Instant::now();
        let (location, message) = syntax_error(&text);
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "took {:?}",
            start.elapsed()
        );
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
    #![proptest_config(ProptestConfig::with_cases(512))]

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
    fn mutated_real_files_never_panic(cut in 0..BUILTIN.len(), insert in "[ a-z:\\-\\[\\]{}\n0-9]{0,12}") {
        let mut text = BUILTIN.to_owned();
        let cut = (0..=cut).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        text.insert_str(cut, &insert);
        let _ = load_str(&text, "fuzz.yaml", &MapEnv::default());
    }
}
