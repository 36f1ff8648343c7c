//! [`HyperTransport`]: moves bytes for the core's driver over one pooled hyper client. No
//! endpoint logic, no body limits (the driver enforces them) and no retry policy live here:
//! only sending a request (bytes, or a file streamed from disk), handing back its body frame by
//! frame within the deadlines, and naming what went wrong, in one place.

use std::collections::hash_map::RandomState;
use std::error::Error as StdError;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use zohocrm_core::config::TransportConfig;
use zohocrm_core::driver::{AsyncBody, AsyncTransport, Payload, Reading};
use zohocrm_core::proxy::ProxyRules;
use zohocrm_core::stream::FileUpload;
use zohocrm_core::{TransportError, TransportErrorKind};

use crate::deadline::{Deadline, Elapsed, Watchdog};
use crate::proxy::ProxyConnector;

type OutBody = Either<Full<Bytes>, FileBody>;
type Inner = hyper_util::client::legacy::Client<HttpsConnector<ProxyConnector>, OutBody>;

/// An async transport on a pooled hyper 1 client: rustls (ring provider, webpki roots,
/// certificate verification always on), HTTP/1.1 and HTTP/2, no redirects.
///
/// Timeouts: an ordinary call (request, upload and body) must be done within `timeout`; a
/// download's head must arrive within `timeout` and then each chunk within `timeout` of the
/// one before, so a large result takes as long as it needs while a stalled server is still
/// caught. Deadlines are checked by one ticker task per transport rather than a timer per call
/// (see `deadline.rs`): cheaper, and honoured within a tenth of the timeout.
///
/// Plain `http://` is supported for the loopback hosts the core allows (mock servers); the core
/// refuses it for any other host. Requests must run inside a tokio runtime with time enabled.
/// Cloning is cheap and shares the connection pool.
///
/// Proxies ([`TransportConfig::proxy`], the environment by default, read here once): an
/// `https://` target is reached through a `CONNECT` tunnel, an `http://` one is forwarded in
/// absolute form; see [`zohocrm_core::proxy`].
#[derive(Clone, Debug)]
pub struct HyperTransport {
    client: Inner,
    /// The proxy rules, or why they could not be read (every request then fails with it).
    rules: Result<Arc<ProxyRules>, String>,
    config: TransportConfig,
    watchdog: Watchdog,
}

impl Default for HyperTransport {
    fn default() -> Self {
        Self::new(TransportConfig::default())
    }
}

impl HyperTransport {
    /// A transport with these timeouts, limits and proxy. Needs no runtime to be created. The
    /// proxy environment variables are read here when the config says so; when they are
    /// invalid, every request fails saying which one.
    pub fn new(config: TransportConfig) -> Self {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(config.connect_timeout));
        let rules = config
            .proxy
            .resolve()
            .map(Arc::new)
            .map_err(|e| e.to_string());
        let connector = ProxyConnector::new(http, rules.clone().unwrap_or_default());
        let https = HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            // Only fails for a provider without cipher suites for TLS 1.2/1.3; ring has them.
            .expect("the ring provider supports the default TLS versions")
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(connector);
        let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(https);
        HyperTransport {
            client,
            rules,
            watchdog: Watchdog::new(config.timeout),
            config,
        }
    }

    /// The timeouts and limits.
    pub fn config(&self) -> &TransportConfig {
        &self.config
    }

    fn timed_out(&self, what: &str) -> TransportError {
        TransportError::new(
            TransportErrorKind::Timeout,
            format!("{what} did not arrive within {:?}", self.config.timeout),
        )
    }
}

/// A response body, read frame by frame within its deadline.
pub struct HyperBody {
    body: Incoming,
    deadline: Deadline,
    /// What is left of the last frame.
    pending: Bytes,
    /// For a download: each chunk's own deadline, counted from the one before.
    per_chunk: Option<Duration>,
    timeout: Duration,
}

impl std::fmt::Debug for HyperBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HyperBody")
    }
}

impl AsyncBody for HyperBody {
    async fn read_into(&mut self, out: &mut Vec<u8>, max: usize) -> Result<usize, TransportError> {
        while self.pending.is_empty() {
            let frame = match self.deadline.bound(self.body.frame()).await {
                Err(Elapsed) => {
                    return Err(TransportError::new(
                        TransportErrorKind::Timeout,
                        format!("the response body did not arrive within {:?}", self.timeout),
                    ))
                }
                Ok(None) => return Ok(0),
                Ok(Some(frame)) => frame.map_err(|e| map_error(&e))?,
            };
            if let Ok(data) = frame.into_data() {
                self.pending = data;
            }
        }
        if let Some(d) = self.per_chunk {
            self.deadline.reset(Instant::now() + d);
        }
        let n = self.pending.len().min(max);
        out.extend_from_slice(&self.pending.split_to(n));
        Ok(n)
    }
}

impl AsyncTransport for HyperTransport {
    type Body = HyperBody;
    type Sink = dyn AsyncWrite + Unpin + Send;

