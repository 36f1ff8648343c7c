//! The driver: one loop over an [`Exchange`] that drives every call, streaming included, and
//! the transport traits it runs on.
//!
//! The loop is written once, as async code over the driver's view of a transport (`Io`). The
//! async entry points ([`send`], [`download`], [`upload`]) await it on the caller's runtime.
//! The blocking ones ([`send_blocking`], [`download_blocking`], [`upload_blocking`]) run the
//! same loop over a [`BlockingTransport`], whose every step is done when it is called (the
//! thread blocks inside it), so the loop's future finishes on its first poll. Tracing, the
//! concurrency limiter, the org-wide limiter's steps, the token store's steps, body limits, retries and error mapping exist
//! once.
//!
//! Transports only move bytes: they start a request ([`Payload`]: bytes, or a file streamed
//! up) and hand back the head with a body to read chunk by chunk; they provide the clocks,
//! sleeping and the jitter seed. The traits use plain `http` types, so no hyper or ureq type is
//! ever public.

use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::{Duration, Instant, SystemTime};

use crate::config::TransportConfig;
use crate::endpoint::Endpoint;
use crate::error::{Error, TransportError, TransportErrorKind};
use crate::exchange::{Exchange, Step};
use crate::limit::{Cost, Limiter};
use crate::org_limit::{OrgLimit, OrgOp, OrgReply};
use crate::session::Session;
use crate::stream::{is_streamable, DownloadCall, Downloaded, FileUpload, Got, StreamedBytes};
use crate::token_store::{Store, StoreError, StoreOp, StoreReply};

/// What a request sends.
#[derive(Debug)]
#[non_exhaustive]
pub enum Payload<'a> {
    /// These bytes (empty for no body).
    Bytes(Vec<u8>),
    /// A multipart body around a file on disk, streamed from it: [`FileUpload::prefix`], the
    /// file's bytes, [`FileUpload::suffix`], with `Content-Length` set to
    /// [`FileUpload::content_length`].
    File(&'a FileUpload),
}

/// How the driver will read a response, so a transport can pick its timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reading {
    /// Read whole into memory: the request, its upload and its body within
    /// [`TransportConfig::timeout`].
    Whole,
    /// Perhaps streamed to a sink (a download): the head within the timeout, then each chunk
    /// within the timeout of the one before.
    Stream,
}

/// A blocking HTTP client.
pub trait BlockingTransport {
    /// A response body, read by the driver.
    type Body: BlockingBody;

    /// Sends `request` and returns the response head with its body unread. Non-2xx statuses
    /// are responses, not errors.
    fn start(
        &self,
        request: http::Request<Payload<'_>>,
        reading: Reading,
    ) -> Result<http::Response<Self::Body>, TransportError>;
    /// The timeouts and limits (the driver enforces the body limits).
    fn config(&self) -> &TransportConfig;
    /// Blocks the thread for `duration`.
    fn sleep(&self, duration: Duration);
    /// The monotonic clock.
    fn now(&self) -> Instant;
    /// The wall-clock time (for stored token expiries and job polling).
    fn wall_clock(&self) -> SystemTime;
    /// A fresh seed for backoff jitter.
    fn jitter_seed(&self) -> u64;
}

/// A response body of a [`BlockingTransport`].
pub trait BlockingBody {
    /// Appends at most `max` (at least 1) bytes of the body to `out` and returns how many;
    /// 0 once the body has ended. May return fewer than are left (one read, one frame).
    fn read_into(&mut self, out: &mut Vec<u8>, max: usize) -> Result<usize, TransportError>;
}

/// An async HTTP client.
pub trait AsyncTransport: Sync {
    /// A response body, read by the driver.
    type Body: AsyncBody;
    /// Where downloads go (e.g. `dyn tokio::io::AsyncWrite + Unpin + Send`).
    type Sink: ?Sized + Send;

