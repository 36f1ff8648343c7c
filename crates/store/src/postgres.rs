//! The PostgreSQL store: one row per [`StoreKey`] in `zohocrm_tokens` (client id, org, user,
//! owner fingerprint, the token's JSON), parameterised statements only, and a row lock for the
//! refresh: `SELECT … FOR UPDATE NOWAIT` in a transaction on a connection of its own, held
//! until the new token is saved and committed (or rolled back). A worker that dies holding it
//! drops its connection and PostgreSQL releases the lock; one that hangs in the transaction
//! longer than the lease is disconnected by `idle_in_transaction_session_timeout`, and its late
//! save fails rather than overwriting a newer token.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use postgres::NoTls;
use tokio_postgres::error::SqlState;
use zohocrm_core::token_store::{
    AsyncTokenStore, StoreError, StoreFuture, StoreLock, StoredToken, TokenStore,
};

use crate::health::Health;
use crate::{decode, encode, foreign, redacted, StoreKey, DEFAULT_LOCK_LEASE, DEFAULT_TIMEOUT};

/// The table, created on first use when missing.
const CREATE: &str = "CREATE TABLE IF NOT EXISTS zohocrm_tokens (
    client_id text NOT NULL,
    org text NOT NULL,
    user_key text NOT NULL,
    owner text NOT NULL,
    token text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, org, user_key)
)";

const LOAD: &str =
    "SELECT owner, token FROM zohocrm_tokens WHERE client_id = $1 AND org = $2 AND user_key = $3";

/// Makes sure the row exists, so there is a row to lock (outside the lock's transaction: an
/// insert there would make other lockers wait for its commit instead of failing at once).
const ENSURE_ROW: &str = "INSERT INTO zohocrm_tokens (client_id, org, user_key, owner)
    VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";

const LOCK: &str = "SELECT owner FROM zohocrm_tokens
    WHERE client_id = $1 AND org = $2 AND user_key = $3 FOR UPDATE NOWAIT";

/// Saves unless the row belongs to another owner (then no row is touched).
const SAVE: &str = "INSERT INTO zohocrm_tokens (client_id, org, user_key, owner, token)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (client_id, org, user_key) DO UPDATE
    SET token = EXCLUDED.token, updated_at = now()
    WHERE zohocrm_tokens.owner = EXCLUDED.owner";

const CLEAR: &str = "DELETE FROM zohocrm_tokens
    WHERE client_id = $1 AND org = $2 AND user_key = $3 AND owner = $4";

/// The connection settings and key shared by the blocking and async stores.
struct Shared {
    config: tokio_postgres::Config,
    key: StoreKey,
    health: Health,
    lease: Duration,
    timeout: Duration,
    table_ready: AtomicBool,
}

impl Shared {
    fn new(url: &str, key: StoreKey) -> Result<Self, StoreError> {
        let location = redacted(url);
        let config = url
            .parse::<tokio_postgres::Config>()
            .map_err(|e| StoreError {
                path: location.clone(),
                message: format!("invalid postgres url: {e}"),
            })?;
        Ok(Shared {
            config,
            key,
            health: Health::new(location),
            lease: DEFAULT_LOCK_LEASE,
            timeout: DEFAULT_TIMEOUT,
            table_ready: AtomicBool::new(false),
        })
    }

    /// The connection settings: timeouts on connecting and on each statement, and the lease of
    /// a lock's transaction.
    fn config(&self) -> tokio_postgres::Config {
        let mut config = self.config.clone();
        config.connect_timeout(self.timeout).options(format!(
            "-c statement_timeout={} -c idle_in_transaction_session_timeout={}",
            self.timeout.as_millis().max(1),
            self.lease.as_millis().max(1)
        ));
        config
    }

    fn key_params(&self) -> [&str; 3] {
        [self.key.client_id(), self.key.org(), self.key.user()]
    }

    /// The error of a failed statement: an outage when the connection is at fault.
    fn failed(&self, e: &tokio_postgres::Error) -> StoreError {
        if e.as_db_error().is_none() || e.is_closed() {
            self.health.unreachable(e)
        } else {
            self.health.error(e)
        }
    }

