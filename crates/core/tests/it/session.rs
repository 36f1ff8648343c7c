//! Session behaviour across exchanges: single-flight refresh, cancelled refreshes, stores.

use std::sync::Arc;
use std::time::Duration;

use zohocrm_core::features::GetUserLicences;
use zohocrm_core::{
    AuthErrorKind, Context, Credentials, DataCenter, Environment, Error, Exchange, FileTokenStore,
    Session, Step, TokenStore,
};

use crate::driving::{poll, respond, t0};

fn session() -> Session {
    Session::new(
        Context::new(DataCenter::Eu, Environment::Production),
        Credentials::refresh_token("fake-client-id", "fake-client-secret", "fake-refresh-token"),
    )
}

fn shared() -> Arc<Session> {
    Arc::new(session())
}

fn token_response(api_domain: &str) -> http::Response<Vec<u8>> {
    let body = format!(
        r#"{{"access_token":"fake-access-1","api_domain":"{api_domain}","token_type":"Bearer","expires_in":3600}}"#
    );
    http::Response::builder()
        .status(200)
        .body(body.into_bytes())
        .unwrap()
}

fn is_token_request(step: &Step<impl std::fmt::Debug>) -> bool {
    matches!(step, Step::Send(r) if r.uri().path() == "/oauth/v2/token")
}

