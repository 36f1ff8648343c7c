//! The scope preflight: a call whose operation needs a scope the token was not granted fails
//! with `Error::Scope` before its request is sent; unknown scopes never block.

use std::sync::Arc;

use zohocrm_core::features::GetUserLicences;
use zohocrm_core::records::{CoqlQuery, ListRecords};
use zohocrm_core::registry::Call;
use zohocrm_core::scopes::GrantedScopes;
use zohocrm_core::{
    AccessToken, Context, Credentials, DataCenter, Environment, Error, Exchange, Session, Step,
    StoredToken, TokenStore,
};

use crate::driving::{poll, respond, t0};

fn context() -> Context {
    Context::new(DataCenter::Eu, Environment::Production)
}

fn fixed(scopes: Option<&str>) -> Arc<Session> {
    let s = Session::new(context(), Credentials::AccessToken(AccessToken::new("tok")));
    Arc::new(match scopes {
        Some(text) => s.with_granted_scopes(GrantedScopes::parse(text)),
        None => s,
    })
}

fn refreshing() -> Session {
    Session::new(
        context(),
        Credentials::refresh_token("fake-client-id", "fake-client-secret", "fake-refresh-token"),
    )
}

fn coql() -> CoqlQuery {
    CoqlQuery::raw("select Last_Name from Leads where Last_Name is not null limit 10")
}

