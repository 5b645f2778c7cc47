//! Template identifiers (`docs/ledger-json-api.md` §2.2).
//!
//! Three input forms are accepted: `<packageId>:<Module.Path>:<Entity>`,
//! `#<package-name>:<Module.Path>:<Entity>` (smart-contract-upgrade packages) and the package-less
//! `<Module.Path>:<Entity>` of Daml 2.0–2.8. Responses always use the package-id form.

use std::fmt;

/// Which package a template id names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PackageRef {
    /// A package id (64 hex digits on a real ledger).
    Id(String),
    /// `#name`: a package name.
    Name(String),
    /// No package given.
    Unspecified,
}

/// A parsed template identifier, not yet resolved against the ledger's packages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TemplateRef {
    /// The package part.
    pub(crate) package: PackageRef,
    /// Dotted module path, e.g. `IRSForge.Csa`.
    pub(crate) module: String,
    /// Entity name, e.g. `Csa`.
    pub(crate) entity: String,
}

impl TemplateRef {
    /// Parses any of the three accepted forms.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let invalid = |why: &str| {
            format!(
                "invalid template id `{}`: {why}; expected `<packageId>:<Module>:<Entity>`, \
                 `#<package-name>:<Module>:<Entity>` or `<Module>:<Entity>`",
                text.chars().take(200).collect::<String>()
            )
        };
        let parts: Vec<&str> = text.split(':').collect();
        let (package, module, entity) = match parts.as_slice() {
            [module, entity] => (PackageRef::Unspecified, *module, *entity),
            [package, module, entity] => {
                let package = match package.strip_prefix('#') {
                    Some(name) if !name.is_empty() => PackageRef::Name(name.to_owned()),
                    Some(_) => return Err(invalid("the package name after `#` is empty")),
                    None if package.is_empty() => return Err(invalid("the package id is empty")),
                    None => PackageRef::Id((*package).to_owned()),
                };
                (package, *module, *entity)
            }
            _ => return Err(invalid("it must contain one or two `:`")),
        };
        let is_name = |s: &str| {
            !s.is_empty()
                && s.split('.').all(|segment| {
                    segment.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                        && segment
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
        };
        if !is_name(module) {
            return Err(invalid("the module path is not a dotted Daml name"));
        }
        if !is_name(entity) || entity.contains('.') {
            return Err(invalid("the entity is not a Daml name"));
        }
        Ok(Self {
            package,
            module: module.to_owned(),
            entity: entity.to_owned(),
        })
    }
}

impl fmt::Display for TemplateRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.package {
            PackageRef::Id(id) => write!(f, "{id}:{}:{}", self.module, self.entity),
            PackageRef::Name(name) => write!(f, "#{name}:{}:{}", self.module, self.entity),
            PackageRef::Unspecified => write!(f, "{}:{}", self.module, self.entity),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms() {
        let full = TemplateRef::parse("abc123:IRSForge.Csa:Csa").unwrap();
        assert_eq!(full.package, PackageRef::Id("abc123".into()));
        assert_eq!(
            (full.module.as_str(), full.entity.as_str()),
            ("IRSForge.Csa", "Csa")
        );
        let named = TemplateRef::parse("#irsforge:IRSForge.Swap:Swap").unwrap();
        assert_eq!(named.package, PackageRef::Name("irsforge".into()));
        let bare = TemplateRef::parse("IRSForge.Csa:Csa").unwrap();
        assert_eq!(bare.package, PackageRef::Unspecified);
        assert_eq!(bare.to_string(), "IRSForge.Csa:Csa");
    }

    #[test]
    fn refuses_malformed_ids_with_a_reason() {
        for bad in [
            "Csa",
            "a:b:c:d",
            ":Mod:Ent",
            "#:Mod:Ent",
            "pkg::Ent",
            "pkg:Mod:",
            "pkg:Mod.:Ent",
            "pkg:1Mod:Ent",
            "pkg:Mod:En.t",
        ] {
            let error = TemplateRef::parse(bad).unwrap_err();
            assert!(error.starts_with("invalid template id"), "{bad}: {error}");
        }
    }
}
