//! [`UreqTransport`]: moves bytes for the core's driver over ureq 3 agents. No endpoint logic,
//! no body limits (the driver enforces them) and no retry policy live here: only sending a
//! request, handing back its body as a reader, and naming what went wrong.

use std::collections::hash_map::RandomState;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use zohocrm_core::config::TransportConfig;
use zohocrm_core::driver::{BlockingBody, BlockingTransport, Payload, Reading};
use zohocrm_core::proxy::{Proxy, ProxyRules};
use zohocrm_core::{TransportError, TransportErrorKind};

/// A blocking transport on ureq agents: pooled connections, rustls with the webpki roots
/// (certificate verification always on), no redirects, HTTP statuses returned as responses.
///
/// Ordinary calls run on an agent whose `timeout` bounds the whole request, body included.
/// Downloads and uploads run on a second agent whose body timeouts are long (the transport's
/// `timeout` × 60, an hour by default): a 200,000-record result takes longer than one API call;
/// connecting and waiting for the response head keep the usual timeouts.
///
/// Proxies ([`TransportConfig::proxy`], the environment by default, read here once): each
/// distinct proxy gets its own pair of agents, and each request takes the pair its target's
/// rule names ([`zohocrm_core::proxy`]). ureq reaches every target through the proxy with a
/// `CONNECT` tunnel, `http://` ones included.
#[derive(Clone)]
pub struct UreqTransport {
    direct: Agents,
    /// One pair of agents per distinct proxy of the rules.
    proxied: Vec<(Proxy, Agents)>,
    /// The proxy rules, or why they could not be read (every request then fails with it).
    rules: Result<ProxyRules, String>,
    /// The body timeout of downloads and uploads.
    transfer_timeout: Duration,
    config: TransportConfig,
}

/// The agent of ordinary calls and the one of downloads and uploads, on one route.
#[derive(Clone)]
struct Agents {
    agent: ureq::Agent,
    streaming: ureq::Agent,
}

impl std::fmt::Debug for UreqTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UreqTransport")
            .field("config", &self.config)
            .field("rules", &self.rules)
            .field("transfer_timeout", &self.transfer_timeout)
            .finish_non_exhaustive()
    }
}

/// The agent settings every agent shares: no redirects, statuses as responses, nothing added
/// to the core's headers, the proxy of its route (never ureq's own reading of the
/// environment), and TLS stated rather than inherited (Mozilla's roots via webpki,
/// certificate and host name verification on; nothing in this crate can turn them off).
fn agent_config(
    config: &TransportConfig,
    proxy: Option<&ureq::Proxy>,
) -> ureq::config::ConfigBuilder<ureq::typestate::AgentScope> {
    ureq::Agent::config_builder()
        .proxy(proxy.cloned())
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(ureq::config::AutoHeaderValue::None)
        .accept(ureq::config::AutoHeaderValue::None)
        .accept_encoding(ureq::config::AutoHeaderValue::None)
        .timeout_connect(Some(config.connect_timeout))
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .provider(ureq::tls::TlsProvider::Rustls)
                .root_certs(ureq::tls::RootCerts::WebPki)
                .disable_verification(false)
                .build(),
        )
}

impl Agents {
    fn new(config: &TransportConfig, proxy: Option<&ureq::Proxy>, transfer: Duration) -> Self {
        let agent = agent_config(config, proxy)
            .timeout_global(Some(config.timeout))
            .build()
            .new_agent();
        let streaming = agent_config(config, proxy)
            .timeout_global(None)
            .timeout_recv_response(Some(config.timeout))
            .timeout_send_body(Some(transfer))
            .timeout_recv_body(Some(transfer))
            .build()
            .new_agent();
        Agents { agent, streaming }
    }
}