    /// As [`BlockingTransport::start`].
    fn start(
        &self,
        request: http::Request<Payload<'_>>,
        reading: Reading,
    ) -> impl Future<Output = Result<http::Response<Self::Body>, TransportError>> + Send;
    /// Writes all of `bytes` to `sink`.
    fn write(
        &self,
        sink: &mut Self::Sink,
        bytes: &[u8],
    ) -> impl Future<Output = std::io::Result<()>> + Send;
    /// Runs `f` where blocking is allowed (e.g. tokio's blocking pool): a token store with
    /// file or network IO.
    fn run_blocking<R: Send + 'static>(
        &self,
        f: impl FnOnce() -> R + Send + 'static,
    ) -> impl Future<Output = R> + Send;
    /// As [`BlockingTransport::config`].
    fn config(&self) -> &TransportConfig;
    /// Waits for `duration` without blocking the thread.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send;
    /// The monotonic clock.
    fn now(&self) -> Instant;
    /// The wall-clock time (for stored token expiries and job polling).
    fn wall_clock(&self) -> SystemTime;
    /// A fresh seed for backoff jitter.
    fn jitter_seed(&self) -> u64;
}

/// A response body of an [`AsyncTransport`].
pub trait AsyncBody: Send {
    /// As [`BlockingBody::read_into`].
    fn read_into(
        &mut self,
        out: &mut Vec<u8>,
        max: usize,
    ) -> impl Future<Output = Result<usize, TransportError>> + Send;
}

/// A body already in memory, for transports that read whole answers themselves (replays,
/// tests, bindings).
#[derive(Debug, Clone, Default)]
pub struct Buffered {
    bytes: Vec<u8>,
    read: usize,
}

impl Buffered {
    /// A body of these bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Buffered { bytes, read: 0 }
    }

    fn take(&mut self, out: &mut Vec<u8>, max: usize) -> usize {
        let rest = &self.bytes[self.read..];
        let n = rest.len().min(max);
        out.extend_from_slice(&rest[..n]);
        self.read += n;
        n
    }
}

impl BlockingBody for Buffered {
    fn read_into(&mut self, out: &mut Vec<u8>, max: usize) -> Result<usize, TransportError> {
        Ok(self.take(out, max))
    }
}

impl AsyncBody for Buffered {
    async fn read_into(&mut self, out: &mut Vec<u8>, max: usize) -> Result<usize, TransportError> {
        Ok(self.take(out, max))
    }
}

/// Performs `endpoint` on `session` over a blocking transport.
///
/// Waits for a concurrency permit of the session (see [`crate::limit`]) before each API
/// request; with the `tracing` feature, records a `zohocrm.call` span and one event per attempt
/// (endpoint id, attempt, status or error kind, duration; never URLs, headers or bodies).
pub fn send_blocking<T, E>(
    transport: &T,
    session: &Arc<Session>,
    endpoint: &E,
) -> Result<E::Output, Error>
where
    T: BlockingTransport + ?Sized,
    E: Endpoint,
{
    block_on(call(
        &Blocking::new(transport),
        session,
        endpoint,
        None,
        None,
    ))
}

/// Performs `endpoint` on `session` over an async transport. Concurrency permits and tracing
/// as in [`send_blocking`]; waiting for a permit needs no particular runtime.
pub async fn send<T, E>(
    transport: &T,
    session: &Arc<Session>,
    endpoint: &E,
) -> Result<E::Output, Error>
where
    T: AsyncTransport,
    E: Endpoint + Sync,
{
    call(transport, session, endpoint, None, None).await
}

/// Downloads `endpoint`'s body into `sink` over a blocking transport (see [`crate::stream`]).
pub fn download_blocking<T, E>(
    transport: &T,
    session: &Arc<Session>,
    endpoint: &E,
    sink: &mut dyn Write,
) -> Result<Downloaded, Error>
where
    T: BlockingTransport + ?Sized,
    E: Endpoint,
{
    block_on(download_with(
        &Blocking::new(transport),
        session,
        endpoint,
        sink,
    ))
}

