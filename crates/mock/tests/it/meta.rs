//! The metadata endpoints (modules, fields, layouts, org, users, roles, profiles) and the record
//! validation they describe: the metadata must agree with the data.

use std::collections::HashSet;

use serde_json::{json, Value};
use zohocrm_mock::{MockConfig, MockZoho};

use crate::client::{ids::*, Api, Resp};

async fn start() -> (MockZoho, Api) {
    let mock = MockZoho::start_with(MockConfig {
        demo_leads: 300,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let api = Api::new(&mock).await;
    (mock, api)
}

fn code(resp: &Resp) -> (u16, Value) {
    (resp.status, resp.json()["code"].clone())
}

async fn fields(api: &Api, module: &str) -> Vec<Value> {
    let resp = api
        .get(&format!("/crm/v8/settings/fields?module={module}"))
        .await;
    assert_eq!(resp.status, 200);
    resp.json()["fields"].as_array().unwrap().clone()
}

fn field<'a>(fields: &'a [Value], name: &str) -> &'a Value {
    fields
        .iter()
        .find(|f| f["api_name"] == name)
        .unwrap_or_else(|| panic!("no field {name}"))
}

/// Whether a record value has the JSON type the field's `json_type` announces.
fn fits(json_type: &str, v: &Value) -> bool {
    match json_type {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "double" => v.is_number(),
        "boolean" => v.is_boolean(),
        "jsonobject" => v.is_object(),
        "jsonarray" => v.is_array(),
        _ => false,
    }
}

