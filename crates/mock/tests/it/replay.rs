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

fn write(dir: &TempDir, name: &str, fixture: serde_json::Value) {
    std::fs::write(
        dir.0.join("records/get_records").join(name),
        fixture.to_string(),
    )
    .unwrap();
}

fn one(
    method: &str,
    uri: &str,
    body: serde_json::Value,
    status: u16,
    answer: serde_json::Value,
) -> serde_json::Value {
    json!({
        "operation": "pipeline.get_pipelines",
        "description": "test fixture",
        "exchanges": [{
            "request": {"method": method, "uri": uri, "body": body},
            "response": {"status": status, "headers": {"x-test": "yes"}, "body": answer}
        }]
    })
}

#[tokio::test]
async fn fixtures_answer_unserved_requests() {
    let dir = TempDir::new("replay");
    let pipelines = "https://www.zohoapis.com/crm/v8/settings/pipeline?layout_id=7&page=1";
    write(
        &dir,
        "basic.json",
        one(
            "GET",
            pipelines,
            json!(null),
            200,
            json!({"pipeline": [{"id": "1"}]}),
        ),
    );
    let two = json!({
        "operation": "pipeline.get_pipelines",
        "description": "scenario fixtures (several exchanges) are not replayed",
        "exchanges": [
            {"request": {"method": "GET", "uri": "https://www.zohoapis.com/crm/v8/settings/pipeline?layout_id=8"}, "response": {"status": 200, "body": {"pipeline": []}}},
            {"request": {"method": "GET", "uri": "https://www.zohoapis.com/crm/v8/settings/pipeline?layout_id=8"}, "response": {"status": 200, "body": {"pipeline": []}}}
        ]
    });
    write(&dir, "scenario.json", two);
    let ok = json!({"pipeline": [{"code": "SUCCESS", "details": {"id": "9"}, "message": "pipeline created", "status": "success"}]});
    write(
        &dir,
        "post.json",
        one(
            "POST",
            "/crm/v8/settings/pipeline?layout_id=7",
            json!({"pipeline": [{"display_value": "P"}]}),
            201,
            ok,
        ),
    );

    let config = MockConfig {
        fixtures_dir: Some(dir.0.clone()),
        ..MockConfig::default()
    };
    let mock = MockZoho::start_with(config).await.unwrap();
    // Auth is still required.
    let resp = send(
        &mock.base_url(),
        "GET",
        "/crm/v8/settings/pipeline?layout_id=7&page=1",
        &[],
        b"",
    )
    .await;
    assert_eq!(resp.status, 401);
    let api = Api::new(&mock).await;
    // Query order and encoding do not matter.
    let resp = api
        .get("/crm/v8/settings/pipeline?page=1&layout_id=%37")
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("x-test"), Some("yes"));
    assert_eq!(resp.json()["pipeline"][0]["id"], "1");
    // Another query, or a scenario fixture: nothing answers.
    assert_eq!(
        api.get("/crm/v8/settings/pipeline?layout_id=7&page=2")
            .await
            .status,
        404
    );
    assert_eq!(
        api.get("/crm/v8/settings/pipeline?layout_id=8")
            .await
            .status,
        404
    );
    let resp = api
        .post(
            "/crm/v8/settings/pipeline?layout_id=7",
            json!({"pipeline": [{"display_value": "Q"}]}),
        )
        .await;
    assert_eq!(resp.status, 201, "a success answers a loose match");
    assert_eq!(mock.stats().writes, 1);
    // Stateful handlers win over fixtures.
    assert_eq!(api.get("/crm/v8/settings/territories").await.status, 200);
}

