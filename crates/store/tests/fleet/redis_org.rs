//! The Redis org limiter's contract, one process: slots and heavy slots, leases that end,
//! the fleet's credit count and budget, the credits-left report, an outage, and the Redis
//! round trips of a whole call.

use std::sync::Arc;
use std::time::Duration;

use zohocrm_core::config::TransportConfig;
use zohocrm_core::limit::Cost;
use zohocrm_core::org_limit::{
    AsyncOrgLimiter, OrgAsk, OrgGrant, OrgLease, OrgLimiter, OrgRelease,
};
use zohocrm_core::{ConcurrencyLimits, Context, Credentials, Session};
use zohocrm_mock::{BlockingMock, MockConfig};
use zohocrm_store::{AsyncRedisOrgLimiter, RedisOrgLimiter, RedisTokenStore, StoreKey};

use crate::servers::Redis;

fn key() -> StoreKey {
    StoreKey::new("client", "org-1", "1000.refresh")
}

fn ask(cost: Cost, credits: u32, budget: Option<u64>) -> OrgAsk {
    OrgAsk::new(cost, credits, budget)
}

fn lease(g: OrgGrant) -> OrgLease {
    match g {
        OrgGrant::Granted { lease, .. } => lease,
        other => panic!("expected a slot, got {other:?}"),
    }
}

fn full(g: OrgGrant) -> bool {
    matches!(g, OrgGrant::Full)
}

const COMPOSITE: Cost = Cost {
    units: 5,
    heavy: true,
};

#[test]
fn slots_heavy_slots_and_leases() {
    let Some(redis) = Redis::start() else { return };
    let limits = ConcurrencyLimits::new(3, 1);
    let a = RedisOrgLimiter::open(&redis.url(), key(), limits).unwrap();
    let b = RedisOrgLimiter::open(&redis.url(), key(), limits).unwrap();
    let heavy = lease(a.acquire(&ask(Cost::HEAVY, 1, None)).unwrap());
    assert!(
        full(b.acquire(&ask(Cost::HEAVY, 1, None)).unwrap()),
        "one heavy"
    );
    let n1 = lease(b.acquire(&ask(Cost::NORMAL, 1, None)).unwrap());
    let n2 = lease(a.acquire(&ask(Cost::NORMAL, 1, None)).unwrap());
    assert!(
        full(b.acquire(&ask(Cost::NORMAL, 1, None)).unwrap()),
        "three in all"
    );
    a.release(heavy, &OrgRelease::default()).unwrap();
    // Releases are sent by a worker after the call: wait for them where the next step counts.
    a.flush();
    let h2 = lease(b.acquire(&ask(Cost::HEAVY, 1, None)).unwrap());
    assert!(
        full(a.acquire(&ask(Cost::NORMAL, 1, None)).unwrap()),
        "full again"
    );
    b.release(n1, &OrgRelease::default()).unwrap();
    a.release(n2, &OrgRelease::default()).unwrap();
    b.release(h2, &OrgRelease::default()).unwrap();
    a.flush();
    b.flush();
    // A composite call takes 5 units: the whole of a limit of 3.
    let c = lease(a.acquire(&ask(COMPOSITE, 1, None)).unwrap());
    assert!(full(b.acquire(&ask(Cost::NORMAL, 1, None)).unwrap()));
    a.release(c, &OrgRelease::default()).unwrap();
    a.flush();

    // Leases of a process that never gives them back end by expiry.
    let short = RedisOrgLimiter::open(&redis.url(), key(), limits)
        .unwrap()
        .with_lease(Duration::from_millis(300));
    let held: Vec<_> = (0..3)
        .map(|_| lease(short.acquire(&ask(Cost::NORMAL, 1, None)).unwrap()))
        .collect();
    assert!(full(a.acquire(&ask(Cost::NORMAL, 1, None)).unwrap()));
    std::mem::forget(held);
    std::thread::sleep(Duration::from_millis(900));
    let back = lease(a.acquire(&ask(Cost::NORMAL, 1, None)).unwrap());
    a.release(back, &OrgRelease::default()).unwrap();

    // The keys name the client and org only.
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query(&mut redis.client())
        .unwrap();
    assert!(!keys.is_empty());
    for k in keys {
        assert!(k.starts_with("zohocrm:org:{client|org-1}:"), "{k}");
        assert!(!k.contains("refresh"), "{k}");
    }
}

#[test]
fn the_fleet_counts_credits_against_the_budget() {
    let Some(redis) = Redis::start() else { return };
    let limits = ConcurrencyLimits::new(10, 5);
    let a = RedisOrgLimiter::open(&redis.url(), key(), limits).unwrap();
    let b = RedisOrgLimiter::open(&redis.url(), key(), limits).unwrap();
    let budget = Some(5);
    let first = lease(a.acquire(&ask(Cost::NORMAL, 2, budget)).unwrap());
    let mut report = OrgRelease::default();
    report.remaining = Some(4321);
    a.release(first, &report).unwrap();
    a.flush();
    match b.acquire(&ask(Cost::NORMAL, 2, budget)).unwrap() {
        OrgGrant::Granted {
            lease,
            spent,
            remaining,
        } => {
            assert_eq!(spent, Some(4), "the fleet's count, this call included");
            assert_eq!(remaining, Some(4321), "another worker's report");
            b.release(lease, &OrgRelease::default()).unwrap();
            b.flush();
        }
        other => panic!("{other:?}"),
    }
    match a.acquire(&ask(Cost::NORMAL, 2, budget)).unwrap() {
        OrgGrant::OverBudget { spent } => assert_eq!(spent, 4),
        other => panic!("over budget expected, got {other:?}"),
    }
    // A refunded call (a 429) gives its credits back.
    let one = lease(b.acquire(&ask(Cost::NORMAL, 1, budget)).unwrap());
    let mut refund = OrgRelease::default();
    refund.refund = 1;
    b.release(one, &refund).unwrap();
    b.flush();
    let again = lease(a.acquire(&ask(Cost::NORMAL, 1, budget)).unwrap());
    a.release(again, &OrgRelease::default()).unwrap();
    a.flush();
    assert!(matches!(
        a.acquire(&ask(Cost::NORMAL, 1, budget)).unwrap(),
        OrgGrant::OverBudget { spent: 5 }
    ));
    // Without a budget the count goes on.
    let free = lease(a.acquire(&ask(Cost::NORMAL, 1, None)).unwrap());
    a.release(free, &OrgRelease::default()).unwrap();
}

