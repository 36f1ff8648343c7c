//! A fake Zoho CRM v8 server on 127.0.0.1, for tests, demos and users' own tests.
//!
//! It is an independent implementation (it shares no code with `zohocrm-core`), so a test that
//! drives the SDK against it compares two readings of Zoho's documentation. It serves:
//!
//! - **OAuth** on `/oauth/v2/token` (refresh token, grant code, client credentials) and
//!   `/oauth/v2/token/revoke`, parameters in the query, an URL-encoded or a `multipart/form-data`
//!   body, with Zoho's throttle (10 access tokens per refresh token per 10 minutes) and Zoho's
//!   error bodies;
//! - **metadata** that agrees with the data: `settings/modules`, `settings/fields?module=`,
//!   `settings/layouts?module=` rendered from one schema per module (`schema.rs`, which also
//!   validates every write), `org` (with `license_details`), `users` (`type=AllUsers`,
//!   `ActiveUsers`, `CurrentUser`, ...; the users territories and records name, one active user
//!   per licence in use), `settings/roles` and `settings/profiles`;
//! - **user licences** (`/crm/v8/__features[/user_licenses]`);
//! - **territories**, statefully: the 27 territory operations (settings, users of a territory,
//!   territories of a user, assigning territories to Accounts, Contacts and Deals);
//! - **records**, statefully, for Leads, Contacts, Accounts, Deals and Notes: list (`fields`,
//!   `page`/`page_token` paging with Zoho's 2,000 and 100,000 record limits, `sort_by`,
//!   `ids`, `converted`, `If-Modified-Since`), get by id or by external id (`X-EXTERNAL`),
//!   insert, update, upsert, delete with per-item validation, the recycle bin
//!   (`/{module}/deleted`, newest first, `If-Modified-Since`), search (`criteria`, `email`, `phone`, `word`), count, COQL
//!   (`POST /coql`), related lists (Contacts and Deals of an Account, Deals of a Contact, Notes,
//!   Attachments: list, link, delink), notes, tags, attachments (multipart upload, download),
//!   lead conversion and mass update;
//! - **bulk read and bulk write** (`/crm/bulk/v8/...`, the upload host's `/crm/v8/upload`
//!   with its `feature` and `X-CRM-ORG` headers), **composite requests** and **notification
//!   channels** (`/crm/v8/actions/watch`); their choices are documented in `bulk.rs`,
//!   `composite.rs` and `watch.rs`;
//! - the **file store** (`/crm/v8/files`: multipart upload of up to 10 files, download by id);
//! - **fixture replay**: any other request equal to a recorded fixture gets the recorded answer
//!   (a success, unless an error fixture's recorded request matches exactly; see `replay.rs`);
//! - **faults** on demand: Zoho error envelopes, dropped connections, slow or truncated answers,
//!   HTML error pages, expired tokens.
//!
//! Every `/crm/` request needs `Authorization: Zoho-oauthtoken <token>` with a token this server
//! minted. The accounts, API and content domains are all [`MockZoho::base_url`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let mock = zohocrm_mock::MockZoho::start().await?;
//! let url = mock.base_url(); // "http://127.0.0.1:PORT": accounts URL and API domain at once
//! assert!(url.starts_with("http://127.0.0.1:"));
//! mock.inject(zohocrm_mock::Fault::once(zohocrm_mock::too_many_requests()));
//! assert_eq!(mock.stats().api_requests, 0);
//! mock.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Demo data (on by default, see [`MockConfig::demo_data`]): the territory tree
//! Global → {Americas → {US East, US West}, EMEA → DACH}, seven active users and one inactive
//! user (`user1@example.test` … `user8@example.test`, user 1 being the caller), a few named
//! Accounts, Contacts and Deals with territories assigned, and a deterministic bulk of records
//! (3,000 Leads by default, see [`MockConfig::demo_leads`]; 1,000 Contacts, 300 Accounts, 600
//! Deals) with owners, creation and modification times spread over 2023–2025, e-mails, phones,
//! picklists, a multi-select picklist (`Product_Interest`), numbers, nulls, `Account_Name` and
//! `Contact_Name` lookups and tags. A module's records are generated the first time a request
//! needs them, once per process. Without demo data the org holds only the root territory
//! "Global", the caller and no records.
//!
//! Where Zoho's documentation is silent the mock chooses, and says so here:
//! - messages of some errors are its own (`NOT_ALLOWED` on deleting the root or a parent
//!   territory, `LIMIT_EXCEEDED`, removing a territory from a user); codes, statuses and
//!   `details` keys follow the documented envelopes. An unparsable body is
//!   `INVALID_DATA` with message `body`;
//! - `GET /settings/territories/{id}` and `GET /{module}/{id}` of an unknown id answer 204 (as the
//!   OpenAPI files declare); the other by-id operations answer 400 `INVALID_DATA` with
//!   `resource_path_index`;
//! - assigning or removing territories for more than 50 records in one call answers `SCHEDULED`
//!   with a `job_id` and HTTP 202 (207 when some records fail), and the change is applied at once;
//! - a territory's manager is one of its users; `deleted_associated_territories` lists every
//!   deleted territory; date-times are UTC (`+00:00`).
//!
//! Records API choices where the documentation is silent:
//! - ids grow with creation; a listing without `sort_by` is id descending, and ties of
//!   `Created_Time`/`Modified_Time` sort by id, so paging never repeats or skips a record;
//! - every page with more records has a `next_page_token` (numbered pages too). A token holds
//!   the position after the page (the last record's sort key, not an offset) and a hash of the
//!   resource and every other query parameter (`per_page` included); another parameter set
//!   answers `TOKEN_BOUND_DATA_MISMATCH`, an unreadable token `INVALID_DATA`, a token older than
//!   24 h `EXPIRED_VALUE`. `previous_page_token` is given after the first page;
//! - `per_page` above 200 is `INVALID_DATA`; `page` × `per_page` above 2,000 is
//!   `DISCRETE_PAGINATION_LIMIT_EXCEEDED`; a `fields` name the record lacks comes back `null`;
//!   `If-Modified-Since` takes ISO 8601 or an HTTP date; nothing modified since answers 304;
//! - the system unique fields (Leads and Contacts `Email`, Accounts `Account_Name`, Deals
//!   `Deal_Name`) are unique case-insensitively on insert and update; values are checked against
//!   the field's data type (`INVALID_DATA` with `expected_data_type`) and length
//!   (`maximum_length`); e-mail fields must look like an address; read-only and `$` fields and
//!   field names the module does not have are ignored; picklists accept unlisted values;
//!   lookups (`Account_Name`, `Contact_Name`, `Owner`) must name existing records;
//! - a deleted record goes to the recycle bin with its notes and attachments gone and lookups
//!   to it emptied; nothing is ever deleted permanently (`type=permanent` answers 204);
//! - search ranks like a listing (id descending), `word` looks in every text field and
//!   multi-select value, `phone` compares digits only; search pages are numbered only;
//! - mass update by `ids` updates at once (per-record answers, as documented); with `cvid` it
//!   answers 202 with a `job_id` and updates every record of the module (custom views are not
//!   modelled) at once, so the job's status is always `COMPLETED`;
//! - lead conversion reuses the Account whose name is the lead's `Company` and the Contact with
//!   the lead's `Email`, else creates them; a Deal only when `Deals` is given;
//! - tag names compare case-insensitively (an unknown name creates the tag);
//! - with [`MockConfig::fixtures_dir`] set, record modules stay stateful: fixtures answer only
//!   what no stateful handler serves (a record by an id the store lacks, modules the mock does
//!   not serve, operations it does not model).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// The metadata endpoints build large `json!` literals.
#![recursion_limit = "256"]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

