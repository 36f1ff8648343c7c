//! The records API over raw HTTP: listing and paging, writes, search, related lists, notes,
//! tags, attachments, lead conversion, mass update and the raw-record test hook.

use std::collections::HashSet;

use serde_json::{json, Value};
use zohocrm_mock::{BlockingMock, MockConfig, MockZoho};

use crate::client::{ids::*, send, Api, Resp};

async fn start(leads: usize) -> (MockZoho, Api) {
    let mock = MockZoho::start_with(MockConfig {
        demo_leads: leads,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let api = Api::new(&mock).await;
    (mock, api)
}

/// A call with extra headers (and a raw body).
async fn call(api: &Api, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let auth = format!("Zoho-oauthtoken {}", api.token);
    let mut all = vec![("authorization", auth.as_str())];
    all.extend_from_slice(headers);
    send(&api.base, method, path, &all, body).await
}

fn code(resp: &Resp) -> (u16, Value) {
    (resp.status, resp.json()["code"].clone())
}

fn item_codes(resp: &Resp) -> Vec<String> {
    resp.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_owned())
        .collect()
}

fn ids_of(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

fn id_num(id: &str) -> u64 {
    id.parse().unwrap()
}

#[tokio::test]
async fn pages_then_tokens_walk_every_lead_once() {
    let (_mock, api) = start(2600).await;
    let mut all: Vec<String> = Vec::new();
    let mut token = None;
    for page in 1..=10 {
        let resp = api
            .get(&format!(
                "/crm/v8/Leads?fields=Last_Name,Email&per_page=200&page={page}"
            ))
            .await;
        assert_eq!(resp.status, 200, "page {page}");
        let v = resp.json();
        let info = &v["info"];
        assert_eq!(info["page"], page);
        assert_eq!(info["count"], 200);
        assert_eq!(info["per_page"], 200);
        assert_eq!(info["more_records"], true);
        assert_eq!(info["sort_by"], "id");
        assert_eq!(info["sort_order"], "desc");
        assert_eq!(
            (info["call"].clone(), info["email"].clone()),
            (json!(false), json!(false))
        );
        assert!(info["page_token_expiry"]
            .as_str()
            .unwrap()
            .ends_with("+00:00"));
        token = Some(info["next_page_token"].as_str().unwrap().to_owned());
        for r in v["data"].as_array().unwrap() {
            let mut keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(keys, ["Email", "Last_Name", "id"]);
        }
        all.extend(ids_of(&v));
    }
    let resp = api
        .get("/crm/v8/Leads?fields=Last_Name,Email&per_page=200&page=11")
        .await;
    assert_eq!(
        code(&resp),
        (400, json!("DISCRETE_PAGINATION_LIMIT_EXCEEDED"))
    );
    let mut pages = 0;
    while let Some(t) = token.take() {
        let resp = api
            .get(&format!(
                "/crm/v8/Leads?fields=Last_Name,Email&per_page=200&page_token={t}"
            ))
            .await;
        assert_eq!(resp.status, 200);
        let v = resp.json();
        assert!(v["info"].get("page").is_none());
        assert!(v["info"]["previous_page_token"].is_string());
        all.extend(ids_of(&v));
        pages += 1;
        if v["info"]["more_records"] == true {
            token = Some(v["info"]["next_page_token"].as_str().unwrap().to_owned());
        } else {
            assert_eq!(v["info"]["next_page_token"], Value::Null);
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(all.len(), 2600);
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 2600);
    assert!(all.windows(2).all(|w| id_num(&w[0]) > id_num(&w[1])));

    // Ascending by creation time walks the same set the other way.
    let resp = api
        .get("/crm/v8/Leads?fields=Created_Time&sort_by=Created_Time&sort_order=asc&per_page=5")
        .await;
    let v = resp.json();
    let times: Vec<&str> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Created_Time"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(v["info"]["sort_by"], "Created_Time");
}

#[tokio::test]
async fn paging_errors() {
    let (_mock, api) = start(500).await;
    let first = api
        .get("/crm/v8/Leads?fields=Last_Name&per_page=100")
        .await
        .json();
    let token = first["info"]["next_page_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = api
        .get(&format!(
            "/crm/v8/Leads?fields=Email&per_page=100&page_token={token}"
        ))
        .await;
    assert_eq!(code(&resp), (400, json!("TOKEN_BOUND_DATA_MISMATCH")));
    assert_eq!(resp.json()["details"], json!({"param_name": "page_token"}));
    let resp = api
        .get(&format!(
            "/crm/v8/Leads?fields=Last_Name&per_page=100&page=2&page_token={token}"
        ))
        .await;
    assert_eq!(code(&resp), (400, json!("AMBIGUITY_DURING_PROCESSING")));
    assert_eq!(
        resp.json()["details"],
        json!({"ambiguity_due_to": [{"param_name": "page"}, {"param_name": "page_token"}]})
    );
    let resp = api
        .get("/crm/v8/Leads?fields=Last_Name&page_token=not-a-token")
        .await;
    assert_eq!(code(&resp), (400, json!("INVALID_DATA")));
    // The token works with the same parameters.
    let resp = api
        .get(&format!(
            "/crm/v8/Leads?fields=Last_Name&per_page=100&page_token={token}"
        ))
        .await;
    assert_eq!(resp.status, 200);
    let second = ids_of(&resp.json());
    assert_eq!(second.len(), 100);
    assert!(id_num(&second[0]) < id_num(ids_of(&first).last().unwrap()));

    let resp = api.get("/crm/v8/Leads").await;
    assert_eq!(code(&resp), (400, json!("REQUIRED_PARAM_MISSING")));
    assert_eq!(resp.json()["details"]["param"], "fields");
    let many: Vec<String> = (0..51).map(|i| format!("F{i}")).collect();
    let resp = api
        .get(&format!("/crm/v8/Leads?fields={}", many.join(",")))
        .await;
    assert_eq!(code(&resp), (400, json!("LIMIT_EXCEEDED")));
    let resp = api.get("/crm/v8/Leads?fields=Email&per_page=201").await;
    assert_eq!(code(&resp), (400, json!("INVALID_DATA")));
    let resp = api.get("/crm/v8/Leads?fields=Email&sort_by=Email").await;
    assert_eq!(code(&resp), (400, json!("INVALID_DATA")));
    let resp = api.get("/crm/v8/Widgets?fields=Name").await;
    assert_eq!(
        (resp.status, resp.json()),
        (
            400,
            json!({"code": "INVALID_MODULE", "details": {}, "message": "the module name given seems to be invalid", "status": "error"})
        )
    );
    // Unknown fields come back as null.
    let v = api
        .get("/crm/v8/Leads?fields=No_Such_Field&per_page=1")
        .await
        .json();
    assert_eq!(v["data"][0]["No_Such_Field"], Value::Null);
}

#[tokio::test]
async fn empty_lists_and_if_modified_since() {
    let empty = MockZoho::start_with(MockConfig {
        demo_data: false,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let api = Api::new(&empty).await;
    let resp = api.get("/crm/v8/Leads?fields=Last_Name").await;
    assert_eq!((resp.status, resp.body.len()), (204, 0));

    let (_mock, api) = start(300).await;
    let path = "/crm/v8/Leads?fields=Modified_Time&per_page=200";
    let resp = call(
        &api,
        "GET",
        path,
        &[("if-modified-since", "2999-01-01T00:00:00+00:00")],
        b"",
    )
    .await;
    assert_eq!((resp.status, resp.body.len()), (304, 0));
    let since = "2025-01-01T00:00:00+00:00";
    let resp = call(&api, "GET", path, &[("if-modified-since", since)], b"").await;
    assert_eq!(resp.status, 200);
    let v = resp.json();
    let n = v["info"]["count"].as_u64().unwrap();
    assert!(n > 0 && n < 300, "{n}");
    assert!(v["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["Modified_Time"].as_str().unwrap() > since));
    // An HTTP date works too.
    let resp = call(
        &api,
        "GET",
        path,
        &[("if-modified-since", "Wed, 01 Jan 2025 00:00:00 GMT")],
        b"",
    )
    .await;
    assert_eq!(resp.json()["info"]["count"], n);
    // One record: 304 when not modified since.
    let id = ids_of(&v)[0].clone();
    let resp = call(
        &api,
        "GET",
        &format!("/crm/v8/Leads/{id}"),
        &[("if-modified-since", "2999-01-01T00:00:00Z")],
        b"",
    )
    .await;
    assert_eq!(resp.status, 304);
    assert_eq!(
        api.get("/crm/v8/Leads/5725767000000999999").await.status,
        204
    );
}

fn lead(i: usize) -> Value {
    json!({"Last_Name": format!("Bulk {i}"), "Email": format!("bulk{i}@example.test"), "Company": "Bulkco"})
}

#[tokio::test]
async fn inserts_validate_each_item() {
    let (mock, api) = start(10).await;
    let mut data: Vec<Value> = (0..100).map(lead).collect();
    data[17] = json!({"First_Name": "No", "Email": "no.last@example.test"});
    data[42] = json!({"Last_Name": "Bad", "Email": "not-an-email"});
    let resp = api
        .post(
            "/crm/v8/Leads",
            json!({"data": data, "trigger": ["workflow"]}),
        )
        .await;
    assert_eq!(resp.status, 207);
    let v = resp.json();
    let items = v["data"].as_array().unwrap();
    assert_eq!(items.len(), 100);
    assert_eq!(
        items[17],
        json!({"code": "MANDATORY_NOT_FOUND", "details": {"api_name": "Last_Name", "json_path": "$.data[17].Last_Name"}, "message": "required field not found", "status": "error"})
    );
    assert_eq!(
        items[42],
        json!({"code": "INVALID_DATA", "details": {"api_name": "Email", "json_path": "$.data[42].Email", "expected_data_type": "email"}, "message": "invalid data", "status": "error"})
    );
    let ok = &items[0];
    assert_eq!(
        (
            ok["code"].clone(),
            ok["message"].clone(),
            ok["status"].clone()
        ),
        (json!("SUCCESS"), json!("record added"), json!("success"))
    );
    let d = &ok["details"];
    assert_eq!(d["Created_By"], json!({"name": "Avery Admin", "id": USER1}));
    assert_eq!(d["Modified_By"], d["Created_By"]);
    assert!(d["Created_Time"].as_str().unwrap().ends_with("+00:00"));
    assert_eq!(
        items.iter().filter(|i| i["status"] == "success").count(),
        98
    );
    assert_eq!(mock.stats().record_writes, 98);

    // The stored record carries the system fields.
    let id = d["id"].as_str().unwrap();
    let got = api.get(&format!("/crm/v8/Leads/{id}")).await.json();
    let r = &got["data"][0];
    assert_eq!(
        r["Owner"],
        json!({"name": "Avery Admin", "id": USER1, "email": "user1@example.test"})
    );
    assert_eq!(r["Last_Name"], "Bulk 0");
    assert_eq!(r["Tag"], json!([]));

    let too_many: Vec<Value> = (100..201).map(lead).collect();
    let resp = api.post("/crm/v8/Leads", json!({"data": too_many})).await;
    assert_eq!(code(&resp), (400, json!("LIMIT_EXCEEDED")));
    let resp = api
        .post(
            "/crm/v8/Leads",
            json!({"data": [lead(500)], "trigger": ["nope"]}),
        )
        .await;
    assert_eq!(code(&resp), (400, json!("INVALID_DATA")));
    let resp = api
        .post("/crm/v8/Leads", json!({"data": [lead(500), lead(501)]}))
        .await;
    assert_eq!(resp.status, 201);

    // The unique field.
    let resp = api
        .post(
            "/crm/v8/Leads",
            json!({"data": [{"Last_Name": "Again", "Email": "BULK0@example.test"}]}),
        )
        .await;
    assert_eq!(resp.status, 400);
    let e = &resp.json()["data"][0];
    assert_eq!(e["code"], "DUPLICATE_DATA");
    assert_eq!(e["details"]["api_name"], "Email");
    assert_eq!(e["details"]["json_path"], "$.data[0].Email");
    assert_eq!(e["details"]["duplicate_record"]["id"], id);
    assert_eq!(
        e["details"]["duplicate_record"]["module"]["api_name"],
        "Leads"
    );

    // Deals need a name and a stage; lookups must exist.
    let resp = api
        .post(
            "/crm/v8/Deals",
            json!({"data": [
                {"Deal_Name": "No stage"},
                {"Deal_Name": "Bad account", "Stage": "Qualification", "Account_Name": {"id": "1"}},
                {"Deal_Name": "Good", "Stage": "Qualification", "Account_Name": {"id": ACME}}
            ]}),
        )
        .await;
    assert_eq!(resp.status, 207);
    assert_eq!(
        item_codes(&resp),
        ["MANDATORY_NOT_FOUND", "INVALID_DATA", "SUCCESS"]
    );
    let deal = resp.json()["data"][2]["details"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let got = api
        .get(&format!("/crm/v8/Deals/{deal}?fields=Account_Name"))
        .await
        .json();
    assert_eq!(
        got["data"][0]["Account_Name"],
        json!({"name": "Acme Test Corp", "id": ACME})
    );
}

#[tokio::test]
async fn upsert_update_delete_and_the_recycle_bin() {
    let (mock, api) = start(10).await;
    let resp = api
        .post("/crm/v8/Leads", json!({"data": [lead(1), lead(2)]}))
        .await;
    let ids: Vec<String> = resp.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["details"]["id"].as_str().unwrap().to_owned())
        .collect();

    let resp = api
        .post(
            "/crm/v8/Leads/upsert",
            json!({"data": [
                {"Last_Name": "Changed", "Email": "bulk1@example.test"},
                {"Last_Name": "Fresh", "Email": "fresh@example.test"},
                {"Last_Name": "By phone", "Mobile": "+1 555 0100"}
            ], "duplicate_check_fields": ["Email", "Mobile"]}),
        )
        .await;
    assert_eq!(resp.status, 200);
    let v = resp.json();
    assert_eq!(
        (
            v["data"][0]["action"].clone(),
            v["data"][0]["duplicate_field"].clone()
        ),
        (json!("update"), json!("Email"))
    );
    assert_eq!(v["data"][0]["message"], "record updated");
    assert_eq!(v["data"][0]["details"]["id"], ids[0]);
    assert_eq!(
        (
            v["data"][1]["action"].clone(),
            v["data"][1]["duplicate_field"].clone()
        ),
        (json!("insert"), Value::Null)
    );
    assert_eq!(v["data"][1]["message"], "record added");
    let got = api
        .get(&format!("/crm/v8/Leads/{}?fields=Last_Name", ids[0]))
        .await
        .json();
    assert_eq!(got["data"][0]["Last_Name"], "Changed");
    // Mobile now matches the third one.
    let resp = api
        .post(
            "/crm/v8/Leads/upsert",
            json!({"data": [{"Last_Name": "Phone again", "Mobile": "+1 555 0100"}], "duplicate_check_fields": ["Mobile"]}),
        )
        .await;
    assert_eq!(resp.json()["data"][0]["duplicate_field"], "Mobile");

    // Update: by body id, by path, errors per item.
    let resp = api
        .put(
            "/crm/v8/Leads",
            json!({"data": [{"id": ids[1], "Company": "Newco"}, {"Company": "No id"}, {"id": "1", "Company": "x"}]}),
        )
        .await;
    assert_eq!(resp.status, 207);
    assert_eq!(
        item_codes(&resp),
        ["SUCCESS", "MANDATORY_NOT_FOUND", "INVALID_DATA"]
    );
    assert_eq!(resp.json()["data"][0]["message"], "record updated");
    assert_eq!(
        resp.json()["data"][1]["details"],
        json!({"api_name": "id", "json_path": "$.data[1].id"})
    );
    let resp = api
        .put(
            &format!("/crm/v8/Leads/{}", ids[1]),
            json!({"data": [{"Last_Name": ""}]}),
        )
        .await;
    assert_eq!(item_codes(&resp), ["MANDATORY_NOT_FOUND"]);
    let resp = api
        .put(
            &format!("/crm/v8/Leads/{}", ids[1]),
            json!({"data": [{"Lead_Status": "Contacted"}]}),
        )
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        api.put("/crm/v8/Leads/1", json!({"data": [{}]}))
            .await
            .status,
        400
    );

    // Delete, then the recycle bin.
    let writes = mock.stats().record_writes;
    let resp = api
        .delete(&format!(
            "/crm/v8/Leads?ids={},{},123&wf_trigger=true",
            ids[0], ids[1]
        ))
        .await;
    assert_eq!(resp.status, 207);
    assert_eq!(
        resp.json()["data"][0],
        json!({"code": "SUCCESS", "details": {"id": ids[0]}, "message": "record deleted", "status": "success"})
    );
    assert_eq!(item_codes(&resp)[2], "INVALID_DATA");
    assert_eq!(mock.stats().record_writes, writes + 2);
    assert_eq!(
        api.get(&format!("/crm/v8/Leads/{}", ids[0])).await.status,
        204
    );
    let bin = api
        .get("/crm/v8/Leads/deleted?type=recycle&per_page=1")
        .await
        .json();
    let first = &bin["data"][0];
    assert_eq!(first["id"], ids[1]);
    assert_eq!(first["type"], "recycle");
    assert_eq!(first["display_name"], "Bulk 2");
    assert_eq!(
        first["deleted_by"],
        json!({"name": "Avery Admin", "id": USER1})
    );
    assert!(first["deleted_time"].as_str().unwrap().ends_with("+00:00"));
    assert_eq!(
        bin["info"],
        json!({"per_page": 1, "count": 1, "page": 1, "more_records": true})
    );
    assert_eq!(
        api.get("/crm/v8/Leads/deleted?type=permanent").await.status,
        204
    );
    let resp = api.delete(&format!("/crm/v8/Leads/{}", ids[0])).await;
    assert_eq!(resp.status, 400);
    let many: Vec<String> = (0..101).map(|i| i.to_string()).collect();
    let resp = api
        .delete(&format!("/crm/v8/Leads?ids={}", many.join(",")))
        .await;
    assert_eq!(code(&resp), (400, json!("LIMIT_EXCEEDED")));
}

#[tokio::test]
async fn external_ids() {
    let (_mock, api) = start(10).await;
    let resp = api
        .post(
            "/crm/v8/Contacts",
            json!({"data": [{"Last_Name": "Daly", "External_Contact_ID": "EXT-42/α"}]}),
        )
        .await;
    assert_eq!(resp.status, 201);
    let id = resp.json()["data"][0]["details"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ext = [("x-external", "Contacts.External_Contact_ID")];
    let resp = call(
        &api,
        "GET",
        "/crm/v8/Contacts/EXT-42%2F%CE%B1?fields=Last_Name,External_Contact_ID",
        &ext,
        b"",
    )
    .await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.json()["data"][0],
        json!({"id": id, "Last_Name": "Daly", "External_Contact_ID": "EXT-42/α"})
    );
    let resp = call(&api, "GET", "/crm/v8/Contacts/EXT-0", &ext, b"").await;
    assert_eq!(resp.status, 204);
    // Update with the external value in the body.
    let body =
        serde_json::to_vec(&json!({"data": [{"External_Contact_ID": "EXT-42/α", "Title": "CTO"}]}))
            .unwrap();
    let resp = call(
        &api,
        "PUT",
        "/crm/v8/Contacts",
        &[ext[0], ("content-type", "application/json")],
        &body,
    )
    .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["data"][0]["details"]["id"], id);
    let got = api
        .get(&format!("/crm/v8/Contacts/{id}?fields=Title"))
        .await
        .json();
    assert_eq!(got["data"][0]["Title"], "CTO");
    let resp = call(
        &api,
        "DELETE",
        "/crm/v8/Contacts/EXT-42%2F%CE%B1",
        &ext,
        b"",
    )
    .await;
    assert_eq!(resp.json()["data"][0]["details"]["id"], id);
}

#[tokio::test]
async fn search_count_and_coql() {
    let (_mock, api) = start(200).await;
    let resp = api
        .post(
            "/crm/v8/Leads",
            json!({"data": [
                {"Last_Name": "O'Brien", "Company": "Zebulon Widgets", "Email": "zeb1@example.test", "Phone": "+1 (555) 010-9999"},
                {"Last_Name": "Quark", "Company": "Zebulon Widgets", "Secondary_Email": "zeb2@example.test"}
            ]}),
        )
        .await;
    assert_eq!(resp.status, 201);
    let v = api
        .get("/crm/v8/Leads/search?criteria=(Company:equals:Zebulon%20Widgets)&fields=Last_Name")
        .await
        .json();
    assert_eq!(
        v["info"],
        json!({"per_page": 200, "count": 2, "page": 1, "more_records": false})
    );
    assert_eq!(v["data"][0].as_object().unwrap().len(), 2);
    let v = api
        .get("/crm/v8/Leads/search?email=ZEB2@example.test")
        .await
        .json();
    assert_eq!(v["data"][0]["Last_Name"], "Quark");
    let v = api
        .get("/crm/v8/Leads/search?phone=15550109999")
        .await
        .json();
    assert_eq!(v["data"][0]["Last_Name"], "O'Brien");
    let v = api
        .get("/crm/v8/Leads/search?word=zebulon&per_page=1")
        .await
        .json();
    assert_eq!(
        (
            v["info"]["count"].clone(),
            v["info"]["more_records"].clone()
        ),
        (json!(1), json!(true))
    );
    assert_eq!(
        api.get("/crm/v8/Leads/search?word=nothing-like-this")
            .await
            .status,
        204
    );
    let resp = api.get("/crm/v8/Leads/search?fields=Last_Name").await;
    assert_eq!(code(&resp), (400, json!("REQUIRED_PARAM_MISSING")));
    let resp = api.get("/crm/v8/Leads/search?word=a&email=b@c.de").await;
    assert_eq!(code(&resp), (400, json!("AMBIGUITY_DURING_PROCESSING")));
    let resp = api.get("/crm/v8/Leads/search?word=a&page=11").await;
    assert_eq!(
        code(&resp),
        (400, json!("DISCRETE_PAGINATION_LIMIT_EXCEEDED"))
    );

    assert_eq!(
        api.get("/crm/v8/Leads/actions/count?word=zebulon")
            .await
            .json(),
        json!({"count": 2})
    );
    assert_eq!(
        api.get("/crm/v8/Leads/actions/count").await.json(),
        json!({"count": 202})
    );
    let resp = api
        .get("/crm/v8/Leads/actions/count?word=zebulon&cvid=1")
        .await;
    assert_eq!(code(&resp), (400, json!("AMBIGUITY_DURING_PROCESSING")));

    let resp = api
        .post(
            "/crm/v8/coql",
            json!({"select_query": "select Last_Name from Leads where Company = 'Zebulon Widgets' limit 5"}),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    assert_eq!(resp.json()["info"]["count"], 2);
}

/// A multipart body with one `file` part.
fn multipart(name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "mock-test-boundary-42";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn related_lists_notes_tags_and_attachments() {
    let (mock, api) = start(10).await;
    // Contacts of an Account come from the Contacts' Account_Name lookup.
    let v = api
        .get(&format!(
            "/crm/v8/Accounts/{ACME}/Contacts?fields=Last_Name"
        ))
        .await
        .json();
    assert!(ids_of(&v).contains(&CONTACT1.to_owned()));
    let robin = "5725767000000510002";
    let resp = api
        .put(
            &format!("/crm/v8/Accounts/{ACME}/Contacts"),
            json!({"data": [{"id": robin}]}),
        )
        .await;
    assert_eq!(
        resp.json(),
        json!({"data": [{"code": "SUCCESS", "details": {"id": robin}, "message": "relation added", "status": "success"}]})
    );
    let v = api
        .get(&format!(
            "/crm/v8/Accounts/{ACME}/Contacts?fields=Last_Name,Account_Name&per_page=1"
        ))
        .await
        .json();
    assert_eq!(v["info"]["more_records"], true);
    assert_eq!(v["data"][0]["Account_Name"]["id"], ACME);
    let resp = api
        .delete(&format!("/crm/v8/Accounts/{ACME}/Contacts?ids={robin},1"))
        .await;
    assert_eq!(resp.status, 207);
    assert_eq!(resp.json()["data"][0]["message"], "relation removed");
    assert_eq!(
        resp.json()["data"][1]["message"],
        "the related id given seems to be invalid"
    );
    let resp = api
        .get(&format!("/crm/v8/Accounts/{ACME}/Widgets?fields=Name"))
        .await;
    assert_eq!(code(&resp), (400, json!("INVALID_DATA")));
    let resp = api.get(&format!("/crm/v8/Accounts/{ACME}/Deals")).await;
    assert_eq!(code(&resp), (400, json!("REQUIRED_PARAM_MISSING")));

    // Notes, under a record and as a module.
    let resp = api
        .post(
            &format!("/crm/v8/Accounts/{ACME}/Notes"),
            json!({"data": [{"Note_Title": "Call", "Note_Content": "Call them back"}]}),
        )
        .await;
    assert_eq!(resp.status, 201);
    let note = resp.json()["data"][0]["details"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = api
        .post(
            "/crm/v8/Notes",
            json!({"data": [
                {"Note_Content": "On a deal", "Parent_Id": {"module": {"api_name": "Deals"}, "id": DEAL1}},
                {"Note_Content": "No parent"}
            ]}),
        )
        .await;
    assert_eq!(item_codes(&resp), ["SUCCESS", "MANDATORY_NOT_FOUND"]);
    let v = api
        .get(&format!(
            "/crm/v8/Accounts/{ACME}/Notes?fields=Note_Title,Note_Content,Parent_Id"
        ))
        .await
        .json();
    let mine = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == note.as_str())
        .unwrap();
    assert_eq!(mine["Parent_Id"]["id"], ACME);
    assert_eq!(mine["Parent_Id"]["module"]["api_name"], "Accounts");
    assert_eq!(mine["Parent_Id"]["name"], "Acme Test Corp");
    let v = api.get("/crm/v8/Notes?fields=Note_Content").await.json();
    assert_eq!(v["info"]["count"], 3);
    let resp = api.delete(&format!("/crm/v8/Notes?ids={note}")).await;
    assert_eq!(resp.json()["data"][0]["message"], "record deleted");

    // Tags.
    let leads = api.get("/crm/v8/Leads?fields=Tag&per_page=2").await.json();
    let [a, b] = [ids_of(&leads)[0].clone(), ids_of(&leads)[1].clone()];
    let resp = api
        .post(
            &format!("/crm/v8/Leads/{a}/actions/add_tags"),
            json!({"tags": [{"name": "Renewal Q3"}, {"name": "hot"}]}),
        )
        .await;
    assert_eq!(resp.status, 200);
    let tags = resp.json()["data"][0]["details"]["tags"].clone();
    let names: Vec<&str> = tags
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    // "hot" is the demo tag "Hot": tag names compare case-insensitively.
    assert_eq!(names, ["Renewal Q3", "Hot"], "{tags}");
    let got = api
        .get(&format!("/crm/v8/Leads/{a}?fields=Tag"))
        .await
        .json();
    assert_eq!(got["data"][0]["Tag"], tags);
    let resp = api
        .post(
            "/crm/v8/Leads/actions/add_tags",
            json!({"tags": [{"name": "Renewal Q3"}], "ids": [a, b]}),
        )
        .await;
    let v = resp.json();
    assert_eq!(
        (v["success_count"].clone(), v["locked_count"].clone()),
        (json!("2"), json!("0"))
    );
    assert_eq!(v["data"][1]["message"], "tags updated successfully");
    let resp = api
        .post(
            "/crm/v8/Leads/actions/remove_tags",
            json!({"tags": [{"name": "RENEWAL q3"}], "ids": [a]}),
        )
        .await;
    let left = resp.json()["data"][0]["details"]["tags"].clone();
    assert_eq!(left.as_array().unwrap().len(), 1, "{left}");
    assert_eq!(left[0]["name"], "Hot");

    // Attachments: upload, list, download, delete.
    let bytes: Vec<u8> = (0..=255u8)
        .chain(b"%PDF-1.4 sample".iter().copied())
        .collect();
    let (ct, body) = multipart("quote final.pdf", &bytes);
    let resp = call(
        &api,
        "POST",
        &format!("/crm/v8/Leads/{a}/Attachments"),
        &[("content-type", ct.as_str())],
        &body,
    )
    .await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    let up = resp.json()["data"][0].clone();
    assert_eq!(up["message"], "attachment uploaded successfully");
    let att = up["details"]["id"].as_str().unwrap().to_owned();
    let v = api
        .get(&format!(
            "/crm/v8/Leads/{a}/Attachments?fields=File_Name,Size,Created_By"
        ))
        .await
        .json();
    assert_eq!(
        v["data"][0],
        json!({"id": att, "File_Name": "quote final.pdf", "Size": bytes.len().to_string(), "Created_By": {"name": "Avery Admin", "id": USER1, "email": "user1@example.test"}})
    );
    let resp = api
        .get(&format!("/crm/v8/Leads/{a}/Attachments/{att}"))
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, bytes);
    assert_eq!(resp.header("content-type"), Some("application/pdf"));
    assert_eq!(
        resp.header("content-disposition"),
        Some("attachment; filename=\"quote final.pdf\"; filename*=UTF-8''quote%20final.pdf")
    );
    let resp = call(
        &api,
        "POST",
        &format!("/crm/v8/Leads/{a}/Attachments"),
        &[("content-type", "application/json")],
        b"{}",
    )
    .await;
    assert_eq!(code(&resp), (400, json!("REQUIRED_PARAM_MISSING")));
    let resp = api
        .delete(&format!("/crm/v8/Leads/{a}/Attachments/{att}"))
        .await;
    assert_eq!(resp.json()["data"][0]["message"], "record deleted");
    assert_eq!(
        api.get(&format!("/crm/v8/Leads/{a}/Attachments/{att}"))
            .await
            .status,
        204
    );
    assert!(mock.stats().record_writes >= 8);
}

#[tokio::test]
async fn convert_a_lead() {
    let (_mock, api) = start(10).await;
    let resp = api
        .post(
            "/crm/v8/Leads",
            json!({"data": [{"First_Name": "Ada", "Last_Name": "Lovelace", "Email": "ada@convert.test", "Company": "Convertco Ltd", "Phone": "+44 20 0000"}]}),
        )
        .await;
    let lead = resp.json()["data"][0]["details"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = api
        .post(
            &format!("/crm/v8/Leads/{lead}/actions/convert"),
            json!({"data": [{"overwrite": true, "notify_lead_owner": false, "notify_new_entity_owner": false,
                "Deals": {"Deal_Name": "Convertco pilot", "Stage": "Qualification", "Closing_Date": "2030-01-31", "Amount": 5000}}]}),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    let item = resp.json()["data"][0].clone();
    assert_eq!(item["code"], "SUCCESS");
    assert_eq!(
        item["message"],
        "The record has been converted successfully"
    );
    let d = &item["details"];
    assert_eq!(d["Contacts"]["name"], "Ada Lovelace");
    assert_eq!(d["Accounts"]["name"], "Convertco Ltd");
    assert_eq!(d["Deals"]["name"], "Convertco pilot");
    let contact = d["Contacts"]["id"].as_str().unwrap();
    let got = api.get(&format!("/crm/v8/Contacts/{contact}")).await.json();
    assert_eq!(got["data"][0]["Account_Name"], d["Accounts"]);
    assert_eq!(got["data"][0]["Email"], "ada@convert.test");
    let deal = d["Deals"]["id"].as_str().unwrap();
    let got = api
        .get(&format!(
            "/crm/v8/Deals/{deal}?fields=Contact_Name,Account_Name"
        ))
        .await
        .json();
    assert_eq!(got["data"][0]["Contact_Name"], d["Contacts"]);

    // Converted leads leave the default listing.
    let listed = |v: Value| ids_of(&v).contains(&lead);
    assert!(!listed(
        api.get("/crm/v8/Leads?fields=Last_Name").await.json()
    ));
    assert!(listed(
        api.get("/crm/v8/Leads?fields=Last_Name&converted=true")
            .await
            .json()
    ));
    assert!(listed(
        api.get("/crm/v8/Leads?fields=Last_Name&converted=both")
            .await
            .json()
    ));
    let resp = api
        .post(
            &format!("/crm/v8/Leads/{lead}/actions/convert"),
            json!({"data": [{}]}),
        )
        .await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.json()["data"][0]["code"], "ID_ALREADY_CONVERTED");

    // An existing account and contact are reused.
    let resp = api
        .post("/crm/v8/Leads", json!({"data": [{"Last_Name": "Sample", "Email": "sam.sample@example.test", "Company": "Acme Test Corp"}]}))
        .await;
    let second = resp.json()["data"][0]["details"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = api
        .post(
            &format!("/crm/v8/Leads/{second}/actions/convert"),
            json!({"data": [{}]}),
        )
        .await;
    let d = resp.json()["data"][0]["details"].clone();
    assert_eq!(
        (
            d["Contacts"]["id"].clone(),
            d["Accounts"]["id"].clone(),
            d["Deals"].clone()
        ),
        (json!(CONTACT1), json!(ACME), Value::Null)
    );
    let resp = api
        .post("/crm/v8/Leads/1/actions/convert", json!({"data": [{}]}))
        .await;
    assert_eq!(code(&resp), (400, json!("INVALID_DATA")));
}

#[tokio::test]
async fn mass_update_now_and_scheduled() {
    let (_mock, api) = start(20).await;
    let v = api
        .get("/crm/v8/Leads?fields=Lead_Status&per_page=3")
        .await
        .json();
    let ids = ids_of(&v);
    let resp = api
        .post(
            "/crm/v8/Leads/actions/mass_update",
            json!({"data": [{"Lead_Status": "Lost Lead"}], "ids": [ids[0], ids[1], "1"]}),
        )
        .await;
    assert_eq!(resp.status, 207);
    assert_eq!(item_codes(&resp), ["SUCCESS", "SUCCESS", "INVALID_DATA"]);
    assert_eq!(resp.json()["data"][0]["message"], "record updated");
    let got = api
        .get(&format!("/crm/v8/Leads/{}?fields=Lead_Status", ids[0]))
        .await
        .json();
    assert_eq!(got["data"][0]["Lead_Status"], "Lost Lead");

    let resp = api
        .post(
            "/crm/v8/Leads/actions/mass_update",
            json!({"data": [{"Lead_Status": "Contacted"}], "cvid": "5725767000000090001"}),
        )
        .await;
    assert_eq!(resp.status, 202);
    let item = resp.json()["data"][0].clone();
    assert_eq!(
        (item["code"].clone(), item["message"].clone()),
        (
            json!("SUCCESS"),
            json!("mass update scheduled successfully")
        )
    );
    let job = item["details"]["job_id"].as_str().unwrap().to_owned();
    let status = api
        .get(&format!("/crm/v8/Leads/actions/mass_update?job_id={job}"))
        .await
        .json();
    assert_eq!(
        status,
        json!({"data": [{"Status": "COMPLETED", "Failed_Count": 0, "Updated_Count": 20, "Not_Updated_Count": 0, "Total_Count": 20}]})
    );
    let v = api
        .get("/crm/v8/Leads/search?criteria=(Lead_Status:equals:Contacted)")
        .await
        .json();
    assert_eq!(v["info"]["count"], 20);
    assert_eq!(
        api.get("/crm/v8/Leads/actions/mass_update?job_id=1")
            .await
            .status,
        204
    );
    let resp = api
        .post(
            "/crm/v8/Leads/actions/mass_update",
            json!({"data": [{"Email": "x@y.zz"}], "ids": [ids[0]]}),
        )
        .await;
    assert_eq!(code(&resp), (400, json!("INVALID_DATA")));
    let resp = api
        .post(
            "/crm/v8/Leads/actions/mass_update",
            json!({"data": [{"Lead_Status": "x"}]}),
        )
        .await;
    assert_eq!(code(&resp), (400, json!("MANDATORY_NOT_FOUND")));
}

#[tokio::test]
async fn raw_records_are_stored_as_given() {
    let (mock, api) = start(10).await;
    let id = mock.put_raw_record(
        "leads",
        json!({"Last_Name": "Broken", "Created_Time": "2024-02-30T25:61:00+05:30", "Modified_Time": "yesterday"}),
    );
    let got = api.get(&format!("/crm/v8/Leads/{id}")).await.json();
    assert_eq!(got["data"][0]["Created_Time"], "2024-02-30T25:61:00+05:30");
    assert_eq!(got["data"][0]["id"], id);
    // Listings sorted by the malformed field still work; the record sorts first ascending.
    let v = api
        .get("/crm/v8/Leads?fields=Created_Time&sort_by=Created_Time&sort_order=asc&per_page=2")
        .await
        .json();
    assert_eq!(v["data"][0]["id"], id);
    let fixed = mock.put_raw_record(
        "Accounts",
        json!({"id": "5725767000000999001", "Account_Name": 42}),
    );
    assert_eq!(fixed, "5725767000000999001");
    let got = api
        .get("/crm/v8/Accounts/5725767000000999001?fields=Account_Name")
        .await
        .json();
    assert_eq!(got["data"][0]["Account_Name"], 42);

    let blocking = std::thread::spawn(|| {
        let mock = BlockingMock::start().unwrap();
        mock.put_raw_record("Deals", json!({"Deal_Name": "Raw"}))
    })
    .join()
    .unwrap();
    assert_eq!(blocking.len(), 19);
}

#[test]
#[should_panic(expected = "unknown module")]
fn raw_records_need_a_known_module() {
    let mock = BlockingMock::start().unwrap();
    mock.put_raw_record("Widgets", json!({}));
}

#[tokio::test]
async fn record_modules_stay_stateful_with_fixtures() {
    let dir = std::env::temp_dir().join(format!("zohocrm-mock-records-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mock = MockZoho::start_with(MockConfig {
        fixtures_dir: Some(dir.clone()),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let api = Api::new(&mock).await;
    // No fixture for it: the store answers.
    let resp = api.get("/crm/v8/Leads?fields=Last_Name&per_page=2").await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["data"].as_array().unwrap().len(), 2);
    assert_eq!(
        api.get(&format!("/crm/v8/Accounts/{ACME}")).await.status,
        200
    );
    let _ = std::fs::remove_dir_all(&dir);
}
