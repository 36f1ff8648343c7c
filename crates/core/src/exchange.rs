//! The [`Exchange`]: the one state machine that takes an endpoint through authentication,
//! token refresh, retries and parsing, without doing any IO itself.
//!
//! A driver loops: [`poll(now)`](Exchange::poll) returns a [`Step`] that names what the driver
//! must do, and the driver reports back:
//!
//! | step | the driver | then |
//! | --- | --- | --- |
//! | [`Step::Send`] | performs the request | [`on_response`](Exchange::on_response) or [`on_transport_error`](Exchange::on_transport_error) |
//! | [`Step::Backoff`] | waits until that instant | polls again |
//! | [`Step::Permit`] | waits until the session's [limiter](crate::limit::Limiter) has room (or sleeps briefly) | polls again |
//! | [`Step::Store`] | performs the [`StoreOp`] on the session's token store | [`on_store`](Exchange::on_store) |
//! | [`Step::Org`] | performs the [`OrgOp`] on the session's [org-wide limiter](crate::org_limit) | [`on_org`](Exchange::on_org) |
//! | [`Step::Done`] | returns the result | |
//!
//! An API request takes the in-process permit, then (with an org-wide limiter) an org slot
//! (`Org(Acquire)`); both are given back when its answer or failure is reported, the org slot
//! by one more step (`Org(Release)`) before the exchange goes on. The daily credit budget is
//! checked before either is taken (see [`crate::credits`]).
//!
//! `now` is the driver's monotonic clock: wall-clock jumps never stretch or skip a backoff.
//! Jitter comes from the driver's seed, so tests drive an exchange with a manual clock.
//!
//! An exchange owns what it needs (an `Arc<Session>` and the endpoint), so it is `'static` and
//! `Send` whenever its endpoint is: tasks, threads and the C ABI can hold it.

use std::sync::Arc;
use std::time::Instant;

use http::header::{HeaderValue, AUTHORIZATION};

use crate::credits::{credit_cost, over_budget, parse_remaining};
use crate::endpoint::Endpoint;
use crate::error::{ApiErrorCode, AuthError, AuthErrorKind, BuildError, Error, TransportError};
use crate::error::{LimitError, LimitErrorKind};
use crate::limit::Cost;
use crate::org_limit::{OrgAsk, OrgGrant, OrgLease, OrgOp, OrgRelease, OrgReply};
use crate::request::{assemble, RequestParts};
use crate::response::error_from_response;
use crate::retry::{parse_retry_after, Decision, Outcome};
use crate::session::{Acquire, Locked, Session};
use crate::token_store::{StoreLock, StoreOp, StoreReply, StoredToken};

/// What the driver must do next.
#[must_use]
#[non_exhaustive]
pub enum Step<T> {
    /// Perform this request, then call [`Exchange::on_response`] or
    /// [`Exchange::on_transport_error`].
    Send(http::Request<Vec<u8>>),
    /// Wait until this instant (a retry's backoff, or another call's token refresh), then poll
    /// again.
    Backoff(Instant),
    /// Wait until the session's [limiter](crate::limit::Limiter) has room for this cost (or
    /// sleep briefly), then poll again.
    Permit(Cost),
    /// Perform this operation on the session's token store, then call [`Exchange::on_store`].
    Store(StoreOp),
    /// Perform this operation on the session's org-wide limiter, then call
    /// [`Exchange::on_org`].
    Org(OrgOp),
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
            Step::Backoff(until) => f.debug_tuple("Backoff").field(until).finish(),
            Step::Permit(cost) => f.debug_tuple("Permit").field(cost).finish(),
            Step::Store(op) => f.debug_tuple("Store").field(op).finish(),
            Step::Org(op) => f.debug_tuple("Org").field(op).finish(),
            Step::Done(r) => f.debug_tuple("Done").field(r).finish(),
        }
    }
}

/// A token store operation of a refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StoreCall {
    /// Read the store (before the lock, then again under it).
    Load,
    /// Take the refresh lock.
    Lock,
    /// Save the new token (and release the lock).
    Save,
    /// Release the lock without saving.
    Unlock,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Start,
    Backoff(Instant),
    AwaitPermit,
    /// The next poll asks for this store operation.
    Store(StoreCall),
    AwaitStore(StoreCall),
    /// Waiting for the org-wide limiter's answer to an acquire (`true`) or a release.
    AwaitOrg(bool),
    /// The next poll sends the token request.
    Mint,
    AwaitToken,
    AwaitApi,
    Finished,
}

