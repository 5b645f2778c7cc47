//! The Daml-LF JSON value encoding of the JSON API (`docs/ledger-json-api.md` §3), for the LF
//! types IRSForge's templates use. The sandbox reads payloads and writes answers with it; the
//! oracle reads answers and writes choice arguments with it.
//!
//! Each type reads the input forms the participant reads and writes the form it writes, so a
//! value decoded and serialised again is what a real JSON API would return:
//!
//! - [`Numeric`] (`Numeric 10`, Daml's `Decimal`), [`Int64`] (Daml's `Int`), [`Timestamp`]
//!   (Daml's `Time`), [`Date`]: scalar types with their own text syntax and bounds;
//! - [`Party`], [`ContractId`]: strings with a syntax; Text is a plain `String`;
//! - [`Unit`], written `{}`.
//!
//! Composite types come from serde: `Option<T>` is an LF `Optional` (`null` or a record field
//! left out is None; None is written `null`), `Vec<T>` a list, and a struct deriving
//! `Deserialize` with `#[serde(rename_all = "camelCase")]` a record, read from an object or
//! an array of every field in order. Whether a record refuses unknown fields is the caller's
//! choice: the sandbox refuses them in what clients send, the oracle ignores them in what the
//! ledger answers.
//!
//! Where the participant and this codec differ (more than ten decimal places), the rule and
//! its reason are in the module of the type and in §3 of the document.

mod int64;
mod numeric;
mod strings;
mod time;

use serde::{Deserialize, Serialize};

pub use int64::Int64;
pub use numeric::Numeric;
pub use strings::{ContractId, Party};
pub use time::{Date, Timestamp, truncate_to_micros};

/// The Daml `Unit` value, written `{}`; also the argument record of a choice without fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {}

#[cfg(test)]
mod tests;
