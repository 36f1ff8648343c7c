//! The [`Exchange`]: the one state machine that takes an endpoint through authentication,
//! token refresh, retries and parsing, without doing any IO itself.
//!
//! A driver loops: `poll(now)` returns a [`Step`]; on `Send(request)` it performs the request and
//! reports back with [`on_response`](Exchange::on_response) or
//! [`on_transport_error`](Exchange::on_transport_error); on `Sleep(d)` it waits; on `Done(result)`
//! it returns. Time and jitter come from the driver, so tests drive it with a manual clock.

use std::time::{Duration, SystemTime};

use http::header::{HeaderValue, AUTHORIZATION};

use crate::endpoint::Endpoint;
use crate::error::{ApiErrorCode, AuthError, AuthErrorKind, BuildError, Error, TransportError};
use crate::limit::Cost;
use crate::request::{assemble, RequestParts};
use crate::response::error_from_response;
use crate::retry::{parse_retry_after, Decision, Outcome};
use crate::secret::AccessToken;
use crate::session::{Acquire, Session};

/// What the driver must do next.
#[must_use]
pub enum Step<T> {
    /// Perform this request, then call `on_response` or `on_transport_error`.
    Send(http::Request<Vec<u8>>),
    /// Wait this long, then poll again.
    Sleep(Duration),
    /// Finished.
    Done(Result<T, Error>),
}

impl<T: std::fmt::Debug> std::fmt::Debug for Step<T> {
    // A token request's form body holds the client secret and the refresh token, and an API
    // request carries the access token: show the shape only, never header values or bodies.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Send(r) => {
                let names: Vec<&str> = r.headers().keys().map(|k| k.as_str()).collect();
                f.debug_struct("Send")
                    .field("method", r.method())
                    .field("uri", &crate::request::redacted_uri(r.uri()))
                    .field("headers", &names)
                    .field("body_bytes", &r.body().len())
                    .finish()
            }
            Step::Sleep(d) => f.debug_tuple("Sleep").field(d).finish(),
            Step::Done(r) => f.debug_tuple("Done").field(r).finish(),
        }
    }
}

/// How long a driver that cannot wait for a concurrency permit sleeps before polling again.
const PERMIT_POLL: Duration = Duration::from_millis(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Start,
    AwaitPermit,
    AwaitToken,
    AwaitApi,
    SleepUntil(SystemTime),
    Finished,
}

/// One call in progress. See the module docs for the driver contract.
pub struct Exchange<'a, E: Endpoint> {
    session: &'a Session,
    endpoint: &'a E,
    parts: Option<RequestParts>,
    phase: Phase,
    attempts: u32,
    token_attempts: u32,
    replayed_after_401: bool,
    used_token: Option<AccessToken>,
    lease: Option<u64>,
    cost: Option<Cost>,
    permit: Option<Cost>,
    rng: u64,
    result: Option<Result<E::Output, Error>>,
}

impl<E: Endpoint> std::fmt::Debug for Exchange<'_, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange")
            .field("endpoint", &E::ID)
            .field("phase", &self.phase)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

fn misuse(what: &str) -> Error {
    Error::Build(BuildError::InvalidConfig(format!("driver misuse: {what}")))
}

impl<'a, E: Endpoint> Exchange<'a, E> {
    /// Starts a call of `endpoint` on `session`; `jitter_seed` feeds the backoff jitter.
    pub fn new(session: &'a Session, endpoint: &'a E, jitter_seed: u64) -> Self {
        Exchange {
            session,
            endpoint,
            parts: None,
            phase: Phase::Start,
            attempts: 0,
            token_attempts: 0,
            replayed_after_401: false,
            used_token: None,
            lease: None,
            cost: None,
            permit: None,
            rng: jitter_seed,
            result: None,
        }
    }

    /// API requests sent so far (retries and the replay after a refresh included).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The concurrency permit this exchange waits for, when the last `Sleep` step was only a
    /// wait for one: a driver may then wait on [`Session::limiter`] instead of sleeping.
    pub fn waiting_for_permit(&self) -> Option<Cost> {
        match self.phase {
            Phase::AwaitPermit => self.cost,
            _ => None,
        }
    }