/// How a call ended, kept until the driver collects it with the `Done` step. The answer is
/// parsed then, so the exchange never holds an `E::Output` (the async driver's future stays
/// `Send` for endpoints borrowed for any lifetime).
enum Finish {
    /// The answer to parse.
    Answer(http::Response<Vec<u8>>),
    /// The call failed.
    Failed(Error),
}

/// One call in progress. See the module docs for the driver contract.
pub struct Exchange<E> {
    session: Arc<Session>,
    endpoint: E,
    parts: Option<RequestParts>,
    phase: Phase,
    /// Where to go once the store lock is given back.
    after_unlock: Phase,
    attempts: u32,
    token_attempts: u32,
    replayed_after_401: bool,
    /// The `Authorization` header of the last API request.
    used_token: Option<HeaderValue>,
    lease: Option<u64>,
    store_lock: Option<StoreLock>,
    to_save: Option<StoredToken>,
    cost: Option<Cost>,
    permit: Option<Cost>,
    /// The credits the call is counted as.
    credits: u32,
    /// When the credits of the request in flight were counted in the session's ledger.
    charged: Option<Instant>,
    org_lease: Option<OrgLease>,
    /// A lease to give back (with its release) before the exchange goes on.
    org_release: Option<(OrgLease, OrgRelease)>,
    /// Where to go once the org-wide lease is given back.
    after_org: Phase,
    /// The org-wide limiter failed during this call: go on under the in-process limiter.
    org_skip: bool,
    /// Since when this call waits for an org-wide slot, and how many times it was told "full".
    org_waiting: Option<(Instant, u32)>,
    /// The `X-API-CREDITS-REMAINING` of the last answer, for the release.
    remaining: Option<u64>,
    rng: u64,
    finish: Option<Finish>,
}

impl<E: Endpoint> std::fmt::Debug for Exchange<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange")
            .field("endpoint", &self.endpoint.id())
            .field("phase", &self.phase)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

fn misuse(what: &str) -> Error {
    Error::Build(BuildError::InvalidConfig(format!("driver misuse: {what}")))
}

impl<E: Endpoint> Exchange<E> {
    /// Starts a call of `endpoint` on `session`; `jitter_seed` feeds the backoff jitter.
    pub fn new(session: Arc<Session>, endpoint: E, jitter_seed: u64) -> Self {
        Exchange {
            session,
            endpoint,
            parts: None,
            phase: Phase::Start,
            after_unlock: Phase::Start,
            attempts: 0,
            token_attempts: 0,
            replayed_after_401: false,
            used_token: None,
            lease: None,
            store_lock: None,
            to_save: None,
            cost: None,
            permit: None,
            credits: 0,
            charged: None,
            org_lease: None,
            org_release: None,
            after_org: Phase::Start,
            org_skip: false,
            org_waiting: None,
            remaining: None,
            rng: jitter_seed,
            finish: None,
        }
    }

    /// The session this call runs on.
    pub fn session(&self) -> &Arc<Session> {
        &self.session
    }

    /// The endpoint being called.
    pub fn endpoint(&self) -> &E {
        &self.endpoint
    }

    /// API requests sent so far (retries and the replay after a refresh included).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The concurrency permit this exchange waits for, when the last step was
    /// [`Step::Permit`].
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

    /// A jitter value in `[0, 1)` from a splitmix64 sequence.
    fn jitter(&mut self) -> f64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Goes to `next`, giving back the store's refresh lock first when one is held.
    fn then(&mut self, next: Phase) {
        if self.store_lock.is_some() {
            self.after_unlock = next;
            self.phase = Phase::Store(StoreCall::Unlock);
        } else {
            self.phase = next;
        }
    }

    fn finish(&mut self, finish: Finish) {
        self.release_slots(false);
        self.end_lease();
        self.finish = Some(finish);
        self.then(Phase::Finished);
    }

    fn fail(&mut self, error: Error) {
        self.finish(Finish::Failed(error));
    }

