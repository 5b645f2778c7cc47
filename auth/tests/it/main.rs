//! Integration tests of the auth service: in-process servers on 127.0.0.1:0 driven over HTTP,
//! and the real `irsforge-auth` binary for start-up, commands and logs.

mod binary;
mod binary_keys;
mod binary_logs;
mod claims;
mod connections;
mod credential_cache;
mod hostile_input;
mod key_poll;
mod oauth2_client;
mod platform_files;
mod published;
mod reload;
mod replicas;
mod rotation;
mod shedding;
mod support;
mod throttling;
mod token_endpoint;
