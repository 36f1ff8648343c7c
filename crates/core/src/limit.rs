//! Client-side concurrency limits: how many API calls of one session may be in flight at once,
//! and which calls count as "heavy". The limiter here is what keeps a burst of calls queued in
//! the client instead of failing with Zoho's `429 TOO_MANY_REQUESTS`.
//!
//! Zoho limits concurrent calls per org and app by edition (Free 5, Standard 10, Professional 15,
//! Enterprise 20, Ultimate 25) and resource-intensive calls (COQL, bulk jobs, lead conversion,
//! mass updates) to 10 whatever the edition; a composite call takes 5 units. The default,
//! [`ConcurrencyLimits::default`], is 10 calls of which 5 heavy: safe on every paid edition and
//! leaving room for other apps of the same org.
//!
//! The policy (limits and [`cost`]) is pure. The [`Limiter`] keeps the count of one session with
//! a `std` mutex; the exchange takes a permit right before it stamps the token on an API request
//! and gives it back when the response (or failure) is reported, so retries' sleeps and token
//! refreshes hold no permit. Drivers wait for a free permit with [`Limiter::wait_blocking`] or
//! [`Limiter::wait`] (runtime-agnostic: wakers, no timer); a driver that knows nothing of limits
//! still works, since the exchange then asks it to sleep briefly and poll again.
//!
//! # Example
//!
//! ```
//! use zohocrm_core::limit::{Cost, Limiter};
//! use zohocrm_core::ConcurrencyLimits;
//!
//! let limiter = Limiter::new(ConcurrencyLimits::new(2, 1));
//! let coql = limiter.try_acquire(Cost::HEAVY).expect("a free heavy unit");
//! assert!(limiter.try_acquire(Cost::HEAVY).is_none(), "one heavy call at a time");
//! let list = limiter.try_acquire(Cost::NORMAL).expect("a free unit");
//! assert!(limiter.try_acquire(Cost::NORMAL).is_none(), "two calls at a time");
//! drop(coql);
//! assert!(limiter.try_acquire(Cost::NORMAL).is_some());
//! drop(list);
//! ```

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::task::{Context as TaskContext, Poll, Waker};

use crate::context::Host;
use crate::request::RequestParts;

/// How many API calls of one session may run at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConcurrencyLimits {
    /// Calls in flight at once (units: a composite call takes 5). `u32::MAX` disables the limit.
    pub max_concurrent: u32,
    /// Heavy calls (COQL, bulk, convert, mass update, composite) in flight at once.
    pub max_heavy: u32,
}

impl Default for ConcurrencyLimits {
    fn default() -> Self {
        ConcurrencyLimits {
            max_concurrent: 10,
            max_heavy: 5,
        }
    }
}

impl ConcurrencyLimits {
    /// `max_concurrent` calls at once, `max_heavy` of them heavy (both at least 1).
    pub fn new(max_concurrent: u32, max_heavy: u32) -> Self {
        let max_concurrent = max_concurrent.max(1);
        ConcurrencyLimits {
            max_concurrent,
            max_heavy: max_heavy.clamp(1, max_concurrent),
        }
    }

    /// Zoho's limits for an edition (`license_details.paid_type` of `GET /crm/v8/org`, any
    /// case): Free 5, Standard/Starter 10, Professional 15, Enterprise/Zoho One 20,
    /// Ultimate/CRM Plus 25, and 10 heavy calls (at most the total). An unknown edition gets
    /// the conservative [`default`](Self::default).
    ///
    /// ```
    /// use zohocrm_core::ConcurrencyLimits;
    /// assert_eq!(ConcurrencyLimits::for_edition("Enterprise"), ConcurrencyLimits::new(20, 10));
    /// assert_eq!(ConcurrencyLimits::for_edition("free"), ConcurrencyLimits::new(5, 5));
    /// assert_eq!(ConcurrencyLimits::for_edition("galactic"), ConcurrencyLimits::default());
    /// ```
    pub fn for_edition(paid_type: &str) -> Self {
        let edition: String = paid_type
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let total = match edition.as_str() {
            "free" => 5,
            "standard" | "starter" => 10,
            "professional" => 15,
            "enterprise" | "zohoone" => 20,
            "ultimate" | "crmplus" => 25,
            _ => return Self::default(),
        };
        Self::new(total, 10)
    }