    /// Whether the request of the last `Send` step is a token request (to the accounts server).
    pub fn sending_token_request(&self) -> bool {
        self.phase == Phase::AwaitToken
    }

    fn release_permit(&mut self) {
        if let Some(cost) = self.permit.take() {
            self.session.limiter().release(cost);
        }
    }

    /// A jitter value in `[0, 1)` from a splitmix64 sequence.
    fn jitter(&mut self) -> f64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    fn finish(&mut self, result: Result<E::Output, Error>) {
        self.release_permit();
        self.result = Some(result);
        self.phase = Phase::Finished;
    }

    fn idempotent(&self) -> bool {
        self.parts.as_ref().is_some_and(|p| p.idempotent)
    }

    /// Advances the call. `now` is the current wall-clock time.
    pub fn poll(&mut self, now: SystemTime) -> Step<E::Output> {
        loop {
            match self.phase {
                Phase::Finished => {
                    return Step::Done(
                        self.result
                            .take()
                            .unwrap_or_else(|| Err(misuse("polled after completion"))),
                    )
                }
                Phase::SleepUntil(until) => match until.duration_since(now) {
                    Ok(left) if !left.is_zero() => return Step::Sleep(left),
                    _ => self.phase = Phase::Start,
                },
                Phase::AwaitPermit => self.phase = Phase::Start,
                Phase::AwaitToken | Phase::AwaitApi => {
                    self.finish(Err(misuse("polled while a response was awaited")));
                }
                Phase::Start => {
                    if self.parts.is_none() {
                        match self.endpoint.parts() {
                            Ok(p) => {
                                self.cost = crate::limit::cost(self.endpoint.id(), &p);
                                self.parts = Some(p);
                            }
                            Err(e) => {
                                self.finish(Err(e.into()));
                                continue;
                            }
                        }
                    }
                    let authenticated = self.parts.as_ref().is_some_and(|p| p.authenticated);
                    let token = if authenticated {
                        match self.session.acquire(now) {
                            Acquire::Ready(t) => Some(t),
                            Acquire::Refresh { lease, request } => {
                                // Refreshes beyond every retry and the one after a 401 mean
                                // the tokens minted are unusable: stop before the mint throttle.
                                let cap = self.session.retry_policy().max_attempts + 2;
                                if self.token_attempts >= cap {
                                    self.session.abort_refresh(lease);
                                    self.finish(Err(AuthError::new(
                                        AuthErrorKind::BadResponse,
                                        None,
                                        format!(
                                            "{} token requests in one call and still no usable token",
                                            self.token_attempts
                                        ),
                                    )
                                    .into()));
                                    continue;
                                }
                                self.lease = Some(lease);
                                self.token_attempts += 1;
                                self.phase = Phase::AwaitToken;
                                return Step::Send(request);
                            }
                            Acquire::Wait(d) => {
                                self.phase = Phase::SleepUntil(now + d);
                                return Step::Sleep(d);
                            }
                            Acquire::Fail(e) => {
                                self.finish(Err(e));
                                continue;
                            }
                        }
                    } else {
                        None
                    };
                    // The permit is taken after the token, right before stamping it, so a call
                    // that queued for long never goes out with a token refreshed meanwhile.
                    if let (None, Some(cost)) = (self.permit, self.cost) {
                        if !self.session.limiter().try_take(cost) {
                            self.phase = Phase::AwaitPermit;
                            return Step::Sleep(PERMIT_POLL);
                        }
                        self.permit = Some(cost);
                    }
                    let parts = self.parts.as_ref().expect("parts set above");
                    let assembled = assemble(&self.session.context(), parts);
                    let mut request = match assembled {
                        Ok(r) => r,
                        Err(e) => {
                            self.finish(Err(e.into()));
                            continue;
                        }
                    };
                    if let Some(token) = &token {
                        match HeaderValue::from_str(&format!("Zoho-oauthtoken {}", token.expose()))
                        {
                            Ok(mut v) => {
                                v.set_sensitive(true);
                                request.headers_mut().insert(AUTHORIZATION, v);
                            }
                            Err(_) => {
                                self.finish(Err(AuthError::new(
                                    AuthErrorKind::BadResponse,
                                    None,
                                    "the access token holds characters not allowed in a header",
                                )
                                .into()));
                                continue;
                            }
                        }
                    }
                    self.used_token = token;
                    self.attempts += 1;
                    self.phase = Phase::AwaitApi;
                    return Step::Send(request);
                }
            }
        }
    }