    fn backoff(&mut self, now: Instant, decision: Decision, error: Error) {
        match decision {
            Decision::Retry(d) => {
                let until = now.checked_add(d).unwrap_or(now);
                self.then(Phase::Backoff(until));
            }
            Decision::GiveUp => self.fail(error),
        }
    }

    fn idempotent(&self) -> bool {
        self.parts.as_ref().is_some_and(|p| p.idempotent)
    }

    /// Advances the call. `now` is the driver's monotonic clock.
    pub fn poll(&mut self, now: Instant) -> Step<E::Output> {
        loop {
            if !self.awaiting() {
                if let Some((lease, release)) = self.org_release.take() {
                    self.after_org = self.phase;
                    self.phase = Phase::AwaitOrg(false);
                    return Step::Org(OrgOp::Release { lease, release });
                }
            }
            match self.phase {
                Phase::Finished => {
                    return Step::Done(match self.finish.take() {
                        Some(Finish::Answer(response)) => {
                            let (head, body) = response.into_parts();
                            self.endpoint
                                .parse(http::Response::from_parts(head, body.as_slice()))
                        }
                        Some(Finish::Failed(e)) => Err(e),
                        None => Err(misuse("polled after completion")),
                    })
                }
                Phase::Backoff(until) => {
                    if until > now {
                        return Step::Backoff(until);
                    }
                    self.phase = Phase::Start;
                }
                Phase::AwaitPermit => self.phase = Phase::Start,
                Phase::AwaitToken | Phase::AwaitApi | Phase::AwaitStore(_) | Phase::AwaitOrg(_) => {
                    self.fail(misuse("polled while an answer was awaited"));
                }
                Phase::Store(call) => {
                    let op = match call {
                        StoreCall::Load => StoreOp::Load,
                        StoreCall::Lock => StoreOp::Lock,
                        StoreCall::Save => match self.to_save.take() {
                            Some(token) => StoreOp::Save {
                                token,
                                lock: self.store_lock.take(),
                            },
                            None => {
                                self.fail(misuse("nothing to save"));
                                continue;
                            }
                        },
                        StoreCall::Unlock => match self.store_lock.take() {
                            Some(lock) => StoreOp::Unlock(lock),
                            None => {
                                self.phase = self.after_unlock;
                                continue;
                            }
                        },
                    };
                    self.phase = Phase::AwaitStore(call);
                    return Step::Store(op);
                }
                Phase::Mint => match self.session.token_request() {
                    Ok(request) => {
                        self.token_attempts += 1;
                        self.phase = Phase::AwaitToken;
                        return Step::Send(request);
                    }
                    Err(e) => self.fail(e),
                },
                Phase::Start => {
                    if let Some(step) = self.start(now) {
                        return step;
                    }
                }
            }
        }
    }

