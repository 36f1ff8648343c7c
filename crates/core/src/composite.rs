//! Composite requests (`POST /crm/v8/__composite_requests`): up to five calls in one request,
//! each built from any typed endpoint's [`RequestParts`] and each answer parsed by its own
//! endpoint.
//!
//! - Typed: [`Composite`] over a tuple of one to five endpoints answers a tuple of their
//!   outputs, each a `Result` (a sub-request can fail while the others succeed).
//! - Untyped: [`CompositeRequests`] takes [`SubRequest`]s and answers every
//!   [`SubResponse`] (parse one later with [`SubResponse::parse_as`]); it is the registry
//!   operation `composite.execute`.
//!
//! The concurrency flag: Zoho's v8 composite page calls it `parallel_execution`, the v8 OpenAPI
//! file `concurrent_execution` (the v3 name). This SDK sends the v8 page's name and reads both;
//! the mock server accepts both. `rollback_on_fail` with concurrency on is refused before sending
//! (Zoho answers `AMBIGUITY_DURING_PROCESSING`), and so are more than five sub-requests.
//!
//! ```
//! use zohocrm_core::composite::Composite;
//! use zohocrm_core::records::{GetRecord, ListRecords};
//! use zohocrm_core::Endpoint;
//!
//! let batch = Composite::new((
//!     GetRecord::new("Leads", "5725767000000000001"),
//!     ListRecords::new("Contacts", ["Last_Name"]),
//! ));
//! let body: serde_json::Value = match batch.parts().unwrap().body {
//!     zohocrm_core::Body::Json(b) => serde_json::from_slice(&b).unwrap(),
//!     _ => unreachable!(),
//! };
//! assert_eq!(body["__composite_requests"][1]["uri"], "/crm/v8/Contacts");
//! assert_eq!(body["__composite_requests"][1]["params"]["fields"], "Last_Name");
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::endpoint::Endpoint;
use crate::error::{ApiError, BuildError, Error};
use crate::request::{Body, RequestParts};
use crate::response::{decode_error, error_from_response, from_json};
use crate::Host;

/// Sub-requests per composite request (Zoho's limit).
pub const MAX_SUB_REQUESTS: usize = 5;

/// One call inside a composite request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubRequest {
    /// An id later sub-requests can reference (`@{id:$.data[0].details.id}`); Zoho numbers
    /// them when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_request_id: Option<String>,
    /// The method.
    pub method: String,
    /// The path, e.g. `/crm/v8/Leads`.
    pub uri: String,
    /// Query parameters.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub params: Map<String, Value>,
    /// The JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// Headers (never `Authorization` or `X-CRM-ORG`).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub headers: Map<String, Value>,
}

/// Whether `path` is a versioned CRM path: `/crm(/...)?/v{n}[.{m}]/...`.
fn is_crm_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/crm/") else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let is_version = |seg: &str| match seg.strip_prefix('v') {
        Some(n) => match n.split_once('.') {
            Some((major, minor)) => digits(major) && digits(minor),
            None => digits(n),
        },
        None => false,
    };
    let segs: Vec<&str> = rest.split('/').collect();
    segs.iter()
        .enumerate()
        .any(|(i, seg)| is_version(seg) && i + 1 < segs.len())
}

