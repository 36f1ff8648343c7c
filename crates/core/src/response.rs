//! Reading Zoho responses: status classification, the four error envelope families, JSON
//! decoding with useful error paths, and per-item outcomes of batch actions.
//!
//! Zoho's envelopes are: a bare status object `{code, details, message, status}`; a wrapper
//! array `{"data"|<resource>: [status, ...]}`; a wrapper object `{<resource>: status}`; and the
//! upload host's `{ERROR_CODE, ERROR_MESSAGE, ...}`. The HTTP status alone does not tell success
//! from failure (errors arrive inside 200 bodies), so the body is always probed.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{excerpt, ApiError, ApiErrorCode, DecodeError, Error};

/// True when the body is empty or only whitespace (204, 304, some 200s).
pub fn is_empty_body(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

fn content_type(resp: &http::Response<&[u8]>) -> String {
    resp.headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// A decode error for `endpoint` from a serde_json error.
pub fn decode_error(
    endpoint: &'static str,
    status: u16,
    body: &[u8],
    path: String,
    reason: impl std::fmt::Display,
) -> Error {
    Error::Decode(DecodeError {
        endpoint,
        status,
        path,
        reason: reason.to_string(),
        excerpt: excerpt(body),
    })
}

/// Deserialises `body` into `T`; on failure reports the JSON path where it failed.
pub fn from_json<T: DeserializeOwned>(
    endpoint: &'static str,
    status: u16,
    body: &[u8],
) -> Result<T, Error> {
    match serde_json::from_slice::<T>(body) {
        Ok(v) => Ok(v),
        Err(first) => {
            // Slow path only on failure: re-run to learn where it failed.
            let mut de = serde_json::Deserializer::from_slice(body);
            let path = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(e) => e.path().to_string(),
                Ok(_) => String::from("."),
            };
            Err(decode_error(
                endpoint,
                status,
                body,
                path,
                format!("{first}"),
            ))
        }
    }
}

/// The shape of a status object, as probed.
#[derive(Deserialize)]
struct StatusProbe {
    #[serde(default)]
    status: Option<Value>,
    #[serde(default)]
    code: Option<Value>,
}

#[derive(Deserialize)]
struct RawStatus {
    #[serde(default)]
    code: Option<Value>,
    #[serde(default)]
    message: Option<Value>,
    #[serde(default)]
    details: Value,
    #[serde(default)]
    status: Option<Value>,
}

fn value_to_string(v: &Option<Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

impl RawStatus {
    fn into_api_error(self) -> ApiError {
        let code = value_to_string(&self.code);
        ApiError {
            code: if code.is_empty() {
                ApiErrorCode::Unknown(String::new())
            } else {
                ApiErrorCode::parse(&code)
            },
            message: value_to_string(&self.message),
            details: self.details,
        }
    }
}

fn status_is_error(status: &Option<Value>) -> bool {
    matches!(status, Some(Value::String(s)) if s.eq_ignore_ascii_case("error") || s.eq_ignore_ascii_case("failure"))
}

/// Whether a JSON value is a Zoho status object (`code` plus `status` or `message`).
fn looks_like_status(v: &Value) -> bool {
    v.as_object().is_some_and(|o| {
        o.contains_key("code") && (o.contains_key("status") || o.contains_key("message"))
    })
}

/// Finds a Zoho error anywhere in the known envelopes of a JSON body.
fn find_error(body: &Value) -> Option<ApiError> {
    let obj = body.as_object()?;
    // Envelope A: bare status object.
    if obj.contains_key("code") && (obj.contains_key("status") || obj.contains_key("message")) {
        let raw = RawStatus::deserialize(body).ok()?;
        if status_is_error(&raw.status) || raw.status.is_none() {
            return Some(raw.into_api_error());
        }
        return None;
    }
    // Upload host: {ERROR_CODE, ERROR_MESSAGE, ...}
    if let Some(code) = obj.get("ERROR_CODE") {
        let code = match code {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let message = obj
            .get("ERROR_MESSAGE")
            .or_else(|| obj.get("x-error"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        return Some(ApiError {
            code: ApiErrorCode::parse(&code),
            message,
            details: body.clone(),
        });
    }
    // Envelopes B/C/D (and the spec's array-of-array variants).
    for v in obj.values() {
        let candidate = match v {
            Value::Array(items) => match items.first() {
                Some(Value::Array(inner)) => inner.first(),
                other => other,
            },
            Value::Object(_) => Some(v),
            _ => None,
        };
        if let Some(item) = candidate.filter(|c| looks_like_status(c)) {
            let raw = RawStatus::deserialize(item).ok()?;
            if status_is_error(&raw.status) {
                return Some(raw.into_api_error());
            }
        }
    }
    // `{x-error, info, status}` (Forbidden from download hosts).
    if let Some(x) = obj.get("x-error").and_then(Value::as_str) {
        return Some(ApiError {
            code: ApiErrorCode::Unknown(
                obj.get("info")
                    .and_then(Value::as_str)
                    .unwrap_or("FORBIDDEN")
                    .to_owned(),
            ),
            message: x.to_owned(),
            details: body.clone(),
        });
    }
    None
}

/// The error for a non-success response: Zoho's error when the body holds one, else [`Error::Http`].
pub fn error_from_response(resp: &http::Response<&[u8]>) -> Error {
    let status = resp.status().as_u16();
    let body = *resp.body();
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        if let Some(error) = find_error(&value) {
            return Error::Api { status, error };
        }
    }
    Error::Http {
        status,
        content_type: content_type(resp),
        excerpt: excerpt(body),
    }
}

/// Checks a 2xx body for a bare error status object (Zoho sends errors inside 200 bodies).
fn error_in_success_body(status: u16, body: &[u8]) -> Option<Error> {
    let probe: StatusProbe = serde_json::from_slice(body).ok()?;
    if probe.code.is_some() && status_is_error(&probe.status) {
        let raw: RawStatus = serde_json::from_slice(body).ok()?;
        return Some(Error::Api {
            status,
            error: raw.into_api_error(),
        });
    }
    None
}

/// Decodes a JSON response into `T`.
///
/// Returns `Ok(None)` for 204, 304 and empty 2xx bodies; `Err(Error::Api)` for Zoho errors,
/// whatever the status; `Err(Error::Http)` for non-2xx without a Zoho body; `Err(Error::Decode)`
/// when a 2xx body does not match `T`.
pub fn decode_json<T: DeserializeOwned>(
    endpoint: &'static str,
    resp: &http::Response<&[u8]>,
) -> Result<Option<T>, Error> {
    let status = resp.status().as_u16();
    let body = *resp.body();
    if status == 304 || (resp.status().is_success() && is_empty_body(body)) {
        return Ok(None);
    }
    if !resp.status().is_success() {
        return Err(error_from_response(resp));
    }
    if let Some(err) = error_in_success_body(status, body) {
        return Err(err);
    }
    from_json(endpoint, status, body).map(Some)
}

/// Decodes a JSON response into a generated model, like [`decode_json`], and also finds Zoho
/// errors nested under a resource key of a 2xx body (`{"users": {"status": "error", ...}}`).
///
/// Those errors can only sit where the body holds the bytes `"status"` followed by `"error"`
/// (or `"failure"`): text inside a JSON string cannot contain an unescaped quote. So one scan of
/// the bytes decides, and only a body that holds such a pair is read as a `Value` to look for
/// the envelope; every other body decodes straight into the model.
pub fn decode_model<T: crate::lenient::FieldType + Default>(
    endpoint: &'static str,
    resp: &http::Response<&[u8]>,
) -> Result<Option<T>, Error> {
    let status = resp.status().as_u16();
    let body = *resp.body();
    if status == 304 || (resp.status().is_success() && is_empty_body(body)) {
        return Ok(None);
    }
    if !resp.status().is_success() {
        return Err(error_from_response(resp));
    }
    let text = std::str::from_utf8(body)
        .map_err(|e| decode_error(endpoint, status, body, ".".into(), e))?;
    if has_error_status(text) {
        if let Ok(value) = serde_json::from_str::<Value>(text) {
            if let Some(error) = find_error(&value) {
                return Err(Error::Api { status, error });
            }
        }
    }
    // Models decode leniently, so this fails only on malformed JSON or a body of another kind.
    crate::lenient::decode(text).map(Some).map_err(|e| {
        decode_error(
            endpoint,
            status,
            body,
            e.path(),
            format!("{} at byte {}", e.reason(), e.offset()),
        )
    })
}

/// Whether `body` holds a `"status"` key whose value is `"error"` or `"failure"` (any case).
/// A text search (std's two-way searcher), so the gate costs little beside the decode itself.
fn has_error_status(body: &str) -> bool {
    body.match_indices("\"status\"").any(|(at, key)| {
        let rest = body[at + key.len()..].trim_start();
        let Some(rest) = rest.strip_prefix(':') else {
            return false;
        };
        let Some(rest) = rest.trim_start().strip_prefix('"') else {
            return false;
        };
        let word = &rest[..rest.find('"').unwrap_or(rest.len())];
        word.eq_ignore_ascii_case("error") || word.eq_ignore_ascii_case("failure")
    })
}

/// A successful item of a batch action (`status: "success"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionSuccess {
    /// The success code, e.g. `SUCCESS` or `SCHEDULED` (empty when Zoho sent none).
    #[serde(default)]
    pub code: String,
    /// Zoho's message.
    #[serde(default)]
    pub message: String,
    /// Zoho's `details`, e.g. `{"id": "..."}` or `{"job_id": "..."}`.
    #[serde(default)]
    pub details: Value,
    /// Any other keys of the item (e.g. `action`, `duplicate_field` on upserts).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ActionSuccess {
    /// `details.id`, the id of the created or changed resource.
    pub fn id(&self) -> Option<&str> {
        self.details.get("id").and_then(Value::as_str)
    }

    /// `details.job_id`, set when the work was scheduled.
    pub fn job_id(&self) -> Option<&str> {
        self.details.get("job_id").and_then(Value::as_str)
    }

    /// Whether the work was scheduled for later (`code: "SCHEDULED"`).
    pub fn is_scheduled(&self) -> bool {
        self.code == "SCHEDULED"
    }
}

/// The outcome of one item of a batch action: success, or Zoho's error for that item.
pub type ItemOutcome = Result<ActionSuccess, ApiError>;

/// Per-item outcomes of a batch action, in the order Zoho returned them (the input order).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ActionResults {
    /// The HTTP status (200, 201, 202, 207, or 4xx when every item failed).
    pub status: u16,
    /// One outcome per item.
    pub items: Vec<ItemOutcome>,
}

impl Serialize for ActionResults {
    // `{"status": 207, "items": [{"ok": {...}} | {"error": {...}}]}`: stable for snapshots and bindings.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_outcomes(self.status, &self.items, serializer)
    }
}

/// Serialises per-item outcomes as `{"status": N, "items": [{"ok": ...} | {"error": ...}]}`
/// (batch actions, composite answers).
pub(crate) fn serialize_outcomes<S: serde::Serializer, T: Serialize>(
    status: u16,
    items: &[Result<T, ApiError>],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    #[serde(rename_all = "lowercase")]
    enum Item<'a, T> {
        Ok(&'a T),
        Error(&'a ApiError),
    }
    #[derive(Serialize)]
    struct Out<'a, T> {
        status: u16,
        items: Vec<Item<'a, T>>,
    }
    Out {
        status,
        items: items
            .iter()
            .map(|i| match i {
                Ok(s) => Item::Ok(s),
                Err(e) => Item::Error(e),
            })
            .collect(),
    }
    .serialize(serializer)
}

impl ActionResults {
    /// Whether every item succeeded.
    pub fn all_succeeded(&self) -> bool {
        self.items.iter().all(Result::is_ok)
    }

    /// The successful items.
    pub fn successes(&self) -> impl Iterator<Item = &ActionSuccess> {
        self.items.iter().filter_map(|r| r.as_ref().ok())
    }

    /// The failed items with their index.
    pub fn failures(&self) -> impl Iterator<Item = (usize, &ApiError)> {
        self.items
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().err().map(|e| (i, e)))
    }

    /// The successes, or the first item error as an [`Error::Api`].
    pub fn into_result(self) -> Result<Vec<ActionSuccess>, Error> {
        let status = self.status;
        self.items
            .into_iter()
            .map(|r| r.map_err(|error| Error::Api { status, error }))
            .collect()
    }
}