mod bulk;
mod composite;
mod example;
mod files;
mod http1;
mod meta;
mod multipart;
mod oauth;
mod org;
mod query;
mod records;
mod replay;
mod schema;
mod server;
mod territories;
mod util;
mod watch;

pub use example::example_client;
use server::Shared;

/// How the mock behaves. Build it with struct update syntax:
/// `MockConfig { token_ttl: Duration::from_secs(1), ..MockConfig::default() }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockConfig {
    /// Lifetime of the access tokens it mints (default 3600 s; `expires_in` says the same).
    pub token_ttl: Duration,
    /// Access tokens allowed per refresh token (or per client, for client credentials) within
    /// [`mint_window`](Self::mint_window) before the token endpoint answers `Access Denied`
    /// (default 10).
    pub mint_limit: u32,
    /// The throttle's sliding window (default 600 s).
    pub mint_window: Duration,
    /// The accepted client id (default `mock-client-id`).
    pub client_id: String,
    /// The accepted client secret (default `mock-client-secret`).
    pub client_secret: String,
    /// The refresh token that is valid from the start, and the one a grant-code exchange
    /// returns (default `mock-refresh-token`).
    pub refresh_token: String,
    /// The one-time grant code (default `mock-grant-code`).
    pub grant_code: String,
    /// The org id the client-credentials grant expects in `soid=ZohoCRM.{org_id}`
    /// (default `mock-org-1`).
    pub org_id: String,
    /// A fixture directory to replay (every `*.json` under it, recursively; see the
    /// `zohocrm-fixtures` crate). `None` (default) replays nothing.
    pub fixtures_dir: Option<PathBuf>,
    /// Whether to load the demo territories, users and records (default `true`).
    pub demo_data: bool,
    /// How many demo Leads there are when [`demo_data`](Self::demo_data) is on (default 3000).
    /// A module's demo records are generated the first time it is used, so a large number
    /// costs nothing to tests that never touch Leads.
    pub demo_leads: usize,
    /// More refresh tokens accepted besides [`refresh_token`](Self::refresh_token), one per
    /// further user (default none). Each mints its own access tokens, throttled separately;
    /// [`MockZoho::access_token_owner`] tells which refresh token an access token came from.
    pub extra_refresh_tokens: Vec<String>,
    /// When set, every bulk read job exports this many generated Lead rows instead of the
    /// module's stored records, made on the fly while the result zip is written, so a large
    /// export (250,000 rows) holds no record in memory (default `None`).
    pub bulk_read_rows: Option<usize>,
    /// Records per bulk read result page (default 200,000, Zoho's; smaller values test paging).
    pub bulk_page_size: usize,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            token_ttl: Duration::from_secs(3600),
            mint_limit: 10,
            mint_window: Duration::from_secs(600),
            client_id: "mock-client-id".into(),
            client_secret: "mock-client-secret".into(),
            refresh_token: "mock-refresh-token".into(),
            grant_code: "mock-grant-code".into(),
            org_id: "mock-org-1".into(),
            fixtures_dir: None,
            demo_data: true,
            demo_leads: 3000,
            extra_refresh_tokens: Vec::new(),
            bulk_read_rows: None,
            bulk_page_size: 200_000,
        }
    }
}

