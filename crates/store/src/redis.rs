//! The Redis store: one hash per [`StoreKey`] (the token's JSON, its fence, its owner), a lock
//! key with a lease, and a fence counter, all under one hash tag so a cluster keeps them on one
//! slot. Every operation is one Lua script, so each is atomic and one round trip.

use std::sync::Mutex;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, Script, Value};
use zohocrm_core::token_store::{
    AsyncTokenStore, StoreError, StoreFuture, StoreLock, StoredToken, TokenStore,
};

use crate::health::Health;
use crate::{decode, encode, foreign, redacted, StoreKey, DEFAULT_LOCK_LEASE, DEFAULT_TIMEOUT};

/// `HMGET token owner`: the stored JSON and its owner.
const LOAD: &str = "return redis.call('HMGET', KEYS[1], 'token', 'owner')";

/// Takes the lock if free: a new fence from the counter, stored with the holder's tag and a
/// lease. Returns the fence, or nil when the lock is held.
const LOCK: &str = r"
if redis.call('EXISTS', KEYS[2]) == 1 then return false end
local fence = redis.call('INCR', KEYS[3])
redis.call('SET', KEYS[2], fence .. ' ' .. ARGV[2], 'PX', ARGV[1])
return fence";

/// Saves the token unless the entry belongs to another owner (-1) or holds a token saved under
/// a newer fence (0: a late writer). A save without a lock (ARGV[3] = '') takes a new fence.
/// Releases the lock when ARGV[3] is still its value.
const SAVE: &str = r"
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and owner ~= ARGV[2] then return -1 end
local fence = tonumber(ARGV[4])
if fence == 0 then fence = redis.call('INCR', KEYS[3]) end
local saved = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
local wrote = 0
if fence > saved then
  redis.call('HSET', KEYS[1], 'token', ARGV[1], 'fence', fence, 'owner', ARGV[2])
  wrote = 1
end
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
return wrote";

/// Releases the lock if ARGV[1] is still its value.
const UNLOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0";

/// Deletes the entry unless it belongs to another owner (-1).
const CLEAR: &str = r"
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and owner ~= ARGV[1] then return -1 end
redis.call('DEL', KEYS[1])
return 1";

/// What a [`StoreLock`] of this store holds: the lock key's value (fence and holder).
#[derive(Debug)]
struct Held {
    fence: i64,
    value: String,
}

/// The keys, options and scripts shared by the blocking and async stores.
struct Shared {
    client: Client,
    key: StoreKey,
    token_key: String,
    lock_key: String,
    fence_key: String,
    lease: Duration,
    timeout: Duration,
    health: Health,
    scripts: Scripts,
}

struct Scripts {
    load: Script,
    lock: Script,
    save: Script,
    unlock: Script,
    clear: Script,
}

/// One store operation, as a script invocation and the decoding of its answer.
enum Op<'a> {
    Load,
    Lock,
    Save {
        json: &'a str,
        held: Option<&'a Held>,
    },
    Unlock(&'a Held),
    Clear,
}

/// The answer of an [`Op`].
enum Answer {
    Loaded(Option<StoredToken>),
    Locked(Option<StoreLock>),
    Done,
}

impl Shared {
    fn new(url: &str, key: StoreKey) -> Result<Self, StoreError> {
        let location = redacted(url);
        let client = Client::open(url).map_err(|e| StoreError {
            path: location.clone(),
            message: format!("invalid redis url: {e}"),
        })?;
        // One hash tag for the three keys: scripts touch several, and a cluster needs them on
        // one slot. The key names say whose entry it is, never with a secret.
        let tag = format!("{}|{}|{}", key.client_id(), key.org(), key.user());
        Ok(Shared {
            client,
            token_key: format!("zohocrm:{{{tag}}}:token"),
            lock_key: format!("zohocrm:{{{tag}}}:lock"),
            fence_key: format!("zohocrm:{{{tag}}}:fence"),
            key,
            lease: DEFAULT_LOCK_LEASE,
            timeout: DEFAULT_TIMEOUT,
            health: Health::new(location),
            scripts: Scripts {
                load: Script::new(LOAD),
                lock: Script::new(LOCK),
                save: Script::new(SAVE),
                unlock: Script::new(UNLOCK),
                clear: Script::new(CLEAR),
            },
        })
    }

