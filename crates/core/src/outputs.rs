//! Outputs of the generated endpoints, and the small non-generic helpers their code calls.
//!
//! Generated endpoints return [`ApiResponse`] (any JSON envelope, kept as a JSON value, with
//! Zoho errors detected) or [`Download`] (a file). Typed models live in the hand-written modules
//! (`features`, `territories`, ...); this module holds none.

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{BuildError, Error};
use crate::request::{Body, Multipart, Part, RequestParts};
use crate::response::{
    decode_action_results, decode_value, error_from_response, ActionResults, PageInfo,
};

/// A JSON response of a generated endpoint: the HTTP status and the body, `None` for 204, 304 and
/// empty bodies.
///
/// Building one never fails on the body's shape; it fails only when the body is a Zoho error: a
/// non-2xx status, a bare error status object, or an error object under a wrapper key
/// (`{"users": {"status": "error", ...}}`). Errors of single items in batch answers
/// (`{"data": [{...success}, {...error}]}`, HTTP 207 or 200) are per-item outcomes: see
/// [`outcomes`](ApiResponse::outcomes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiResponse {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body, `None` when there is none.
    pub body: Option<Value>,
}

/// Whether `v` is a status object with `status: "error"`.
fn is_error_status(v: &Value) -> bool {
    v.get("code").is_some()
        && v.get("status")
            .and_then(Value::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("error"))
}

impl ApiResponse {
    /// Parses any response of the endpoint `endpoint`.
    pub fn parse(endpoint: &'static str, response: http::Response<&[u8]>) -> Result<Self, Error> {
        let status = response.status().as_u16();
        let body = decode_value(endpoint, &response)?;
        // Envelope D inside a 2xx: `{<resource>: {code, status: "error", ...}}`.
        if let Some(Value::Object(obj)) = &body {
            if obj.values().any(is_error_status) {
                return Err(error_from_response(&response));
            }
        }
        Ok(ApiResponse { status, body })
    }

    /// The value under `key` of the body (e.g. `"users"`, `"info"`).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.body.as_ref()?.get(key)
    }

    /// The array under `key`, or an empty slice.
    pub fn items(&self, key: &str) -> &[Value] {
        self.get(key)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The `data` array of record answers, or an empty slice.
    pub fn data(&self) -> &[Value] {
        self.items("data")
    }

    /// The `info` object of paged answers.
    pub fn info(&self) -> Option<PageInfo> {
        serde_json::from_value(self.get("info")?.clone()).ok()
    }

    /// Per-item outcomes of a batch action whose status objects sit under `key` (`"data"`,
    /// `"users"`, ...; any array of status objects is found when `key` is absent). A bare
    /// success status object is one item.
    pub fn outcomes(&self, key: &str) -> Result<ActionResults, Error> {
        let bytes = match &self.body {
            Some(v) => serde_json::to_vec(v).unwrap_or_default(),
            None => Vec::new(),
        };
        let response = http::Response::builder()
            .status(self.status)
            .body(bytes.as_slice())
            .map_err(|e| BuildError::InvalidConfig(e.to_string()))?;
        decode_action_results("outputs.api_response", key, &response)
    }
}

/// A downloaded file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Download {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type`, when sent.
    pub content_type: Option<String>,
    /// The file name from `Content-Disposition`, when sent.
    pub file_name: Option<String>,
    /// The bytes (serialised as a string when they are UTF-8 text, else as an array of bytes).
    #[serde(with = "lossless_bytes")]
    pub bytes: Vec<u8>,
}

impl Download {
    /// Parses a download response: non-2xx statuses and JSON error bodies are errors; anything
    /// else is the file.
    pub fn parse(endpoint: &'static str, response: http::Response<&[u8]>) -> Result<Self, Error> {
        let status = response.status().as_u16();
        if !response.status().is_success() {
            return Err(error_from_response(&response));
        }
        let header = |name: http::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(http::header::CONTENT_TYPE);
        if content_type
            .as_deref()
            .is_some_and(|ct| ct.contains("json"))
        {
            // Zoho answers errors of download endpoints as JSON, sometimes with a 2xx status.
            if let Some(Value::Object(obj)) = decode_value(endpoint, &response)? {
                if obj.values().any(is_error_status) {
                    return Err(error_from_response(&response));
                }
            }
        }
        let file_name = header(http::header::CONTENT_DISPOSITION).and_then(|d| file_name(&d));
        Ok(Download {
            status,
            content_type,
            file_name,
            bytes: response.body().to_vec(),
        })
    }
}

