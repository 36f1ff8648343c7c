//! Where tokens are kept between calls and between runs: the [`TokenStore`] trait (blocking)
//! and its [`AsyncTokenStore`] counterpart, an in-memory store, and the [`StoreOp`]s an
//! [`Exchange`](crate::exchange::Exchange) asks its driver to perform.
//!
//! The exchange never calls a store itself. When it needs the store it returns
//! [`Step::Store`](crate::exchange::Step::Store) with a [`StoreOp`]; the driver performs it
//! (blocking for the blocking client, on the executor or off it for the async one) and reports
//! the [`StoreReply`]. So a networked store (Redis, PostgreSQL) plugs in without blocking an
//! executor, and the core does no IO.
//!
//! A refresh is a read-modify-write of the store: read (stale), mint, write. Two processes
//! sharing a store would otherwise both mint (Zoho allows 10 mints per refresh token per 10
//! minutes) and race on the write. So the exchange that refreshes first reads the store, then
//! takes the store's refresh lock ([`TokenStore::try_lock_refresh`]), reads again (another
//! process may have just saved), mints, and saves with
//! [`save_and_unlock`](TokenStore::save_and_unlock). A process that finds the lock taken
//! waits and then reads the token the first one wrote.
//!
//! The file store ([`FileTokenStore`], in [`crate::files`]) is the embedded default for
//! several processes of one machine.
//!
//! # Example
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use zohocrm_core::{MemoryTokenStore, StoredToken, TokenStore};
//!
//! let store = MemoryTokenStore::new();
//! assert!(store.load()?.is_none());
//! let mut token = StoredToken {
//!     access_token: Some("1000.access".into()),
//!     expires_at_unix: 0,
//!     refresh_token: None,
//!     api_domain: None,
//!     scope: None,
//! };
//! token.set_expires_at(SystemTime::now() + Duration::from_secs(3600));
//! store.save(&token)?;
//! assert_eq!(store.load()?, Some(token));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

pub use crate::files::FileTokenStore;
use crate::secret::{AccessToken, RefreshToken};

/// The latest expiry a stored token may claim (9999-12-31T23:59:59Z). A later one (a corrupt or
/// hostile file) is read as this, so no arithmetic on it can overflow.
const MAX_EXPIRES_AT_UNIX: u64 = 253_402_300_799;

/// A token as stored. `expires_at` is wall-clock time, so it survives restarts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    /// The access token, if one was minted.
    #[serde(default)]
    pub access_token: Option<AccessToken>,
    /// When the access token expires, in seconds since the Unix epoch.
    #[serde(default)]
    pub expires_at_unix: u64,
    /// The refresh token, when the store also keeps it (e.g. after `zcrm auth login`).
    #[serde(default)]
    pub refresh_token: Option<RefreshToken>,
    /// The API domain adopted from the token response.
    #[serde(default)]
    pub api_domain: Option<String>,
    /// The scopes granted to the token (the token answer's `scope`), when Zoho sent them: a
    /// process that adopts the stored token knows them too (the scope preflight).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl StoredToken {
    /// When the access token expires (a value past the year 9999 reads as the end of 9999).
    pub fn expires_at(&self) -> SystemTime {
        let secs = self.expires_at_unix.min(MAX_EXPIRES_AT_UNIX);
        UNIX_EPOCH
            .checked_add(Duration::from_secs(secs))
            .unwrap_or(UNIX_EPOCH)
    }

    /// Sets the expiry from a wall-clock time.
    pub fn set_expires_at(&mut self, at: SystemTime) {
        self.expires_at_unix = at
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
    }

    /// How long the access token is still valid at `wall_clock` (zero once expired).
    pub fn remaining(&self, wall_clock: SystemTime) -> Duration {
        self.expires_at()
            .duration_since(wall_clock)
            .unwrap_or(Duration::ZERO)
    }
}

/// A token store failure.
#[derive(Debug, thiserror::Error)]
#[error("token store {path}: {message}")]
pub struct StoreError {
    /// The store's location (file path, or a description).
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// Exclusive hold of a store for one refresh (see [`TokenStore::try_lock_refresh`]).
///
/// It holds whatever the store needs to keep or later release the lock: an open, locked file
/// (released when dropped), or a fencing token that [`TokenStore::save_and_unlock`] and
/// [`TokenStore::unlock`] read back with [`guard`](Self::guard). A lock that is dropped
/// without being given back to its store (a cancelled call) is released by the drop for file
/// locks; a networked store's lock should expire.
pub struct StoreLock {
    guard: Option<Box<dyn Any + Send + Sync>>,
}

impl StoreLock {
    /// A lock held as long as `guard` lives (e.g. an open, locked file, or a fencing token).
    pub fn new(guard: impl Any + Send + Sync) -> Self {
        StoreLock {
            guard: Some(Box::new(guard)),
        }
    }