/// Downloads `endpoint`'s body into `sink` over an async transport (see [`crate::stream`]).
pub async fn download<T, E>(
    transport: &T,
    session: &Arc<Session>,
    endpoint: &E,
    sink: &mut T::Sink,
) -> Result<Downloaded, Error>
where
    T: AsyncTransport,
    E: Endpoint + Sync,
{
    download_with(transport, session, endpoint, sink).await
}

/// Performs an upload endpoint whose body is `upload`, over a blocking transport.
pub fn upload_blocking<T, E>(
    transport: &T,
    session: &Arc<Session>,
    endpoint: &E,
    upload: &FileUpload,
) -> Result<E::Output, Error>
where
    T: BlockingTransport + ?Sized,
    E: Endpoint,
{
    block_on(call(
        &Blocking::new(transport),
        session,
        endpoint,
        Some(upload),
        None,
    ))
}

/// Performs an upload endpoint whose body is `upload`, over an async transport.
pub async fn upload<T, E>(
    transport: &T,
    session: &Arc<Session>,
    endpoint: &E,
    upload: &FileUpload,
) -> Result<E::Output, Error>
where
    T: AsyncTransport,
    E: Endpoint + Sync,
{
    call(transport, session, endpoint, Some(upload), None).await
}

/// Runs a future whose every await is ready at once: the loop over a blocking transport.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = TaskContext::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // Not reached with a blocking transport (nothing it returns is pending); yielding
        // keeps a misbehaving one from spinning a core.
        std::thread::yield_now();
    }
}

/// The driver's view of a transport: the same operations in both modes.
///
/// Every operation returns a [`Fut`](Io::Fut): a ready value for a blocking transport (the work
/// is done when the method returns), a boxed `Send` future for an async one. Naming the future
/// type (rather than an opaque `async fn`) lets the compiler see that the async loop is `Send`.
trait Io {
    type Body;
    type Sink: ?Sized;
    type Fut<'a, T: 'a>: Future<Output = T>
    where
        Self: 'a;

    fn start<'a>(
        &'a self,
        request: http::Request<Payload<'a>>,
        reading: Reading,
    ) -> Self::Fut<'a, Result<http::Response<Self::Body>, TransportError>>;
    fn read<'a>(
        &'a self,
        body: &'a mut Self::Body,
        out: &'a mut Vec<u8>,
        max: usize,
    ) -> Self::Fut<'a, Result<usize, TransportError>>;
    fn write<'a>(
        &'a self,
        sink: &'a mut Self::Sink,
        bytes: &'a [u8],
    ) -> Self::Fut<'a, std::io::Result<()>>;
    fn sleep_until(&self, until: Instant) -> Self::Fut<'_, ()>;
    fn permit<'a>(&'a self, limiter: &'a Limiter, cost: Cost) -> Self::Fut<'a, ()>;
    fn store<'a>(&'a self, store: &'a Store, op: StoreOp) -> Self::Fut<'a, StoreReply>;
    fn org<'a>(&'a self, limit: &'a OrgLimit, op: OrgOp) -> Self::Fut<'a, OrgReply>;
    fn config(&self) -> &TransportConfig;
    fn now(&self) -> Instant;
    fn jitter_seed(&self) -> u64;
}

/// A blocking transport as the driver sees it; downloads go to a `dyn Write` living `'s`.
struct Blocking<'t, 's, T: ?Sized> {
    transport: &'t T,
    sink: std::marker::PhantomData<&'s ()>,
}

impl<'t, T: ?Sized> Blocking<'t, '_, T> {
    fn new(transport: &'t T) -> Self {
        Blocking {
            transport,
            sink: std::marker::PhantomData,
        }
    }
}

