//! Exchange scenarios (`fixtures/scenarios/*.json`): token refresh, 401 replay, retries. A replay
//! transport answers each request with the next recorded response, a manual clock advances to
//! the end of every Backoff step, the token store steps are performed on the session's store
//! (they are not listed), and jitter is fixed, so the list of steps is deterministic.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use zohocrm_core::{
    Context, Credentials, DataCenter, Environment, Exchange, MemoryTokenStore, Session, Step,
    StoredToken, TokenStore, TransportError, TransportErrorKind,
};

use crate::driving::{fail, poll, respond, t0};
use crate::harness::{find_op, render_request, render_result, Dyn};

fn session_for(fixture: &zohocrm_fixtures::Fixture) -> Arc<Session> {
    let preset = fixture.session.clone();
    let grant = preset.as_ref().and_then(|p| p.grant.clone());
    let credentials = match grant.as_deref() {
        Some("client_credentials") => Credentials::ClientCredentials {
            client_id: "fake-client-id".into(),
            client_secret: "fake-client-secret".into(),
            org_id: "fake-org-1".into(),
            scope: "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL".into(),
        },
        _ => {
            Credentials::refresh_token("fake-client-id", "fake-client-secret", "fake-refresh-token")
        }
    };
    let store = Arc::new(MemoryTokenStore::new());
    if let Some(cached) = preset.and_then(|p| p.cached_token) {
        let mut token = StoredToken {
            access_token: Some(cached.access_token.into()),
            expires_at_unix: 0,
            refresh_token: None,
            api_domain: None,
            scope: None,
        };
        let secs = cached.expires_in;
        token.set_expires_at(if secs >= 0 {
            t0() + Duration::from_secs(secs as u64)
        } else {
            t0() - Duration::from_secs(secs.unsigned_abs())
        });
        store.save(&token).unwrap();
    }
    Arc::new(
        Session::new(
            Context::new(DataCenter::Us, Environment::Production),
            credentials,
        )
        .with_store(store),
    )
}

fn transport_error(kind: &str) -> TransportError {
    let k = match kind {
        "connect" => TransportErrorKind::Connect,
        "timeout" => TransportErrorKind::Timeout,
        "io" => TransportErrorKind::Io,
        other => panic!("unknown transport_error `{other}`"),
    };
    TransportError::new(k, format!("simulated {kind} failure"))
}

fn run(fixture: &zohocrm_fixtures::Fixture, path: &std::path::Path) -> Value {
    let session = session_for(fixture);
    let endpoint = Dyn {
        op: find_op(&fixture.operation),
        input: fixture.input.clone(),
    };
    let mut exchange = Exchange::new(session.clone(), &endpoint, 7);
    let mut now = t0();
    let mut steps = Vec::new();
    let mut replies = fixture.exchanges.iter();
    for _ in 0..64 {
        match poll(&mut exchange, now) {
            Step::Send(request) => {
                let recorded = replies.next().unwrap_or_else(|| {
                    panic!(
                        "{}: unexpected extra request {}",
                        path.display(),
                        request.uri()
                    )
                });
                if let Some(diff) = recorded.request.mismatch(&request) {
                    panic!(
                        "{}: request differs from the recording: {diff}",
                        path.display()
                    );
                }
                let mut step = json!({ "send": render_request(&request) });
                match &recorded.response.transport_error {
                    Some(kind) => {
                        step["transport_error"] = json!(kind);
                        fail(&mut exchange, now, transport_error(kind));
                    }
                    None => {
                        let response = recorded.response.to_http().unwrap();
                        step["status"] = json!(response.status().as_u16());
                        respond(&mut exchange, now, response);
                    }
                }
                steps.push(step);
            }
            Step::Backoff(until) => {
                let d = until.saturating_duration_since(crate::driving::instant(now));
                steps.push(json!({ "sleep_ms": d.as_millis() as u64 }));
                now += d;
            }
            Step::Done(result) => {
                assert!(
                    replies.next().is_none(),
                    "{}: recorded exchanges were not all used",
                    path.display()
                );
                return json!({
                    "operation": fixture.operation,
                    "steps": steps,
                    "result": render_result(&result),
                    "token_mints": session.mint_count(),
                    "api_attempts": exchange.attempts(),
                });
            }
            other => panic!("{}: unexpected {other:?}", path.display()),
        }
    }
    panic!(
        "{}: the exchange did not finish in 64 steps",
        path.display()
    );
}

#[test]
fn scenarios() {
    insta::glob!("../../../../fixtures", "scenarios/*.json", |path| {
        let fixture = zohocrm_fixtures::load(path).unwrap();
        insta::assert_json_snapshot!(run(&fixture, path));
    });
}
