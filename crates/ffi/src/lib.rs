//! A C ABI over the sans-IO core of the Zoho CRM v8 SDK, for bindings in other languages.
//!
//! The core decides everything (hosts, authentication, single-flight token refresh, the replay
//! after `401 INVALID_TOKEN`, retries and backoff, parsing); the binding only moves bytes,
//! reads its clock and sleeps. Everything crosses the boundary as JSON text in owned buffers.
//!
//! ```
//! use std::ffi::{CStr, CString};
//! use std::ptr;
//! use zohocrm_ffi::*;
//!
//! let config = CString::new(
//!     r#"{"data_center":"eu","credentials":{"access_token":"fake-access-1"}}"#,
//! ).unwrap();
//! let op = CString::new("features.get_user_licences_count").unwrap();
//! unsafe {
//!     let mut session = ptr::null_mut();
//!     let mut error = ptr::null_mut();
//!     assert_eq!(zcrm_session_new(config.as_ptr(), &mut session, &mut error), ZCRM_OK);
//!     let mut exchange = ptr::null_mut();
//!     let rc = zcrm_exchange_new(session, op.as_ptr(), ptr::null(), 42, &mut exchange, &mut error);
//!     assert_eq!(rc, ZCRM_OK);
//!     let mut step = ptr::null_mut();
//!     assert_eq!(zcrm_exchange_poll(exchange, 1_700_000_000_000, &mut step), ZCRM_OK);
//!     let json: serde_json::Value =
//!         serde_json::from_str(CStr::from_ptr(step).to_str().unwrap()).unwrap();
//!     assert_eq!(json["step"], "send");
//!     assert_eq!(json["url"], "https://www.zohoapis.eu/crm/v8/__features/user_licenses");
//!     zcrm_string_free(step);
//!     zcrm_exchange_free(exchange);
//!     zcrm_session_free(session);
//! }
//! ```
//!
//! # The driver loop
//!
//! ```text
//! zcrm_session_new(config) -> session            once, shared by every thread
//! zcrm_exchange_new(session, "territories.get_territories", params, seed) -> exchange
//! loop:
//!     zcrm_exchange_poll(exchange, now_ms) -> step
//!     "send":  perform the request; then zcrm_exchange_on_response(exchange, now_ms, status,
//!              headers, body) or zcrm_exchange_on_transport_error(exchange, now_ms, kind, message)
//!     "sleep": sleep `ms` milliseconds
//!     "done":  `ok` true with `output`, or false with `error`; stop
//! zcrm_exchange_free(exchange)
//! ```
//!
//! # Conventions
//!
//! - Fallible functions return [`ZCRM_OK`] or [`ZCRM_ERROR`] and write exactly one owned string
//!   (or NULL) to their last `char **out` parameter: the result on success, an error object
//!   `{"kind","code","message","status","details"}` on failure. Every string the library
//!   returns is freed with [`zcrm_string_free`], and only with it.
//! - No panic crosses the boundary: each function catches panics and reports them as an error
//!   of kind `ffi`, code `panic`.
//! - Time is the caller's `now_ms` (milliseconds since the Unix epoch); the jitter seed is the
//!   caller's too. Every decision depends only on the milliseconds passed: the library reads
//!   the monotonic clock once per process, as the origin those milliseconds are counted from,
//!   and no random source. It performs no IO except the optional file token store, which
//!   `zcrm_exchange_poll` reads and writes itself (the store steps of the core never reach the
//!   binding).
//! - A session handle may be used from any number of threads at once; an exchange belongs to
//!   one call (it is internally locked, so concurrent use is safe but pointless).
//! - Secrets (client secret, refresh and access tokens) appear only in `send` steps, where they
//!   must go on the wire: the `authorization` header of API requests and the form body of token
//!   requests. Errors, session info and every other returned JSON never hold them.
//!
//! The C declarations are in `include/zohocrm.h`; `README.md` beside this crate is the guide for
//! binding authors.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use zohocrm_core::registry::{self, Call};
use zohocrm_core::token_store::Store;
use zohocrm_core::{Exchange, Session, Step, TransportError};

