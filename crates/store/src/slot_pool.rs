//! Org slots given back off the call's path, and kept a moment for the next call.
//!
//! A call does not send its release itself: its lease goes to the limiter's pool, and the
//! pool's worker (a thread with its own connection, started by the first release) gives it
//! back to Redis once it has been idle for [`IDLE_GRACE`], or at once when its reuse window
//! has ended. A call of the same cost that starts meanwhile takes the pooled lease instead of
//! asking Redis, so a process making calls one after another holds one slot and pays no round
//! trip per call. The slot stays counted in Redis the whole time: the org never sees more
//! calls than its limit, a slot is only held a little longer than its calls.
//!
//! What that costs the fleet, and the bounds on it: a busy process keeps its slot for at most
//! the reuse window ([`DEFAULT_REUSE`]) before it must ask again, so the others get their turn;
//! the credits of reused calls reach Redis with the release (within the window plus
//! [`IDLE_GRACE`]), so with a daily budget every call asks Redis (the budget stays exact).

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use redis::{Client, Script};
use zohocrm_core::limit::Cost;
use zohocrm_core::org_limit::{OrgAsk, OrgRelease};

use crate::health::Health;
use crate::redis::Server;

/// How long a pooled slot waits for the next call before it is given back.
pub const IDLE_GRACE: Duration = Duration::from_millis(5);

/// How long after its grant a slot may serve further calls (see
/// `with_reuse` of the Redis limiters).
pub const DEFAULT_REUSE: Duration = Duration::from_secs(1);

/// How long the worker keeps checking an empty pool before it sleeps until the next release.
const LINGER: Duration = Duration::from_secs(1);

/// What an org lease of the Redis limiter holds.
#[derive(Debug, Clone)]
pub(crate) struct Held {
    /// The member in the slots set (`id:units`).
    pub(crate) slot: String,
    /// The member in the heavy set, for a heavy call.
    pub(crate) heavy: Option<String>,
    /// The hour its credits were counted in.
    pub(crate) hour: i64,
    /// The cost it was granted for: a pooled slot serves calls of the same cost.
    pub(crate) cost: Cost,
    /// When Redis granted it (this process's clock).
    pub(crate) granted: Instant,
    /// Credits of the calls it served after its grant, not yet counted in Redis.
    pub(crate) charge: u32,
}

/// The release script and its server, owned by the worker that sends the releases.
pub(crate) struct Releases {
    pub(crate) client: Client,
    pub(crate) keys: [String; 4],
    pub(crate) script: Script,
    pub(crate) timeout: Duration,
    pub(crate) health: Arc<Health>,
    /// Credits keys' expiry, in ms.
    pub(crate) credits_ttl_ms: u64,
}

impl Releases {
    /// Sends one release; a failure is the server's health's to report (a lease not given
    /// back ends by expiry, and credits not counted are lost to the fleet's count).
    fn send(
        &self,
        connection: &Mutex<Option<redis::Connection>>,
        held: &Held,
        release: &OrgRelease,
    ) {
        let mut i = self.script.prepare_invoke();
        for k in &self.keys {
            i.key(k);
        }
        // Credits to take back (a refund) less those to add (reused calls), as one number.
        let credits = i64::from(release.refund) - i64::from(held.charge);
        i.arg(&held.slot)
            .arg(held.heavy.as_deref().unwrap_or(""))
            .arg(credits)
            .arg(held.hour)
            .arg(release.remaining.map(|r| r.to_string()).unwrap_or_default())
            .arg(self.credits_ttl_ms);
        let server = Server {
            client: &self.client,
            timeout: self.timeout,
            health: &self.health,
        };
        if let Err(e) = server.invoke(connection, &i) {
            tracing::debug!(error = %e, "an org slot was not given back; its lease will end it");
        }
    }
}

/// A slot waiting for the next call.
struct Idle {
    held: Held,
    since: Instant,
    /// The last credits-left report of the calls it served.
    remaining: Option<u64>,
}

