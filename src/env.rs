//! [`LayeredEnv`]: variables the demo generates, over an optional fallback environment.

use std::sync::Arc;

use shared_config::{EnvSource, MapEnv};

/// An environment in which `overrides` win and everything else comes from `fallback` (the
/// process environment in the demo, nothing in tests).
#[derive(Clone)]
pub struct LayeredEnv {
    overrides: MapEnv,
    fallback: Option<Arc<dyn EnvSource>>,
}

impl LayeredEnv {
    /// The given variables over the fallback.
    pub fn new(overrides: MapEnv, fallback: Option<Arc<dyn EnvSource>>) -> Self {
        Self {
            overrides,
            fallback,
        }
    }
}

impl std::fmt::Debug for LayeredEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LayeredEnv")
            .field("overrides", &self.overrides)
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}

impl EnvSource for LayeredEnv {
    fn raw(&self, name: &str) -> Option<String> {
        self.overrides
            .raw(name)
            .or_else(|| self.fallback.as_ref().and_then(|env| env.raw(name)))
    }
}