fn item_outcome(item: Value) -> Result<ItemOutcome, serde_json::Error> {
    // Read the item once, by value: no copy of the tree.
    let failed = match item.get("status") {
        Some(Value::String(s)) => {
            s.eq_ignore_ascii_case("error") || s.eq_ignore_ascii_case("failure")
        }
        _ => false,
    };
    if failed {
        Ok(Err(RawStatus::deserialize(item)?.into_api_error()))
    } else {
        Ok(Ok(ActionSuccess::deserialize(item)?))
    }
}

/// Parses a batch action response whose items sit under `key` (`"data"`, `"territories"`,
/// `"users"`, ...). Items come back as outcomes even when the status is 207 or a 4xx with every
/// item failed; a top-level error is `Err(Error::Api)`; 204 yields no items.
pub fn decode_action_results(
    endpoint: &'static str,
    key: &str,
    resp: &http::Response<&[u8]>,
) -> Result<ActionResults, Error> {
    let status = resp.status().as_u16();
    let body = *resp.body();
    if resp.status().is_success() && is_empty_body(body) {
        return Ok(ActionResults {
            status,
            items: Vec::new(),
        });
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) if resp.status().is_success() => {
            return Err(decode_error(endpoint, status, body, ".".into(), e))
        }
        Err(_) => return Err(error_from_response(resp)),
    };
    let failed = (!resp.status().is_success()).then_some(resp);
    action_results(endpoint, key, status, value, body, failed)
}

