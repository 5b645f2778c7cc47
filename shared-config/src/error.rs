//! [`ConfigError`]: why a configuration could not be loaded.

use crate::issues::Issues;

/// Why `irsforge.yaml` could not be loaded. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}")]
    Read {
        /// The path that was tried.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is implausibly large for a configuration file.
    #[error("{origin}: config file is {size} bytes; refusing files over {limit} bytes")]
    TooLarge {
        /// The file.
        origin: String,
        /// Its size in bytes.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The text is not valid YAML (or is a YAML bomb the parser refused).
    #[error("{origin}{}: {message}", location.map(|(line, column)| format!(":{line}:{column}")).unwrap_or_default())]
    Syntax {
        /// The file.
        origin: String,
        /// One-based line and column, when the parser knows them.
        location: Option<(usize, usize)>,
        /// The parser's message.
        message: String,
    },
    /// The YAML is well formed but breaks the schema; every problem is listed.
    #[error("{origin}: {} problem{}:\n{issues}", issues.len(), if issues.len() == 1 { "" } else { "s" })]
    Invalid {
        /// The file.
        origin: String,
        /// Every problem found, each with its YAML path.
        issues: Issues,
    },
}

impl ConfigError {
    /// The validation issues, when the error is [`ConfigError::Invalid`].
    pub fn issues(&self) -> Option<&Issues> {
        match self {
            Self::Invalid { issues, .. } => Some(issues),
            _ => None,
        }
    }
}
