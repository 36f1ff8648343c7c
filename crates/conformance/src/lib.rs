//! The conformance suite every transport of the SDK passes, run against the mock server
//! (`zohocrm-mock`) over loopback.
//!
//! A transport crate implements [`Harness`] (blocking; an async transport blocks on its runtime)
//! and expands [`conformance_tests!`] in its integration tests, which gives one `#[test]` per
//! case. Each case starts its own [`BlockingMock`], so cases run in parallel.
//!
//! What is checked: typed results against the mock's known state; the headers and bodies the
//! server received, byte for byte; that 4xx/5xx bodies reach the core as Zoho errors (or as
//! [`Error::Http`] when they are HTML); the transport-error kinds that drive the retry policy
//! (connection refused, timeout, body too large); retries, token refresh and single-flight
//! refresh end to end.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use zohocrm_core::features::GetUserLicences;
use zohocrm_core::oauth::RefreshAccessToken;
use zohocrm_core::proxy::ProxyConfig;
use zohocrm_core::response::decode_value;
use zohocrm_core::{
    assemble, ApiErrorCode, Body, BuildError, Context, Credentials, Endpoint, Error,
    MemoryTokenStore, RequestParts, RetryPolicy, Session, TokenStore, TransportErrorKind,
};
use zohocrm_mock::{BlockingMock, Fault, FaultKind, LoggedRequest, MockConfig};

mod downloads;
mod faults;
mod hostile;
mod net;
mod proxy;
mod records;
mod reliability;
mod scopes;
mod security;
pub use downloads::*;
pub use faults::*;
pub use hostile::*;
pub use proxy::*;
pub use records::*;
pub use reliability::*;
pub use scopes::*;
pub use security::*;

/// Transport settings a case may need to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Timeout of one whole request.
    pub timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// The largest response body accepted.
    pub max_body_bytes: usize,
    /// The proxy settings (default: none, whatever the environment says).
    pub proxy: ProxyConfig,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            max_body_bytes: 64 * 1024 * 1024,
            proxy: ProxyConfig::Direct,
        }
    }
}

/// A transport under test, driven through the core's driver for that transport.
pub trait Harness: Sync {
    /// Performs `endpoint` on `session` through this transport (blocking until done).
    fn call<E: Endpoint + Sync>(
        &self,
        session: &Arc<Session>,
        endpoint: &E,
    ) -> Result<E::Output, Error>
    where
        E::Output: Send;

    /// The transport's name, for messages.
    fn transport_name(&self) -> &'static str;

    /// The same kind of harness with a transport built from `settings`.
    fn with_settings(&self, settings: Settings) -> Self
    where
        Self: Sized;
}

/// Expands to one `#[test]` per conformance case, each running the case on the harness that
/// `$harness` evaluates to (evaluated once per test).
///
/// ```text
/// mod conformance {
///     zohocrm_conformance::conformance_tests!(crate::harness());
/// }
/// ```
#[macro_export]
macro_rules! conformance_tests {
    ($harness:expr) => {
        $crate::conformance_tests!(@each $harness;
            user_licences_match_the_mock,
            headers_are_byte_exact,
            form_body_is_byte_exact,
            json_body_is_byte_exact,
            client_error_body_reaches_core,
            unknown_path_is_invalid_url_pattern,
            server_error_is_retried_then_reported,
            html_error_page_is_http_error,
            connection_refused_is_never_connected,
            slow_response_times_out,
            too_many_requests_then_success,
            expired_token_is_refreshed_once,
            concurrent_calls_mint_one_token,
            body_over_limit_is_body_too_large,
            dropped_connection_is_io_error,
            truncated_body_is_io_error,
            registry_call_by_id,
            redirects_are_not_followed,
            chunked_body_over_limit_is_body_too_large,
            records_list_crosses_from_pages_to_tokens,
            records_batch_insert_reports_each_row,
            records_coql_values_are_escaped,
            records_bad_value_keeps_the_page,
            fault_429_bursts_are_waited_out,
            fault_5xx_retried_for_reads_only,
            fault_connection_closed_after_request,
            fault_connection_reset_before_request,
            fault_slow_bodies,
            fault_truncated_bodies,
            fault_read_timeouts,
            fault_token_endpoint,
            fault_token_expiry_mid_iteration,
            fault_mixed_storm_is_survived,
            expired_token_under_load_mints_once,
            two_users_never_swap_tokens,
            concurrency_limit_queues_bursts,
            tls_self_signed_certificate_is_refused,
            foreign_api_domain_is_refused,
            paths_with_http_are_not_misrouted,
            values_round_trip_percent_encoded,
            limits_are_checked_before_sending,
            hostile_token_lifetimes_are_clamped,
            hostile_dot_segments_stay_values,
            hostile_batch_answers_are_never_flattened,
            hostile_record_cursor_cycles_are_reported,
            hostile_values_are_errors_not_nulls,
            hostile_channel_tokens_never_show,
            scopes_are_checked_before_sending,
            garbled_answer_is_a_protocol_error,
            proxy_carries_api_and_token_calls,
            proxy_credentials_are_never_shown,
            no_proxy_hosts_bypass_the_proxy,
            https_is_tunnelled_and_still_verified,
        );
    };
    (@each $harness:expr; $($case:ident,)*) => {
        $(
            #[test]
            fn $case() {
                $crate::$case(&$harness);
            }
        )*
    };
}

