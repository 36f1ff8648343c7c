//! The org-wide limiter on Redis (see [`RedisOrgLimiter`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{Client, Script, Value};
use zohocrm_core::limit::Cost;
use zohocrm_core::org_limit::{
    AsyncOrgLimiter, OrgAsk, OrgFuture, OrgGrant, OrgLease, OrgLimiter, OrgRelease,
};
use zohocrm_core::token_store::StoreError;
use zohocrm_core::ConcurrencyLimits;

use crate::health::{Health, Subject};
use crate::redis::Server;
use crate::{redacted, StoreKey, DEFAULT_TIMEOUT};

/// The default lease of an org slot: longer than the SDK's default request timeout (60 s), so a
/// slow call never outlives its slot, and the longest a dead worker's slots stay taken.
pub const DEFAULT_SLOT_LEASE: Duration = Duration::from_secs(120);

/// How long the credit hours and the credits-left report are kept (the window plus a bucket,
/// plus a margin).
const CREDITS_TTL_SECS: u64 = 26 * 3600;

/// KEYS: slots, heavy, credits, remaining. ARGV: lease id, units, heavy (1/0), max units, max
/// heavy, lease ms, credits, budget ('' for none), credits ttl ms. Returns {status, spent,
/// remaining or nil, hour}: status 0 granted, 1 full, 2 over budget.
const ACQUIRE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local hour = math.floor(tonumber(t[1]) / 3600)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local spent = 0
local buckets = redis.call('HGETALL', KEYS[3])
for i = 1, #buckets, 2 do
  local h = tonumber(buckets[i])
  if h == nil or h < hour - 24 then
    redis.call('HDEL', KEYS[3], buckets[i])
  else
    spent = spent + math.max(tonumber(buckets[i + 1]) or 0, 0)
  end
end
local remaining = redis.call('GET', KEYS[4])
local credits = tonumber(ARGV[7])
if ARGV[8] ~= '' and spent + credits > tonumber(ARGV[8]) then
  return {2, spent, remaining, hour}
end
local used = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  used = used + (tonumber(string.match(m, ':(%d+)$')) or 1)
end
local units = tonumber(ARGV[2])
if used + units > tonumber(ARGV[4]) then return {1, spent, remaining, hour} end
local heavy = ARGV[3] == '1'
if heavy and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[5]) then
  return {1, spent, remaining, hour}
end
local lease = tonumber(ARGV[6])
redis.call('ZADD', KEYS[1], now + lease, ARGV[1] .. ':' .. units)
if redis.call('PTTL', KEYS[1]) < lease then redis.call('PEXPIRE', KEYS[1], lease) end
if heavy then
  redis.call('ZADD', KEYS[2], now + lease, ARGV[1])
  if redis.call('PTTL', KEYS[2]) < lease then redis.call('PEXPIRE', KEYS[2], lease) end
end
if credits > 0 then
  redis.call('HINCRBY', KEYS[3], hour, credits)
  redis.call('PEXPIRE', KEYS[3], ARGV[9])
end
return {0, spent + credits, remaining, hour}";

/// KEYS: slots, heavy, credits, remaining. ARGV: slot member, heavy member ('' for none),
/// refund, hour of the grant, credits left ('' for none), credits ttl ms.
const RELEASE: &str = r"
redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[2] ~= '' then redis.call('ZREM', KEYS[2], ARGV[2]) end
local refund = tonumber(ARGV[3])
if refund > 0 then
  local left = redis.call('HINCRBY', KEYS[3], ARGV[4], -refund)
  if left <= 0 then redis.call('HDEL', KEYS[3], ARGV[4]) end
end
if ARGV[5] ~= '' then redis.call('SET', KEYS[4], ARGV[5], 'PX', ARGV[6]) end
return 1";

