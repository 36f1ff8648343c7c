//! The `Client` façade: redacted Debug and calls against the mock (the builder is tested in core).

use crate::client_for;
use serde_json::json;
use zohocrm_core::generated::features::GetFeatureDetails as GetFeatures;
use zohocrm_mock::{BlockingMock, MockConfig};
use zohocrm_ureq::{Client, DataCenter, Error, RetryPolicy};

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

#[test]
fn convenience_and_dynamic_calls() {
    let mock = BlockingMock::start().unwrap();
    let client = client_for(&mock);
    let licences = client.user_licences().unwrap();
    assert_eq!(
        (licences.available, licences.used, licences.limit),
        zohocrm_conformance::MOCK_LICENCES
    );
    let value = client
        .call("features.get_user_licences_count", json!(null))
        .unwrap();
    assert_eq!(value["limit"], zohocrm_conformance::MOCK_LICENCES.2);
    let unknown = client.call("no.such_operation", json!({}));
    assert!(matches!(unknown, Err(Error::Build(_))));
    // Clones share the session: one token for all.
    let clone = client.clone();
    clone.user_licences().unwrap();
    assert_eq!(mock.stats().mints, 1);
}

#[test]
fn pages_iterate_until_the_last_page() {
    let mock = BlockingMock::start().unwrap();
    let client = client_for(&mock);
    let pages: Vec<_> = client
        .pages(GetFeatures::new().per_page(1))
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!pages.is_empty());
    let names: Vec<_> = pages
        .iter()
        .flat_map(|p| {
            p.features
                .iter()
                .flatten()
                .filter_map(|f| f.api_name.clone())
        })
        .collect();
    assert!(names.iter().any(|n| n == "user_licenses"), "{names:?}");
}

#[test]
fn pages_stop_after_an_error() {
    let mock = BlockingMock::start().unwrap();
    let base = mock.base_url();
    let client = Client::builder()
        .hosts(&base, &base, &base)
        .refresh_token("mock-client-id", "wrong-secret", "mock-refresh-token")
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    let mut pages = client.pages(GetFeatures::new());
    assert!(matches!(pages.next(), Some(Err(Error::Auth(_)))));
    assert!(pages.next().is_none());
}

#[test]
fn territory_conveniences() {
    use zohocrm_core::territories::{PermissionType, TerritoryInput};
    let mock = BlockingMock::start().unwrap();
    let client = client_for(&mock);
    let all = client.territories().unwrap();
    let root = all
        .iter()
        .find(|t| t.reporting_to.is_none())
        .expect("a root territory");
    let one = client.territory(&root.id).unwrap().expect("the root");
    assert_eq!(one.name, root.name);
    let children = client.child_territories(&root.id).unwrap();
    assert!(!children.is_empty());
    assert!(children
        .iter()
        .all(|c| c.reporting_to.as_ref().and_then(|r| r.id.as_deref()) == Some(root.id.as_str())));
    let _users = client.territory_users(&root.id).unwrap();
    let created = client
        .create_territories([TerritoryInput::create(
            "Conformance",
            root.id.clone(),
            PermissionType::ReadOnly,
        )])
        .unwrap();
    assert!(created.all_succeeded(), "{created:?}");
    assert_eq!(client.territories().unwrap().len(), all.len() + 1);
}

#[test]
fn records_iterate_write_in_batches_and_query() {
    use zohocrm_core::records::{Cond, Coql, ListRecords};
    use zohocrm_core::Record;
    let mock = BlockingMock::start_with(MockConfig {
        demo_leads: 450,
        ..MockConfig::default()
    })
    .unwrap();
    let client = client_for(&mock);
    let leads: Vec<Record> = client
        .records(ListRecords::new("Leads", ["Last_Name"]).per_page(200))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(leads.len(), 450);
    let rows = (0..120).map(|i| {
        let r = Record::new().with("Company", "Batch");
        if i == 101 {
            r
        } else {
            r.with("Last_Name", format!("Batch {i}"))
        }
    });
    let outcome = client.insert_records("Leads", rows).unwrap();
    assert_eq!(outcome.items.len(), 120);
    let failed: Vec<usize> = outcome.failures().map(|(i, _)| i).collect();
    assert_eq!(failed, [101]);
    let ids: Vec<String> = outcome
        .successes()
        .filter_map(|s| s.id().map(str::to_owned))
        .collect();
    let found: Vec<Record> = client
        .coql(
            Coql::select(["Last_Name"])
                .from("Leads")
                .filter(Cond::eq("Company", "Batch"))
                .limit(50),
        )
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(found.len(), 119);
    let deleted = client.delete_records("Leads", ids).unwrap();
    assert!(deleted.all_succeeded());
    assert_eq!(deleted.items.len(), 119);
    assert!(client
        .get_record("Leads", "5725767000000999999")
        .unwrap()
        .is_none());
}