    /// Reports the response to the request of the last `Send` step.
    pub fn on_response(&mut self, now: SystemTime, response: http::Response<Vec<u8>>) {
        let status = response.status().as_u16();
        let retry_after = parse_retry_after(response.headers());
        let (head, body) = response.into_parts();
        let view = http::Response::from_parts(head, body.as_slice());
        match self.phase {
            Phase::AwaitToken => {
                let lease = self.lease.take().unwrap_or(0);
                match self.session.complete_refresh(lease, now, &view) {
                    Ok(()) => self.phase = Phase::Start,
                    Err(e) => {
                        let throttled = matches!(
                            &e,
                            Error::Auth(a) if a.kind == AuthErrorKind::Throttled
                        );
                        let server_side = status >= 500;
                        if throttled || !server_side {
                            self.finish(Err(e));
                            return;
                        }
                        let jitter = self.jitter();
                        let outcome = Outcome::Status {
                            status,
                            retry_after,
                        };
                        match self.session.retry_policy().decide(
                            self.token_attempts,
                            outcome,
                            true,
                            jitter,
                        ) {
                            Decision::Retry(d) => self.phase = Phase::SleepUntil(now + d),
                            Decision::GiveUp => self.finish(Err(e)),
                        }
                    }
                }
            }
            Phase::AwaitApi => {
                if status == 401
                    && !self.replayed_after_401
                    && self.session.credentials().can_refresh()
                {
                    if let Some(token) = self.used_token.take() {
                        if is_invalid_token(&view) {
                            // Invalidated before the permit is given back, so the call that
                            // takes the permit next cannot go out with the rejected token.
                            self.session.invalidate(&token);
                            self.release_permit();
                            self.replayed_after_401 = true;
                            self.phase = Phase::Start;
                            return;
                        }
                    }
                }
                self.release_permit();
                let jitter = self.jitter();
                let outcome = Outcome::Status {
                    status,
                    retry_after,
                };
                let idempotent = self.idempotent();
                match self
                    .session
                    .retry_policy()
                    .decide(self.attempts, outcome, idempotent, jitter)
                {
                    Decision::Retry(d) => self.phase = Phase::SleepUntil(now + d),
                    Decision::GiveUp => {
                        let result = self.endpoint.parse(view);
                        self.finish(result);
                    }
                }
            }
            _ => self.finish(Err(misuse("response reported with no request in flight"))),
        }
    }

    /// Reports that the request of the last `Send` step failed in the transport.
    pub fn on_transport_error(&mut self, now: SystemTime, error: TransportError) {
        let (attempt, idempotent) = match self.phase {
            Phase::AwaitToken => {
                if let Some(lease) = self.lease.take() {
                    self.session.abort_refresh(lease);
                }
                (self.token_attempts, true)
            }
            Phase::AwaitApi => {
                self.release_permit();
                (self.attempts, self.idempotent())
            }
            _ => {
                self.finish(Err(misuse(
                    "transport error reported with no request in flight",
                )));
                return;
            }
        };
        let jitter = self.jitter();
        match self.session.retry_policy().decide(
            attempt,
            Outcome::Transport(error.kind()),
            idempotent,
            jitter,
        ) {
            Decision::Retry(d) => self.phase = Phase::SleepUntil(now + d),
            Decision::GiveUp => self.finish(Err(error.into())),
        }
    }
}

impl<E: Endpoint> Drop for Exchange<'_, E> {
    fn drop(&mut self) {
        // A cancelled exchange must not leave other callers waiting for its refresh.
        if let Some(lease) = self.lease.take() {
            self.session.abort_refresh(lease);
        }
        self.release_permit();
    }
}

fn is_invalid_token(response: &http::Response<&[u8]>) -> bool {
    match error_from_response(response) {
        Error::Api { error, .. } => matches!(
            error.code,
            ApiErrorCode::InvalidToken | ApiErrorCode::InvalidOauthtoken
        ),
        // A 401 without a Zoho body is treated as an expired token too.
        _ => true,
    }
}
