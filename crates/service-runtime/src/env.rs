//! The process environment as every binary reads it: **a variable set to the empty string
//! counts as unset**. Service managers and Kubernetes manifests often render an unset value as
//! an empty one, and an empty port, path, format or secret is never what was meant.
//!
//! Everything goes through [`present`]: [`var`] for one variable, [`vars`] for a snapshot
//! (the binaries hand it to `shared_config::MapEnv`), and [`parse_command_line`] for clap,
//! which would otherwise read `AUTH_PORT=` as the value `""` of `--port` and refuse it.

use std::ffi::{OsStr, OsString};

use clap::{ArgMatches, Command, Parser};

/// The rule itself: a value is present unless it is empty.
pub fn present(value: OsString) -> Option<OsString> {
    (!value.is_empty()).then_some(value)
}

/// The variable's value; `None` when it is unset, empty, or not UTF-8.
pub fn var(name: &str) -> Option<String> {
    present(std::env::var_os(name)?)?.into_string().ok()
}

/// Every variable that is set to a non-empty UTF-8 value, with its name.
pub fn vars() -> impl Iterator<Item = (String, String)> {
    std::env::vars_os().filter_map(|(name, value)| {
        Some((
            name.into_string().ok()?,
            present(value)?.into_string().ok()?,
        ))
    })
}

/// Parses the command line like [`Parser::parse`], except that an argument's environment
/// variable set to the empty string is ignored, as if unset. On bad input clap prints its
/// usage error and exits with status 2, as with `parse`.
pub fn parse_command_line<C: Parser>() -> C {
    let mut command = without_empty_env(C::command(), &|name| std::env::var_os(name));
    let matches = command.get_matches_mut();
    C::from_arg_matches(&matches).unwrap_or_else(|error| error.format(&mut command).exit())
}

/// [`parse_command_line`] on the given arguments, returning clap's error instead of exiting.
pub fn try_parse_from<C, I, T>(args: I) -> Result<C, clap::Error>
where
    C: Parser,
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut command = without_empty_env(C::command(), &|name| std::env::var_os(name));
    let matches: ArgMatches = command.try_get_matches_from_mut(args)?;
    C::from_arg_matches(&matches).map_err(|error| error.format(&mut command))
}

/// `command` with the environment variable removed from every argument (of every
/// subcommand too) whose variable `lookup` finds set but empty, so clap falls back to the
/// argument's default.
pub fn without_empty_env(
    mut command: Command,
    lookup: &dyn Fn(&OsStr) -> Option<OsString>,
) -> Command {
    let empty: Vec<clap::Id> = command
        .get_arguments()
        .filter(|arg| {
            arg.get_env()
                .and_then(lookup)
                .is_some_and(|value| present(value).is_none())
        })
        .map(|arg| arg.get_id().clone())
        .collect();
    for id in empty {
        command = command.mut_arg(id, |arg| arg.env(None));
    }
    let subcommands: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect();
    for name in subcommands {
        command = command.mut_subcommand(name, |sub| without_empty_env(sub, lookup));
    }
    command
}

#[cfg(test)]
mod tests;
