//! [`HyperTransport`]: moves bytes for the core over a pooled hyper client. No endpoint logic
//! lives here.

use std::collections::hash_map::RandomState;
use std::error::Error as StdError;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use zohocrm_core::config::TransportConfig;
use zohocrm_core::{AsyncTransport, TransportError, TransportErrorKind};

type Inner = hyper_util::client::legacy::Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// An async transport on a pooled hyper 1 client: rustls (ring provider, webpki roots,
/// certificate verification always on), HTTP/1.1 and HTTP/2, no redirects, tokio timeouts.
///
/// Plain `http://` is supported for the loopback hosts the core allows (mock servers); the core
/// refuses it for any other host. Requests must run inside a tokio runtime with time enabled.
/// Cloning is cheap and shares the connection pool.
#[derive(Clone)]
pub struct HyperTransport {
    client: Inner,
    config: TransportConfig,
}

impl std::fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperTransport")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Default for HyperTransport {
    fn default() -> Self {
        Self::new(TransportConfig::default())
    }
}

/// The one TLS connector of this crate (plain and streaming clients alike): rustls with the
/// webpki roots, certificate and hostname verification always on, `http://` allowed only
/// because the core refuses it for anything but loopback.
pub(crate) fn https_connector(config: &TransportConfig) -> HttpsConnector<HttpConnector> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(config.connect_timeout));
    HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
        // Only fails for a provider without cipher suites for TLS 1.2/1.3; ring has them.
        .expect("the ring provider supports the default TLS versions")
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http)
}

impl HyperTransport {
    /// A transport with these timeouts and limits. Needs no runtime to be created.
    pub fn new(config: TransportConfig) -> Self {
        let https = https_connector(&config);
        let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(https);
        HyperTransport { client, config }
    }

    /// The timeouts and limits.
    pub fn config(&self) -> &TransportConfig {
        &self.config
    }

    async fn perform(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, Full::new(Bytes::from(body)));
        let response = self
            .client
            .request(request)
            .await
            .map_err(map_client_error)?;
        let (head, body) = response.into_parts();
        let limit = self.config.max_body_bytes;
        let declared = content_length(&head.headers);
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(too_large(limit));
        }
        // Frames go straight into one buffer sized from Content-Length: no second copy.
        let mut out = Vec::with_capacity(declared.map_or(8 * 1024, |n| n as usize));
        let mut body = Limited::new(body, limit);
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| map_body_error(e.as_ref(), limit))?;
            if let Ok(data) = frame.into_data() {
                out.extend_from_slice(&data);
            }
        }
        Ok(http::Response::from_parts(head, out))
    }
}

impl AsyncTransport for HyperTransport {
    async fn execute(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let timeout = self.config.timeout;
        match tokio::time::timeout(timeout, self.perform(request)).await {
            Ok(result) => result,
            Err(_) => Err(TransportError::new(
                TransportErrorKind::Timeout,
                format!("the request did not complete within {timeout:?}"),
            )),
        }
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn jitter_seed(&self) -> u64 {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        hasher.finish()
    }
}

fn content_length(headers: &http::HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn too_large(limit: usize) -> TransportError {
    TransportError::new(
        TransportErrorKind::BodyTooLarge,
        format!("the response body exceeds the limit of {limit} bytes"),
    )
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

fn chain<'a>(
    e: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(e), |e: &&'a (dyn StdError + 'static)| (*e).source())
}

fn map_client_error(e: hyper_util::client::legacy::Error) -> TransportError {
    // A connector failure (TCP connect, its timeout, DNS, TLS handshake) happens before any
    // request byte is written.
    let kind = if e.is_connect() {
        TransportErrorKind::Connect
    } else {
        classify_after_connect(&e)
    };
    TransportError::new(kind, describe(&e))
}

fn classify_after_connect(e: &(dyn StdError + 'static)) -> TransportErrorKind {
    for cause in chain(e) {
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            if io.kind() == io::ErrorKind::TimedOut {
                return TransportErrorKind::Timeout;
            }
            return TransportErrorKind::Io;
        }
        if let Some(h) = cause.downcast_ref::<hyper::Error>() {
            if h.is_timeout() {
                return TransportErrorKind::Timeout;
            }
            if h.is_parse() || h.is_user() {
                return TransportErrorKind::Other;
            }
        }
    }
    // The connection broke somewhere after it was made: the server may have seen the request.
    TransportErrorKind::Io
}

fn map_body_error(e: &(dyn StdError + Send + Sync + 'static), limit: usize) -> TransportError {
    if e.downcast_ref::<LengthLimitError>().is_some() {
        return too_large(limit);
    }
    TransportError::new(classify_after_connect(e), describe(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn length_limit_is_body_too_large() {
        let e = Limited::new(Full::new(Bytes::from_static(b"0123456789ab")), 10)
            .collect()
            .await
            .unwrap_err();
        assert_eq!(
            map_body_error(e.as_ref(), 10).kind(),
            TransportErrorKind::BodyTooLarge
        );
        let io: Box<dyn StdError + Send + Sync> =
            Box::new(io::Error::from(io::ErrorKind::ConnectionReset));
        assert_eq!(
            map_body_error(io.as_ref(), 10).kind(),
            TransportErrorKind::Io
        );
    }

    #[test]
    fn seeds_differ() {
        let t = HyperTransport::default();
        assert_ne!(t.jitter_seed(), t.jitter_seed());
    }
}
