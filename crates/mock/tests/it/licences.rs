use serde_json::json;
use zohocrm_mock::{MockConfig, MockZoho};

use crate::client::Api;

#[tokio::test]
async fn user_licences_match_the_documented_sample() {
    let mock = MockZoho::start().await.unwrap();
    let api = Api::new(&mock).await;
    let resp = api.get("/crm/v8/__features/user_licenses").await;
    assert_eq!(resp.status, 200);
    assert!(resp
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(
        resp.json(),
        json!({
            "__features": [{
                "components": null,
                "api_name": "user_licenses",
                "parent_feature": null,
                "module_supported": false,
                "details": {
                    "available_count": {"total": 3},
                    "used_count": {"total": 7},
                    "limits": {"total": 10}
                },
                "feature_label": "UserLicenses"
            }]
        })
    );
    let list = api.get("/crm/v8/__features").await.json();
    assert_eq!(list["__features"][0]["api_name"], "user_licenses");
    assert_eq!(list["info"]["count"], 1);
    let named = api.get("/crm/v8/__features?api_names=user_licenses").await;
    assert_eq!(named.status, 200);
    assert_eq!(
        api.get("/crm/v8/__features?api_names=other").await.status,
        204
    );
    assert_eq!(
        api.get("/crm/v8/__features/no_such_feature").await.status,
        400
    );
    assert_eq!(mock.stats().writes, 0);
}

#[tokio::test]
async fn licences_follow_the_active_users() {
    let config = MockConfig {
        demo_data: false,
        ..MockConfig::default()
    };
    let mock = MockZoho::start_with(config).await.unwrap();
    let api = Api::new(&mock).await;
    let details = api.get("/crm/v8/__features/user_licenses").await.json()["__features"][0]
        ["details"]
        .clone();
    assert_eq!(
        details,
        json!({"available_count": {"total": 9}, "used_count": {"total": 1}, "limits": {"total": 10}})
    );
}