    /// The limits of the org in a `GET /crm/v8/org` answer (`org[0].license_details.paid_type`,
    /// see [`for_edition`](Self::for_edition)); the default when the answer does not say.
    pub fn from_org_answer(answer: &serde_json::Value) -> Self {
        answer
            .pointer("/org/0/license_details/paid_type")
            .and_then(serde_json::Value::as_str)
            .map_or_else(Self::default, Self::for_edition)
    }

    /// No client-side limit (Zoho's own limit then answers 429, which is retried).
    pub fn unlimited() -> Self {
        ConcurrencyLimits {
            max_concurrent: u32::MAX,
            max_heavy: u32::MAX,
        }
    }
}

/// What one request takes from the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    /// Concurrency units (1, or 5 for a composite call).
    pub units: u32,
    /// Whether the call also takes a unit of the heavy ("sub-concurrency") limit.
    pub heavy: bool,
}

impl Cost {
    /// An ordinary call.
    pub const NORMAL: Cost = Cost {
        units: 1,
        heavy: false,
    };
    /// A heavy call.
    pub const HEAVY: Cost = Cost {
        units: 1,
        heavy: true,
    };
}

/// The cost of a request, or `None` when it is not limited (the accounts server: token requests
/// do not count against the CRM's concurrency). Heavy when the operation's spec says so, or by
/// its path (for calls without a spec: raw paths, calls by id).
pub fn cost(spec: Option<&crate::op_spec::OpSpec>, parts: &RequestParts) -> Option<Cost> {
    if parts.host == Host::Accounts {
        return None;
    }
    let path: &str = &parts.path;
    if path.contains("__composite_requests") {
        return Some(Cost {
            units: 5,
            heavy: true,
        });
    }
    let heavy = spec.is_some_and(|s| s.heavy)
        || path.ends_with("/coql")
        || path.starts_with("/crm/bulk/")
        || path.contains("/actions/convert")
        || path.contains("/actions/mass_update");
    Some(if heavy { Cost::HEAVY } else { Cost::NORMAL })
}

#[derive(Debug, Default)]
struct State {
    units: u32,
    heavy: u32,
    peak_units: u32,
    peak_heavy: u32,
    waiters: BTreeMap<u64, Waker>,
    next_waiter: u64,
    /// Threads blocked in [`Limiter::wait_blocking`]: without any, a release wakes no one
    /// (a condition variable's notify is a system call even when nobody waits).
    blocked: u32,
}

/// The permit count of one session. See the module docs.
#[derive(Debug)]
pub struct Limiter {
    limits: ConcurrencyLimits,
    state: Mutex<State>,
    freed: Condvar,
}

impl Default for Limiter {
    fn default() -> Self {
        Self::new(ConcurrencyLimits::default())
    }
}

impl Limiter {
    /// A limiter with nothing in flight.
    pub fn new(limits: ConcurrencyLimits) -> Self {
        Limiter {
            limits,
            state: Mutex::new(State::default()),
            freed: Condvar::new(),
        }
    }

    /// The limits.
    pub fn limits(&self) -> ConcurrencyLimits {
        self.limits
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A composite call on a limit below 5 takes the whole limit rather than never fitting.
    fn units(&self, cost: Cost) -> u32 {
        cost.units.clamp(1, self.limits.max_concurrent)
    }

    fn fits(&self, st: &State, cost: Cost) -> bool {
        let units_ok = st.units.saturating_add(self.units(cost)) <= self.limits.max_concurrent;
        units_ok && (!cost.heavy || st.heavy < self.limits.max_heavy)
    }

    /// Takes a permit of `cost` if one is free now. Give it back with [`release`](Self::release).
    pub fn try_take(&self, cost: Cost) -> bool {
        let mut st = self.state();
        if !self.fits(&st, cost) {
            return false;
        }
        st.units += self.units(cost);
        st.peak_units = st.peak_units.max(st.units);
        if cost.heavy {
            st.heavy += 1;
            st.peak_heavy = st.peak_heavy.max(st.heavy);
        }
        true
    }

    /// Gives back a permit taken with [`try_take`](Self::try_take) and wakes the waiters.
    pub fn release(&self, cost: Cost) {
        let (wakers, blocked): (Vec<Waker>, bool) = {
            let mut st = self.state();
            st.units = st.units.saturating_sub(self.units(cost));
            if cost.heavy {
                st.heavy = st.heavy.saturating_sub(1);
            }
            (st.waiters.values().cloned().collect(), st.blocked > 0)
        };
        if blocked {
            self.freed.notify_all();
        }
        for w in wakers {
            w.wake();
        }
    }

    /// Takes a permit now, as a guard that gives it back when dropped.
    pub fn try_acquire(&self, cost: Cost) -> Option<Permit<'_>> {
        // Lazily: a permit built and dropped when none was taken would give back a unit that
        // was never taken (its Drop releases).
        self.try_take(cost).then(|| Permit {
            limiter: self,
            cost,
        })
    }

