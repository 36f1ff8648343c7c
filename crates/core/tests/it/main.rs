//! The core's one integration-test binary: fixture snapshots (request built == request recorded,
//! parsed output) and Exchange scenarios driven by a replay transport with a manual clock.

mod downloads;
mod driving;
mod fixtures;
mod harness;
mod hostile;
mod lifetimes;
mod org_limit;
mod reliability;
mod sans_io;
mod scenarios;
mod scopes;
mod secrets;
mod session;
mod typed;
mod webhooks;
