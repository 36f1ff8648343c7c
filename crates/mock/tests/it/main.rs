//! Integration tests of the mock server, over loopback, with a minimal HTTP/1.1 client of their
//! own (no SDK crate: the mock is meant to be compared against the SDK, not built from it).

mod client;

mod binary;
mod blocking;
mod faults;
mod licences;
mod meta;
mod oauth;
mod records;
mod records_api;
mod replay;
mod territories;