#[test]
fn a_thousand_sequential_calls_reuse_one_connection() {
    let mock = BlockingMock::start().unwrap();
    let client = client_for(&mock);
    // The first call also fetches the token (hyper's pool may open a second connection while
    // the token answer's connection goes back to the pool).
    client.user_licences().unwrap();
    let warm = mock.stats().connections;
    assert!(warm <= 2, "{warm}");
    for _ in 0..1_000 {
        client.user_licences().unwrap();
    }
    let stats = mock.stats();
    assert_eq!(stats.api_requests, 1_001);
    assert_eq!(stats.token_requests, 1);
    assert_eq!(
        stats.connections, warm,
        "1,000 sequential calls open no connection"
    );
}

/// An async store a blocking client could never drive is refused when the client is built.
#[test]
fn an_async_token_store_is_refused_by_the_blocking_client() {
    use zohocrm_core::token_store::{StoreFuture, StoredToken};

    struct Remote;
    impl zohocrm_core::AsyncTokenStore for Remote {
        fn load(&self) -> StoreFuture<'_, Option<StoredToken>> {
            Box::pin(async { Ok(None) })
        }
        fn save<'a>(&'a self, _: &'a StoredToken) -> StoreFuture<'a, ()> {
            Box::pin(async { Ok(()) })
        }
        fn clear(&self) -> StoreFuture<'_, ()> {
            Box::pin(async { Ok(()) })
        }
    }
    let built = zohocrm_ureq::Client::builder()
        .hosts(
            "http://127.0.0.1:9",
            "http://127.0.0.1:9",
            "http://127.0.0.1:9",
        )
        .refresh_token("id", "secret", "refresh")
        .async_token_store(std::sync::Arc::new(Remote))
        .build();
    match built {
        Err(zohocrm_ureq::Error::Build(e)) => assert!(e.to_string().contains("async"), "{e}"),
        other => panic!("{other:?}"),
    }
}

/// `org_limits` is the spec's `org.get_organization`: the edition's limits from the mock's
/// Enterprise org, and like any operation refused before sending without `ZohoCRM.org.all`.
#[test]
fn org_limits_reads_the_edition_and_needs_the_org_scope() {
    let mock = BlockingMock::start().unwrap();
    assert_eq!(
        client_for(&mock).org_limits().unwrap(),
        zohocrm_core::ConcurrencyLimits::for_edition("enterprise")
    );
    let before = mock.stats().api_requests;
    let narrow = crate::builder_for(&mock)
        .granted_scopes("ZohoCRM.modules.ALL")
        .build()
        .unwrap();
    match narrow.org_limits() {
        Err(Error::Scope(e)) => assert_eq!(e.missing, ["ZohoCRM.org.ALL"]),
        other => panic!("expected a scope refusal, got {other:?}"),
    }
    assert_eq!(mock.stats().api_requests, before, "nothing sent");
}

/// The mock's file store: files uploaded in one call come back by their ids, with their names;
/// an unknown id is Zoho's INVALID_DATA.
#[test]
fn files_uploaded_to_the_file_store_download_back() {
    use zohocrm_core::generated::files::{GetFile, UploadFiles};
    use zohocrm_core::FilePart;
    let mock = BlockingMock::start().unwrap();
    let client = client_for(&mock);
    let upload = UploadFiles::new(FilePart::new("a.txt", "first"))
        .file(FilePart::new("b.csv", "x,y\n1,2\n"));
    let ids = UploadFiles::file_ids(&client.send(&upload).unwrap()).unwrap();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    for (id, (name, bytes)) in ids
        .iter()
        .zip([("a.txt", "first"), ("b.csv", "x,y\n1,2\n")])
    {
        let file = client.send(&GetFile::new().id(id)).unwrap();
        assert_eq!(file.file_name.as_deref(), Some(name));
        assert_eq!(file.bytes, bytes.as_bytes());
    }
    match client.send(&GetFile::new().id("no-such-file")) {
        Err(Error::Api { error, .. }) => assert_eq!(error.code.as_str(), "INVALID_DATA"),
        other => panic!("expected INVALID_DATA, got {other:?}"),
    }
}