    /// The answer to a load: the token, unless the row is another owner's.
    fn loaded(
        &self,
        row: Option<(String, Option<String>)>,
    ) -> Result<Option<StoredToken>, StoreError> {
        let location = self.health.location();
        match row {
            None | Some((_, None)) => Ok(None),
            Some((owner, _)) if owner != self.key.owner() => Err(foreign(location)),
            Some((_, Some(json))) => decode(&json, location).map(Some),
        }
    }

    /// The answer to a save or clear of `rows` rows.
    fn written(&self, rows: u64) -> Result<(), StoreError> {
        match rows {
            0 => Err(foreign(self.health.location())),
            _ => Ok(()),
        }
    }
}

/// The PostgreSQL token store with blocking IO (see the [crate docs](crate)). Meant for the
/// blocking client; the async client takes [`AsyncPgTokenStore`].
pub struct PgTokenStore {
    shared: Shared,
    connection: Mutex<Option<postgres::Client>>,
}

store_common!("a holder idle in the lock's transaction longer is disconnected by the server, and its save fails."; PgTokenStore, AsyncPgTokenStore);

/// What a [`StoreLock`] of the blocking store holds: the connection in the lock's transaction.
struct PgHeld(Mutex<postgres::Client>);

impl PgTokenStore {
    /// A store on the database of `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`, without
    /// TLS) for `key`. Connects on first use and creates the table `zohocrm_tokens` if missing.
    pub fn open(url: &str, key: StoreKey) -> Result<Self, StoreError> {
        Ok(PgTokenStore {
            shared: Shared::new(url, key)?,
            connection: Mutex::new(None),
        })
    }

    fn connect(&self) -> Result<postgres::Client, StoreError> {
        let shared = &self.shared;
        let mut client = postgres::Config::from(shared.config())
            .connect(NoTls)
            .map_err(|e| shared.failed(&e))?;
        if !shared.table_ready.load(Ordering::Acquire) {
            // Two first users racing on CREATE … IF NOT EXISTS may collide once: try again.
            client
                .batch_execute(CREATE)
                .or_else(|_| client.batch_execute(CREATE))
                .map_err(|e| shared.failed(&e))?;
            shared.table_ready.store(true, Ordering::Release);
        }
        Ok(client)
    }

    /// Runs `f` on the shared connection (made on first use, made again once if it broke).
    fn run<T>(
        &self,
        f: impl Fn(&mut postgres::Client) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        let shared = &self.shared;
        shared.health.check()?;
        let mut slot = self.connection.lock().unwrap_or_else(|p| p.into_inner());
        let reused = slot.is_some();
        if slot.is_none() {
            *slot = Some(self.connect()?);
        }
        let client = slot
            .as_mut()
            .ok_or_else(|| shared.health.error("no connection"))?;
        match f(client) {
            Ok(v) => {
                shared.health.answered();
                Ok(v)
            }
            // A connection that broke since its last use (a server restart): once more on a
            // new one before calling the server down.
            Err(e) if reused && e.is_closed() => {
                *slot = None;
                let mut client = self.connect()?;
                let v = f(&mut client).map_err(|e| shared.failed(&e))?;
                *slot = Some(client);
                shared.health.answered();
                Ok(v)
            }
            Err(e) => {
                if e.as_db_error().is_none() {
                    *slot = None;
                }
                Err(shared.failed(&e))
            }
        }
    }
}

impl TokenStore for PgTokenStore {
    fn load(&self) -> Result<Option<StoredToken>, StoreError> {
        let [c, o, u] = self.shared.key_params();
        let row = self.run(|db| {
            Ok(db
                .query_opt(LOAD, &[&c, &o, &u])?
                .map(|r| (r.get(0), r.get(1))))
        })?;
        self.shared.loaded(row)
    }

    fn save(&self, token: &StoredToken) -> Result<(), StoreError> {
        let json = encode(token, self.shared.health.location())?;
        let [c, o, u] = self.shared.key_params();
        let owner = self.shared.key.owner();
        let rows = self.run(|db| db.execute(SAVE, &[&c, &o, &u, &owner, &json]))?;
        self.shared.written(rows)
    }