// Every method does its work when called (blocking the thread), so each future is ready.
impl<'s, T: BlockingTransport + ?Sized> Io for Blocking<'_, 's, T> {
    type Body = T::Body;
    type Sink = dyn Write + 's;
    type Fut<'a, R: 'a>
        = std::future::Ready<R>
    where
        Self: 'a;

    fn start<'a>(
        &'a self,
        request: http::Request<Payload<'a>>,
        reading: Reading,
    ) -> Self::Fut<'a, Result<http::Response<T::Body>, TransportError>> {
        std::future::ready(self.transport.start(request, reading))
    }

    fn read<'a>(
        &'a self,
        body: &'a mut T::Body,
        out: &'a mut Vec<u8>,
        max: usize,
    ) -> Self::Fut<'a, Result<usize, TransportError>> {
        std::future::ready(body.read_into(out, max))
    }

    fn write<'a>(
        &'a self,
        sink: &'a mut (dyn Write + 's),
        bytes: &'a [u8],
    ) -> Self::Fut<'a, std::io::Result<()>> {
        std::future::ready(sink.write_all(bytes))
    }

    fn sleep_until(&self, until: Instant) -> Self::Fut<'_, ()> {
        let left = until.saturating_duration_since(self.transport.now());
        if !left.is_zero() {
            self.transport.sleep(left);
        }
        std::future::ready(())
    }

    fn permit<'a>(&'a self, limiter: &'a Limiter, cost: Cost) -> Self::Fut<'a, ()> {
        limiter.wait_blocking(cost);
        std::future::ready(())
    }

    fn store<'a>(&'a self, store: &'a Store, op: StoreOp) -> Self::Fut<'a, StoreReply> {
        let wall_clock = self.transport.wall_clock();
        std::future::ready(match store {
            Store::Blocking(store) => op.perform(&**store, wall_clock),
            Store::Async(_) => refuse(op, wall_clock),
        })
    }

    fn org<'a>(&'a self, limit: &'a OrgLimit, op: OrgOp) -> Self::Fut<'a, OrgReply> {
        std::future::ready(match limit {
            OrgLimit::Blocking(limiter) => op.perform(&**limiter),
            OrgLimit::Async(_) => op.refuse(),
        })
    }

    fn config(&self) -> &TransportConfig {
        self.transport.config()
    }

    fn now(&self) -> Instant {
        self.transport.now()
    }

    fn jitter_seed(&self) -> u64 {
        self.transport.jitter_seed()
    }
}

/// The answer of a store the blocking client cannot drive (an async one): a store error, so
/// the call goes on without the store (it is best effort) and the error is reported by
/// [`Session::last_store_error`]. The clients refuse such a session when they are built.
fn refuse(op: StoreOp, wall_clock: SystemTime) -> StoreReply {
    let error = || StoreError {
        path: "async token store".into(),
        message: "an async token store needs the async client".into(),
    };
    match op {
        StoreOp::Load => StoreReply::Loaded {
            token: Err(error()),
            wall_clock,
        },
        StoreOp::Lock => StoreReply::Locked(Err(error())),
        StoreOp::Save { .. } => StoreReply::Saved(Err(error())),
        StoreOp::Unlock(_) => StoreReply::Unlocked(Ok(())),
    }
}

/// A boxed future of the async driver.
type Boxed<'a, R> = std::pin::Pin<Box<dyn Future<Output = R> + Send + 'a>>;

/// An async transport is its own view: a type without a lifetime, so that the futures of the
/// loop are `Send` for any lifetime of what they borrow.
impl<T: AsyncTransport> Io for T {
    type Body = T::Body;
    type Sink = T::Sink;
    type Fut<'a, R: 'a>
        = Boxed<'a, R>
    where
        Self: 'a;

