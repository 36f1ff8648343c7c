//! Blocking Zoho CRM v8 client on [ureq](https://docs.rs/ureq) 3.
//!
//! ```no_run
//! use zohocrm_ureq::{Client, DataCenter};
//!
//! let client = Client::builder()
//!     .data_center(DataCenter::Eu)
//!     .refresh_token("1000.CLIENT_ID", "client-secret", "1000.refresh-token")
//!     .build()?;
//! let licences = client.user_licences()?;
//! println!("{} of {} licences in use", licences.used, licences.limit);
//! # Ok::<(), zohocrm_ureq::Error>(())
//! ```
//!
//! Every endpoint of [`zohocrm_core`] works through the one generic [`Client::send`]; paginated
//! ones also through [`Client::pages`], and any registry operation by id through
//! [`Client::call`]. Authentication, token refresh, retries and parsing happen in the sans-IO
//! core; this crate only moves bytes ([`UreqTransport`]): rustls with certificate verification
//! always on, no redirects, a response body limit, and timeouts.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod bulk;
mod client;
mod records;
mod stream;
mod transport;

pub use bulk::{BulkPage, BulkRead};
pub use client::{Client, ClientBuilder, Pages};
pub use records::Records;
pub use transport::UreqTransport;
pub use zohocrm_core::bulk::{BulkWrite, BulkWriteReport};
pub use zohocrm_core::config::{TransportConfig, DEFAULT_MAX_BODY_BYTES};

pub use zohocrm_core;
pub use zohocrm_core::{
    Credentials, DataCenter, Endpoint, Environment, Error, FileTokenStore, MemoryTokenStore,
    Paginated, RetryPolicy, Session, TokenStore,
};