/// Per-item outcomes from an already decoded 2xx body (e.g. an
/// [`ApiResponse`](crate::outputs::ApiResponse)), with the rules of [`decode_action_results`].
pub fn action_results_from_value(
    endpoint: &'static str,
    key: &str,
    status: u16,
    value: Value,
) -> Result<ActionResults, Error> {
    action_results(endpoint, key, status, value, &[], None)
}

/// The envelope rules of batch answers. `failed` is the response when its status is not a
/// success (its Zoho error is reported when no item array is found); `body` feeds excerpts.
fn action_results(
    endpoint: &'static str,
    key: &str,
    status: u16,
    value: Value,
    body: &[u8],
    failed: Option<&http::Response<&[u8]>>,
) -> Result<ActionResults, Error> {
    let Value::Object(mut obj) = value else {
        return Err(match failed {
            None => decode_error(endpoint, status, body, ".".into(), "expected a JSON object"),
            Some(resp) => error_from_response(resp),
        });
    };
    // The wrapper key, or failing that any array of status objects.
    let items = match obj.remove(key) {
        Some(v) => Some(v),
        None => {
            let other = obj
                .iter()
                .find(|(_, v)| {
                    v.as_array()
                        .and_then(|a| a.first())
                        .is_some_and(looks_like_status)
                })
                .map(|(k, _)| k.clone());
            other.and_then(|k| obj.remove(&k))
        }
    };
    match items {
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                // Flatten the spec's array-of-array variant.
                let item = match item {
                    Value::Array(mut inner) if inner.len() == 1 => inner.remove(0),
                    other => other,
                };
                out.push(
                    item_outcome(item).map_err(|e| {
                        decode_error(endpoint, status, body, format!("{key}[{i}]"), e)
                    })?,
                );
            }
            Ok(ActionResults { status, items: out })
        }
        // A single status object under the key (the spec names the key; `code` is enough).
        Some(item @ Value::Object(_)) if item.get("code").is_some() => {
            let outcome = item_outcome(item)
                .map_err(|e| decode_error(endpoint, status, body, key.to_owned(), e))?;
            match outcome {
                Ok(s) => Ok(ActionResults {
                    status,
                    items: vec![Ok(s)],
                }),
                Err(error) => Err(Error::Api { status, error }),
            }
        }
        _ => {
            let whole = Value::Object(obj);
            if looks_like_status(&whole) {
                match item_outcome(whole)
                    .map_err(|e| decode_error(endpoint, status, body, ".".into(), e))?
                {
                    Ok(s) => match failed {
                        None => Ok(ActionResults {
                            status,
                            items: vec![Ok(s)],
                        }),
                        Some(resp) => Err(error_from_response(resp)),
                    },
                    Err(error) => Err(Error::Api { status, error }),
                }
            } else {
                Err(match failed {
                    None => decode_error(
                        endpoint,
                        status,
                        body,
                        key.to_owned(),
                        format!("expected `{key}` to hold an array of status objects"),
                    ),
                    Some(resp) => error_from_response(resp),
                })
            }
        }
    }
}