impl SubRequest {
    /// The sub-request of a request description. Only API-host requests with a JSON body (or
    /// none) fit in a composite request.
    pub fn from_parts(parts: &RequestParts) -> Result<Self, BuildError> {
        if parts.host != Host::Api {
            return Err(BuildError::Invalid {
                param: "__composite_requests",
                reason: "only calls to the API host can be sub-requests".into(),
            });
        }
        let uri = parts.encoded_path()?;
        if !is_crm_path(&uri) {
            return Err(BuildError::Invalid {
                param: "__composite_requests",
                reason: format!("`{uri}` is not a versioned CRM path"),
            });
        }
        let mut params = Map::new();
        for (k, v) in &parts.query {
            match params.get_mut(k.as_ref()) {
                Some(Value::String(existing)) => {
                    existing.push(',');
                    existing.push_str(v);
                }
                _ => {
                    params.insert(k.to_string(), Value::String(v.clone()));
                }
            }
        }
        let body = match &parts.body {
            Body::Empty => None,
            Body::Json(bytes) => {
                Some(serde_json::from_slice(bytes).map_err(|e| BuildError::Body(e.to_string()))?)
            }
            _ => {
                return Err(BuildError::Invalid {
                    param: "__composite_requests",
                    reason: "sub-requests carry JSON bodies only".into(),
                })
            }
        };
        let mut headers = Map::new();
        for (name, value) in &parts.headers {
            if matches!(name.as_str(), "authorization" | "x-crm-org") {
                return Err(BuildError::Invalid {
                    param: "__composite_requests",
                    reason: format!("the header `{name}` is not allowed in a sub-request"),
                });
            }
            headers.insert(name.as_str().to_owned(), Value::String(value.clone()));
        }
        Ok(SubRequest {
            sub_request_id: None,
            method: parts.method.as_str().to_owned(),
            uri,
            params,
            body,
            headers,
        })
    }

    /// The sub-request of an endpoint.
    pub fn of<E: Endpoint>(endpoint: &E) -> Result<Self, BuildError> {
        SubRequest::from_parts(&endpoint.parts()?)
    }

    /// Names the sub-request, so later ones can reference its answer.
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.sub_request_id = Some(id.into());
        self
    }
}

/// The answer to one sub-request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubResponse {
    /// The sub-request's HTTP status.
    pub status_code: u16,
    /// Its headers.
    #[serde(default)]
    pub headers: Map<String, Value>,
    /// Its body (`None` for 204).
    #[serde(default)]
    pub body: Option<Value>,
}

impl SubResponse {
    /// The answer as an `http::Response` with a JSON body, as the sub-request's endpoint
    /// expects it.
    pub fn to_http(&self) -> http::Response<Vec<u8>> {
        let body = match &self.body {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => serde_json::to_vec(v).unwrap_or_default(),
        };
        let mut builder = http::Response::builder().status(self.status_code);
        for (k, v) in &self.headers {
            if let Some(v) = v.as_str() {
                builder = builder.header(k.as_str(), v);
            }
        }
        if !body.is_empty() {
            builder = builder.header(http::header::CONTENT_TYPE, "application/json");
        }
        builder.body(body.clone()).unwrap_or_else(|_| {
            let mut r = http::Response::new(body);
            *r.status_mut() = http::StatusCode::from_u16(self.status_code)
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
            r
        })
    }

    /// Parses the answer with the endpoint that built the sub-request.
    pub fn parse_as<E: Endpoint>(&self, endpoint: &E) -> Result<E::Output, Error> {
        let resp = self.to_http();
        let (head, body) = resp.into_parts();
        endpoint.parse(http::Response::from_parts(head, body.as_slice()))
    }
}

/// One item of a composite answer: the sub-request's answer, or Zoho's error about the
/// sub-request itself (not run, rolled back, invalid reference...).
pub type SubOutcome = Result<SubResponse, ApiError>;

/// The answer to a composite request: the HTTP status (200, 207 or 400) and one outcome per
/// sub-request, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CompositeResponse {
    /// The HTTP status.
    pub status: u16,
    /// One outcome per sub-request.
    pub items: Vec<SubOutcome>,
}

impl Serialize for CompositeResponse {
    // The shape of `ActionResults`: `{"status", "items": [{"ok"} | {"error"}]}`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        crate::response::serialize_outcomes(self.status, &self.items, serializer)
    }
}

#[derive(Deserialize)]
struct RawItem {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    details: Value,
}

#[derive(Deserialize)]
struct RawBody {
    #[serde(rename = "__composite_requests")]
    items: Option<Vec<RawItem>>,
}