fn token_answer(scope: Option<&str>) -> http::Response<Vec<u8>> {
    let scope = scope
        .map(|s| format!(r#","scope":"{s}""#))
        .unwrap_or_default();
    let body = format!(r#"{{"access_token":"fake-access-1","expires_in":3600{scope}}}"#);
    http::Response::builder()
        .status(200)
        .body(body.into_bytes())
        .unwrap()
}

fn refused<T: std::fmt::Debug>(step: Step<T>) -> zohocrm_core::ScopeError {
    match step {
        Step::Done(Err(Error::Scope(e))) => e,
        other => panic!("expected a scope refusal, got {other:?}"),
    }
}

#[test]
fn a_configured_grant_without_coql_refuses_coql_before_sending() {
    let s = fixed(Some("ZohoCRM.modules.ALL,ZohoCRM.settings.ALL"));
    let q = coql();
    let mut ex = Exchange::new(s.clone(), &q, 1);
    // The very first step is the refusal: no request of any kind.
    let e = refused(poll(&mut ex, t0()));
    assert_eq!(e.operation, "coql.get_records");
    assert_eq!(e.missing, ["ZohoCRM.coql.READ"]);
    assert_eq!(e.granted, ["ZohoCRM.modules.ALL", "ZohoCRM.settings.ALL"]);
    assert_eq!(ex.attempts(), 0);
    let text = Error::Scope(e).to_string();
    assert!(
        text.contains("coql.get_records") && text.contains("ZohoCRM.coql.READ"),
        "{text}"
    );
    // The same session still makes the calls its scopes allow.
    let list = ListRecords::new("Leads", ["Last_Name"]);
    let mut ok = Exchange::new(s, &list, 2);
    assert!(matches!(poll(&mut ok, t0()), Step::Send(_)));
}

#[test]
fn narrower_and_broader_grants_let_calls_through() {
    for granted in [
        "ZohoCRM.coql.READ ZohoCRM.modules.leads.READ",
        "ZohoCRM.coql.READ,ZohoCRM.modules.ALL",
    ] {
        let q = coql();
        let mut ex = Exchange::new(fixed(Some(granted)), &q, 1);
        assert!(matches!(poll(&mut ex, t0()), Step::Send(_)), "{granted}");
    }
}

#[test]
fn unknown_scopes_never_block() {
    // Nothing configured, nothing learned: no preflight.
    let q = coql();
    let mut ex = Exchange::new(fixed(None), &q, 1);
    assert!(matches!(poll(&mut ex, t0()), Step::Send(_)));
    // Turned off.
    let s = Session::new(context(), Credentials::AccessToken(AccessToken::new("tok")))
        .with_granted_scopes(GrantedScopes::parse("ZohoCRM.users.ALL"))
        .with_scope_preflight(false);
    let mut ex = Exchange::new(Arc::new(s), &q, 1);
    assert!(matches!(poll(&mut ex, t0()), Step::Send(_)));
}

#[test]
fn calls_by_id_are_checked_by_their_operation() {
    let s = fixed(Some("ZohoCRM.modules.ALL"));
    let call = Call::new("features.get_user_licences_count", serde_json::Value::Null).unwrap();
    let mut ex = Exchange::new(s.clone(), call, 1);
    let e = refused(poll(&mut ex, t0()));
    assert_eq!(e.operation, "features.get_user_licences_count");
    assert_eq!(e.missing, ["ZohoCRM.features.READ"]);
    let mut typed = Exchange::new(s, GetUserLicences, 1);
    refused(poll(&mut typed, t0()));
}

#[test]
fn scopes_of_the_token_answer_are_learned_and_stored() {
    let s = Arc::new(refreshing());
    let q = coql();
    let mut ex = Exchange::new(s.clone(), &q, 1);
    // Unknown yet: the token is minted.
    let Step::Send(r) = poll(&mut ex, t0()) else {
        panic!("a token request first")
    };
    assert_eq!(r.uri().path(), "/oauth/v2/token");
    respond(
        &mut ex,
        t0(),
        token_answer(Some("ZohoCRM.modules.ALL ZohoCRM.settings.ALL")),
    );
    // Then the API request is refused, unsent.
    let e = refused(poll(&mut ex, t0()));
    assert_eq!(e.missing, ["ZohoCRM.coql.READ"]);
    assert_eq!(ex.attempts(), 0);
    assert_eq!(
        s.granted_scopes().unwrap().as_slice(),
        ["ZohoCRM.modules.ALL", "ZohoCRM.settings.ALL"]
    );
    // Saved with the token, so another process adopting it knows them too.
    let zohocrm_core::token_store::Store::Blocking(store) = s.store().clone() else {
        panic!("memory store")
    };
    let saved = store.load().unwrap().unwrap();
    assert_eq!(
        saved.scope.as_deref(),
        Some("ZohoCRM.modules.ALL,ZohoCRM.settings.ALL")
    );
}

#[test]
fn a_token_answer_without_scope_falls_back_to_the_configuration() {
    let s = Arc::new(refreshing().with_granted_scopes(GrantedScopes::parse("ZohoCRM.modules.ALL")));
    let list = ListRecords::new("Leads", ["Last_Name"]);
    let mut ex = Exchange::new(s.clone(), &list, 1);
    assert!(matches!(poll(&mut ex, t0()), Step::Send(_)));
    respond(&mut ex, t0(), token_answer(None));
    assert!(matches!(poll(&mut ex, t0()), Step::Send(_)));
    assert_eq!(
        s.granted_scopes().unwrap().as_slice(),
        ["ZohoCRM.modules.ALL"]
    );
    let q = coql();
    refused(poll(&mut Exchange::new(s, &q, 2), t0()));
}

#[test]
fn scopes_of_a_stored_token_are_adopted() {
    let store = Arc::new(zohocrm_core::MemoryTokenStore::new());
    let mut token = StoredToken {
        access_token: Some(AccessToken::new("stored")),
        expires_at_unix: 0,
        refresh_token: Some("fake-refresh-token".into()),
        api_domain: None,
        scope: Some("ZohoCRM.settings.ALL".into()),
    };
    token.set_expires_at(t0() + std::time::Duration::from_secs(3000));
    store.save(&token).unwrap();
    let s = Arc::new(refreshing().with_store(store));
    let list = ListRecords::new("Leads", ["Last_Name"]);
    let mut ex = Exchange::new(s.clone(), &list, 1);
    // The store is read first (a fresh token there): the call is refused, nothing sent.
    let e = refused(poll(&mut ex, t0()));
    assert_eq!(e.operation, "record.get_records");
    assert_eq!(e.missing, ["ZohoCRM.modules.ALL"]);
}

#[test]
fn client_credentials_grant_what_they_ask_for() {
    let s = Session::new(
        context(),
        Credentials::ClientCredentials {
            client_id: "id".into(),
            client_secret: "secret".into(),
            org_id: "1".into(),
            scope: "ZohoCRM.modules.ALL".into(),
        },
    );
    let q = coql();
    refused(poll(&mut Exchange::new(Arc::new(s), &q, 1), t0()));
}
