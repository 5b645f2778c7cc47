//! Fixtures shared by the integration tests.

pub(crate) mod fake_auth;
pub(crate) mod fake_ledger;
pub(crate) mod fault_scenarios;
pub(crate) mod logs;
pub(crate) mod pg;
pub(crate) mod recording_proxy;
pub(crate) mod replica;
pub(crate) mod scripted;

use oracle::token::RefreshPolicy;
use shared_config::{Config, MapEnv, load_str};

pub(crate) const BUILTIN: &str = include_str!("../../../../examples/irsforge.builtin.yaml");
pub(crate) const DEMO: &str = include_str!("../../../../examples/irsforge.yaml");
/// The sandbox's namespace fingerprint, which the builtin example's party ids use.
pub(crate) const FP: &str = "12203696af4d665a232458e655f075562034125fc5f34c32555f11e6627ba11fd032";

/// The builtin example pointed at a token service and a ledger under test.
pub(crate) fn builtin_config(auth_url: &str, ledger_url: &str) -> Config {
    let env = MapEnv::new([
        ("IRSFORGE_AUTH_PUBLIC_URL", auth_url),
        ("IRSFORGE_LEDGER_URL", ledger_url),
    ]);
    load_str(BUILTIN, "irsforge.builtin.yaml", &env).expect("the builtin example loads")
}

/// The demo example pointed at a ledger under test.
pub(crate) fn demo_config(ledger_url: &str) -> Config {
    let env = MapEnv::new([("IRSFORGE_LEDGER_URL", ledger_url)]);
    load_str(DEMO, "irsforge.yaml", &env).expect("the demo example loads")
}

/// The default policy without jitter, so tests can name exact instants.
pub(crate) fn exact_policy() -> RefreshPolicy {
    RefreshPolicy {
        jitter: 0.0,
        ..RefreshPolicy::default()
    }
}

/// The client secrets of both builtin accounts.
pub(crate) fn secrets() -> MapEnv {
    MapEnv::new([
        ("SERVICE_CLIENT_SECRET_MARK_PUBLISHER", "mark-secret"),
        ("SERVICE_CLIENT_SECRET_SCHEDULER", "scheduler-secret"),
    ])
}
