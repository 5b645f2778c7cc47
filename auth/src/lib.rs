//! `auth`: the token service `irsforge-auth` (its reference: `auth/README.md`). Service accounts authenticate with the
//! OAuth2 client-credentials grant (RFC 6749 §4.4) and receive RS256 ledger JWTs that Canton
//! participants verify against this service's JWKS.
//!
//! # In-process use
//!
//! ```no_run
//! # async fn demo(config: shared_config::Config) -> Result<(), auth::AuthError> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//! let options = auth::AuthOptions::new(config, "auth/service-accounts.yaml", "auth/keys");
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let server = tokio::spawn(auth::run(listener, options, async { let _ = stopped.await; }));
//! // … use http://127.0.0.1:<port>/auth/oauth/token …
//! let _ = stop.send(());
//! server.await.unwrap()?;
//! # Ok(()) }
//! ```
//!
//! [`run`] does the whole start-up (registry, cross-check, keys) and then serves until the
//! shutdown future completes. [`AuthServer`] splits the two phases for the binary, which must
//! check everything before it binds, and exposes the router for socket-less tests.
//! [`reload_channel`] gives a trigger that reloads `service-accounts.yaml` and the key set
//! the way SIGHUP does in the binary.
//!
//! # Layout
//!
//! - [`options`]: [`AuthOptions`], with defaults for workers, queue, throttle, proxies, clock.
//! - [`server`]: start-up order ([`AuthServer::prepare`]), routes, graceful shutdown, [`run`].
//! - [`registry`]: `service-accounts.yaml`, validated and cross-checked with `irsforge.yaml`;
//!   verification with equal bcrypt work for known and unknown ids.
//! - [`secret_hash`]: bcrypt hash syntax, `hash-secret`, and the 72-byte rule.
//! - [`keys`]: the key directory (layout, manifest, atomic creation, staged rotation,
//!   retirement), RFC 7638 kids, the JWKS, and signing with aws-lc-rs; `key_watch`: the poll
//!   that keeps a running server's key set in step with the directory, and its events.
//! - `token`: the token endpoint: strict form parsing, client authentication, claims, minting.
//! - `throttle`: failure throttling per source address and per (client id, address) (GCRA,
//!   hand-written).
//! - [`source_address`]: the TCP peer or, behind trusted proxies, the X-Forwarded-For hop.
//! - `verification_pool`: low-priority bcrypt threads behind a bounded queue shared fairly by
//!   source address (load shedding, paced); `credential_cache`: keyed digests of credentials
//!   bcrypt verified recently, recognised again without bcrypt.
//! - `routes`: JWKS, RFC 8414 metadata, health, metrics; `metrics`: per-server Prometheus
//!   recorder; `state`: what handlers share and the reload that swaps it.
//! - [`reload`], [`error`]: reload trigger, [`AuthError`]. Tokens are stamped with the
//!   injected `service_runtime::clock::Clock` ([`AuthOptions::clock`]).
//! - [`cli`]: the binary's commands (`hash-secret`, `check`, `keys rotate|retire`, serve).
//!
//! # Decisions
//!
//! - **Signing backend.** aws-lc-rs signs (constant-time RSA, BoringSSL lineage), with the
//!   key parsed once at start-up. The `rsa` crate 0.9 is open to the Marvin timing attack
//!   (RUSTSEC-2023-0071) and is not used; `jsonwebtoken` only verifies, in tests.
//! - **Equal work.** A failed attempt always costs as many bcrypt verifications as the account
//!   with the most hashes has, at the registry's highest cost, using a dummy hash for padding
//!   and for unknown ids; a secret longer than 72 bytes never matches but costs the same.
//! - **No lockout by id.** Failures for a client id only throttle the address that made them
//!   (the second limit is per (client id, address)), so wrong secrets sprayed for an id cannot
//!   lock its real client out of any other address. A pair that succeeded within 30 minutes is
//!   also exempt from that limit (clients sharing one address); the per-address limit still
//!   applies to it.
//! - **Verified-credential cache.** Credentials bcrypt verified in the last 15 minutes are
//!   recognised by a keyed digest (HMAC-SHA-256, random per-process key) of id, secret and the
//!   matched hash, without bcrypt and without the queue; bcrypt stays the protection of the
//!   registry at rest.
//! - **Priorities.** bcrypt threads, and the threads that sign returning clients' tokens, run
//!   under `SCHED_IDLE` (and nice +19); the async workers
//!   that answer health and JWKS preempt them the moment they wake, and bcrypt uses whatever
//!   is left. On a host busy with other work this starves token issuance (the endpoint sheds
//!   with 503) rather than health and JWKS; `AuthOptions::bcrypt_nice = 0` opts out.
//! - **No revocation.** Tokens are short-lived by design (`auth.builtin.tokenTtlSeconds`, 900 s by default):
//!   a leaked token is useful for minutes, and a removed account gets no new one.

pub mod cli;
mod credential_cache;
pub mod error;
mod key_watch;
pub mod keys;
mod metrics;
pub mod options;
pub mod registry;
pub mod reload;
mod routes;
pub mod secret_hash;
pub mod server;
pub mod source_address;
mod state;
mod throttle;
mod token;
mod verification_pool;

pub use error::AuthError;
pub use options::AuthOptions;
pub use reload::{ReloadOutcome, ReloadRequests, ReloadTrigger, reload_channel};
pub use server::{AuthServer, JWKS_PATH, TOKEN_PATH, run};
pub use source_address::TrustedProxies;
pub use throttle::ThrottleLimits;
pub use token::MAX_BODY_BYTES;