/// The licence counts of the mock's demo organisation: available, used, limit.
pub const MOCK_LICENCES: (u64, u64, u64) = (3, 7, 10);

/// A retry policy fast enough for tests: 3 attempts, 20 ms doubling up to 100 ms.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(3)
        .with_delays(Duration::from_millis(20), Duration::from_millis(100))
}

/// A client builder of either transport for the mock at `base`: its hosts and credentials, and
/// [`fast_retry`] (the transport tests' one way to reach the mock).
pub fn mock_client_builder<C: zohocrm_core::config::BuildClient>(
    base: &str,
) -> zohocrm_core::config::ClientBuilder<C> {
    let cfg = zohocrm_mock::MockConfig::default();
    zohocrm_core::config::ClientBuilder::<C>::default()
        .hosts(base, base, base)
        .refresh_token(cfg.client_id, cfg.client_secret, cfg.refresh_token)
        .retry_policy(fast_retry())
}

/// Starts a mock with the default configuration.
pub fn start_mock() -> BlockingMock {
    BlockingMock::start().expect("the mock server starts on 127.0.0.1")
}

/// A session on `mock` with its default credentials, a fast retry policy and `store`.
pub fn session_on(mock: &BlockingMock, store: Arc<MemoryTokenStore>) -> Session {
    let base = mock.base_url();
    let cfg = MockConfig::default();
    let context = Context::custom(&base, &base, &base).expect("loopback hosts are accepted");
    Session::new(
        context,
        Credentials::refresh_token(cfg.client_id, cfg.client_secret, cfg.refresh_token),
    )
    .with_store(store)
    .with_retry(fast_retry())
}

/// A session on `mock` with an in-memory store, shared as calls need it.
pub fn session(mock: &BlockingMock) -> Arc<Session> {
    Arc::new(session_on(mock, Arc::new(MemoryTokenStore::new())))
}

/// A GET or POST of an arbitrary API path whose output is the JSON body, for probing the
/// transport with paths and bodies no typed endpoint has.
#[derive(Debug, Clone)]
pub struct Raw {
    /// The request.
    pub parts: RequestParts,
}

impl Raw {
    /// `GET path`.
    pub fn get(path: &'static str) -> Self {
        Raw {
            parts: RequestParts::get(path),
        }
    }

    /// `POST path` with these exact JSON bytes.
    pub fn post_json(path: &'static str, json: &[u8]) -> Self {
        Raw {
            parts: RequestParts::post(path).body(Body::Json(json.to_vec())),
        }
    }
}

impl Endpoint for Raw {
    const ID: &'static str = "conformance.raw";
    type Output = Option<Value>;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        Ok(self.parts.clone())
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Option<Value>, Error> {
        decode_value(Self::ID, &response)
    }
}

fn api_requests(mock: &BlockingMock) -> Vec<LoggedRequest> {
    mock.requests()
        .into_iter()
        .filter(|r| r.path().starts_with("/crm/"))
        .collect()
}

fn token_requests(mock: &BlockingMock) -> Vec<LoggedRequest> {
    mock.requests()
        .into_iter()
        .filter(|r| r.path().starts_with("/oauth/"))
        .collect()
}

