use std::collections::HashMap;

use clap::{CommandFactory, Subcommand};

use super::*;

#[derive(Debug, Parser)]
struct Cli {
    #[arg(long, env = "TEST_PORT", default_value_t = 80)]
    port: u16,
    #[arg(long, env = "TEST_NAME")]
    name: Option<String>,
    #[command(flatten)]
    extra: Extra,
    #[command(subcommand)]
    command: Option<Sub>,
}

#[derive(Debug, clap::Args)]
struct Extra {
    #[arg(long, env = "TEST_FLATTENED")]
    flattened: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Sub {
    Hash {
        #[arg(long, env = "TEST_COST", default_value_t = 10)]
        cost: u32,
    },
}

fn env_of(command: &Command, id: &str) -> Option<OsString> {
    command
        .get_arguments()
        .find(|arg| arg.get_id() == id)
        .and_then(|arg| arg.get_env())
        .map(OsStr::to_owned)
}

#[test]
fn an_empty_value_is_not_present_and_anything_else_is() {
    assert_eq!(present(OsString::new()), None);
    assert_eq!(present(" ".into()), Some(OsString::from(" ")));
    assert_eq!(present("0".into()), Some(OsString::from("0")));
}

#[test]
fn empty_variables_are_unhooked_from_their_arguments_everywhere() {
    let environment: HashMap<&str, &str> = [
        ("TEST_PORT", ""),
        ("TEST_NAME", "kept"),
        ("TEST_FLATTENED", ""),
        ("TEST_COST", ""),
    ]
    .into();
    let lookup = |name: &OsStr| {
        environment
            .get(name.to_str().unwrap())
            .map(|value| OsString::from(*value))
    };
    let command = without_empty_env(Cli::command(), &lookup);
    assert_eq!(env_of(&command, "port"), None);
    assert_eq!(env_of(&command, "flattened"), None);
    assert_eq!(env_of(&command, "name"), Some("TEST_NAME".into()));
    let hash = command.find_subcommand("hash").unwrap();
    assert_eq!(env_of(hash, "cost"), None);
    // An unset variable keeps its hook: clap reads it if it appears.
    let untouched = without_empty_env(Cli::command(), &|_| None);
    assert_eq!(env_of(&untouched, "port"), Some("TEST_PORT".into()));
}

#[test]
fn try_parse_from_parses_flags_and_subcommands() {
    let cli: Cli = try_parse_from(["test", "--port", "8080", "hash", "--cost", "4"]).unwrap();
    assert_eq!(cli.port, 8080);
    assert!(matches!(cli.command, Some(Sub::Hash { cost: 4 })));
    let error = try_parse_from::<Cli, _, _>(["test", "--port", "eighty"]).unwrap_err();
    assert!(error.to_string().contains("--port"), "{error}");
}
