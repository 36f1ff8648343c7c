//! Streaming bodies on hyper: downloads written to any `tokio::io::AsyncWrite` frame by frame,
//! uploads sent from a file through a channel body, for the core's [`zohocrm_core::stream`]
//! drivers. Every other call keeps the buffered path of
//! [`HyperTransport`](crate::HyperTransport)'s `execute`.
//!
//! A streamed call runs on its own hyper client (its body type differs from the pooled
//! client's), built from the same [`TransportConfig`]. Instead of one whole-request timeout,
//! the response head must arrive within `timeout` and then each body frame within `timeout`
//! of the previous one, so a large result may take as long as it needs while a stalled
//! server is still caught.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body, Frame, SizeHint};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use zohocrm_core::config::TransportConfig;
use zohocrm_core::stream::{
    is_streamable, AsyncStreamTransport, Downloaded, FileUpload, StreamFailure, Streamed,
};
use zohocrm_core::{Endpoint, Error, TransportError, TransportErrorKind};

use crate::{Client, HyperTransport};

type OutBody = BoxBody<Bytes, io::Error>;
type StreamClient = hyper_util::client::legacy::Client<HttpsConnector<HttpConnector>, OutBody>;

fn stream_client(config: &TransportConfig) -> StreamClient {
    let https = crate::transport::https_connector(config);
    hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .build(https)
}

fn error_kind(e: &(dyn std::error::Error + 'static)) -> TransportErrorKind {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if let Some(io) = c.downcast_ref::<io::Error>() {
            return if io.kind() == io::ErrorKind::TimedOut {
                TransportErrorKind::Timeout
            } else {
                TransportErrorKind::Io
            };
        }
        if let Some(h) = c.downcast_ref::<hyper::Error>() {
            if h.is_timeout() {
                return TransportErrorKind::Timeout;
            }
        }
        cur = c.source();
    }
    TransportErrorKind::Io
}

fn client_error(e: hyper_util::client::legacy::Error) -> TransportError {
    let kind = if e.is_connect() {
        TransportErrorKind::Connect
    } else {
        error_kind(&e)
    };
    TransportError::new(kind, e.to_string())
}

fn timeout_error(what: &str, d: std::time::Duration) -> TransportError {
    TransportError::new(
        TransportErrorKind::Timeout,
        format!("{what} did not arrive within {d:?}"),
    )
}

/// Sends `request` and waits for the head within the timeout.
async fn head_of(
    client: &StreamClient,
    request: http::Request<OutBody>,
    config: &TransportConfig,
) -> Result<http::Response<hyper::body::Incoming>, TransportError> {
    match tokio::time::timeout(config.timeout, client.request(request)).await {
        Ok(r) => r.map_err(client_error),
        Err(_) => Err(timeout_error("the response head", config.timeout)),
    }
}

/// Reads a non-streamed body with the transport's limit and timeout.
async fn buffered(
    response: http::Response<hyper::body::Incoming>,
    config: &TransportConfig,
) -> Result<http::Response<Vec<u8>>, TransportError> {
    let (head, body) = response.into_parts();
    let limit = config.max_body_bytes;
    let collected = tokio::time::timeout(config.timeout, Limited::new(body, limit).collect())
        .await
        .map_err(|_| timeout_error("the response body", config.timeout))?
        .map_err(|e| {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                TransportError::new(
                    TransportErrorKind::BodyTooLarge,
                    format!("the response body exceeds the limit of {limit} bytes"),
                )
            } else {
                TransportError::new(error_kind(e.as_ref()), e.to_string())
            }
        })?;
    Ok(http::Response::from_parts(
        head,
        collected.to_bytes().to_vec(),
    ))
}

/// A request body fed by a task that reads the file: prefix, file, suffix.
struct ChannelBody {
    rx: mpsc::Receiver<Result<Bytes, io::Error>>,
    left: u64,
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.left = self.left.saturating_sub(chunk.len() as u64);
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
}