    fn invocation(&self, op: &Op<'_>) -> redis::ScriptInvocation<'_> {
        let s = &self.scripts;
        match op {
            Op::Load => {
                let mut i = s.load.prepare_invoke();
                i.key(&self.token_key);
                i
            }
            Op::Lock => {
                let mut i = s.lock.prepare_invoke();
                i.key(&self.token_key)
                    .key(&self.lock_key)
                    .key(&self.fence_key)
                    .arg(
                        u64::try_from(self.lease.as_millis())
                            .unwrap_or(u64::MAX)
                            .max(1),
                    )
                    .arg(format!("pid={}", std::process::id()));
                i
            }
            Op::Save { json, held } => {
                let mut i = s.save.prepare_invoke();
                i.key(&self.token_key)
                    .key(&self.lock_key)
                    .key(&self.fence_key)
                    .arg(*json)
                    .arg(self.key.owner())
                    .arg(held.map_or("", |h| h.value.as_str()))
                    .arg(held.map_or(0, |h| h.fence));
                i
            }
            Op::Unlock(held) => {
                let mut i = s.unlock.prepare_invoke();
                i.key(&self.lock_key).arg(&held.value);
                i
            }
            Op::Clear => {
                let mut i = s.clear.prepare_invoke();
                i.key(&self.token_key).arg(self.key.owner());
                i
            }
        }
    }

    /// Reads the answer of `op`.
    fn answer(&self, op: &Op<'_>, value: Value) -> Result<Answer, StoreError> {
        let location = self.health.location();
        let bad = |what: &str| {
            self.health
                .error(format_args!("unexpected answer to {what}"))
        };
        match op {
            Op::Load => {
                let (json, owner): (Option<String>, Option<String>) =
                    redis::from_redis_value(&value).map_err(|_| bad("load"))?;
                if owner.as_deref().is_some_and(|o| o != self.key.owner()) {
                    return Err(foreign(location));
                }
                match json {
                    Some(json) => Ok(Answer::Loaded(Some(decode(&json, location)?))),
                    None => Ok(Answer::Loaded(None)),
                }
            }
            Op::Lock => {
                let fence: Option<i64> =
                    redis::from_redis_value(&value).map_err(|_| bad("lock"))?;
                Ok(Answer::Locked(fence.map(|fence| {
                    StoreLock::new(Held {
                        fence,
                        value: format!("{fence} pid={}", std::process::id()),
                    })
                })))
            }
            Op::Save { .. } | Op::Clear => {
                let n: i64 = redis::from_redis_value(&value).map_err(|_| bad("save"))?;
                if n < 0 {
                    return Err(foreign(location));
                }
                if n == 0 {
                    tracing::debug!(target: "zohocrm_store", "a newer token was saved meanwhile; this one was not");
                }
                Ok(Answer::Done)
            }
            Op::Unlock(_) => Ok(Answer::Done),
        }
    }

    fn server(&self) -> Server<'_> {
        Server {
            client: &self.client,
            timeout: self.timeout,
            health: &self.health,
        }
    }

    fn held<'a>(&self, lock: &'a StoreLock) -> Result<&'a Held, StoreError> {
        lock.guard::<Held>()
            .ok_or_else(|| self.health.error("a lock of another store"))
    }
}

/// Whether `e` is the connection's fault (the server down or gone), not the command's.
fn is_connection_error(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal()
}

/// A Redis server as the store and the org limiter call it: one script per operation, on a
/// connection made on first use and made again once when a kept one broke (e.g. after a server
/// restart) before the server is called down; fails fast while it is down (see [`Health`]).
pub(crate) struct Server<'a> {
    pub(crate) client: &'a Client,
    pub(crate) timeout: Duration,
    pub(crate) health: &'a Health,
}

impl Server<'_> {
    /// The error of a failed command: an outage when the connection is at fault.
    fn failed(&self, e: &redis::RedisError) -> StoreError {
        if is_connection_error(e) {
            self.health.unreachable(e)
        } else {
            self.health.error(e)
        }
    }

    fn connect(&self) -> Result<redis::Connection, StoreError> {
        self.client
            .get_connection_with_timeout(self.timeout)
            .and_then(|c| {
                c.set_read_timeout(Some(self.timeout))?;
                c.set_write_timeout(Some(self.timeout))?;
                Ok(c)
            })
            .map_err(|e| self.failed(&e))
    }

    /// Runs `invocation` on the blocking connection kept in `slot`.
    pub(crate) fn invoke(
        &self,
        slot: &Mutex<Option<redis::Connection>>,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Result<Value, StoreError> {
        self.health.check()?;
        let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
        let mut reused = slot.is_some();
        loop {
            let connection = match &mut *slot {
                Some(c) => c,
                None => slot.insert(self.connect()?),
            };
            match invocation.invoke::<Value>(connection) {
                Ok(value) => {
                    self.health.answered();
                    return Ok(value);
                }
                Err(e) => {
                    *slot = None;
                    if reused && is_connection_error(&e) {
                        reused = false;
                        continue;
                    }
                    return Err(self.failed(&e));
                }
            }
        }
    }

    async fn connect_async(
        &self,
        slot: &Mutex<Option<MultiplexedConnection>>,
    ) -> Result<MultiplexedConnection, StoreError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(self.timeout)
            .set_response_timeout(self.timeout);
        let c = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| self.failed(&e))?;
        *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(c.clone());
        Ok(c)
    }

    /// Runs `invocation` on the multiplexed connection kept in `slot`.
    pub(crate) async fn invoke_async(
        &self,
        slot: &Mutex<Option<MultiplexedConnection>>,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Result<Value, StoreError> {
        self.health.check()?;
        let cached = slot.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut reused = cached.is_some();
        let mut connection = match cached {
            Some(c) => c,
            None => self.connect_async(slot).await?,
        };
        loop {
            match invocation.invoke_async::<Value>(&mut connection).await {
                Ok(value) => {
                    self.health.answered();
                    return Ok(value);
                }
                Err(e) => {
                    *slot.lock().unwrap_or_else(|p| p.into_inner()) = None;
                    if reused && is_connection_error(&e) {
                        reused = false;
                        connection = self.connect_async(slot).await?;
                        continue;
                    }
                    return Err(self.failed(&e));
                }
            }
        }
    }
}

