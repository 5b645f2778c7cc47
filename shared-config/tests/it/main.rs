//! Integration tests of `shared-config`: the loader as a binary sees it, through `load_str`
//! and `load` only.

mod env_overrides;
mod invalid;
mod robustness;
mod support;
mod valid;