/// The `info` object of paged list responses. Every field is optional; `count` accepts a string;
/// absent fields are not written back.
#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PageInfo {
    /// Records per page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u32>,
    /// Records on this page.
    #[serde(deserialize_with = "crate::models::lenient_u64::option")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// The page number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Whether more records follow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub more_records: Option<bool>,
    /// The token for the next page (record lists past 2,000 records).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
    /// The token for the previous page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_page_token: Option<String>,
    /// When `next_page_token` expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_token_expiry: Option<String>,
    /// Any other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl std::fmt::Debug for PageInfo {
    // Only what Zoho sent, like the generated models.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("PageInfo");
        let mut field = |name: &str, value: Option<&dyn std::fmt::Debug>| {
            if let Some(v) = value {
                d.field(name, v);
            }
        };
        field("per_page", self.per_page.as_ref().map(|v| v as _));
        field("count", self.count.as_ref().map(|v| v as _));
        field("page", self.page.as_ref().map(|v| v as _));
        field("more_records", self.more_records.as_ref().map(|v| v as _));
        field(
            "next_page_token",
            self.next_page_token.as_ref().map(|v| v as _),
        );
        field(
            "previous_page_token",
            self.previous_page_token.as_ref().map(|v| v as _),
        );
        field(
            "page_token_expiry",
            self.page_token_expiry.as_ref().map(|v| v as _),
        );
        crate::lenient::debug_extra(&mut d, &self.extra);
        d.finish()
    }
}

