//! The oracle's integration tests: one binary, one module per concern.

mod binary;
mod boot;
mod demo_bootstrap;
mod env_override;
mod events;
mod failover;
mod faults;
mod jobs;
mod lease;
mod ledger_client;
mod production;
mod real_auth;
mod refresh_timing;
mod sandbox;
mod schedule;
mod support;
mod token_endpoint;
