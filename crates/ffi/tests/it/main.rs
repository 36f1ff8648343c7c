//! The C ABI's one integration-test binary: the C and Python drivers against the mock, every
//! registry operation through the ABI, the header in sync with the Rust source, and the ABI's
//! contract on its own (misuse, secrets, threads).

mod abi;
mod all_ops;
mod drivers;
mod header;
mod util;
