//! [`Issue`], [`Issues`] and [`YamlPath`], the vocabulary of validation.

use std::fmt;

/// One problem in the configuration, located by its YAML path, e.g.
/// `auth.serviceAccounts.0.actAs.1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Where: the dotted YAML path, list positions as numbers (`orgs.1.subdomain`), map keys as
    /// written (`floatingRateIndices.USD-SOFR.floor`); `<document>` for the document itself.
    pub path: String,
    /// What is wrong, phrased so the operator knows what to change.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem found in one load, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Issues(Vec<Issue>);

impl Issues {
    /// Records a problem at `path`.
    pub fn push(&mut self, path: impl fmt::Display, message: impl Into<String>) {
        self.0.push(Issue {
            path: path.to_string(),
            message: message.into(),
        });
    }

    /// No problems were found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many problems were found.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The problems, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Issue> {
        self.0.iter()
    }

    /// One `path: message` line per problem, as the binaries print them.
    pub fn lines(&self) -> Vec<String> {
        self.0.iter().map(Issue::to_string).collect()
    }

    /// Notes on each issue whose path an environment variable set that the value came from the
    /// environment, so the operator does not search the file for it.
    pub(crate) fn annotate_overrides(mut self, overrides: &[(String, &'static str)]) -> Self {
        for issue in &mut self.0 {
            let set_by = overrides.iter().find(|(path, _)| {
                issue.path == *path || issue.path.starts_with(&format!("{path}."))
            });
            if let Some((_, var)) = set_by {
                issue.message.push_str(&format!(" (value from {var})"));
            }
        }
        self
    }
}

impl fmt::Display for Issues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, issue) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "  {issue}")?;
        }
        Ok(())
    }
}

/// A YAML path in the platform's notation: keys joined by `.`, list positions as numbers
/// (`orgs.1.subdomain`). Operators moving from the platform's own validator see the same paths
/// they already know.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YamlPath(String);

impl YamlPath {
    /// The document itself (the empty path).
    pub fn document() -> Self {
        Self::default()
    }

    /// The path of a top-level key.
    pub fn root(key: &str) -> Self {
        Self(key.to_owned())
    }

    /// A key under this path.
    pub fn key(&self, key: &str) -> Self {
        if self.0.is_empty() {
            Self(key.to_owned())
        } else {
            Self(format!("{}.{key}", self.0))
        }
    }

    /// A list element by position.
    pub fn index(&self, index: usize) -> Self {
        self.key(&index.to_string())
    }
}

impl fmt::Display for YamlPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("<document>")
        } else {
            f.write_str(&self.0)
        }
    }
}
