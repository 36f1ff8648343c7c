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
///
/// Waits for a concurrency permit of the session (see [`crate::limit`]) before each API
/// request; with the `tracing` feature, records a `zohocrm.call` span and one event per attempt
/// (endpoint id, attempt, status or error kind, duration; never URLs, headers or bodies).
pub fn send_blocking<T, E>(
    transport: &T,
    session: &Session,
    endpoint: &E,
) -> Result<E::Output, Error>
where
    T: BlockingTransport + ?Sized,
    E: Endpoint,
{
    #[cfg(feature = "tracing")]
    let _span = trace::span(endpoint.id()).entered();
    let mut exchange = Exchange::new(session, endpoint, transport.jitter_seed());
    loop {
        match exchange.poll(transport.now()) {
            Step::Send(request) => {
                let attempt = trace::Attempt::start(&exchange, transport.now());
                let result = transport.execute(request);
                attempt.finish(endpoint.id(), &result, transport.now());
                match result {
                    Ok(response) => exchange.on_response(transport.now(), response),
                    Err(error) => exchange.on_transport_error(transport.now(), error),
                }
            }
            Step::Sleep(duration) => match exchange.waiting_for_permit() {
                Some(cost) => session.limiter().wait_blocking(cost),
                None => transport.sleep(duration),
            },
            Step::Done(result) => {
                trace::done(endpoint.id(), exchange.attempts(), &result);
                return result;
            }
        }
    }
}

/// Performs `endpoint` on `session` over an async transport. Concurrency permits and tracing
/// as in [`send_blocking`]; waiting for a permit needs no particular runtime.
pub async fn send<T, E>(transport: &T, session: &Session, endpoint: &E) -> Result<E::Output, Error>
where
    T: AsyncTransport,
    E: Endpoint + Sync,
{
    let call = drive(transport, session, endpoint);
    #[cfg(feature = "tracing")]
    let call = tracing::Instrument::instrument(call, trace::span(endpoint.id()));
    call.await
}

async fn drive<T, E>(transport: &T, session: &Session, endpoint: &E) -> Result<E::Output, Error>
where
    T: AsyncTransport,
    E: Endpoint + Sync,
{
    let mut exchange = Exchange::new(session, endpoint, transport.jitter_seed());
    loop {
        match exchange.poll(transport.now()) {
            Step::Send(request) => {
                let attempt = trace::Attempt::start(&exchange, transport.now());
                let result = transport.execute(request).await;
                attempt.finish(endpoint.id(), &result, transport.now());
                match result {
                    Ok(response) => exchange.on_response(transport.now(), response),
                    Err(error) => exchange.on_transport_error(transport.now(), error),
                }
            }
            Step::Sleep(duration) => match exchange.waiting_for_permit() {
                Some(cost) => session.limiter().wait(cost).await,
                None => transport.sleep(duration).await,
            },
            Step::Done(result) => {
                trace::done(endpoint.id(), exchange.attempts(), &result);
                return result;
            }
        }
    }
}

/// What the drivers record with the `tracing` feature: ids, counts, statuses, error kinds and
/// durations. Nothing that can hold a secret or personal data (URL, query, header, body,
/// message) is ever recorded. Without the feature these are no-ops.
mod trace {
    use std::time::SystemTime;

    use crate::endpoint::Endpoint;
    use crate::error::{Error, TransportError};
    use crate::exchange::Exchange;

    #[cfg(feature = "tracing")]
    pub(super) fn span(endpoint: &'static str) -> tracing::Span {
        tracing::debug_span!("zohocrm.call", endpoint)
    }

    /// One request in flight.
    pub(super) struct Attempt {
        #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
        token_request: bool,
        #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
        attempt: u32,
        #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
        started: SystemTime,
    }

    impl Attempt {
        pub(super) fn start<E: Endpoint>(exchange: &Exchange<'_, E>, now: SystemTime) -> Self {
            Attempt {
                token_request: exchange.sending_token_request(),
                attempt: exchange.attempts(),
                started: now,
            }
        }

        #[cfg(feature = "tracing")]
        pub(super) fn finish(
            self,
            endpoint: &'static str,
            result: &Result<http::Response<Vec<u8>>, TransportError>,
            now: SystemTime,
        ) {
            let duration_ms = now
                .duration_since(self.started)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0);
            let kind = if self.token_request { "token" } else { "api" };
            match result {
                Ok(response) => tracing::debug!(
                    endpoint,
                    kind,
                    attempt = self.attempt,
                    status = response.status().as_u16(),
                    duration_ms,
                    "zohocrm attempt"
                ),
                Err(e) => tracing::debug!(
                    endpoint,
                    kind,
                    attempt = self.attempt,
                    transport_error = ?e.kind(),
                    duration_ms,
                    "zohocrm attempt failed"
                ),
            }
        }

        #[cfg(not(feature = "tracing"))]
        pub(super) fn finish(
            self,
            _endpoint: &'static str,
            _result: &Result<http::Response<Vec<u8>>, TransportError>,
            _now: SystemTime,
        ) {
        }
    }

    #[cfg(feature = "tracing")]
    pub(super) fn done<T>(endpoint: &'static str, attempts: u32, result: &Result<T, Error>) {
        match result {
            Ok(_) => tracing::debug!(endpoint, attempts, "zohocrm call succeeded"),
            Err(e) => {
                let error = match e {
                    Error::Api { error, .. } => error.code.as_str().to_owned(),
                    Error::Http { .. } => "http".to_owned(),
                    Error::Auth(a) => format!("auth:{:?}", a.kind),
                    Error::Transport(t) => format!("transport:{:?}", t.kind()),
                    Error::Decode(_) => "decode".to_owned(),
                    Error::Build(_) => "build".to_owned(),
                };
                tracing::debug!(
                    endpoint,
                    attempts,
                    status = e.status(),
                    error,
                    "zohocrm call failed"
                )
            }
        }
    }

    #[cfg(not(feature = "tracing"))]
    pub(super) fn done<T>(_endpoint: &'static str, _attempts: u32, _result: &Result<T, Error>) {}
}
