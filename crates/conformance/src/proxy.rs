//! Proxy cases: every call, the OAuth token call included, goes through the configured proxy
//! (a test proxy on loopback that sends everything to the mock whatever host was named, while
//! the session's hosts point at a port nobody answers: a call can only succeed through the
//! proxy); proxy credentials are sent and never shown; `NO_PROXY` hosts are reached directly;
//! an `https://` target is tunnelled with `CONNECT` and its certificate still verified.

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

use zohocrm_core::features::GetUserLicences;
use zohocrm_core::proxy::{NoProxy, Proxy, ProxyConfig, ProxyRules};
use zohocrm_core::{Context, Credentials, RetryPolicy, Session, TransportErrorKind};
use zohocrm_mock::{BlockingMock, MockConfig};

use crate::net::{http_proxy, self_signed_tls_server, wait_for_handshake_error, ProxyLog, Server};
use crate::{expect_transport, fast_retry, session, start_mock, Harness, Settings, MOCK_LICENCES};

/// The proxy's user and password, percent-encoded in the URL (`:`, space and `@`).
const USERINFO: &str = "proxy-user:pa%3Ass%20w%40rd";
/// base64("proxy-user:pa:ss w@rd"), what the proxy expects.
const BASIC: &str = "cHJveHktdXNlcjpwYTpzcyB3QHJk";
/// The password as the user wrote it, which must never be shown.
const PASSWORD: &str = "pa:ss w@rd";

/// An HTTP proxy on 127.0.0.1 for tests of programs that take a proxy (`zcrm --proxy`): it
/// tunnels `CONNECT` requests and forwards absolute-form ones to the host the client named,
/// and logs each as `CONNECT host:port` or `METHOD http://host:port/path`. Stops when dropped.
pub struct TestProxy {
    server: Server,
    log: Arc<Mutex<ProxyLog>>,
}

impl TestProxy {
    /// Starts the proxy; with `basic` (base64 of `user:password`) it answers 407 to requests
    /// without those credentials.
    pub fn start(basic: Option<&str>) -> TestProxy {
        let (server, log) = http_proxy(None, basic.map(str::to_owned));
        TestProxy { server, log }
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        self.server.base_url()
    }

    /// What it carried, in order.
    pub fn carried(&self) -> Vec<String> {
        self.log.lock().unwrap().carried.clone()
    }

    /// Requests refused with 407.
    pub fn refused(&self) -> usize {
        self.log.lock().unwrap().refused
    }

    /// Connections accepted.
    pub fn accepted(&self) -> usize {
        self.server.accepted()
    }
}

fn mock_addr(mock: &BlockingMock) -> SocketAddr {
    mock.base_url()
        .trim_start_matches("http://")
        .parse()
        .expect("the mock's address")
}

/// A port on 127.0.0.1 that is bound but never accepts: a direct connection to it never
/// gets an answer (kept bound for the whole case, so no other test can take it).
fn silent_port() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// A session whose token calls go to `localhost:port` and API calls to `127.0.0.1:port`
/// (two hosts, so the proxy's log tells them apart), with the mock's credentials.
fn session_via(scheme: &str, port: u16, retry: RetryPolicy) -> Arc<Session> {
    let cfg = MockConfig::default();
    let accounts = format!("{scheme}://localhost:{port}");
    let api = format!("{scheme}://127.0.0.1:{port}");
    Arc::new(
        Session::new(
            Context::custom(&accounts, &api, &api).expect("loopback hosts"),
            Credentials::refresh_token(cfg.client_id, cfg.client_secret, cfg.refresh_token),
        )
        .with_retry(retry),
    )
}

fn with_proxy(h: &impl Harness, proxy: ProxyConfig) -> impl Harness {
    h.with_settings(Settings {
        proxy,
        ..Settings::default()
    })
}