/// Parses a composite answer.
pub fn parse_composite(
    endpoint: &'static str,
    response: &http::Response<&[u8]>,
) -> Result<CompositeResponse, Error> {
    let status = response.status().as_u16();
    let raw: RawBody = match serde_json::from_slice(response.body()) {
        Ok(r) => r,
        Err(_) if !response.status().is_success() => return Err(error_from_response(response)),
        Err(_) => from_json(endpoint, status, response.body())?,
    };
    let Some(items) = raw.items else {
        return Err(if response.status().is_success() {
            decode_error(
                endpoint,
                status,
                response.body(),
                ".__composite_requests".into(),
                "missing",
            )
        } else {
            error_from_response(response)
        });
    };
    let items = items
        .into_iter()
        .map(|item| {
            let failed = item
                .status
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("error"));
            let inner = item.details.get("response").cloned();
            match (failed, inner) {
                (false, Some(r)) => serde_json::from_value::<SubResponse>(r).map_err(|e| {
                    ApiError::new(
                        crate::ApiErrorCode::Unknown("UNREADABLE_SUB_RESPONSE".into()),
                        e.to_string(),
                    )
                }),
                _ => Err(ApiError {
                    code: crate::ApiErrorCode::parse(item.code.as_deref().unwrap_or("")),
                    message: item.message.unwrap_or_default(),
                    details: item.details,
                }),
            }
        })
        .collect();
    Ok(CompositeResponse { status, items })
}

fn check_flags(rollback: Option<bool>, parallel: Option<bool>) -> Result<(), BuildError> {
    if rollback == Some(true) && parallel == Some(true) {
        return Err(BuildError::Invalid {
            param: "parallel_execution",
            reason: "cannot run in parallel with rollback_on_fail (AMBIGUITY_DURING_PROCESSING)"
                .into(),
        });
    }
    Ok(())
}

fn check_count(n: usize) -> Result<(), BuildError> {
    if n == 0 {
        return Err(BuildError::Missing("__composite_requests"));
    }
    if n > MAX_SUB_REQUESTS {
        return Err(BuildError::Invalid {
            param: "__composite_requests",
            reason: format!("at most {MAX_SUB_REQUESTS} sub-requests, got {n}"),
        });
    }
    Ok(())
}

#[derive(Serialize)]
struct WireBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    rollback_on_fail: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parallel_execution: Option<bool>,
    #[serde(rename = "__composite_requests")]
    requests: &'a [SubRequest],
}

fn composite_parts(
    rollback: Option<bool>,
    parallel: Option<bool>,
    requests: &[SubRequest],
) -> Result<RequestParts, BuildError> {
    check_count(requests.len())?;
    check_flags(rollback, parallel)?;
    let mut ids = std::collections::BTreeSet::new();
    for r in requests {
        if let Some(id) = &r.sub_request_id {
            let valid = id.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !valid {
                return Err(BuildError::Invalid {
                    param: "sub_request_id",
                    reason: format!("`{id}` must match [a-zA-Z0-9][a-zA-Z0-9_]*"),
                });
            }
            if !ids.insert(id.as_str()) {
                return Err(BuildError::Invalid {
                    param: "sub_request_id",
                    reason: format!("`{id}` is used twice"),
                });
            }
        }
    }
    RequestParts::post("/crm/v8/__composite_requests").json(&WireBody {
        rollback_on_fail: rollback,
        parallel_execution: parallel,
        requests,
    })
}

/// A composite request of untyped sub-requests (`composite.execute` in the registry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct CompositeRequests {
    /// Undo every sub-request when one fails (Zoho's default: false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_on_fail: Option<bool>,
    /// Run the sub-requests in parallel (Zoho's default: true, false with rollback). Read
    /// from `concurrent_execution` (the v3 name) too.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "concurrent_execution"
    )]
    pub parallel_execution: Option<bool>,
    /// The sub-requests (1 to 5).
    #[serde(rename = "__composite_requests")]
    pub requests: Vec<SubRequest>,
}

impl CompositeRequests {
    /// A composite request of `requests`.
    pub fn new(requests: impl IntoIterator<Item = SubRequest>) -> Self {
        CompositeRequests {
            rollback_on_fail: None,
            parallel_execution: None,
            requests: requests.into_iter().collect(),
        }
    }

