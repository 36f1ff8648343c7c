use serde_json::{json, Value};
use zohocrm_mock::MockZoho;

use crate::client::{ids::*, Api};

const T: &str = "/crm/v8/settings/territories";

fn names(v: &Value) -> Vec<String> {
    v["territories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[tokio::test]
async fn list_page_filter_and_get() {
    let mock = MockZoho::start().await.unwrap();
    let api = Api::new(&mock).await;
    let all = api.get(T).await.json();
    assert_eq!(
        names(&all),
        ["Global", "Americas", "US East", "US West", "EMEA", "DACH"]
    );
    assert_eq!(
        all["info"],
        json!({"per_page": 2000, "count": 6, "page": 1, "more_records": false})
    );
    let root = &all["territories"][0];
    assert_eq!(root["reporting_to"], Value::Null);
    assert_eq!(root["manager"], json!({"name": "Avery Admin", "id": USER1}));
    for key in [
        "api_name",
        "description",
        "permission_type",
        "account_rule_criteria",
        "created_time",
        "created_by",
        "modified_by",
    ] {
        assert!(root.get(key).is_some(), "{key} missing");
    }
    assert_eq!(
        all["territories"][2]["reporting_to"],
        json!({"name": "Americas", "id": AMERICAS})
    );

    let page = api.get(&format!("{T}?page=2&per_page=4")).await.json();
    assert_eq!(names(&page), ["EMEA", "DACH"]);
    assert_eq!(
        page["info"],
        json!({"per_page": 4, "count": 2, "page": 2, "more_records": false})
    );
    assert_eq!(api.get(&format!("{T}?page=3&per_page=4")).await.status, 204);

    let by_ids = api.get(&format!("{T}?ids={DACH},{EMEA}")).await.json();
    assert_eq!(names(&by_ids), ["EMEA", "DACH"]);

    let filter = |f: Value| format!("{T}?filters={}", enc(&f.to_string()));
    let by_parent = api
        .get(&filter(json!({"field": {"api_name": "reporting_to.id"}, "comparator": "equal", "value": AMERICAS})))
        .await
        .json();
    assert_eq!(names(&by_parent), ["US East", "US West"]);
    let by_name = api
        .get(&filter(
            json!({"field": {"api_name": "name"}, "comparator": "equal", "value": "emea"}),
        ))
        .await
        .json();
    assert_eq!(names(&by_name), ["EMEA"]);
    let by_manager = api
        .get(&filter(
            json!({"field": {"api_name": "manager.id"}, "comparator": "equal", "value": USER2}),
        ))
        .await
        .json();
    assert_eq!(names(&by_manager), ["Americas"]);
    let group = json!({"group_operator": "or", "group": [
        {"field": {"api_name": "name"}, "comparator": "starts_with", "value": "US"},
        {"field": {"api_name": "id"}, "comparator": "equal", "value": DACH}
    ]});
    assert_eq!(
        names(&api.get(&filter(group)).await.json()),
        ["US East", "US West", "DACH"]
    );
    let none = json!({"field": {"api_name": "name"}, "comparator": "equal", "value": "Mars"});
    assert_eq!(api.get(&filter(none)).await.status, 204);
    let resp = api.get(&format!("{T}?filters=%7Bnot-json")).await;
    assert_eq!(
        (resp.status, resp.json()["code"].clone()),
        (400, json!("INVALID_DATA"))
    );

    let one = api.get(&format!("{T}/{US_EAST}")).await.json();
    assert_eq!(names(&one), ["US East"]);
    assert_eq!(
        one["territories"][0]["account_rule_criteria"]["field"]["api_name"],
        "Billing_State"
    );
    assert_eq!(
        api.get(&format!("{T}/5725767000000999999")).await.status,
        204
    );

    let children = api
        .get(&format!("{T}/{AMERICAS}/__child_territories"))
        .await
        .json();
    assert_eq!(names(&children), ["US East", "US West"]);
    assert_eq!(children["info"]["per_page"], 200);
    assert_eq!(
        api.get(&format!("{T}/{DACH}/__child_territories"))
            .await
            .status,
        204
    );
    assert_eq!(
        api.get(&format!("{T}/1/__child_territories")).await.status,
        400
    );
    assert_eq!(mock.stats().writes, 0);
}

#[tokio::test]
async fn create_update_delete_round_trip() {
    let mock = MockZoho::start().await.unwrap();
    let api = Api::new(&mock).await;
    let resp = api
        .post(
            T,
            json!({"territories": [{
                "name": "APAC",
                "reporting_to": {"id": GLOBAL},
                "manager": {"id": USER7},
                "permission_type": "read_only",
                "description": "Asia and Pacific",
                "account_rule_criteria": {"comparator": "equal", "field": {"api_name": "Billing_Country", "id": "1"}, "value": "JP"}
            }]}),
        )
        .await;
    assert_eq!(resp.status, 201);
    let body = resp.json();
    let item = &body["territories"][0];
    assert_eq!(item["code"], "SUCCESS");
    assert_eq!(item["message"], "Territory Created Successfully");
    assert_eq!(item["status"], "success");
    let apac = item["details"]["id"].as_str().unwrap().to_owned();
    assert_eq!(apac.len(), 19);

    let got = api.get(&format!("{T}/{apac}")).await.json();
    let t = &got["territories"][0];
    assert_eq!(t["name"], "APAC");
    assert_eq!(t["reporting_to"], json!({"name": "Global", "id": GLOBAL}));
    assert_eq!(t["manager"]["id"], USER7);
    assert_eq!(t["permission_type"], "read_only");
    assert_eq!(t["account_rule_criteria"]["value"], "JP");

    // Duplicate name (any case), missing mandatory keys, a mixed batch.
    let resp = api
        .post(T, json!({"territories": [{"name": "apac", "reporting_to": {"id": GLOBAL}, "permission_type": "read_only"}]}))
        .await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.json()["territories"][0]["code"], "DUPLICATE_DATA");
    let resp = api
        .post(
            T,
            json!({"territories": [
                {"name": "Japan", "reporting_to": {"id": apac}, "permission_type": "read_write_delete"},
                {"name": "Nowhere", "permission_type": "read_only"},
                {"name": "Bad", "reporting_to": {"id": "1"}, "permission_type": "read_only"},
                {"name": "Worse", "reporting_to": {"id": GLOBAL}, "permission_type": "everything"}
            ]}),
        )
        .await;
    assert_eq!(resp.status, 207);
    let items = resp.json()["territories"].clone();
    assert_eq!(items[0]["code"], "SUCCESS");
    assert_eq!(
        items[1],
        json!({"code": "MANDATORY_NOT_FOUND", "details": {"api_name": "reporting_to", "json_path": "$.territories[1].reporting_to"}, "message": "required field not found", "status": "error"})
    );
    assert_eq!(items[2]["code"], "INVALID_DATA");
    assert_eq!(
        items[3]["details"]["supported_values"],
        json!(["read_only", "read_write_delete"])
    );
    let japan = items[0]["details"]["id"].as_str().unwrap().to_owned();
    let eleven: Vec<Value> = (0..11)
        .map(|i| json!({"name": format!("T{i}"), "reporting_to": {"id": GLOBAL}, "permission_type": "read_only"}))
        .collect();
    let resp = api.post(T, json!({"territories": eleven})).await;
    assert_eq!(
        (resp.status, resp.json()["code"].clone()),
        (400, json!("LIMIT_EXCEEDED"))
    );

    // Update: list form and path form.
    let resp = api
        .put(
            T,
            json!({"territories": [{"id": apac, "name": "Asia Pacific", "manager": null}]}),
        )
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.json()["territories"][0]["message"],
        "Territory Updated Successfully"
    );
    let resp = api
        .put(
            &format!("{T}/{japan}"),
            json!({"territories": [{"reporting_to": {"id": EMEA}, "description": "moved"}]}),
        )
        .await;
    assert_eq!(resp.status, 200);
    let got = api.get(&format!("{T}/{apac}")).await.json();
    assert_eq!(got["territories"][0]["name"], "Asia Pacific");
    assert_eq!(got["territories"][0]["manager"], Value::Null);
    let got = api.get(&format!("{T}/{japan}")).await.json();
    assert_eq!(got["territories"][0]["reporting_to"]["id"], EMEA);
    // A territory cannot report to its own descendant.
    let resp = api
        .put(
            &format!("{T}/{AMERICAS}"),
            json!({"territories": [{"reporting_to": {"id": US_EAST}}]}),
        )
        .await;
    assert_eq!(
        (resp.status, resp.json()["territories"][0]["code"].clone()),
        (400, json!("INVALID_DATA"))
    );

    // Delete: the root and parents are refused, leaves go.
    let resp = api
        .delete(&format!("{T}?ids={GLOBAL},{AMERICAS},{apac}"))
        .await;
    assert_eq!(resp.status, 207);
    let items = resp.json()["territories"].clone();
    assert_eq!(items[0]["code"], "NOT_ALLOWED");
    assert_eq!(items[1]["code"], "NOT_ALLOWED");
    assert_eq!(items[2]["message"], "Given Territory Removed Successfully");
    let resp = api
        .delete(&format!("{T}/{japan}?delete_previous_forecasts=false"))
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(api.get(&format!("{T}/{apac}")).await.status, 204);
    let resp = api.delete(T).await;
    assert_eq!(resp.json()["code"], "REQUIRED_PARAM_MISSING");

    let deleted = api
        .get(&format!("{T}/actions/deleted_associated_territories"))
        .await
        .json();
    let names: Vec<&str> = deleted["territories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Asia Pacific", "Japan"]);
    assert_eq!(deleted["territories"][0]["deleted_by"]["id"], USER1);
    let only = api
        .get(&format!(
            "{T}/actions/deleted_associated_territories?ids={japan}"
        ))
        .await
        .json();
    assert_eq!(only["territories"].as_array().unwrap().len(), 1);

    // Every non-GET request above reached a handler.
    assert_eq!(mock.stats().writes, 10);
}