#[test]
fn only_one_exchange_refreshes_at_a_time() {
    let s = shared();
    let ep = GetUserLicences;
    let mut a = Exchange::new(s.clone(), &ep, 1);
    let mut b = Exchange::new(s.clone(), &ep, 2);
    let step_a = poll(&mut a, t0());
    assert!(is_token_request(&step_a), "{step_a:?}");
    // b must wait for a's refresh instead of minting a second token.
    let step_b = poll(&mut b, t0());
    assert!(matches!(step_b, Step::Backoff(_)), "{step_b:?}");
    respond(&mut a, t0(), token_response("https://www.zohoapis.eu"));
    let later = t0() + Duration::from_millis(20);
    for ex in [&mut a, &mut b] {
        match poll(ex, later) {
            Step::Send(r) => {
                assert_eq!(r.uri().host(), Some("www.zohoapis.eu"));
                assert_eq!(
                    r.headers()["authorization"].to_str().unwrap(),
                    "Zoho-oauthtoken fake-access-1"
                );
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(s.mint_count(), 1);
}

#[test]
fn a_dropped_refresh_releases_the_lease() {
    let s = shared();
    let ep = GetUserLicences;
    {
        let mut a = Exchange::new(s.clone(), &ep, 1);
        assert!(is_token_request(&poll(&mut a, t0())));
        // a is cancelled (e.g. its future dropped) while the token request is in flight.
    }
    let mut b = Exchange::new(s.clone(), &ep, 2);
    assert!(is_token_request(&poll(&mut b, t0())));
}

#[test]
fn a_stuck_refresh_is_taken_over_after_the_lease_expires() {
    let s = shared();
    let ep = GetUserLicences;
    let mut a = Exchange::new(s.clone(), &ep, 1);
    assert!(is_token_request(&poll(&mut a, t0())));
    let mut b = Exchange::new(s.clone(), &ep, 2);
    assert!(matches!(poll(&mut b, t0()), Step::Backoff(_)));
    assert!(is_token_request(&poll(
        &mut b,
        t0() + Duration::from_secs(61)
    )));
}

#[test]
fn a_foreign_api_domain_is_never_adopted() {
    let s = shared();
    let ep = GetUserLicences;
    let mut a = Exchange::new(s.clone(), &ep, 1);
    assert!(is_token_request(&poll(&mut a, t0())));
    respond(&mut a, t0(), token_response("https://www.zohoapis.com"));
    match poll(&mut a, t0()) {
        Step::Send(r) => assert_eq!(r.uri().host(), Some("www.zohoapis.eu")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_file_store_shares_tokens_between_sessions() {
    let dir = std::env::temp_dir().join(format!("zohocrm-it-{}", std::process::id()));
    let path = dir.join("token.json");
    let store: Arc<dyn TokenStore> = Arc::new(FileTokenStore::new(&path));
    let first = Arc::new(session().with_store(store.clone()));
    let ep = GetUserLicences;
    let mut a = Exchange::new(first.clone(), &ep, 1);
    assert!(is_token_request(&poll(&mut a, t0())));
    respond(&mut a, t0(), token_response("https://sandbox.zohoapis.eu"));
    // The save is a's next step (its driver performs it before the API request).
    assert!(matches!(poll(&mut a, t0()), Step::Send(_)));
    // A second session (another process, say) finds the token in the file: no new mint.
    let second = Arc::new(session().with_store(Arc::new(FileTokenStore::new(&path))));
    let mut b = Exchange::new(second.clone(), &ep, 2);
    match poll(&mut b, t0() + Duration::from_secs(5)) {
        Step::Send(r) => assert_eq!(r.uri().host(), Some("sandbox.zohoapis.eu")),
        other => panic!("{other:?}"),
    }
    assert_eq!(second.mint_count(), 0);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("fake-client-secret"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn no_refresh_token_is_a_clear_auth_error() {
    let s = Arc::new(Session::new(
        Context::new(DataCenter::Us, Environment::Production),
        Credentials::RefreshToken {
            client_id: "fake-client-id".into(),
            client_secret: "fake-client-secret".into(),
            refresh_token: None,
        },
    ));
    let ep = GetUserLicences;
    let mut a = Exchange::new(s.clone(), &ep, 1);
    match poll(&mut a, t0()) {
        Step::Done(Err(Error::Auth(e))) => assert_eq!(e.kind, AuthErrorKind::NoCredentials),
        other => panic!("{other:?}"),
    }
}

#[test]
fn secrets_never_show_in_debug() {
    let s = shared();
    let text = format!("{s:?}");
    assert!(!text.contains("fake-client-secret"), "{text}");
    assert!(!text.contains("fake-refresh-token"), "{text}");
}

fn invalid_token() -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(401)
        .body(
            br#"{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}"#
                .to_vec(),
        )
        .unwrap()
}

/// A `401 INVALID_TOKEN` is answered by one refresh and one replay; when the replay, sent with
/// the token minted after the first 401, is refused too, the call fails with
/// `AuthErrorKind::TokenRejected` (not a plain API error), and no third token is minted.
#[test]
fn a_freshly_minted_token_rejected_again_is_token_rejected() {
    let s = shared();
    let ep = GetUserLicences;
    let mut ex = Exchange::new(s.clone(), &ep, 1);
    assert!(is_token_request(&poll(&mut ex, t0())));
    respond(&mut ex, t0(), token_response("https://www.zohoapis.eu"));
    assert!(matches!(poll(&mut ex, t0()), Step::Send(r) if r.uri().path().starts_with("/crm/")));
    respond(&mut ex, t0(), invalid_token());
    let step = poll(&mut ex, t0());
    assert!(
        is_token_request(&step),
        "a refresh after the first 401: {step:?}"
    );
    respond(&mut ex, t0(), token_response("https://www.zohoapis.eu"));
    assert!(matches!(poll(&mut ex, t0()), Step::Send(r) if r.uri().path().starts_with("/crm/")));
    respond(&mut ex, t0(), invalid_token());
    match poll(&mut ex, t0()) {
        Step::Done(Err(Error::Auth(a))) => {
            assert_eq!(a.kind, AuthErrorKind::TokenRejected, "{a}");
            assert_eq!(a.code.as_deref(), Some("INVALID_TOKEN"));
        }
        other => panic!("expected TokenRejected, got {other:?}"),
    }
    assert_eq!(s.mint_count(), 2);
    assert_eq!(ex.attempts(), 2);
}

/// A fixed access token cannot be refreshed: its 401 is Zoho's error as sent.
#[test]
fn a_fixed_token_rejected_is_the_api_error() {
    let s = Arc::new(Session::new(
        Context::new(DataCenter::Eu, Environment::Production),
        Credentials::AccessToken("fixed-token".into()),
    ));
    let ep = GetUserLicences;
    let mut ex = Exchange::new(s, &ep, 1);
    assert!(matches!(poll(&mut ex, t0()), Step::Send(_)));
    respond(&mut ex, t0(), invalid_token());
    match poll(&mut ex, t0()) {
        Step::Done(Err(e @ Error::Api { status: 401, .. })) => {
            assert_eq!(e.api_code().unwrap().as_str(), "INVALID_TOKEN")
        }
        other => panic!("expected the API error, got {other:?}"),
    }
}