    /// A lock that excludes no one: for stores that only one process uses.
    pub fn none() -> Self {
        StoreLock { guard: None }
    }

    /// The guard given to [`new`](Self::new), if it is a `T`.
    pub fn guard<T: Any>(&self) -> Option<&T> {
        self.guard.as_ref()?.downcast_ref()
    }
}

impl std::fmt::Debug for StoreLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreLock")
    }
}

/// Loads and saves the token of one session (one client and refresh token), with blocking IO.
///
/// The blocking client calls it on its own thread; the async client calls a store whose
/// [`may_block`](Self::may_block) is true off the executor (the transport's blocking pool).
pub trait TokenStore: Send + Sync {
    /// The stored token, or `None` when there is none.
    fn load(&self) -> Result<Option<StoredToken>, StoreError>;
    /// Replaces the stored token.
    fn save(&self, token: &StoredToken) -> Result<(), StoreError>;
    /// Removes the stored token.
    fn clear(&self) -> Result<(), StoreError>;
    /// Takes the store for one refresh without blocking: `Ok(None)` when someone else (another
    /// process) holds it. The refreshing call holds the lock from reading a stale token until
    /// the new one is saved. The default excludes no one, which suits stores used by one
    /// process.
    fn try_lock_refresh(&self) -> Result<Option<StoreLock>, StoreError> {
        Ok(Some(StoreLock::none()))
    }
    /// Saves the token minted under `lock` and releases the lock. A store whose locks expire
    /// (networked) saves only while `lock` is still its own, so a late writer never overwrites
    /// a newer token. The default saves, then drops the lock.
    fn save_and_unlock(&self, token: &StoredToken, lock: StoreLock) -> Result<(), StoreError> {
        let saved = self.save(token);
        drop(lock);
        saved
    }
    /// Releases `lock` without saving (the refresh failed, or another process's token was
    /// found). The default drops it.
    fn unlock(&self, lock: StoreLock) -> Result<(), StoreError> {
        drop(lock);
        Ok(())
    }
    /// Whether calls may block the thread (file or network IO). The default is `true`.
    fn may_block(&self) -> bool {
        true
    }
}

/// The future of an [`AsyncTokenStore`] method.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// [`TokenStore`] with non-blocking IO, for networked stores on the async client. The same
/// contract, method for method.
pub trait AsyncTokenStore: Send + Sync {
    /// As [`TokenStore::load`].
    fn load(&self) -> StoreFuture<'_, Option<StoredToken>>;
    /// As [`TokenStore::save`].
    fn save<'a>(&'a self, token: &'a StoredToken) -> StoreFuture<'a, ()>;
    /// As [`TokenStore::clear`].
    fn clear(&self) -> StoreFuture<'_, ()>;
    /// As [`TokenStore::try_lock_refresh`].
    fn try_lock_refresh(&self) -> StoreFuture<'_, Option<StoreLock>> {
        Box::pin(async { Ok(Some(StoreLock::none())) })
    }
    /// As [`TokenStore::save_and_unlock`].
    fn save_and_unlock<'a>(
        &'a self,
        token: &'a StoredToken,
        lock: StoreLock,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let saved = self.save(token).await;
            drop(lock);
            saved
        })
    }
    /// As [`TokenStore::unlock`].
    fn unlock(&self, lock: StoreLock) -> StoreFuture<'_, ()> {
        drop(lock);
        Box::pin(async { Ok(()) })
    }
}

/// The token store of a session: blocking or async.
#[derive(Clone)]
#[non_exhaustive]
pub enum Store {
    /// A store with blocking IO (memory, file; a networked store on the blocking client).
    Blocking(Arc<dyn TokenStore>),
    /// A store with async IO; only the async client can drive it.
    Async(Arc<dyn AsyncTokenStore>),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Store::Blocking(_) => f.write_str("Store::Blocking(..)"),
            Store::Async(_) => f.write_str("Store::Async(..)"),
        }
    }
}