    /// The start of an attempt: parts, token, permit, request. `None` to keep looping.
    fn start(&mut self, now: Instant) -> Option<Step<E::Output>> {
        if self.parts.is_none() {
            match self.endpoint.parts() {
                Ok(p) => {
                    self.cost = crate::limit::cost(self.endpoint.op_spec(), &p);
                    self.credits = credit_cost(self.endpoint.op_spec(), &p);
                    self.parts = Some(p);
                }
                Err(e) => {
                    self.fail(e.into());
                    return None;
                }
            }
        }
        let authenticated = self.parts.as_ref().is_some_and(|p| p.authenticated);
        // Checked on every attempt: the granted scopes may have been learned from the token
        // answer of the refresh this call just waited for.
        if let Some(spec) = self.endpoint.op_spec().filter(|_| authenticated) {
            if let Err(e) = self.session.preflight(spec) {
                self.fail(e.into());
                return None;
            }
        }
        let token = if authenticated {
            match self.session.acquire(now) {
                Acquire::Ready(t) => Some(t),
                Acquire::Unusable => {
                    self.fail(self.session.unusable_token());
                    return None;
                }
                Acquire::Lease(lease) => {
                    // A refresh holds no slot (one taken before the token went stale).
                    self.release_slots(true);
                    // Refreshes beyond every retry and the one after a 401 mean the tokens
                    // minted are unusable: stop before the mint throttle.
                    let cap = self.session.retry_policy().max_attempts + 2;
                    if self.token_attempts >= cap {
                        self.session.end_lease(lease);
                        let message = format!(
                            "{} token requests in one call and still no usable token",
                            self.token_attempts
                        );
                        self.fail(AuthError::new(AuthErrorKind::BadResponse, None, message).into());
                        return None;
                    }
                    self.lease = Some(lease);
                    self.phase = Phase::Store(StoreCall::Load);
                    return None;
                }
                Acquire::Wait(d) => {
                    self.release_slots(true);
                    self.phase = Phase::Backoff(now.checked_add(d).unwrap_or(now));
                    return None;
                }
            }
        } else {
            None
        };
        // The permit is taken after the token, right before stamping it, so a call that
        // queued for long never goes out with a token refreshed meanwhile.
        if let (None, Some(cost)) = (self.permit, self.cost) {
            // The budget first: a call past it is refused without waiting for a slot.
            if let Err(e) = self.session.check_credits(now, self.credits) {
                self.fail(e.into());
                return None;
            }
            if !self.session.limiter().try_take(cost) {
                self.phase = Phase::AwaitPermit;
                return Some(Step::Permit(cost));
            }
            self.permit = Some(cost);
        }
        if let Some(cost) = self.permit {
            if self.org_lease.is_none() && !self.org_skip && self.session.org_limiter().is_some() {
                let ask = OrgAsk::new(cost, self.credits, self.session.credit_budget());
                self.phase = Phase::AwaitOrg(true);
                return Some(Step::Org(OrgOp::Acquire(ask)));
            }
        }
        let assembled = assemble(&self.session.context(), self.parts.as_ref()?);
        let mut request = match assembled {
            Ok(r) => r,
            Err(e) => {
                self.fail(e.into());
                return None;
            }
        };
        if let Some(header) = &token {
            request.headers_mut().insert(AUTHORIZATION, header.clone());
        }
        self.used_token = token;
        if self.permit.is_some() {
            self.session.with_ledger(|l| l.charge(now, self.credits));
            self.charged = Some(now);
        }
        self.attempts += 1;
        self.phase = Phase::AwaitApi;
        Some(Step::Send(request))
    }

    /// Reports the token store's answer to the operation of the last `Store` step.
    pub fn on_store(&mut self, now: Instant, reply: StoreReply) {
        let Phase::AwaitStore(call) = self.phase else {
            self.fail(misuse("store answer reported with no store call in flight"));
            return;
        };
        match (call, reply) {
            (StoreCall::Load, StoreReply::Loaded { token, wall_clock }) => {
                if self.session.absorb_load(now, wall_clock, token) {
                    // Another call or process saved a fresh token: use it, mint nothing.
                    self.end_lease();
                    self.then(Phase::Start);
                } else if self.store_lock.is_some() {
                    self.phase = Phase::Mint;
                } else {
                    self.phase = Phase::Store(StoreCall::Lock);
                }
            }
            (StoreCall::Lock, StoreReply::Locked(locked)) => {
                let Some(lease) = self.lease else {
                    self.fail(misuse("store lock taken without a lease"));
                    return;
                };
                match self.session.absorb_lock(lease, now, locked) {
                    Locked::Held(lock) => {
                        // It may have been saved between the first read and the lock.
                        self.store_lock = Some(lock);
                        self.phase = Phase::Store(StoreCall::Load);
                    }
                    Locked::Busy(wait) => {
                        self.lease = None;
                        self.phase = Phase::Backoff(now.checked_add(wait).unwrap_or(now));
                    }
                    Locked::Without => self.phase = Phase::Mint,
                }
            }
            (StoreCall::Save, StoreReply::Saved(result)) => {
                self.session.absorb_store_result(result);
                self.phase = Phase::Start;
            }
            (StoreCall::Unlock, StoreReply::Unlocked(result)) => {
                self.session.absorb_store_result(result);
                self.phase = self.after_unlock;
            }
            _ => self.fail(misuse("store answer does not match the store call")),
        }
    }

