//! The connector under TLS that follows the proxy rules ([`zohocrm_core::proxy`]): a direct
//! TCP connection, an HTTP `CONNECT` tunnel through the proxy for `https://` targets
//! (hyper-util's [`Tunnel`]; rustls then runs end to end inside it), or a plain connection to
//! the proxy for `http://` targets, marked as proxied so that hyper sends absolute-form request
//! targets (the transport adds `Proxy-Authorization` to those requests).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::uri::Scheme;
use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;
use zohocrm_core::proxy::ProxyRules;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Connects to a target directly or through its proxy, per the rules.
#[derive(Clone, Debug)]
pub(crate) struct ProxyConnector {
    http: HttpConnector,
    rules: Arc<ProxyRules>,
}

impl ProxyConnector {
    pub(crate) fn new(http: HttpConnector, rules: Arc<ProxyRules>) -> Self {
        ProxyConnector { http, rules }
    }
}

impl Service<Uri> for ProxyConnector {
    type Response = ProxyStream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<ProxyStream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, target: Uri) -> Self::Future {
        let mut http = self.http.clone();
        match self.rules.proxy_for(&target) {
            None => Box::pin(async move {
                let io = http.call(target).await?;
                Ok(ProxyStream::new(io, false))
            }),
            Some(proxy) if target.scheme() == Some(&Scheme::HTTPS) => {
                let mut tunnel = Tunnel::new(proxy.uri().clone(), http);
                if let Some(auth) = proxy.basic_auth() {
                    tunnel = tunnel.with_auth(auth);
                }
                Box::pin(async move {
                    let io = tunnel.call(target).await?;
                    Ok(ProxyStream::new(io, false))
                })
            }
            Some(proxy) => {
                let proxy = proxy.uri().clone();
                Box::pin(async move {
                    let io = http.call(proxy).await?;
                    Ok(ProxyStream::new(io, true))
                })
            }
        }
    }
}

/// A TCP connection that says whether requests on it are forwarded by a proxy.
#[derive(Debug)]
pub(crate) struct ProxyStream {
    io: TokioIo<TcpStream>,
    forwarded: bool,
}

impl ProxyStream {
    fn new(io: TokioIo<TcpStream>, forwarded: bool) -> Self {
        ProxyStream { io, forwarded }
    }
}

impl Connection for ProxyStream {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.forwarded)
    }
}

impl Read for ProxyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl Write for ProxyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}