fn header_values<'a>(r: &'a LoggedRequest, name: &str) -> Vec<&'a str> {
    r.headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

fn expect_transport(
    name: &str,
    result: Result<impl std::fmt::Debug, Error>,
) -> zohocrm_core::TransportError {
    match result {
        Err(Error::Transport(t)) => t,
        other => panic!("{name}: expected a transport error, got {other:?}"),
    }
}

fn zoho_error(status: u16, code: &str, message: &str) -> FaultKind {
    FaultKind::Status {
        status,
        body: format!(
            r#"{{"code":"{code}","details":{{}},"message":"{message}","status":"error"}}"#
        ),
        retry_after: None,
    }
}

/// User licences parse to the mock's exact counts; one token is minted, one API call made.
pub fn user_licences_match_the_mock(h: &impl Harness) {
    let mock = start_mock();
    let s = session(&mock);
    let licences = h.call(&s, &GetUserLicences).expect("user licences");
    let (available, used, limit) = MOCK_LICENCES;
    assert_eq!(
        (licences.available, licences.used, licences.limit),
        (available, used, limit),
        "{}",
        h.transport_name()
    );
    let stats = mock.stats();
    assert_eq!((stats.mints, stats.api_requests), (1, 1));
}

/// Authorization, User-Agent and Accept reach the server byte for byte, once each, and a GET
/// carries no Content-Type.
pub fn headers_are_byte_exact(h: &impl Harness) {
    let mock = start_mock();
    let store = Arc::new(MemoryTokenStore::new());
    let base = mock.base_url();
    let cfg = MockConfig::default();
    let ua = "zohocrm-conformance/1.0 (+https://example.test; probe=\"1\")";
    let context = Context::custom(&base, &base, &base)
        .unwrap()
        .with_user_agent(ua);
    let s = Arc::new(
        Session::new(
            context,
            Credentials::refresh_token(cfg.client_id, cfg.client_secret, cfg.refresh_token),
        )
        .with_store(store.clone()),
    );
    h.call(&s, &GetUserLicences).expect("user licences");
    let token = store
        .load()
        .unwrap()
        .and_then(|t| t.access_token)
        .expect("the minted token is stored");
    let api = api_requests(&mock);
    assert_eq!(api.len(), 1);
    let r = &api[0];
    assert_eq!(r.method, "GET");
    assert_eq!(r.uri, "/crm/v8/__features/user_licenses");
    assert_eq!(
        header_values(r, "authorization"),
        [format!("Zoho-oauthtoken {}", token.expose()).as_str()]
    );
    assert_eq!(header_values(r, "user-agent"), [ua]);
    assert_eq!(header_values(r, "accept"), ["application/json"]);
    assert!(header_values(r, "content-type").is_empty(), "{r:?}");
    assert!(r.body.is_empty());
    let t = &token_requests(&mock)[0];
    assert_eq!(header_values(t, "user-agent"), [ua]);
    assert!(header_values(t, "authorization").is_empty());
}

/// The token request's form body and Content-Type are exactly what the core built.
pub fn form_body_is_byte_exact(h: &impl Harness) {
    let mock = start_mock();
    let s = session(&mock);
    h.call(&s, &GetUserLicences).expect("user licences");
    let cfg = MockConfig::default();
    let parts = RefreshAccessToken {
        client_id: cfg.client_id,
        client_secret: cfg.client_secret.into(),
        refresh_token: cfg.refresh_token.into(),
    }
    .parts()
    .unwrap();
    let expected = assemble(&s.context(), &parts).unwrap();
    let tokens = token_requests(&mock);
    assert_eq!(tokens.len(), 1);
    let t = &tokens[0];
    assert_eq!(t.method, "POST");
    assert_eq!(
        Some(t.uri.as_str()),
        expected.uri().path_and_query().map(|p| p.as_str())
    );
    assert_eq!(
        header_values(t, "content-type"),
        ["application/x-www-form-urlencoded"]
    );
    assert_eq!(t.body, *expected.body());
}