#[tokio::test]
async fn transfer_and_delete_moves_children() {
    let mock = MockZoho::start().await.unwrap();
    let api = Api::new(&mock).await;
    let path = format!("{T}/actions/transfer_and_delete");
    // Moving into one's own subtree is refused.
    let resp = api
        .post(
            &path,
            json!({"territories": [{"id": AMERICAS, "transfer_to_id": US_EAST}]}),
        )
        .await;
    assert_eq!(
        (resp.status, resp.json()["territories"][0]["code"].clone()),
        (400, json!("INVALID_DATA"))
    );
    let resp = api
        .post(&path, json!({"territories": [{"id": AMERICAS, "transfer_to_id": EMEA, "delete_previous_forecasts": false}]}))
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.json()["territories"][0]["message"],
        "Given Territory Removed Successfully and its child Territories moved to the another territory"
    );
    let children = api
        .get(&format!("{T}/{EMEA}/__child_territories"))
        .await
        .json();
    assert_eq!(names(&children), ["US East", "US West", "DACH"]);
    // Path form.
    let resp = api
        .post(
            &format!("{T}/{EMEA}/actions/transfer_and_delete"),
            json!({"territories": [{"transfer_to_id": GLOBAL}]}),
        )
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        names(
            &api.get(&format!("{T}/{GLOBAL}/__child_territories"))
                .await
                .json()
        ),
        ["US East", "US West", "DACH"]
    );
    let resp = api
        .post(
            &format!("{T}/{GLOBAL}/actions/transfer_and_delete"),
            json!({"territories": [{"transfer_to_id": DACH}]}),
        )
        .await;
    assert_eq!(resp.status, 400);
}

