//! A call through the Redis token store against the same call with the in-memory store, on
//! loopback (the mock, a private redis-server): the access token is cached in the session, so a
//! call that does not refresh makes no Redis round trip. Also prints the Redis commands per call
//! measured from the server's own counter. Part of `cargo xtask bench`; skipped (nothing
//! measured) when redis-server is not installed.
#![allow(missing_docs)] // criterion_group! generates undocumented functions

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use zohocrm_core::config::TransportConfig;
use zohocrm_core::{Context, Credentials, MemoryTokenStore, Session, TokenStore};
use zohocrm_mock::{BlockingMock, MockConfig};
use zohocrm_store::{RedisTokenStore, StoreKey};

#[path = "../tests/fleet/servers.rs"]
#[allow(dead_code)]
mod servers;

fn client(base: &str, store: Arc<dyn TokenStore>) -> zohocrm_ureq::Client {
    let cfg = MockConfig::default();
    let session = Session::new(
        Context::custom(base, base, base).expect("hosts"),
        Credentials::refresh_token(cfg.client_id, cfg.client_secret, cfg.refresh_token),
    )
    .with_store(store);
    zohocrm_ureq::Client::with_session(
        zohocrm_ureq::UreqTransport::new(TransportConfig::default()),
        Arc::new(session),
    )
}

fn commands_processed(con: &mut redis::Connection) -> u64 {
    let info: String = redis::cmd("INFO").arg("stats").query(con).expect("INFO");
    info.lines()
        .find_map(|l| l.strip_prefix("total_commands_processed:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("a command count")
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
    let memory = client(&base, Arc::new(MemoryTokenStore::new()));
    let shared = client(
        &base,
        Arc::new(RedisTokenStore::open(&redis.url(), key).expect("store")),
    );
    memory.user_licences().expect("warm");
    shared.user_licences().expect("warm");

    let mut con = redis.client();
    let before = commands_processed(&mut con);
    const CALLS: u64 = 200;
    for _ in 0..CALLS {
        shared.user_licences().expect("call");
    }
    // The INFO of `before` is counted too; this one is counted after the read.
    let per_call = commands_processed(&mut con).saturating_sub(before + 1) as f64 / CALLS as f64;
    println!("redis commands per call with a cached token: {per_call:.2}");

    let mut group = c.benchmark_group("store");
    group.bench_function("licences_memory", |b| {
        b.iter(|| memory.user_licences().expect("call"))
    });
    group.bench_function("licences_redis", |b| {
        b.iter(|| shared.user_licences().expect("call"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