#[tokio::test]
async fn successes_win_unless_an_error_matches_exactly() {
    let dir = TempDir::new("prefer");
    let uri = "https://www.zohoapis.com/crm/v8/settings/pipeline?layout_id=7";
    let error = json!({"code": "MANDATORY_NOT_FOUND", "details": {"api_name": "sample", "json_path": "sample"}, "message": "sample", "status": "error"});
    // The generator's pair: same request, an error and a success ("openapi_error" sorts first).
    write(
        &dir,
        "a_error.json",
        one("GET", uri, json!(null), 400, error.clone()),
    );
    write(
        &dir,
        "b_success.json",
        one(
            "GET",
            uri,
            json!(null),
            200,
            json!({"pipeline": [{"id": "1"}]}),
        ),
    );
    // A write whose error case has its own recorded body.
    let post = "https://www.zohoapis.com/crm/v8/settings/pipeline?layout_id=9";
    write(
        &dir,
        "c_error.json",
        one(
            "POST",
            post,
            json!({"pipeline": [{}]}),
            400,
            json!({"pipeline": [error]}),
        ),
    );
    write(
        &dir,
        "d_success.json",
        one(
            "POST",
            post,
            json!({"pipeline": [{"display_value": "P"}]}),
            201,
            json!({"pipeline": [{"code": "SUCCESS", "details": {"id": "9"}, "message": "ok", "status": "success"}]}),
        ),
    );
    // An error alone, for a request of a stateful module.
    write(
        &dir,
        "e_error.json",
        one(
            "GET",
            "https://www.zohoapis.com/crm/v8/Leads/actions/count",
            json!(null),
            400,
            error.clone(),
        ),
    );
    write(
        &dir,
        "f_count.json",
        one(
            "GET",
            "https://www.zohoapis.com/crm/v8/Deals/actions/count",
            json!(null),
            200,
            json!({"count": "sample"}),
        ),
    );
    write(
        &dir,
        "g_timeline.json",
        one(
            "GET",
            "https://www.zohoapis.com/crm/v8/Leads/42/__timeline",
            json!(null),
            200,
            json!({"__timeline": [{"id": "t"}]}),
        ),
    );
    write(
        &dir,
        "h_mass.json",
        one(
            "GET",
            "https://www.zohoapis.com/crm/v8/Leads/actions/mass_convert?job_id=7",
            json!(null),
            200,
            json!({"status": "COMPLETED"}),
        ),
    );
    let mock = MockZoho::start_with(MockConfig {
        fixtures_dir: Some(dir.0.clone()),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let api = Api::new(&mock).await;
    assert_eq!(
        api.get("/crm/v8/settings/pipeline?layout_id=7")
            .await
            .status,
        200
    );
    let resp = api
        .post(
            "/crm/v8/settings/pipeline?layout_id=9",
            json!({"pipeline": [{}]}),
        )
        .await;
    assert_eq!(resp.status, 400, "an exact error match answers");
    assert_eq!(resp.json()["pipeline"][0]["code"], "MANDATORY_NOT_FOUND");
    let resp = api
        .post(
            "/crm/v8/settings/pipeline?layout_id=9",
            json!({"pipeline": [{"display_value": "P"}]}),
        )
        .await;
    assert_eq!(resp.status, 201);
    let resp = api
        .post(
            "/crm/v8/settings/pipeline?layout_id=9",
            json!({"pipeline": [{"display_value": "other"}]}),
        )
        .await;
    assert_eq!(resp.status, 201, "a loose success beats a loose error");
    // Record modules stay stateful: counts are the store's integers.
    for module in ["Leads", "Deals"] {
        let resp = api.get(&format!("/crm/v8/{module}/actions/count")).await;
        assert_eq!(resp.status, 200);
        assert!(resp.json()["count"].is_u64(), "{module}: {}", resp.json());
    }
    // Sub-resources and actions of a record module that the mock does not model replay.
    let resp = api.get("/crm/v8/Leads/42/__timeline").await;
    assert_eq!(resp.json()["__timeline"][0]["id"], "t");
    let resp = api.get("/crm/v8/Leads/actions/mass_convert?job_id=7").await;
    assert_eq!(resp.json()["status"], "COMPLETED");
    // Without a fixture, Zoho's answer for an unknown relation.
    let resp = api.get("/crm/v8/Leads/42/Bogus").await;
    assert_eq!(resp.json()["details"], json!({"resource_path_index": 2}));
    // A module the mock does not serve answers Zoho's error for it, not a URL error.
    let resp = api.get("/crm/v8/Widgets?fields=Name").await;
    assert_eq!(
        (resp.status, resp.json()["code"].clone()),
        (400, json!("INVALID_MODULE"))
    );
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
