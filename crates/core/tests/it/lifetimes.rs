//! Hostile token lifetimes (issue 15, attack 1): a token answer claiming to live for
//! `2^64-1` seconds or `1e30`, and a token store whose expiry is past any clock, are clamped
//! and used; no sum on a clock overflows.

use std::sync::Arc;
use std::time::Duration;

use zohocrm_core::features::GetUserLicences;
use zohocrm_core::oauth::MAX_TOKEN_LIFETIME;
use zohocrm_core::{
    AccessToken, Context, Credentials, DataCenter, Environment, Exchange, FileTokenStore,
    MemoryTokenStore, Session, Step, StoredToken, TokenStore,
};

use crate::driving::{poll, respond, t0};

fn refreshing(store: Arc<dyn TokenStore>) -> Arc<Session> {
    Arc::new(
        Session::new(
            Context::new(DataCenter::Eu, Environment::Production),
            Credentials::refresh_token("id", "secret", "refresh"),
        )
        .with_store(store),
    )
}

fn stamped(step: Step<impl std::fmt::Debug>) -> String {
    match step {
        Step::Send(r) => r.headers()["authorization"].to_str().unwrap().to_owned(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_token_answer_living_forever_is_clamped() {
    for expires_in in ["18446744073709551615", "1e30", "\"18446744073709551615\""] {
        let store = Arc::new(MemoryTokenStore::new());
        let s = refreshing(store.clone());
        let mut a = Exchange::new(s.clone(), GetUserLicences, 1);
        assert!(matches!(poll(&mut a, t0()), Step::Send(_)), "token request");
        let body = format!(
            r#"{{"access_token":"forever","api_domain":"https://www.zohoapis.eu","expires_in":{expires_in}}}"#
        );
        respond(&mut a, t0(), http::Response::new(body.into_bytes()));
        assert_eq!(stamped(poll(&mut a, t0())), "Zoho-oauthtoken forever");
        let expires = s.token_expires_at().expect("known");
        assert!(
            expires <= t0() + MAX_TOKEN_LIFETIME,
            "{expires_in}: {expires:?}"
        );
        let saved = store.load().unwrap().expect("saved");
        assert!(saved.expires_at() <= t0() + MAX_TOKEN_LIFETIME);
        // A day later the clamped token is refreshed, not trusted forever.
        let mut b = Exchange::new(s.clone(), GetUserLicences, 2);
        match poll(&mut b, t0() + MAX_TOKEN_LIFETIME) {
            Step::Send(r) => assert_eq!(r.uri().path(), "/oauth/v2/token"),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_stored_expiry_past_any_clock_is_read_not_a_panic() {
    let dir = std::env::temp_dir().join(format!("zohocrm-forever-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("token.json");
    std::fs::write(
        &path,
        br#"{"access_token":"stored-forever","expires_at_unix":18446744073709551615}"#,
    )
    .unwrap();
    let memory = Arc::new(MemoryTokenStore::new());
    memory
        .save(&StoredToken {
            access_token: Some(AccessToken::new("stored-forever")),
            expires_at_unix: u64::MAX,
            refresh_token: None,
            api_domain: None,
            scope: None,
        })
        .unwrap();
    let stores: [Arc<dyn TokenStore>; 2] = [Arc::new(FileTokenStore::new(&path)), memory];
    for store in stores {
        let s = refreshing(store);
        let mut a = Exchange::new(s.clone(), GetUserLicences, 1);
        assert_eq!(
            stamped(poll(&mut a, t0())),
            "Zoho-oauthtoken stored-forever"
        );
        assert_eq!(s.mint_count(), 0);
        // Cached for at most the longest lifetime believed.
        let mut b = Exchange::new(s.clone(), GetUserLicences, 2);
        let later = t0() + MAX_TOKEN_LIFETIME + Duration::from_secs(1);
        match poll(&mut b, later) {
            Step::Send(r) => assert_eq!(r.uri().path(), "/crm/v8/__features/user_licenses"),
            other => panic!("{other:?}"),
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