    fn start<'a>(
        &'a self,
        request: http::Request<Payload<'a>>,
        reading: Reading,
    ) -> Boxed<'a, Result<http::Response<T::Body>, TransportError>> {
        Box::pin(self.start(request, reading))
    }

    fn read<'a>(
        &'a self,
        body: &'a mut T::Body,
        out: &'a mut Vec<u8>,
        max: usize,
    ) -> Boxed<'a, Result<usize, TransportError>> {
        Box::pin(body.read_into(out, max))
    }

    fn write<'a>(
        &'a self,
        sink: &'a mut T::Sink,
        bytes: &'a [u8],
    ) -> Boxed<'a, std::io::Result<()>> {
        Box::pin(self.write(sink, bytes))
    }

    fn sleep_until(&self, until: Instant) -> Boxed<'_, ()> {
        let left = until.saturating_duration_since(self.now());
        Box::pin(self.sleep(left))
    }

    fn permit<'a>(&'a self, limiter: &'a Limiter, cost: Cost) -> Boxed<'a, ()> {
        Box::pin(limiter.wait(cost))
    }

    fn store<'a>(&'a self, store: &'a Store, op: StoreOp) -> Boxed<'a, StoreReply> {
        let wall_clock = self.wall_clock();
        match store {
            Store::Async(store) => Box::pin(op.perform_async(&**store, wall_clock)),
            Store::Blocking(store) if !store.may_block() => {
                Box::pin(std::future::ready(op.perform(&**store, wall_clock)))
            }
            // File or network IO: off the executor.
            Store::Blocking(store) => {
                let store = store.clone();
                Box::pin(self.run_blocking(move || op.perform(&*store, wall_clock)))
            }
        }
    }

    fn org<'a>(&'a self, limit: &'a OrgLimit, op: OrgOp) -> Boxed<'a, OrgReply> {
        match limit {
            OrgLimit::Async(limiter) => Box::pin(op.perform_async(&**limiter)),
            // Network IO: off the executor.
            OrgLimit::Blocking(limiter) => {
                let limiter = limiter.clone();
                Box::pin(self.run_blocking(move || op.perform(&*limiter)))
            }
        }
    }

    fn config(&self) -> &TransportConfig {
        self.config()
    }

    fn now(&self) -> Instant {
        self.now()
    }

    fn jitter_seed(&self) -> u64 {
        self.jitter_seed()
    }
}

/// The size of the chunks a download is read in.
const CHUNK: usize = 64 * 1024;

/// A transport failure of one attempt; `partial` when part of a download had been written to
/// the sink (it cannot be rewound, so the attempt is not retried).
struct Failed {
    error: TransportError,
    partial: bool,
}

impl From<TransportError> for Failed {
    fn from(error: TransportError) -> Self {
        Failed {
            error,
            partial: false,
        }
    }
}

/// A step with the endpoint's output type left out: what the loop awaits on. (Holding a
/// `Step<E::Output>` across an await would make the async driver's future `Send` only for
/// endpoints of one lifetime.)
enum Action {
    Send(http::Request<Vec<u8>>),
    Backoff(Instant),
    Permit(Cost),
    Store(StoreOp),
    Org(OrgOp),
}

/// Runs one call: the exchange, and every step it asks for.
async fn call<I: Io, E: Endpoint>(
    io: &I,
    session: &Arc<Session>,
    endpoint: E,
    upload: Option<&FileUpload>,
    mut sink: Option<&mut I::Sink>,
) -> Result<E::Output, Error> {
    let id = endpoint.id();
    let run = async {
        let mut exchange = Exchange::new(session.clone(), endpoint, io.jitter_seed());
        loop {
            let action = match exchange.poll(io.now()) {
                Step::Send(request) => Action::Send(request),
                Step::Backoff(until) => Action::Backoff(until),
                Step::Permit(cost) => Action::Permit(cost),
                Step::Store(op) => Action::Store(op),
                Step::Org(op) => Action::Org(op),
                Step::Done(result) => {
                    trace::done(id, exchange.attempts(), &result);
                    return result;
                }
            };
            match action {
                Action::Send(request) => {
                    let attempt = trace::Attempt::start(&exchange, io.now());
                    // A token answer is never the download, whatever its content type.
                    let sink = match exchange.sending_token_request() {
                        true => None,
                        false => sink.as_deref_mut(),
                    };
                    let result = attempt_once(io, request, upload, sink).await;
                    attempt.finish(id, &result, io.now());
                    match result {
                        Ok(response) => exchange.on_response(io.now(), response),
                        Err(Failed {
                            error,
                            partial: false,
                        }) => exchange.on_transport_error(io.now(), error),
                        Err(Failed { error, .. }) => {
                            let result = Err(error.into());
                            trace::done(id, exchange.attempts(), &result);
                            return result;
                        }
                    }
                }
                Action::Backoff(until) => io.sleep_until(until).await,
                Action::Permit(cost) => io.permit(session.limiter(), cost).await,
                Action::Store(op) => {
                    let reply = io.store(session.store(), op).await;
                    exchange.on_store(io.now(), reply);
                }
                Action::Org(op) => {
                    // Only an exchange whose session has a limiter asks for one.
                    let reply = match session.org_limiter() {
                        Some(limit) => io.org(limit, op).await,
                        None => op.refuse(),
                    };
                    exchange.on_org(io.now(), reply);
                }
            }
        }
    };
    #[cfg(feature = "tracing")]
    let run = tracing::Instrument::instrument(run, trace::span(id));
    run.await
}

