//! The Redis store's contract, one process: round trips, the fenced lock, owners.

use std::time::Duration;

use zohocrm_core::token_store::{StoredToken, TokenStore};
use zohocrm_core::{AccessToken, AsyncTokenStore};
use zohocrm_store::{AsyncRedisTokenStore, RedisTokenStore, StoreKey};

use crate::servers::Redis;

fn token(access: &str) -> StoredToken {
    StoredToken {
        access_token: Some(AccessToken::new(access)),
        expires_at_unix: 4_000_000_000,
        refresh_token: None,
        api_domain: Some("https://www.zohoapis.eu".into()),
        scope: Some("ZohoCRM.modules.ALL".into()),
    }
}

#[test]
fn round_trip_lock_exclusion_and_owners() {
    let Some(redis) = Redis::start() else { return };
    let key = StoreKey::new("client", "org", "1000.refresh-a");
    let a = RedisTokenStore::open(&redis.url(), key.clone()).unwrap();
    let b = RedisTokenStore::open(&redis.url(), key.clone()).unwrap();
    assert_eq!(a.load().unwrap(), None);
    a.save(&token("t1")).unwrap();
    assert_eq!(b.load().unwrap(), Some(token("t1")));

    let held = a.try_lock_refresh().unwrap().expect("free at first");
    assert!(b.try_lock_refresh().unwrap().is_none(), "held by a");
    a.save_and_unlock(&token("t2"), held).unwrap();
    assert_eq!(b.load().unwrap(), Some(token("t2")));
    let held = b.try_lock_refresh().unwrap().expect("released by the save");
    b.unlock(held).unwrap();
    assert!(
        a.try_lock_refresh().unwrap().is_some(),
        "released by unlock"
    );

    // No key names the refresh token; the stored entry holds its fingerprint only.
    let mut con = redis.client();
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut con).unwrap();
    assert!(!keys.is_empty());
    for k in &keys {
        assert!(!k.contains("refresh-a"), "{k}");
    }

    // Another refresh token naming the same user is refused, and leaves the entry alone.
    let intruder = StoreKey::new("client", "org", "1000.refresh-b").with_user(key.user());
    let c = RedisTokenStore::open(&redis.url(), intruder).unwrap();
    assert!(c
        .load()
        .unwrap_err()
        .to_string()
        .contains("another refresh token"));
    assert!(c.save(&token("evil")).is_err());
    assert!(c.clear().is_err());
    assert_eq!(a.load().unwrap(), Some(token("t2")));
    a.clear().unwrap();
    assert_eq!(a.load().unwrap(), None);
}

/// A holder whose lease ran out while another minted and saved cannot overwrite the newer
/// token, nor release the other's lock.
#[test]
fn a_late_writer_is_fenced_out() {
    let Some(redis) = Redis::start() else { return };
    let key = StoreKey::new("client", "org", "1000.refresh");
    let lease = Duration::from_millis(300);
    let slow = RedisTokenStore::open(&redis.url(), key.clone())
        .unwrap()
        .with_lock_lease(lease);
    let fast = RedisTokenStore::open(&redis.url(), key)
        .unwrap()
        .with_lock_lease(Duration::from_secs(30));
    let late = slow.try_lock_refresh().unwrap().expect("free");
    std::thread::sleep(lease * 3);
    let current = fast.try_lock_refresh().unwrap().expect("the lease ran out");
    // The late holder saves while the new one holds the lock: the lock is not released.
    slow.save_and_unlock(&token("late-1"), late).unwrap();
    assert!(
        slow.try_lock_refresh().unwrap().is_none(),
        "still held by fast"
    );
    fast.save_and_unlock(&token("fresh"), current).unwrap();
    assert_eq!(slow.load().unwrap(), Some(token("fresh")));

    // A late save after the newer one is refused outright.
    let late = slow.try_lock_refresh().unwrap().expect("free");
    std::thread::sleep(lease * 3);
    let current = fast.try_lock_refresh().unwrap().expect("the lease ran out");
    fast.save_and_unlock(&token("newest"), current).unwrap();
    slow.save_and_unlock(&token("late-2"), late).unwrap();
    assert_eq!(fast.load().unwrap(), Some(token("newest")));
}

#[test]
fn async_store_round_trip_and_outage() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let key = StoreKey::new("client", "org", "1000.refresh");
    let store = AsyncRedisTokenStore::open(&redis.url(), key)
        .unwrap()
        .with_timeout(Duration::from_millis(500));
    rt.block_on(async {
        assert_eq!(store.load().await.unwrap(), None);
        let held = store.try_lock_refresh().await.unwrap().expect("free");
        assert!(store.try_lock_refresh().await.unwrap().is_none());
        store.save_and_unlock(&token("a1"), held).await.unwrap();
        assert_eq!(store.load().await.unwrap(), Some(token("a1")));
    });
    redis.kill();
    rt.block_on(async {
        let e = store.load().await.unwrap_err();
        assert!(e.to_string().contains("unreachable"), "{e}");
        assert!(store.is_down());
        // Fails fast while down.
        let started = std::time::Instant::now();
        assert!(store.load().await.is_err());
        assert!(started.elapsed() < Duration::from_secs(30));
    });
    redis.restart();
    std::thread::sleep(zohocrm_store::RETRY_AFTER + Duration::from_millis(200));
    rt.block_on(async {
        // Back, empty (no persistence): shared mode resumes.
        assert_eq!(store.load().await.unwrap(), None);
        assert!(!store.is_down());
    });
}