/// A JSON body (non-ASCII, escapes, no trailing newline) arrives byte for byte.
pub fn json_body_is_byte_exact(h: &impl Harness) {
    let mock = start_mock();
    let s = session(&mock);
    let json = "{\"territories\":[{\"name\":\"Z\u{fc}rich \u{2014} \u{6771}\u{4eac} \\\"q\\\"\",\"description\":\"line1\\nline2\",\"n\":1.50}]}";
    let _ = h.call(
        &s,
        &Raw::post_json("/crm/v8/__conformance/echo", json.as_bytes()),
    );
    let api = api_requests(&mock);
    assert_eq!(api.len(), 1, "a POST is never replayed");
    let r = &api[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.body, json.as_bytes());
    assert_eq!(header_values(r, "content-type"), ["application/json"]);
    assert_eq!(header_values(r, "accept"), ["application/json"]);
}

/// A 400 with Zoho's envelope becomes `Error::Api` with Zoho's code, status and message.
pub fn client_error_body_reaches_core(h: &impl Harness) {
    let mock = start_mock();
    let s = session(&mock);
    mock.inject(Fault::once(zoho_error(400, "INVALID_DATA", "invalid data")).on("/crm/"));
    match h.call(&s, &GetUserLicences) {
        Err(Error::Api { status, error }) => {
            assert_eq!(status, 400);
            assert_eq!(error.code, ApiErrorCode::InvalidData);
            assert_eq!(error.message, "invalid data");
        }
        other => panic!("expected INVALID_DATA, got {other:?}"),
    }
    assert_eq!(mock.stats().api_requests, 1, "a 400 is not retried");
}

/// A path the server does not know answers 404 `INVALID_URL_PATTERN`.
pub fn unknown_path_is_invalid_url_pattern(h: &impl Harness) {
    let mock = start_mock();
    let s = session(&mock);
    match h.call(&s, &Raw::get("/crm/v8/__no_such_resource")) {
        Err(Error::Api { status, error }) => {
            assert_eq!(status, 404);
            assert_eq!(error.code, ApiErrorCode::InvalidUrlPattern);
        }
        other => panic!("expected INVALID_URL_PATTERN, got {other:?}"),
    }
}

/// A 500 on a GET is retried per the policy, then Zoho's error is reported.
pub fn server_error_is_retried_then_reported(h: &impl Harness) {
    let mock = start_mock();
    let s = session(&mock);
    mock.inject(Fault::times(zohocrm_mock::internal_error(), 10).on("/crm/"));
    match h.call(&s, &GetUserLicences) {
        Err(Error::Api { status, error }) => {
            assert_eq!(status, 500);
            assert_eq!(error.code, ApiErrorCode::InternalError);
        }
        other => panic!("expected INTERNAL_ERROR, got {other:?}"),
    }
    assert_eq!(
        mock.stats().api_requests,
        u64::from(fast_retry().max_attempts)
    );
}

/// An HTML 502 (a proxy's page) becomes `Error::Http` with the status and an excerpt.
pub fn html_error_page_is_http_error(h: &impl Harness) {
    let mock = start_mock();
    let s = session(&mock);
    mock.inject(Fault::times(FaultKind::Html { status: 502 }, 10).on("/crm/"));
    match h.call(&s, &GetUserLicences) {
        Err(Error::Http {
            status,
            content_type,
            excerpt,
        }) => {
            assert_eq!(status, 502);
            assert!(content_type.contains("html"), "{content_type}");
            assert!(excerpt.contains('<'), "{excerpt}");
        }
        other => panic!("expected Error::Http 502, got {other:?}"),
    }
}

/// A closed port gives a `Connect` transport error (never connected), after the policy's retries.
pub fn connection_refused_is_never_connected(h: &impl Harness) {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}");
    let policy = RetryPolicy::default()
        .with_max_attempts(3)
        .with_delays(Duration::from_millis(60), Duration::from_millis(200));
    let s = Arc::new(
        Session::new(
            Context::custom(&base, &base, &base).unwrap(),
            Credentials::refresh_token("id", "secret", "refresh"),
        )
        .with_retry(policy.clone()),
    );
    let started = Instant::now();
    let t = expect_transport(h.transport_name(), h.call(&s, &GetUserLicences));
    assert_eq!(t.kind(), TransportErrorKind::Connect, "{t}");
    assert!(t.never_connected());
    // Two retries: at least half of each un-jittered backoff (equal jitter).
    let min = policy.backoff(1, 0.0) + policy.backoff(2, 0.0);
    assert!(
        started.elapsed() >= min,
        "{:?} < {min:?}",
        started.elapsed()
    );
}

