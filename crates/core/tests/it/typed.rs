//! The three problems "Typed all the way" started from, each on a documented-shape answer:
//! one odd entry never fails a page; an all-failed batch is per-item outcomes, whatever the
//! status; nothing the user puts in a record write's body is dropped.

use serde_json::{json, Value};
use zohocrm_core::generated::{features, tags};
use zohocrm_core::records::UpdateRecords;
use zohocrm_core::{Body, Endpoint, Record};

fn answer(fixture: &str) -> (u16, Vec<u8>) {
    let path = zohocrm_fixtures::workspace_dir().join(fixture);
    let f = zohocrm_fixtures::load(&path).unwrap();
    let r = f.exchanges[0].response.to_http().unwrap();
    (r.status().as_u16(), r.into_body())
}

fn response(status: u16, body: &[u8]) -> http::Response<&[u8]> {
    http::Response::builder().status(status).body(body).unwrap()
}

#[test]
fn a_feature_with_every_field_null_does_not_fail_the_page() {
    let (status, body) = answer("features/get_feature_details/null_entry.json");
    let page = features::GetFeatureDetails::new()
        .parse(response(status, &body))
        .unwrap();
    let list = page.features.unwrap();
    assert_eq!(list.len(), 4);
    assert_eq!(list[0].api_name.as_deref(), Some("user_licenses"));
    assert_eq!(
        list[0]
            .details
            .as_ref()
            .unwrap()
            .limits
            .as_ref()
            .unwrap()
            .total,
        Some(10)
    );
    assert_eq!(list[3], features::Feature::default());
}

#[test]
fn an_all_failed_batch_is_per_item_outcomes() {
    let (status, body) = answer("tags/create_tags/all_failed_400.json");
    assert_eq!(status, 400);
    let op = tags::CreateTags::new("Leads", tags::BodyWrapper::default());
    let out = op.parse(response(status, &body)).unwrap();
    assert_eq!(out.status, 400);
    let failures: Vec<(usize, String, Value)> = out
        .failures()
        .map(|(i, e)| (i, e.code.as_str().to_owned(), e.details.clone()))
        .collect();
    assert_eq!(failures.len(), 2);
    assert_eq!(failures[0].0, 0);
    assert_eq!(failures[0].1, "DUPLICATE_DATA");
    assert_eq!(failures[0].2["id"], "4150868000000225101");
    assert_eq!(failures[1].0, 1);
    assert_eq!(failures[1].2["json_path"], "$.tags[1].color_code");
}

#[test]
fn record_writes_send_body_keys_the_sdk_does_not_model() {
    let skip = json!([{"name": "cadences"}]);
    let body_of = |parts: zohocrm_core::RequestParts| match parts.body {
        Body::Json(bytes) => serde_json::from_slice::<Value>(&bytes).unwrap(),
        other => panic!("a JSON body, got {other:?}"),
    };
    // The Rust API.
    let rows = [Record::new().with("id", "1").with("Last_Name", "A")];
    let update =
        UpdateRecords::new("Leads", rows).body_field("skip_feature_execution", skip.clone());
    assert_eq!(
        body_of(update.parts().unwrap())["skip_feature_execution"],
        skip
    );
    // A call by id, with the spec's input shape.
    for id in [
        "record.update_records",
        "record.upsert_records",
        "record.create_records",
    ] {
        let op = zohocrm_core::registry::find(id).unwrap();
        let input = json!({"module_api_name": "Leads", "body": {
            "data": [{"id": "1", "Last_Name": "A"}],
            "skip_feature_execution": skip,
            "process": ["review_process"]
        }});
        let body = body_of(op.build(&input).unwrap());
        assert_eq!(body["skip_feature_execution"], skip, "{id}");
        assert_eq!(body["process"], json!(["review_process"]), "{id}");
    }
    // A key that is neither a parameter nor in the body is refused, not dropped.
    let op = zohocrm_core::registry::find("record.update_records").unwrap();
    let typo = json!({"module_api_name": "Leads", "bdy": {}, "body": {"data": [{"id": "1"}]}});
    assert!(op.build(&typo).is_err());
}