#[test]
fn async_limiter_and_outage() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let limiter = AsyncRedisOrgLimiter::open(&redis.url(), key(), ConcurrencyLimits::new(1, 1))
        .unwrap()
        .with_timeout(Duration::from_millis(500));
    rt.block_on(async {
        let a = ask(Cost::NORMAL, 1, None);
        let held = lease(limiter.acquire(&a).await.unwrap());
        assert!(full(limiter.acquire(&a).await.unwrap()));
        limiter.release(held, &OrgRelease::default()).await.unwrap();
        limiter.flush().await;
    });
    redis.kill();
    rt.block_on(async {
        let a = ask(Cost::NORMAL, 1, None);
        let e = limiter.acquire(&a).await.unwrap_err();
        assert!(e.to_string().contains("unreachable"), "{e}");
        assert!(limiter.is_down());
        let e = limiter.acquire(&a).await.unwrap_err();
        assert!(
            e.to_string().contains("in-process limiter"),
            "fails fast: {e}"
        );
    });
    redis.restart();
    std::thread::sleep(zohocrm_store::RETRY_AFTER + Duration::from_millis(200));
    rt.block_on(async {
        let a = ask(Cost::NORMAL, 1, None);
        let held = lease(limiter.acquire(&a).await.unwrap());
        assert!(!limiter.is_down(), "shared mode resumed");
        limiter.release(held, &OrgRelease::default()).await.unwrap();
    });
}

/// Calls through the blocking client with the Redis token store and limiter, the token
/// cached: without slot reuse, two Redis commands per call (the acquire and release scripts),
/// counted by the server; with it (the default), calls one after another share a slot and
/// its two scripts, and the fleet's credit count in Redis still gets every call.
#[test]
fn a_call_costs_at_most_two_redis_round_trips() {
    let Some(redis) = Redis::start() else { return };
    let mock = BlockingMock::start_with(MockConfig {
        demo_data: false,
        ..MockConfig::default()
    })
    .expect("mock");
    let base = mock.base_url();
    let cfg = MockConfig::default();
    const CALLS: u64 = 50;
    // Without reuse; then with a reuse window and idle grace longer than the whole run (a
    // loaded machine may leave more than the default 5 ms between two calls).
    for (org, reuse) in [
        ("org-rt", Duration::ZERO),
        ("org-pooled", Duration::from_secs(600)),
    ] {
        let key = StoreKey::new(&cfg.client_id, org, &cfg.refresh_token);
        let limiter = Arc::new(
            RedisOrgLimiter::open(&redis.url(), key.clone(), ConcurrencyLimits::new(5, 2))
                .unwrap()
                .with_reuse(reuse)
                .with_idle_grace(reuse),
        );
        let session = Session::new(
            Context::custom(&base, &base, &base).unwrap(),
            Credentials::refresh_token(&*cfg.client_id, &*cfg.client_secret, &*cfg.refresh_token),
        )
        .with_store(Arc::new(RedisTokenStore::open(&redis.url(), key).unwrap()))
        .with_org_limiter(limiter.clone());
        let client = zohocrm_ureq::Client::with_session(
            zohocrm_ureq::UreqTransport::new(TransportConfig::default()),
            Arc::new(session),
        );
        // The first call mints and loads the scripts; the mock's org is an Enterprise one.
        assert_eq!(
            client.org_limits().unwrap(),
            ConcurrencyLimits::for_edition("enterprise")
        );
        client.user_licences().unwrap();
        limiter.flush();
        redis.reset_stats();
        for _ in 0..CALLS {
            client.user_licences().unwrap();
        }
        limiter.flush();
        let trips = redis.script_calls();
        println!(
            "{org}: redis round trips for {CALLS} calls with the token store and limiter: {trips}"
        );
        if reuse.is_zero() {
            assert_eq!(trips, 2 * CALLS);
        } else {
            // One grant for the run (the window is a quarter of the 120 s lease: 30 s), given
            // back by the flush.
            assert_eq!(trips, 2);
        }
        assert!(client.session().last_org_error().is_none());
        assert_eq!(client.credits().spent, 2 + CALLS, "this process's count");
        let hours: Vec<i64> = redis::cmd("HVALS")
            .arg(format!("zohocrm:org:{{{}|{org}}}:credits", cfg.client_id))
            .query(&mut redis.client())
            .unwrap();
        assert_eq!(
            hours.iter().sum::<i64>(),
            2 + CALLS as i64,
            "the fleet's count in Redis"
        );
        assert_eq!(
            client.session().limiter().limits(),
            ConcurrencyLimits::default()
        );
    }
}