impl Idle {
    /// When the worker must give it back, for a reuse window and an idle grace.
    fn due(&self, (window, grace): (Duration, Duration)) -> Instant {
        (self.since + grace).min(self.held.granted + window)
    }

    /// Its release: nothing to refund, the last credits-left report.
    fn release(&self) -> OrgRelease {
        let mut release = OrgRelease::default();
        release.remaining = self.remaining;
        release
    }
}

/// What the worker is asked to do.
enum Job {
    /// Give this slot back now.
    Release(Held, OrgRelease),
    /// A slot was pooled while the worker slept.
    Wake,
    /// Give back every pooled slot, then call this (all earlier releases are sent).
    Flush(Box<dyn FnOnce() + Send>),
}

struct Pool {
    idle: Vec<Idle>,
    /// The worker sleeps until the next job (no deadline to watch).
    parked: bool,
    /// How long after its grant a slot may serve calls; zero: every call asks Redis.
    reuse: Duration,
    /// The lease of a slot in Redis: a slot serves calls only in the first quarter of it, so
    /// a call it serves ends well before the lease does.
    lease: Duration,
    /// How long an idle slot waits for the next call ([`IDLE_GRACE`] by default).
    grace: Duration,
}

impl Pool {
    /// How long after its grant a slot may serve calls.
    fn window(&self) -> Duration {
        self.reuse.min(self.lease / 4)
    }

    /// The reuse window and the idle grace: what makes a pooled slot due.
    fn timing(&self) -> (Duration, Duration) {
        (self.window(), self.grace)
    }
}

/// The pooled slots of one limiter and the worker that gives them back.
pub(crate) struct SlotPool {
    pool: Arc<Mutex<Pool>>,
    queue: OnceLock<mpsc::Sender<Job>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl SlotPool {
    pub(crate) fn new(lease: Duration) -> Self {
        SlotPool {
            pool: Arc::new(Mutex::new(Pool {
                idle: Vec::new(),
                parked: false,
                reuse: DEFAULT_REUSE,
                lease,
                grace: IDLE_GRACE,
            })),
            queue: OnceLock::new(),
            thread: Mutex::new(None),
        }
    }

    pub(crate) fn set_reuse(&self, reuse: Duration) {
        self.pool().reuse = reuse;
    }

    pub(crate) fn lease(&self) -> Duration {
        self.pool().lease
    }

    pub(crate) fn set_lease(&self, lease: Duration) {
        self.pool().lease = lease;
    }

    pub(crate) fn set_grace(&self, grace: Duration) {
        self.pool().grace = grace;
    }

    fn pool(&self) -> MutexGuard<'_, Pool> {
        lock(&self.pool)
    }

    /// A pooled slot for `ask`, charged with its credits, if one of the same cost is within
    /// its reuse window. None with a budget: the budget is checked in Redis for every call.
    pub(crate) fn take(&self, ask: &OrgAsk, now: Instant) -> Option<Held> {
        if ask.budget.is_some() {
            return None;
        }
        let mut pool = self.pool();
        let window = pool.window();
        let i = pool
            .idle
            .iter()
            .position(|p| p.held.cost == ask.cost && now < p.held.granted + window)?;
        let mut held = pool.idle.swap_remove(i).held;
        held.charge = held.charge.saturating_add(ask.credits);
        Some(held)
    }

