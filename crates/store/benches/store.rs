//! A call through the Redis token store against the same call with the in-memory store, on
//! loopback (the mock, a private redis-server): the access token is cached in the session, so a
//! call that does not refresh makes no Redis round trip. And the same call with the Redis
//! token store and org-wide limiter, whose slot serves calls one after another (one acquire and
//! one release per reuse window), and without that reuse (two round trips per call: the
//! acquire script, and the release script sent by the limiter's worker thread). Also
//! prints the Redis round trips per call measured from the server's own counters. Part of `cargo xtask bench`; skipped (nothing
//! measured) when redis-server is not installed.
#![allow(missing_docs)] // criterion_group! generates undocumented functions

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use zohocrm_core::config::TransportConfig;
use zohocrm_core::limit::Cost;
use zohocrm_core::org_limit::{OrgAsk, OrgGrant, OrgLimiter, OrgRelease};
use zohocrm_core::{
    ConcurrencyLimits, Context, Credentials, MemoryTokenStore, Session, TokenStore,
};
use zohocrm_mock::{BlockingMock, MockConfig};
use zohocrm_store::{RedisOrgLimiter, RedisTokenStore, StoreKey};

#[path = "../tests/fleet/servers.rs"]
#[allow(dead_code)]
mod servers;

fn client(
    base: &str,
    store: Arc<dyn TokenStore>,
    limiter: Option<Arc<dyn OrgLimiter>>,
) -> zohocrm_ureq::Client {
    let cfg = MockConfig::default();
    let mut session = Session::new(
        Context::custom(base, base, base).expect("hosts"),
        Credentials::refresh_token(cfg.client_id, cfg.client_secret, cfg.refresh_token),
    )
    .with_store(store);
    if let Some(limiter) = limiter {
        session = session.with_org_limiter(limiter);
    }
    zohocrm_ureq::Client::with_session(
        zohocrm_ureq::UreqTransport::new(TransportConfig::default()),
        Arc::new(session),
    )
}

fn bench(c: &mut Criterion) {
    let Some(redis) = servers::Redis::start() else {
        return;
    };
    let mock = BlockingMock::start_with(MockConfig {
        demo_data: false,
        ..MockConfig::default()
    })
    .expect("mock");
    let base = mock.base_url();
    let cfg = MockConfig::default();
    let key = StoreKey::new(&cfg.client_id, "bench-org", &cfg.refresh_token);
    let memory = client(&base, Arc::new(MemoryTokenStore::new()), None);
    let shared = client(
        &base,
        Arc::new(RedisTokenStore::open(&redis.url(), key.clone()).expect("store")),
        None,
    );
    let limiter = Arc::new(
        RedisOrgLimiter::open(&redis.url(), key.clone(), ConcurrencyLimits::new(20, 10))
            .expect("limiter"),
    );
    let limited = client(
        &base,
        Arc::new(RedisTokenStore::open(&redis.url(), key.clone()).expect("store")),
        Some(limiter.clone()),
    );
    let bench_key = StoreKey::new(&cfg.client_id, "bench-slots", &cfg.refresh_token);
    memory.user_licences().expect("warm");
    shared.user_licences().expect("warm");
    limited.user_licences().expect("warm");
    limiter.flush();
    let unpooled = client(
        &base,
        Arc::new(RedisTokenStore::open(&redis.url(), key.clone()).expect("store")),
        Some(Arc::new(
            RedisOrgLimiter::open(&redis.url(), key.clone(), ConcurrencyLimits::new(20, 10))
                .expect("limiter")
                .with_reuse(std::time::Duration::ZERO),
        )),
    );
    unpooled.user_licences().expect("warm");

    redis.reset_stats();
    const CALLS: u64 = 200;
    for _ in 0..CALLS {
        shared.user_licences().expect("call");
    }
    let per_call = redis.script_calls() as f64 / CALLS as f64;
    println!("redis round trips per call with a cached token: {per_call:.2}");
    redis.reset_stats();
    for _ in 0..CALLS {
        limited.user_licences().expect("call");
    }
    limiter.flush();
    let trips = redis.script_calls() as f64 / CALLS as f64;
    println!("redis round trips per call with the token store and org limiter: {trips:.2}");

    let mut group = c.benchmark_group("store");
    group.bench_function("licences_memory", |b| {
        b.iter(|| memory.user_licences().expect("call"))
    });
    group.bench_function("licences_redis", |b| {
        b.iter(|| shared.user_licences().expect("call"))
    });
    group.bench_function("licences_redis_limited", |b| {
        b.iter(|| limited.user_licences().expect("call"))
    });
    group.bench_function("licences_redis_limited_no_reuse", |b| {
        b.iter(|| unpooled.user_licences().expect("call"))
    });
    // The limiter's part alone: one acquire and one release script (sent by the worker, so
    // waited for here).
    let slots = RedisOrgLimiter::open(&redis.url(), bench_key, ConcurrencyLimits::new(20, 10))
        .expect("limiter");
    let ask = OrgAsk::new(Cost::NORMAL, 1, None);
    group.bench_function("org_slot_acquire_release", |b| {
        b.iter(|| match slots.acquire(&ask).expect("acquire") {
            OrgGrant::Granted { lease, .. } => {
                slots
                    .release(lease, &OrgRelease::default())
                    .expect("release");
                slots.flush();
            }
            other => panic!("{other:?}"),
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
