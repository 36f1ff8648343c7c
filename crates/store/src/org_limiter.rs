//! The org-wide limiter on Redis (see [`RedisOrgLimiter`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

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
use crate::slot_pool::{Held, Releases, SlotPool};
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
/// credits to take back (a refund; negative: credits of reused calls to add), hour of the
/// grant, credits left ('' for none), credits ttl ms.
const RELEASE: &str = r"
redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[2] ~= '' then redis.call('ZREM', KEYS[2], ARGV[2]) end
local refund = tonumber(ARGV[3])
if refund ~= 0 then
  local left = redis.call('HINCRBY', KEYS[3], ARGV[4], -refund)
  if left <= 0 then redis.call('HDEL', KEYS[3], ARGV[4]) end
  if refund < 0 then redis.call('PEXPIRE', KEYS[3], ARGV[6]) end
end
if ARGV[5] ~= '' then redis.call('SET', KEYS[4], ARGV[5], 'PX', ARGV[6]) end
return 1";

/// The keys, options and scripts shared by the blocking and async limiters.
struct Shared {
    client: Client,
    key: StoreKey,
    keys: [String; 4],
    limits: ConcurrencyLimits,
    timeout: Duration,
    health: Arc<Health>,
    acquire: Script,
    release: Script,
    /// The prefix of this limiter's lease ids (process id and a start time), then a counter.
    id_prefix: String,
    next_id: AtomicU64,
    /// Slots that came back, kept for the next call, and the worker that gives them back to
    /// Redis (the pool knows the lease too). The async limiter's releases go the same way.
    pool: SlotPool,
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
            timeout: DEFAULT_TIMEOUT,
            health: Arc::new(Health::of(location, Subject::OrgLimiter)),
            acquire: Script::new(ACQUIRE),
            release: Script::new(RELEASE),
            pool: SlotPool::new(DEFAULT_SLOT_LEASE),
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
            .arg(Self::ms(self.pool.lease()))
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
            credits_ttl_ms: CREDITS_TTL_SECS * 1000,
        }
    }

    /// A grant of the pool, or none.
    fn pooled(&self, ask: &OrgAsk) -> Option<OrgGrant> {
        let held = self.pool.take(ask, Instant::now())?;
        // The fleet's count is read at the next grant from Redis; this process counts its own.
        Some(OrgGrant::Granted {
            lease: OrgLease::new(held),
            spent: None,
            remaining: None,
        })
    }

    /// Gives `lease` back through `pool`.
    fn give_back(&self, lease: &OrgLease, release: &OrgRelease) -> Result<(), StoreError> {
        let held = self.held(lease)?;
        self.pool
            .put(held, *release, Instant::now(), || self.releases());
        Ok(())
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
                    cost: ask.cost,
                    granted: Instant::now(),
                    charge: 0,
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

/// The options and accessors of both limiters.
macro_rules! limiter_common {
    ($($Limiter:ident),+) => {$(
        impl $Limiter {
            /// Sets the lease of a slot (default [`DEFAULT_SLOT_LEASE`]): how long the slots of
            /// a worker that dies stay taken. It must exceed the request timeout, or a slow call
            /// outlives its slot and the org may see one call more than its limit.
            #[must_use]
            pub fn with_lease(self, lease: Duration) -> Self {
                self.shared.pool.set_lease(lease.max(Duration::from_millis(1)));
                self
            }

            /// Sets how long after its grant a slot may serve further calls of this process
            /// (default [`DEFAULT_REUSE`](crate::DEFAULT_REUSE), at most a quarter of the
            /// lease, so a call a slot serves ends long before its lease): a call that ends
            /// leaves its slot in the limiter's pool for [`IDLE_GRACE`](crate::IDLE_GRACE),
            /// and a call of the same cost that starts meanwhile takes it with no Redis round
            /// trip. Zero: every call asks Redis. Calls with a daily credit budget always do.
            #[must_use]
            pub fn with_reuse(self, reuse: Duration) -> Self {
                self.shared.pool.set_reuse(reuse);
                self
            }

            /// Sets how long a slot that comes back waits in the pool for the next call
            /// before it is given back to Redis (default [`IDLE_GRACE`](crate::IDLE_GRACE)):
            /// longer for a worker that does some work between its calls, at the price of
            /// slots idle that long for the rest of the fleet.
            #[must_use]
            pub fn with_idle_grace(self, grace: Duration) -> Self {
                self.shared.pool.set_grace(grace);
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
/// count its credits. A release is one script: remove the lease, give back the refunded credits
/// (or count those of calls the slot served since its grant), keep the credits-left report. So
/// a call costs at most two round trips, and the release is sent by the limiter's worker thread
/// after the call has its answer; the access token stays cached in the session.
///
/// Slots are pooled for the next call (see [`with_reuse`](Self::with_reuse)): a process
/// making calls one after another keeps one slot for up to a second and asks Redis once for
/// it, not once per call; the slot is counted in Redis all along, so the org limit holds.
/// [`flush`](Self::flush) gives back the pooled slots and waits for the releases; dropping the
/// limiter does too, so a process that ends normally frees its slots at once.
///
/// A worker that dies holding a lease frees its slot when the lease ends, so the lease
/// (default [`DEFAULT_SLOT_LEASE`]) must outlast the request timeout plus the reuse window.
pub struct RedisOrgLimiter {
    shared: Shared,
    connection: Mutex<Option<redis::Connection>>,
}

/// The org-wide limiter on Redis with async IO, for the async client (see
/// [`RedisOrgLimiter`]).
pub struct AsyncRedisOrgLimiter {
    shared: Shared,
    connection: Mutex<Option<MultiplexedConnection>>,
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
        })
    }
}

impl OrgLimiter for RedisOrgLimiter {
    fn acquire(&self, ask: &OrgAsk) -> Result<OrgGrant, StoreError> {
        let s = &self.shared;
        if let Some(grant) = s.pooled(ask) {
            return Ok(grant);
        }
        let id = s.new_id();
        let value = s
            .server()
            .invoke(&self.connection, &s.acquire_invocation(ask, &id))?;
        s.granted(ask, id, value)
    }

    /// Leaves the slot to the pool or the release worker and returns at once (see
    /// [`flush`](RedisOrgLimiter::flush)).
    fn release(&self, lease: OrgLease, release: &OrgRelease) -> Result<(), StoreError> {
        self.shared.give_back(&lease, release)
    }
}

impl RedisOrgLimiter {
    /// Gives back the pooled slots and waits until every release made so far has reached
    /// Redis (or failed): slots are given back by a worker thread after their calls, so a
    /// refund or credits-left report reaches the other workers a moment later.
    pub fn flush(&self) {
        let (tx, rx) = mpsc::channel();
        if self.shared.pool.flush(Box::new(move || {
            let _ = tx.send(());
        })) {
            // Bounded: each queued release waits at most the command timeout.
            let _ = rx.recv();
        }
    }
}

impl AsyncRedisOrgLimiter {
    /// As [`RedisOrgLimiter::open`].
    pub fn open(url: &str, key: StoreKey, limits: ConcurrencyLimits) -> Result<Self, StoreError> {
        Ok(AsyncRedisOrgLimiter {
            shared: Shared::new(url, key, limits)?,
            connection: Mutex::new(None),
        })
    }
}

impl AsyncOrgLimiter for AsyncRedisOrgLimiter {
    fn acquire<'a>(&'a self, ask: &'a OrgAsk) -> OrgFuture<'a, OrgGrant> {
        Box::pin(async move {
            let s = &self.shared;
            if let Some(grant) = s.pooled(ask) {
                return Ok(grant);
            }
            let id = s.new_id();
            let value = s
                .server()
                .invoke_async(&self.connection, &s.acquire_invocation(ask, &id))
                .await?;
            s.granted(ask, id, value)
        })
    }

    /// As [`OrgLimiter::release`] of [`RedisOrgLimiter`]: the slot goes to the pool or the
    /// release worker, and the future is ready at once.
    fn release<'a>(&'a self, lease: OrgLease, release: &'a OrgRelease) -> OrgFuture<'a, ()> {
        let given = self.shared.give_back(&lease, release);
        Box::pin(std::future::ready(given))
    }
}

impl AsyncRedisOrgLimiter {
    /// As [`RedisOrgLimiter::flush`].
    pub async fn flush(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if self.shared.pool.flush(Box::new(move || {
            let _ = tx.send(());
        })) {
            let _ = rx.await;
        }
    }
}
