//! Fleets of worker processes sharing one org limit through Redis, against one mock (issue 17's
//! limiter scenarios), and the daily budget on both clients.

use std::sync::Arc;
use std::time::{Duration, Instant};

use zohocrm_core::config::TransportConfig;
use zohocrm_core::error::LimitErrorKind;
use zohocrm_core::{ConcurrencyLimits, Context, Credentials, Error, Session};
use zohocrm_mock::{BlockingMock, Fault, FaultKind, MockConfig};
use zohocrm_store::{AsyncRedisOrgLimiter, RedisOrgLimiter, StoreKey};

use crate::servers::{eventually, Redis};
use crate::worker::{calls_go_on, no_failures, Fleet, LONG};

/// 3 processes × 8 clients (two blocking, one async), every other call a COQL query, on an org
/// limit of 5 with 2 heavy, each request held 30 ms at the mock so calls pile up: the mock
/// never sees more than 5 at once, nor more than 2 heavy.
#[test]
fn org_limit_holds_across_three_processes() {
    let Some(redis) = Redis::start() else { return };
    let mock = BlockingMock::start_with(MockConfig::default()).expect("mock");
    mock.inject(Fault::times(FaultKind::Delay(Duration::from_millis(30)), 100_000).on("/crm/"));
    let fleet = Fleet::spawn_with(
        &mock.base_url(),
        &redis.url(),
        &["blocking", "blocking", "async"],
        8,
        Duration::from_secs(15),
        &[("ZCRM_FLEET_ORG", "5/2"), ("ZCRM_FLEET_CALLS", "mixed")],
    );
    calls_go_on(&mock, 400);
    let outcomes = fleet.stop();
    let stats = mock.stats();
    let calls: u64 = outcomes.iter().map(|o| o.calls).sum();
    println!(
        "org limit 5/2 across 3 processes: {calls} calls, max {} in flight, max {} heavy in flight",
        stats.max_in_flight, stats.max_heavy_in_flight
    );
    no_failures(&outcomes);
    assert!(stats.max_in_flight <= 5, "{stats:?}");
    assert!(stats.max_heavy_in_flight <= 2, "{stats:?}");
    assert!(
        stats.max_heavy_in_flight >= 1,
        "heavy calls were made: {stats:?}"
    );
}

/// A worker holding all 5 slots (its requests hang at the mock) is killed with SIGKILL: the
/// other workers, blocked meanwhile, get the slots back when the leases end.
#[test]
fn a_killed_workers_slots_come_back_after_the_lease() {
    let Some(redis) = Redis::start() else { return };
    let mock = BlockingMock::start_with(MockConfig::default()).expect("mock");
    let lease = Duration::from_secs(10);
    let lease_ms = lease.as_millis().to_string();
    let settings = [
        ("ZCRM_FLEET_ORG", "5/2"),
        ("ZCRM_FLEET_SLOT_LEASE_MS", lease_ms.as_str()),
    ];
    mock.inject(Fault::times(FaultKind::Delay(Duration::from_secs(600)), 5).on("/crm/v8/org"));
    let mut hog = Fleet::spawn_with(
        &mock.base_url(),
        &redis.url(),
        &["blocking"],
        5,
        Duration::from_secs(15),
        &[settings[0], settings[1], ("ZCRM_FLEET_CALLS", "org")],
    );
    let org_requests = || {
        mock.requests()
            .iter()
            .filter(|r| r.uri.starts_with("/crm/v8/org"))
            .count()
    };
    eventually("the hog holds the 5 slots", LONG, || org_requests() >= 5);
    let full_at = Instant::now();
    let before = mock.stats().api_requests;
    let others = Fleet::spawn_with(
        &mock.base_url(),
        &redis.url(),
        &["blocking", "async"],
        3,
        Duration::from_secs(15),
        &settings,
    );
    // Give the others time to start and be refused (they wait, with bounded backoffs).
    std::thread::sleep(Duration::from_secs(2));
    let blocked = mock.stats().api_requests == before;
    // The leases were taken a little before `full_at` (the mock saw the requests after): a
    // margin keeps this check to times when they certainly still hold.
    let slack = Duration::from_secs(5);
    let within_lease = full_at.elapsed() + slack < lease;
    if within_lease {
        assert!(
            blocked,
            "no call gets past the org limit while the hog holds it"
        );
    }
    let pid = hog.pids()[0];
    assert!(hog.kill(pid));
    let killed = Instant::now();
    eventually("the others call again", LONG, || {
        mock.stats().api_requests > before
    });
    let back = killed.elapsed();
    let after_full = full_at.elapsed();
    calls_go_on(&mock, 30);
    let outcomes = others.stop();
    drop(hog);
    println!(
        "kill -9 of the worker holding the org's slots: calls resume {back:?} after the kill, {after_full:?} after the slots were taken (lease {lease:?})"
    );
    no_failures(&outcomes);
    assert!(
        after_full + slack >= lease,
        "the slots came back only when their leases ended: {after_full:?}"
    );
}