/// Counters, as a snapshot (see [`MockZoho::stats`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests received on `/oauth/v2/token`, whatever their outcome (faulted ones included;
    /// revokes are not counted here).
    pub token_requests: u64,
    /// Access tokens issued.
    pub mints: u64,
    /// Requests received under `/crm/`, whatever their outcome (faulted and refused ones
    /// included).
    pub api_requests: u64,
    /// Non-GET requests under `/crm/` that were authenticated and reached a handler (a stateful
    /// one or fixture replay), even if the handler then refused the input.
    pub writes: u64,
    /// Refresh tokens revoked.
    pub revoked: u64,
    /// Records (and notes) created, updated or deleted by successful items of the records API:
    /// one per successful item of an insert, update, upsert, delete, mass update, tag change,
    /// relation change or lead conversion (a conversion counts every record it creates or
    /// changes).
    pub record_writes: u64,
    /// TCP connections accepted (a client reusing one keep-alive connection adds one).
    pub connections: u64,
    /// The most requests under `/crm/` being handled at once (from the end of reading the
    /// request to the response being ready, injected delays included).
    pub max_in_flight: u64,
    /// The most heavy requests under `/crm/` (COQL, bulk, conversion, mass update, composite:
    /// the SDK's classification) being handled at once.
    pub max_heavy_in_flight: u64,
}

