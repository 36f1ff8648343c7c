//! Exchange-level reliability: concurrency permits (taken before the token is stamped, given
//! back on every path), short-lived tokens that must not loop the refresh, stored tokens of
//! another user, and the refresh lock of a shared store.

use std::sync::Arc;
use std::time::Duration;

use zohocrm_core::features::GetUserLicences;
use zohocrm_core::limit::{ConcurrencyLimits, Cost};
use zohocrm_core::records::{Coql, CoqlQuery};
use zohocrm_core::{
    AccessToken, AuthErrorKind, Context, Credentials, DataCenter, Environment, Error, Exchange,
    MemoryTokenStore, RefreshToken, Session, Step, StoreLock, StoredToken, TokenStore,
    TransportError, TransportErrorKind,
};

use crate::driving::{fail, poll, respond, t0};

fn session_with_token() -> Session {
    Session::new(
        Context::new(DataCenter::Eu, Environment::Production),
        Credentials::AccessToken("fixed".into()),
    )
}

fn refreshing() -> Session {
    Session::new(
        Context::new(DataCenter::Eu, Environment::Production),
        Credentials::refresh_token("id", "secret", "refresh"),
    )
}

fn ok_licences() -> http::Response<Vec<u8>> {
    let body = br#"{"__features":[{"api_name":"user_licenses","details":{"available_count":{"total":3},"used_count":{"total":7},"limits":{"total":10}}}]}"#;
    http::Response::new(body.to_vec())
}

fn token(expires_in: u64, access: &str) -> http::Response<Vec<u8>> {
    let body = format!(
        r#"{{"access_token":"{access}","api_domain":"https://www.zohoapis.eu","expires_in":{expires_in}}}"#
    );
    http::Response::new(body.into_bytes())
}

#[test]
fn permits_queue_calls_and_come_back_on_every_path() {
    let s = Arc::new(session_with_token().with_concurrency(ConcurrencyLimits::new(2, 1)));
    let ep = GetUserLicences;
    let mut a = Exchange::new(s.clone(), &ep, 1);
    let mut b = Exchange::new(s.clone(), &ep, 2);
    let mut c = Exchange::new(s.clone(), &ep, 3);
    assert!(matches!(poll(&mut a, t0()), Step::Send(_)));
    assert!(matches!(poll(&mut b, t0()), Step::Send(_)));
    // The third waits for a permit of its cost (drivers that know nothing of permits sleep
    // briefly and poll again).
    assert!(matches!(poll(&mut c, t0()), Step::Permit(Cost::NORMAL)));
    assert_eq!(c.waiting_for_permit(), Some(Cost::NORMAL));
    assert_eq!(s.limiter().in_flight(), 2);
    respond(&mut a, t0(), ok_licences());
    assert_eq!(s.limiter().in_flight(), 1, "given back on a response");
    assert!(matches!(poll(&mut c, t0()), Step::Send(_)));
    fail(
        &mut b,
        t0(),
        TransportError::new(TransportErrorKind::Other, "x"),
    );
    assert_eq!(
        s.limiter().in_flight(),
        1,
        "given back on a transport error"
    );
    drop(c);
    assert_eq!(
        s.limiter().in_flight(),
        0,
        "given back when dropped mid-flight"
    );
    assert!(matches!(poll(&mut a, t0()), Step::Done(Ok(_))));
    assert!(matches!(poll(&mut b, t0()), Step::Done(Err(_))));
    assert_eq!(s.limiter().peak(), 2);
}

#[test]
fn heavy_calls_have_their_own_limit() {
    let s = Arc::new(session_with_token().with_concurrency(ConcurrencyLimits::new(4, 1)));
    let q = CoqlQuery::new(Coql::select(["Last_Name"]).from("Leads").limit(10));
    let mut a = Exchange::new(s.clone(), &q, 1);
    let mut b = Exchange::new(s.clone(), &q, 2);
    assert!(matches!(poll(&mut a, t0()), Step::Send(_)));
    assert!(matches!(poll(&mut b, t0()), Step::Permit(Cost::HEAVY)));
    assert_eq!(b.waiting_for_permit(), Some(Cost::HEAVY));
    // An ordinary call still fits next to the heavy one.
    let ep = GetUserLicences;
    let mut c = Exchange::new(s.clone(), &ep, 3);
    assert!(matches!(poll(&mut c, t0()), Step::Send(_)));
    assert_eq!(s.limiter().peak_heavy(), 1);
}