/// A download: the call, then a body that was read whole written to the sink.
async fn download_with<I: Io, E: Endpoint>(
    io: &I,
    session: &Arc<Session>,
    endpoint: E,
    sink: &mut I::Sink,
) -> Result<Downloaded, Error> {
    match call(io, session, DownloadCall(endpoint), None, Some(&mut *sink)).await? {
        Got::Streamed(d) => Ok(d),
        Got::Buffered(d, body) => {
            io.write(sink, &body).await.map_err(write_error)?;
            Ok(d)
        }
    }
}

fn write_error(e: std::io::Error) -> TransportError {
    TransportError::new(
        TransportErrorKind::Other,
        format!("cannot write the download: {e}"),
    )
}

/// One attempt: the request, then its body read whole or streamed to the sink.
async fn attempt_once<I: Io>(
    io: &I,
    request: http::Request<Vec<u8>>,
    upload: Option<&FileUpload>,
    sink: Option<&mut I::Sink>,
) -> Result<http::Response<Vec<u8>>, Failed> {
    let file = upload.filter(|u| u.is_for(&request));
    let (head, body) = request.into_parts();
    let payload = match file {
        Some(file) => Payload::File(file),
        None => Payload::Bytes(body),
    };
    let reading = match sink {
        Some(_) => Reading::Stream,
        None => Reading::Whole,
    };
    let response = io
        .start(http::Request::from_parts(head, payload), reading)
        .await?;
    let (head, mut body) = response.into_parts();
    match sink {
        Some(sink) if is_streamable(&head) => {
            let written = stream_to(io, &head.headers, &mut body, sink).await?;
            let mut response = http::Response::from_parts(head, Vec::new());
            response.extensions_mut().insert(StreamedBytes(written));
            Ok(response)
        }
        _ => {
            let limit = io.config().max_body_bytes;
            let bytes = read_whole(io, &head.headers, &mut body, limit).await?;
            Ok(http::Response::from_parts(head, bytes))
        }
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

fn download_too_large(cap: u64) -> TransportError {
    TransportError::new(
        TransportErrorKind::BodyTooLarge,
        format!(
            "the download exceeds the limit of {cap} bytes (TransportConfig::max_download_bytes)"
        ),
    )
}

/// Reads a body into memory, at most `limit` bytes.
async fn read_whole<I: Io>(
    io: &I,
    headers: &http::HeaderMap,
    body: &mut I::Body,
    limit: usize,
) -> Result<Vec<u8>, TransportError> {
    let declared = content_length(headers);
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    // Sized from Content-Length (already bounded by the limit): no copy on growth.
    let mut out = Vec::with_capacity(declared.map_or(8 * 1024, |n| n as usize));
    loop {
        // A body as long as it said is whole: HTTP framing ends it there.
        if declared.is_some_and(|n| n > 0 && out.len() as u64 == n) {
            return Ok(out);
        }
        // One byte past the limit is asked for, to tell "exactly at the limit" from "over".
        let max = limit.saturating_sub(out.len()).saturating_add(1);
        if io.read(body, &mut out, max).await? == 0 {
            return Ok(out);
        }
        if out.len() > limit {
            return Err(too_large(limit));
        }
    }
}

/// Streams a body to the sink, at most `max_download_bytes`; returns the bytes written.
async fn stream_to<I: Io>(
    io: &I,
    headers: &http::HeaderMap,
    body: &mut I::Body,
    sink: &mut I::Sink,
) -> Result<u64, Failed> {
    let cap = io.config().max_download_bytes;
    if content_length(headers).is_some_and(|n| n > cap) {
        return Err(download_too_large(cap).into());
    }
    let mut written = 0u64;
    let mut chunk = Vec::with_capacity(CHUNK);
    loop {
        chunk.clear();
        // One byte past the cap is asked for, so an endless body stops right there.
        let left = cap.saturating_sub(written).saturating_add(1);
        let max = usize::try_from(left).unwrap_or(CHUNK).min(CHUNK);
        let n = io
            .read(body, &mut chunk, max)
            .await
            .map_err(|error| Failed {
                error,
                partial: written > 0,
            })?;
        if n == 0 {
            return Ok(written);
        }
        if written.saturating_add(n as u64) > cap {
            return Err(Failed {
                error: download_too_large(cap),
                partial: true,
            });
        }
        io.write(sink, &chunk).await.map_err(|e| Failed {
            error: write_error(e),
            // Never retried: the sink is in an unknown state.
            partial: true,
        })?;
        written += n as u64;
    }
}

/// What the driver records with the `tracing` feature: ids, counts, statuses, error kinds and
/// durations. Nothing that can hold a secret or personal data (URL, query, header, body,
/// message) is ever recorded. Without the feature these are no-ops.
mod trace {
    use std::time::Instant;

    use super::Failed;
    use crate::endpoint::Endpoint;
    use crate::error::Error;
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
        started: Instant,
    }

    impl Attempt {
        pub(super) fn start<E: Endpoint>(exchange: &Exchange<E>, now: Instant) -> Self {
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
            result: &Result<http::Response<Vec<u8>>, Failed>,
            now: Instant,
        ) {
            let duration_ms = now.saturating_duration_since(self.started).as_millis() as u64;
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
                    transport_error = ?e.error.kind(),
                    duration_ms,
                    "zohocrm attempt failed"
                ),
            }
        }

        #[cfg(not(feature = "tracing"))]
        pub(super) fn finish(
            self,
            _endpoint: &'static str,
            _result: &Result<http::Response<Vec<u8>>, Failed>,
            _now: Instant,
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
                    Error::Scope(_) => "scope".to_owned(),
                    Error::Limit(l) => format!("limit:{:?}", l.kind),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Context, DataCenter, Environment};
    use crate::session::Credentials;

    /// An async transport that answers every request with the same JSON.
    struct Canned(TransportConfig);

    impl AsyncTransport for Canned {
        type Body = Buffered;
        type Sink = dyn Write + Send;

        async fn start(
            &self,
            _: http::Request<Payload<'_>>,
            _: Reading,
        ) -> Result<http::Response<Buffered>, TransportError> {
            Ok(http::Response::new(Buffered::new(br#"{}"#.to_vec())))
        }
        async fn write(&self, sink: &mut Self::Sink, bytes: &[u8]) -> std::io::Result<()> {
            sink.write_all(bytes)
        }
        async fn run_blocking<R: Send + 'static>(
            &self,
            f: impl FnOnce() -> R + Send + 'static,
        ) -> R {
            f()
        }
        fn config(&self) -> &TransportConfig {
            &self.0
        }
        async fn sleep(&self, _: Duration) {}
        fn now(&self) -> Instant {
            Instant::now()
        }
        fn wall_clock(&self) -> SystemTime {
            SystemTime::now()
        }
        fn jitter_seed(&self) -> u64 {
            1
        }
    }

    fn spawnable<F: Future + Send + 'static>(f: F) -> F {
        f
    }

    #[test]
    fn async_calls_can_be_spawned() {
        let session = Arc::new(Session::new(
            Context::new(DataCenter::Eu, Environment::Production),
            Credentials::AccessToken("fixed".into()),
        ));
        let transport = Canned(TransportConfig::default());
        let call = spawnable(async move {
            send(&transport, &session, &crate::features::GetUserLicences).await
        });
        assert!(block_on(call).is_err(), "`{{}}` is not a licence count");
    }
}
