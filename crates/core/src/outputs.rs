//! Outputs of the generated endpoints: [`ApiResponse`], [`Download`], and [`FilePart`] for uploads.
//!
//! Generated endpoints return [`ApiResponse`] (any JSON envelope, kept as a JSON value, with
//! Zoho errors detected) or [`Download`] (a file). Typed models live in the hand-written modules
//! (`features`, `territories`, ...); this module holds none.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::response::{
    action_results_from_value, decode_value, error_from_response, ActionResults, PageInfo,
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
        match &self.body {
            Some(body) => {
                action_results_from_value("outputs.api_response", key, self.status, body.clone())
            }
            None => Ok(ActionResults {
                status: self.status,
                items: Vec::new(),
            }),
        }
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
pub(crate) fn file_name(disposition: &str) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn file_parts_round_trip_json() {
        let part = FilePart::new("a.csv", "x,y\n").content_type("text/csv");
        let json = serde_json::to_value(&part).unwrap();
        assert_eq!(json["data"], "x,y\n");
        assert_eq!(serde_json::from_value::<FilePart>(json).unwrap(), part);
    }
}
