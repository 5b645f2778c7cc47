//! Types shared by every crate that speaks to a Daml ledger.
//!
//! # Layout
//!
//! - [`party`]: [`PartyId`], the exact Canton party id `Hint::1220<64 hex>`, and its parser.
//!   A bare hint such as `Operator` is not a party id: Canton matches rights by exact string, so
//!   a token granting `Operator` authorizes nothing on a participant where the party is
//!   `Operator::1220…`.
//! - [`claims`]: the ledger JWT payload as the auth service mints it and the sandbox reads it:
//!   registered claims plus the `https://daml.com/ledger-api` object.
//! - [`lf`]: the Daml-LF JSON value codec ([`lf::Numeric`], [`lf::Timestamp`], [`lf::Int64`],
//!   [`lf::Date`], [`lf::Party`], [`lf::ContractId`], [`lf::Unit`]) the sandbox and the oracle
//!   both read and write payloads with.
//! - `error.rs`: [`PartyIdError`] and [`LfError`].
//!
//! This crate is pure data: no I/O, no async, no crypto; serde, chrono and thiserror only.

pub mod claims;
mod error;
pub mod lf;
pub mod party;

pub use claims::{DAML_LEDGER_API_CLAIM, LedgerApiClaims, LedgerJwtClaims};
pub use error::{LfError, PartyIdError};
pub use party::PartyId;
