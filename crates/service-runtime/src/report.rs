//! An error and its causes on one line, each cause printed once.
//!
//! Error variants keep their cause as `#[source]` and do not repeat it in their own message;
//! whoever prints the error walks the chain. Binaries print `<binary>: <reason>` with
//! [`exit_failure`]; libraries log `error = %Chain(&error)` so the cause reaches the log line.

use std::error::Error;
use std::fmt;
use std::process::ExitCode;

/// Displays an error followed by each of its causes, `: `-separated
/// (`cannot read x: No such file or directory (os error 2)`), as anyhow's `{:#}` does.
#[derive(Clone, Copy)]
pub struct Chain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(next) = cause {
            write!(f, ": {next}")?;
            cause = next.source();
        }
        Ok(())
    }
}

impl fmt::Debug for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Prints `<binary>: <error and its causes>` on stderr and returns the failure exit code: the
/// start-up failure line every binary shares.
pub fn exit_failure(binary: &str, error: &(dyn Error + 'static)) -> ExitCode {
    eprintln!("{binary}: {}", Chain(error));
    ExitCode::FAILURE
}

/// Logs each key of a configuration file that its schema does not know and that was therefore
/// ignored (`unknown_key_ignored`, with `file` and `path`), so a misplaced key does not go
/// unseen. Both `irsforge.yaml` and the auth service's `service-accounts.yaml` report theirs.
pub fn log_ignored_keys(file: &std::path::Path, paths: &[String]) {
    for path in paths {
        tracing::warn!(
            event = "unknown_key_ignored",
            file = %file.display(),
            path = %path,
            "a key the file's schema does not know is ignored"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read {path}")]
    struct ReadFailed {
        path: &'static str,
        #[source]
        source: std::io::Error,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("service account `{0}`")]
    struct AccountFailed(&'static str, #[source] ReadFailed);

    #[test]
    fn every_cause_appears_once_in_order() {
        let error = AccountFailed(
            "scheduler",
            ReadFailed {
                path: "secret.txt",
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            },
        );
        let line = Chain(&error).to_string();
        assert_eq!(
            line,
            "service account `scheduler`: cannot read secret.txt: no such file"
        );
        assert_eq!(line.matches("no such file").count(), 1);
    }

    #[test]
    fn an_error_without_a_source_is_its_message() {
        let error = std::io::Error::other("refused");
        assert_eq!(Chain(&error).to_string(), "refused");
    }
}