mod config;
mod pages;
pub mod render;

use render::{FfiError, Redactor};

/// Returned by fallible functions on success.
pub const ZCRM_OK: i32 = 0;
/// Returned by fallible functions on failure; the `out` string holds the error object.
pub const ZCRM_ERROR: i32 = 1;
/// The version of this ABI, returned by [`zcrm_abi_version`]; bumped on any incompatible change.
pub const ZCRM_ABI_VERSION: u32 = 1;

/// A session: hosts, credentials and the shared token state of one CRM user (`zcrm_session` in C).
///
/// Created by [`zcrm_session_new`], freed by [`zcrm_session_free`]. Usable from many threads.
pub struct ZcrmSession {
    session: Arc<Session>,
    redactor: Redactor,
}

/// One call in progress (`zcrm_exchange` in C). Created by [`zcrm_exchange_new`], freed by
/// [`zcrm_exchange_free`].
pub struct ZcrmExchange {
    inner: Mutex<Running>,
}

/// An [`Exchange`] (which owns its session and call) and the redactor of its session.
struct Running {
    exchange: Exchange<Call>,
    redactor: Redactor,
}

impl Running {
    /// Polls at `now`, performing the token store steps on the session's store (blocking: the
    /// store is a local file or memory); returns the first step for the binding.
    fn poll(&mut self, now: Clocks) -> Step<Value> {
        loop {
            match self.exchange.poll(now.monotonic) {
                Step::Store(op) => {
                    let reply = match self.exchange.session().store() {
                        Store::Blocking(store) => op.perform(&**store, now.wall),
                        // The C ABI builds its sessions with blocking stores only.
                        _ => unreachable!("an async token store in a C ABI session"),
                    };
                    self.exchange.on_store(now.monotonic, reply);
                }
                step => return step,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers at the boundary.

fn to_c(text: String) -> *mut c_char {
    // serde_json escapes NUL, so JSON text never holds one; fall back defensively anyway.
    CString::new(text)
        .unwrap_or_else(|_| c"{\"kind\":\"ffi\",\"code\":\"nul\"}".to_owned())
        .into_raw()
}

/// Writes `value` (or NULL) to `out`, unless `out` is NULL.
///
/// # Safety
/// `out` is NULL or valid for writing one pointer.
unsafe fn put(out: *mut *mut c_char, value: Option<Value>) {
    if out.is_null() {
        return;
    }
    let text = value
        .map(|v| to_c(v.to_string()))
        .unwrap_or(ptr::null_mut());
    // SAFETY: `out` is non-null and valid for writes (caller's contract).
    unsafe { out.write(text) };
}

/// Runs `body`, catching panics, and reports its result through `out`.
///
/// # Safety
/// `out` is NULL or valid for writing one pointer.
unsafe fn run<F>(out: *mut *mut c_char, body: F) -> i32
where
    F: FnOnce() -> Result<Option<Value>, FfiError>,
{
    let result = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|p| Err(FfiError::panic(&*p)));
    match result {
        Ok(value) => {
            // SAFETY: forwarded from the caller.
            unsafe { put(out, value) };
            ZCRM_OK
        }
        Err(FfiError(e)) => {
            // SAFETY: forwarded from the caller.
            unsafe { put(out, Some(e)) };
            ZCRM_ERROR
        }
    }
}

fn null(what: &str) -> FfiError {
    FfiError::ffi("null_pointer", format!("`{what}` is NULL"))
}

/// Reads a NUL-terminated UTF-8 string.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string valid for reads during the call.
unsafe fn read_str<'a>(ptr: *const c_char, what: &str) -> Result<&'a str, FfiError> {
    if ptr.is_null() {
        return Err(null(what));
    }
    // SAFETY: non-null and NUL-terminated (caller's contract).
    let s = unsafe { CStr::from_ptr(ptr) };
    s.to_str()
        .map_err(|_| FfiError::ffi("invalid_utf8", format!("`{what}` is not UTF-8")))
}

/// Reads optional JSON text: NULL means `null`.
///
/// # Safety
/// As [`read_str`].
unsafe fn read_json(ptr: *const c_char, what: &str) -> Result<Value, FfiError> {
    if ptr.is_null() {
        return Ok(Value::Null);
    }
    // SAFETY: forwarded from the caller.
    let text = unsafe { read_str(ptr, what) }?;
    serde_json::from_str(text)
        .map_err(|e| FfiError::ffi("invalid_json", format!("`{what}` is not JSON: {e}")))
}

/// The caller's `now_ms` on both clocks the core uses.
#[derive(Debug, Clone, Copy)]
struct Clocks {
    /// For deadlines and expiries: the caller's milliseconds from a fixed origin.
    monotonic: Instant,
    /// For the token store's expiry dates.
    wall: SystemTime,
}

fn now(ms: i64) -> Result<Clocks, FfiError> {
    // Only differences between the caller's milliseconds matter to the core; the origin is
    // read once so they can be expressed as instants.
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    let origin = *ORIGIN.get_or_init(Instant::now);
    let since = u64::try_from(ms).ok().map(Duration::from_millis);
    let clocks = since.and_then(|d| {
        Some(Clocks {
            monotonic: origin.checked_add(d)?,
            wall: UNIX_EPOCH.checked_add(d)?,
        })
    });
    clocks.ok_or_else(|| {
        FfiError::ffi(
            "invalid_argument",
            format!("`now_ms` must be milliseconds since the Unix epoch, not {ms}"),
        )
    })
}

fn millis(t: SystemTime) -> Option<u64> {
    t.duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| u64::try_from(d.as_millis()).ok())
}

/// Borrows the session behind a handle.
///
/// # Safety
/// `ptr` is NULL or a live handle from `zcrm_session_new`.
unsafe fn session_ref<'a>(ptr: *const ZcrmSession) -> Result<&'a ZcrmSession, FfiError> {
    // SAFETY: a live handle points to a valid `ZcrmSession` (caller's contract).
    unsafe { ptr.as_ref() }.ok_or_else(|| null("session"))
}

/// Runs `f` on the exchange behind a handle, under its lock.
///
/// # Safety
/// `ptr` is NULL or a live handle from `zcrm_exchange_new`.
unsafe fn with_exchange<T>(
    ptr: *mut ZcrmExchange,
    f: impl FnOnce(&mut Running) -> Result<T, FfiError>,
) -> Result<T, FfiError> {
    // SAFETY: a live handle points to a valid `ZcrmExchange` (caller's contract); only shared
    // access is taken, the mutex gives the exclusive one.
    let handle = unsafe { ptr.cast_const().as_ref() }.ok_or_else(|| null("exchange"))?;
    let mut guard = handle.inner.lock().map_err(|_| {
        FfiError::ffi(
            "poisoned",
            "this exchange panicked earlier and cannot be used any more; free it",
        )
    })?;
    f(&mut guard)
}

fn parse_headers(value: Value) -> Result<http::HeaderMap, FfiError> {
    let bad = || {
        FfiError::ffi(
            "invalid_argument",
            "`headers_json` must be [[name, value], ...] or {name: value | [values]}",
        )
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    match value {
        Value::Null => {}
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Array(kv) if kv.len() == 2 => match (&kv[0], &kv[1]) {
                        (Value::String(k), Value::String(v)) => pairs.push((k.clone(), v.clone())),
                        _ => return Err(bad()),
                    },
                    _ => return Err(bad()),
                }
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::String(v) => pairs.push((k, v)),
                    Value::Array(vs) => {
                        for v in vs {
                            let Value::String(v) = v else {
                                return Err(bad());
                            };
                            pairs.push((k.clone(), v));
                        }
                    }
                    _ => return Err(bad()),
                }
            }
        }
        _ => return Err(bad()),
    }
    let mut headers = http::HeaderMap::new();
    for (k, v) in pairs {
        // A header the `http` crate cannot represent is dropped rather than failing the call:
        // the core reads only standard headers (Content-Type, Retry-After).
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            http::HeaderValue::from_str(&v),
        ) {
            headers.append(name, value);
        }
    }
    Ok(headers)
}