/// What an [`OrgLease`] of this limiter holds.
#[derive(Debug, Clone)]
struct Held {
    /// The member in the slots set (`id:units`).
    slot: String,
    /// The member in the heavy set, for a heavy call.
    heavy: Option<String>,
    /// The hour its credits were counted in.
    hour: i64,
}

/// The keys, options and scripts shared by the blocking and async limiters.
struct Shared {
    client: Client,
    key: StoreKey,
    keys: [String; 4],
    limits: ConcurrencyLimits,
    lease: Duration,
    timeout: Duration,
    health: Arc<Health>,
    acquire: Script,
    release: Script,
    /// The prefix of this limiter's lease ids (process id and a start time), then a counter.
    id_prefix: String,
    next_id: AtomicU64,
}

impl Shared {
    fn new(url: &str, key: StoreKey, limits: ConcurrencyLimits) -> Result<Self, StoreError> {
        let location = redacted(url);
        let client = Client::open(url).map_err(|e| StoreError {
            path: location.clone(),
            message: format!("invalid redis url: {e}"),
        })?;
        // Per client and org: Zoho's limits are per org and app, whoever the user.
        let tag = format!("{}|{}", key.client_id(), key.org());
        let name = |what: &str| format!("zohocrm:org:{{{tag}}}:{what}");
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        Ok(Shared {
            client,
            keys: [
                name("slots"),
                name("heavy"),
                name("credits"),
                name("remaining"),
            ],
            key,
            limits,
            lease: DEFAULT_SLOT_LEASE,
            timeout: DEFAULT_TIMEOUT,
            health: Arc::new(Health::of(location, Subject::OrgLimiter)),
            acquire: Script::new(ACQUIRE),
            release: Script::new(RELEASE),
            id_prefix: format!("{}.{started:x}", std::process::id()),
            next_id: AtomicU64::new(0),
        })
    }

    fn server(&self) -> Server<'_> {
        Server {
            client: &self.client,
            timeout: self.timeout,
            health: &self.health,
        }
    }

    fn ms(d: Duration) -> u64 {
        u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
    }

    /// A composite call on a limit below 5 takes the whole limit rather than never fitting.
    fn units(&self, cost: Cost) -> u32 {
        cost.units.clamp(1, self.limits.max_concurrent)
    }

    fn acquire_invocation(&self, ask: &OrgAsk, id: &str) -> redis::ScriptInvocation<'_> {
        let mut i = self.acquire.prepare_invoke();
        for k in &self.keys {
            i.key(k);
        }
        i.arg(id)
            .arg(self.units(ask.cost))
            .arg(if ask.cost.heavy { 1 } else { 0 })
            .arg(self.limits.max_concurrent)
            .arg(self.limits.max_heavy)
            .arg(Self::ms(self.lease))
            .arg(ask.credits)
            .arg(ask.budget.map(|b| b.to_string()).unwrap_or_default())
            .arg(CREDITS_TTL_SECS * 1000);
        i
    }

    /// What the releases need, for the worker that sends them (with the options as set now).
    fn releases(&self) -> Releases {
        Releases {
            client: self.client.clone(),
            keys: self.keys.clone(),
            script: self.release.clone(),
            timeout: self.timeout,
            health: self.health.clone(),
        }
    }

    fn new_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        format!("{}.{n}", self.id_prefix)
    }

    /// Reads the acquire script's answer.
    fn granted(&self, ask: &OrgAsk, id: String, value: Value) -> Result<OrgGrant, StoreError> {
        let (status, spent, remaining, hour): (i64, i64, Option<String>, i64) =
            redis::from_redis_value(&value)
                .map_err(|_| self.health.error("unexpected answer to acquire"))?;
        let spent = u64::try_from(spent).unwrap_or(0);
        Ok(match status {
            0 => OrgGrant::Granted {
                lease: OrgLease::new(Held {
                    slot: format!("{id}:{}", self.units(ask.cost)),
                    heavy: ask.cost.heavy.then_some(id),
                    hour,
                }),
                spent: Some(spent),
                // A value another worker stored; one that is not a count is no report.
                remaining: remaining.and_then(|r| r.parse().ok()),
            },
            2 => OrgGrant::OverBudget { spent },
            _ => OrgGrant::Full,
        })
    }

    fn held(&self, lease: &OrgLease) -> Result<Held, StoreError> {
        lease
            .guard::<Held>()
            .cloned()
            .ok_or_else(|| self.health.error("a lease of another limiter"))
    }
}

