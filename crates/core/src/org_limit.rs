//! The hook for an org-wide limiter: Zoho's concurrency limits and credit window are per org,
//! not per process, so a fleet of workers shares one count (e.g. `zohocrm-store`'s Redis
//! limiter). Without one, the session's in-process [`Limiter`](crate::limit::Limiter) works
//! alone, as before.
//!
//! The exchange never calls the limiter itself. After it takes the in-process permit of an API
//! request, it returns [`Step::Org`](crate::exchange::Step::Org) with [`OrgOp::Acquire`]; the
//! driver performs it and reports the [`OrgReply`]:
//!
//! - [`OrgGrant::Granted`]: the request goes out holding the [`OrgLease`]. When its answer or
//!   failure is reported, the exchange asks for [`OrgOp::Release`] (with the credits to give
//!   back, if Zoho did not serve the call, and the credits Zoho said are left). So retries'
//!   backoffs and token refreshes hold no org slot.
//! - [`OrgGrant::Full`]: the exchange gives back its in-process permit, waits a short jittered
//!   backoff and tries again, at most [`Session::org_wait`](crate::Session::org_wait) in all,
//!   then fails with [`LimitErrorKind::OrgBusy`](crate::error::LimitErrorKind::OrgBusy).
//! - [`OrgGrant::OverBudget`]: the fleet spent the daily credit budget; the call fails with
//!   [`LimitErrorKind::CreditBudget`](crate::error::LimitErrorKind::CreditBudget) unsent.
//! - an error (the limiter's server unreachable): the call goes on under the in-process limiter
//!   and credit count only; the limiter itself says so once per outage and is asked again by
//!   the next call. A failed release is recorded ([`Session::last_org_error`](crate::Session::last_org_error));
//!   the lease then ends by expiry, as do the leases of a process that dies or of an exchange
//!   dropped mid-call. A limiter's lease must therefore outlast the request timeout.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::limit::Cost;
use crate::token_store::StoreError;

/// What an exchange asks of the org-wide limiter for one API request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrgAsk {
    /// Concurrency units and whether the call is heavy.
    pub cost: Cost,
    /// The credits the call is counted as ([`crate::credits::credit_cost`]).
    pub credits: u32,
    /// The daily credit budget, when one is set: the limiter refuses a call that would pass it.
    pub budget: Option<u64>,
}

impl OrgAsk {
    /// An ask for a call of `cost` counted as `credits`, within `budget`.
    pub fn new(cost: Cost, credits: u32, budget: Option<u64>) -> Self {
        OrgAsk {
            cost,
            credits,
            budget,
        }
    }
}

/// A slot of the org-wide limiter, held while one request is in flight. It holds whatever the
/// limiter needs to release it (e.g. a lease id), read back with [`guard`](Self::guard).
pub struct OrgLease {
    guard: Box<dyn Any + Send + Sync>,
}

impl OrgLease {
    /// A lease released with the help of `guard`.
    pub fn new(guard: impl Any + Send + Sync) -> Self {
        OrgLease {
            guard: Box::new(guard),
        }
    }

    /// The guard given to [`new`](Self::new), if it is a `T`.
    pub fn guard<T: Any>(&self) -> Option<&T> {
        self.guard.downcast_ref()
    }
}

impl std::fmt::Debug for OrgLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OrgLease")
    }
}

/// The limiter's answer to an [`OrgAsk`].
#[derive(Debug)]
#[non_exhaustive]
pub enum OrgGrant {
    /// A slot: hold it while the request is in flight.
    Granted {
        /// The lease to release.
        lease: OrgLease,
        /// Credits spent by the fleet in the window (this call included), if the limiter
        /// counts them.
        spent: Option<u64>,
        /// The last `X-API-CREDITS-REMAINING` any worker reported, if known.
        remaining: Option<u64>,
    },
    /// No slot free now: try again shortly.
    Full,
    /// The call would pass the daily budget: `spent` credits in the window already.
    OverBudget {
        /// Credits spent by the fleet in the window.
        spent: u64,
    },
}

