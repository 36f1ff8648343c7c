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
//! ones also through [`Client::pages`] and [`Client::records`] (iterators), and any registry
//! operation by id through `Client::call` (Cargo feature `registry`). Authentication, token refresh, retries, body
//! limits and parsing happen in the sans-IO core and its driver; this crate only moves bytes
//! ([`UreqTransport`]): rustls with certificate verification always on, no redirects, and
//! timeouts. The client's methods are the same as the async client's (`zohocrm-hyper`): both
//! come from one source, [`zohocrm_core::facade`].
//!
//! Records of every page, one at a time:
//!
//! ```no_run
//! # fn run(client: zohocrm_ureq::Client) -> Result<(), zohocrm_ureq::Error> {
//! use zohocrm_ureq::zohocrm_core::records::ListRecords;
//!
//! for lead in client.records(ListRecords::new("Leads", ["Last_Name", "Email"])) {
//!     let lead = lead?;
//!     println!("{:?} {:?}", lead.id(), lead.str("Email"));
//! }
//! # Ok(()) }
//! ```
//!
//! Waiting for a job, and a bulk read whose result pages are streamed to private temporary
//! files and read row by row:
//!
//! ```no_run
//! # fn run(client: zohocrm_ureq::Client) -> Result<(), zohocrm_ureq::zohocrm_core::jobs::JobError> {
//! use zohocrm_ureq::zohocrm_core::bulk::CreateBulkReadJob;
//! use zohocrm_ureq::zohocrm_core::jobs::PollPolicy;
//! use zohocrm_ureq::zohocrm_core::records::MassUpdateStatusQuery;
//!
//! let done = client.wait(
//!     &MassUpdateStatusQuery::new("Leads", "111000"),
//!     PollPolicy::default(),
//!     |s| println!("{:?}", s.as_ref().map(|s| &s.status)),
//! )?;
//! let mut export = client.bulk_read(CreateBulkReadJob::new("Leads").fields(["Last_Name", "Email"]));
//! while let Some(mut page) = export.next_page()? {
//!     for lead in page.records()? {
//!         println!("{:?}", lead?.str("Email"));
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! Behind a proxy: the `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` variables are followed by
//! default; [`ClientBuilder::proxy`] sets one explicitly and
//! [`ClientBuilder::proxy_config`]`(`[`ProxyConfig::Direct`]`)` turns proxies off. Token calls
//! take the same route as API calls.
//!
//! ```no_run
//! use zohocrm_ureq::{Client, DataCenter, Proxy};
//!
//! let client = Client::builder()
//!     .data_center(DataCenter::Eu)
//!     .refresh_token("1000.CLIENT_ID", "client-secret", "1000.refresh-token")
//!     .proxy(Proxy::new("http://user:password@proxy.example.com:3128")?)
//!     .build()?;
//! # Ok::<(), zohocrm_ureq::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod transport;

pub use client::{BulkPage, BulkRead, Changes, Client, ClientBuilder, Pages, Records};
pub use transport::{UreqBody, UreqTransport};
zohocrm_core::transport_exports!();

pub use zohocrm_core;