// ---------------------------------------------------------------------------------------------
// The ABI.

/// The ABI version ([`ZCRM_ABI_VERSION`]); bindings check it when they load the library.
#[no_mangle]
pub extern "C" fn zcrm_abi_version() -> u32 {
    ZCRM_ABI_VERSION
}

/// Frees a string returned by this library. NULL is ignored.
///
/// # Safety
/// `s` is NULL or a string returned by this library and not freed yet. It must not be used
/// afterwards.
#[no_mangle]
pub unsafe extern "C" fn zcrm_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `s` came from `CString::into_raw` in this library and is freed once.
        drop(unsafe { CString::from_raw(s) });
    }));
}

/// Creates a session from its JSON configuration.
///
/// On success returns [`ZCRM_OK`], writes the new handle to `*out_session` (free it with
/// [`zcrm_session_free`]) and NULL to `*out_error`. On failure returns [`ZCRM_ERROR`], writes
/// NULL to `*out_session` and an owned error object to `*out_error` (kind `build` for an invalid
/// configuration, `ffi` for invalid arguments).
///
/// # Safety
/// `config_json` is NULL or a NUL-terminated string; `out_session` and `out_error` are each NULL
/// or valid for writing one pointer.
#[no_mangle]
pub unsafe extern "C" fn zcrm_session_new(
    config_json: *const c_char,
    out_session: *mut *mut ZcrmSession,
    out_error: *mut *mut c_char,
) -> i32 {
    let body = || {
        if out_session.is_null() {
            return Err(null("out_session"));
        }
        // SAFETY: non-null and valid for writes per the contract.
        unsafe { out_session.write(ptr::null_mut()) };
        // SAFETY: per the contract.
        let text = unsafe { read_str(config_json, "config_json") }?;
        let (session, redactor) = config::session_from_json(text)?;
        let handle = Box::new(ZcrmSession {
            session: Arc::new(session),
            redactor,
        });
        // SAFETY: as above.
        unsafe { out_session.write(Box::into_raw(handle)) };
        Ok(None)
    };
    // SAFETY: `out_error` is NULL or valid for writes (the contract above).
    unsafe { run(out_error, body) }
}

