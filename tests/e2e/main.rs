//! End-to-end tests of the whole chain, in one process: config → auth → RS256 token → oracle →
//! a ledger that verifies the token as a Canton participant would.
//!
//! Each test starts the real services through `irsforge::Stack` on 127.0.0.1:0 in a fresh
//! temporary work directory. The sandbox's world is seeded 55 s in the past, so lifecycle
//! periods are due and the 50-second swap is maturable the moment the crons (every second)
//! fire. Waiting for the services' effects polls the ledger under a deadline; no assertion is
//! about how long anything took. `demo_binary` runs the `irsforge` binary itself.

mod authorization;
mod chain;
mod demo_binary;
mod resilience;
mod support;
