//! The Daml-LF values of payloads, arguments and results: `ledger_types::lf`, the one codec the
//! oracle reads the same payloads with (`docs/ledger-json-api.md` §3).

pub(crate) use ledger_types::lf::{
    ContractId, Int64, Numeric, Party, Timestamp, Unit, truncate_to_micros,
};