/// Frees a session handle. NULL is ignored. Exchanges started on it stay valid (they keep the
/// session alive) until they are freed.
///
/// # Safety
/// `session` is NULL or a handle from [`zcrm_session_new`] not freed yet, and no other thread is
/// using this handle during or after the call.
#[no_mangle]
pub unsafe extern "C" fn zcrm_session_free(session: *mut ZcrmSession) {
    if session.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the handle came from `Box::into_raw` and is freed once.
        drop(unsafe { Box::from_raw(session) });
    }));
}

/// Describes the session as JSON, without secrets: `{"accounts_url", "api_domain",
/// "content_domain", "data_center", "user_agent", "can_refresh", "mint_count",
/// "token_expires_at_ms", "last_store_error"}`. `api_domain` is the one in use (it may have been
/// adopted from a token response); `mint_count` counts tokens this session obtained.
///
/// Returns [`ZCRM_OK`] with the owned JSON in `*out_json`, or [`ZCRM_ERROR`] with an error object.
///
/// # Safety
/// `session` is NULL or a live handle; `out_json` is NULL or valid for writing one pointer.
#[no_mangle]
pub unsafe extern "C" fn zcrm_session_info(
    session: *const ZcrmSession,
    out_json: *mut *mut c_char,
) -> i32 {
    let body = || {
        // SAFETY: per the contract.
        let handle = unsafe { session_ref(session) }?;
        let s = &handle.session;
        let info = {
            let ctx = s.context();
            json!({
                "accounts_url": ctx.accounts_url(),
                "api_domain": ctx.api_domain(),
                "content_domain": ctx.content_domain(),
                "data_center": ctx.data_center().map(|dc| dc.code()),
                "user_agent": ctx.user_agent(),
                "can_refresh": s.credentials().can_refresh(),
                "mint_count": s.mint_count(),
                "token_expires_at_ms": s.token_expires_at().and_then(millis),
                "last_store_error": s.last_store_error(),
            })
        };
        Ok(Some(handle.redactor.redact(info)))
    };
    // SAFETY: `out_json` is NULL or valid for writes (the contract above).
    unsafe { run(out_json, body) }
}