/// The ureq form of a proxy: an HTTP `CONNECT` proxy with the same credentials.
fn ureq_proxy(proxy: &Proxy) -> Result<ureq::Proxy, String> {
    let uri = proxy.uri();
    let mut builder = ureq::Proxy::builder(ureq::ProxyProtocol::Http)
        .host(uri.host().unwrap_or_default())
        .port(uri.port_u16().unwrap_or(80));
    if let Some(user) = proxy.username() {
        builder = builder
            .username(user)
            .password(proxy.password().unwrap_or_default());
    }
    builder
        .build()
        .map_err(|_| format!("invalid proxy {}", proxy.uri()))
}

impl UreqTransport {
    /// A transport with these timeouts, limits and proxy. The proxy environment variables are
    /// read here when the config says so; when they are invalid, every request fails saying
    /// which one.
    pub fn new(config: TransportConfig) -> Self {
        let transfer_timeout = config
            .timeout
            .saturating_mul(60)
            .max(Duration::from_secs(60));
        let rules = config.proxy.resolve().map_err(|e| e.to_string());
        let proxied: Result<Vec<_>, String> = match &rules {
            Ok(r) => r
                .proxies()
                .map(|proxy| {
                    let p = ureq_proxy(proxy)?;
                    Ok((
                        proxy.clone(),
                        Agents::new(&config, Some(&p), transfer_timeout),
                    ))
                })
                .collect(),
            Err(_) => Ok(Vec::new()),
        };
        let (rules, proxied) = match proxied {
            Ok(proxied) => (rules, proxied),
            Err(e) => (Err(e), Vec::new()),
        };
        UreqTransport {
            direct: Agents::new(&config, None, transfer_timeout),
            proxied,
            rules,
            transfer_timeout,
            config,
        }
    }

    /// The agents of the route to `uri`.
    fn route(&self, uri: &http::Uri) -> Result<&Agents, TransportError> {
        let rules = self
            .rules
            .as_ref()
            .map_err(|e| TransportError::new(TransportErrorKind::Other, e.clone()))?;
        Ok(match rules.proxy_for(uri) {
            None => &self.direct,
            Some(proxy) => self
                .proxied
                .iter()
                .find(|(p, _)| p == proxy)
                .map_or(&self.direct, |(_, agents)| agents),
        })
    }

    /// The timeouts and limits.
    pub fn config(&self) -> &TransportConfig {
        &self.config
    }
}

impl Default for UreqTransport {
    fn default() -> Self {
        Self::new(TransportConfig::default())
    }
}

/// A response body: ureq's reader, unlimited here (the driver counts).
pub struct UreqBody(ureq::BodyReader<'static>);

impl std::fmt::Debug for UreqBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UreqBody")
    }
}

impl BlockingBody for UreqBody {
    fn read_into(&mut self, out: &mut Vec<u8>, max: usize) -> Result<usize, TransportError> {
        (&mut self.0)
            .take(max as u64)
            .read_to_end(out)
            .map_err(|e| map_read(&e))
    }
}

impl BlockingTransport for UreqTransport {
    type Body = UreqBody;

    fn start(
        &self,
        request: http::Request<Payload<'_>>,
        reading: Reading,
    ) -> Result<http::Response<UreqBody>, TransportError> {
        let (mut parts, payload) = request.into_parts();
        let route = self.route(&parts.uri)?;
        let agent = match (&payload, reading) {
            (Payload::File(_), _) | (_, Reading::Stream) => &route.streaming,
            _ => &route.agent,
        };
        let result = match payload {
            Payload::Bytes(body)
                if body.is_empty()
                    && matches!(
                        parts.method,
                        http::Method::GET | http::Method::HEAD | http::Method::DELETE
                    ) =>
            {
                agent.run(http::Request::from_parts(parts, ()))
            }
            Payload::Bytes(body) => agent.run(http::Request::from_parts(parts, body)),
            Payload::File(upload) => {
                let file = File::open(&upload.path).map_err(|e| {
                    TransportError::new(
                        TransportErrorKind::Other,
                        format!("cannot open {}: {e}", upload.path.display()),
                    )
                })?;
                let mut reader = io::Cursor::new(upload.prefix())
                    .chain(file.take(upload.len))
                    .chain(io::Cursor::new(upload.suffix()));
                parts.headers.insert(
                    http::header::CONTENT_LENGTH,
                    http::HeaderValue::from(upload.content_length()),
                );
                agent.run(http::Request::from_parts(
                    parts,
                    ureq::SendBody::from_reader(&mut reader),
                ))
            }
            _ => {
                return Err(TransportError::new(
                    TransportErrorKind::Other,
                    "a request body this transport cannot send",
                ))
            }
        };
        let (head, body) = result.map_err(|e| map_error(&e))?.into_parts();
        let reader = body.into_with_config().limit(u64::MAX).reader();
        Ok(http::Response::from_parts(head, UreqBody(reader)))
    }