#[tokio::test]
async fn modules_list_the_record_modules() {
    let (_mock, api) = start().await;
    let resp = api.get("/crm/v8/settings/modules").await;
    assert_eq!(resp.status, 200);
    let modules = resp.json()["modules"].as_array().unwrap().clone();
    let names: Vec<&str> = modules
        .iter()
        .map(|m| m["api_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Leads", "Contacts", "Accounts", "Deals", "Notes"]);
    for m in &modules {
        assert_eq!(m["api_supported"], true);
        assert_eq!(m["generated_type"], "default");
        assert!(m["id"].as_str().unwrap().len() == 19);
    }
    // One module in full: its fields are the fields endpoint's.
    let resp = api.get("/crm/v8/settings/modules/leads").await;
    assert_eq!(resp.status, 200);
    let leads = &resp.json()["modules"][0];
    assert_eq!(leads["api_name"], "Leads");
    assert_eq!(leads["convertable"], true);
    assert_eq!(leads["fields"], Value::Array(fields(&api, "Leads").await));
    let related: Vec<&str> = leads["related_lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["api_name"].as_str().unwrap())
        .collect();
    assert_eq!(related, ["Notes", "Attachments"]);
    assert_eq!(
        code(&api.get("/crm/v8/settings/modules/Widgets").await),
        (400, json!("INVALID_MODULE"))
    );
}

#[tokio::test]
async fn fields_have_zohos_shape() {
    let (_mock, api) = start().await;
    let leads = fields(&api, "Leads").await;
    let last = field(&leads, "Last_Name");
    assert_eq!(last["data_type"], "text");
    assert_eq!(last["json_type"], "string");
    assert_eq!(last["system_mandatory"], true);
    assert_eq!(last["length"], 80);
    assert_eq!(last["field_label"], "Last Name");
    assert_eq!(last["custom_field"], false);
    assert_eq!(field(&leads, "Company")["system_mandatory"], false);
    assert_eq!(
        field(&leads, "Email")["unique"],
        json!({"casesensitive": "false"})
    );
    assert_eq!(field(&leads, "Created_Time")["read_only"], true);
    let status = field(&leads, "Lead_Status");
    assert_eq!(status["data_type"], "picklist");
    let values: Vec<&str> = status["pick_list_values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["display_value"].as_str().unwrap())
        .collect();
    assert_eq!(values[0], "-None-");
    assert!(values.contains(&"Contacted"));
    assert_eq!(field(&leads, "Product_Interest")["json_type"], "jsonarray");
    assert_eq!(field(&leads, "Product_Interest")["custom_field"], true);
    assert_eq!(field(&leads, "Owner")["data_type"], "ownerlookup");
    let deals = fields(&api, "Deals").await;
    let account = field(&deals, "Account_Name");
    assert_eq!(account["data_type"], "lookup");
    assert_eq!(account["lookup"]["module"]["api_name"], "Accounts");
    let ids: HashSet<&str> = leads
        .iter()
        .chain(&deals)
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), leads.len() + deals.len(), "field ids are unique");
    let mut all = HashSet::new();
    for f in leads.iter().chain(&deals) {
        let nested = f["pick_list_values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| &v["id"]);
        for id in std::iter::once(&f["id"])
            .chain(nested)
            .chain([&f["lookup"]["id"]])
        {
            if let Some(id) = id.as_str() {
                assert!(all.insert(id.to_owned()), "id {id} repeats");
            }
        }
    }
    // One field by id.
    let id = last["id"].as_str().unwrap();
    let resp = api
        .get(&format!("/crm/v8/settings/fields/{id}?module=Leads"))
        .await;
    assert_eq!(resp.json()["fields"][0], *last);
    let resp = api.get("/crm/v8/settings/fields/1?module=Leads").await;
    assert_eq!(resp.json()["details"], json!({"resource_path_index": 2}));
    // The module is required and must exist.
    let resp = api.get("/crm/v8/settings/fields").await;
    assert_eq!(code(&resp), (400, json!("REQUIRED_PARAM_MISSING")));
    assert_eq!(resp.json()["details"]["param_name"], "module");
    assert_eq!(
        code(&api.get("/crm/v8/settings/fields?module=Widgets").await),
        (400, json!("INVALID_MODULE"))
    );
}

#[tokio::test]
async fn records_agree_with_their_fields() {
    let (_mock, api) = start().await;
    for module in ["Leads", "Contacts", "Accounts", "Deals"] {
        let fields = fields(&api, module).await;
        let names: Vec<&str> = fields
            .iter()
            .map(|f| f["api_name"].as_str().unwrap())
            .collect();
        let resp = api
            .get(&format!(
                "/crm/v8/{module}?per_page=200&fields={}",
                names.join(",")
            ))
            .await;
        assert_eq!(resp.status, 200, "{module}");
        for record in resp.json()["data"].as_array().unwrap() {
            for (k, v) in record.as_object().unwrap() {
                if k == "id" || k.starts_with('$') || v.is_null() {
                    continue;
                }
                let f = field(&fields, k);
                assert!(
                    fits(f["json_type"].as_str().unwrap(), v),
                    "{module}.{k} = {v} is not {}",
                    f["json_type"]
                );
                if f["data_type"] == "picklist" {
                    assert!(
                        f["pick_list_values"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|p| p["actual_value"] == *v),
                        "{module}.{k} = {v} is not a listed value"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn layouts_hold_every_field() {
    let (_mock, api) = start().await;
    let resp = api.get("/crm/v8/settings/layouts?module=Contacts").await;
    assert_eq!(resp.status, 200);
    let layout = resp.json()["layouts"][0].clone();
    assert_eq!(layout["name"], "Standard");
    assert_eq!(
        layout["sections"][0]["fields"],
        Value::Array(fields(&api, "Contacts").await)
    );
    let id = layout["id"].as_str().unwrap();
    let one = api
        .get(&format!("/crm/v8/settings/layouts/{id}?module=Contacts"))
        .await;
    assert_eq!(one.json()["layouts"][0], layout);
    let other = api
        .get(&format!("/crm/v8/settings/layouts/{id}?module=Leads"))
        .await;
    assert_eq!(code(&other), (400, json!("INVALID_DATA")));
    assert_eq!(
        code(&api.get("/crm/v8/settings/layouts").await),
        (400, json!("REQUIRED_PARAM_MISSING"))
    );
}

#[tokio::test]
async fn org_users_and_licences_agree() {
    let (_mock, api) = start().await;
    let licences = api.get("/crm/v8/__features/user_licenses").await.json();
    let details = &licences["__features"][0]["details"];
    let org = api.get("/crm/v8/org").await.json()["org"][0].clone();
    assert_eq!(org["zgid"], "mock-org-1");
    assert_eq!(org["license_details"]["paid_type"], "enterprise");
    assert_eq!(
        org["license_details"]["users_license_purchased"],
        details["limits"]["total"]
    );
    assert_eq!(org["primary_email"], "user1@example.test");
    // One active user per licence in use; all users include the inactive one.
    let active = api.get("/crm/v8/users?type=ActiveUsers").await.json();
    assert_eq!(active["users"].as_array().unwrap().len(), 7);
    assert_eq!(
        json!(active["info"]["count"]),
        details["used_count"]["total"]
    );
    let all = api.get("/crm/v8/users").await.json()["users"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(all.len(), 8);
    assert!(all
        .iter()
        .any(|u| u["id"] == USER8_INACTIVE && u["status"] == "inactive"));
    let inactive = api.get("/crm/v8/users?type=DeactiveUsers").await.json();
    assert_eq!(inactive["users"][0]["id"], USER8_INACTIVE);
    let me = api.get("/crm/v8/users?type=CurrentUser").await.json();
    assert_eq!(me["users"].as_array().unwrap().len(), 1);
    assert_eq!(me["users"][0]["id"], USER1);
    assert_eq!(me["users"][0]["email"], "user1@example.test");
    assert_eq!(
        code(&api.get("/crm/v8/users?type=Everyone").await),
        (400, json!("INVALID_DATA"))
    );
    let resp = api.get("/crm/v8/users?per_page=3&page=3").await.json();
    assert_eq!(
        resp["info"],
        json!({"per_page": 3, "count": 2, "page": 3, "more_records": false})
    );
    // A user by id is the territories' user.
    let user = api.get(&format!("/crm/v8/users/{USER2}")).await.json()["users"][0].clone();
    let in_territory = api
        .get(&format!("/crm/v8/settings/territories/{AMERICAS}/users"))
        .await
        .json()["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == USER2)
        .cloned()
        .unwrap();
    for key in ["full_name", "email", "role", "profile", "status"] {
        assert_eq!(user[key], in_territory[key], "{key}");
    }
    assert_eq!(user["Reporting_To"]["id"], USER1);
    assert_eq!(
        code(&api.get("/crm/v8/users/1").await),
        (400, json!("INVALID_DATA"))
    );
    // Every user's role and profile exist.
    let roles = api.get("/crm/v8/settings/roles").await.json()["roles"].clone();
    let profiles = api.get("/crm/v8/settings/profiles").await.json()["profiles"].clone();
    let ids = |v: &Value| -> HashSet<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (role_ids, profile_ids) = (ids(&roles), ids(&profiles));
    for u in &all {
        assert!(role_ids.contains(u["role"]["id"].as_str().unwrap()));
        assert!(profile_ids.contains(u["profile"]["id"].as_str().unwrap()));
    }
    let manager = roles
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Manager")
        .unwrap();
    assert_eq!(manager["reporting_to"]["name"], "CEO");
    let id = manager["id"].as_str().unwrap();
    let one = api
        .get(&format!("/crm/v8/settings/roles/{id}"))
        .await
        .json();
    assert_eq!(one["roles"][0], *manager);
    let id = profiles[0]["id"].as_str().unwrap();
    let one = api
        .get(&format!("/crm/v8/settings/profiles/{id}"))
        .await
        .json();
    assert_eq!(one["profiles"][0]["name"], "Administrator");
}

#[tokio::test]
async fn a_bare_org_has_one_user() {
    let mock = MockZoho::start_with(MockConfig {
        demo_data: false,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let api = Api::new(&mock).await;
    let users = api.get("/crm/v8/users?type=ActiveUsers").await.json();
    assert_eq!(users["users"].as_array().unwrap().len(), 1);
    let licences = api.get("/crm/v8/__features/user_licenses").await.json();
    assert_eq!(
        licences["__features"][0]["details"]["used_count"]["total"],
        1
    );
    assert_eq!(
        api.get("/crm/v8/users?type=DeactiveUsers").await.status,
        204
    );
}

#[tokio::test]
async fn writes_are_checked_against_the_fields() {
    let (_mock, api) = start().await;
    let resp = api
        .post(
            "/crm/v8/Leads",
            json!({"data": [
                {"Last_Name": "Typed", "No_of_Employees": 12, "Annual_Revenue": 1500.5, "Email_Opt_Out": true, "Product_Interest": ["CRM"], "Not_A_Field": "x"},
                {"Last_Name": "Wrong", "No_of_Employees": "twelve"},
                {"Last_Name": "x".repeat(81)},
                {"First_Name": "Nameless"},
                {"Last_Name": "Wrong", "Email_Opt_Out": "yes"},
                {"Last_Name": "Wrong", "Product_Interest": "CRM"},
            ]}),
        )
        .await;
    assert_eq!(resp.status, 207);
    let items = resp.json()["data"].as_array().unwrap().clone();
    assert_eq!(items[0]["code"], "SUCCESS");
    assert_eq!(
        items[1],
        json!({"code": "INVALID_DATA", "message": "invalid data", "status": "error", "details": {"api_name": "No_of_Employees", "json_path": "$.data[1].No_of_Employees", "expected_data_type": "integer"}})
    );
    assert_eq!(
        items[2]["details"],
        json!({"api_name": "Last_Name", "json_path": "$.data[2].Last_Name", "maximum_length": 80})
    );
    assert_eq!(
        items[3],
        json!({"code": "MANDATORY_NOT_FOUND", "message": "required field not found", "status": "error", "details": {"api_name": "Last_Name", "json_path": "$.data[3].Last_Name"}})
    );
    assert_eq!(items[4]["details"]["expected_data_type"], "boolean");
    assert_eq!(
        items[5]["details"]["expected_data_type"],
        "multiselectpicklist"
    );
    // The unknown field name was ignored, as Zoho ignores it; the typed values were kept.
    let id = items[0]["details"]["id"].as_str().unwrap();
    let rec = api.get(&format!("/crm/v8/Leads/{id}")).await.json()["data"][0].clone();
    assert!(rec.get("Not_A_Field").is_none());
    assert_eq!(rec["No_of_Employees"], 12);
    assert_eq!(rec["Annual_Revenue"], 1500.5);
    // Dates and updates are checked too; read-only fields are ignored.
    let resp = api
        .post(
            "/crm/v8/Contacts",
            json!({"data": [{"Last_Name": "Born", "Date_of_Birth": "1990-02-30"}]}),
        )
        .await;
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.json()["data"][0]["details"]["expected_data_type"],
        "date"
    );
    let resp = api
        .put(
            &format!("/crm/v8/Leads/{id}"),
            json!({"data": [{"Annual_Revenue": "lots", "Full_Name": "ignored"}]}),
        )
        .await;
    assert_eq!(
        resp.json()["data"][0]["details"]["expected_data_type"],
        "currency"
    );
    let resp = api
        .put(
            &format!("/crm/v8/Leads/{id}"),
            json!({"data": [{"Last_Name": null}]}),
        )
        .await;
    assert_eq!(resp.json()["data"][0]["code"], "MANDATORY_NOT_FOUND");
    let resp = api
        .put(
            &format!("/crm/v8/Deals/{DEAL1}"),
            json!({"data": [{"Stage": 5}]}),
        )
        .await;
    assert_eq!(
        resp.json()["data"][0]["details"]["expected_data_type"],
        "text"
    );
}