#[tokio::test]
async fn users_of_a_territory() {
    let mock = MockZoho::start().await.unwrap();
    let api = Api::new(&mock).await;
    let counts = api
        .get(&format!("{T}/actions/associated_users_count"))
        .await
        .json();
    assert_eq!(
        counts["associated_users_count"][1],
        json!({"count": "2", "territory": {"name": "Americas", "id": AMERICAS, "subordinates": false}})
    );
    assert_eq!(counts["info"]["count"], 6);

    let users = format!("{T}/{DACH}/users");
    let resp = api.get(&users).await;
    assert_eq!(resp.status, 204);
    assert!(resp.body.is_empty());

    let resp = api
        .put(
            &users,
            json!({"users": [{"id": USER4}, {"id": USER8_INACTIVE}, {"id": "1"}, {}]}),
        )
        .await;
    assert_eq!(resp.status, 207);
    let items = resp.json()["users"].clone();
    assert_eq!(
        items[0],
        json!({"code": "SUCCESS", "details": {"id": USER4}, "message": "Given User added to the mentioned territory Successfully", "status": "success"})
    );
    assert_eq!(items[1]["details"]["owner_status"], "inactive");
    assert_eq!(items[2]["code"], "INVALID_DATA");
    assert_eq!(items[3]["code"], "MANDATORY_NOT_FOUND");
    let resp = api.put(&format!("{users}/{USER4}"), json!({})).await;
    assert_eq!(
        (resp.status, resp.json()["users"][0]["code"].clone()),
        (400, json!("DUPLICATE_DATA"))
    );
    let resp = api.call("PUT", &format!("{users}/{USER2}"), None).await;
    assert_eq!(resp.status, 200);

    let list = api.get(&users).await.json();
    let listed: Vec<&str> = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [USER4, USER2]);
    assert_eq!(list["users"][0]["email"], "user4@example.test");
    assert_eq!(list["users"][0]["status"], "active");
    assert_eq!(
        list["info"],
        json!({"per_page": 200, "count": 2, "page": 1, "more_records": false})
    );
    assert_eq!(
        api.get(&format!("{users}/{USER4}")).await.json()["users"][0]["id"],
        USER4
    );
    assert_eq!(api.get(&format!("{users}/{USER7}")).await.status, 204);

    let counts = api
        .get(&format!("{T}/actions/associated_users_count"))
        .await
        .json();
    assert_eq!(counts["associated_users_count"][5]["count"], "2");

    let resp = api.delete(&format!("{users}?ids={USER4},{USER7}")).await;
    assert_eq!(resp.status, 207);
    assert_eq!(
        resp.json()["users"][0]["message"],
        "Given User Removed from the mentioned territory Successfully"
    );
    let resp = api.delete(&format!("{users}/{USER2}")).await;
    assert_eq!(resp.status, 200);
    assert_eq!(api.get(&users).await.status, 204);
    // The manager stays.
    let resp = api.delete(&format!("{T}/{AMERICAS}/users/{USER2}")).await;
    assert_eq!(resp.json()["users"][0]["code"], "NOT_ALLOWED");
    assert_eq!(
        api.delete(&users).await.json()["code"],
        "REQUIRED_PARAM_MISSING"
    );
}

