//! Streaming bodies for large downloads and uploads (bulk read results, bulk write files),
//! without changing the buffered contract of every other call.
//!
//! # How it works
//!
//! - **Downloads.** [`download_blocking`] and [`download`] run the usual [`Exchange`] (so
//!   authentication, token refresh, the replay after `401 INVALID_TOKEN` and retries are the
//!   same as for any call), but hand each request to the transport's `execute_download` with a
//!   sink. The transport writes a body to the sink as it arrives when [`is_streamable`] says so
//!   (a 2xx that is not JSON) and returns the head with an empty body; anything else (token
//!   answers, Zoho errors, JSON) it buffers as `execute` would, and the exchange reads it as
//!   usual. A body that broke half-way is never retried: the sink cannot be rewound.
//! - **Uploads.** The endpoint describes the request with an empty body and the multipart
//!   `Content-Type` of a [`FileUpload`]; the exchange authenticates it; [`upload_blocking`] and
//!   [`upload`] hand that request (recognised by its content type) to the transport's
//!   `execute_upload`, which sends [`FileUpload::prefix`], the file's bytes read from disk, and
//!   [`FileUpload::suffix`]. The file is opened again for each attempt, so a replay after a
//!   refresh sends it whole. Other requests of the exchange (token refresh) go through `execute`.
//!
//! The core still does no IO: it holds the file's path and length, and the transports read it.

use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use http::header::CONTENT_TYPE;

use crate::driver::{AsyncTransport, BlockingTransport};
use crate::endpoint::Endpoint;
use crate::error::{BuildError, Error, TransportError};
use crate::exchange::{Exchange, Step};
use crate::request::RequestParts;
use crate::response::error_from_response;
use crate::session::Session;

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

/// What `execute_download` returns: the response (with an empty body when it was streamed) and
/// the bytes written to the sink (`None` when the body was buffered instead).
#[derive(Debug)]
pub struct Streamed {
    /// The response; its body is empty when it went to the sink.
    pub response: http::Response<Vec<u8>>,
    /// Bytes written to the sink, or `None` when the body was buffered.
    pub written: Option<u64>,
}

/// A transport failure during `execute_download`, with the bytes already written to the sink
/// (a retry is only safe when none were).
#[derive(Debug)]
pub struct StreamFailure {
    /// The failure.
    pub error: TransportError,
    /// Bytes written to the sink before it.
    pub written: u64,
}

impl From<TransportError> for StreamFailure {
    fn from(error: TransportError) -> Self {
        StreamFailure { error, written: 0 }
    }
}

/// A blocking transport that can stream bodies.
pub trait BlockingStreamTransport: BlockingTransport {
    /// Performs `request`; a [streamable](is_streamable) body goes to `sink` as it arrives,
    /// anything else is buffered as [`BlockingTransport::execute`] would.
    fn execute_download(
        &self,
        request: http::Request<Vec<u8>>,
        sink: &mut dyn Write,
    ) -> Result<Streamed, StreamFailure>;

    /// Performs `request` (whose body is empty) with the body of `upload`: its prefix, the
    /// file's bytes, its suffix, with `Content-Length` set.
    fn execute_upload(
        &self,
        request: http::Request<Vec<u8>>,
        upload: &FileUpload,
    ) -> Result<http::Response<Vec<u8>>, TransportError>;
}

/// An async transport that can stream bodies.
pub trait AsyncStreamTransport: AsyncTransport {
    /// Where downloads go (e.g. `dyn tokio::io::AsyncWrite + Unpin + Send`).
    type Sink: ?Sized + Send;

    /// As [`BlockingStreamTransport::execute_download`].
    fn execute_download(
        &self,
        request: http::Request<Vec<u8>>,
        sink: &mut Self::Sink,
    ) -> impl Future<Output = Result<Streamed, StreamFailure>> + Send;

    /// As [`BlockingStreamTransport::execute_upload`].
    fn execute_upload(
        &self,
        request: http::Request<Vec<u8>>,
        upload: &FileUpload,
    ) -> impl Future<Output = Result<http::Response<Vec<u8>>, TransportError>> + Send;

    /// Writes a body that was buffered (a download Zoho answered as JSON) to the sink.
    fn write_buffered(
        &self,
        sink: &mut Self::Sink,
        body: Vec<u8>,
    ) -> impl Future<Output = Result<(), TransportError>> + Send;
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

/// The endpoint as the exchange sees it during a download: a streamed success is the
/// download; a buffered answer is parsed by the endpoint (errors) or, if it parses as a
/// success, is the file itself.
struct DownloadCall<'a, E> {
    inner: &'a E,
    streamed: AtomicBool,
    written: AtomicU64,
}

enum Got {
    Streamed(Downloaded),
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

impl<E: Endpoint> Endpoint for DownloadCall<'_, E> {
    const ID: &'static str = E::ID;
    type Output = Got;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        self.inner.parts()
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Got, Error> {
        if self.streamed.load(Ordering::Acquire) {
            return Ok(Got::Streamed(downloaded(
                &response,
                self.written.load(Ordering::Acquire),
            )));
        }
        let info = downloaded(&response, response.body().len() as u64);
        let failed = (!response.status().is_success()).then(|| error_from_response(&response));
        let body = response.body().to_vec();
        self.inner.parse(response)?;
        match failed {
            Some(e) => Err(e),
            None => Ok(Got::Buffered(info, body)),
        }
    }
}