    /// Blocks the thread until a permit of `cost` is taken.
    pub fn acquire_blocking(&self, cost: Cost) -> Permit<'_> {
        loop {
            if let Some(p) = self.try_acquire(cost) {
                return p;
            }
            self.wait_blocking(cost);
        }
    }

    /// Waits without blocking the thread until a permit of `cost` is taken.
    pub async fn acquire(&self, cost: Cost) -> Permit<'_> {
        loop {
            if let Some(p) = self.try_acquire(cost) {
                return p;
            }
            self.wait(cost).await;
        }
    }

    /// Blocks the thread until a permit of `cost` would fit (it does not take it: another
    /// caller may be faster, so callers loop).
    pub fn wait_blocking(&self, cost: Cost) {
        let mut st = self.state();
        while !self.fits(&st, cost) {
            // Counted under the lock `release` takes, so no notification is lost.
            st.blocked += 1;
            st = self.freed.wait(st).unwrap_or_else(|p| p.into_inner());
            st.blocked -= 1;
        }
    }

    /// Resolves once a permit of `cost` would fit (it does not take it). Cancel-safe.
    pub fn wait(&self, cost: Cost) -> Wait<'_> {
        Wait {
            limiter: self,
            cost,
            id: None,
        }
    }

    /// Units in flight now.
    pub fn in_flight(&self) -> u32 {
        self.state().units
    }

    /// The most units ever in flight at once.
    pub fn peak(&self) -> u32 {
        self.state().peak_units
    }

    /// The most heavy calls ever in flight at once.
    pub fn peak_heavy(&self) -> u32 {
        self.state().peak_heavy
    }
}

/// A permit; gives itself back when dropped.
#[derive(Debug)]
#[must_use = "the permit is given back as soon as it is dropped"]
pub struct Permit<'a> {
    limiter: &'a Limiter,
    cost: Cost,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.limiter.release(self.cost);
    }
}

