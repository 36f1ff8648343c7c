//! Safe wrappers over the extern functions, as a Rust binding would write them.

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use base64::Engine as _;
use serde_json::Value;
use zohocrm_ffi::*;

/// Takes an owned string from the library, parses it and frees it.
pub fn take(ptr: *mut c_char) -> Option<Value> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: a non-null string returned by the library, freed once right after.
    let text = unsafe { CStr::from_ptr(ptr) }.to_str().unwrap().to_owned();
    // SAFETY: as above.
    unsafe { zcrm_string_free(ptr) };
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")))
}

fn result(rc: i32, out: *mut c_char) -> Result<Option<Value>, Value> {
    let value = take(out);
    match rc {
        ZCRM_OK => Ok(value),
        ZCRM_ERROR => Err(value.expect("an error object")),
        other => panic!("unexpected return code {other}"),
    }
}

pub fn cstr(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// An owned session handle.
pub struct Session(pub *mut ZcrmSession);

// SAFETY: the library documents session handles as usable from any thread.
unsafe impl Send for Session {}
// SAFETY: as above.
unsafe impl Sync for Session {}

impl Session {
    pub fn new(config: &Value) -> Result<Session, Value> {
        let config = cstr(&config.to_string());
        let mut handle = ptr::null_mut();
        let mut err = ptr::null_mut();
        // SAFETY: valid string and out pointers.
        let rc = unsafe { zcrm_session_new(config.as_ptr(), &mut handle, &mut err) };
        result(rc, err).map(|_| Session(handle))
    }

    pub fn info(&self) -> Value {
        let mut out = ptr::null_mut();
        // SAFETY: a live handle and a valid out pointer.
        let rc = unsafe { zcrm_session_info(self.0, &mut out) };
        result(rc, out).unwrap().unwrap()
    }

    pub fn exchange(&self, op: &str, params: Option<&Value>, seed: u64) -> Result<Exchange, Value> {
        let op = cstr(op);
        let params = params.map(|p| cstr(&p.to_string()));
        let mut handle = ptr::null_mut();
        let mut err = ptr::null_mut();
        // SAFETY: a live handle, valid strings (or NULL) and out pointers.
        let rc = unsafe {
            zcrm_exchange_new(
                self.0,
                op.as_ptr(),
                params.as_ref().map_or(ptr::null(), |p| p.as_ptr()),
                seed,
                &mut handle,
                &mut err,
            )
        };
        result(rc, err).map(|_| Exchange(handle))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // SAFETY: freed once.
        unsafe { zcrm_session_free(self.0) }
    }
}

/// An owned exchange handle.
pub struct Exchange(pub *mut ZcrmExchange);

impl Exchange {
    pub fn poll(&mut self, now_ms: i64) -> Value {
        let mut out = ptr::null_mut();
        // SAFETY: a live handle and a valid out pointer.
        let rc = unsafe { zcrm_exchange_poll(self.0, now_ms, &mut out) };
        result(rc, out)
            .unwrap_or_else(|e| panic!("poll failed: {e}"))
            .unwrap()
    }

    pub fn respond(
        &mut self,
        now_ms: i64,
        status: u16,
        headers: &Value,
        body: &[u8],
    ) -> Result<(), Value> {
        let headers = cstr(&headers.to_string());
        let mut err = ptr::null_mut();
        // SAFETY: a live handle; `body` is valid for its length.
        let rc = unsafe {
            zcrm_exchange_on_response(
                self.0,
                now_ms,
                status,
                headers.as_ptr(),
                body.as_ptr(),
                body.len(),
                &mut err,
            )
        };
        result(rc, err).map(|v| assert!(v.is_none()))
    }

    pub fn transport_error(&mut self, now_ms: i64, kind: &str, message: &str) -> Result<(), Value> {
        let kind = cstr(kind);
        let message = cstr(message);
        let mut err = ptr::null_mut();
        // SAFETY: a live handle and valid strings.
        let rc = unsafe {
            zcrm_exchange_on_transport_error(
                self.0,
                now_ms,
                kind.as_ptr(),
                message.as_ptr(),
                &mut err,
            )
        };
        result(rc, err).map(|v| assert!(v.is_none()))
    }
}

impl Drop for Exchange {
    fn drop(&mut self) {
        // SAFETY: freed once.
        unsafe { zcrm_exchange_free(self.0) }
    }
}

/// The `http::Request` described by a `send` step.
pub fn request_of(step: &Value) -> http::Request<Vec<u8>> {
    assert_eq!(step["step"], "send", "{step}");
    let body = base64::engine::general_purpose::STANDARD
        .decode(step["body_base64"].as_str().unwrap())
        .unwrap();
    let mut builder = http::Request::builder()
        .method(step["method"].as_str().unwrap())
        .uri(step["url"].as_str().unwrap());
    for pair in step["headers"].as_array().unwrap() {
        builder = builder.header(pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
    }
    builder.body(body).unwrap()
}

/// Headers as the `[[name, value], ...]` JSON the ABI takes.
pub fn headers_json(headers: &http::HeaderMap) -> Value {
    Value::Array(
        headers
            .iter()
            .map(|(k, v)| serde_json::json!([k.as_str(), v.to_str().unwrap_or("")]))
            .collect(),
    )
}

/// 2023-11-14T22:13:20Z in milliseconds: a fixed clock for tests.
pub const NOW: i64 = 1_700_000_000_000;