#[test]
fn the_token_is_stamped_after_the_permit_wait() {
    // A call that queued while the token was refreshed goes out with the new token.
    let s = Arc::new(refreshing().with_concurrency(ConcurrencyLimits::new(1, 1)));
    let ep = GetUserLicences;
    let mut a = Exchange::new(s.clone(), &ep, 1);
    assert!(matches!(poll(&mut a, t0()), Step::Send(_)), "token request");
    respond(&mut a, t0(), token(3600, "first"));
    assert!(
        matches!(poll(&mut a, t0()), Step::Send(_)),
        "a holds the permit"
    );
    let mut b = Exchange::new(s.clone(), &ep, 2);
    assert!(matches!(poll(&mut b, t0()), Step::Permit(_)));
    // a is rejected: the token is refreshed while b waits.
    respond(&mut a,
        t0(),
        http::Response::builder()
            .status(401)
            .body(br#"{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}"#.to_vec())
            .unwrap(),
    );
    assert!(matches!(poll(&mut a, t0()), Step::Send(r) if r.uri().path() == "/oauth/v2/token"));
    respond(&mut a, t0(), token(3600, "second"));
    match poll(&mut b, t0()) {
        Step::Send(r) => assert_eq!(r.headers()["authorization"], "Zoho-oauthtoken second"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_token_shorter_lived_than_the_margin_is_used_not_refreshed_in_a_loop() {
    let s = Arc::new(refreshing().with_refresh_margin(Duration::from_secs(120)));
    let ep = GetUserLicences;
    let mut a = Exchange::new(s.clone(), &ep, 1);
    assert!(matches!(poll(&mut a, t0()), Step::Send(_)));
    respond(&mut a, t0(), token(60, "short"));
    match poll(&mut a, t0()) {
        Step::Send(r) => assert_eq!(r.headers()["authorization"], "Zoho-oauthtoken short"),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.mint_count(), 1);
}

#[test]
fn tokens_that_are_never_usable_stop_the_call() {
    // Tokens that are born expired cannot be used; the call stops after a bounded number of
    // token requests instead of spending Zoho's 10 mints per 10 minutes.
    let s = Arc::new(refreshing());
    let ep = GetUserLicences;
    let mut a = Exchange::new(s.clone(), &ep, 1);
    let mut token_requests = 0;
    loop {
        match poll(&mut a, t0()) {
            Step::Send(_) => {
                token_requests += 1;
                respond(&mut a, t0(), token(0, "dead"));
            }
            Step::Done(result) => {
                match result {
                    Err(Error::Auth(e)) => assert_eq!(e.kind, AuthErrorKind::BadResponse),
                    other => panic!("{other:?}"),
                }
                break;
            }
            other => panic!("no wait expected: {other:?}"),
        }
    }
    assert_eq!(token_requests, s.retry_policy().max_attempts + 2);
}

#[test]
fn a_stored_token_of_another_refresh_token_is_never_used_nor_overwritten() {
    let store = Arc::new(MemoryTokenStore::new());
    let mut theirs = StoredToken {
        access_token: Some(AccessToken::new("their-access")),
        expires_at_unix: 0,
        refresh_token: Some(RefreshToken::new("their-refresh")),
        api_domain: None,
        scope: None,
    };
    theirs.set_expires_at(t0() + Duration::from_secs(3600));
    store.save(&theirs).unwrap();
    let s = Arc::new(
        Session::new(
            Context::new(DataCenter::Eu, Environment::Production),
            Credentials::refresh_token("id", "secret", "my-refresh"),
        )
        .with_store(store.clone()),
    );
    let ep = GetUserLicences;
    let mut a = Exchange::new(s.clone(), &ep, 1);
    match poll(&mut a, t0()) {
        Step::Send(r) => assert_eq!(r.uri().path(), "/oauth/v2/token", "refreshes as me"),
        other => panic!("{other:?}"),
    }
    respond(&mut a, t0(), token(3600, "my-access"));
    match poll(&mut a, t0()) {
        Step::Send(r) => assert_eq!(r.headers()["authorization"], "Zoho-oauthtoken my-access"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        store.load().unwrap(),
        Some(theirs),
        "their token is left alone"
    );
    assert!(s.last_store_error().is_some());
}

/// A store whose refresh lock is held by "another process".
#[derive(Default)]
struct Busy {
    inner: MemoryTokenStore,
    busy: std::sync::atomic::AtomicBool,
}

impl TokenStore for Busy {
    fn load(&self) -> Result<Option<StoredToken>, zohocrm_core::token_store::StoreError> {
        self.inner.load()
    }
    fn save(&self, t: &StoredToken) -> Result<(), zohocrm_core::token_store::StoreError> {
        self.inner.save(t)
    }
    fn clear(&self) -> Result<(), zohocrm_core::token_store::StoreError> {
        self.inner.clear()
    }
    fn try_lock_refresh(&self) -> Result<Option<StoreLock>, zohocrm_core::token_store::StoreError> {
        if self.busy.load(std::sync::atomic::Ordering::SeqCst) {
            Ok(None)
        } else {
            Ok(Some(StoreLock::none()))
        }
    }
}

#[test]
fn a_refresh_locked_elsewhere_is_waited_for_then_read() {
    let store = Arc::new(Busy::default());
    store.busy.store(true, std::sync::atomic::Ordering::SeqCst);
    let s = Arc::new(refreshing().with_store(store.clone()));
    let ep = GetUserLicences;
    let mut a = Exchange::new(s.clone(), &ep, 1);
    assert!(
        matches!(poll(&mut a, t0()), Step::Backoff(_)),
        "waits for the other process"
    );
    // The other process saves its token and releases the lock.
    let mut saved = StoredToken {
        access_token: Some(AccessToken::new("from-elsewhere")),
        expires_at_unix: 0,
        refresh_token: None,
        scope: None,
        api_domain: None,
    };
    saved.set_expires_at(t0() + Duration::from_secs(3600));
    store.inner.save(&saved).unwrap();
    store.busy.store(false, std::sync::atomic::Ordering::SeqCst);
    match poll(&mut a, t0() + Duration::from_millis(20)) {
        Step::Send(r) => assert_eq!(
            r.headers()["authorization"],
            "Zoho-oauthtoken from-elsewhere"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.mint_count(), 0);
    // A holder that never lets go is waited for one lease timeout (60 s), then bypassed.
    let stuck = Arc::new(Busy::default());
    stuck.busy.store(true, std::sync::atomic::Ordering::SeqCst);
    let s = Arc::new(refreshing().with_store(stuck));
    let mut b = Exchange::new(s.clone(), &ep, 2);
    assert!(matches!(poll(&mut b, t0()), Step::Backoff(_)));
    let later = t0() + Duration::from_secs(61);
    assert!(matches!(poll(&mut b, later), Step::Send(r) if r.uri().path() == "/oauth/v2/token"));
}

#[test]
fn a_token_that_cannot_be_a_header_is_an_auth_error() {
    let fixed = Arc::new(Session::new(
        Context::new(DataCenter::Eu, Environment::Production),
        Credentials::AccessToken("bad\ntoken".into()),
    ));
    let minted = Arc::new(refreshing());
    for s in [fixed, minted] {
        let ep = GetUserLicences;
        let mut a = Exchange::new(s.clone(), &ep, 1);
        let step = loop {
            match poll(&mut a, t0()) {
                Step::Send(r) if r.uri().path() == "/oauth/v2/token" => {
                    respond(&mut a, t0(), token(3600, "bad\\ntoken"))
                }
                other => break other,
            }
        };
        match step {
            Step::Done(Err(Error::Auth(e))) => {
                assert_eq!(e.kind, AuthErrorKind::BadResponse);
                assert!(e.message.contains("header"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        assert!(s.mint_count() <= 1);
    }
}