/// The future of [`Limiter::wait`].
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct Wait<'a> {
    limiter: &'a Limiter,
    cost: Cost,
    id: Option<u64>,
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        let limiter = self.limiter;
        let mut st = limiter.state();
        // Checked and registered under the lock `release` takes, so no wake-up is lost.
        if limiter.fits(&st, self.cost) {
            if let Some(id) = self.id.take() {
                st.waiters.remove(&id);
            }
            return Poll::Ready(());
        }
        let id = match self.id {
            Some(id) => id,
            None => {
                st.next_waiter += 1;
                st.next_waiter
            }
        };
        st.waiters.insert(id, cx.waker().clone());
        drop(st);
        self.id = Some(id);
        Poll::Pending
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            self.limiter.state().waiters.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::RequestParts;

    #[test]
    fn heavy_calls_are_recognised() {
        let get = RequestParts::get("/crm/v8/Leads");
        assert_eq!(cost(None, &get), Some(Cost::NORMAL));
        let coql = RequestParts::post("/crm/v8/coql");
        assert_eq!(cost(None, &coql), Some(Cost::HEAVY));
        assert_eq!(cost(None, &coql), Some(Cost::HEAVY));
        let convert = RequestParts::post("/crm/v8/Leads/{id}/actions/convert").path_param("1");
        assert_eq!(cost(None, &convert), Some(Cost::HEAVY));
        let bulk = RequestParts::post("/crm/bulk/v8/read");
        assert_eq!(cost(None, &bulk), Some(Cost::HEAVY));
        let composite = RequestParts::post("/crm/v8/__composite_requests");
        assert_eq!(cost(None, &composite).map(|c| c.units), Some(5));
        let token = RequestParts::new(http::Method::POST, Host::Accounts, "/oauth/v2/token");
        assert_eq!(cost(None, &token), None);
    }

    #[test]
    fn editions_give_zoho_limits() {
        let l = |e: &str| {
            let c = ConcurrencyLimits::for_edition(e);
            (c.max_concurrent, c.max_heavy)
        };
        assert_eq!(l("free"), (5, 5));
        assert_eq!(l("Standard"), (10, 10));
        assert_eq!(l("STARTER"), (10, 10));
        assert_eq!(l("professional"), (15, 10));
        assert_eq!(l("enterprise"), (20, 10));
        assert_eq!(l("Zoho One"), (20, 10));
        assert_eq!(l("ultimate"), (25, 10));
        assert_eq!(l("crm_plus"), (25, 10));
        assert_eq!(l(""), (10, 5));
        assert_eq!(l("trial"), (10, 5));
        let answer =
            serde_json::json!({"org": [{"license_details": {"paid_type": "professional"}}]});
        assert_eq!(
            ConcurrencyLimits::from_org_answer(&answer),
            ConcurrencyLimits::new(15, 10)
        );
        let odd = serde_json::json!({"org": [{"license_details": {"paid_type": 7}}]});
        assert_eq!(
            ConcurrencyLimits::from_org_answer(&odd),
            ConcurrencyLimits::default()
        );
        assert_eq!(
            ConcurrencyLimits::from_org_answer(&serde_json::json!({})),
            ConcurrencyLimits::default()
        );
    }

    #[test]
    fn limits_hold_and_release() {
        let l = Limiter::new(ConcurrencyLimits::new(3, 1));
        assert!(l.try_take(Cost::HEAVY));
        assert!(!l.try_take(Cost::HEAVY), "one heavy at a time");
        assert!(l.try_take(Cost::NORMAL));
        assert!(l.try_take(Cost::NORMAL));
        assert!(!l.try_take(Cost::NORMAL), "three in all");
        l.release(Cost::HEAVY);
        assert!(l.try_take(Cost::NORMAL));
        assert_eq!(l.peak(), 3);
        assert_eq!(l.peak_heavy(), 1);
        // A composite call on a small limit takes the whole limit instead of never fitting.
        let small = Limiter::new(ConcurrencyLimits::new(2, 1));
        let composite = Cost {
            units: 5,
            heavy: true,
        };
        let p = small.try_acquire(composite).expect("fits an empty limiter");
        assert!(small.try_acquire(Cost::NORMAL).is_none());
        drop(p);
        assert_eq!(small.in_flight(), 0);
    }

    #[test]
    fn blocking_waiters_queue() {
        let l = Limiter::new(ConcurrencyLimits::new(2, 2));
        let done = std::sync::atomic::AtomicU32::new(0);
        std::thread::scope(|s| {
            for _ in 0..16 {
                s.spawn(|| {
                    let _p = l.acquire_blocking(Cost::NORMAL);
                    assert!(l.in_flight() <= 2);
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                });
            }
        });
        assert_eq!(done.into_inner(), 16);
        // Never over the limit; on a loaded machine the threads may well run one at a time.
        assert!((1..=2).contains(&l.peak()), "peak {}", l.peak());
        assert_eq!(l.in_flight(), 0);
    }

    #[test]
    fn async_wait_is_woken_and_cancel_safe() {
        use std::sync::Arc;
        use std::task::Wake;

        struct Flag(std::sync::atomic::AtomicBool);
        impl Wake for Flag {
            fn wake(self: Arc<Self>) {
                self.0.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let l = Limiter::new(ConcurrencyLimits::new(1, 1));
        assert!(l.try_take(Cost::NORMAL));
        let flag = Arc::new(Flag(false.into()));
        let waker = Waker::from(flag.clone());
        let mut cx = TaskContext::from_waker(&waker);
        let mut w = Box::pin(l.wait(Cost::NORMAL));
        assert!(w.as_mut().poll(&mut cx).is_pending());
        let mut dropped = Box::pin(l.wait(Cost::NORMAL));
        assert!(dropped.as_mut().poll(&mut cx).is_pending());
        drop(dropped);
        assert_eq!(l.state().waiters.len(), 1, "a dropped wait unregisters");
        l.release(Cost::NORMAL);
        assert!(flag.0.load(std::sync::atomic::Ordering::SeqCst));
        assert!(w.as_mut().poll(&mut cx).is_ready());
        assert!(l.state().waiters.is_empty());
    }
}