fn loaded(answer: Answer) -> Option<StoredToken> {
    match answer {
        Answer::Loaded(t) => t,
        _ => None,
    }
}

fn locked(answer: Answer) -> Option<StoreLock> {
    match answer {
        Answer::Locked(l) => l,
        _ => None,
    }
}

/// The Redis token store with blocking IO (see the [crate docs](crate)). One connection, made
/// on first use and again after a failure.
pub struct RedisTokenStore {
    shared: Shared,
    connection: Mutex<Option<redis::Connection>>,
}

store_common!("how long a worker that dies holding it keeps the others from refreshing. Longer than a token request takes; a holder that outlives it can no longer overwrite a newer token."; RedisTokenStore, AsyncRedisTokenStore);

impl RedisTokenStore {
    /// A store on the server of `url` (`redis://[:PASSWORD@]HOST[:PORT][/DB]`, or `rediss://`
    /// for TLS) for `key`. Connects on first use.
    pub fn open(url: &str, key: StoreKey) -> Result<Self, StoreError> {
        Ok(RedisTokenStore {
            shared: Shared::new(url, key)?,
            connection: Mutex::new(None),
        })
    }

    fn run(&self, op: Op<'_>) -> Result<Answer, StoreError> {
        let shared = &self.shared;
        let value = shared
            .server()
            .invoke(&self.connection, &shared.invocation(&op))?;
        shared.answer(&op, value)
    }
}

impl TokenStore for RedisTokenStore {
    fn load(&self) -> Result<Option<StoredToken>, StoreError> {
        self.run(Op::Load).map(loaded)
    }

    fn save(&self, token: &StoredToken) -> Result<(), StoreError> {
        let json = encode(token, self.shared.health.location())?;
        self.run(Op::Save {
            json: &json,
            held: None,
        })
        .map(drop)
    }

    fn clear(&self) -> Result<(), StoreError> {
        self.run(Op::Clear).map(drop)
    }

    fn try_lock_refresh(&self) -> Result<Option<StoreLock>, StoreError> {
        self.run(Op::Lock).map(locked)
    }

    fn save_and_unlock(&self, token: &StoredToken, lock: StoreLock) -> Result<(), StoreError> {
        let json = encode(token, self.shared.health.location())?;
        let held = self.shared.held(&lock)?;
        self.run(Op::Save {
            json: &json,
            held: Some(held),
        })
        .map(drop)
    }

    fn unlock(&self, lock: StoreLock) -> Result<(), StoreError> {
        self.run(Op::Unlock(self.shared.held(&lock)?)).map(drop)
    }
}

/// The Redis token store with async IO, for the async client (see the [crate docs](crate)). One
/// multiplexed connection shared by every call, made on first use and again after a failure.
pub struct AsyncRedisTokenStore {
    shared: Shared,
    connection: Mutex<Option<MultiplexedConnection>>,
}

impl AsyncRedisTokenStore {
    /// As [`RedisTokenStore::open`].
    pub fn open(url: &str, key: StoreKey) -> Result<Self, StoreError> {
        Ok(AsyncRedisTokenStore {
            shared: Shared::new(url, key)?,
            connection: Mutex::new(None),
        })
    }

    /// As [`RedisTokenStore::run`].
    async fn run(&self, op: Op<'_>) -> Result<Answer, StoreError> {
        let shared = &self.shared;
        let value = shared
            .server()
            .invoke_async(&self.connection, &shared.invocation(&op))
            .await?;
        shared.answer(&op, value)
    }
}

impl AsyncTokenStore for AsyncRedisTokenStore {
    fn load(&self) -> StoreFuture<'_, Option<StoredToken>> {
        Box::pin(async move { self.run(Op::Load).await.map(loaded) })
    }

    fn save<'a>(&'a self, token: &'a StoredToken) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let json = encode(token, self.shared.health.location())?;
            let op = Op::Save {
                json: &json,
                held: None,
            };
            self.run(op).await.map(drop)
        })
    }

    fn clear(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move { self.run(Op::Clear).await.map(drop) })
    }

    fn try_lock_refresh(&self) -> StoreFuture<'_, Option<StoreLock>> {
        Box::pin(async move { self.run(Op::Lock).await.map(locked) })
    }

    fn save_and_unlock<'a>(
        &'a self,
        token: &'a StoredToken,
        lock: StoreLock,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let json = encode(token, self.shared.health.location())?;
            let held = self.shared.held(&lock)?;
            let op = Op::Save {
                json: &json,
                held: Some(held),
            };
            self.run(op).await.map(drop)
        })
    }

    fn unlock(&self, lock: StoreLock) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let held = self.shared.held(&lock)?;
            self.run(Op::Unlock(held)).await.map(drop)
        })
    }
}