/// One request as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// The method, e.g. `GET`.
    pub method: String,
    /// The path and query, e.g. `/crm/v8/settings/territories?page=2` (as sent, not decoded).
    pub uri: String,
    /// The headers in order, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body (decoded from chunked transfer encoding if it was chunked).
    pub body: Vec<u8>,
}

impl LoggedRequest {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path, without the query.
    pub fn path(&self) -> &str {
        self.uri.split('?').next().unwrap_or("")
    }

    /// The query string, if any (without `?`).
    pub fn query(&self) -> Option<&str> {
        self.uri.split_once('?').map(|(_, q)| q)
    }
}

/// A fault to inject: after letting `skip` matching requests through, it fires on the next
/// `times` requests whose path starts with `path_prefix` (any request when `None`), before
/// routing and authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// Only requests whose path starts with this (e.g. `/crm/v8/settings/territories` or
    /// `/oauth/v2/token`); a prefix containing `?` is matched against path and query.
    /// `None` matches every request. A `*` segment matches any one segment
    /// (`/crm/bulk/v8/read/*/result`).
    pub path_prefix: Option<String>,
    /// Matching requests let through before it fires (0: none).
    pub skip: u32,
    /// How many requests it fires on (0: none).
    pub times: u32,
    /// What happens.
    pub kind: FaultKind,
}

impl Fault {
    /// A fault firing once on any request.
    pub fn once(kind: FaultKind) -> Self {
        Fault {
            path_prefix: None,
            skip: 0,
            times: 1,
            kind,
        }
    }

    /// A fault firing `times` times on any request.
    pub fn times(kind: FaultKind, times: u32) -> Self {
        Fault {
            path_prefix: None,
            skip: 0,
            times,
            kind,
        }
    }

    /// Restricts the fault to paths starting with `prefix`.
    #[must_use]
    pub fn on(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefix = Some(prefix.into());
        self
    }

    /// Lets the first `n` matching requests through.
    #[must_use]
    pub fn after(mut self, n: u32) -> Self {
        self.skip = n;
        self
    }
}

/// What a [`Fault`] does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer with this status and body (sent as `application/json`), plus `Retry-After`
    /// when set. See [`too_many_requests`] and [`internal_error`].
    Status {
        /// The HTTP status.
        status: u16,
        /// The body.
        body: String,
        /// The `Retry-After` header, in seconds.
        retry_after: Option<u64>,
    },
    /// Read the request, then close the connection without answering.
    CloseConnection,
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Handle the request normally, but send a `Content-Length` larger than the part of the
    /// body that is sent, then close the connection.
    TruncatedBody,
    /// Answer with an HTML error page (as a proxy or load balancer would) and this status.
    Html {
        /// The HTTP status.
        status: u16,
    },
}

/// HTTP 429 with Zoho's `TOO_MANY_REQUESTS` envelope and `Retry-After: 1`.
pub fn too_many_requests() -> FaultKind {
    FaultKind::Status {
        status: 429,
        body: r#"{"code":"TOO_MANY_REQUESTS","details":{},"message":"API call limit has been exceeded. Please try again after some time.","status":"error"}"#.into(),
        retry_after: Some(1),
    }
}

/// HTTP 500 with Zoho's `INTERNAL_ERROR` envelope.
pub fn internal_error() -> FaultKind {
    FaultKind::Status {
        status: 500,
        body: r#"{"code":"INTERNAL_ERROR","details":{},"message":"Internal Server Error","status":"error"}"#.into(),
        retry_after: None,
    }
}