/// The token call and the API call both go through the proxy, with its credentials.
pub fn proxy_carries_api_and_token_calls(h: &impl Harness) {
    let mock = start_mock();
    let (proxy, log) = http_proxy(Some(mock_addr(&mock)), Some(BASIC.into()));
    let (_silent, port) = silent_port();
    let url = format!("http://{USERINFO}@{}", proxy.addr);
    let h = with_proxy(h, ProxyConfig::all(Proxy::new(&url).unwrap()));
    let licences = h
        .call(&session_via("http", port, fast_retry()), &GetUserLicences)
        .expect("the call goes through the proxy");
    assert_eq!(
        (licences.available, licences.used, licences.limit),
        MOCK_LICENCES
    );
    let log = log.lock().unwrap();
    assert_eq!(log.refused, 0, "{log:?}");
    // A tunnel (`CONNECT host:port`) or a forwarded request in absolute form.
    for carried in &log.carried {
        let (method, target) = carried.split_once(' ').unwrap();
        assert!(
            (method == "CONNECT" && !target.contains('/')) || target.starts_with("http://"),
            "{log:?}"
        );
    }
    let token_host = format!("localhost:{port}");
    let api_host = format!("127.0.0.1:{port}");
    assert!(
        log.carried.iter().any(|c| c.contains(&token_host)),
        "the token call went through the proxy: {log:?}"
    );
    assert!(
        log.carried.iter().any(|c| c.contains(&api_host)),
        "the API call went through the proxy: {log:?}"
    );
}

/// Wrong proxy credentials fail the call (the proxy answers 407), and the password shows
/// neither in the error nor in the settings' `Debug`.
pub fn proxy_credentials_are_never_shown(h: &impl Harness) {
    let mock = start_mock();
    let (proxy, log) = http_proxy(Some(mock_addr(&mock)), Some("d3Jvbmc6d3Jvbmc=".into()));
    let (_silent, port) = silent_port();
    let config =
        ProxyConfig::all(Proxy::new(&format!("http://{USERINFO}@{}", proxy.addr)).unwrap());
    let shown = format!(
        "{:?}",
        Settings {
            proxy: config.clone(),
            ..Settings::default()
        }
    );
    assert!(
        !shown.contains("pa%3Ass") && !shown.contains(PASSWORD),
        "{shown}"
    );
    let s = session_via("http", port, RetryPolicy::never());
    let e = with_proxy(h, config)
        .call(&s, &GetUserLicences)
        .expect_err("the proxy refuses these credentials");
    assert!(log.lock().unwrap().refused >= 1, "{e}");
    for text in [e.to_string(), format!("{e:?}")] {
        assert!(!text.contains(PASSWORD), "{text}");
        assert!(!text.contains("pa%3Ass"), "{text}");
        assert!(!text.contains(BASIC), "{text}");
    }
}

/// Hosts on the `NO_PROXY` list, and every host with proxies turned off, are reached
/// directly: the proxy sees no connection.
pub fn no_proxy_hosts_bypass_the_proxy(h: &impl Harness) {
    let mock = start_mock();
    let (proxy, _log) = http_proxy(Some(mock_addr(&mock)), None);
    let rules = ProxyRules::all(Proxy::new(&proxy.base_url()).unwrap())
        .with_no_proxy(NoProxy::parse("localhost, 127.0.0.0/8"));
    for config in [ProxyConfig::Rules(rules), ProxyConfig::Direct] {
        let h = with_proxy(h, config);
        let licences = h.call(&session(&mock), &GetUserLicences).expect("direct");
        assert_eq!(licences.limit, MOCK_LICENCES.2);
    }
    assert_eq!(proxy.accepted(), 0, "no connection through the proxy");
}

/// An `https://` target is reached through a `CONNECT` tunnel, and TLS runs end to end inside
/// it: a self-signed certificate behind the proxy is refused (a `Connect` error; nothing, so
/// no token, is sent).
pub fn https_is_tunnelled_and_still_verified(h: &impl Harness) {
    let (tls, tls_log) = self_signed_tls_server();
    let (proxy, log) = http_proxy(Some(tls.addr), Some(BASIC.into()));
    let (_silent, port) = silent_port();
    let url = format!("http://{USERINFO}@{}", proxy.addr);
    let h = with_proxy(h, ProxyConfig::all(Proxy::new(&url).unwrap()));
    let s = session_via("https", port, RetryPolicy::never());
    let t = expect_transport(h.transport_name(), h.call(&s, &GetUserLicences));
    assert_eq!(t.kind(), TransportErrorKind::Connect, "{t}");
    wait_for_handshake_error(&tls_log);
    assert_eq!(tls_log.lock().unwrap().plaintext_bytes, 0);
    let log = log.lock().unwrap();
    let tunnel = format!("CONNECT localhost:{port}");
    assert!(
        !log.carried.is_empty() && log.carried.iter().all(|c| *c == tunnel),
        "tunnels only, for the token call: {log:?}"
    );
}