    /// Reports the org-wide limiter's answer to the operation of the last `Org` step.
    pub fn on_org(&mut self, now: Instant, reply: OrgReply) {
        let Phase::AwaitOrg(acquiring) = self.phase else {
            self.fail(misuse(
                "org limiter answer reported with no org call in flight",
            ));
            return;
        };
        match (acquiring, reply) {
            (
                true,
                OrgReply::Acquired(Ok(OrgGrant::Granted {
                    lease,
                    spent,
                    remaining,
                })),
            ) => {
                if let Some(spent) = spent {
                    self.session
                        .with_ledger(|l| l.absorb_shared(now, spent, remaining));
                }
                self.org_lease = Some(lease);
                self.org_waiting = None;
                self.phase = Phase::Start;
            }
            (true, OrgReply::Acquired(Ok(OrgGrant::Full))) => {
                // Other processes hold the org's slots: the in-process permit is given back
                // while this call waits, so it holds nothing.
                self.release_permit();
                let (since, fulls) = self.org_waiting.unwrap_or((now, 0));
                let waited = now.saturating_duration_since(since);
                if waited >= self.session.org_wait() {
                    let message = format!(
                        "no slot of the org-wide limiter came free in {:?} (the org's concurrency limit is in use by other processes); not sent",
                        self.session.org_wait()
                    );
                    self.fail(LimitError::new(LimitErrorKind::OrgBusy, message).into());
                    return;
                }
                self.org_waiting = Some((since, fulls.saturating_add(1)));
                // 10 ms doubling up to 320 ms, times a jitter in [0.5, 1).
                let base = 10u64 << fulls.min(5);
                let ms = (base as f64 * (0.5 + self.jitter() / 2.0)) as u64;
                let delay = std::time::Duration::from_millis(ms.max(1));
                self.phase = Phase::Backoff(now.checked_add(delay).unwrap_or(now));
            }
            (true, OrgReply::Acquired(Ok(OrgGrant::OverBudget { spent }))) => {
                self.session
                    .with_ledger(|l| l.absorb_shared(now, spent, None));
                let budget = self.session.credit_budget().unwrap_or(0);
                self.fail(over_budget(spent, self.credits, budget).into());
            }
            (true, OrgReply::Acquired(Err(e))) => {
                // The limiter's server is unreachable: the call goes on under the in-process
                // limiter (the limiter warns once per outage).
                self.session.org_failed(&e);
                self.org_skip = true;
                self.phase = Phase::Start;
            }
            (false, OrgReply::Released(result)) => {
                if let Err(e) = result {
                    // The lease ends by expiry.
                    self.session.org_failed(&e);
                }
                self.phase = self.after_org;
            }
            _ => self.fail(misuse("org limiter answer does not match the org call")),
        }
    }

