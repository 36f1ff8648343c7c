//! Small loopback servers for what the mock cannot do: a body sent slowly, a proxy that drops
//! connections before reading them, an HTTP proxy (CONNECT and forwarding) that logs what it
//! carried, a TLS server with a self-signed certificate, and a listener that only counts
//! connections. Each stops when dropped.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An accept loop on 127.0.0.1:0 running `serve` on a thread per connection, until dropped.
pub(crate) struct Server {
    pub addr: SocketAddr,
    /// Connections accepted.
    pub accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Server {
    pub fn start<F>(serve: F) -> Server
    where
        F: Fn(usize, TcpStream) + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, halt, serve) = (accepted.clone(), stop.clone(), Arc::new(serve));
        std::thread::spawn(move || {
            while !halt.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let _ = stream.set_nonblocking(false);
                        let n = count.fetch_add(1, Ordering::SeqCst);
                        let serve = serve.clone();
                        std::thread::spawn(move || serve(n, stream));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server {
            addr,
            accepted,
            stop,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Reads a request head (up to the blank line); `false` when the peer closed first.
pub(crate) fn read_head(stream: &mut TcpStream) -> bool {
    head_bytes(stream).is_some()
}

/// The request head (up to and with the blank line, at most 64 KiB), byte by byte so that
/// nothing after it is consumed; `None` when the peer closed first or the head is too long.
pub(crate) fn head_bytes(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) if head.len() < 64 * 1024 => head.push(byte[0]),
            _ => return None,
        }
    }
    Some(head)
}

/// Copies bytes both ways between `client` and `upstream` until both directions are closed.
pub(crate) fn pipe(client: TcpStream, upstream: TcpStream) {
    let (Ok(mut c_read), Ok(mut u_write)) = (client.try_clone(), upstream.try_clone()) else {
        return;
    };
    let forward = std::thread::spawn(move || {
        let _ = std::io::copy(&mut c_read, &mut u_write);
        let _ = u_write.shutdown(Shutdown::Write);
    });
    let (mut u_read, mut c_write) = (upstream, client);
    let _ = std::io::copy(&mut u_read, &mut c_write);
    let _ = c_write.shutdown(Shutdown::Both);
    let _ = forward.join();
}

/// Answers every request with 200 and `body`, sent in `pieces` parts `pause` apart.
pub(crate) fn slow_body_server(body: Vec<u8>, pieces: usize, pause: Duration) -> Server {
    Server::start(move |_, mut stream| {
        if !read_head(&mut stream) {
            return;
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        let size = body.len().div_ceil(pieces.max(1)).max(1);
        for chunk in body.chunks(size) {
            std::thread::sleep(pause);
            if stream
                .write_all(chunk)
                .and_then(|_| stream.flush())
                .is_err()
            {
                return;
            }
        }
        let _ = stream.shutdown(Shutdown::Write);
    })
}

/// A TCP proxy to `target` that closes its first `drop_first` connections at once, without
/// reading a byte, and forwards the others both ways.
pub(crate) fn flaky_proxy(target: SocketAddr, drop_first: usize) -> Server {
    Server::start(move |n, client| {
        if n < drop_first {
            let _ = client.shutdown(Shutdown::Both);
            return;
        }
        if let Ok(upstream) = TcpStream::connect(target) {
            pipe(client, upstream);
        }
    })
}

/// What the HTTP proxy carried: one line per tunnel (`CONNECT host:port`) or forwarded
/// request (`GET http://host:port/path`), as the client asked for it.
#[derive(Debug, Default)]
pub(crate) struct ProxyLog {
    /// Requests carried, in order.
    pub carried: Vec<String>,
    /// Requests refused with 407 (missing or wrong `Proxy-Authorization`).
    pub refused: usize,
}

/// An HTTP proxy that answers `CONNECT` with a tunnel and forwards absolute-form requests, to
/// the host the client named or, with `upstream`, always there (so a call that reaches the
/// upstream can only have come through the proxy). With `basic`, requests without
/// `Proxy-Authorization: Basic <basic>` get 407.
pub(crate) fn http_proxy(
    upstream: Option<SocketAddr>,
    basic: Option<String>,
) -> (Server, Arc<Mutex<ProxyLog>>) {
    let log = Arc::new(Mutex::new(ProxyLog::default()));
    let seen = log.clone();
    let server = Server::start(move |_, mut client| {
        let _ = client.set_read_timeout(Some(Duration::from_secs(30)));
        let Some(head) = head_bytes(&mut client) else {
            return;
        };
        let head = String::from_utf8_lossy(&head).into_owned();
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let auth = headers
            .iter()
            .find(|(k, _)| k == "proxy-authorization")
            .map(|(_, v)| v.as_str());
        if let Some(basic) = &basic {
            if auth != Some(format!("Basic {basic}").as_str()) {
                seen.lock().unwrap().refused += 1;
                let _ = client.write_all(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                return;
            }
        }
        let mut parts = request_line.split(' ');
        let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        seen.lock()
            .unwrap()
            .carried
            .push(format!("{method} {target}"));
        let named = target
            .strip_prefix("http://")
            .unwrap_or(target)
            .split('/')
            .next()
            .unwrap_or_default();
        let connected = match upstream {
            Some(addr) => TcpStream::connect(addr),
            None => TcpStream::connect(named),
        };
        let Ok(mut server) = connected else {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
            return;
        };
        if method == "CONNECT" {
            if client
                .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                .is_ok()
            {
                pipe(client, server);
            }
            return;
        }
        // Forwarding: origin form, hop-by-hop headers dropped, one request per connection.
        let path = target
            .strip_prefix("http://")
            .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
            .unwrap_or("/");
        let mut out = format!("{method} {path} HTTP/1.1\r\n");
        for (name, value) in &headers {
            if !matches!(
                name.as_str(),
                "proxy-authorization" | "proxy-connection" | "connection"
            ) {
                out.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        out.push_str("connection: close\r\n\r\n");
        if server.write_all(out.as_bytes()).is_ok() {
            pipe(client, server);
        }
    });
    (server, log)
}

/// What the TLS server saw.
#[derive(Debug, Default)]
pub(crate) struct TlsLog {
    /// Handshake failures, as rustls reported them.
    pub handshake_errors: Vec<String>,
    /// Plaintext (HTTP) bytes received after a completed handshake.
    pub plaintext_bytes: usize,
}

/// A TLS server for `localhost` and 127.0.0.1 with a self-signed certificate (generated for
/// these tests, trusted by nobody), logging what it receives.
pub(crate) fn self_signed_tls_server() -> (Server, Arc<Mutex<TlsLog>>) {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let cert = CertificateDer::from(include_bytes!("tls/self-signed-cert.der").to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        include_bytes!("tls/self-signed-key.der").to_vec(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports TLS 1.2 and 1.3")
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .expect("a valid self-signed certificate");
    let config = Arc::new(config);
    let log = Arc::new(Mutex::new(TlsLog::default()));
    let seen = log.clone();
    let server = Server::start(move |_, stream| {
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let conn = rustls::ServerConnection::new(config.clone()).expect("server connection");
        let mut tls = rustls::StreamOwned::new(conn, stream);
        let mut buf = [0u8; 4096];
        loop {
            match tls.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => seen.lock().unwrap().plaintext_bytes += n,
                Err(e) => {
                    if tls.conn.is_handshaking() {
                        seen.lock().unwrap().handshake_errors.push(e.to_string());
                    }
                    return;
                }
            }
        }
    });
    (server, log)
}

/// Waits (at most a minute) until the TLS server logged a failed handshake: it does so after
/// the client gave up.
pub(crate) fn wait_for_handshake_error(log: &Mutex<TlsLog>) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while log.lock().unwrap().handshake_errors.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no handshake error logged"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A listener that accepts and closes connections, counting them: a host that must never be
/// contacted.
pub(crate) fn counting_listener() -> Server {
    Server::start(|_, stream| {
        let _ = stream.shutdown(Shutdown::Both);
    })
}
