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
//! ones also through [`Client::pages`] and [`Client::records`], and any registry operation by
//! id through `Client::call` (Cargo feature `registry`). Authentication, token refresh (one refresh in flight per
//! session, however many tasks share the client), retries, body limits and parsing happen in
//! the sans-IO core and its driver; a token store with file or network IO is called off the
//! executor. This crate only moves bytes ([`HyperTransport`]): a pooled hyper client, rustls
//! with certificate verification always on, no redirects, and deadlines. The client's methods
//! are the same as the blocking client's (`zohocrm-ureq`): both come from one source,
//! [`zohocrm_core::facade`]. Calls must run inside a tokio runtime with the time driver enabled.
//!
//! Records of every page, one at a time:
//!
//! ```no_run
//! # async fn run(client: zohocrm_hyper::Client) -> Result<(), zohocrm_hyper::Error> {
//! use zohocrm_hyper::zohocrm_core::records::ListRecords;
//!
//! let mut leads = client.records(ListRecords::new("Leads", ["Last_Name", "Email"]));
//! while let Some(lead) = leads.next().await {
//!     let lead = lead?;
//!     println!("{:?} {:?}", lead.id(), lead.str("Email"));
//! }
//! # Ok(()) }
//! ```
//!
//! Waiting for a job, and a bulk read whose result pages are streamed to private temporary
//! files and read row by row (blocking reads of a local file: in a busy runtime, read a page
//! in `tokio::task::spawn_blocking`; a [`BulkPage`] is `Send`):
//!
//! ```no_run
//! # async fn run(client: zohocrm_hyper::Client) -> Result<(), zohocrm_hyper::zohocrm_core::jobs::JobError> {
//! use zohocrm_hyper::zohocrm_core::bulk::CreateBulkReadJob;
//! use zohocrm_hyper::zohocrm_core::jobs::PollPolicy;
//! use zohocrm_hyper::zohocrm_core::records::MassUpdateStatusQuery;
//!
//! let done = client.wait(
//!     &MassUpdateStatusQuery::new("Leads", "111000"),
//!     PollPolicy::default(),
//!     |s| println!("{:?}", s.as_ref().map(|s| &s.status)),
//! ).await?;
//! let mut export = client.bulk_read(CreateBulkReadJob::new("Leads").fields(["Last_Name", "Email"]));
//! while let Some(mut page) = export.next_page().await? {
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
//! use zohocrm_hyper::{Client, DataCenter, Proxy};
//!
//! # fn run() -> Result<(), zohocrm_hyper::Error> {
//! let client = Client::builder()
//!     .data_center(DataCenter::Eu)
//!     .refresh_token("1000.CLIENT_ID", "client-secret", "1000.refresh-token")
//!     .proxy(Proxy::new("http://user:password@proxy.example.com:3128")?)
//!     .build()?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod deadline;
mod proxy;
mod transport;

pub use client::{BulkPage, BulkRead, Changes, Client, ClientBuilder, Pager, Records};
pub use transport::{HyperBody, HyperTransport};
pub use zohocrm_core::AsyncTokenStore;
zohocrm_core::transport_exports!();

pub use zohocrm_core;
