//! Networked token stores for the Zoho CRM v8 SDK: one Zoho org, many processes and machines.
//!
//! Zoho limits token mints per refresh token (10 per 10 minutes), not per process. A fleet of
//! workers that each keep their own token (the in-memory store) or their own machine's (the file
//! store) mints one token per worker at every expiry. The stores here share the token, and the
//! refresh lock, across the fleet:
//!
//! - [`RedisTokenStore`] / [`AsyncRedisTokenStore`] (feature `redis`): the shared access-token
//!   cache plus a fenced, expiring refresh lock. A worker that dies holding the lock releases it
//!   when the lock's lease ends; a late writer whose lease ran out cannot overwrite a newer
//!   token (each lock carries a fence number, and a save with a lower fence than the stored
//!   token's is refused).
//! - [`PgTokenStore`] / [`AsyncPgTokenStore`] (feature `postgres`): a durable table keyed by
//!   client, org and user, with parameterised SQL and a row lock (`SELECT … FOR UPDATE NOWAIT`
//!   in a transaction on its own connection) held for the refresh. A worker that dies holding it
//!   loses its connection, and PostgreSQL rolls the transaction back.
//!
//! - [`RedisOrgLimiter`] / [`AsyncRedisOrgLimiter`] (feature `redis`): the org's concurrency
//!   limits (by edition, [`ConcurrencyLimits::for_edition`](zohocrm_core::ConcurrencyLimits::for_edition))
//!   and heavy-call sub-limit shared by the fleet as leased slots, and the fleet's credit count
//!   with an optional daily budget; at most two round trips per call, none for a call that
//!   reuses the slot of the process's previous call (see
//!   [`RedisOrgLimiter::with_reuse`]). Set on the client builder with
//!   `org_limiter` / `async_org_limiter` (see [`zohocrm_core::org_limit`]).
//!
//! Each store serves one [`StoreKey`]: client id, org and user, plus an owner fingerprint of
//! the refresh token (a hash; the token never appears in a key). A store shared by several users
//! never hands one user's token to another: a load or save of an entry whose owner differs is a
//! [`StoreError`].
//!
//! **When the server is unreachable** (at start or mid-run) every store call fails fast with a
//! [`StoreError`], and the SDK goes on as it does with any failing store: the token cached in
//! the process is used until it nears expiry, and a refresh is single-flight within the process
//! only. A warning is logged once per outage (`tracing`, target `zohocrm_store`); the server is
//! tried again at most every [`RETRY_AFTER`] and shared mode resumes as soon as it answers.
//!
//! The org limiter behaves the same way: while Redis is unreachable, calls go on under each
//! process's in-process limiter and credit count, one warning per outage.
//!
//! The access token is cached in the session: a call reads the store only when its token nears
//! expiry, never per call.
#![forbid(unsafe_code)]

/// The options, accessors and `Debug` of the stores of one server: each has a `shared` part
/// with its key, lock lease, timeout and health. `$lease` says what the lease means there.
macro_rules! store_common {
    ($lease:literal; $($Store:ident),+) => {$(
        impl $Store {
            #[doc = concat!("Sets the refresh lock's lease (default [`DEFAULT_LOCK_LEASE`](crate::DEFAULT_LOCK_LEASE)): ", $lease)]
            #[must_use]
            pub fn with_lock_lease(mut self, lease: std::time::Duration) -> Self {
                self.shared.lease = lease.max(std::time::Duration::from_millis(1));
                self
            }

            /// Sets the timeout of connecting and of each command (default
            /// [`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT)).
            #[must_use]
            pub fn with_timeout(mut self, timeout: std::time::Duration) -> Self {
                self.shared.timeout = timeout.max(std::time::Duration::from_millis(1));
                self
            }

            /// The entry this store serves.
            pub fn key(&self) -> &crate::StoreKey {
                &self.shared.key
            }

            /// Whether the server is in an outage (the store then fails fast, and the session
            /// falls back to its in-process token and lock).
            pub fn is_down(&self) -> bool {
                self.shared.health.is_down()
            }
        }

        impl std::fmt::Debug for $Store {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($Store))
                    .field("server", &self.shared.health.location())
                    .field("key", &self.shared.key)
                    .finish_non_exhaustive()
            }
        }
    )+};
}

mod health;
mod key;
#[cfg(feature = "redis")]
mod org_limiter;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
mod slot_pool;

use std::sync::Arc;
use std::time::Duration;