/// The file name of a `Content-Disposition` value (`filename*=UTF-8''...` preferred).
fn file_name(disposition: &str) -> Option<String> {
    let mut plain = None;
    for param in disposition.split(';').map(str::trim) {
        let Some((key, value)) = param.split_once('=') else {
            continue;
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "filename*" => {
                let encoded = value.trim().rsplit('\'').next().unwrap_or_default();
                let decoded = percent_encoding::percent_decode_str(encoded).decode_utf8_lossy();
                return Some(decoded.into_owned());
            }
            "filename" => plain = Some(value.trim().trim_matches('"').to_owned()),
            _ => {}
        }
    }
    plain.filter(|s| !s.is_empty())
}

/// A file to upload as one part of a `multipart/form-data` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilePart {
    /// The file name sent to Zoho.
    pub file_name: String,
    /// The content type, e.g. `application/zip` or `image/png`.
    #[serde(default)]
    pub content_type: Option<String>,
    /// The bytes (in JSON: a string of UTF-8 text or an array of bytes).
    #[serde(with = "lossless_bytes")]
    pub data: Vec<u8>,
}

impl FilePart {
    /// A file part.
    pub fn new(file_name: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        FilePart {
            file_name: file_name.into(),
            content_type: None,
            data: data.into(),
        }
    }

    /// Sets the content type.
    #[must_use]
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }
}

/// Bytes as a JSON string when they are UTF-8, else as an array of numbers; both are accepted.
mod lossless_bytes {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};
    use serde_json::Value;

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(bytes) {
            Ok(text) => s.serialize_str(text),
            Err(_) => s.collect_seq(bytes),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(s.into_bytes()),
            Value::Array(items) => items
                .into_iter()
                .map(|v| {
                    v.as_u64()
                        .and_then(|n| u8::try_from(n).ok())
                        .ok_or_else(|| D::Error::custom("expected a byte"))
                })
                .collect(),
            Value::Null => Ok(Vec::new()),
            _ => Err(D::Error::custom("expected a string or an array of bytes")),
        }
    }
}

/// The JSON input of a generated endpoint (`{"id": "...", "per_page": 200, "body": {...}}`), read
/// field by field.
///
/// Generated endpoints implement `Serialize` and `Deserialize` through this type instead of
/// deriving them: one shared, non-generic reader and writer instead of serde code per endpoint
/// keeps the 400-odd endpoints cheap to compile (derived impls cost about 3 s of a clean build).
/// Unknown keys are rejected, so a misspelt parameter is an error.
#[derive(Debug, Default)]
pub struct Input(Map<String, Value>);

impl<'de> Deserialize<'de> for Input {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Input(
            Option::<Map<String, Value>>::deserialize(d)?.unwrap_or_default(),
        ))
    }
}

impl Serialize for Input {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl Input {
    /// Adds a string parameter (the reverse of [`string`](Input::string) / [`path`](Input::path)).
    pub fn put_str(&mut self, name: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.0.insert(name.to_owned(), Value::String(v.to_owned()));
        }
    }

    /// Adds an integer parameter.
    pub fn put_int(&mut self, name: &str, value: Option<i64>) {
        if let Some(v) = value {
            self.0.insert(name.to_owned(), Value::from(v));
        }
    }

    /// Adds a boolean parameter.
    pub fn put_bool(&mut self, name: &str, value: Option<bool>) {
        if let Some(v) = value {
            self.0.insert(name.to_owned(), Value::Bool(v));
        }
    }

    /// Adds the JSON body.
    pub fn put_json(&mut self, name: &str, value: Option<&Value>) {
        if let Some(v) = value {
            self.0.insert(name.to_owned(), v.clone());
        }
    }

    /// Adds file parts.
    pub fn put_files(&mut self, name: &str, files: &[FilePart]) {
        if !files.is_empty() {
            let v = serde_json::to_value(files).unwrap_or(Value::Null);
            self.0.insert(name.to_owned(), v);
        }
    }

    /// The input from a JSON value: an object, or `null` for no parameters.
    pub fn from_value(input: &Value) -> Result<Self, BuildError> {
        match input {
            Value::Null => Ok(Input::default()),
            Value::Object(map) => Ok(Input(map.clone())),
            other => Err(input_error(format!("expected an object, got {other}"))),
        }
    }