/// A response slower than the client timeout gives a `Timeout` transport error.
pub fn slow_response_times_out(h: &impl Harness) {
    let mock = start_mock();
    let h = h.with_settings(Settings {
        timeout: Duration::from_millis(300),
        ..Settings::default()
    });
    let s = Arc::new(session_on(&mock, Arc::default()).with_retry(RetryPolicy::never()));
    // Mint the token first so only the API call is slow.
    h.call(&s, &GetUserLicences).expect("user licences");
    // Far slower than the timeout, so that a late timer on a loaded machine still fires
    // first; the error kind, not a wall-clock bound, shows the client did not wait.
    mock.inject(Fault::once(FaultKind::Delay(Duration::from_secs(30))).on("/crm/"));
    let t = expect_transport(h.transport_name(), h.call(&s, &GetUserLicences));
    assert_eq!(t.kind(), TransportErrorKind::Timeout, "{t}");
    assert!(!t.never_connected());
}

/// A 429 (with `Retry-After: 1`) is waited out and retried.
pub fn too_many_requests_then_success(h: &impl Harness) {
    let mock = start_mock();
    let s = session(&mock);
    mock.inject(Fault::once(zohocrm_mock::too_many_requests()).on("/crm/"));
    let started = Instant::now();
    let licences = h.call(&s, &GetUserLicences).expect("success after 429");
    assert_eq!(licences.limit, MOCK_LICENCES.2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_eq!(mock.stats().api_requests, 2);
}

/// A token the server stopped accepting is refreshed once and the call replayed.
pub fn expired_token_is_refreshed_once(h: &impl Harness) {
    let mock = start_mock();
    let s = session(&mock);
    h.call(&s, &GetUserLicences).expect("first call");
    mock.expire_tokens();
    h.call(&s, &GetUserLicences).expect("call after expiry");
    let stats = mock.stats();
    assert_eq!(stats.mints, 2);
    assert_eq!(stats.token_requests, 2);
    assert_eq!(stats.api_requests, 3, "first call, rejected call, replay");
    assert_eq!(s.mint_count(), 2);
}

/// Eight concurrent calls on one fresh session share one token mint.
pub fn concurrent_calls_mint_one_token(h: &impl Harness) {
    let mock = start_mock();
    let s = session(&mock);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| h.call(&s, &GetUserLicences)))
            .collect();
        for handle in handles {
            handle.join().unwrap().expect("concurrent call");
        }
    });
    let stats = mock.stats();
    assert_eq!(stats.mints, 1, "{stats:?}");
    assert_eq!(stats.token_requests, 1, "{stats:?}");
    assert_eq!(stats.api_requests, 8);
}