impl PageInfo {
    /// `more_records`, false when absent.
    pub fn has_more(&self) -> bool {
        self.more_records.unwrap_or(false)
    }
}

/// A response body read as an untyped JSON value, with Zoho errors detected (the generic output
/// for endpoints without a hand-verified model). `None` for 204/304.
pub fn decode_value(
    endpoint: &'static str,
    resp: &http::Response<&[u8]>,
) -> Result<Option<Value>, Error> {
    decode_json::<Value>(endpoint, resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> http::Response<&[u8]> {
        http::Response::builder()
            .status(status)
            .body(body.as_bytes())
            .unwrap()
    }

    #[test]
    fn bare_error_in_200_is_an_error() {
        let r = resp(
            200,
            r#"{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}"#,
        );
        let e = decode_json::<Value>("t", &r).unwrap_err();
        assert_eq!(e.api_code(), Some(&ApiErrorCode::InvalidToken));
    }

    #[test]
    fn html_error_page_is_http_error() {
        let r = resp(502, "<html><body>Bad gateway</body></html>");
        match decode_json::<Value>("t", &r).unwrap_err() {
            Error::Http {
                status, excerpt, ..
            } => {
                assert_eq!(status, 502);
                assert!(excerpt.starts_with("<html>"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn wrapped_error_is_found() {
        let r = resp(
            400,
            r#"{"territories":[{"code":"DUPLICATE_DATA","details":{"api_name":"name"},"message":"duplicate data","status":"error"}]}"#,
        );
        let e = decode_json::<Value>("t", &r).unwrap_err();
        assert_eq!(e.api_code(), Some(&ApiErrorCode::DuplicateData));
    }

    #[test]
    fn mixed_batch_is_per_item() {
        let r = resp(
            207,
            r#"{"data":[{"code":"SUCCESS","details":{"id":"1"},"message":"record added","status":"success"},
                {"code":"INVALID_DATA","details":{"api_name":"Email"},"message":"invalid data","status":"error"}]}"#,
        );
        let out = decode_action_results("t", "data", &r).unwrap();
        assert_eq!(out.items.len(), 2);
        assert_eq!(out.items[0].as_ref().unwrap().id(), Some("1"));
        assert_eq!(
            out.items[1].as_ref().unwrap_err().code,
            ApiErrorCode::InvalidData
        );
        assert!(!out.all_succeeded());
    }

    #[test]
    fn truncated_body_is_decode_error() {
        let r = resp(200, r#"{"territories":[{"id":"1""#);
        assert!(matches!(
            decode_json::<Value>("t", &r),
            Err(Error::Decode(_))
        ));
        assert!(matches!(
            decode_action_results("t", "territories", &r),
            Err(Error::Decode(_))
        ));
    }

    #[test]
    fn empty_204_is_none() {
        assert_eq!(decode_json::<Value>("t", &resp(204, "")).unwrap(), None);
    }
}
