//! [`Secret`]: a string that never appears in `Debug` output or logs.

use std::fmt;

/// A secret value from the configuration (`daml.unsafeJwtSecret`, `auth.oidc.clientSecret`).
///
/// It has no `Display` impl, so it cannot be formatted into a log line by accident, and its
/// `Debug` prints a fixed placeholder. Read it with [`Secret::expose`] at the one place that
/// needs the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself. Keep the result out of logs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}
