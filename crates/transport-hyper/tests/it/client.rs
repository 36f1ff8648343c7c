//! The `Client` façade: redacted Debug and calls against the mock (the builder is tested in core).

use serde_json::json;
use zohocrm_core::features::GetFeatures;
use zohocrm_hyper::{Client, DataCenter, Error, RetryPolicy};
use zohocrm_mock::{MockConfig, MockZoho};

fn client_for(mock: &MockZoho) -> Client {
    let base = mock.base_url();
    let cfg = MockConfig::default();
    Client::builder()
        .hosts(&base, &base, &base)
        .refresh_token(cfg.client_id, cfg.client_secret, cfg.refresh_token)
        .retry_policy(zohocrm_conformance::fast_retry())
        .build()
        .expect("client")
}

#[test]
fn client_debug_never_prints_secrets() {
    let client = Client::builder()
        .data_center(DataCenter::Us)
        .refresh_token("client-id-1", "very-secret-value", "refresh-token-value")
        .build()
        .unwrap();
    let shown = format!("{client:?}");
    assert!(!shown.contains("very-secret-value"), "{shown}");
    assert!(!shown.contains("refresh-token-value"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn convenience_and_dynamic_calls() {
    let mock = MockZoho::start().await.unwrap();
    let client = client_for(&mock);
    let licences = client.user_licences().await.unwrap();
    assert_eq!(
        (licences.available, licences.used, licences.limit),
        zohocrm_conformance::MOCK_LICENCES
    );
    let value = client
        .call("features.get_user_licences_count", json!(null))
        .await
        .unwrap();
    assert_eq!(value["limit"], zohocrm_conformance::MOCK_LICENCES.2);
    assert!(matches!(
        client.call("no.such_operation", json!({})).await,
        Err(Error::Build(_))
    ));
    // Tasks on clones share the session: one token for all.
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.user_licences().await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(mock.stats().mints, 1);
    mock.shutdown().await;
}

#[tokio::test]
async fn pages_iterate_until_the_last_page() {
    let mock = MockZoho::start().await.unwrap();
    let client = client_for(&mock);
    let pages = client
        .pages(GetFeatures::new().per_page(1))
        .try_collect()
        .await
        .unwrap();
    let names: Vec<_> = pages
        .iter()
        .flat_map(|p| p.features.iter().map(|f| f.api_name.clone()))
        .collect();
    assert!(names.iter().any(|n| n == "user_licenses"), "{names:?}");
}

#[tokio::test]
async fn pages_stop_after_an_error() {
    let mock = MockZoho::start().await.unwrap();
    let base = mock.base_url();
    let client = Client::builder()
        .hosts(&base, &base, &base)
        .refresh_token("mock-client-id", "wrong-secret", "mock-refresh-token")
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    let mut pages = client.pages(GetFeatures::new());
    assert!(matches!(pages.next().await, Some(Err(Error::Auth(_)))));
    assert!(pages.next().await.is_none());
}

#[tokio::test]
async fn territory_conveniences() {
    use zohocrm_core::territories::{PermissionType, TerritoryInput};
    let mock = MockZoho::start().await.unwrap();
    let client = client_for(&mock);
    let all = client.territories().await.unwrap();
    let root = all
        .iter()
        .find(|t| t.reporting_to.is_none())
        .expect("a root territory");
    let one = client.territory(&root.id).await.unwrap().expect("the root");
    assert_eq!(one.name, root.name);
    let children = client.child_territories(&root.id).await.unwrap();
    assert!(!children.is_empty());
    let _users = client.territory_users(&root.id).await.unwrap();
    let created = client
        .create_territories([TerritoryInput::create(
            "Conformance",
            root.id.clone(),
            PermissionType::ReadOnly,
        )])
        .await
        .unwrap();
    assert!(created.all_succeeded(), "{created:?}");
    assert_eq!(client.territories().await.unwrap().len(), all.len() + 1);
}
