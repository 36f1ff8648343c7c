//! Bodies that do not fit in memory: files streamed up, downloads streamed to a sink. Pure
//! types; the drivers ([`crate::driver`]) move the bytes.
//!
//! # How it works
//!
//! - **Downloads.** [`download_blocking`] and [`download`] run the usual exchange (so
//!   authentication, token refresh, the replay after `401 INVALID_TOKEN` and retries are the
//!   same as for any call). When the answer [`is_streamable`] (a 2xx that is not JSON), the
//!   driver writes its body to the sink as it arrives, at most
//!   [`max_download_bytes`](crate::config::TransportConfig::max_download_bytes); anything else
//!   (token answers, Zoho errors, JSON) is read whole as for any call. A body that broke
//!   half-way is never retried: the sink cannot be rewound.
//! - **Uploads.** The endpoint describes the request with an empty body and the multipart
//!   `Content-Type` of a [`FileUpload`]; the exchange authenticates it; the driver recognises it
//!   by that content type and has the transport send [`FileUpload::prefix`], the file's bytes
//!   read from disk, and [`FileUpload::suffix`]. The file is opened again for each attempt, so a
//!   replay after a refresh sends it whole.

use std::path::PathBuf;

use http::header::CONTENT_TYPE;

pub use crate::driver::{download, download_blocking, upload, upload_blocking};
use crate::endpoint::Endpoint;
use crate::error::{BuildError, Error};
use crate::request::RequestParts;
use crate::response::error_from_response;

/// Whether a response body should go to the sink instead of memory: a 2xx with a body whose
/// content type is not JSON.
pub fn is_streamable(head: &http::response::Parts) -> bool {
    if !head.status.is_success() || head.status == http::StatusCode::NO_CONTENT {
        return false;
    }
    !head
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("json"))
}

/// A finished download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type`, when sent.
    pub content_type: Option<String>,
    /// The file name from `Content-Disposition`, when sent.
    pub file_name: Option<String>,
    /// Bytes written to the sink.
    pub bytes: u64,
}

/// Marks a response whose body went to the sink: how many bytes were written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StreamedBytes(pub(crate) u64);

/// The endpoint as the exchange sees it during a download: a streamed success is the
/// download; a buffered answer is parsed by the endpoint (errors) or, if it parses as a
/// success, is the file itself.
pub(crate) struct DownloadCall<E>(pub(crate) E);

/// What a download call ends with.
pub(crate) enum Got {
    /// The body went to the sink.
    Streamed(Downloaded),
    /// The body was read whole (not streamable); it still has to be written to the sink.
    Buffered(Downloaded, Vec<u8>),
}

fn header(head: &http::HeaderMap, name: http::header::HeaderName) -> Option<String> {
    head.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn downloaded(resp: &http::Response<&[u8]>, bytes: u64) -> Downloaded {
    Downloaded {
        status: resp.status().as_u16(),
        content_type: header(resp.headers(), CONTENT_TYPE),
        file_name: header(resp.headers(), http::header::CONTENT_DISPOSITION)
            .and_then(|d| crate::outputs::file_name(&d)),
        bytes,
    }
}

impl<E: Endpoint> Endpoint for DownloadCall<E> {
    const ID: &'static str = E::ID;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = E::OP_SPEC;
    type Output = Got;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        self.0.parts()
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Got, Error> {
        if let Some(StreamedBytes(n)) = response.extensions().get::<StreamedBytes>().copied() {
            return Ok(Got::Streamed(downloaded(&response, n)));
        }
        let info = downloaded(&response, response.body().len() as u64);
        let failed = (!response.status().is_success()).then(|| error_from_response(&response));
        let body = response.body().to_vec();
        self.0.parse(response)?;
        match failed {
            Some(e) => Err(e),
            None => Ok(Got::Buffered(info, body)),
        }
    }

    fn id(&self) -> &'static str {
        self.0.id()
    }

    fn op_spec(&self) -> Option<&'static crate::op_spec::OpSpec> {
        self.0.op_spec()
    }
}

/// A file sent as the one part (`file`) of a `multipart/form-data` body, streamed from disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileUpload {
    /// The file on disk.
    pub path: PathBuf,
    /// Its length in bytes.
    pub len: u64,
    /// The form field name (`file`).
    pub field: String,
    /// The file name sent to Zoho.
    pub file_name: String,
    /// The part's content type (`application/zip`).
    pub content_type: String,
    /// The multipart boundary.
    pub boundary: String,
}

impl FileUpload {
    /// The zip at `path` (`len` bytes) as the `file` part, named `file_name`. `seed` makes the
    /// boundary: 32 random hex digits make a collision with the file's bytes negligible (the
    /// file is not scanned).
    pub fn zip(
        path: impl Into<PathBuf>,
        len: u64,
        file_name: impl Into<String>,
        seed: u128,
    ) -> Self {
        FileUpload {
            path: path.into(),
            len,
            field: "file".into(),
            file_name: file_name.into(),
            content_type: "application/zip".into(),
            boundary: format!("zohocrm-rs-{seed:032x}"),
        }
    }

    /// The request's `Content-Type`: `multipart/form-data; boundary=...`.
    pub fn content_type_header(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// The bytes before the file's.
    pub fn prefix(&self) -> Vec<u8> {
        let quote = |s: &str| {
            s.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace(['\r', '\n'], " ")
        };
        format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"{n}\"; filename=\"{f}\"\r\nContent-Type: {t}\r\n\r\n",
            b = self.boundary,
            n = quote(&self.field),
            f = quote(&self.file_name),
            t = self.content_type,
        )
        .into_bytes()
    }

    /// The bytes after the file's.
    pub fn suffix(&self) -> Vec<u8> {
        format!("\r\n--{}--\r\n", self.boundary).into_bytes()
    }

    /// The whole body's length.
    pub fn content_length(&self) -> u64 {
        self.prefix().len() as u64 + self.len + self.suffix().len() as u64
    }

    /// Whether `request` is the upload (its `Content-Type` carries this boundary).
    pub fn is_for(&self, request: &http::Request<Vec<u8>>) -> bool {
        request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct == self.content_type_header())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamable_is_a_non_json_success() {
        let head = |status: u16, ct: Option<&str>| {
            let mut b = http::Response::builder().status(status);
            if let Some(ct) = ct {
                b = b.header(CONTENT_TYPE, ct);
            }
            b.body(()).unwrap().into_parts().0
        };
        assert!(is_streamable(&head(200, Some("application/zip"))));
        assert!(is_streamable(&head(200, None)));
        assert!(!is_streamable(&head(
            200,
            Some("application/json;charset=UTF-8")
        )));
        assert!(!is_streamable(&head(404, Some("application/zip"))));
        assert!(!is_streamable(&head(204, None)));
    }

    #[test]
    fn multipart_framing() {
        let u = FileUpload::zip("/tmp/x.zip", 3, "x.zip", 0xab);
        let mut body = u.prefix();
        body.extend_from_slice(b"ZIP");
        body.extend_from_slice(&u.suffix());
        assert_eq!(body.len() as u64, u.content_length());
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with(&format!("--{}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.zip\"\r\nContent-Type: application/zip\r\n\r\nZIP\r\n--", u.boundary)));
        assert!(text.ends_with("--\r\n"));
        assert_eq!(u.boundary.len(), "zohocrm-rs-".len() + 32);
    }
}