    /// A required path parameter (a string; numbers are accepted).
    pub fn path(&mut self, name: &str) -> Result<String, String> {
        self.string(name)?
            .ok_or_else(|| format!("missing path parameter `{name}`"))
    }

    /// An optional string parameter; numbers and booleans are taken as text, and JSON objects
    /// or arrays (e.g. `filters`) as their JSON text.
    pub fn string(&mut self, name: &str) -> Result<Option<String>, String> {
        Ok(match self.0.remove(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(other) => Some(other.to_string()),
        })
    }

    /// An optional integer parameter (a number or a numeric string).
    pub fn int(&mut self, name: &str) -> Result<Option<i64>, String> {
        match self.0.remove(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
            Some(Value::String(s)) if s.trim().parse::<i64>().is_ok() => Ok(s.trim().parse().ok()),
            Some(other) => Err(format!("`{name}` must be an integer, got {other}")),
        }
    }

    /// An optional boolean parameter (`true`/`false`, also as strings).
    pub fn bool(&mut self, name: &str) -> Result<Option<bool>, String> {
        match self.0.remove(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
            Some(other) => Err(format!("`{name}` must be a boolean, got {other}")),
        }
    }

    /// The JSON body (`body`).
    pub fn json(&mut self, name: &str) -> Option<Value> {
        self.0.remove(name).filter(|v| !v.is_null())
    }

    /// File parts (`file`): one [`FilePart`] object or an array of them.
    pub fn files(&mut self, name: &str) -> Result<Vec<FilePart>, String> {
        let parts = match self.0.remove(name) {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(one) => vec![one],
        };
        parts
            .into_iter()
            .map(|v| serde_json::from_value(v).map_err(|e| format!("`{name}`: {e}")))
            .collect()
    }

    /// Fails when keys are left that the endpoint does not know.
    pub fn finish(self, endpoint: &str) -> Result<(), String> {
        match self.0.keys().next() {
            None => Ok(()),
            Some(key) => Err(format!("`{endpoint}` has no parameter `{key}`")),
        }
    }
}

/// The build error of an invalid JSON input.
pub fn input_error(reason: String) -> BuildError {
    BuildError::InvalidConfig(format!("invalid input: {reason}"))
}

/// [`ApiResponse::parse`], as JSON (the registry's parse function of generated endpoints).
pub fn api_response_value(
    endpoint: &'static str,
    response: http::Response<&[u8]>,
) -> Result<Value, Error> {
    let out = ApiResponse::parse(endpoint, response)?;
    Ok(serde_json::json!({ "status": out.status, "body": out.body }))
}

/// [`Download::parse`], as JSON (the registry's parse function of generated downloads).
pub fn download_value(
    endpoint: &'static str,
    response: http::Response<&[u8]>,
) -> Result<Value, Error> {
    let status = response.status().as_u16();
    let out = Download::parse(endpoint, response)?;
    serde_json::to_value(out)
        .map_err(|e| crate::response::decode_error(endpoint, status, &[], ".".into(), e))
}

/// The value of a required query or header parameter, or [`BuildError::Missing`].
pub fn required<T>(value: Option<T>, name: &'static str) -> Result<T, BuildError> {
    value.ok_or(BuildError::Missing(name))
}

/// Fails with [`BuildError::Missing`] when a path parameter is empty.
pub fn non_empty(value: &str, name: &'static str) -> Result<(), BuildError> {
    if value.trim().is_empty() {
        Err(BuildError::Missing(name))
    } else {
        Ok(())
    }
}

/// Adds the JSON body when there is one; a missing required body is [`BuildError::Missing`].
pub fn json_body(
    parts: RequestParts,
    body: Option<&Value>,
    required: bool,
) -> Result<RequestParts, BuildError> {
    match body {
        Some(body) => parts.json(body),
        None if required => Err(BuildError::Missing("body")),
        None => Ok(parts),
    }
}

/// Adds a `multipart/form-data` body with one part named `field` per file.
pub fn multipart_body(
    parts: RequestParts,
    field: &str,
    files: &[FilePart],
    required: bool,
) -> Result<RequestParts, BuildError> {
    if files.is_empty() {
        return if required {
            Err(BuildError::Missing("file"))
        } else {
            Ok(parts)
        };
    }
    let multipart = Multipart {
        parts: files
            .iter()
            .map(|f| Part {
                name: field.to_owned(),
                file_name: Some(f.file_name.clone()),
                content_type: f.content_type.clone(),
                data: f.data.clone(),
            })
            .collect(),
    };
    Ok(parts.body(Body::Multipart(multipart)))
}