/// The release script and its server, owned by whoever sends the releases.
struct Releases {
    client: Client,
    keys: [String; 4],
    script: Script,
    timeout: Duration,
    health: Arc<Health>,
}

impl Releases {
    fn server(&self) -> Server<'_> {
        Server {
            client: &self.client,
            timeout: self.timeout,
            health: &self.health,
        }
    }

    fn invocation(&self, held: &Held, release: &OrgRelease) -> redis::ScriptInvocation<'_> {
        let mut i = self.script.prepare_invoke();
        for k in &self.keys {
            i.key(k);
        }
        i.arg(&held.slot)
            .arg(held.heavy.as_deref().unwrap_or(""))
            .arg(release.refund)
            .arg(held.hour)
            .arg(release.remaining.map(|r| r.to_string()).unwrap_or_default())
            .arg(CREDITS_TTL_SECS * 1000);
        i
    }

    /// Sends one release; a failure is the server's health's to report (a lease not given
    /// back ends by expiry).
    fn send(
        &self,
        connection: &Mutex<Option<redis::Connection>>,
        held: &Held,
        release: &OrgRelease,
    ) {
        if let Err(e) = self
            .server()
            .invoke(connection, &self.invocation(held, release))
        {
            tracing::debug!(error = %e, "an org slot was not given back; its lease will end it");
        }
    }

    async fn send_async(
        &self,
        connection: &Mutex<Option<MultiplexedConnection>>,
        held: &Held,
        release: &OrgRelease,
    ) {
        let invocation = self.invocation(held, release);
        if let Err(e) = self.server().invoke_async(connection, &invocation).await {
            tracing::debug!(error = %e, "an org slot was not given back; its lease will end it");
        }
    }
}

/// What the blocking limiter's release worker is asked to do.
enum Job {
    Release(Held, OrgRelease),
    /// Answer once every release queued before this one is sent.
    Flush(mpsc::Sender<()>),
}

/// The blocking limiter's release worker: a thread with its own connection, started by the
/// first release, that sends the releases in order. The call that held the slot has its answer
/// already, so the release script is off its path.
#[derive(Default)]
struct Worker {
    queue: OnceLock<mpsc::Sender<Job>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Worker {
    fn queue(&self, shared: &Shared) -> &mpsc::Sender<Job> {
        self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel();
            let releases = shared.releases();
            let thread = std::thread::Builder::new()
                .name("zohocrm-org-release".into())
                .spawn(move || {
                    let connection = Mutex::new(None);
                    for job in rx {
                        match job {
                            Job::Release(held, release) => {
                                releases.send(&connection, &held, &release)
                            }
                            Job::Flush(done) => drop(done.send(())),
                        }
                    }
                });
            match thread {
                Ok(t) => *self.thread.lock().unwrap_or_else(|p| p.into_inner()) = Some(t),
                // No thread: the queue's receiver is gone, so releases are sent in line.
                Err(e) => tracing::debug!(error = %e, "no org release thread"),
            }
            tx
        })
    }
}

