//! Fleets of worker processes on one Redis store and one mock (issue 17's scenarios).

use std::time::{Duration, Instant};

use zohocrm_mock::{BlockingMock, Fault, FaultKind, MockConfig};

use crate::servers::{eventually, Redis};
use crate::worker::{calls_go_on, key, no_failures, Fleet, LONG};

fn mock() -> BlockingMock {
    BlockingMock::start_with(MockConfig {
        demo_data: false,
        ..MockConfig::default()
    })
    .expect("mock")
}

/// 3 processes × 8 clients (two blocking processes, one async), one refresh token, 6 token
/// expiries: one token request per expiry across the fleet.
#[test]
fn one_mint_per_expiry_across_three_processes() {
    let Some(redis) = Redis::start() else { return };
    let mock = mock();
    let lease = Duration::from_secs(15);
    let fleet = Fleet::spawn(
        &mock.base_url(),
        &redis.url(),
        &["blocking", "blocking", "async"],
        8,
        lease,
    );
    eventually("the first mint", LONG, || mock.stats().mints >= 1);
    calls_go_on(&mock, 100);
    const EXPIRIES: u64 = 6;
    for k in 1..=EXPIRIES {
        mock.expire_tokens();
        eventually("a mint after the expiry", LONG, || mock.stats().mints > k);
        calls_go_on(&mock, 100);
    }
    let outcomes = fleet.stop();
    let stats = mock.stats();
    let calls: u64 = outcomes.iter().map(|o| o.calls).sum();
    println!(
        "fleet: {} token requests for {EXPIRIES} expiries, {calls} calls, max {} in flight",
        stats.token_requests, stats.max_in_flight
    );
    no_failures(&outcomes);
    assert_eq!(stats.token_requests, 1 + EXPIRIES, "{stats:?}");
    assert_eq!(stats.mints, 1 + EXPIRIES);
}

/// The worker holding the refresh lock is killed with SIGKILL while its token request hangs:
/// another worker mints once the lock's lease ends, and the survivors' calls all succeed.
#[test]
fn a_killed_lock_holder_is_replaced_after_the_lease() {
    let Some(redis) = Redis::start() else { return };
    let mock = mock();
    let lease = Duration::from_secs(3);
    let mut fleet = Fleet::spawn(
        &mock.base_url(),
        &redis.url(),
        &["blocking", "blocking", "blocking"],
        4,
        lease,
    );
    eventually("the first mint", LONG, || mock.stats().mints >= 1);
    calls_go_on(&mock, 50);
    mock.inject(Fault::once(FaultKind::Delay(Duration::from_secs(600))).on("/oauth/v2/token"));
    mock.expire_tokens();
    let k = key();
    let lock_key = format!(
        "zohocrm:{{{}|{}|{}}}:lock",
        k.client_id(),
        k.org(),
        k.user()
    );
    let mut con = redis.client();
    let mut holder = None;
    eventually("a worker takes the lock", LONG, || {
        let value: Option<String> = redis::cmd("GET").arg(&lock_key).query(&mut con).unwrap();
        holder = value
            .as_deref()
            .and_then(|v| v.split_once(" pid="))
            .and_then(|(_, pid)| pid.parse::<u32>().ok());
        holder.is_some() && mock.stats().token_requests >= 2
    });
    let holder = holder.expect("a holder");
    assert!(
        fleet.kill(holder),
        "the holder {holder} is one of the workers"
    );
    let killed = Instant::now();
    eventually("another worker mints", LONG, || mock.stats().mints >= 2);
    let replaced = killed.elapsed();
    calls_go_on(&mock, 50);
    let outcomes = fleet.stop();
    println!("kill -9 of the lock holder: a new token {replaced:?} later (lease {lease:?})");
    no_failures(&outcomes);
    assert_eq!(outcomes.len(), 2);
    // The first mint, the hung one, the replacement.
    assert_eq!(mock.stats().token_requests, 3, "{:?}", mock.stats());
}

/// Redis is killed mid-run and started again (empty): calls go on with the tokens the sessions
/// hold, and once it is back an expiry costs one mint across the fleet again.
#[test]
fn redis_restart_mid_run() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let mock = mock();
    let fleet = Fleet::spawn(
        &mock.base_url(),
        &redis.url(),
        &["blocking", "blocking", "async"],
        4,
        Duration::from_secs(15),
    );
    eventually("the first mint", LONG, || mock.stats().mints >= 1);
    calls_go_on(&mock, 50);
    redis.kill();
    let down = Instant::now();
    // Down for longer than the stores' fail-fast window, calls going on meanwhile.
    while down.elapsed() < 2 * zohocrm_store::RETRY_AFTER {
        calls_go_on(&mock, 20);
    }
    redis.restart();
    println!("redis down for {:?}", down.elapsed());
    calls_go_on(&mock, 50);
    mock.expire_tokens();
    eventually("a mint after the expiry", LONG, || mock.stats().mints >= 2);
    calls_go_on(&mock, 100);
    // And the next expiry too.
    mock.expire_tokens();
    eventually("a mint after the second expiry", LONG, || {
        mock.stats().mints >= 3
    });
    calls_go_on(&mock, 100);
    let outcomes = fleet.stop();
    no_failures(&outcomes);
    assert_eq!(mock.stats().token_requests, 3, "{:?}", mock.stats());
    let k = key();
    let token_key = format!(
        "zohocrm:{{{}|{}|{}}}:token",
        k.client_id(),
        k.org(),
        k.user()
    );
    let saved: Option<String> = redis::cmd("HGET")
        .arg(&token_key)
        .arg("token")
        .query(&mut redis.client())
        .unwrap();
    assert!(
        saved.is_some(),
        "the new token is shared through the restarted server"
    );
}

/// Redis unreachable when the fleet starts: every client mints its own token (the documented
/// fallback: single flight within the session only) and no call fails; once Redis is up, the
/// next expiries cost one mint each across the fleet.
#[test]
fn redis_down_at_start_then_shared_mode_resumes() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    redis.kill();
    let mock = mock();
    // 3 × 2 clients: six mints in the outage stay within Zoho's 10 per refresh token.
    let fleet = Fleet::spawn(
        &mock.base_url(),
        &redis.url(),
        &["blocking", "blocking", "async"],
        2,
        Duration::from_secs(15),
    );
    eventually("every client has a token", LONG, || mock.stats().mints >= 6);
    calls_go_on(&mock, 50);
    assert_eq!(mock.stats().mints, 6, "one per client without the store");
    redis.restart();
    // Past the stores' fail-fast window, with calls going on.
    let up = Instant::now();
    while up.elapsed() < 2 * zohocrm_store::RETRY_AFTER {
        calls_go_on(&mock, 10);
    }
    for k in 1..=2u64 {
        mock.expire_tokens();
        eventually("a mint after the expiry", LONG, || {
            mock.stats().mints > 6 + k - 1
        });
        calls_go_on(&mock, 50);
    }
    let outcomes = fleet.stop();
    no_failures(&outcomes);
    assert_eq!(mock.stats().token_requests, 8, "{:?}", mock.stats());
}
