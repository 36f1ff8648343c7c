//! [`UreqTransport`]: moves bytes for the core over a ureq 3 agent. No endpoint logic lives here.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use zohocrm_core::config::TransportConfig;
use zohocrm_core::{BlockingTransport, TransportError, TransportErrorKind};

/// A blocking transport on a ureq agent: pooled connections, rustls with the webpki roots
/// (certificate verification always on), no redirects, HTTP statuses returned as responses.
#[derive(Clone)]
pub struct UreqTransport {
    agent: ureq::Agent,
    config: TransportConfig,
}

impl std::fmt::Debug for UreqTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UreqTransport")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Default for UreqTransport {
    fn default() -> Self {
        Self::new(TransportConfig::default())
    }
}

impl UreqTransport {
    /// A transport with these timeouts and limits.
    pub fn new(config: TransportConfig) -> Self {
        let agent_config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            // The core sets User-Agent and Accept on every request; ureq must add nothing.
            .user_agent(ureq::config::AutoHeaderValue::None)
            .accept(ureq::config::AutoHeaderValue::None)
            .accept_encoding(ureq::config::AutoHeaderValue::None)
            .timeout_global(Some(config.timeout))
            .timeout_connect(Some(config.connect_timeout))
            // Stated rather than inherited: Mozilla's roots via webpki, certificate and host
            // name verification on. Nothing in this crate can turn them off.
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .provider(ureq::tls::TlsProvider::Rustls)
                    .root_certs(ureq::tls::RootCerts::WebPki)
                    .disable_verification(false)
                    .build(),
            )
            .build();
        UreqTransport {
            agent: agent_config.new_agent(),
            config,
        }
    }

    /// The timeouts and limits.
    pub fn config(&self) -> &TransportConfig {
        &self.config
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

pub(crate) fn too_large(limit: usize) -> TransportError {
    TransportError::new(
        TransportErrorKind::BodyTooLarge,
        format!("the response body exceeds the limit of {limit} bytes"),
    )
}

impl BlockingTransport for UreqTransport {
    fn execute(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let (parts, body) = request.into_parts();
        let bodiless = body.is_empty()
            && matches!(
                parts.method,
                http::Method::GET | http::Method::HEAD | http::Method::DELETE
            );
        let result = if bodiless {
            self.agent.run(http::Request::from_parts(parts, ()))
        } else {
            self.agent.run(http::Request::from_parts(parts, body))
        };
        let response = result.map_err(map_error)?;
        let (head, mut body) = response.into_parts();
        let limit = self.config.max_body_bytes;
        if content_length(&head.headers).is_some_and(|n| n > limit as u64) {
            return Err(too_large(limit));
        }
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

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }

    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn jitter_seed(&self) -> u64 {
        jitter_seed()
    }
}

/// A seed from the standard library's per-process random keys, varied by a counter.
pub(crate) fn jitter_seed() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

/// Whether a rustls error can only come from the handshake (so no request byte was sent).
fn is_handshake_error(e: &rustls::Error) -> bool {
    use rustls::Error as R;
    matches!(
        e,
        R::InvalidCertificate(_)
            | R::NoCertificatesPresented
            | R::PeerIncompatible(_)
            | R::InappropriateHandshakeMessage { .. }
            | R::UnsupportedNameType
            | R::InvalidCertRevocationList(_)
            | R::NoApplicationProtocol
    )
}

pub(crate) fn map_io(e: &io::Error) -> TransportErrorKind {
    use io::ErrorKind as K;
    match e.kind() {
        // Only ever raised while connecting: the request never left.
        K::ConnectionRefused
        | K::HostUnreachable
        | K::NetworkUnreachable
        | K::NetworkDown
        | K::AddrNotAvailable => TransportErrorKind::Connect,
        K::TimedOut | K::WouldBlock => TransportErrorKind::Timeout,
        _ => {
            let rustls = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>());
            match rustls {
                Some(r) if is_handshake_error(r) => TransportErrorKind::Connect,
                _ => TransportErrorKind::Io,
            }
        }
    }
}

pub(crate) fn map_error(e: ureq::Error) -> TransportError {
    use ureq::Error as U;
    let kind = match &e {
        U::Io(io) => map_io(io),
        U::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => TransportErrorKind::Connect,
        U::Timeout(_) => TransportErrorKind::Timeout,
        U::HostNotFound | U::ConnectionFailed | U::Tls(_) | U::Rustls(_) => {
            TransportErrorKind::Connect
        }
        U::BodyExceedsLimit(_) => TransportErrorKind::BodyTooLarge,
        _ => TransportErrorKind::Other,
    };
    TransportError::new(kind, e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_and_unreachable_are_connect_failures() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(map_io(&refused), TransportErrorKind::Connect);
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert_eq!(map_io(&reset), TransportErrorKind::Io);
        let tls = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        assert_eq!(map_io(&tls), TransportErrorKind::Connect);
        let mid = io::Error::new(io::ErrorKind::InvalidData, rustls::Error::DecryptError);
        assert_eq!(map_io(&mid), TransportErrorKind::Io);
        assert_eq!(
            map_error(ureq::Error::HostNotFound).kind(),
            TransportErrorKind::Connect
        );
        assert_eq!(
            map_error(ureq::Error::Timeout(ureq::Timeout::RecvResponse)).kind(),
            TransportErrorKind::Timeout
        );
    }

    #[test]
    fn seeds_differ() {
        assert_ne!(jitter_seed(), jitter_seed());
    }

    #[test]
    fn tls_verification_is_on_with_webpki_roots() {
        let t = UreqTransport::default();
        let config = t.agent.config();
        let tls = config.tls_config();
        assert!(!tls.disable_verification());
        assert!(matches!(tls.root_certs(), ureq::tls::RootCerts::WebPki));
        assert_eq!(tls.provider(), ureq::tls::TlsProvider::Rustls);
        assert_eq!(config.max_redirects(), 0);
    }
}
