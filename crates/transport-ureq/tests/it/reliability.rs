//! Reliability through the blocking `Client`: 16 threads × 10 calls sharing one expired token
//! mint exactly one new token; a client that has minted a token never shows it in `Debug`.

use crate::builder_for;
use std::time::Duration;

use zohocrm_mock::{BlockingMock, Fault, FaultKind, MockConfig};

#[test]
fn sixteen_threads_on_an_expired_token_mint_once() {
    let mock = BlockingMock::start().unwrap();
    let client = builder_for(&mock).build().unwrap();
    client.user_licences().expect("first call");
    mock.expire_tokens();
    let before = mock.stats();
    std::thread::scope(|scope| {
        for _ in 0..16 {
            let c = client.clone();
            scope.spawn(move || {
                for _ in 0..10 {
                    c.user_licences().expect("every call succeeds");
                }
            });
        }
    });
    let after = mock.stats();
    assert_eq!(after.token_requests - before.token_requests, 1, "{after:?}");
    assert_eq!(client.session().mint_count(), 2);
}

#[test]
fn builder_concurrency_limit_holds_a_burst() {
    let mock = BlockingMock::start().unwrap();
    let client = builder_for(&mock).concurrency_limit(3, 1).build().unwrap();
    client.user_licences().expect("first call");
    // Long enough that queued calls overlap at the server even on a loaded machine.
    mock.inject(Fault::times(FaultKind::Delay(Duration::from_millis(150)), 50).on("/crm/"));
    std::thread::scope(|scope| {
        for _ in 0..50 {
            let c = client.clone();
            scope.spawn(move || c.user_licences().expect("queued, not failed"));
        }
    });
    let stats = mock.stats();
    assert!((2..=3).contains(&stats.max_in_flight), "{stats:?}");
    assert_eq!(client.session().limiter().in_flight(), 0);
}

#[test]
fn a_client_with_a_token_keeps_it_out_of_debug() {
    let mock = BlockingMock::start().unwrap();
    let cfg = MockConfig::default();
    let client = builder_for(&mock).build().unwrap();
    client.user_licences().unwrap();
    for shown in [format!("{client:?}"), format!("{client:#?}")] {
        for secret in [
            "mock-access-1",
            cfg.client_secret.as_str(),
            cfg.refresh_token.as_str(),
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}
