//! Reliability through the async `Client`: 100 tasks on a multi-thread runtime sharing one
//! expired token mint exactly one new token; the builder's concurrency limit holds a burst of 50
//! tasks to it; a client that has minted a token never shows it in `Debug`.

use crate::builder_for;
use std::time::Duration;

use zohocrm_mock::{Fault, FaultKind, MockConfig, MockZoho};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_tasks_on_an_expired_token_mint_once() {
    let mock = MockZoho::start().await.unwrap();
    let client = builder_for(&mock).build().unwrap();
    client.user_licences().await.expect("first call");
    mock.expire_tokens();
    let before = mock.stats();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.user_licences().await })
        })
        .collect();
    for t in tasks {
        t.await.expect("no panic").expect("every call succeeds");
    }
    let after = mock.stats();
    assert_eq!(after.token_requests - before.token_requests, 1, "{after:?}");
    assert_eq!(client.session().mint_count(), 2);
    let rejected = after.api_requests - before.api_requests - 100;
    assert!(
        (1..=10).contains(&rejected),
        "{rejected} calls went out with the old token"
    );
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builder_concurrency_limit_holds_a_burst() {
    let mock = MockZoho::start().await.unwrap();
    let client = builder_for(&mock).concurrency_limit(3, 1).build().unwrap();
    client.user_licences().await.expect("first call");
    // Long enough that queued calls overlap at the server even on a loaded machine.
    mock.inject(Fault::times(FaultKind::Delay(Duration::from_millis(150)), 50).on("/crm/"));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.user_licences().await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().expect("queued, not failed");
    }
    let stats = mock.stats();
    assert!(stats.max_in_flight <= 3, "{stats:?}");
    assert!(stats.max_in_flight >= 2, "{stats:?}");
    assert_eq!(client.session().limiter().peak(), 3);
    assert_eq!(client.session().limiter().in_flight(), 0);
    // Cancelled tasks give their permits back.
    mock.inject(Fault::times(FaultKind::Delay(Duration::from_secs(2)), 20).on("/crm/"));
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.user_licences().await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    for t in &tasks {
        t.abort();
    }
    for t in tasks {
        let _ = t.await;
    }
    assert_eq!(
        client.session().limiter().in_flight(),
        0,
        "aborted calls release"
    );
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_with_a_token_keeps_it_out_of_debug() {
    let mock = MockZoho::start().await.unwrap();
    let cfg = MockConfig::default();
    let client = builder_for(&mock).build().unwrap();
    client.user_licences().await.unwrap();
    for shown in [format!("{client:?}"), format!("{client:#?}")] {
        for secret in [
            "mock-access-1",
            cfg.client_secret.as_str(),
            cfg.refresh_token.as_str(),
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
    mock.shutdown().await;
}
