//! The two drivers, each a short loop over an [`Exchange`], and the transport traits they use.
//!
//! Transports move bytes and provide the clock, sleeping and jitter seed; they hold no policy.
//! The traits use plain `http` types so no hyper or ureq type is ever public.

use std::future::Future;
use std::time::{Duration, SystemTime};

use crate::endpoint::Endpoint;
use crate::error::{Error, TransportError};
use crate::exchange::{Exchange, Step};
use crate::session::Session;

/// A blocking HTTP client.
pub trait BlockingTransport {
    /// Performs one request. Non-2xx statuses are responses, not errors.
    fn execute(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError>;
    /// Blocks the thread for `duration`.
    fn sleep(&self, duration: Duration);
    /// The current wall-clock time.
    fn now(&self) -> SystemTime;
    /// A fresh seed for backoff jitter.
    fn jitter_seed(&self) -> u64;
}

/// An async HTTP client.
pub trait AsyncTransport: Sync {
    /// Performs one request. Non-2xx statuses are responses, not errors.
    fn execute(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> impl Future<Output = Result<http::Response<Vec<u8>>, TransportError>> + Send;
    /// Waits for `duration` without blocking the thread.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send;
    /// The current wall-clock time.
    fn now(&self) -> SystemTime;
    /// A fresh seed for backoff jitter.
    fn jitter_seed(&self) -> u64;
}

/// Performs `endpoint` on `session` over a blocking transport.
pub fn send_blocking<T, E>(
    transport: &T,
    session: &Session,
    endpoint: &E,
) -> Result<E::Output, Error>
where
    T: BlockingTransport + ?Sized,
    E: Endpoint,
{
    let mut exchange = Exchange::new(session, endpoint, transport.jitter_seed());
    loop {
        match exchange.poll(transport.now()) {
            Step::Send(request) => match transport.execute(request) {
                Ok(response) => exchange.on_response(transport.now(), response),
                Err(error) => exchange.on_transport_error(transport.now(), error),
            },
            Step::Sleep(duration) => transport.sleep(duration),
            Step::Done(result) => return result,
        }
    }
}

/// Performs `endpoint` on `session` over an async transport.
pub async fn send<T, E>(transport: &T, session: &Session, endpoint: &E) -> Result<E::Output, Error>
where
    T: AsyncTransport,
    E: Endpoint + Sync,
{
    let mut exchange = Exchange::new(session, endpoint, transport.jitter_seed());
    loop {
        match exchange.poll(transport.now()) {
            Step::Send(request) => match transport.execute(request).await {
                Ok(response) => exchange.on_response(transport.now(), response),
                Err(error) => exchange.on_transport_error(transport.now(), error),
            },
            Step::Sleep(duration) => transport.sleep(duration).await,
            Step::Done(result) => return result,
        }
    }
}
