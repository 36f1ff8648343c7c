//! Streaming bodies on ureq: downloads written to any `Write` as they arrive, uploads read from
//! a file, for the core's [`zohocrm_core::stream`] drivers. Every other call keeps the buffered
//! path of [`UreqTransport`](crate::UreqTransport)'s `execute`.
//!
//! A streamed call runs on its own agent whose body timeouts are long (the transport's
//! `timeout` × 60, an hour by default) instead of the whole-request `timeout`: a 200,000-record
//! result takes longer than one API call. Connecting and waiting for the response head keep
//! the transport's timeouts.

use std::fs::File;
use std::io::{self, Read, Write};
use std::time::Duration;

use zohocrm_core::config::TransportConfig;
use zohocrm_core::stream::{
    is_streamable, BlockingStreamTransport, Downloaded, FileUpload, StreamFailure, Streamed,
};
use zohocrm_core::{Endpoint, Error, TransportError, TransportErrorKind};

use crate::transport::{map_error, map_io, too_large};
use crate::{Client, UreqTransport};

/// The agent of streamed calls: no whole-request timeout, long body timeouts.
fn stream_agent(config: &TransportConfig) -> ureq::Agent {
    let long = config
        .timeout
        .saturating_mul(60)
        .max(Duration::from_secs(60));
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(ureq::config::AutoHeaderValue::None)
        .accept(ureq::config::AutoHeaderValue::None)
        .accept_encoding(ureq::config::AutoHeaderValue::None)
        .timeout_global(None)
        .timeout_connect(Some(config.connect_timeout))
        .timeout_recv_response(Some(config.timeout))
        .timeout_send_body(Some(long))
        .timeout_recv_body(Some(long))
        .build()
        .new_agent()
}

/// Reads a non-streamed body with the transport's limit.
fn buffered(
    head: http::response::Parts,
    mut body: ureq::Body,
    limit: usize,
) -> Result<http::Response<Vec<u8>>, TransportError> {
    let bytes = body
        .with_config()
        .limit(limit as u64)
        .read_to_vec()
        .map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(_) => too_large(limit),
            other => map_error(other),
        })?;
    Ok(http::Response::from_parts(head, bytes))
}

impl BlockingStreamTransport for UreqTransport {
    fn execute_download(
        &self,
        request: http::Request<Vec<u8>>,
        sink: &mut dyn Write,
    ) -> Result<Streamed, StreamFailure> {
        let agent = stream_agent(self.config());
        let (parts, body) = request.into_parts();
        let result = if body.is_empty() {
            agent.run(http::Request::from_parts(parts, ()))
        } else {
            agent.run(http::Request::from_parts(parts, body))
        };
        let response = result.map_err(map_error)?;
        let (head, body) = response.into_parts();
        if !is_streamable(&head) {
            let response = buffered(head, body, self.config().max_body_bytes)?;
            return Ok(Streamed {
                response,
                written: None,
            });
        }
        let mut reader = body.into_with_config().limit(u64::MAX).reader();
        let mut buf = vec![0u8; 64 * 1024];
        let mut written = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(StreamFailure {
                        error: TransportError::new(map_io(&e), e.to_string()),
                        written,
                    })
                }
            };
            if let Err(e) = sink.write_all(&buf[..n]) {
                return Err(StreamFailure {
                    error: TransportError::new(
                        TransportErrorKind::Other,
                        format!("cannot write the download: {e}"),
                    ),
                    // Never retried: the sink is in an unknown state.
                    written: written.max(1),
                });
            }
            written += n as u64;
        }
        Ok(Streamed {
            response: http::Response::from_parts(head, Vec::new()),
            written: Some(written),
        })
    }

    fn execute_upload(
        &self,
        request: http::Request<Vec<u8>>,
        upload: &FileUpload,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let file = File::open(&upload.path).map_err(|e| {
            TransportError::new(
                TransportErrorKind::Other,
                format!("cannot open {}: {e}", upload.path.display()),
            )
        })?;
        let mut reader = io::Cursor::new(upload.prefix())
            .chain(file.take(upload.len))
            .chain(io::Cursor::new(upload.suffix()));
        let (mut parts, _) = request.into_parts();
        parts.headers.insert(
            http::header::CONTENT_LENGTH,
            http::HeaderValue::from(upload.content_length()),
        );
        let agent = stream_agent(self.config());
        let response = agent
            .run(http::Request::from_parts(
                parts,
                ureq::SendBody::from_reader(&mut reader),
            ))
            .map_err(map_error)?;
        let (head, body) = response.into_parts();
        buffered(head, body, self.config().max_body_bytes)
    }
}

impl Client {
    /// Performs a download endpoint (a bulk read result, a bulk write report, an attachment...)
    /// with its body written to `sink` as it arrives; authentication, refresh and retries are
    /// those of [`send`](Client::send), except that a body broken half-way is not retried.
    pub fn download<E: Endpoint>(
        &self,
        endpoint: &E,
        sink: &mut dyn Write,
    ) -> Result<Downloaded, Error> {
        zohocrm_core::stream::download_blocking(self.transport(), self.session(), endpoint, sink)
    }

    /// Performs an upload endpoint whose multipart body is the file of `upload`, streamed from
    /// disk (the file is read again for a replay).
    pub fn upload<E: Endpoint>(
        &self,
        endpoint: &E,
        upload: &FileUpload,
    ) -> Result<E::Output, Error> {
        zohocrm_core::stream::upload_blocking(self.transport(), self.session(), endpoint, upload)
    }
}