    /// Undo every sub-request when one fails.
    pub fn rollback_on_fail(mut self, rollback: bool) -> Self {
        self.rollback_on_fail = Some(rollback);
        self
    }

    /// Run the sub-requests in parallel or one after the other (`parallel_execution`).
    pub fn parallel_execution(mut self, parallel: bool) -> Self {
        self.parallel_execution = Some(parallel);
        self
    }

    /// [`parallel_execution`](Self::parallel_execution) under its v3 name.
    pub fn concurrent_execution(self, concurrent: bool) -> Self {
        self.parallel_execution(concurrent)
    }
}

impl Endpoint for CompositeRequests {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = CompositeResponse;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        composite_parts(
            self.rollback_on_fail,
            self.parallel_execution,
            &self.requests,
        )
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<CompositeResponse, Error> {
        parse_composite(Self::ID, &response)
    }
}

/// Endpoints that fit in one composite request: tuples of one to five endpoints.
pub trait SubCalls {
    /// One `Result` per endpoint.
    type Outputs;

    /// The sub-requests, in order.
    fn sub_requests(&self) -> Result<Vec<SubRequest>, BuildError>;

    /// Parses each answer with its endpoint. A missing answer is a decode error for that item.
    fn parse_all(&self, status: u16, items: Vec<SubOutcome>) -> Self::Outputs;
}

fn parse_item<E: Endpoint>(
    endpoint: &E,
    status: u16,
    item: Option<SubOutcome>,
    index: usize,
) -> Result<E::Output, Error> {
    match item {
        Some(Ok(resp)) => resp.parse_as(endpoint),
        Some(Err(error)) => Err(Error::Api { status, error }),
        None => Err(decode_error(
            E::ID,
            status,
            &[],
            format!(".__composite_requests[{index}]"),
            "Zoho returned no answer for this sub-request",
        )),
    }
}

macro_rules! sub_calls {
    ($($name:ident $idx:tt),+) => {
        impl<$($name: Endpoint),+> SubCalls for ($($name,)+) {
            type Outputs = ($(Result<$name::Output, Error>,)+);

            fn sub_requests(&self) -> Result<Vec<SubRequest>, BuildError> {
                Ok(vec![$(SubRequest::of(&self.$idx)?),+])
            }

            fn parse_all(&self, status: u16, items: Vec<SubOutcome>) -> Self::Outputs {
                let mut items = items.into_iter();
                ($(parse_item(&self.$idx, status, items.next(), $idx),)+)
            }
        }
    };
}

sub_calls!(A 0);
sub_calls!(A 0, B 1);
sub_calls!(A 0, B 1, C 2);
sub_calls!(A 0, B 1, C 2, D 3);
sub_calls!(A 0, B 1, C 2, D 3, E 4);

/// A composite request of typed endpoints: a tuple of one to five (see the module docs).
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct Composite<T> {
    calls: T,
    rollback_on_fail: Option<bool>,
    parallel_execution: Option<bool>,
}

impl<T: SubCalls> Composite<T> {
    /// The endpoints of `calls`, run in one request.
    pub fn new(calls: T) -> Self {
        Composite {
            calls,
            rollback_on_fail: None,
            parallel_execution: None,
        }
    }

    /// Undo every sub-request when one fails.
    pub fn rollback_on_fail(mut self, rollback: bool) -> Self {
        self.rollback_on_fail = Some(rollback);
        self
    }

    /// Run the sub-requests in parallel or one after the other (`parallel_execution`).
    pub fn parallel_execution(mut self, parallel: bool) -> Self {
        self.parallel_execution = Some(parallel);
        self
    }

    /// [`parallel_execution`](Self::parallel_execution) under its v3 name.
    pub fn concurrent_execution(self, concurrent: bool) -> Self {
        self.parallel_execution(concurrent)
    }

    /// The endpoints.
    pub fn calls(&self) -> &T {
        &self.calls
    }
}