    /// Gives `held` back: to the pool while it may serve another call, otherwise to the worker
    /// to send now. `make` gives the worker what it needs, the first time.
    pub(crate) fn put(
        &self,
        held: Held,
        release: OrgRelease,
        now: Instant,
        make: impl Fn() -> Releases,
    ) {
        let queue = self.queue(&make);
        let mut pool = self.pool();
        let job = if release.refund == 0 && now < held.granted + pool.window() {
            pool.idle.push(Idle {
                held,
                since: now,
                remaining: release.remaining,
            });
            // A worker watching a deadline wakes in time for this one too (the pool's
            // earlier slots are due first); a sleeping one must be told.
            if !std::mem::take(&mut pool.parked) {
                return;
            }
            Job::Wake
        } else {
            Job::Release(held, release)
        };
        drop(pool);
        if let Err(mpsc::SendError(job)) = queue.send(job) {
            // No worker (its thread could not start): the slots are given back in line.
            let connection = Mutex::new(None);
            let releases = make();
            if let Job::Release(held, release) = job {
                releases.send(&connection, &held, &release);
            }
            for p in std::mem::take(&mut self.pool().idle) {
                releases.send(&connection, &p.held, &p.release());
            }
        }
    }

    /// Asks the worker to give back every pooled slot and to call `done` once every slot
    /// given back so far has reached Redis (or failed). False when there is no worker (no
    /// slot was ever given back, or its thread could not start): nothing to wait for.
    pub(crate) fn flush(&self, done: Box<dyn FnOnce() + Send>) -> bool {
        self.queue
            .get()
            .is_some_and(|queue| queue.send(Job::Flush(done)).is_ok())
    }

    fn queue(&self, make: impl Fn() -> Releases) -> &mpsc::Sender<Job> {
        self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel();
            let worker = Worker {
                releases: make(),
                pool: self.pool.clone(),
                connection: Mutex::new(None),
            };
            match std::thread::Builder::new()
                .name("zohocrm-org-release".into())
                .spawn(move || worker.run(&rx))
            {
                Ok(t) => *lock(&self.thread) = Some(t),
                Err(e) => {
                    // Nobody would give pooled slots back: every call asks Redis, and slots
                    // are given back in line (see `put`).
                    tracing::warn!(error = %e, "no org release thread: releases sent in line");
                    self.pool().reuse = Duration::ZERO;
                }
            }
            tx
        })
    }
}

impl Drop for SlotPool {
    /// Gives every slot back before the limiter goes, so a process that ends normally frees
    /// its slots at once rather than by expiry.
    fn drop(&mut self) {
        drop(self.queue.take());
        if let Some(thread) = lock(&self.thread).take() {
            let _ = thread.join();
        }
    }
}

struct Worker {
    releases: Releases,
    pool: Arc<Mutex<Pool>>,
    connection: Mutex<Option<redis::Connection>>,
}

impl Worker {
    /// Sends the releases it is given and those of pooled slots when they are due; between
    /// them, waits for the next due slot, ticks every [`IDLE_GRACE`] while calls come, and
    /// sleeps until told after [`LINGER`] without any.
    fn run(&self, jobs: &mpsc::Receiver<Job>) {
        let mut busy_at = Instant::now();
        loop {
            let (next, parked) = {
                let mut pool = lock(&self.pool);
                let timing = pool.timing();
                let next = pool.idle.iter().map(|p| p.due(timing)).min();
                pool.parked = next.is_none() && busy_at.elapsed() >= LINGER;
                (next, pool.parked)
            };
            let job = if parked {
                jobs.recv().map_err(|_| RecvTimeoutError::Disconnected)
            } else {
                let wait = next.map_or(IDLE_GRACE, |due| {
                    due.saturating_duration_since(Instant::now())
                });
                jobs.recv_timeout(wait)
            };
            let got = job.is_ok();
            match job {
                Ok(Job::Release(held, release)) => self.send(&held, &release),
                Ok(Job::Wake) | Err(RecvTimeoutError::Timeout) => {}
                Ok(Job::Flush(done)) => {
                    self.give_back(|_| true);
                    done();
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.give_back(|_| true);
                    return;
                }
            }
            let now = Instant::now();
            let timing = lock(&self.pool).timing();
            self.give_back(|p| p.due(timing) <= now);
            if got || !lock(&self.pool).idle.is_empty() {
                busy_at = now;
            }
        }
    }

