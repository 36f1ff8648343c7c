//! Sans-IO core of the Zoho CRM v8 SDK.
//!
//! This crate turns typed requests into [`http::Request`] values and parses [`http::Response`]
//! bytes into models and typed errors. It opens no sockets, runs no async runtime and reads no
//! clock: time, randomness and IO come from the caller. Transports (`zohocrm-hyper`,
//! `zohocrm-ureq`) execute the requests.
//!
//! ```text
//!   your code ──► zohocrm_hyper::Client (async)  ┐   both made by one macro,
//!                 zohocrm_ureq::Client (blocking) ┘   facade::client_facade!
//!                        │ endpoint (records, bulk, generated::*, raw::Raw ...)
//!                        ▼
//!   zohocrm-core  driver loop ──► Exchange (auth, refresh, retry, parse) ──► typed output
//!                        │ Step::Send(http::Request)      ▲ http::Response bytes
//!                        ▼                                │
//!   transport     HyperTransport / UreqTransport: sockets, TLS, proxy, timeouts
//!                        │
//!                        ▼
//!   Zoho CRM (accounts server, API, upload host) — or zohocrm-mock on 127.0.0.1
//! ```
//!
//! # The driver-loop contract
//!
//! An [`Exchange`] performs one call of an [`Endpoint`]: authentication,
//! single-flight token refresh, one refresh-and-replay on `401 INVALID_TOKEN`, retries with
//! backoff, and parsing. A driver loops over it, doing what each [`Step`] names (send a
//! request, wait, call the token store) with its own monotonic clock:
//!
//! ```
//! use std::sync::Arc;
//! use std::time::{Instant, SystemTime};
//! use zohocrm_core::{Context, Credentials, DataCenter, Environment, Session, Step, Exchange};
//! use zohocrm_core::features::GetUserLicences;
//! use zohocrm_core::token_store::Store;
//!
//! let session = Arc::new(Session::new(
//!     Context::new(DataCenter::Eu, Environment::Production),
//!     Credentials::refresh_token("client-id", "client-secret", "refresh-token"),
//! ));
//! let mut exchange = Exchange::new(session.clone(), GetUserLicences, 42);
//! let now = Instant::now();
//! // No token yet: the driver reads the token store, takes its refresh lock and reads it
//! // again (another process may have refreshed); then comes the refresh request.
//! let request = loop {
//!     match exchange.poll(now) {
//!         Step::Store(op) => {
//!             let Store::Blocking(store) = session.store() else { unreachable!() };
//!             exchange.on_store(now, op.perform(&**store, SystemTime::now()));
//!         }
//!         Step::Send(request) => break request,
//!         other => panic!("unexpected {other:?}"),
//!     }
//! };
//! assert_eq!(request.uri().host(), Some("accounts.zoho.eu"));
//! ```
//!
//! The ready-made loop is [`driver`]: [`driver::send_blocking`] and [`driver::send`] (and
//! the streaming [`driver::download`] and [`driver::upload`]) over any transport.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use http;

#[cfg(feature = "bulk")]
pub mod bulk;
#[cfg(feature = "automation")]
pub mod channel_renewal;
#[cfg(feature = "records")]
pub mod composite;
pub mod config;
pub mod context;
pub mod credits;
pub mod decimal;
pub mod driver;
pub mod endpoint;
pub mod error;
pub mod exchange;
pub mod facade;
#[cfg(feature = "metadata")]
pub mod features;
pub mod field_value;
pub mod files;
pub mod generated;
pub mod jobs;
pub mod lenient;
pub mod limit;
pub mod models;
#[cfg(feature = "automation")]
pub mod notifications;
pub mod oauth;
pub mod op_spec;
pub mod org_limit;
pub mod outputs;
pub mod pagination;
pub mod proxy;
pub mod raw;
pub mod record;
#[cfg(feature = "records")]
pub mod records;
#[cfg(feature = "registry")]
pub mod registry;
pub mod request;
pub mod response;
pub mod retry;
#[cfg(feature = "metadata")]
pub mod schema;
pub mod scopes;
pub mod secret;
pub mod session;
pub mod stream;
#[cfg(any(feature = "records", feature = "territories"))]
pub mod territories;
pub mod token_store;

pub use context::{Context, DataCenter, Environment, Host};
pub use decimal::Decimal;
pub use driver::{
    send, send_blocking, AsyncBody, AsyncTransport, BlockingBody, BlockingTransport, Payload,
    Reading,
};
pub use endpoint::{Endpoint, Paginated};
pub use error::{
    ApiError, ApiErrorCode, AuthError, AuthErrorKind, BuildError, DecodeError, Error, LimitError,
    LimitErrorKind, ScopeError, TransportError, TransportErrorKind,
};
pub use exchange::{Exchange, Step};
pub use field_value::{Choice, FieldValue, FileEntry, Picklist};
pub use limit::ConcurrencyLimits;
pub use outputs::{ApiResponse, Download, FilePart};
pub use record::{FieldError, Lookup, Record};
pub use request::{assemble, Body, RequestParts};
pub use response::{ActionResults, ActionSuccess, ItemOutcome, PageInfo};
pub use retry::RetryPolicy;
pub use secret::{AccessToken, ChannelToken, ClientSecret, GrantCode, RefreshToken};
pub use session::{Credentials, Session};
pub use time;
pub use token_store::{
    AsyncTokenStore, FileTokenStore, MemoryTokenStore, StoreLock, StoreOp, StoreReply, StoredToken,
    TokenStore,
};