impl<T: SubCalls> Endpoint for Composite<T> {
    const ID: &'static str = CompositeRequests::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&CompositeRequests::SPEC);
    type Output = T::Outputs;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        let requests = self.calls.sub_requests()?;
        composite_parts(self.rollback_on_fail, self.parallel_execution, &requests)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<T::Outputs, Error> {
        let parsed = parse_composite(Self::ID, &response)?;
        Ok(self.calls.parse_all(parsed.status, parsed.items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{GetRecord, InsertRecords, ListRecords};
    use crate::Record;

    #[test]
    fn crm_paths() {
        assert!(is_crm_path("/crm/v8/Leads"));
        assert!(is_crm_path("/crm/bulk/v8/read"));
        assert!(is_crm_path("/crm/v2.1/Leads"));
        assert!(!is_crm_path("/oauth/v2/token"));
        assert!(!is_crm_path("/crm/Leads"));
    }

    #[test]
    fn limits_are_checked_before_sending() {
        let six = CompositeRequests::new(
            (0..6).map(|_| SubRequest::of(&GetRecord::new("Leads", "1")).unwrap()),
        );
        assert!(matches!(six.parts(), Err(BuildError::Invalid { .. })));
        assert!(CompositeRequests::new([]).parts().is_err());
        let both = CompositeRequests::new([SubRequest::of(&GetRecord::new("Leads", "1")).unwrap()])
            .rollback_on_fail(true)
            .concurrent_execution(true);
        assert!(both.parts().is_err());
        let twice = CompositeRequests::new([
            SubRequest::of(&GetRecord::new("Leads", "1"))
                .unwrap()
                .id("a"),
            SubRequest::of(&GetRecord::new("Leads", "2"))
                .unwrap()
                .id("a"),
        ]);
        assert!(twice.parts().is_err());
    }

    #[test]
    fn the_flag_goes_under_its_v8_name_and_reads_under_both() {
        let body = |parts: RequestParts| match parts.body {
            crate::Body::Json(b) => serde_json::from_slice::<serde_json::Value>(&b).unwrap(),
            _ => unreachable!(),
        };
        let typed = Composite::new((GetRecord::new("Leads", "1"),)).parallel_execution(false);
        let sent = body(typed.parts().unwrap());
        assert_eq!(sent["parallel_execution"], false);
        assert!(sent.get("concurrent_execution").is_none());
        for key in ["parallel_execution", "concurrent_execution"] {
            let read: CompositeRequests = serde_json::from_value(serde_json::json!({
                key: true,
                "__composite_requests": [{"method": "GET", "uri": "/crm/v8/Leads"}]
            }))
            .unwrap();
            assert_eq!(read.parallel_execution, Some(true), "{key}");
            assert_eq!(body(read.parts().unwrap())["parallel_execution"], true);
        }
    }

    #[test]
    fn typed_answers() {
        let c = Composite::new((
            InsertRecords::new("Leads", [Record::new().with("Last_Name", "A")]),
            ListRecords::new("Leads", ["Last_Name"]),
            GetRecord::new("Leads", "9"),
        ))
        .rollback_on_fail(false);
        let body = r#"{"__composite_requests":[
            {"code":"SUCCESS","details":{"response":{"headers":{},"status_code":201,"body":{"data":[{"code":"SUCCESS","details":{"id":"7"},"message":"record added","status":"success"}]}}},"message":"composite sub request executed successfully","status":"success"},
            {"code":"SUCCESS","details":{"response":{"headers":{},"status_code":200,"body":{"data":[{"id":"7","Last_Name":"A"}],"info":{"more_records":false}}}},"message":"ok","status":"success"},
            {"code":"PROCESSING_STOPPED","details":{},"message":"stopped","status":"error"}
        ]}"#;
        let (inserted, listed, got) = c
            .parse(
                http::Response::builder()
                    .status(207)
                    .body(body.as_bytes())
                    .unwrap(),
            )
            .unwrap();
        assert_eq!(
            inserted.unwrap().successes().next().unwrap().id(),
            Some("7")
        );
        assert_eq!(listed.unwrap().records.len(), 1);
        assert_eq!(
            got.unwrap_err().api_code().unwrap().as_str(),
            "PROCESSING_STOPPED"
        );
    }
}
