//! [`Issue`], [`Issues`] and [`YamlPath`], the vocabulary of validation.

use std::fmt;

/// One problem in the configuration, located by its YAML path, e.g.
/// `auth.serviceAccounts[id=scheduler].actAs[0]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Where: a dotted YAML path, or an environment variable name.
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

    /// Notes on each issue whose path an environment variable overrode that the value came from
    /// the environment, so the operator does not search the file for it.
    pub(crate) fn annotate_overrides(mut self, overrides: &[(String, &'static str)]) -> Self {
        for issue in &mut self.0 {
            if let Some((_, var)) = overrides.iter().find(|(path, _)| {
                issue.path == *path
                    || issue.path.starts_with(&format!("{path}."))
                    || issue.path.starts_with(&format!("{path}["))
            }) {
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

/// Builds YAML paths such as `orgs[id=operator].ledgerUrl` without string fiddling at call sites.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YamlPath(String);

impl YamlPath {
    /// The path of a top-level section.
    pub fn root(section: &str) -> Self {
        Self(section.to_owned())
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
        Self(format!("{}[{index}]", self.0))
    }

    /// A list element named by its `id`, which operators find faster than a position.
    pub fn id(&self, id: &str) -> Self {
        Self(format!("{}[id={id}]", self.0))
    }

    /// A list element: by `id` when the element has one that no sibling shares, else by
    /// position. `ids` holds every element's id, in order. The loader, the overrides and the
    /// validator all name elements this way, so one problem always has one path.
    pub fn element(&self, index: usize, ids: &[Option<&str>]) -> Self {
        match ids.get(index).copied().flatten() {
            Some(id)
                if !id.is_empty()
                    && ids.iter().filter(|other| **other == Some(id)).count() == 1 =>
            {
                self.id(id)
            }
            _ => self.index(index),
        }
    }
}

impl fmt::Display for YamlPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
