//! Integration tests of `shared-config`: the loader as a binary sees it, through `load_str`
//! and `load` only.

mod env_overrides;
mod examples;
mod refusals;
mod robustness;
mod schema;
mod support;
mod unknown_keys;