/// A response body larger than the configured limit gives `BodyTooLarge`, not retried.
pub fn body_over_limit_is_body_too_large(h: &impl Harness) {
    let mock = start_mock();
    let h = h.with_settings(Settings {
        max_body_bytes: 4096,
        ..Settings::default()
    });
    let s = session(&mock);
    let big = format!(r#"{{"data":[{{"padding":"{}"}}]}}"#, "x".repeat(10_000));
    mock.inject(
        Fault::times(
            FaultKind::Status {
                status: 200,
                body: big,
                retry_after: None,
            },
            5,
        )
        .on("/crm/"),
    );
    let t = expect_transport(h.transport_name(), h.call(&s, &GetUserLicences));
    assert_eq!(t.kind(), TransportErrorKind::BodyTooLarge, "{t}");
    assert!(
        t.to_string().contains("limit of 4096 bytes"),
        "a clear message: {t}"
    );
    assert_eq!(mock.stats().api_requests, 1);
}

/// A connection closed without an answer is an `Io` error: retried for a GET, never for a POST.
pub fn dropped_connection_is_io_error(h: &impl Harness) {
    let mock = start_mock();
    let s = session(&mock);
    h.call(&s, &GetUserLicences).expect("mint first");
    mock.inject(Fault::times(FaultKind::CloseConnection, 10).on("/crm/"));
    mock.clear_requests();
    let t = expect_transport(
        h.transport_name(),
        h.call(&s, &Raw::post_json("/crm/v8/__conformance/echo", b"{}")),
    );
    assert_eq!(t.kind(), TransportErrorKind::Io, "{t}");
    assert!(!t.never_connected());
    let posts = api_requests(&mock).len();
    assert_eq!(
        posts, 1,
        "a POST that may have taken effect is not replayed"
    );
    mock.clear_requests();
    let t = expect_transport(h.transport_name(), h.call(&s, &GetUserLicences));
    assert_eq!(t.kind(), TransportErrorKind::Io, "{t}");
    let gets = api_requests(&mock).len();
    assert_eq!(gets, fast_retry().max_attempts as usize, "a GET is retried");
}

/// A body cut short of its Content-Length is an `Io` error, not a decode error.
pub fn truncated_body_is_io_error(h: &impl Harness) {
    let mock = start_mock();
    let s = Arc::new(session_on(&mock, Arc::default()).with_retry(RetryPolicy::never()));
    h.call(&s, &GetUserLicences).expect("mint first");
    mock.inject(Fault::once(FaultKind::TruncatedBody).on("/crm/"));
    let t = expect_transport(h.transport_name(), h.call(&s, &GetUserLicences));
    assert_eq!(t.kind(), TransportErrorKind::Io, "{t}");
}

/// Any registry operation runs by id with JSON in and out.
pub fn registry_call_by_id(h: &impl Harness) {
    let mock = start_mock();
    let s = session(&mock);
    let call = zohocrm_core::registry::Call::new(GetUserLicences::ID, Value::Null).unwrap();
    let out = h.call(&s, &call).expect("registry call");
    assert_eq!(out["available"], MOCK_LICENCES.0);
    assert_eq!(out["used"], MOCK_LICENCES.1);
    assert_eq!(out["limit"], MOCK_LICENCES.2);
}

/// A one-response-per-connection HTTP server on 127.0.0.1 that answers every request with
/// `response` (raw bytes) and counts the requests; for what the mock cannot send.
struct RawServer {
    base_url: String,
    hits: Arc<AtomicUsize>,
}

impl RawServer {
    fn start(response: Vec<u8>) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match stream.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => break,
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = stream.write_all(&response);
                let _ = stream.flush();
            }
        });
        RawServer { base_url, hits }
    }

    fn session(&self) -> Arc<Session> {
        let b = &self.base_url;
        Arc::new(
            Session::new(
                Context::custom(b, b, b).unwrap(),
                Credentials::AccessToken("fixed-test-token".into()),
            )
            .with_retry(RetryPolicy::never()),
        )
    }
}

/// A redirect is returned as it is, never followed (it could carry the token elsewhere).
pub fn redirects_are_not_followed(h: &impl Harness) {
    let server = RawServer::start(
        b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .to_vec(),
    );
    match h.call(&server.session(), &GetUserLicences) {
        Err(Error::Http { status, .. }) => assert_eq!(status, 302),
        other => panic!("expected the 302 itself, got {other:?}"),
    }
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);
}

/// A chunked body (no Content-Length) larger than the limit gives `BodyTooLarge` while streaming.
pub fn chunked_body_over_limit_is_body_too_large(h: &impl Harness) {
    let h = h.with_settings(Settings {
        max_body_bytes: 1024,
        ..Settings::default()
    });
    let mut response =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    for _ in 0..8 {
        response.extend_from_slice(format!("{:x}\r\n", 512).as_bytes());
        response.extend_from_slice(&[b' '; 512]);
        response.extend_from_slice(b"\r\n");
    }
    response.extend_from_slice(b"0\r\n\r\n");
    let server = RawServer::start(response);
    let t = expect_transport(
        h.transport_name(),
        h.call(&server.session(), &GetUserLicences),
    );
    assert_eq!(t.kind(), TransportErrorKind::BodyTooLarge, "{t}");
}

/// The README's code blocks, compiled by `cargo test` so the README cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

/// The code blocks of the transports' crate READMEs (their crates.io pages), compiled likewise.
#[cfg(doctest)]
#[doc = include_str!("../../transport-ureq/README.md")]
#[doc = include_str!("../../transport-hyper/README.md")]
pub struct CrateReadmeDoctests;
