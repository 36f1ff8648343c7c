//! Token stores on the async client: an async (networked) store is driven through its futures,
//! with its refresh lock handed back on save, and a blocking store's IO runs off the executor.

use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

use zohocrm_core::token_store::{StoreError, StoreFuture, StoreLock};
use zohocrm_core::{AsyncTokenStore, MemoryTokenStore, StoredToken, TokenStore};
use zohocrm_hyper::Client;
use zohocrm_mock::{BlockingMock, MockConfig};

/// A store that awaits at every call, as a networked store awaits its server, and writes
/// down what it was asked. Its lock carries a fencing number it checks on save.
#[derive(Default)]
struct Remote {
    token: tokio::sync::Mutex<Option<StoredToken>>,
    calls: Mutex<Vec<&'static str>>,
}

impl Remote {
    fn log(&self, call: &'static str) {
        self.calls.lock().unwrap().push(call);
    }
}

impl AsyncTokenStore for Remote {
    fn load(&self) -> StoreFuture<'_, Option<StoredToken>> {
        Box::pin(async {
            tokio::task::yield_now().await;
            self.log("load");
            Ok(self.token.lock().await.clone())
        })
    }

    fn save<'a>(&'a self, token: &'a StoredToken) -> StoreFuture<'a, ()> {
        Box::pin(async {
            tokio::task::yield_now().await;
            self.log("save");
            *self.token.lock().await = Some(token.clone());
            Ok(())
        })
    }

    fn clear(&self) -> StoreFuture<'_, ()> {
        Box::pin(async {
            *self.token.lock().await = None;
            Ok(())
        })
    }

    fn try_lock_refresh(&self) -> StoreFuture<'_, Option<StoreLock>> {
        Box::pin(async {
            tokio::task::yield_now().await;
            self.log("lock");
            Ok(Some(StoreLock::new(7u64)))
        })
    }

    fn save_and_unlock<'a>(
        &'a self,
        token: &'a StoredToken,
        lock: StoreLock,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            tokio::task::yield_now().await;
            if lock.guard::<u64>() != Some(&7) {
                return Err(StoreError {
                    path: "remote".into(),
                    message: "not my lock".into(),
                });
            }
            self.log("save_and_unlock");
            *self.token.lock().await = Some(token.clone());
            Ok(())
        })
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn an_async_store_is_driven_through_its_futures() {
    let mock = BlockingMock::start().unwrap();
    let base = mock.base_url();
    let cfg = MockConfig::default();
    let remote = Arc::new(Remote::default());
    let client = |store: Arc<Remote>| {
        Client::builder()
            .hosts(&base, &base, &base)
            .refresh_token(&cfg.client_id, &cfg.client_secret, &cfg.refresh_token)
            .async_token_store(store)
            .build()
            .unwrap()
    };
    let rt = runtime();
    rt.block_on(client(remote.clone()).user_licences()).unwrap();
    assert_eq!(
        *remote.calls.lock().unwrap(),
        ["load", "lock", "load", "save_and_unlock"],
        "read, lock, read again, mint, save under the lock"
    );
    // Another client (another process, say) on the same store reads the token: no new mint.
    rt.block_on(client(remote.clone()).user_licences()).unwrap();
    assert_eq!(mock.stats().token_requests, 1);
    assert!(remote.token.blocking_lock().is_some());
}

/// A blocking store that writes down the thread of each call.
#[derive(Default)]
struct Local {
    inner: MemoryTokenStore,
    threads: Mutex<Vec<ThreadId>>,
}

impl TokenStore for Local {
    fn load(&self) -> Result<Option<StoredToken>, StoreError> {
        self.threads
            .lock()
            .unwrap()
            .push(std::thread::current().id());
        self.inner.load()
    }

    fn save(&self, token: &StoredToken) -> Result<(), StoreError> {
        self.threads
            .lock()
            .unwrap()
            .push(std::thread::current().id());
        self.inner.save(token)
    }

    fn clear(&self) -> Result<(), StoreError> {
        self.inner.clear()
    }
}

#[test]
fn a_blocking_store_is_called_off_the_executor() {
    let mock = BlockingMock::start().unwrap();
    let base = mock.base_url();
    let cfg = MockConfig::default();
    let local = Arc::new(Local::default());
    let client = Client::builder()
        .hosts(&base, &base, &base)
        .refresh_token(cfg.client_id, cfg.client_secret, cfg.refresh_token)
        .token_store(local.clone())
        .build()
        .unwrap();
    // A current-thread runtime: the executor is this thread.
    runtime().block_on(client.user_licences()).unwrap();
    let threads = local.threads.lock().unwrap();
    assert_eq!(threads.len(), 3, "load, load under the lock, save");
    let executor = std::thread::current().id();
    assert!(threads.iter().all(|t| *t != executor), "{threads:?}");
}