/// Redis is killed mid-run and started again (empty): calls go on under each process's
/// in-process limiter (the documented fallback: the org limit is not shared meanwhile) without
/// a failure, and the limiter's keys come back once the server is up.
#[test]
fn redis_restart_under_the_org_limiter() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let mock = BlockingMock::start_with(MockConfig::default()).expect("mock");
    let fleet = Fleet::spawn_with(
        &mock.base_url(),
        &redis.url(),
        &["blocking", "blocking", "async"],
        4,
        Duration::from_secs(15),
        &[("ZCRM_FLEET_ORG", "5/2"), ("ZCRM_FLEET_CALLS", "mixed")],
    );
    calls_go_on(&mock, 100);
    redis.kill();
    let down = Instant::now();
    while down.elapsed() < 2 * zohocrm_store::RETRY_AFTER {
        calls_go_on(&mock, 20);
    }
    redis.restart();
    let up = Instant::now();
    let k = crate::worker::key();
    let credits_key = format!("zohocrm:org:{{{}|{}}}:credits", k.client_id(), k.org());
    let mut con = redis.client();
    eventually("the limiter writes to the restarted server", LONG, || {
        redis::cmd("EXISTS")
            .arg(&credits_key)
            .query::<bool>(&mut con)
            .unwrap()
    });
    let resumed = up.elapsed();
    calls_go_on(&mock, 100);
    let outcomes = fleet.stop();
    println!(
        "redis down {:?}: no failed call; shared mode resumed {resumed:?} after the restart",
        up - down
    );
    no_failures(&outcomes);
}

/// A tiny daily budget shared through Redis by a blocking and an async client: once it is
/// spent, the next call fails at once with the typed error, and no request reaches the mock.
#[test]
fn a_spent_budget_fails_fast_on_both_clients() {
    let Some(redis) = Redis::start() else { return };
    let mock = BlockingMock::start_with(MockConfig::default()).expect("mock");
    let base = mock.base_url();
    let cfg = MockConfig::default();
    let key = StoreKey::new(&cfg.client_id, "budget-org", &cfg.refresh_token);
    let session = || {
        Session::new(
            Context::custom(&base, &base, &base).unwrap(),
            Credentials::refresh_token(
                cfg.client_id.clone(),
                cfg.client_secret.clone(),
                cfg.refresh_token.clone(),
            ),
        )
        .with_credit_budget(3)
    };
    let limits = ConcurrencyLimits::new(5, 2);
    let blocking = zohocrm_ureq::Client::with_session(
        zohocrm_ureq::UreqTransport::new(TransportConfig::default()),
        Arc::new(session().with_org_limiter(Arc::new(
            RedisOrgLimiter::open(&redis.url(), key.clone(), limits).unwrap(),
        ))),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let asynchronous = rt.block_on(async {
        zohocrm_hyper::Client::with_session(
            zohocrm_hyper::HyperTransport::new(TransportConfig::default()),
            Arc::new(session().with_async_org_limiter(Arc::new(
                AsyncRedisOrgLimiter::open(&redis.url(), key, limits).unwrap(),
            ))),
        )
    });
    blocking.user_licences().unwrap();
    rt.block_on(asynchronous.user_licences()).unwrap();
    blocking.user_licences().unwrap();
    let sent = mock.stats().api_requests;
    assert_eq!(sent, 3);
    // The async client's own count is 1: the refusal is the fleet's.
    let refused = rt.block_on(asynchronous.user_licences()).unwrap_err();
    let Error::Limit(e) = &refused else {
        panic!("{refused:?}")
    };
    assert_eq!(e.kind, LimitErrorKind::CreditBudget);
    assert!(e.message.contains("3 of 3"), "{e}");
    let Err(Error::Limit(_)) = blocking.user_licences() else {
        panic!("the blocking client is refused too")
    };
    assert_eq!(mock.stats().api_requests, sent, "nothing reached the mock");
    assert_eq!(asynchronous.credits().spent, 3);
    assert_eq!(asynchronous.credits().budget, Some(3));
}
