//! Integration tests: the sandbox runs in-process on 127.0.0.1:0 and is driven over HTTP.
//! Time is an injected `ManualClock`; nothing sleeps.

mod authorization;
mod binary;
mod choices;
mod connections;
mod endpoints;
mod hs256;
mod jwks;
mod logs;
mod parties;
mod support;
mod token_properties;
