//! Async Zoho CRM v8 client on [hyper](https://docs.rs/hyper) 1 and tokio.
//!
//! ```no_run
//! use zohocrm_hyper::{Client, DataCenter};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), zohocrm_hyper::Error> {
//! let client = Client::builder()
//!     .data_center(DataCenter::Eu)
//!     .refresh_token("1000.CLIENT_ID", "client-secret", "1000.refresh-token")
//!     .build()?;
//! let licences = client.user_licences().await?;
//! println!("{} of {} licences in use", licences.used, licences.limit);
//! # Ok(())
//! # }
//! ```
//!
//! Every endpoint of [`zohocrm_core`] works through the one generic [`Client::send`]; paginated
//! ones also through [`Client::pages`], and any registry operation by id through
//! [`Client::call`]. Authentication, token refresh (one refresh in flight per session, however
//! many tasks share the client), retries and parsing happen in the sans-IO core; this crate only
//! moves bytes ([`HyperTransport`]): a pooled hyper client, rustls with certificate verification
//! always on, no redirects, a response body limit, and tokio timeouts. Calls must run inside a
//! tokio runtime with the time driver enabled.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod bulk;
mod client;
mod records;
mod stream;
mod transport;

pub use bulk::{BulkPage, BulkRead};
pub use client::{Client, ClientBuilder, Pager};
pub use records::Records;
pub use transport::HyperTransport;
pub use zohocrm_core::bulk::{BulkWrite, BulkWriteReport};
pub use zohocrm_core::config::{TransportConfig, DEFAULT_MAX_BODY_BYTES};

pub use zohocrm_core;
pub use zohocrm_core::{
    Credentials, DataCenter, Endpoint, Environment, Error, FileTokenStore, MemoryTokenStore,
    Paginated, RetryPolicy, Session, TokenStore,
};