/// Starts a call of the operation `operation_id` (e.g. `territories.get_territories`) with
/// `params_json` (a JSON object of parameters named as the API names them; NULL or `null` for
/// none) on `session`. `jitter_seed` seeds the backoff jitter (any value; a random one spreads
/// retries of concurrent callers).
///
/// On success returns [`ZCRM_OK`] and writes the handle to `*out_exchange` (free it with
/// [`zcrm_exchange_free`]) and NULL to `*out_error`. An unknown operation or invalid JSON returns
/// [`ZCRM_ERROR`] with an error object in `*out_error`. Invalid parameters are reported by the
/// first poll, as a `done` step with an error of kind `build`.
///
/// # Safety
/// `session` is NULL or a live handle; `operation_id` and `params_json` are NULL or
/// NUL-terminated strings; `out_exchange` and `out_error` are each NULL or valid for writing one
/// pointer.
#[no_mangle]
pub unsafe extern "C" fn zcrm_exchange_new(
    session: *const ZcrmSession,
    operation_id: *const c_char,
    params_json: *const c_char,
    jitter_seed: u64,
    out_exchange: *mut *mut ZcrmExchange,
    out_error: *mut *mut c_char,
) -> i32 {
    let body = || {
        if out_exchange.is_null() {
            return Err(null("out_exchange"));
        }
        // SAFETY: non-null and valid for writes per the contract.
        unsafe { out_exchange.write(ptr::null_mut()) };
        // SAFETY: per the contract.
        let handle = unsafe { session_ref(session) }?;
        // SAFETY: per the contract.
        let op_id = unsafe { read_str(operation_id, "operation_id") }?;
        // SAFETY: per the contract.
        let params = unsafe { read_json(params_json, "params_json") }?;
        let call = Call::new(op_id, params).map_err(|e| {
            FfiError::ffi(
                "unknown_operation",
                e.to_string().replace("invalid configuration: ", ""),
            )
        })?;
        let running = Running {
            exchange: Exchange::new(handle.session.clone(), call, jitter_seed),
            redactor: handle.redactor.clone(),
        };
        let exchange = Box::new(ZcrmExchange {
            inner: Mutex::new(running),
        });
        // SAFETY: as above.
        unsafe { out_exchange.write(Box::into_raw(exchange)) };
        Ok(None)
    };
    // SAFETY: `out_error` is NULL or valid for writes (the contract above).
    unsafe { run(out_error, body) }
}

/// Advances the call at `now_ms` (milliseconds since the Unix epoch) and writes the next step to
/// `*out_step` as owned JSON:
///
/// - `{"step":"send","method","url","headers":[[name,value],...],"body_base64"}`: perform it,
///   then report with [`zcrm_exchange_on_response`] or [`zcrm_exchange_on_transport_error`];
/// - `{"step":"sleep","ms"}`: wait that long, then poll again;
/// - `{"step":"done","ok":true,"output":...}` or `{"step":"done","ok":false,"error":{...}}`.
///
/// Returns [`ZCRM_OK`], or [`ZCRM_ERROR`] with an error object (NULL handle, negative time,
/// caught panic) in `*out_step`.
///
/// # Safety
/// `exchange` is NULL or a live handle; `out_step` is NULL or valid for writing one pointer.
#[no_mangle]
pub unsafe extern "C" fn zcrm_exchange_poll(
    exchange: *mut ZcrmExchange,
    now_ms: i64,
    out_step: *mut *mut c_char,
) -> i32 {
    let body = || {
        let now = now(now_ms)?;
        // SAFETY: per the contract.
        unsafe {
            with_exchange(exchange, |r| {
                let step = r.poll(now);
                Ok(Some(render::step_json(step, now.monotonic, &r.redactor)))
            })
        }
    };
    // SAFETY: `out_step` is NULL or valid for writes (the contract above).
    unsafe { run(out_step, body) }
}