    fn clear(&self) -> Result<(), StoreError> {
        let [c, o, u] = self.shared.key_params();
        let owner = self.shared.key.owner();
        self.run(|db| db.execute(CLEAR, &[&c, &o, &u, &owner]))
            .map(drop)
    }

    fn try_lock_refresh(&self) -> Result<Option<StoreLock>, StoreError> {
        let shared = &self.shared;
        let [c, o, u] = shared.key_params();
        let owner = shared.key.owner();
        self.run(|db| db.execute(ENSURE_ROW, &[&c, &o, &u, &owner]))?;
        let mut db = self.connect()?;
        let locked = db
            .batch_execute("BEGIN")
            .and_then(|()| db.query_opt(LOCK, &[&c, &o, &u]));
        match locked {
            Ok(Some(row)) if row.get::<_, String>(0) != owner => {
                Err(foreign(shared.health.location()))
            }
            Ok(Some(_)) => Ok(Some(StoreLock::new(PgHeld(Mutex::new(db))))),
            Ok(None) => Err(shared.health.error("the row to lock vanished")),
            Err(e) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => Ok(None),
            Err(e) => Err(shared.failed(&e)),
        }
    }

    fn save_and_unlock(&self, token: &StoredToken, lock: StoreLock) -> Result<(), StoreError> {
        let shared = &self.shared;
        let Some(PgHeld(db)) = lock.guard::<PgHeld>() else {
            return Err(shared.health.error("a lock of another store"));
        };
        let json = encode(token, shared.health.location())?;
        let [c, o, u] = shared.key_params();
        let owner = shared.key.owner();
        let mut db = db.lock().unwrap_or_else(|p| p.into_inner());
        let rows = db
            .execute(SAVE, &[&c, &o, &u, &owner, &json])
            .and_then(|rows| db.batch_execute("COMMIT").map(|()| rows))
            .map_err(|e| shared.failed(&e))?;
        shared.written(rows)
    }

    fn unlock(&self, lock: StoreLock) -> Result<(), StoreError> {
        if let Some(PgHeld(db)) = lock.guard::<PgHeld>() {
            let mut db = db.lock().unwrap_or_else(|p| p.into_inner());
            // A failed rollback still ends with the connection, which ends the transaction.
            let _ = db.batch_execute("ROLLBACK");
        }
        Ok(())
    }
}

/// The PostgreSQL token store with async IO, for the async client (see the [crate docs](crate)).
/// Its connections' tasks run on the caller's tokio runtime.
pub struct AsyncPgTokenStore {
    shared: Shared,
    connection: Mutex<Option<std::sync::Arc<tokio_postgres::Client>>>,
}

/// What a [`StoreLock`] of the async store holds: the connection in the lock's transaction.
struct AsyncPgHeld(tokio_postgres::Client);

impl AsyncPgTokenStore {
    /// As [`PgTokenStore::open`].
    pub fn open(url: &str, key: StoreKey) -> Result<Self, StoreError> {
        Ok(AsyncPgTokenStore {
            shared: Shared::new(url, key)?,
            connection: Mutex::new(None),
        })
    }

    async fn connect(&self) -> Result<tokio_postgres::Client, StoreError> {
        let shared = &self.shared;
        let (client, connection) = shared
            .config()
            .connect(NoTls)
            .await
            .map_err(|e| shared.failed(&e))?;
        // The connection's IO runs as a task until the client is dropped.
        tokio::spawn(connection);
        if !shared.table_ready.load(Ordering::Acquire) {
            if client.batch_execute(CREATE).await.is_err() {
                client
                    .batch_execute(CREATE)
                    .await
                    .map_err(|e| shared.failed(&e))?;
            }
            shared.table_ready.store(true, Ordering::Release);
        }
        Ok(client)
    }

