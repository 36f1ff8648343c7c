//! Request deadlines without a tokio timer per request.
//!
//! Registering a tokio timer for each call (`tokio::time::timeout`) wakes the runtime's timer
//! driver every time a call starts from outside a worker thread: about 10 µs per call on
//! loopback, a quarter of a small call. Instead, each transport has one [`Watchdog`]: a call
//! registers its deadline in a table (a mutex and a slot), and one ticker task per transport,
//! running only while calls are in flight, wakes every `tick` and fails the calls whose
//! deadline has passed. A deadline is thus honoured within one tick (a tenth of the timeout,
//! between 10 ms and 1 s).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// The deadlines of one transport's calls, and its ticker.
#[derive(Clone)]
pub(crate) struct Watchdog {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Watchdog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watchdog")
            .field("tick", &self.shared.tick)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    tick: Duration,
}

#[derive(Debug, Default)]
struct State {
    slots: Vec<Option<Slot>>,
    free: Vec<usize>,
    /// Whether a ticker task is running.
    ticking: bool,
}

#[derive(Debug)]
struct Slot {
    deadline: Instant,
    waker: Option<Waker>,
    expired: bool,
}

impl Watchdog {
    /// A watchdog for calls bounded by `timeout`.
    pub(crate) fn new(timeout: Duration) -> Self {
        Watchdog {
            shared: Arc::new(Shared {
                state: Mutex::default(),
                tick: (timeout / 10).clamp(Duration::from_millis(10), Duration::from_secs(1)),
            }),
        }
    }

    /// Registers a call that must be done by `deadline`.
    pub(crate) fn arm(&self, deadline: Instant) -> Deadline {
        let mut st = self.shared.state();
        let slot = Some(Slot {
            deadline,
            waker: None,
            expired: false,
        });
        let key = match st.free.pop() {
            Some(key) => {
                st.slots[key] = slot;
                key
            }
            None => {
                st.slots.push(slot);
                st.slots.len() - 1
            }
        };
        if !st.ticking {
            // Outside a runtime there is nothing to tick on; hyper needs one anyway.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                st.ticking = true;
                runtime.spawn(tick(self.shared.clone()));
            }
        }
        Deadline {
            shared: self.shared.clone(),
            key,
        }
    }
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Marks the ticker stopped if its task is dropped without finishing (its runtime shut down),
/// so the next call starts another.
struct Ticking(Arc<Shared>);

impl Drop for Ticking {
    fn drop(&mut self) {
        self.0.state().ticking = false;
    }
}

async fn tick(shared: Arc<Shared>) {
    let _ticking = Ticking(shared.clone());
    let mut idle = 0;
    loop {
        tokio::time::sleep(shared.tick).await;
        let mut st = shared.state();
        let now = Instant::now();
        let mut live = 0;
        for slot in st.slots.iter_mut().flatten() {
            live += 1;
            if !slot.expired && slot.deadline <= now {
                slot.expired = true;
                if let Some(waker) = slot.waker.take() {
                    waker.wake();
                }
            }
        }
        idle = if live == 0 { idle + 1 } else { 0 };
        if idle >= 2 {
            // Decided under the lock `arm` takes: a call armed after this starts a new ticker.
            st.ticking = false;
            return;
        }
    }
}

/// One call's deadline; unregistered when dropped.
#[derive(Debug)]
pub(crate) struct Deadline {
    shared: Arc<Shared>,
    key: usize,
}

impl Deadline {
    /// Moves the deadline (the next chunk of a download has its own).
    pub(crate) fn reset(&self, deadline: Instant) {
        if let Some(slot) = self.shared.state().slots[self.key].as_mut() {
            slot.deadline = deadline;
            slot.expired = false;
        }
    }

    /// Whether the deadline has passed; if not, `cx` is woken when it does.
    fn expired(&self, cx: &Context<'_>) -> bool {
        let mut st = self.shared.state();
        let Some(slot) = st.slots[self.key].as_mut() else {
            return true;
        };
        if slot.expired {
            return true;
        }
        if !slot.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            slot.waker = Some(cx.waker().clone());
        }
        false
    }

    /// `future`, or `Err(Elapsed)` once the deadline has passed.
    pub(crate) fn bound<F: Future + Unpin>(&self, future: F) -> Bounded<'_, F> {
        Bounded {
            deadline: self,
            future,
        }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        let mut st = self.shared.state();
        st.slots[self.key] = None;
        st.free.push(self.key);
    }
}

/// The deadline passed.
#[derive(Debug)]
pub(crate) struct Elapsed;

/// The future of [`Deadline::bound`].
pub(crate) struct Bounded<'d, F> {
    deadline: &'d Deadline,
    future: F,
}

impl<F: Future + Unpin> Future for Bounded<'_, F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.deadline.expired(cx) {
            return Poll::Ready(Err(Elapsed));
        }
        Pin::new(&mut self.future).poll(cx).map(Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_late_call_is_cut_within_a_tick_and_a_prompt_one_is_not() {
        let watchdog = Watchdog::new(Duration::from_millis(100));
        let started = Instant::now();
        let late = watchdog.arm(started + Duration::from_millis(100));
        let result = late
            .bound(Box::pin(tokio::time::sleep(Duration::from_secs(30))))
            .await;
        assert!(result.is_err(), "cut at the deadline");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "well before the sleep ends"
        );
        let prompt = watchdog.arm(Instant::now() + Duration::from_secs(30));
        assert!(prompt.bound(std::future::ready(7)).await.is_ok());
        drop((late, prompt));
        assert!(watchdog.shared.state().slots.iter().all(Option::is_none));
    }

    #[tokio::test]
    async fn the_ticker_stops_when_idle_and_starts_again() {
        let watchdog = Watchdog::new(Duration::from_millis(100));
        drop(watchdog.arm(Instant::now() + Duration::from_secs(1)));
        assert!(watchdog.shared.state().ticking);
        for _ in 0..200 {
            if !watchdog.shared.state().ticking {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(!watchdog.shared.state().ticking, "stops after idle ticks");
        let again = watchdog.arm(Instant::now());
        assert!(again.bound(std::future::pending::<()>()).await.is_err());
    }
}