    fn config(&self) -> &TransportConfig {
        &self.config
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall_clock(&self) -> SystemTime {
        SystemTime::now()
    }

    fn jitter_seed(&self) -> u64 {
        jitter_seed()
    }
}

/// A seed from the standard library's per-process random keys, varied by a counter.
fn jitter_seed() -> u64 {
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

fn map_io(e: &io::Error) -> TransportErrorKind {
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

fn kind_of(e: &ureq::Error) -> TransportErrorKind {
    use ureq::Error as U;
    match e {
        U::Io(io) => map_io(io),
        U::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => TransportErrorKind::Connect,
        U::Timeout(_) => TransportErrorKind::Timeout,
        // A refused tunnel (CONNECT answered with anything but 200) sent no request either.
        U::HostNotFound
        | U::ConnectionFailed
        | U::ConnectProxyFailed(_)
        | U::Tls(_)
        | U::Rustls(_) => TransportErrorKind::Connect,
        U::BodyExceedsLimit(_) => TransportErrorKind::BodyTooLarge,
        _ => TransportErrorKind::Other,
    }
}

/// The one error mapping of this crate, for sending and for reading bodies alike.
fn map_error(e: &ureq::Error) -> TransportError {
    TransportError::new(kind_of(e), e.to_string())
}

/// A body read failure: ureq wraps its own errors in `io::Error`.
fn map_read(e: &io::Error) -> TransportError {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ureq::Error>())
    {
        Some(inner) => map_error(inner),
        None => TransportError::new(map_io(e), e.to_string()),
    }
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
            map_error(&ureq::Error::HostNotFound).kind(),
            TransportErrorKind::Connect
        );
        assert_eq!(
            map_error(&ureq::Error::Timeout(ureq::Timeout::RecvResponse)).kind(),
            TransportErrorKind::Timeout
        );
        // A body read that timed out is reported through io::Error, and still a timeout.
        let wrapped = io::Error::other(ureq::Error::Timeout(ureq::Timeout::RecvBody));
        assert_eq!(map_read(&wrapped).kind(), TransportErrorKind::Timeout);
    }

    #[test]
    fn seeds_differ() {
        assert_ne!(jitter_seed(), jitter_seed());
    }

    #[test]
    fn tls_verification_is_on_with_webpki_roots() {
        let proxy = zohocrm_core::proxy::Proxy::new("http://u:p@127.0.0.1:9").unwrap();
        let t = UreqTransport::new(
            TransportConfig::default().proxy(zohocrm_core::proxy::ProxyConfig::all(proxy)),
        );
        assert_eq!(t.proxied.len(), 1);
        let (_, proxied) = &t.proxied[0];
        for agent in [
            &t.direct.agent,
            &t.direct.streaming,
            &proxied.agent,
            &proxied.streaming,
        ] {
            let config = agent.config();
            let tls = config.tls_config();
            assert!(!tls.disable_verification());
            assert!(matches!(tls.root_certs(), ureq::tls::RootCerts::WebPki));
            assert_eq!(tls.provider(), ureq::tls::TlsProvider::Rustls);
            assert_eq!(config.max_redirects(), 0);
        }
    }
}