/// The mock server, running on the caller's tokio runtime. Dropping it stops the server too.
#[derive(Debug)]
pub struct MockZoho {
    shared: Arc<Shared>,
    stop: tokio::sync::watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl MockZoho {
    /// Starts with the default configuration on `127.0.0.1:0`.
    pub async fn start() -> std::io::Result<MockZoho> {
        Self::start_with(MockConfig::default()).await
    }

    /// Starts with `config` on `127.0.0.1:0`. Fails if the fixture directory cannot be loaded.
    pub async fn start_with(config: MockConfig) -> std::io::Result<MockZoho> {
        Self::start_at(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
    }

    /// Starts with `config` on `addr`, which must be a loopback address.
    pub async fn start_at(addr: SocketAddr, config: MockConfig) -> std::io::Result<MockZoho> {
        if !addr.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("the mock only listens on loopback addresses, not {addr}"),
            ));
        }
        let replay = match &config.fixtures_dir {
            Some(dir) => replay::Replay::load(dir)?,
            None => replay::Replay::default(),
        };
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config, format!("http://{local}"), replay));
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(server::accept_loop(listener, shared.clone(), stop_rx));
        Ok(MockZoho {
            shared,
            stop,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`, no trailing slash: the accounts URL, API domain and content
    /// domain at once.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.requests()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.shared.clear_requests()
    }

    /// Queues a fault; the first queued fault that matches a request fires.
    pub fn inject(&self, fault: Fault) {
        self.shared.inject(fault)
    }

    /// Invalidates every access token issued so far (refresh tokens stay valid).
    pub fn expire_tokens(&self) {
        self.shared.expire_tokens()
    }

    /// The refresh token `access_token` was minted from (`client_credentials:{client_id}` for
    /// the client-credentials grant); `None` for a token this server never minted.
    pub fn access_token_owner(&self, access_token: &str) -> Option<String> {
        self.shared.access_token_owner(access_token)
    }

    /// Stores `record` in `module` exactly as given, without any validation (so a test can
    /// plant values Zoho would never send, such as a malformed date-time), and returns its id:
    /// the record's `id` (a string or number) if it has one, else a new one. A record with the
    /// id of an existing one replaces it.
    ///
    /// # Panics
    /// If `module` is not one the records API serves (Leads, Contacts, Accounts, Deals, Notes;
    /// case-insensitive) or `record` is not a JSON object.
    pub fn put_raw_record(&self, module: &str, record: serde_json::Value) -> String {
        put_raw(&self.shared, module, record)
    }

    /// Stops accepting connections and closes the open ones.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockZoho {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// The same server for blocking tests: it runs on its own thread with its own tokio runtime
/// and stops when dropped.
#[derive(Debug)]
pub struct BlockingMock {
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BlockingMock {
    /// Starts with the default configuration on `127.0.0.1:0`.
    pub fn start() -> std::io::Result<Self> {
        Self::start_with(MockConfig::default())
    }

    /// Starts with `config` on `127.0.0.1:0`.
    pub fn start_with(config: MockConfig) -> std::io::Result<Self> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("zohocrm-mock".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    match MockZoho::start_with(config).await {
                        Ok(mock) => {
                            let _ = ready_tx.send(Ok(mock.shared.clone()));
                            let _ = stop_rx.await;
                            mock.shutdown().await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })?;
        match ready_rx.recv() {
            Ok(Ok(shared)) => Ok(BlockingMock {
                shared,
                stop: Some(stop_tx),
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(std::io::Error::other("the mock server thread stopped"))
            }
        }
    }

    /// See [`MockZoho::base_url`].
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// See [`MockZoho::stats`].
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// See [`MockZoho::requests`].
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.requests()
    }

    /// See [`MockZoho::clear_requests`].
    pub fn clear_requests(&self) {
        self.shared.clear_requests()
    }

    /// See [`MockZoho::inject`].
    pub fn inject(&self, fault: Fault) {
        self.shared.inject(fault)
    }

    /// See [`MockZoho::expire_tokens`].
    pub fn expire_tokens(&self) {
        self.shared.expire_tokens()
    }

    /// See [`MockZoho::access_token_owner`].
    pub fn access_token_owner(&self, access_token: &str) -> Option<String> {
        self.shared.access_token_owner(access_token)
    }

    /// See [`MockZoho::put_raw_record`].
    ///
    /// # Panics
    /// As [`MockZoho::put_raw_record`].
    pub fn put_raw_record(&self, module: &str, record: serde_json::Value) -> String {
        put_raw(&self.shared, module, record)
    }
}

fn put_raw(shared: &Shared, module: &str, record: serde_json::Value) -> String {
    match shared.with_org(|org| org.put_raw_record(module, record)) {
        Ok(id) => id,
        Err(why) => panic!("put_raw_record: {why}"),
    }
}

impl Drop for BlockingMock {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