fn finish(got: Got, sink: &mut dyn Write) -> Result<Downloaded, Error> {
    match got {
        Got::Streamed(d) => Ok(d),
        Got::Buffered(d, body) => {
            sink.write_all(&body).map_err(|e| {
                Error::Transport(TransportError::new(
                    crate::error::TransportErrorKind::Io,
                    format!("cannot write the download: {e}"),
                ))
            })?;
            Ok(d)
        }
    }
}

/// Downloads `endpoint`'s body into `sink` over a blocking transport. See the module docs.
pub fn download_blocking<T, E>(
    transport: &T,
    session: &Session,
    endpoint: &E,
    sink: &mut dyn Write,
) -> Result<Downloaded, Error>
where
    T: BlockingStreamTransport + ?Sized,
    E: Endpoint,
{
    let call = DownloadCall {
        inner: endpoint,
        streamed: AtomicBool::new(false),
        written: AtomicU64::new(0),
    };
    let mut exchange = Exchange::new(session, &call, transport.jitter_seed());
    let got = loop {
        match exchange.poll(transport.now()) {
            Step::Send(request) => match transport.execute_download(request, sink) {
                Ok(s) => {
                    if let Some(n) = s.written {
                        call.written.store(n, Ordering::Release);
                        call.streamed.store(true, Ordering::Release);
                    }
                    exchange.on_response(transport.now(), s.response);
                }
                Err(f) if f.written > 0 => return Err(f.error.into()),
                Err(f) => exchange.on_transport_error(transport.now(), f.error),
            },
            Step::Sleep(d) => transport.sleep(d),
            Step::Done(result) => break result?,
        }
    };
    drop(exchange);
    finish(got, sink)
}

/// Downloads `endpoint`'s body into `sink` over an async transport. See the module docs.
pub async fn download<T, E>(
    transport: &T,
    session: &Session,
    endpoint: &E,
    sink: &mut T::Sink,
) -> Result<Downloaded, Error>
where
    T: AsyncStreamTransport,
    E: Endpoint + Sync,
{
    let call = DownloadCall {
        inner: endpoint,
        streamed: AtomicBool::new(false),
        written: AtomicU64::new(0),
    };
    let mut exchange = Exchange::new(session, &call, transport.jitter_seed());
    let got = loop {
        match exchange.poll(transport.now()) {
            Step::Send(request) => match transport.execute_download(request, sink).await {
                Ok(s) => {
                    if let Some(n) = s.written {
                        call.written.store(n, Ordering::Release);
                        call.streamed.store(true, Ordering::Release);
                    }
                    exchange.on_response(transport.now(), s.response);
                }
                Err(f) if f.written > 0 => return Err(f.error.into()),
                Err(f) => exchange.on_transport_error(transport.now(), f.error),
            },
            Step::Sleep(d) => transport.sleep(d).await,
            Step::Done(result) => break result?,
        }
    };
    drop(exchange);
    match got {
        Got::Streamed(d) => Ok(d),
        Got::Buffered(d, body) => {
            transport.write_buffered(sink, body).await?;
            Ok(d)
        }
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

/// Performs an upload endpoint whose body is `upload`, over a blocking transport.
pub fn upload_blocking<T, E>(
    transport: &T,
    session: &Session,
    endpoint: &E,
    upload: &FileUpload,
) -> Result<E::Output, Error>
where
    T: BlockingStreamTransport + ?Sized,
    E: Endpoint,
{
    let mut exchange = Exchange::new(session, endpoint, transport.jitter_seed());
    loop {
        match exchange.poll(transport.now()) {
            Step::Send(request) => {
                let result = if upload.is_for(&request) {
                    transport.execute_upload(request, upload)
                } else {
                    transport.execute(request)
                };
                match result {
                    Ok(response) => exchange.on_response(transport.now(), response),
                    Err(error) => exchange.on_transport_error(transport.now(), error),
                }
            }
            Step::Sleep(d) => transport.sleep(d),
            Step::Done(result) => return result,
        }
    }
}

/// Performs an upload endpoint whose body is `upload`, over an async transport.
pub async fn upload<T, E>(
    transport: &T,
    session: &Session,
    endpoint: &E,
    upload: &FileUpload,
) -> Result<E::Output, Error>
where
    T: AsyncStreamTransport,
    E: Endpoint + Sync,
{
    let mut exchange = Exchange::new(session, endpoint, transport.jitter_seed());
    loop {
        match exchange.poll(transport.now()) {
            Step::Send(request) => {
                let result = if upload.is_for(&request) {
                    transport.execute_upload(request, upload).await
                } else {
                    transport.execute(request).await
                };
                match result {
                    Ok(response) => exchange.on_response(transport.now(), response),
                    Err(error) => exchange.on_transport_error(transport.now(), error),
                }
            }
            Step::Sleep(d) => transport.sleep(d).await,
            Step::Done(result) => return result,
        }
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
