//! The PostgreSQL store: two users on one database, and a fleet on one row.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use zohocrm_core::config::TransportConfig;
use zohocrm_core::token_store::{StoredToken, TokenStore};
use zohocrm_core::{AccessToken, Context, Credentials, Session};
use zohocrm_mock::{BlockingMock, MockConfig};
use zohocrm_store::{PgTokenStore, StoreKey};

use crate::servers::{eventually, Postgres};
use crate::worker::Fleet;

const SECOND: &str = "mock-refresh-token-user-2";

#[test]
fn row_lock_and_owners() {
    let Some(pg) = Postgres::start() else { return };
    let key = StoreKey::new("client", "org", "1000.refresh-a");
    let a = PgTokenStore::open(&pg.url(), key.clone()).unwrap();
    let b = PgTokenStore::open(&pg.url(), key.clone()).unwrap();
    assert_eq!(a.load().unwrap(), None);
    let t = |s: &str| StoredToken {
        access_token: Some(AccessToken::new(s)),
        expires_at_unix: 4_000_000_000,
        refresh_token: None,
        api_domain: None,
        scope: None,
    };
    let held = a.try_lock_refresh().unwrap().expect("free");
    assert!(b.try_lock_refresh().unwrap().is_none(), "row locked by a");
    a.save_and_unlock(&t("t1"), held).unwrap();
    assert_eq!(b.load().unwrap(), Some(t("t1")));
    let held = b
        .try_lock_refresh()
        .unwrap()
        .expect("committed and released");
    b.unlock(held).unwrap();
    // A lock dropped without unlock (a cancelled call) ends with its connection.
    drop(
        a.try_lock_refresh()
            .unwrap()
            .expect("rolled back and released"),
    );
    eventually(
        "the dropped lock is released",
        Duration::from_secs(30),
        || b.try_lock_refresh().unwrap().is_some(),
    );
    let intruder = StoreKey::new("client", "org", "1000.refresh-b").with_user(key.user());
    let c = PgTokenStore::open(&pg.url(), intruder).unwrap();
    assert!(c.load().is_err());
    assert!(c.save(&t("evil")).is_err());
    assert!(c.try_lock_refresh().is_err());
    assert_eq!(a.load().unwrap(), Some(t("t1")));
}

/// Two users (two refresh tokens), four clients each, all on one PostgreSQL database, tokens
/// expiring half-way: every API request carries its own user's token, and each user mints
/// once per expiry.
#[test]
fn two_users_share_one_store_and_never_swap_tokens() {
    let Some(pg) = Postgres::start() else { return };
    let mock = BlockingMock::start_with(MockConfig {
        demo_data: false,
        extra_refresh_tokens: vec![SECOND.into()],
        ..MockConfig::default()
    })
    .expect("mock");
    let cfg = MockConfig::default();
    let base = mock.base_url();
    let users = [
        ("user-a", cfg.refresh_token.clone()),
        ("user-b", SECOND.to_owned()),
    ];
    let client = |agent: &str, refresh: &str| {
        let key = StoreKey::new(&cfg.client_id, "mock-org-1", refresh);
        let store = PgTokenStore::open(&pg.url(), key).unwrap();
        let session = Session::new(
            Context::custom(&base, &base, &base)
                .unwrap()
                .with_user_agent(agent),
            Credentials::refresh_token(
                cfg.client_id.clone(),
                cfg.client_secret.clone(),
                refresh.to_owned(),
            ),
        )
        .with_store(Arc::new(store));
        zohocrm_ureq::Client::with_session(
            zohocrm_ureq::UreqTransport::new(TransportConfig::default()),
            Arc::new(session),
        )
    };
    let clients: Vec<_> = (0..8)
        .map(|i| {
            let (agent, refresh) = &users[i % 2];
            client(agent, refresh)
        })
        .collect();
    let barrier = Barrier::new(9);
    std::thread::scope(|scope| {
        for c in &clients {
            let barrier = &barrier;
            scope.spawn(move || {
                for i in 0..10 {
                    if i == 5 {
                        barrier.wait();
                        barrier.wait();
                    }
                    c.user_licences().expect("call");
                }
            });
        }
        barrier.wait();
        mock.expire_tokens();
        barrier.wait();
    });
    assert_eq!(
        mock.stats().token_requests,
        4,
        "one mint per user per expiry"
    );
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
            .expect("authenticated");
        let (_, expected) = users.iter().find(|(a, _)| *a == agent).expect("agent");
        assert_eq!(
            mock.access_token_owner(token).as_deref(),
            Some(expected.as_str()),
            "{agent} sent another user's token"
        );
        checked += 1;
    }
    assert!(checked >= 80, "{checked}");
    // Two rows, one per owner; no column but `token` holds a secret.
    let mut db = postgres::Client::connect(&pg.url(), postgres::NoTls).unwrap();
    let rows = db
        .query(
            "SELECT client_id, org, user_key, owner FROM zohocrm_tokens",
            &[],
        )
        .unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        for i in 0..4 {
            let v: String = row.get(i);
            assert!(!v.contains("mock-refresh-token"), "{v}");
        }
    }
}

/// Two processes (blocking and async) × 4 clients on one PostgreSQL row: one mint per expiry.
#[test]
fn one_mint_per_expiry_on_postgres() {
    let Some(pg) = Postgres::start() else { return };
    let mock = BlockingMock::start_with(MockConfig {
        demo_data: false,
        ..MockConfig::default()
    })
    .expect("mock");
    let long = Duration::from_secs(120);
    let fleet = Fleet::spawn(
        &mock.base_url(),
        &pg.url(),
        &["blocking", "async"],
        4,
        Duration::from_secs(15),
    );
    eventually("the first mint", long, || mock.stats().mints >= 1);
    for k in 1..=3u64 {
        let from = mock.stats().api_requests;
        eventually("calls", long, || mock.stats().api_requests >= from + 40);
        mock.expire_tokens();
        eventually("a mint after the expiry", long, || mock.stats().mints > k);
    }
    let from = mock.stats().api_requests;
    eventually("calls", long, || mock.stats().api_requests >= from + 40);
    let outcomes = fleet.stop();
    for o in &outcomes {
        assert_eq!(o.failures, 0, "{} calls, errors: {:?}", o.calls, o.errors);
    }
    assert_eq!(mock.stats().token_requests, 4, "{:?}", mock.stats());
}