/// What the exchange reports when it gives a lease back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct OrgRelease {
    /// Credits counted at the grant that Zoho did not spend (the call was refused with 429 or
    /// never reached it), to give back.
    pub refund: u32,
    /// The credits left, from the answer's `X-API-CREDITS-REMAINING`.
    pub remaining: Option<u64>,
}

/// An org-wide limiter with blocking IO (a networked one on the blocking client, or off the
/// executor on the async client).
pub trait OrgLimiter: Send + Sync {
    /// Asks for a slot without waiting.
    fn acquire(&self, ask: &OrgAsk) -> Result<OrgGrant, StoreError>;
    /// Gives a slot back.
    fn release(&self, lease: OrgLease, release: &OrgRelease) -> Result<(), StoreError>;
}

/// The future of an [`AsyncOrgLimiter`] method.
pub type OrgFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// [`OrgLimiter`] with non-blocking IO, for the async client.
pub trait AsyncOrgLimiter: Send + Sync {
    /// As [`OrgLimiter::acquire`].
    fn acquire<'a>(&'a self, ask: &'a OrgAsk) -> OrgFuture<'a, OrgGrant>;
    /// As [`OrgLimiter::release`].
    fn release<'a>(&'a self, lease: OrgLease, release: &'a OrgRelease) -> OrgFuture<'a, ()>;
}

/// The org-wide limiter of a session: blocking or async.
#[derive(Clone)]
#[non_exhaustive]
pub enum OrgLimit {
    /// With blocking IO.
    Blocking(Arc<dyn OrgLimiter>),
    /// With async IO; only the async client can drive it.
    Async(Arc<dyn AsyncOrgLimiter>),
}

impl std::fmt::Debug for OrgLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OrgLimit::Blocking(_) => f.write_str("OrgLimit::Blocking(..)"),
            OrgLimit::Async(_) => f.write_str("OrgLimit::Async(..)"),
        }
    }
}

/// What an exchange asks of the org-wide limiter (see the module docs).
#[derive(Debug)]
#[non_exhaustive]
pub enum OrgOp {
    /// Ask for a slot.
    Acquire(OrgAsk),
    /// Give a slot back.
    Release {
        /// The lease.
        lease: OrgLease,
        /// The refund and the credits left.
        release: OrgRelease,
    },
}

/// The answer to an [`OrgOp`], reported with
/// [`Exchange::on_org`](crate::exchange::Exchange::on_org).
#[derive(Debug)]
#[non_exhaustive]
pub enum OrgReply {
    /// The answer to [`OrgOp::Acquire`].
    Acquired(Result<OrgGrant, StoreError>),
    /// The answer to [`OrgOp::Release`].
    Released(Result<(), StoreError>),
}

impl OrgOp {
    /// Performs the operation on a blocking limiter.
    pub fn perform(self, limiter: &dyn OrgLimiter) -> OrgReply {
        match self {
            OrgOp::Acquire(ask) => OrgReply::Acquired(limiter.acquire(&ask)),
            OrgOp::Release { lease, release } => {
                OrgReply::Released(limiter.release(lease, &release))
            }
        }
    }

    /// Performs the operation on an async limiter.
    pub async fn perform_async(self, limiter: &dyn AsyncOrgLimiter) -> OrgReply {
        match self {
            OrgOp::Acquire(ask) => OrgReply::Acquired(limiter.acquire(&ask).await),
            OrgOp::Release { lease, release } => {
                OrgReply::Released(limiter.release(lease, &release).await)
            }
        }
    }

    /// The answer of a limiter that cannot be driven here (an async one on the blocking
    /// client): an error, so the call goes on under the in-process limiter.
    pub fn refuse(self) -> OrgReply {
        let error = StoreError {
            path: "async org limiter".into(),
            message: "an async org limiter needs the async client".into(),
        };
        match self {
            OrgOp::Acquire(_) => OrgReply::Acquired(Err(error)),
            OrgOp::Release { .. } => OrgReply::Released(Err(error)),
        }
    }
}