    /// Sends the releases of the pooled slots that `due` selects.
    fn give_back(&self, due: impl Fn(&Idle) -> bool) {
        let ready: Vec<Idle> = {
            let mut pool = lock(&self.pool);
            let (ready, keep) = std::mem::take(&mut pool.idle)
                .into_iter()
                .partition(|p| due(p));
            pool.idle = keep;
            ready
        };
        for p in &ready {
            self.send(&p.held, &p.release());
        }
    }

    fn send(&self, held: &Held, release: &OrgRelease) {
        self.releases.send(&self.connection, held, release);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Releases to a server that is not there: the worker's sends fail, which these tests
    /// do not look at.
    fn nowhere() -> Releases {
        Releases {
            client: Client::open("redis://127.0.0.1:1/").unwrap(),
            keys: Default::default(),
            script: Script::new("return 1"),
            timeout: Duration::from_millis(50),
            health: Arc::new(Health::new("redis://127.0.0.1:1".into())),
            credits_ttl_ms: 1,
        }
    }

    fn held(cost: Cost, granted: Instant) -> Held {
        Held {
            slot: "lease:1".into(),
            heavy: None,
            hour: 0,
            cost,
            granted,
            charge: 0,
        }
    }

    fn ask(cost: Cost, budget: Option<u64>) -> OrgAsk {
        OrgAsk::new(cost, 3, budget)
    }

    #[test]
    fn a_slot_serves_the_next_call_of_its_cost_and_counts_its_credits() {
        let pool = SlotPool::new(Duration::from_secs(120));
        // However late this thread runs, the worker does not give the slot back meanwhile.
        pool.set_grace(Duration::from_secs(600));
        let now = Instant::now();
        pool.put(held(Cost::NORMAL, now), OrgRelease::default(), now, nowhere);
        assert!(
            pool.take(&ask(Cost::HEAVY, None), now).is_none(),
            "another cost"
        );
        assert!(
            pool.take(&ask(Cost::NORMAL, Some(100)), now).is_none(),
            "a budget is checked in Redis"
        );
        let again = pool.take(&ask(Cost::NORMAL, None), now).expect("pooled");
        assert_eq!(again.charge, 3);
        assert!(
            pool.take(&ask(Cost::NORMAL, None), now).is_none(),
            "taken once"
        );
    }

    #[test]
    fn refunded_old_or_unpooled_slots_go_back_to_redis() {
        let pool = SlotPool::new(Duration::from_millis(400));
        let now = Instant::now();
        let mut refund = OrgRelease::default();
        refund.refund = 1;
        pool.put(held(Cost::NORMAL, now), refund, now, nowhere);
        assert!(
            pool.take(&ask(Cost::NORMAL, None), now).is_none(),
            "a refund"
        );
        // A quarter of the 400 ms lease is the window, however long the reuse setting.
        let later = now + Duration::from_millis(100);
        pool.put(held(Cost::NORMAL, now), OrgRelease::default(), now, nowhere);
        assert!(
            pool.take(&ask(Cost::NORMAL, None), later).is_none(),
            "past the window"
        );
        pool.set_reuse(Duration::ZERO);
        pool.put(held(Cost::NORMAL, now), OrgRelease::default(), now, nowhere);
        assert!(
            pool.take(&ask(Cost::NORMAL, None), now).is_none(),
            "reuse off"
        );
    }

    #[test]
    fn flush_gives_pooled_slots_back() {
        let pool = SlotPool::new(Duration::from_secs(120));
        let now = Instant::now();
        let (tx, rx) = mpsc::channel();
        assert!(
            !pool.flush(Box::new(|| {})),
            "no worker yet: nothing to wait for"
        );
        pool.put(held(Cost::NORMAL, now), OrgRelease::default(), now, nowhere);
        assert!(pool.flush(Box::new(move || {
            let _ = tx.send(());
        })));
        rx.recv_timeout(Duration::from_secs(60)).expect("flushed");
        assert!(pool.take(&ask(Cost::NORMAL, None), now).is_none());
    }
}