/// Reports the response to the last `send` step: its HTTP `status`, its headers as JSON
/// (`[[name, value], ...]` or `{name: value | [values]}`; NULL for none; headers that are not
/// valid HTTP are skipped) and its body (`body_len` bytes at `body`; NULL with length 0 for
/// none). The bytes are copied.
///
/// Returns [`ZCRM_OK`] with NULL in `*out_error`, or [`ZCRM_ERROR`] with an error object.
///
/// # Safety
/// `exchange` is NULL or a live handle; `headers_json` is NULL or a NUL-terminated string;
/// `body` is valid for reading `body_len` bytes (or NULL when `body_len` is 0); `out_error` is
/// NULL or valid for writing one pointer.
#[no_mangle]
pub unsafe extern "C" fn zcrm_exchange_on_response(
    exchange: *mut ZcrmExchange,
    now_ms: i64,
    status: u16,
    headers_json: *const c_char,
    body: *const u8,
    body_len: usize,
    out_error: *mut *mut c_char,
) -> i32 {
    let body = || {
        let now = now(now_ms)?;
        let status = http::StatusCode::from_u16(status).map_err(|_| {
            FfiError::ffi(
                "invalid_argument",
                format!("`status` {status} is not an HTTP status"),
            )
        })?;
        // SAFETY: per the contract.
        let headers = parse_headers(unsafe { read_json(headers_json, "headers_json") }?)?;
        let bytes = if body_len == 0 {
            Vec::new()
        } else if body.is_null() {
            return Err(null("body"));
        } else {
            // SAFETY: `body` is valid for `body_len` bytes per the contract.
            unsafe { std::slice::from_raw_parts(body, body_len) }.to_vec()
        };
        let mut response = http::Response::new(bytes);
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        // SAFETY: per the contract.
        unsafe {
            with_exchange(exchange, |r| {
                r.exchange.on_response(now.monotonic, response);
                Ok(None)
            })
        }
    };
    // SAFETY: `out_error` is NULL or valid for writes (the contract above).
    unsafe { run(out_error, body) }
}

/// Reports that the request of the last `send` step failed in the transport. `kind` is one of
/// `connect` (never reached the server: retried for any method), `timeout`, `io` (retried only
/// for idempotent requests), `body_too_large`, `other`; `message` (NULL for none) must not hold
/// secrets.
///
/// Returns [`ZCRM_OK`] with NULL in `*out_error`, or [`ZCRM_ERROR`] with an error object
/// (code `invalid_argument` for an unknown kind).
///
/// # Safety
/// `exchange` is NULL or a live handle; `kind` and `message` are NULL or NUL-terminated strings;
/// `out_error` is NULL or valid for writing one pointer.
#[no_mangle]
pub unsafe extern "C" fn zcrm_exchange_on_transport_error(
    exchange: *mut ZcrmExchange,
    now_ms: i64,
    kind: *const c_char,
    message: *const c_char,
    out_error: *mut *mut c_char,
) -> i32 {
    let body = || {
        let now = now(now_ms)?;
        // SAFETY: per the contract.
        let kind_name = unsafe { read_str(kind, "kind") }?;
        let kind = render::parse_transport_kind(kind_name).ok_or_else(|| {
            FfiError::ffi(
                "invalid_argument",
                format!(
                    "unknown transport error kind `{kind_name}` \
                     (connect, timeout, io, body_too_large, other)"
                ),
            )
        })?;
        let message = if message.is_null() {
            String::new()
        } else {
            // SAFETY: per the contract.
            unsafe { read_str(message, "message") }?.to_owned()
        };
        // SAFETY: per the contract.
        unsafe {
            with_exchange(exchange, |r| {
                let message = match r.redactor.redact(Value::String(message)) {
                    Value::String(s) => s,
                    _ => String::new(),
                };
                r.exchange
                    .on_transport_error(now.monotonic, TransportError::new(kind, message));
                Ok(None)
            })
        }
    };
    // SAFETY: `out_error` is NULL or valid for writes (the contract above).
    unsafe { run(out_error, body) }
}