/// What an exchange asks of its session's token store (see the module docs).
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreOp {
    /// Read the stored token ([`TokenStore::load`]).
    Load,
    /// Take the refresh lock without waiting ([`TokenStore::try_lock_refresh`]).
    Lock,
    /// Save the token just minted, releasing `lock` when one is held
    /// ([`TokenStore::save_and_unlock`], or [`TokenStore::save`] without a lock).
    Save {
        /// The token to save.
        token: StoredToken,
        /// The refresh lock, when the exchange holds one.
        lock: Option<StoreLock>,
    },
    /// Release the refresh lock without saving ([`TokenStore::unlock`]).
    Unlock(StoreLock),
}

/// What the token store answered to a [`StoreOp`], reported with
/// [`Exchange::on_store`](crate::exchange::Exchange::on_store).
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreReply {
    /// The answer to [`StoreOp::Load`], with the wall-clock time of the read (stored expiries
    /// are wall-clock times; the exchange works on the driver's monotonic clock).
    Loaded {
        /// The stored token, if any.
        token: Result<Option<StoredToken>, StoreError>,
        /// The wall-clock time when it was read.
        wall_clock: SystemTime,
    },
    /// The answer to [`StoreOp::Lock`]: `Ok(None)` when another process holds the lock.
    Locked(Result<Option<StoreLock>, StoreError>),
    /// The answer to [`StoreOp::Save`].
    Saved(Result<(), StoreError>),
    /// The answer to [`StoreOp::Unlock`].
    Unlocked(Result<(), StoreError>),
}

impl StoreOp {
    /// Performs the operation on a blocking store; `wall_clock` is the time now.
    pub fn perform(self, store: &dyn TokenStore, wall_clock: SystemTime) -> StoreReply {
        match self {
            StoreOp::Load => StoreReply::Loaded {
                token: store.load(),
                wall_clock,
            },
            StoreOp::Lock => StoreReply::Locked(store.try_lock_refresh()),
            StoreOp::Save { token, lock: None } => StoreReply::Saved(store.save(&token)),
            StoreOp::Save {
                token,
                lock: Some(lock),
            } => StoreReply::Saved(store.save_and_unlock(&token, lock)),
            StoreOp::Unlock(lock) => StoreReply::Unlocked(store.unlock(lock)),
        }
    }

    /// Performs the operation on an async store; `wall_clock` is the time now.
    pub async fn perform_async(
        self,
        store: &dyn AsyncTokenStore,
        wall_clock: SystemTime,
    ) -> StoreReply {
        match self {
            StoreOp::Load => StoreReply::Loaded {
                token: store.load().await,
                wall_clock,
            },
            StoreOp::Lock => StoreReply::Locked(store.try_lock_refresh().await),
            StoreOp::Save { token, lock: None } => StoreReply::Saved(store.save(&token).await),
            StoreOp::Save {
                token,
                lock: Some(lock),
            } => StoreReply::Saved(store.save_and_unlock(&token, lock).await),
            StoreOp::Unlock(lock) => StoreReply::Unlocked(store.unlock(lock).await),
        }
    }
}

/// A store that lives as long as the process.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    token: Mutex<Option<StoredToken>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<StoredToken>> {
        self.token.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self) -> Result<Option<StoredToken>, StoreError> {
        Ok(self.slot().clone())
    }

    fn save(&self, token: &StoredToken) -> Result<(), StoreError> {
        *self.slot() = Some(token.clone());
        Ok(())
    }

    fn clear(&self) -> Result<(), StoreError> {
        *self.slot() = None;
        Ok(())
    }

    fn may_block(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_expiries_never_overflow() {
        let mut t = StoredToken {
            access_token: Some(AccessToken::new("a")),
            expires_at_unix: u64::MAX,
            refresh_token: None,
            api_domain: None,
            scope: None,
        };
        let far = t.expires_at();
        assert!(far > UNIX_EPOCH + Duration::from_secs(250_000_000_000));
        assert!(t.remaining(SystemTime::UNIX_EPOCH) > Duration::ZERO);
        t.expires_at_unix = 0;
        assert_eq!(t.remaining(SystemTime::now()), Duration::ZERO);
    }

    #[test]
    fn locks_carry_what_their_store_put_in() {
        let lock = StoreLock::new(42u64);
        assert_eq!(lock.guard::<u64>(), Some(&42));
        assert_eq!(lock.guard::<String>(), None);
        assert_eq!(StoreLock::none().guard::<u64>(), None);
    }
}
