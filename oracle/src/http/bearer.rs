//! [`BearerToken`]: a token on its way to an `Authorization` header, kept out of logs.

use std::fmt;
use std::sync::Arc;

/// A bearer token. Cheap to clone; its `Debug` never shows the value and it has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken(Arc<str>);

impl BearerToken {
    /// Wraps a token.
    pub fn new(token: impl Into<Arc<str>>) -> Self {
        Self(token.into())
    }

    /// The token itself, for an `Authorization` header. Keep it out of logs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BearerToken([redacted; {} bytes])", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_length_never_the_token() {
        let token = BearerToken::new("eyJhbGciOiJSUzI1NiJ9.secret-part.signature");
        let shown = format!("{token:?}");
        assert_eq!(shown, "BearerToken([redacted; 42 bytes])");
        assert!(!shown.contains("secret"));
        assert_eq!(token.expose(), "eyJhbGciOiJSUzI1NiJ9.secret-part.signature");
    }
}