/// A request for a download URL from an earlier answer (`GET /{download_url}`): the URL is never
/// percent-encoded as one path segment. Its path and query are re-encoded segment by segment on
/// the API host (or the content host for `content.` URLs). URLs on hosts outside the context's
/// Zoho API hosts are rejected: fetch those with the transport directly.
pub fn download_url_parts(method: Method, url: &str) -> Result<RequestParts, BuildError> {
    let invalid = |reason: String| BuildError::Invalid {
        param: "download_url",
        reason,
    };
    let (host, rest) = match url.split_once("://") {
        Some((_, after)) => {
            let (authority, rest) = after.split_at(after.find('/').unwrap_or(after.len()));
            let host = if authority.starts_with("content.zohoapis.") {
                crate::context::Host::Content
            } else if authority.contains("zohoapis.") {
                crate::context::Host::Api
            } else {
                return Err(invalid(format!(
                    "`{authority}` is not a Zoho API host; fetch this URL with the transport directly"
                )));
            };
            (host, rest)
        }
        None => (crate::context::Host::Api, url),
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect();
    if segments.is_empty() {
        return Err(invalid(format!("`{url}` has no path")));
    }
    let template = "/{segment}".repeat(segments.len());
    let mut parts = RequestParts::new(method, host, template);
    for segment in segments {
        parts = parts.path_param(segment);
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        parts = parts.query(decode(k), decode(v));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Context, DataCenter, Environment};
    use crate::request::assemble;

    fn resp(status: u16, body: &str) -> http::Response<&[u8]> {
        http::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(body.as_bytes())
            .unwrap()
    }

    #[test]
    fn api_response_envelopes() {
        let ok = ApiResponse::parse(
            "t",
            resp(
                200,
                r#"{"users":[{"id":"1"}],"info":{"more_records":false}}"#,
            ),
        )
        .unwrap();
        assert_eq!(ok.items("users").len(), 1);
        assert!(!ok.info().unwrap().has_more());
        assert_eq!(ApiResponse::parse("t", resp(204, "")).unwrap().body, None);
        assert_eq!(ApiResponse::parse("t", resp(304, "")).unwrap().body, None);
        // Bare error in a 200, wrapped error object in a 200, error statuses.
        for (status, body) in [
            (
                200,
                r#"{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}"#,
            ),
            (
                200,
                r#"{"business_hours":{"code":"INVALID_DATA","details":{},"message":"x","status":"error"}}"#,
            ),
            (
                400,
                r#"{"users":[{"code":"MANDATORY_NOT_FOUND","details":{},"message":"x","status":"error"}]}"#,
            ),
        ] {
            assert!(
                matches!(
                    ApiResponse::parse("t", resp(status, body)),
                    Err(Error::Api { .. })
                ),
                "{body}"
            );
        }
        // A mixed batch is a success with per-item outcomes.
        let mixed = ApiResponse::parse(
            "t",
            resp(207, r#"{"data":[{"code":"SUCCESS","details":{"id":"1"},"message":"ok","status":"success"},{"code":"INVALID_DATA","details":{},"message":"bad","status":"error"}]}"#),
        )
        .unwrap();
        let outcomes = mixed.outcomes("data").unwrap();
        assert_eq!(outcomes.items.len(), 2);
        assert!(!outcomes.all_succeeded());
    }

    #[test]
    fn download_reads_file_name_and_errors() {
        let r = http::Response::builder()
            .status(200)
            .header("content-type", "application/x-download")
            .header(
                "content-disposition",
                "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.zip",
            )
            .body(&b"\x89PNG"[..])
            .unwrap();
        let d = Download::parse("t", r).unwrap();
        assert_eq!(d.file_name.as_deref(), Some("résumé.zip"));
        assert_eq!(d.bytes, b"\x89PNG");
        assert_eq!(
            file_name("attachment; filename=\"a b.csv\"").as_deref(),
            Some("a b.csv")
        );
        let err = resp(
            400,
            r#"{"code":"INVALID_DATA","details":{},"message":"x","status":"error"}"#,
        );
        assert!(matches!(Download::parse("t", err), Err(Error::Api { .. })));
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["bytes"], serde_json::json!([0x89, 80, 78, 71]));
    }

    #[test]
    fn download_url_is_not_one_segment() {
        let ctx = Context::new(DataCenter::Us, Environment::Production);
        let parts = download_url_parts(
            Method::GET,
            "https://www.zohoapis.com/crm/v8/files/a%20b.zip?x=1&y=%26",
        )
        .unwrap();
        let req = assemble(&ctx, &parts).unwrap();
        assert_eq!(
            req.uri().to_string(),
            "https://www.zohoapis.com/crm/v8/files/a%20b.zip?x=1&y=%26"
        );
        assert!(download_url_parts(Method::GET, "https://evil.example/x").is_err());
    }

    #[test]
    fn file_parts_round_trip_json() {
        let part = FilePart::new("a.csv", "x,y\n").content_type("text/csv");
        let json = serde_json::to_value(&part).unwrap();
        assert_eq!(json["data"], "x,y\n");
        assert_eq!(serde_json::from_value::<FilePart>(json).unwrap(), part);
    }

    /// Generated endpoints: percent-encoding round trip, build-time validation and the JSON
    /// input contract (names as the API spells them).
    #[cfg(feature = "records")]
    mod generated {
        use super::*;
        use crate::endpoint::Endpoint;
        use crate::generated::{module_search, record};
        use crate::registry;

        fn decode(s: &str) -> String {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .unwrap()
                .into_owned()
        }

        #[test]
        fn path_and_query_values_round_trip() {
            let nasty = "a&b+c#d/e?f%g h";
            let ep = record::GetRecord::new("httpLogs__c", nasty)
                .fields(nasty)
                .if_modified_since("2024-01-15T10:30:00+05:30")
                .x_external("Leads.Ext_Id");
            let ctx = Context::new(DataCenter::Us, Environment::Production);
            let req = assemble(&ctx, &ep.parts().unwrap()).unwrap();
            let segs: Vec<&str> = req.uri().path().split('/').collect();
            assert_eq!(segs[3], "httpLogs__c");
            assert_eq!(decode(segs[4]), nasty);
            let query = req.uri().query().unwrap();
            assert_eq!(decode(query.strip_prefix("fields=").unwrap()), nasty);
            assert_eq!(
                req.headers()["if-modified-since"],
                "2024-01-15T10:30:00+05:30"
            );
            assert_eq!(req.headers()["x-external"], "Leads.Ext_Id");
        }

        #[test]
        fn build_validates_required_values() {
            assert_eq!(
                record::UpdateRecords::new("Leads").parts().unwrap_err(),
                BuildError::Missing("body")
            );
            assert_eq!(
                record::GetRecord::new("Leads", " ").parts().unwrap_err(),
                BuildError::Missing("id")
            );
            assert_eq!(
                module_search::SearchModule::new("Leads")
                    .parts()
                    .unwrap_err(),
                BuildError::Missing("per_page")
            );
            assert!(module_search::SearchModule::new("Leads")
                .per_page(200)
                .parts()
                .is_ok());
            assert_eq!(
                record::UploadPhoto::new("Leads", "1").parts().unwrap_err(),
                BuildError::Missing("file")
            );
            let upload = record::UploadPhoto::new("Leads", "1")
                .file(FilePart::new("a.png", vec![0x89, b'P']).content_type("image/png"));
            assert!(matches!(upload.parts().unwrap().body, Body::Multipart(_)));
        }

        #[test]
        fn json_input_uses_api_names() {
            let input = serde_json::json!({
                "module_api_name": "Leads",
                "id": "42",
                "fields": "Last_Name",
                "If-Modified-Since": "2024-01-15T10:30:00+05:30",
                "X-EXTERNAL": "Leads.Ext_Id"
            });
            let ep: record::GetRecord = serde_json::from_value(input.clone()).unwrap();
            assert_eq!(
                ep,
                record::GetRecord::new("Leads", "42")
                    .fields("Last_Name")
                    .if_modified_since("2024-01-15T10:30:00+05:30")
                    .x_external("Leads.Ext_Id")
            );
            assert_eq!(serde_json::to_value(&ep).unwrap(), input);
            // Through the registry: same input, and unknown keys are rejected.
            let op = registry::find("record.get_record").unwrap();
            assert_eq!((op.build)(&input).unwrap(), ep.parts().unwrap());
            let typo = serde_json::json!({"module_api_name": "Leads", "id": "1", "feilds": "x"});
            assert!((op.build)(&typo).is_err());
            let ints =
                serde_json::json!({"module_api_name": "Leads", "page": "2", "per_page": 200});
            let list: record::GetRecords = serde_json::from_value(ints).unwrap();
            assert_eq!(list, record::GetRecords::new("Leads").page(2).per_page(200));
        }
    }
}