/// Frees an exchange handle (finished or not). NULL is ignored. Freeing an unfinished exchange
/// cancels it; a token refresh it was performing is released so other calls can refresh.
///
/// # Safety
/// `exchange` is NULL or a handle from [`zcrm_exchange_new`] not freed yet, and no other thread
/// is using it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn zcrm_exchange_free(exchange: *mut ZcrmExchange) {
    if exchange.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the handle came from `Box::into_raw` and is freed once.
        drop(unsafe { Box::from_raw(exchange) });
    }));
}

/// Writes the ids of every operation, as an owned JSON array of strings, to `*out_json`.
///
/// # Safety
/// `out_json` is NULL or valid for writing one pointer.
#[no_mangle]
pub unsafe extern "C" fn zcrm_operations(out_json: *mut *mut c_char) -> i32 {
    let body = || {
        let ids: Vec<&str> = registry::all().iter().map(|op| op.id).collect();
        Ok(Some(json!(ids)))
    };
    // SAFETY: `out_json` is NULL or valid for writes (the contract above).
    unsafe { run(out_json, body) }
}

/// The params of the next page of a paged list: given the operation, the params of the call
/// that just finished and its `output` (from the `done` step), writes to `*out_json` the params
/// for the next page (`page` incremented, or `page_token` from `info.next_page_token` where the
/// operation accepts it), or `null` when there is no next page (`info.more_records` false, an
/// empty page, or a cursor that would not move).
///
/// # Safety
/// `operation_id`, `params_json` and `output_json` are NULL or NUL-terminated strings
/// (`params_json` NULL means `null`); `out_json` is NULL or valid for writing one pointer.
#[no_mangle]
pub unsafe extern "C" fn zcrm_next_page(
    operation_id: *const c_char,
    params_json: *const c_char,
    output_json: *const c_char,
    out_json: *mut *mut c_char,
) -> i32 {
    let body = || {
        // SAFETY: per the contract.
        let op_id = unsafe { read_str(operation_id, "operation_id") }?;
        // SAFETY: per the contract.
        let params = unsafe { read_json(params_json, "params_json") }?;
        if output_json.is_null() {
            return Err(null("output_json"));
        }
        // SAFETY: per the contract.
        let output = unsafe { read_json(output_json, "output_json") }?;
        pages::next_page(op_id, params, &output).map(Some)
    };
    // SAFETY: `out_json` is NULL or valid for writes (the contract above).
    unsafe { run(out_json, body) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn handles_are_send_and_sync() {
        assert_send_sync::<ZcrmSession>();
        assert_send_sync::<ZcrmExchange>();
    }

    #[test]
    fn a_panic_becomes_an_error_object() {
        let mut out = ptr::null_mut();
        // SAFETY: a valid out pointer.
        let rc = unsafe {
            run(&mut out, || -> Result<Option<Value>, FfiError> {
                panic!("boom")
            })
        };
        assert_eq!(rc, ZCRM_ERROR);
        // SAFETY: a string from `run`, freed once.
        let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
        // SAFETY: as above.
        unsafe { zcrm_string_free(out) };
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["kind"], "ffi");
        assert_eq!(v["code"], "panic");
        assert!(v["message"].as_str().unwrap().contains("boom"));
    }
}