#[tokio::test]
async fn territories_of_a_user() {
    let mock = MockZoho::start().await.unwrap();
    let api = Api::new(&mock).await;
    let path = format!("/crm/v8/users/{USER4}/territories");
    let got = api.get(&path).await.json();
    assert_eq!(
        got["territories"],
        json!([{"id": US_EAST, "Name": "US East",
                "Manager": {"Name": "Casey Nguyen", "id": "5725767000000300003"},
                "Reporting_To": {"Name": "Americas", "id": AMERICAS}}])
    );
    assert_eq!(got["info"]["count"], 1);
    assert_eq!(
        api.get(&format!("/crm/v8/users/{USER7}/territories"))
            .await
            .status,
        204
    );

    let resp = api
        .put(
            &path,
            json!({"territories": [{"id": DACH}, {"id": US_EAST}, {"id": "1"}]}),
        )
        .await;
    assert_eq!(resp.status, 207);
    let items = resp.json()["territories"].clone();
    assert_eq!(
        items[0]["message"],
        "Territory associated to the user successfully"
    );
    assert_eq!(items[1]["code"], "DUPLICATE_DATA");
    assert_eq!(items[2]["code"], "INVALID_DATA");
    let one = api.get(&format!("{path}/{DACH}")).await.json();
    assert_eq!(one["territories"][0]["Manager"], Value::Null);
    assert_eq!(api.get(&format!("{path}/{EMEA}")).await.status, 204);
    // Seen from the territory too.
    assert_eq!(
        api.get(&format!("{T}/{DACH}/users")).await.json()["users"][0]["id"],
        USER4
    );

    let resp = api.delete(&format!("{path}?ids={DACH},{EMEA}")).await;
    assert_eq!(resp.status, 207);
    let resp = api.delete(&format!("{path}/{US_EAST}")).await;
    assert_eq!(resp.status, 200);
    assert_eq!(api.get(&path).await.status, 204);
    let resp = api
        .delete(&format!("/crm/v8/Users/{USER1}/territories/{GLOBAL}"))
        .await;
    assert_eq!(resp.json()["territories"][0]["code"], "NOT_ALLOWED");
    assert_eq!(api.get("/crm/v8/users/1/territories").await.status, 400);
}
