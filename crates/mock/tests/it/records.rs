use serde_json::{json, Value};
use zohocrm_mock::MockZoho;

use crate::client::{ids::*, Api};

fn territory_ids(record: &Value) -> Vec<String> {
    record["data"][0]["Territories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn records_show_their_territories() {
    let mock = MockZoho::start().await.unwrap();
    let api = Api::new(&mock).await;
    let acme = api.get(&format!("/crm/v8/Accounts/{ACME}")).await.json();
    assert_eq!(acme["data"][0]["Account_Name"], "Acme Test Corp");
    let t = &acme["data"][0]["Territories"][0];
    assert_eq!(t["Name"], "US East");
    assert_eq!(t["id"], US_EAST);
    assert_eq!(t["$assigned"], "manually");
    assert_eq!(
        t["$assigned_by"],
        json!({"name": "Avery Admin", "id": USER1})
    );
    assert!(t["$assigned_time"].as_str().unwrap().ends_with("+00:00"));
    let globex = api.get(&format!("/crm/v8/Accounts/{GLOBEX}")).await.json();
    assert_eq!(
        globex["data"][0]["Territories"][0]["$assigned"],
        "automatically"
    );
    assert_eq!(
        globex["data"][0]["Territories"][0]["$assigned_by"],
        Value::Null
    );
    assert_eq!(
        api.get("/crm/v8/Accounts/5725767000000999999").await.status,
        204
    );
    assert_eq!(
        api.get(&format!("/crm/v8/Contacts/{CONTACT1}"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn assign_and_remove_territories() {
    let mock = MockZoho::start().await.unwrap();
    let api = Api::new(&mock).await;
    let resp = api
        .post(
            "/crm/v8/Accounts/actions/assign_territories",
            json!({"data": [{"id": INITECH, "Territories": [{"id": US_WEST}, {"id": DACH}]}]}),
        )
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.json(),
        json!({"data": [{"code": "SUCCESS", "details": {"id": INITECH}, "message": "the territories data updated successfully", "status": "success"}]})
    );
    let got = api.get(&format!("/crm/v8/Accounts/{INITECH}")).await.json();
    assert_eq!(territory_ids(&got), [US_WEST, DACH]);

    // Per-record path form; errors per record.
    let resp = api
        .post(
            &format!("/crm/v8/Accounts/{INITECH}/actions/assign_territories"),
            json!({"data": [{"Territories": [{"id": US_WEST}]}]}),
        )
        .await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.json()["data"][0]["code"], "DUPLICATE_DATA");
    let resp = api
        .post(
            "/crm/v8/Accounts/actions/assign_territories",
            json!({"data": [
                {"id": ACME, "Territories": [{"id": EMEA}, {"id": EMEA}]},
                {"id": "1", "Territories": [{"id": EMEA}]},
                {"id": ACME, "Territories": [{"id": "2"}]},
                {"id": ACME},
                {"id": ACME, "Territories": [{"id": EMEA}]}
            ]}),
        )
        .await;
    assert_eq!(resp.status, 207);
    let codes: Vec<Value> = resp.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].clone())
        .collect();
    assert_eq!(
        codes,
        [
            "ALREADY_USED",
            "INVALID_DATA",
            "INVALID_DATA",
            "MANDATORY_NOT_FOUND",
            "SUCCESS"
        ]
    );

    // One territory per Deal.
    let resp = api
        .post(
            &format!("/crm/v8/Deals/{DEAL1}/actions/assign_territories"),
            json!({"data": [{"Territories": [{"id": EMEA}]}]}),
        )
        .await;
    assert_eq!(resp.json()["data"][0]["code"], "LIMIT_EXCEEDED");

    // Remove: manual ones go, system-assigned ones stay.
    let resp = api
        .post(
            "/crm/v8/Accounts/actions/remove_territories",
            json!({"data": [
                {"id": INITECH, "Territories": [{"id": DACH}]},
                {"id": GLOBEX, "Territories": [{"id": DACH}]}
            ]}),
        )
        .await;
    assert_eq!(resp.status, 207);
    let items = resp.json()["data"].clone();
    assert_eq!(
        items[0]["message"],
        "the territories are removed successfully"
    );
    assert_eq!(items[1]["code"], "NOT_ALLOWED");
    assert_eq!(
        territory_ids(&api.get(&format!("/crm/v8/Accounts/{INITECH}")).await.json()),
        [US_WEST]
    );

    let resp = api
        .post(
            "/crm/v8/Leads/actions/assign_territories",
            json!({"data": [{"id": "1", "Territories": [{"id": EMEA}]}]}),
        )
        .await;
    assert_eq!(
        (resp.status, resp.json()["code"].clone()),
        (403, json!("TERRITORY_NOT_ENABLED"))
    );
    let resp = api
        .post(
            "/crm/v8/Widgets/actions/assign_territories",
            json!({"data": []}),
        )
        .await;
    assert_eq!(
        (resp.status, resp.json()["code"].clone()),
        (400, json!("INVALID_MODULE"))
    );
    assert_eq!(mock.stats().writes, 6);
}

#[tokio::test]
async fn large_requests_are_scheduled() {
    let mock = MockZoho::start().await.unwrap();
    let api = Api::new(&mock).await;
    let mut data = vec![json!({"id": CONTACT1, "Territories": [{"id": EMEA}]})];
    data.extend((0..50).map(|i| json!({"id": format!("1{i}"), "Territories": [{"id": EMEA}]})));
    let resp = api
        .post(
            "/crm/v8/Contacts/actions/assign_territories",
            json!({"data": data}),
        )
        .await;
    assert_eq!(resp.status, 207);
    let first = resp.json()["data"][0].clone();
    assert_eq!(first["code"], "SCHEDULED");
    assert_eq!(first["status"], "success");
    assert_eq!(
        first["message"],
        "Territory assignment process scheduled successfully"
    );
    assert_eq!(first["details"]["id"], CONTACT1);
    assert!(first["details"]["job_id"]
        .as_str()
        .is_some_and(|j| j.len() == 19));
    // The job "ran" at once.
    let got = api
        .get(&format!("/crm/v8/Contacts/{CONTACT1}"))
        .await
        .json();
    assert_eq!(territory_ids(&got), [US_WEST, EMEA]);

    let all_ok: Vec<Value> = (0..51)
        .map(|_| json!({"id": CONTACT1, "Territories": [{"id": US_WEST}]}))
        .collect();
    let resp = api
        .post(
            "/crm/v8/Contacts/actions/remove_territories",
            json!({"data": all_ok}),
        )
        .await;
    // The first removes it, the other 50 find nothing to remove.
    assert_eq!(resp.status, 207);
    assert_eq!(
        resp.json()["data"][0]["message"],
        "Territory removal process scheduled successfully"
    );
}
