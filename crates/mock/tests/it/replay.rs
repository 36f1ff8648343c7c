use std::path::PathBuf;

use serde_json::json;
use zohocrm_mock::{MockConfig, MockZoho};

use crate::client::{send, Api};

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("zohocrm-mock-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("records/get_records")).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn fixtures_answer_unserved_requests() {
    let dir = TempDir::new("replay");
    let fixture = json!({
        "operation": "record.get_records",
        "description": "test fixture",
        "exchanges": [{
            "request": {"method": "GET", "uri": "https://www.zohoapis.com/crm/v8/Leads?fields=Last_Name%2CEmail&per_page=2"},
            "response": {"status": 200, "headers": {"x-test": "yes"}, "body": {"data": [{"id": "1", "Last_Name": "Doe"}], "info": {"more_records": false}}}
        }]
    });
    std::fs::write(
        dir.0.join("records/get_records/basic.json"),
        fixture.to_string(),
    )
    .unwrap();
    let two = json!({
        "operation": "record.get_records",
        "description": "scenario fixtures (several exchanges) are not replayed",
        "exchanges": [
            {"request": {"method": "GET", "uri": "https://www.zohoapis.com/crm/v8/Deals?fields=Deal_Name"}, "response": {"status": 200, "body": {"data": []}}},
            {"request": {"method": "GET", "uri": "https://www.zohoapis.com/crm/v8/Deals?fields=Deal_Name"}, "response": {"status": 200, "body": {"data": []}}}
        ]
    });
    std::fs::write(
        dir.0.join("records/get_records/scenario.json"),
        two.to_string(),
    )
    .unwrap();
    let post = json!({
        "operation": "record.insert_records",
        "description": "a write",
        "exchanges": [{
            "request": {"method": "POST", "uri": "/crm/v8/Leads", "body": {"data": [{"Last_Name": "Doe"}]}},
            "response": {"status": 201, "body": {"data": [{"code": "SUCCESS", "details": {"id": "9"}, "message": "record added", "status": "success"}]}}
        }]
    });
    std::fs::write(
        dir.0.join("records/get_records/post.json"),
        post.to_string(),
    )
    .unwrap();

    let config = MockConfig {
        fixtures_dir: Some(dir.0.clone()),
        ..MockConfig::default()
    };
    let mock = MockZoho::start_with(config).await.unwrap();
    // Auth is still required.
    let resp = send(
        &mock.base_url(),
        "GET",
        "/crm/v8/Leads?per_page=2&fields=Last_Name,Email",
        &[],
        b"",
    )
    .await;
    assert_eq!(resp.status, 401);
    let api = Api::new(&mock).await;
    // Query order and encoding do not matter.
    let resp = api
        .get("/crm/v8/Leads?per_page=2&fields=Last_Name,Email")
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("x-test"), Some("yes"));
    assert_eq!(resp.json()["data"][0]["Last_Name"], "Doe");
    assert_eq!(
        api.get("/crm/v8/Leads?per_page=3&fields=Last_Name,Email")
            .await
            .status,
        404
    );
    assert_eq!(api.get("/crm/v8/Deals?fields=Deal_Name").await.status, 404);
    let resp = api
        .post("/crm/v8/Leads", json!({"data": [{"Last_Name": "Doe"}]}))
        .await;
    assert_eq!(resp.status, 201);
    assert_eq!(mock.stats().writes, 1);
    // Stateful handlers win over fixtures.
    assert_eq!(api.get("/crm/v8/settings/territories").await.status, 200);
}

#[tokio::test]
async fn a_broken_fixture_dir_fails_start() {
    let dir = TempDir::new("broken");
    std::fs::write(dir.0.join("records/get_records/bad.json"), "{not json").unwrap();
    let config = MockConfig {
        fixtures_dir: Some(dir.0.clone()),
        ..MockConfig::default()
    };
    let err = MockZoho::start_with(config).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
}