/// The options and accessors of both limiters.
macro_rules! limiter_common {
    ($($Limiter:ident),+) => {$(
        impl $Limiter {
            /// Sets the lease of a slot (default [`DEFAULT_SLOT_LEASE`]): how long the slots of
            /// a worker that dies stay taken. It must exceed the request timeout, or a slow call
            /// outlives its slot and the org may see one call more than its limit.
            #[must_use]
            pub fn with_lease(mut self, lease: Duration) -> Self {
                self.shared.lease = lease.max(Duration::from_millis(1));
                self
            }

            /// Sets the timeout of connecting and of each command (default
            /// [`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT)).
            #[must_use]
            pub fn with_timeout(mut self, timeout: Duration) -> Self {
                self.shared.timeout = timeout.max(Duration::from_millis(1));
                self
            }

            /// The org's limits this limiter enforces.
            pub fn limits(&self) -> ConcurrencyLimits {
                self.shared.limits
            }

            /// The client and org whose slots these are.
            pub fn key(&self) -> &StoreKey {
                &self.shared.key
            }

            /// Whether the server is in an outage (calls then go on under the in-process
            /// limiter).
            pub fn is_down(&self) -> bool {
                self.shared.health.is_down()
            }
        }

        impl std::fmt::Debug for $Limiter {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($Limiter))
                    .field("server", &self.shared.health.location())
                    .field("client_id", &self.shared.key.client_id())
                    .field("org", &self.shared.key.org())
                    .field("limits", &self.shared.limits)
                    .finish_non_exhaustive()
            }
        }
    )+};
}

/// The org-wide limiter on Redis with blocking IO: a distributed semaphore with leases for the
/// org's concurrency and its heavy-call sub-concurrency, plus the fleet's credit count (see
/// [`zohocrm_core::org_limit`] for how the exchange uses it).
///
/// Four keys under one hash tag per client and org (no secret in any of them):
/// `…:slots`, a sorted set of leases scored by their expiry (member `lease-id:units`, so a
/// composite call's 5 units are one member); `…:heavy`, the heavy calls' leases likewise;
/// `…:credits`, a hash of credits spent per hour (field = hours since the epoch, 26 h expiry);
/// `…:remaining`, the last `X-API-CREDITS-REMAINING` a worker saw. Times are the server's
/// (`TIME`), so the workers' clocks do not matter.
///
/// An acquire is one script: drop expired leases and old credit hours, refuse a call past the
/// daily budget, count the units and heavy calls held, and when the call fits add its lease and
/// count its credits. A release is one script: remove the lease, give back the refunded credits,
/// keep the credits-left report. So a call costs two round trips; the access token stays cached
/// in the session. A worker that dies holding a lease frees its slot when the lease ends, so the
/// lease (default [`DEFAULT_SLOT_LEASE`]) must outlast the request timeout.
pub struct RedisOrgLimiter {
    shared: Shared,
    connection: Mutex<Option<redis::Connection>>,
    worker: Worker,
}

/// The org-wide limiter on Redis with async IO, for the async client (see
/// [`RedisOrgLimiter`]).
pub struct AsyncRedisOrgLimiter {
    shared: Shared,
    connection: Mutex<Option<MultiplexedConnection>>,
    /// The releases' own context and connection, made by the first release.
    releases: OnceLock<Arc<(Releases, Mutex<Option<MultiplexedConnection>>)>>,
    /// The release tasks not known to be done.
    pending: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

limiter_common!(RedisOrgLimiter, AsyncRedisOrgLimiter);

impl RedisOrgLimiter {
    /// A limiter on the server of `url` (`redis://[:PASSWORD@]HOST[:PORT][/DB]`, `rediss://`)
    /// holding `key`'s client and org to `limits` (e.g.
    /// [`ConcurrencyLimits::for_edition`]). Connects on first use.
    pub fn open(url: &str, key: StoreKey, limits: ConcurrencyLimits) -> Result<Self, StoreError> {
        Ok(RedisOrgLimiter {
            shared: Shared::new(url, key, limits)?,
            connection: Mutex::new(None),
            worker: Worker::default(),
        })
    }
}

impl OrgLimiter for RedisOrgLimiter {
    fn acquire(&self, ask: &OrgAsk) -> Result<OrgGrant, StoreError> {
        let s = &self.shared;
        let id = s.new_id();
        let value = s
            .server()
            .invoke(&self.connection, &s.acquire_invocation(ask, &id))?;
        s.granted(ask, id, value)
    }