pub use key::StoreKey;
#[cfg(feature = "redis")]
pub use org_limiter::{AsyncRedisOrgLimiter, RedisOrgLimiter, DEFAULT_SLOT_LEASE};
#[cfg(feature = "postgres")]
pub use postgres::{AsyncPgTokenStore, PgTokenStore};
#[cfg(feature = "redis")]
pub use redis::{AsyncRedisTokenStore, RedisTokenStore};
#[cfg(feature = "redis")]
pub use slot_pool::{DEFAULT_REUSE, IDLE_GRACE};
use zohocrm_core::token_store::{AsyncTokenStore, StoreError, StoredToken, TokenStore};

/// After a failure, how long a store answers with an error at once rather than trying the
/// server again (so calls never wait on a server that is down).
pub const RETRY_AFTER: Duration = Duration::from_secs(2);

/// The default lease of a refresh lock: a worker that dies holding it blocks the others' refresh
/// at most this long.
pub const DEFAULT_LOCK_LEASE: Duration = Duration::from_secs(15);

/// The default timeout of a connection attempt and of each command.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether `url` names a store of this crate (`redis://`, `rediss://`, `postgres://`,
/// `postgresql://`) rather than a file path.
pub fn is_store_url(url: &str) -> bool {
    matches!(
        scheme(url).as_deref(),
        Some("redis" | "rediss" | "postgres" | "postgresql")
    )
}

fn scheme(url: &str) -> Option<String> {
    url.split_once("://").map(|(s, _)| s.to_ascii_lowercase())
}

/// `url` without its user name, password, query and fragment: what messages and status output
/// may show of a store url.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "<store url>".into();
    };
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{rest}")
}

fn unsupported(url: &str) -> StoreError {
    StoreError {
        path: redacted(url),
        message: "unsupported token store url (expected redis://, rediss://, postgres:// or postgresql://, with the matching feature)".into(),
    }
}

/// A blocking store for `url` (Redis or PostgreSQL) serving `key`. Nothing is connected yet:
/// the first call connects (an unreachable server is a failing store, not an error here).
pub fn open(url: &str, key: StoreKey) -> Result<Arc<dyn TokenStore>, StoreError> {
    match scheme(url).as_deref() {
        #[cfg(feature = "redis")]
        Some("redis" | "rediss") => Ok(Arc::new(RedisTokenStore::open(url, key)?)),
        #[cfg(feature = "postgres")]
        Some("postgres" | "postgresql") => Ok(Arc::new(PgTokenStore::open(url, key)?)),
        _ => Err(unsupported(url)),
    }
}

/// An async store for `url` (Redis or PostgreSQL) serving `key`, for the async client.
pub fn open_async(url: &str, key: StoreKey) -> Result<Arc<dyn AsyncTokenStore>, StoreError> {
    match scheme(url).as_deref() {
        #[cfg(feature = "redis")]
        Some("redis" | "rediss") => Ok(Arc::new(AsyncRedisTokenStore::open(url, key)?)),
        #[cfg(feature = "postgres")]
        Some("postgres" | "postgresql") => Ok(Arc::new(AsyncPgTokenStore::open(url, key)?)),
        _ => Err(unsupported(url)),
    }
}

/// The stored form of a token (its JSON, as the file store writes it).
pub(crate) fn encode(token: &StoredToken, location: &str) -> Result<String, StoreError> {
    serde_json::to_string(token).map_err(|e| StoreError {
        path: location.to_owned(),
        message: format!("cannot encode the token: {e}"),
    })
}

/// A stored token read back; a value that is not one is an error, never a panic.
pub(crate) fn decode(json: &str, location: &str) -> Result<StoredToken, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError {
        path: location.to_owned(),
        message: format!("not a valid stored token: {e}"),
    })
}

/// The error of an entry that belongs to another refresh token.
pub(crate) fn foreign(location: &str) -> StoreError {
    StoreError {
        path: location.to_owned(),
        message:
            "the entry belongs to another refresh token (owner fingerprint differs); left alone"
                .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_recognised_and_redacted() {
        assert!(is_store_url("redis://127.0.0.1:6379/0"));
        assert!(is_store_url("REDISS://h/1"));
        assert!(is_store_url("postgresql://u@h/db"));
        assert!(!is_store_url("/home/me/.config/zcrm/token.json"));
        assert!(!is_store_url("file:///tmp/x"));
        assert_eq!(
            redacted("redis://:s3cret@cache.internal:6380/2?x=1"),
            "redis://cache.internal:6380/2"
        );
        assert_eq!(redacted("postgres://app:pw@db/zcrm"), "postgres://db/zcrm");
        assert!(open("ftp://x", StoreKey::new("c", "o", "r")).is_err());
    }
}
