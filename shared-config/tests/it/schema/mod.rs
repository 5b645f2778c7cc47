//! One test per rule of the platform's schema, accepted and refused: each names the rule, patches
//! a valid document (the minimal one, or the platform's own file) and states the exact
//! `path: message` lines the loader must print, or that the document must load.

mod auth;
mod cross_field;
mod market;
mod parsing;
mod platform;
mod sections;

use shared_config::Config;

use crate::support::{Patch, load_with_env, patched, problems_with_env};

/// Defines one `#[test]` per rule. `name: base, [patches] => [expected lines];` with an empty
/// list of lines meaning the document loads; `env [(var, value)]` after the patches sets
/// variables.
macro_rules! rules {
    ($($(#[$meta:meta])* $name:ident: $base:expr, [$($patch:expr),* $(,)?] $(env [$($var:expr),* $(,)?])? => [$($line:expr),* $(,)?];)*) => {
        $(
            $(#[$meta])*
            #[test]
            fn $name() {
                crate::schema::check($base, &[$($patch),*], &[$($($var),*)?], &[$($line),*]);
            }
        )*
    };
}
pub(crate) use rules;

/// Loads `base` with `patches` applied and the variables `env` set: it must load when
/// `expected` is empty, else be refused with exactly the lines `expected`.
pub(crate) fn check(base: &str, patches: &[Patch<'_>], env: &[(&str, &str)], expected: &[&str]) {
    let text = patched(base, patches);
    if expected.is_empty() {
        if let Err(error) = load_with_env(&text, env) {
            panic!("expected the document to load, got:\n{error}\n---\n{text}");
        }
    } else {
        let lines = problems_with_env(&text, env);
        assert_eq!(lines, expected, "\n---\n{text}");
    }
}

/// Loads `base` with `patches` and returns the config (it must load).
pub(crate) fn loaded(base: &str, patches: &[Patch<'_>]) -> Config {
    let text = patched(base, patches);
    load_with_env(&text, &[]).unwrap_or_else(|error| panic!("{error}\n---\n{text}"))
}