fn file_body(upload: &FileUpload) -> ChannelBody {
    let (tx, rx) = mpsc::channel(4);
    let prefix = Bytes::from(upload.prefix());
    let suffix = Bytes::from(upload.suffix());
    let path = upload.path.clone();
    let len = upload.len;
    tokio::spawn(async move {
        if tx.send(Ok(prefix)).await.is_err() {
            return;
        }
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(f) => f.take(len),
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        };
        loop {
            let mut buf = vec![0u8; 64 * 1024];
            match file.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => {
                    buf.truncate(n);
                    if tx.send(Ok(Bytes::from(buf))).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
        let _ = tx.send(Ok(suffix)).await;
    });
    ChannelBody {
        rx,
        left: upload.content_length(),
    }
}

impl AsyncStreamTransport for HyperTransport {
    type Sink = dyn AsyncWrite + Unpin + Send;

    async fn execute_download(
        &self,
        request: http::Request<Vec<u8>>,
        sink: &mut Self::Sink,
    ) -> Result<Streamed, StreamFailure> {
        let config = self.config().clone();
        let client = stream_client(&config);
        let (parts, body) = request.into_parts();
        let body: OutBody = Full::new(Bytes::from(body))
            .map_err(|never| match never {})
            .boxed();
        let response = head_of(&client, http::Request::from_parts(parts, body), &config).await?;
        if !is_streamable(&response.headers_and_status()) {
            return Ok(Streamed {
                response: buffered(response, &config).await?,
                written: None,
            });
        }
        let (head, mut body) = response.into_parts();
        let mut written = 0u64;
        loop {
            let frame = match tokio::time::timeout(config.timeout, body.frame()).await {
                Err(_) => {
                    return Err(StreamFailure {
                        error: timeout_error("the next body frame", config.timeout),
                        written,
                    })
                }
                Ok(None) => break,
                Ok(Some(Err(e))) => {
                    return Err(StreamFailure {
                        error: TransportError::new(error_kind(&e), e.to_string()),
                        written,
                    })
                }
                Ok(Some(Ok(frame))) => frame,
            };
            if let Ok(data) = frame.into_data() {
                if let Err(e) = sink.write_all(&data).await {
                    return Err(StreamFailure {
                        error: TransportError::new(
                            TransportErrorKind::Other,
                            format!("cannot write the download: {e}"),
                        ),
                        written: written.max(1),
                    });
                }
                written += data.len() as u64;
            }
        }
        Ok(Streamed {
            response: http::Response::from_parts(head, Vec::new()),
            written: Some(written),
        })
    }

    async fn execute_upload(
        &self,
        request: http::Request<Vec<u8>>,
        upload: &FileUpload,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let config = self.config().clone();
        let client = stream_client(&config);
        let (mut parts, _) = request.into_parts();
        parts.headers.insert(
            http::header::CONTENT_LENGTH,
            http::HeaderValue::from(upload.content_length()),
        );
        let body: OutBody = file_body(upload).boxed();
        let response = head_of(&client, http::Request::from_parts(parts, body), &config).await?;
        buffered(response, &config).await
    }

    async fn write_buffered(
        &self,
        sink: &mut Self::Sink,
        body: Vec<u8>,
    ) -> Result<(), TransportError> {
        sink.write_all(&body).await.map_err(|e| {
            TransportError::new(
                TransportErrorKind::Other,
                format!("cannot write the download: {e}"),
            )
        })
    }
}

/// The status and headers of a response, for [`is_streamable`].
trait HeadParts {
    fn headers_and_status(&self) -> http::response::Parts;
}

impl<B> HeadParts for http::Response<B> {
    fn headers_and_status(&self) -> http::response::Parts {
        let mut head = http::Response::new(()).into_parts().0;
        head.status = self.status();
        head.headers = self.headers().clone();
        head
    }
}

impl Client {
    /// Performs a download endpoint (a bulk read result, a bulk write report, an attachment...)
    /// with its body written to `sink` as it arrives; authentication, refresh and retries are
    /// those of [`send`](Client::send), except that a body broken half-way is not retried.
    pub async fn download<E: Endpoint + Sync>(
        &self,
        endpoint: &E,
        sink: &mut (dyn AsyncWrite + Unpin + Send + 'static),
    ) -> Result<Downloaded, Error> {
        zohocrm_core::stream::download(self.transport(), self.session(), endpoint, sink).await
    }

    /// Performs an upload endpoint whose multipart body is the file of `upload`, streamed from
    /// disk (the file is read again for a replay).
    pub async fn upload<E: Endpoint + Sync>(
        &self,
        endpoint: &E,
        upload: &FileUpload,
    ) -> Result<E::Output, Error> {
        zohocrm_core::stream::upload(self.transport(), self.session(), endpoint, upload).await
    }
}
