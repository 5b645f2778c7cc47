//! `irsforge`: the one-command demo of the whole chain, and the harness the workspace's
//! end-to-end tests share with it.
//!
//! # Layout
//!
//! - [`workdir`]: the git-ignored folder the demo works in: generated client secrets and
//!   their bcrypt hashes (`service-accounts.yaml`), the signing keys, and the generated
//!   `irsforge.yaml`.
//! - [`stack`]: starts the auth service, the ledger sandbox and the oracle in this process,
//!   wired together the way a deployment wires the three binaries: the oracle gets its tokens
//!   from auth over HTTP, and the sandbox verifies them against auth's JWKS. In the demo
//!   profile there is no auth service: the sandbox runs in HS256 mode and the oracle signs its
//!   own tokens.
//! - [`env`]: [`LayeredEnv`], the generated secrets layered over the process environment.
//! - [`cli`]: the `irsforge` binary's command line.
//! - [`error`]: the [`StackError`] a start fails with.

pub mod cli;
pub mod env;
pub mod error;
pub mod stack;
pub mod workdir;

pub use env::LayeredEnv;
pub use error::StackError;
pub use stack::{Crons, Profile, Stack, StackOptions};
pub use workdir::{ServiceSecrets, Workdir};
