//! Concurrency cases: single-flight refresh when a shared token expires under load, two users'
//! sessions that never swap tokens, and the client-side concurrency limit.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use zohocrm_core::features::GetUserLicences;
use zohocrm_core::limit::ConcurrencyLimits;
use zohocrm_core::records::{Coql, CoqlQuery};
use zohocrm_core::{Context, Credentials, MemoryTokenStore, Session};
use zohocrm_mock::{BlockingMock, Fault, FaultKind, MockConfig};

use crate::{fast_retry, session, session_on, Harness};

/// Threads and calls per thread of [`expired_token_under_load_mints_once`].
pub const LOAD_THREADS: usize = 16;
/// See [`LOAD_THREADS`].
pub const LOAD_CALLS: usize = 10;

/// 16 threads × 10 calls on one session whose token the server has just expired: exactly one
/// token request after the expiry, and every call succeeds.
pub fn expired_token_under_load_mints_once(h: &impl Harness) {
    let mock = BlockingMock::start().expect("mock");
    let s = session(&mock);
    h.call(&s, &GetUserLicences).expect("first call");
    mock.expire_tokens();
    let before = mock.stats();
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..LOAD_THREADS)
            .map(|_| {
                scope.spawn(|| {
                    for _ in 0..LOAD_CALLS {
                        h.call(&s, &GetUserLicences).expect("call after expiry");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("no panic");
        }
    });
    let after = mock.stats();
    assert_eq!(
        after.token_requests - before.token_requests,
        1,
        "{}: {after:?}",
        h.transport_name()
    );
    assert_eq!(after.mints, 2);
    let calls = (LOAD_THREADS * LOAD_CALLS) as u64;
    let rejected = after.api_requests - before.api_requests - calls;
    // Only calls already in flight with the old token can be rejected: at most the limit.
    assert!((1..=10).contains(&rejected), "{rejected} rejected");
}

/// The refresh token of the second user of [`two_users_never_swap_tokens`].
pub const SECOND_REFRESH_TOKEN: &str = "mock-refresh-token-user-2";

/// Two sessions of two users (two refresh tokens), used from 8 threads at once with every token
/// expiring half-way: each API request carries a token minted from its own user's refresh
/// token, and each user refreshes exactly once.
pub fn two_users_never_swap_tokens(h: &impl Harness) {
    let mock = BlockingMock::start_with(MockConfig {
        extra_refresh_tokens: vec![SECOND_REFRESH_TOKEN.into()],
        ..MockConfig::default()
    })
    .expect("mock");
    let cfg = MockConfig::default();
    let base = mock.base_url();
    let user = |agent: &str, refresh: &str| {
        Arc::new(
            Session::new(
                Context::custom(&base, &base, &base)
                    .unwrap()
                    .with_user_agent(agent),
                Credentials::refresh_token(
                    cfg.client_id.clone(),
                    cfg.client_secret.clone(),
                    refresh.to_owned(),
                ),
            )
            .with_store(Arc::new(MemoryTokenStore::new()))
            .with_retry(fast_retry()),
        )
    };
    let users = [
        ("user-a", cfg.refresh_token.clone()),
        ("user-b", SECOND_REFRESH_TOKEN.to_owned()),
    ];
    let sessions: Vec<Arc<Session>> = users.iter().map(|(a, r)| user(a, r)).collect();
    for s in &sessions {
        h.call(s, &GetUserLicences).expect("first call");
    }
    let barrier = Barrier::new(9);
    std::thread::scope(|scope| {
        for t in 0..8 {
            let (s, barrier) = (&sessions[t % 2], &barrier);
            scope.spawn(move || {
                for i in 0..10 {
                    if i == 5 {
                        barrier.wait(); // all at half-way
                        barrier.wait(); // tokens expired
                    }
                    h.call(s, &GetUserLicences).expect("call");
                }
            });
        }
        barrier.wait();
        mock.expire_tokens();
        barrier.wait();
    });
    assert_eq!(mock.stats().token_requests, 4, "two mints per user");
    let mut checked = 0;
    for r in mock
        .requests()
        .iter()
        .filter(|r| r.path().starts_with("/crm/"))
    {
        let agent = r.header("user-agent").unwrap_or_default();
        let token = r
            .header("authorization")
            .and_then(|a| a.strip_prefix("Zoho-oauthtoken "))
            .expect("every API request is authenticated");
        let (_, expected) = users
            .iter()
            .find(|(a, _)| *a == agent)
            .expect("known agent");
        assert_eq!(
            mock.access_token_owner(token).as_deref(),
            Some(expected.as_str()),
            "{agent} sent another user's token"
        );
        checked += 1;
    }
    assert!(checked >= 2 + 80, "{checked}");
}

/// 50 concurrent calls on a session limited to 4 (2 heavy), each answered after 200 ms: the
/// server never sees more than 4 at once (2 for COQL), all succeed, and the default limit
/// holds 50 calls to 10.
pub fn concurrency_limit_queues_bursts(h: &impl Harness) {
    let run = |limits: Option<ConcurrencyLimits>, calls: usize, coql: bool| {
        let mock = BlockingMock::start().expect("mock");
        let mut s = session_on(&mock, Arc::default());
        if let Some(l) = limits {
            s = s.with_concurrency(l);
        }
        let s = Arc::new(s);
        h.call(&s, &GetUserLicences).expect("first call");
        // Long enough that queued calls overlap at the server even on a loaded machine.
        mock.inject(Fault::times(FaultKind::Delay(Duration::from_millis(200)), 500).on("/crm/"));
        let query = CoqlQuery::new(
            Coql::select(["Last_Name"])
                .from("Leads")
                .filter(zohocrm_core::records::Cond::is_not_null("Last_Name"))
                .limit(1),
        );
        std::thread::scope(|scope| {
            let threads: Vec<_> = (0..calls)
                .map(|_| {
                    scope.spawn(|| {
                        if coql {
                            h.call(&s, &query).map(|_| ())
                        } else {
                            h.call(&s, &GetUserLicences).map(|_| ())
                        }
                    })
                })
                .collect();
            for t in threads {
                t.join().unwrap().expect("a queued call succeeds");
            }
        });
        assert_eq!(s.limiter().in_flight(), 0, "every permit given back");
        (mock.stats().max_in_flight, s.limiter().peak())
    };
    let (server, client) = run(Some(ConcurrencyLimits::new(4, 2)), 50, false);
    assert!(server <= 4 && client <= 4, "{server} {client}");
    assert!(server >= 2, "calls did overlap: {server}");
    let (server, client) = run(Some(ConcurrencyLimits::new(4, 2)), 12, true);
    assert!(server <= 2 && client <= 2, "heavy: {server} {client}");
    let (server, client) = run(None, 50, false);
    assert!(server <= 10 && client <= 10, "default: {server} {client}");
    assert!(server >= 5, "the default lets calls overlap: {server}");
}