    /// Queues the release for the limiter's release worker and returns at once (see
    /// [`flush`](RedisOrgLimiter::flush)).
    fn release(&self, lease: OrgLease, release: &OrgRelease) -> Result<(), StoreError> {
        let held = self.shared.held(&lease)?;
        // No worker (its thread could not start): the release is sent in line.
        if let Err(mpsc::SendError(Job::Release(held, release))) = self
            .worker
            .queue(&self.shared)
            .send(Job::Release(held, *release))
        {
            self.shared
                .releases()
                .send(&self.connection, &held, &release);
        }
        Ok(())
    }
}

impl RedisOrgLimiter {
    /// Waits until every release made so far has reached the server (or failed). Releases are
    /// sent by a worker thread after the call that held the slot has returned, so a slot is
    /// held a little longer than its call (never shorter) and a refund or credits-left report
    /// reaches the other workers a moment later; dropping the limiter flushes too.
    pub fn flush(&self) {
        let Some(queue) = self.worker.queue.get() else {
            return;
        };
        let (tx, rx) = mpsc::channel();
        if queue.send(Job::Flush(tx)).is_ok() {
            // Bounded: each queued release waits at most the command timeout.
            let _ = rx.recv();
        }
    }
}

impl Drop for RedisOrgLimiter {
    /// Sends the queued releases before the limiter goes, so a process that ends normally
    /// frees its slots at once rather than by expiry.
    fn drop(&mut self) {
        drop(self.worker.queue.take());
        let thread = self
            .worker
            .thread
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

impl AsyncRedisOrgLimiter {
    /// As [`RedisOrgLimiter::open`].
    pub fn open(url: &str, key: StoreKey, limits: ConcurrencyLimits) -> Result<Self, StoreError> {
        Ok(AsyncRedisOrgLimiter {
            shared: Shared::new(url, key, limits)?,
            connection: Mutex::new(None),
            releases: OnceLock::new(),
            pending: Mutex::default(),
        })
    }
}

impl AsyncOrgLimiter for AsyncRedisOrgLimiter {
    fn acquire<'a>(&'a self, ask: &'a OrgAsk) -> OrgFuture<'a, OrgGrant> {
        Box::pin(async move {
            let s = &self.shared;
            let id = s.new_id();
            let value = s
                .server()
                .invoke_async(&self.connection, &s.acquire_invocation(ask, &id))
                .await?;
            s.granted(ask, id, value)
        })
    }

    /// Sends the release from a task of its own on the current runtime and returns at once
    /// (see [`flush`](AsyncRedisOrgLimiter::flush)); outside a runtime, in line.
    fn release<'a>(&'a self, lease: OrgLease, release: &'a OrgRelease) -> OrgFuture<'a, ()> {
        Box::pin(async move {
            let held = self.shared.held(&lease)?;
            let release = *release;
            let releases = self
                .releases
                .get_or_init(|| Arc::new((self.shared.releases(), Mutex::new(None))))
                .clone();
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    let task = runtime.spawn(async move {
                        let (releases, connection) = &*releases;
                        releases.send_async(connection, &held, &release).await;
                    });
                    let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
                    pending.retain(|t| !t.is_finished());
                    pending.push(task);
                }
                Err(_) => {
                    let (releases, connection) = &*releases;
                    releases.send_async(connection, &held, &release).await;
                }
            }
            Ok(())
        })
    }
}

impl AsyncRedisOrgLimiter {
    /// Waits until every release made so far has reached the server (or failed): as
    /// [`RedisOrgLimiter::flush`], releases are sent after the call that held the slot.
    pub async fn flush(&self) {
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        for task in pending {
            let _ = task.await;
        }
    }
}