    /// Reports the response to the request of the last `Send` step.
    pub fn on_response(&mut self, now: Instant, response: http::Response<Vec<u8>>) {
        let status = response.status().as_u16();
        let retry_after = parse_retry_after(response.headers());
        if self.phase == Phase::AwaitApi {
            self.remaining = parse_remaining(response.headers());
            if let Some(left) = self.remaining {
                self.session.with_ledger(|l| l.observe_remaining(left));
            }
        }
        let (head, body) = response.into_parts();
        let view = http::Response::from_parts(head, body.as_slice());
        match self.phase {
            Phase::AwaitToken => {
                let lease = self.lease.take().unwrap_or(0);
                match self.session.complete_refresh(lease, now, &view) {
                    Ok(Some(token)) => {
                        self.to_save = Some(token);
                        self.phase = Phase::Store(StoreCall::Save);
                    }
                    Ok(None) => self.then(Phase::Start),
                    Err(e) => {
                        let throttled = matches!(
                            &e,
                            Error::Auth(a) if a.kind == AuthErrorKind::Throttled
                        );
                        if throttled || status < 500 {
                            self.fail(e);
                            return;
                        }
                        let jitter = self.jitter();
                        let outcome = Outcome::Status {
                            status,
                            retry_after,
                        };
                        let decision = self.session.retry_policy().decide(
                            self.token_attempts,
                            outcome,
                            true,
                            jitter,
                        );
                        self.backoff(now, decision, e);
                    }
                }
            }
            Phase::AwaitApi => {
                if status == 401 && self.session.credentials().can_refresh() {
                    if let Some(token) = self.used_token.take() {
                        if is_invalid_token(&view) {
                            if self.replayed_after_401 {
                                // The replay went out with a token minted after the first 401.
                                self.fail(token_rejected(&view));
                                return;
                            }
                            // Invalidated before the permit is given back, so the call that
                            // takes the permit next cannot go out with the rejected token.
                            self.session.invalidate(&token);
                            self.release_slots(false);
                            self.replayed_after_401 = true;
                            self.phase = Phase::Start;
                            return;
                        }
                    }
                }
                // Zoho serves no 429: its credits are given back.
                self.release_slots(status == 429);
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
                    Decision::Retry(d) => {
                        self.phase = Phase::Backoff(now.checked_add(d).unwrap_or(now));
                    }
                    Decision::GiveUp => {
                        let (head, _) = view.into_parts();
                        self.finish(Finish::Answer(http::Response::from_parts(head, body)));
                    }
                }
            }
            _ => self.fail(misuse("response reported with no request in flight")),
        }
    }

    /// Reports that the request of the last `Send` step failed in the transport.
    pub fn on_transport_error(&mut self, now: Instant, error: TransportError) {
        let (attempt, idempotent) = match self.phase {
            Phase::AwaitToken => {
                self.end_lease();
                (self.token_attempts, true)
            }
            Phase::AwaitApi => {
                // A connection never made reached no one: its credits are given back.
                self.release_slots(error.never_connected());
                (self.attempts, self.idempotent())
            }
            _ => {
                self.fail(misuse("transport error reported with no request in flight"));
                return;
            }
        };
        let jitter = self.jitter();
        let decision = self.session.retry_policy().decide(
            attempt,
            Outcome::Transport(error.kind()),
            idempotent,
            jitter,
        );
        self.backoff(now, decision, error.into());
    }
}

impl<E> Exchange<E> {
    /// Whether the driver owes the exchange an answer (no step may be returned meanwhile).
    fn awaiting(&self) -> bool {
        matches!(
            self.phase,
            Phase::AwaitToken | Phase::AwaitApi | Phase::AwaitStore(_) | Phase::AwaitOrg(_)
        )
    }

    /// Gives back the in-process permit and the org-wide lease of the attempt that ended (the
    /// lease by an `Org(Release)` step the next poll returns). `refund`: the attempt's credits
    /// were not spent (never sent, refused with 429, or never reached Zoho).
    fn release_slots(&mut self, refund: bool) {
        self.release_permit();
        let credits = self.credits;
        if let Some(at) = self.charged.take().filter(|_| refund) {
            self.session.with_ledger(|l| l.refund(at, credits));
        }
        if let Some(lease) = self.org_lease.take() {
            let release = OrgRelease {
                refund: if refund { credits } else { 0 },
                remaining: self.remaining.take(),
            };
            self.org_release = Some((lease, release));
        }
    }

    fn release_permit(&mut self) {
        if let Some(cost) = self.permit.take() {
            self.session.limiter().release(cost);
        }
    }

    fn end_lease(&mut self) {
        if let Some(lease) = self.lease.take() {
            self.session.end_lease(lease);
        }
    }
}

impl<E> Drop for Exchange<E> {
    fn drop(&mut self) {
        // A cancelled exchange must not leave other callers waiting for its refresh. A store
        // lock still held is released by dropping it (a file lock), or expires (a networked one),
        // as does an org-wide lease (no IO here).
        self.end_lease();
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

/// The error of a second `401 INVALID_TOKEN`: the token was minted after the first one.
fn token_rejected(response: &http::Response<&[u8]>) -> Error {
    let (code, message) = match error_from_response(response) {
        Error::Api { error, .. } => (Some(error.code.as_str().to_owned()), error.message),
        _ => (None, String::new()),
    };
    let mut text = "the API rejected a freshly minted access token (HTTP 401)".to_owned();
    if !message.is_empty() {
        text.push_str(": ");
        text.push_str(&message);
    }
    AuthError::new(AuthErrorKind::TokenRejected, code, text).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_owned<T: Send + 'static>() {}

    #[test]
    fn exchanges_are_owned_and_send() {
        assert_owned::<Exchange<crate::registry::Call>>();
        assert_owned::<Exchange<crate::features::GetUserLicences>>();
        assert_owned::<Step<serde_json::Value>>();
    }
}