    /// The shared connection (made on first use, and again after a failure).
    async fn client(&self) -> Result<std::sync::Arc<tokio_postgres::Client>, StoreError> {
        self.shared.health.check()?;
        let cached = self
            .connection
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match cached {
            Some(c) if !c.is_closed() => Ok(c),
            _ => {
                let c = std::sync::Arc::new(self.connect().await?);
                *self.connection.lock().unwrap_or_else(|p| p.into_inner()) = Some(c.clone());
                Ok(c)
            }
        }
    }

    /// The outcome of a statement on the shared connection.
    fn outcome<T>(&self, result: Result<T, tokio_postgres::Error>) -> Result<T, StoreError> {
        match result {
            Ok(v) => {
                self.shared.health.answered();
                Ok(v)
            }
            Err(e) => {
                if e.as_db_error().is_none() {
                    *self.connection.lock().unwrap_or_else(|p| p.into_inner()) = None;
                }
                Err(self.shared.failed(&e))
            }
        }
    }
}

impl AsyncTokenStore for AsyncPgTokenStore {
    fn load(&self) -> StoreFuture<'_, Option<StoredToken>> {
        Box::pin(async move {
            let [c, o, u] = self.shared.key_params();
            let db = self.client().await?;
            let row = self.outcome(db.query_opt(LOAD, &[&c, &o, &u]).await)?;
            self.shared.loaded(row.map(|r| (r.get(0), r.get(1))))
        })
    }

    fn save<'a>(&'a self, token: &'a StoredToken) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let json = encode(token, self.shared.health.location())?;
            let [c, o, u] = self.shared.key_params();
            let owner = self.shared.key.owner();
            let db = self.client().await?;
            let rows = self.outcome(db.execute(SAVE, &[&c, &o, &u, &owner, &json]).await)?;
            self.shared.written(rows)
        })
    }

    fn clear(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let [c, o, u] = self.shared.key_params();
            let owner = self.shared.key.owner();
            let db = self.client().await?;
            self.outcome(db.execute(CLEAR, &[&c, &o, &u, &owner]).await)
                .map(drop)
        })
    }

    fn try_lock_refresh(&self) -> StoreFuture<'_, Option<StoreLock>> {
        Box::pin(async move {
            let shared = &self.shared;
            let [c, o, u] = shared.key_params();
            let owner = shared.key.owner();
            let db = self.client().await?;
            self.outcome(db.execute(ENSURE_ROW, &[&c, &o, &u, &owner]).await)?;
            let lock = self.connect().await?;
            let locked = match lock.batch_execute("BEGIN").await {
                Ok(()) => lock.query_opt(LOCK, &[&c, &o, &u]).await,
                Err(e) => Err(e),
            };
            match locked {
                Ok(Some(row)) if row.get::<_, String>(0) != owner => {
                    Err(foreign(shared.health.location()))
                }
                Ok(Some(_)) => Ok(Some(StoreLock::new(AsyncPgHeld(lock)))),
                Ok(None) => Err(shared.health.error("the row to lock vanished")),
                Err(e) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => Ok(None),
                Err(e) => Err(shared.failed(&e)),
            }
        })
    }

    fn save_and_unlock<'a>(
        &'a self,
        token: &'a StoredToken,
        lock: StoreLock,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let shared = &self.shared;
            let Some(AsyncPgHeld(db)) = lock.guard::<AsyncPgHeld>() else {
                return Err(shared.health.error("a lock of another store"));
            };
            let json = encode(token, shared.health.location())?;
            let [c, o, u] = shared.key_params();
            let owner = shared.key.owner();
            let saved = match db.execute(SAVE, &[&c, &o, &u, &owner, &json]).await {
                Ok(rows) => db.batch_execute("COMMIT").await.map(|()| rows),
                Err(e) => Err(e),
            };
            shared.written(saved.map_err(|e| shared.failed(&e))?)
        })
    }

    fn unlock(&self, lock: StoreLock) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            if let Some(AsyncPgHeld(db)) = lock.guard::<AsyncPgHeld>() {
                // A failed rollback still ends with the connection, which ends the transaction.
                let _ = db.batch_execute("ROLLBACK").await;
            }
            Ok(())
        })
    }
}