    async fn start(
        &self,
        request: http::Request<Payload<'_>>,
        reading: Reading,
    ) -> Result<http::Response<HyperBody>, TransportError> {
        let timeout = self.config.timeout;
        let deadline = self.watchdog.arm(Instant::now() + timeout);
        let (mut parts, payload) = request.into_parts();
        let rules = self
            .rules
            .as_ref()
            .map_err(|e| TransportError::new(TransportErrorKind::Other, e.clone()))?;
        // A forwarded (plain http) request carries the proxy's credentials itself; a tunnel
        // sends them once, in its CONNECT.
        if parts.uri.scheme() != Some(&http::uri::Scheme::HTTPS) {
            if let Some(auth) = rules.proxy_for(&parts.uri).and_then(|p| p.basic_auth()) {
                parts
                    .headers
                    .insert(http::header::PROXY_AUTHORIZATION, auth);
            }
        }
        let body = match payload {
            Payload::Bytes(bytes) => Either::Left(Full::new(Bytes::from(bytes))),
            Payload::File(upload) => {
                parts.headers.insert(
                    http::header::CONTENT_LENGTH,
                    http::HeaderValue::from(upload.content_length()),
                );
                Either::Right(FileBody::spawn(upload))
            }
            _ => {
                return Err(TransportError::new(
                    TransportErrorKind::Other,
                    "a request body this transport cannot send",
                ))
            }
        };
        let sent = self.client.request(http::Request::from_parts(parts, body));
        let response = match deadline.bound(sent).await {
            Err(Elapsed) => return Err(self.timed_out("the response")),
            Ok(response) => response.map_err(|e| map_error(&e))?,
        };
        let per_chunk = (reading == Reading::Stream).then_some(timeout);
        if let Some(d) = per_chunk {
            deadline.reset(Instant::now() + d);
        }
        let (head, body) = response.into_parts();
        Ok(http::Response::from_parts(
            head,
            HyperBody {
                body,
                deadline,
                pending: Bytes::new(),
                per_chunk,
                timeout,
            },
        ))
    }

    async fn write(&self, sink: &mut Self::Sink, bytes: &[u8]) -> io::Result<()> {
        sink.write_all(bytes).await
    }

    async fn run_blocking<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> R {
        match tokio::task::spawn_blocking(f).await {
            Ok(r) => r,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Cancelled: the runtime is shutting down and will not poll this call again.
            Err(_) => std::future::pending().await,
        }
    }

    fn config(&self) -> &TransportConfig {
        &self.config
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall_clock(&self) -> SystemTime {
        SystemTime::now()
    }

    fn jitter_seed(&self) -> u64 {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        hasher.finish()
    }
}

/// A request body read from a file by a task: the multipart prefix, the file, the suffix.
struct FileBody {
    rx: mpsc::Receiver<Result<Bytes, io::Error>>,
    left: u64,
}

impl FileBody {
    fn spawn(upload: &FileUpload) -> Self {
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
        FileBody {
            rx,
            left: upload.content_length(),
        }
    }
}

impl Body for FileBody {
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

/// The error and its sources, joined for the message.
fn describe(e: &(dyn StdError + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The one error mapping of this crate: a connector failure (TCP connect, its timeout, DNS, TLS
/// handshake) happens before any request byte is written; after that, a timeout is a timeout,
/// a protocol violation is `Other` (never retried), and a broken connection is `Io` (the
/// server may have seen the request).
fn map_error(e: &(dyn StdError + 'static)) -> TransportError {
    let connect = e
        .downcast_ref::<hyper_util::client::legacy::Error>()
        .is_some_and(|e| e.is_connect());
    let kind = if connect {
        TransportErrorKind::Connect
    } else {
        after_connect(e)
    };
    TransportError::new(kind, describe(e))
}

fn after_connect(e: &(dyn StdError + 'static)) -> TransportErrorKind {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<io::Error>() {
            return match io.kind() {
                io::ErrorKind::TimedOut => TransportErrorKind::Timeout,
                _ => TransportErrorKind::Io,
            };
        }
        if let Some(h) = c.downcast_ref::<hyper::Error>() {
            if h.is_timeout() {
                return TransportErrorKind::Timeout;
            }
            if h.is_parse() || h.is_user() {
                return TransportErrorKind::Other;
            }
        }
        cause = c.source();
    }
    // The connection broke somewhere after it was made: the server may have seen the request.
    TransportErrorKind::Io
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_connections_are_io_and_io_timeouts_are_timeouts() {
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert_eq!(map_error(&reset).kind(), TransportErrorKind::Io);
        let slow = io::Error::from(io::ErrorKind::TimedOut);
        assert_eq!(map_error(&slow).kind(), TransportErrorKind::Timeout);
    }

    #[test]
    fn seeds_differ() {
        let t = HyperTransport::default();
        assert_ne!(t.jitter_seed(), t.jitter_seed());
    }
}
